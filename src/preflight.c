// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Checks made before loading anything: privileges, kernel BTF, tracefs. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <bpf/btf.h>

#include "preflight.h"

bool sw_has_cap(int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1u << (cap % 32));
}

int sw_caps_verdict(bool root, bool admin, bool bpf, bool perfmon, char *err, size_t errlen)
{
	const char *missing = "CAP_BPF and CAP_PERFMON";

	if (admin || (bpf && perfmon))
		return 0;
	if (bpf)
		missing = "CAP_PERFMON";
	else if (perfmon)
		missing = "CAP_BPF";
	/* sudo cannot help a root whose capabilities were taken away (a container) */
	if (root)
		snprintf(
			err, errlen,
			"permission denied: sockwatch runs as root but without CAP_BPF and "
			"CAP_PERFMON (or CAP_SYS_ADMIN), as in an unprivileged container; missing: "
			"%s (grant them, e.g. docker run --cap-add BPF --cap-add PERFMON, or run "
			"it on the host)",
			missing);
	else
		snprintf(err, errlen,
			 "permission denied: sockwatch needs root, or CAP_BPF and CAP_PERFMON; "
			 "missing: %s (run with sudo)",
			 missing);
	return -EPERM;
}

int sw_check_privileges(char *err, size_t errlen)
{
	return sw_caps_verdict(geteuid() == 0, sw_has_cap(CAP_SYS_ADMIN), sw_has_cap(CAP_BPF),
			       sw_has_cap(CAP_PERFMON), err, errlen);
}

bool sw_fd_exhausted(int e)
{
	return e == -EMFILE || e == -ENFILE;
}

int sw_fd_limit_error(int e, char *err, size_t errlen)
{
	struct rlimit rl = {};
	unsigned long long need = SW_NOFILE_MIN;

	if (e == -ENFILE) {
		snprintf(err, errlen,
			 "too many open files in the system (ENFILE): the kernel's file table is "
			 "full (fs.file-max)");
		return e;
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	/* the limit was enough to start: more namespaces or outputs than usual */
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= need)
		need = 2 * rl.rlim_cur;
	snprintf(err, errlen, "too many open files: raise ulimit -n to at least %llu (it is %llu)",
		 need, (unsigned long long)rl.rlim_cur);
	return -EMFILE;
}

void sw_raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int sw_check_nofile(char *err, size_t errlen)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= SW_NOFILE_MIN)
		return 0;
	return sw_fd_limit_error(-EMFILE, err, errlen);
}

int sw_btf_check_path(const char *path, char *err, size_t errlen)
{
	struct stat st;
	struct btf *btf;
	int e;

	if (stat(path, &st) && errno == ENOENT) {
		snprintf(err, errlen,
			 "kernel BTF not found (%s): sockwatch needs a kernel >= 5.8 built with "
			 "CONFIG_DEBUG_INFO_BTF=y",
			 path);
		return -ENOENT;
	}
	/*
	 * Read and parsed as libbpf will to load the programs (raw BTF, as sysfs
	 * has it; no ELF attempt that would print a libbpf warning): access() is
	 * no proof.
	 */
	btf = btf__parse_raw(path);
	if (btf) {
		btf__free(btf);
		return 0;
	}
	e = errno ? -errno : -EINVAL;
	if (e == -EMFILE || e == -ENFILE)
		return e; /* no verdict on the BTF: the caller names the limit */
	snprintf(err, errlen,
		 "kernel BTF at %s cannot be read or parsed: %s; sockwatch needs the running "
		 "kernel's BTF there: check that nothing is mounted over it (findmnt %s) and "
		 "that /sys is sysfs",
		 path, !stat(path, &st) && !st.st_size ? "the file is empty" : strerror(-e), path);
	return -EINVAL;
}

int sw_btf_check(char *err, size_t errlen)
{
	static int verdict = 1; /* not checked yet: parsing costs ~20 ms */
	static char msg[512];
	int e;

	if (verdict > 0) {
		verdict = sw_btf_check_path(SW_VMLINUX_BTF, msg, sizeof(msg));
		if (sw_fd_exhausted(verdict)) {
			e = verdict;
			verdict = 1; /* no verdict: checked again next time */
			return sw_fd_limit_error(e, err, errlen);
		}
	}
	if (verdict)
		snprintf(err, errlen, "%s", msg);
	return verdict;
}

int sw_preflight(char *err, size_t errlen)
{
	int e = sw_check_privileges(err, errlen);

	if (e)
		return e;
	e = sw_check_nofile(err, errlen);
	if (e)
		return e;
	return sw_btf_check(err, errlen);
}

/* Writes the reason for a failed check into why (if there is one). */
__attribute__((format(printf, 3, 4))) static void say(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	if (!why || !n)
		return;
	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
}

int sw_tracefs_ready(char *why, size_t n)
{
	struct statfs fs;
	struct stat st;
	int e;

	say(why, n, "%s", "");
	if (!stat(SW_TRACEFS "/events/syscalls", &st))
		return 0;
	e = errno;
	if (!stat("/sys/kernel/debug/tracing/events/syscalls", &st))
		return 0;
	if (e == EACCES) {
		say(why, n,
		    "tracefs at " SW_TRACEFS " is not readable by this user (it is root's alone "
		    "unless mounted otherwise; CAP_DAC_READ_SEARCH can read it)");
		return -EACCES;
	}
	if (stat(SW_TRACEFS, &st)) {
		say(why, n, "no tracefs (" SW_TRACEFS " does not exist)");
		return -ENOENT;
	}
	/*
	 * Not mounted: sockwatch leaves the mount table as it found it (a
	 * mount made here would outlive a run that is killed), and the accept
	 * exits go on sys_exit instead (docs/attach-modes.md).
	 */
	if (statfs(SW_TRACEFS, &fs) || fs.f_type != TRACEFS_MAGIC) {
		say(why, n,
		    "tracefs is not mounted at " SW_TRACEFS " (sockwatch does not mount it; "
		    "'mount -t tracefs tracefs " SW_TRACEFS "' makes them available)");
		return -ENOENT;
	}
	say(why, n, "tracefs has no syscall tracepoints (a kernel without CONFIG_FTRACE_SYSCALLS)");
	return -ENOENT;
}
