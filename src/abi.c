// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Probing the kernel's compat syscall ABIs by making one call in each. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "abi.h"

#if defined(__x86_64__)

#define IA32_NR_GETPID 20
#define X32_SYSCALL_BIT 0x40000000L
#define PROBED 0x10 /* the child's exit status: PROBED | SW_ABI_* */

static volatile sig_atomic_t probe_abis;

static void probe_fault(int sig)
{
	(void)sig;
	_exit(PROBED | probe_abis);
}

/*
 * In a child, getpid() with the x32 bit (ENOSYS without x32) and getpid()
 * through int 0x80: where the kernel runs no 32-bit syscalls the
 * instruction faults (SIGSEGV), which would kill the caller. The child
 * catches that and makes no core dump either way (a seccomp filter may kill
 * it for a foreign call, which counts as "does not run"; what the x32 call
 * found is lost then).
 */
static void probe_child(void)
{
	struct sigaction sa = { .sa_handler = probe_fault };
	long ret;

	prctl(PR_SET_DUMPABLE, 0);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	if (syscall(X32_SYSCALL_BIT | SYS_getpid) == getpid())
		probe_abis = SW_ABI_X32;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"((long)IA32_NR_GETPID) : "memory");
	if (ret == (long)getpid())
		probe_abis |= SW_ABI_IA32;
	_exit(PROBED | probe_abis);
}

unsigned int sw_compat_abis(void)
{
	static int abis = -1;
	pid_t pid;
	int st;

	if (abis >= 0)
		return abis;
	pid = fork();
	if (pid == 0)
		probe_child();
	abis = 0;
	if (pid < 0)
		return abis;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return abis;
	if (WIFEXITED(st) && (WEXITSTATUS(st) & PROBED))
		abis = WEXITSTATUS(st) & (SW_ABI_IA32 | SW_ABI_X32);
	return abis;
}

#else

unsigned int sw_compat_abis(void)
{
	return 0;
}

#endif

const char *sw_compat_abis_name(unsigned int abis)
{
	switch (abis & (SW_ABI_IA32 | SW_ABI_X32)) {
	case SW_ABI_IA32 | SW_ABI_X32:
		return "ia32 and x32";
	case SW_ABI_IA32:
		return "ia32";
	case SW_ABI_X32:
		return "x32";
	default:
		return "none";
	}
}
