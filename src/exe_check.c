// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Whether the executable path /proc gave for a process names the program that acted. */
#include <stdbool.h>
#include <string.h>

#include "exe_check.h"

#define DELETED " (deleted)"

/*
 * The kernel's readlink of /proc/PID/exe for a program deleted (or replaced
 * by a rename over it) since it started: "PATH (deleted)". That names no
 * program the process was started as, even where a file of that very name
 * exists, however it came there (a hard link made before the delete is the
 * same file): a mismatch, as documented, without looking.
 */
static bool deleted(const char *exe)
{
	size_t n = strlen(exe), d = sizeof(DELETED) - 1;

	return n >= d && !strcmp(exe + n - d, DELETED);
}

enum sw_exe_check sw_exe_check(const struct sw_procinfo *pi, __u64 ino, __u32 mnt_id)
{
	struct sw_file_id here;

	if (!(pi->have & SW_PI_EXE) || !pi->exe_id.ino || pi->exe[0] != '/')
		return SW_EXE_UNKNOWN;
	if (ino && (ino != pi->exe_id.ino || mnt_id != pi->exe_id.mnt_id))
		return SW_EXE_CHANGED;
	/* deleted, or cut to fit (what a file at the shorter path is says nothing) */
	if (deleted(pi->exe) || strlen(pi->exe) >= sizeof(pi->exe) - 1)
		return SW_EXE_MISMATCH;
	/* The path as this process resolves it: another mount namespace may not agree. */
	if (sw_file_id_of(pi->exe, &here) || here.ino != pi->exe_id.ino ||
	    here.dev != pi->exe_id.dev)
		return SW_EXE_MISMATCH;
	return SW_EXE_OK;
}

const char *sw_exe_check_name(enum sw_exe_check c)
{
	switch (c) {
	case SW_EXE_OK:
		return "ok";
	case SW_EXE_CHANGED:
		return "changed";
	case SW_EXE_MISMATCH:
		return "mismatch";
	case SW_EXE_UNKNOWN:
		break;
	}
	return NULL;
}
