// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test helper: runs a program with one syscall failing with EPERM (seccomp),
 * to stand in for a kernel that refuses it: setns(2) (a namespace that cannot
 * be entered), or one bpf(2) command (a program or iterator the kernel refuses).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#else
#error "unsupported architecture"
#endif

#define USAGE "usage: deny_syscall setns|bpf:CMD_NUMBER PROGRAM [ARGS...]\n"

int main(int argc, char **argv)
{
	struct sock_filter f[16];
	struct sock_fprog prog = { .filter = f };
	unsigned long cmd = 0;
	bool by_cmd = false;
	unsigned int n = 0, nr;
	char *end;

	if (argc < 3) {
		fputs(USAGE, stderr);
		return 2;
	}
	if (!strcmp(argv[1], "setns")) {
		nr = __NR_setns;
	} else if (!strncmp(argv[1], "bpf:", 4)) {
		nr = __NR_bpf;
		by_cmd = true;
		cmd = strtoul(argv[1] + 4, &end, 10);
		if (!argv[1][4] || *end) {
			fprintf(stderr, "deny_syscall: bad bpf command '%s'\n", argv[1] + 4);
			return 2;
		}
	} else {
		fputs(USAGE, stderr);
		return 2;
	}
	/* another architecture's calls, other syscalls (and other commands): allowed */
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 0, by_cmd ? 5 : 3);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, by_cmd ? 3 : 1);
	if (by_cmd) {
		f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						      offsetof(struct seccomp_data, args[0]));
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (__u32)cmd, 0, 1);
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	prog.len = n;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		perror("deny_syscall: seccomp");
		return 1;
	}
	execvp(argv[2], argv + 2);
	perror("deny_syscall: exec");
	return 127;
}
