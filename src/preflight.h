/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Checks made before loading anything: privileges, kernel BTF, tracefs. */
#ifndef SW_PREFLIGHT_H
#define SW_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>

#define SW_TRACEFS "/sys/kernel/tracing"

/* Capabilities held in the effective set. */
bool sw_has_cap(int cap);
/* -EPERM without root/CAP_BPF+CAP_PERFMON, -ENOENT without kernel BTF; err says which. */
int sw_preflight(char *err, size_t errlen);
/* 0 if syscall tracepoints can be resolved (mounting tracefs if needed), else -errno. */
int sw_tracefs_ready(void);

#endif /* SW_PREFLIGHT_H */
