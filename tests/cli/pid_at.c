// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pid_at PID PROGRAM [ARG...]: runs PROGRAM as process PID of this PID
 * namespace (clone3() with set_tid: root, Linux 5.5+) and waits for it; a
 * reused pid made on purpose, without forking through the whole pid space.
 * Exits with the program's status, or 125 if PID could not be had
 * (EEXIST: a process has it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct clone_args ca;
	pid_t want, pid;
	int st;

	if (argc < 3) {
		fprintf(stderr, "usage: pid_at PID PROGRAM [ARG...]\n");
		return 2;
	}
	want = atoi(argv[1]);
	memset(&ca, 0, sizeof(ca));
	ca.exit_signal = SIGCHLD;
	ca.set_tid = (uint64_t)(uintptr_t)&want;
	ca.set_tid_size = 1;
	pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid < 0) {
		fprintf(stderr, "pid_at: clone3 with pid %d: %s\n", (int)want, strerror(errno));
		return 125;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid)
		return 125;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
