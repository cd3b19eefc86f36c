/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Checks made before loading anything: privileges, kernel BTF, tracefs. */
#ifndef SW_PREFLIGHT_H
#define SW_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/capability.h>

/* Older kernel headers predate these two (Linux 5.8). */
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

#define SW_TRACEFS "/sys/kernel/tracing"
#define SW_VMLINUX_BTF "/sys/kernel/btf/vmlinux"

/*
 * File descriptors a run needs at least (the BPF objects' maps, programs and
 * links while the modes are tried, the kernel BTF, the snapshot's iterators,
 * a few outputs): about 40 measured on 6.18 in tracepoint mode, so 128 leaves
 * room for the other modes and kernels (README, Requirements).
 */
#define SW_NOFILE_MIN 128

/* Whether -errno e says no file descriptor could be had (EMFILE, ENFILE): never a verdict. */
bool sw_fd_exhausted(int e);
/*
 * "too many open files: raise ulimit -n to at least N (it is M)" (or the
 * system's table for ENFILE) into err; returns e (-EMFILE or -ENFILE).
 */
int sw_fd_limit_error(int e, char *err, size_t errlen);
/* Raises the soft RLIMIT_NOFILE to the hard one (at start, before anything is opened). */
void sw_raise_nofile(void);
/* 0, or sw_fd_limit_error() if the soft RLIMIT_NOFILE is below SW_NOFILE_MIN. */
int sw_check_nofile(char *err, size_t errlen);

/* Capabilities held in the effective set. */
bool sw_has_cap(int cap);
/*
 * Whether these effective capabilities can trace: 0, or -EPERM with err
 * naming the ones missing (CAP_BPF, CAP_PERFMON; CAP_SYS_ADMIN alone will do)
 * and what to do: sudo, or for root (euid 0) without them, as in an
 * unprivileged container, granting them.
 */
int sw_caps_verdict(bool root, bool admin, bool bpf, bool perfmon, char *err, size_t errlen);
/* sw_caps_verdict() for this process. */
int sw_check_privileges(char *err, size_t errlen);
/*
 * Whether the kernel BTF at path can be read and parsed (as libbpf will to
 * load the programs): 0; -ENOENT if it is missing; -EINVAL if it cannot be
 * read or parsed (err says why and what to check); -EMFILE/-ENFILE, err
 * untouched, when no file could be opened to tell.
 */
int sw_btf_check_path(const char *path, char *err, size_t errlen);
/* sw_btf_check_path() on SW_VMLINUX_BTF, once per process (~20 ms); err says why. */
int sw_btf_check(char *err, size_t errlen);
/* sw_check_privileges(), sw_check_nofile(), then sw_btf_check(); err says which failed. */
int sw_preflight(char *err, size_t errlen);
/*
 * 0 if syscall tracepoints can be resolved, else -errno, and why (if not
 * NULL) says what stops it: tracefs not readable by this user (-EACCES), not
 * mounted (sockwatch never mounts it), absent, or without syscall tracepoints.
 */
int sw_tracefs_ready(char *why, size_t n);

#endif /* SW_PREFLIGHT_H */
