// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of the BTF walk that finds kernel functions' ids: blobs built in memory, and the running kernel against libbpf. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <linux/btf.h>
#include <bpf/btf.h>
#include <cmocka.h>

#include "btf_scan.h"

/* struct btf_type.info: kind in bits 24-28, vlen in bits 0-15 (include/uapi/linux/btf.h). */
#define INFO(kind, vlen) (((__u32)(kind) << 24) | ((vlen)&0xffff))

/* A BTF blob under construction: header, types, strings. */
struct blob {
	char types[1024];
	size_t tlen;
	char strs[256];
	size_t slen;
	char out[2048] __attribute__((aligned(4)));
	size_t len;
};

static __u32 str(struct blob *b, const char *s)
{
	__u32 off = (__u32)b->slen;

	if (!b->slen) {
		b->strs[0] = '\0'; /* offset 0 is the empty name */
		b->slen = off = 1;
	}
	strcpy(b->strs + off, s);
	b->slen += strlen(s) + 1;
	return off;
}

/* A type with vlen trailing records of rec bytes (zeroed). */
static void type(struct blob *b, const char *name, __u32 kind, __u32 vlen, size_t rec)
{
	struct btf_type t = {
		.name_off = name ? str(b, name) : 0,
		.info = INFO(kind, vlen),
		.size = 4,
	};

	memcpy(b->types + b->tlen, &t, sizeof(t));
	b->tlen += sizeof(t);
	memset(b->types + b->tlen, 0, vlen * rec);
	b->tlen += vlen * rec;
}

static void finish(struct blob *b)
{
	struct btf_header h = {
		.magic = BTF_MAGIC,
		.version = BTF_VERSION,
		.hdr_len = sizeof(h),
		.type_off = 0,
		.type_len = (__u32)b->tlen,
		.str_off = (__u32)b->tlen,
		.str_len = (__u32)b->slen,
	};

	memcpy(b->out, &h, sizeof(h));
	memcpy(b->out + sizeof(h), b->types, b->tlen);
	memcpy(b->out + sizeof(h) + b->tlen, b->strs, b->slen);
	b->len = sizeof(h) + b->tlen + b->slen;
}

/* Every kind with its trailing data, then the functions. */
static void build(struct blob *b)
{
	memset(b, 0, sizeof(*b));
	type(b, "int", BTF_KIND_INT, 0, 0);
	b->tlen += sizeof(__u32); /* INT's encoding word */
	type(b, NULL, BTF_KIND_PTR, 0, 0); /* 2 */
	type(b, NULL, BTF_KIND_ARRAY, 0, 0); /* 3 */
	b->tlen += sizeof(struct btf_array);
	type(b, "sock", BTF_KIND_STRUCT, 3, sizeof(struct btf_member)); /* 4 */
	type(b, "u", BTF_KIND_UNION, 2, sizeof(struct btf_member)); /* 5 */
	type(b, "e", BTF_KIND_ENUM, 4, sizeof(struct btf_enum)); /* 6 */
	type(b, NULL, BTF_KIND_FUNC_PROTO, 2, sizeof(struct btf_param)); /* 7 */
	/* A variable and a section named like the function: not functions. */
	type(b, "tcp_connect", BTF_KIND_VAR, 0, 0); /* 8 */
	b->tlen += sizeof(struct btf_var);
	type(b, ".data", BTF_KIND_DATASEC, 1, sizeof(struct btf_var_secinfo)); /* 9 */
	type(b, "tag", BTF_KIND_DECL_TAG, 0, 0); /* 10 */
	b->tlen += sizeof(struct btf_decl_tag);
	type(b, "e64", BTF_KIND_ENUM64, 2, sizeof(struct btf_enum64)); /* 11 */
	type(b, "double", BTF_KIND_FLOAT, 0, 0); /* 12 */
	type(b, "tcp_connect", BTF_KIND_FUNC, 0, 0); /* 13 */
	type(b, "inet_csk_accept", BTF_KIND_FUNC, 0, 0); /* 14 */
	type(b, "tcp_connect", BTF_KIND_FUNC, 0, 0); /* 15: a second static one */
	finish(b);
}

static const char *const names[] = { "inet_csk_accept", "tcp_connect", "no_such_function" };

static void test_walk(void **state)
{
	static struct blob b;
	__s32 ids[3] = { -1, -1, -1 };

	build(&b);
	assert_int_equal(sw_btf_find_funcs(b.out, b.len, names, ids, 3), 0);
	assert_int_equal(ids[0], 14);
	assert_int_equal(ids[1], 13); /* the first, as libbpf finds it */
	assert_int_equal(ids[2], 0);
}

static void test_bad_data(void **state)
{
	static struct blob b;
	struct btf_header h;
	__s32 ids[3];

	build(&b);
	/* Truncated inside the types, or inside the header. */
	assert_int_equal(sw_btf_find_funcs(b.out, b.len - b.slen - 4, names, ids, 3), -EINVAL);
	assert_int_equal(sw_btf_find_funcs(b.out, 8, names, ids, 3), -EINVAL);
	/* The other byte order. */
	memcpy(&h, b.out, sizeof(h));
	h.magic = 0x9feb;
	memcpy(b.out, &h, sizeof(h));
	assert_int_equal(sw_btf_find_funcs(b.out, b.len, names, ids, 3), -EINVAL);
	/* A kind this walk does not know (a newer kernel's). */
	memset(&b, 0, sizeof(b));
	type(&b, "int", BTF_KIND_INT, 0, 0);
	b.tlen += sizeof(__u32);
	type(&b, "new", 31, 0, 0);
	type(&b, "tcp_connect", BTF_KIND_FUNC, 0, 0);
	finish(&b);
	assert_int_equal(sw_btf_find_funcs(b.out, b.len, names, ids, 3), -EINVAL);
	/* A vlen running past the type section. */
	memset(&b, 0, sizeof(b));
	type(&b, "s", BTF_KIND_STRUCT, 0, 0);
	((struct btf_type *)b.types)->info = INFO(BTF_KIND_STRUCT, 1000);
	finish(&b);
	assert_int_equal(sw_btf_find_funcs(b.out, b.len, names, ids, 3), -EINVAL);
}

/* The running kernel's BTF: the same ids as libbpf's full parse. */
static void test_vmlinux(void **state)
{
	static const char *const funcs[] = { "tcp_connect", "inet_csk_accept", "tcp_v4_connect",
					     "sw_no_such_function" };
	__s32 ids[4];
	struct btf *btf;

	if (access("/sys/kernel/btf/vmlinux", R_OK))
		skip();
	btf = btf__load_vmlinux_btf();
	assert_non_null(btf);
	assert_int_equal(sw_vmlinux_find_funcs(funcs, ids, 4), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(ids[i], btf__find_by_name_kind(btf, funcs[i], BTF_KIND_FUNC));
	assert_true(ids[0] > 0);
	assert_int_equal(ids[3], 0);
	btf__free(btf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_bad_data),
		cmocka_unit_test(test_vmlinux),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
