/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Whether the executable path /proc gave for a process names the program that acted. */
#ifndef SW_EXE_CHECK_H
#define SW_EXE_CHECK_H

#include <linux/types.h>

#include "procinfo.h"

enum sw_exe_check {
	SW_EXE_UNKNOWN, /* no path to check: the process is gone, or a kernel thread */
	SW_EXE_OK, /* the path names, here, the file the process runs (and ran then) */
	SW_EXE_CHANGED, /* the process runs another program than when the kernel saw it */
	SW_EXE_MISMATCH, /* the path names another file here, or none (deleted, other mounts) */
};

/*
 * Checks pi->exe against pi->exe_id (what /proc/PID/exe was when pi was
 * read) and, when ino is not 0, against the executable the kernel side saw
 * when the process acted (sw_event.exe_ino and exe_mnt_id): a process that
 * listens and then exec()s an allowed program, or that runs its own program
 * bind-mounted over an allowed path in a mount namespace of its own, does
 * not get that path trusted.
 */
enum sw_exe_check sw_exe_check(const struct sw_procinfo *pi, __u64 ino, __u32 mnt_id);
/* "ok", "changed", "mismatch"; NULL for SW_EXE_UNKNOWN. */
const char *sw_exe_check_name(enum sw_exe_check c);

#endif /* SW_EXE_CHECK_H */
