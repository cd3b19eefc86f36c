/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* i386 syscalls from a 64-bit test (int 0x80), for the tests of 32-bit programs' calls. */
#ifndef SW_ITEST_IA32_H
#define SW_ITEST_IA32_H

#define NR32_SOCKETCALL 102
#define NR32_LISTEN 363
#define NR32_ACCEPT4 364

/*
 * An i386 syscall; int 0x80 from 64-bit code clears r8-r11 on the way out.
 * Where the kernel runs no 32-bit syscalls, it kills the caller (SIGSEGV).
 */
static inline long ia32_call(long nr, long a, long b, long c, long d)
{
	long ret;

	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

#endif /* SW_ITEST_IA32_H */
