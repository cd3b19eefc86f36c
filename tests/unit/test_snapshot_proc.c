// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of the /proc owner lookup: fd link and status parsing, and a walk over a fake /proc tree. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "snapshot_proc.h"

static void test_socket_links(void **state)
{
	__u64 ino = 0;

	assert_int_equal(sw_proc_socket_inode("socket:[12345]", &ino), 0);
	assert_int_equal(ino, 12345);
	assert_int_equal(sw_proc_socket_inode("socket:[4294967296]", &ino), 0);
	assert_true(ino == 4294967296ULL);
	assert_int_equal(sw_proc_socket_inode("pipe:[12345]", &ino), -EINVAL);
	assert_int_equal(sw_proc_socket_inode("anon_inode:[eventpoll]", &ino), -EINVAL);
	assert_int_equal(sw_proc_socket_inode("/dev/null", &ino), -EINVAL);
	assert_int_equal(sw_proc_socket_inode("socket:[]", &ino), -EINVAL);
	assert_int_equal(sw_proc_socket_inode("socket:[12", &ino), -EINVAL);
	assert_int_equal(sw_proc_socket_inode("socket:[12]x", &ino), -EINVAL);
	assert_int_equal(sw_proc_socket_inode("socket:[-1]", &ino), -EINVAL);
	assert_int_equal(sw_proc_socket_inode("socket:[99999999999999999999999]", &ino), -EINVAL);
	assert_int_equal(sw_proc_socket_inode("/tmp/socket:[1]", &ino), -EINVAL);
	assert_int_equal(ino, 4294967296ULL);
}

static void test_status_euid(void **state)
{
	__u32 uid = 7;

	assert_int_equal(sw_proc_status_euid("Name:\tnginx\nUmask:\t0022\nState:\tS (sleeping)\n"
					     "Uid:\t0\t33\t0\t33\nGid:\t0\t33\t0\t33\n",
					     &uid),
			 0);
	assert_int_equal(uid, 33);
	assert_int_equal(sw_proc_status_euid("Uid:\t1000\t4294967294\t1000\t1000\n", &uid), 0);
	assert_int_equal(uid, 4294967294u);
	/* A name holding "Uid:" is not the Uid line: only a line start counts. */
	assert_int_equal(sw_proc_status_euid("Name:\tUid:\t5\t5\nUid:\t1\t2\t3\t4\n", &uid), 0);
	assert_int_equal(uid, 2);
	assert_int_equal(sw_proc_status_euid("Name:\tx\n", &uid), -ENOENT);
	assert_int_equal(sw_proc_status_euid("Uid:\t1\n", &uid), -EINVAL);
	assert_int_equal(sw_proc_status_euid("Uid:\t1\t4294967296\t1\t1\n", &uid), -EINVAL);
	assert_int_equal(sw_proc_status_euid("Uid:\tx\t1\n", &uid), -EINVAL);
	assert_int_equal(uid, 2);
}

/* A fake /proc: each process with comm, status and fd links. */
static char root[64];

static void put_file(const char *rel, const char *text, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

static void put_dir(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static void put_link(const char *rel, const char *target)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(symlink(target, path), 0);
}

static void put_proc(const char *pid, const char *comm, size_t commlen, unsigned int euid)
{
	char rel[64], status[128];

	put_dir(pid);
	snprintf(rel, sizeof(rel), "%s/fd", pid);
	put_dir(rel);
	snprintf(rel, sizeof(rel), "%s/comm", pid);
	put_file(rel, comm, commlen);
	snprintf(rel, sizeof(rel), "%s/status", pid);
	snprintf(status, sizeof(status), "Name:\tx\nUid:\t0\t%u\t0\t0\nGid:\t0\t0\t0\t0\n", euid);
	put_file(rel, status, strlen(status));
}

static int by_pid_fd(const void *a, const void *b)
{
	const struct sw_snap_owner *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->fd < y->fd ? -1 : x->fd > y->fd;
}

static void test_walk(void **state)
{
	struct sw_inode_cookie map[] = {
		{ 502, 0xbbbb },
		{ 500, 0xaaaa },
		{ 9000000000ULL, 0xcccc },
	};
	struct sw_proc_owners o = {};
	char cmd[128];

	snprintf(root, sizeof(root), "/tmp/sw_fakeproc.XXXXXX");
	assert_non_null(mkdtemp(root));
	put_proc("100", "srv\n", 4, 1000);
	put_link("100/fd/3", "socket:[500]");
	put_link("100/fd/4", "socket:[501]"); /* a socket that is not TCP: not in the map */
	put_link("100/fd/5", "/dev/null");
	put_link("100/fd/6", "pipe:[500]");
	put_link("100/fd/10", "socket:[9000000000]");
	/* The same socket in a child after fork; a comm holding a newline. */
	put_proc("200", "a\nb\n", 4, 0);
	put_link("200/fd/7", "socket:[500]");
	/* A 15-byte comm, and a comm with an escape sequence, kept raw. */
	put_proc("300", "abcdefghijklmno\n", 16, 33);
	put_link("300/fd/9", "socket:[502]");
	put_proc("301", "\x1b[2Jx\n", 6, 33);
	put_link("301/fd/1", "socket:[502]");
	/* A process that exited between readdir and reading it: no fd dir. */
	put_dir("400");
	/* One that exited while its descriptors were read: no status (its comm
	 * and uid would have been "" and 0), so it owns nothing. */
	put_proc("500", "gone\n", 5, 0);
	put_link("500/fd/3", "socket:[500]");
	put_file("500/status", "", 0);
	/* Not processes. */
	put_dir("self");
	put_dir("sys");
	put_dir("0");

	sw_inode_map_sort(map, 3);
	assert_true(map[0].inode == 500 && map[1].inode == 502);
	assert_int_equal(sw_proc_owners(root, map, 3, &o), 0);
	assert_int_equal(o.n, 5);
	qsort(o.v, o.n, sizeof(*o.v), by_pid_fd);

	assert_int_equal(o.v[0].pid, 100);
	assert_int_equal(o.v[0].fd, 3);
	assert_int_equal(o.v[0].cookie, 0xaaaa);
	assert_int_equal(o.v[0].uid, 1000);
	assert_int_equal(o.v[0].skptr, 0);
	assert_string_equal(o.v[0].comm, "srv");
	assert_int_equal(o.v[1].pid, 100);
	assert_int_equal(o.v[1].fd, 10);
	assert_int_equal(o.v[1].cookie, 0xcccc);

	assert_int_equal(o.v[2].pid, 200);
	assert_int_equal(o.v[2].fd, 7);
	assert_int_equal(o.v[2].cookie, 0xaaaa);
	assert_int_equal(o.v[2].uid, 0);
	assert_string_equal(o.v[2].comm, "a\nb");

	assert_int_equal(o.v[3].pid, 300);
	assert_int_equal(o.v[3].cookie, 0xbbbb);
	assert_int_equal(o.v[3].uid, 33);
	assert_memory_equal(o.v[3].comm, "abcdefghijklmno", 16);
	assert_int_equal(o.v[4].pid, 301);
	assert_string_equal(o.v[4].comm, "\x1b[2Jx");

	sw_proc_owners_free(&o);
	/* No wanted inodes: nothing, and no process needs reading. */
	assert_int_equal(sw_proc_owners(root, map, 0, &o), 0);
	assert_int_equal(o.n, 0);
	sw_proc_owners_free(&o);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(sw_proc_owners(root, map, 3, &o), -ENOENT);
}

/* An MPTCP socket's subflows share its inode: its one descriptor owns each of them. */
static void test_shared_inode(void **state)
{
	struct sw_inode_cookie map[] = {
		{ 700, 0x11 }, { 600, 0x01 }, { 700, 0x12 }, { 800, 0x21 }, { 700, 0x13 },
	};
	struct sw_proc_owners o = {};
	__u64 seen = 0;
	char cmd[128];

	snprintf(root, sizeof(root), "/tmp/sw_fakeproc.XXXXXX");
	assert_non_null(mkdtemp(root));
	put_proc("100", "mptcp\n", 6, 0);
	put_link("100/fd/4", "socket:[700]");
	sw_inode_map_sort(map, 5);
	assert_int_equal(sw_proc_owners(root, map, 5, &o), 0);
	assert_int_equal(o.n, 3);
	for (size_t i = 0; i < o.n; i++) {
		assert_int_equal(o.v[i].pid, 100);
		assert_int_equal(o.v[i].fd, 4);
		assert_true(o.v[i].cookie >= 0x11 && o.v[i].cookie <= 0x13);
		seen |= 1ULL << (o.v[i].cookie - 0x11);
	}
	assert_int_equal(seen, 7);
	sw_proc_owners_free(&o);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_socket_links),
		cmocka_unit_test(test_status_euid),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_shared_inode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
