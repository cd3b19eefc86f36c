// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test helper: socks_map lose|count TRACER_PID OWNER_PID, on the entries
 * owned by OWNER_PID in the `socks` map of the sockwatch process TRACER_PID.
 * lose points each at an address that holds no socket: what a CLOSE
 * transition the kernel never delivered to the hooks leaves behind
 * (docs/attach-modes.md), while the sockets stay open and send nothing;
 * only the socket-map sweep can then report their closes. count only counts
 * them. Prints how many; exits 1 if there are none.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <sys/syscall.h>

#include "sockwatch.h"

static long sys_bpf(int cmd, union bpf_attr *a)
{
	return syscall(__NR_bpf, cmd, a, sizeof(*a));
}

/* A copy of TRACER_PID's descriptor of the map named socks, or -1. */
static int socks_map(int pid)
{
	char path[64];
	struct dirent *d;
	int pidfd, fd = -1;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	dir = opendir(path);
	if (pidfd < 0 || !dir)
		goto out;
	while (fd < 0 && (d = readdir(dir))) {
		struct bpf_map_info info = {};
		union bpf_attr a = {};
		int f = (int)syscall(SYS_pidfd_getfd, pidfd, atoi(d->d_name), 0);

		if (f < 0)
			continue;
		a.info.bpf_fd = (__u32)f;
		a.info.info_len = sizeof(info);
		a.info.info = (__u64)(unsigned long)&info;
		if (!sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a) && !strcmp(info.name, "socks") &&
		    info.value_size == sizeof(struct sw_sock))
			fd = f;
		else
			close(f);
	}
out:
	if (dir)
		closedir(dir);
	if (pidfd >= 0)
		close(pidfd);
	return fd;
}

int main(int argc, char **argv)
{
	__u64 key, next, *prev = NULL;
	struct sw_sock s;
	union bpf_attr a;
	__u32 owner;
	int fd, n = 0;
	bool lose;

	if (argc != 4 || (strcmp(argv[1], "lose") && strcmp(argv[1], "count"))) {
		fprintf(stderr, "usage: %s lose|count TRACER_PID OWNER_PID\n", argv[0]);
		return 2;
	}
	lose = !strcmp(argv[1], "lose");
	owner = (__u32)atoi(argv[3]);
	fd = socks_map(atoi(argv[2]));
	if (fd < 0) {
		fprintf(stderr, "socks_map: no socks map in process %s\n", argv[2]);
		return 1;
	}
	for (;;) {
		memset(&a, 0, sizeof(a));
		a.map_fd = (__u32)fd;
		a.key = (__u64)(unsigned long)prev;
		a.next_key = (__u64)(unsigned long)&next;
		if (sys_bpf(BPF_MAP_GET_NEXT_KEY, &a))
			break;
		key = next;
		prev = &key;
		memset(&a, 0, sizeof(a));
		a.map_fd = (__u32)fd;
		a.key = (__u64)(unsigned long)&key;
		a.value = (__u64)(unsigned long)&s;
		if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &a) || s.pid != owner)
			continue;
		if (!lose) {
			n++;
			continue;
		}
		/* a kernel address no socket can be at: the sweep's reads fail there */
		s.skptr = 8;
		a.flags = BPF_EXIST;
		if (!sys_bpf(BPF_MAP_UPDATE_ELEM, &a))
			n++;
	}
	close(fd);
	printf("%d\n", n);
	return n ? 0 : 1;
}
