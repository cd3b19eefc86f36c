// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Finding kernel functions' BTF ids by walking raw vmlinux BTF once, without parsing and indexing all of it. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/btf.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "btf_scan.h"

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"

/* Bytes that follow a struct btf_type of this kind; -1 for a kind we do not know. */
static long extra_bytes(__u32 kind, __u32 vlen)
{
	switch (kind) {
	case BTF_KIND_INT:
		return sizeof(__u32);
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return (long)vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return (long)vlen * sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO:
		return (long)vlen * sizeof(struct btf_param);
	case BTF_KIND_VAR:
		return sizeof(struct btf_var);
	case BTF_KIND_DATASEC:
		return (long)vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_DECL_TAG:
		return sizeof(struct btf_decl_tag);
	case BTF_KIND_ENUM64:
		return (long)vlen * sizeof(struct btf_enum64);
	default:
		return -1;
	}
}

int sw_btf_find_funcs(const void *data, size_t size, const char *const *names, __s32 *ids, size_t n)
{
	const char *base = data, *types, *strs;
	struct btf_header h;
	size_t off, left = n;
	__s32 id = 1;

	for (size_t i = 0; i < n; i++)
		ids[i] = 0;
	if (size < sizeof(h))
		return -EINVAL;
	memcpy(&h, base, sizeof(h));
	if (h.magic != BTF_MAGIC || h.hdr_len < sizeof(h) || h.hdr_len > size ||
	    (size_t)h.type_off + h.type_len > size - h.hdr_len ||
	    (size_t)h.str_off + h.str_len > size - h.hdr_len || !h.str_len)
		return -EINVAL;
	types = base + h.hdr_len + h.type_off;
	strs = base + h.hdr_len + h.str_off;
	for (off = 0; off < h.type_len && left; id++) {
		struct btf_type t;
		long extra;

		if (h.type_len - off < sizeof(t))
			return -EINVAL;
		memcpy(&t, types + off, sizeof(t));
		extra = extra_bytes(BTF_INFO_KIND(t.info), BTF_INFO_VLEN(t.info));
		if (extra < 0 || (size_t)extra > h.type_len - off - sizeof(t))
			return -EINVAL;
		off += sizeof(t) + (size_t)extra;
		if (BTF_INFO_KIND(t.info) != BTF_KIND_FUNC || t.name_off >= h.str_len)
			continue;
		for (size_t i = 0; i < n; i++) {
			const char *name = strs + t.name_off;

			if (!ids[i] &&
			    strnlen(name, h.str_len - t.name_off) < h.str_len - t.name_off &&
			    !strcmp(name, names[i])) {
				ids[i] = id;
				left--;
			}
		}
	}
	return 0;
}

/* The whole file in fresh memory, where it cannot be mapped. */
static void *read_all(int fd, size_t size)
{
	char *p = malloc(size ? size : 1);
	size_t got = 0;
	ssize_t r;

	if (!p)
		return NULL;
	while (got < size) {
		r = read(fd, p + got, size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(p);
			errno = r ? errno : EIO;
			return NULL;
		}
		got += r;
	}
	return p;
}

int sw_vmlinux_find_funcs(const char *const *names, __s32 *ids, size_t n)
{
	struct stat st;
	void *data;
	bool mapped = true;
	int fd, e;

	fd = open(VMLINUX_BTF, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		e = -errno;
		close(fd);
		return e;
	}
	/* Mapped, the kernel's copy is read in place: no 5 MiB of fresh pages. */
	data = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (data == MAP_FAILED) {
		mapped = false;
		data = read_all(fd, st.st_size);
	}
	e = data ? 0 : -errno;
	close(fd);
	if (e)
		return e;
	e = sw_btf_find_funcs(data, st.st_size, names, ids, n);
	if (mapped)
		munmap(data, st.st_size);
	else
		free(data);
	return e;
}
