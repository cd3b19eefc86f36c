// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Probing the kernel's compat syscall ABIs by making one call in each. */
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "abi.h"

#define ABI_BITS (SW_ABI_IA32 | SW_ABI_X32 | SW_ABI_ASSUMED)

#if defined(__x86_64__)

#define IA32_NR_GETPID 20
#define X32_SYSCALL_BIT 0x40000000L
#define PROBED 0x10 /* in the child's exit status: PROBED | SW_ABI_* */

static volatile sig_atomic_t probe_abis;

/* int 0x80 where the kernel has no 32-bit syscalls: a general protection fault. */
static void probe_fault(int sig)
{
	(void)sig;
	_exit(PROBED | probe_abis);
}

/*
 * In a child: getpid() with the x32 bit, then through int 0x80. A kernel
 * without x32 says ENOSYS, one without 32-bit syscalls faults on int 0x80
 * (SIGSEGV, caught here); a call that returns anything else was refused by
 * a seccomp filter, which tells nothing about the kernel. No core dump is
 * made either way.
 */
static void probe_child(void)
{
	struct sigaction sa = { .sa_handler = probe_fault };
	pid_t self = getpid();
	long ret;

	prctl(PR_SET_DUMPABLE, 0);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	ret = syscall(X32_SYSCALL_BIT | SYS_getpid);
	if (ret == self)
		probe_abis = SW_ABI_X32;
	else if (errno != ENOSYS)
		probe_abis = SW_ABI_X32 | SW_ABI_ASSUMED;
	/* last: where it faults, the handler exits with what is known */
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"((long)IA32_NR_GETPID)
			 : "memory", "r8", "r9", "r10", "r11");
	if (ret == self)
		probe_abis |= SW_ABI_IA32;
	else
		probe_abis |= SW_ABI_IA32 | SW_ABI_ASSUMED;
	_exit(PROBED | probe_abis);
}

unsigned int sw_compat_abis_probe(void)
{
	pid_t pid = fork();
	int st;

	if (pid == 0)
		probe_child();
	if (pid < 0)
		return SW_ABI_IA32 | SW_ABI_X32 | SW_ABI_ASSUMED;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return SW_ABI_IA32 | SW_ABI_X32 | SW_ABI_ASSUMED;
	if (WIFEXITED(st) && (WEXITSTATUS(st) & PROBED))
		return WEXITSTATUS(st) & ABI_BITS;
	/* killed (a seccomp filter's SIGSYS): nothing known */
	return SW_ABI_IA32 | SW_ABI_X32 | SW_ABI_ASSUMED;
}

#else

unsigned int sw_compat_abis_probe(void)
{
	return 0;
}

#endif

unsigned int sw_compat_abis(void)
{
	static int abis = -1;

	if (abis < 0)
		abis = sw_compat_abis_probe();
	return abis;
}

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

const char *sw_compat_abis_note(unsigned int abis)
{
	return abis & SW_ABI_ASSUMED ? " (assumed: a sandbox kept sockwatch's probe from telling)" :
				       "";
}
