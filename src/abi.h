/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Which system-call ABIs besides the native 64-bit one this kernel runs. */
#ifndef SW_ABI_H
#define SW_ABI_H

#define SW_ABI_IA32 0x1 /* 32-bit x86 programs (int 0x80, sysenter, syscall from 32-bit code) */
#define SW_ABI_X32 0x2 /* x32: 64-bit registers, 32-bit pointers, numbers with bit 30 set */
#define SW_ABI_ASSUMED 0x4 /* a sandbox kept the probe from telling: the ABIs set are assumed */

/*
 * SW_ABI_* bits of the ABIs the kernel runs, probed once per process: a
 * kernel built with them may still refuse them at boot (ia32_emulation=0,
 * syscall.x32=n). Their syscalls pass the sys_exit raw tracepoint but not
 * the syscall tracepoints, which skip every call that is not native. The
 * probe makes one call of each kind in a child; where a seccomp filter
 * refuses or kills it (systemd's SystemCallArchitectures=native, say),
 * sockwatch's own sandbox says nothing about other programs' ABIs, so that
 * ABI is assumed to run (SW_ABI_ASSUMED).
 */
unsigned int sw_compat_abis(void);
/* The same, probed anew (for tests). */
unsigned int sw_compat_abis_probe(void);

/* "ia32 and x32", "ia32", "x32" or "none". */
const char *sw_compat_abis_name(unsigned int abis);
/* " (assumed: ...)" for SW_ABI_ASSUMED, else "": to follow a sentence naming them. */
const char *sw_compat_abis_note(unsigned int abis);

#endif /* SW_ABI_H */
