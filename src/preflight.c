// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Checks made before loading anything: privileges, kernel BTF, tracefs. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "preflight.h"

bool sw_has_cap(int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1u << (cap % 32));
}

int sw_preflight(char *err, size_t errlen)
{
	bool admin = sw_has_cap(CAP_SYS_ADMIN);

	if (!admin && !(sw_has_cap(CAP_BPF) && sw_has_cap(CAP_PERFMON))) {
		snprintf(err, errlen,
			 "permission denied: tracing needs root, or CAP_BPF and CAP_PERFMON "
			 "(run with sudo)");
		return -EPERM;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		snprintf(err, errlen,
			 "kernel BTF not found (/sys/kernel/btf/vmlinux): sockwatch needs a kernel "
			 ">= 5.8 built with CONFIG_DEBUG_INFO_BTF=y");
		return -ENOENT;
	}
	return 0;
}

int sw_tracefs_ready(void)
{
	struct stat st;

	if (!stat(SW_TRACEFS "/events/syscalls", &st) ||
	    !stat("/sys/kernel/debug/tracing/events/syscalls", &st))
		return 0;
	if (stat(SW_TRACEFS, &st))
		return -ENOENT;
	if (mount("tracefs", SW_TRACEFS, "tracefs", 0, NULL) && errno != EBUSY)
		return -errno;
	return stat(SW_TRACEFS "/events/syscalls", &st) ? -ENOENT : 0;
}
