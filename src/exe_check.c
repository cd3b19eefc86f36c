// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Whether the executable path /proc gave for a process names the program that acted. */
#include <string.h>

#include "exe_check.h"

enum sw_exe_check sw_exe_check(const struct sw_procinfo *pi, __u64 ino, __u32 mnt_id)
{
	struct sw_file_id here;

	if (!(pi->have & SW_PI_EXE) || !pi->exe_id.ino || pi->exe[0] != '/')
		return SW_EXE_UNKNOWN;
	if (ino && (ino != pi->exe_id.ino || mnt_id != pi->exe_id.mnt_id))
		return SW_EXE_CHANGED;
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
