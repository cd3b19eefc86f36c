/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Cheap checks, before the whole object is loaded, that the kernel accepts an attach mode's hooks. */
#ifndef SW_MODEPROBE_H
#define SW_MODEPROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "sockwatch.h"

/*
 * Whether the kernel accepts mode's connect/accept hooks, decided by the
 * kernel itself and cheaply (no maps, no CO-RE, a few instructions):
 *
 * - fentry: loads an fentry program on tcp_connect and an fexit program on
 *   inet_csk_accept that reads its return value as sw_fexit_accept does
 *   (bpf_get_func_ret(), or before 5.17 after its four arguments), attaches
 *   both, and releases them;
 * - kprobe: whether the kernel can create kprobe events at all (a kprobe PMU
 *   in /sys/bus/event_source/devices, or kprobe_events in tracefs), which is
 *   what attaching any kprobe needs;
 * - tracepoint: always 0 (its hooks are probed by loading the object).
 *
 * Returns -ENOTSUP with the reason in why if the kernel refuses the mode: its
 * object would not load or attach either. 0 if it accepts, or another -errno
 * if the probe itself failed (out of memory, no BTF): load the object to know.
 */
int sw_probe_mode(enum sw_attach_mode mode, char *why, size_t whylen);

/*
 * Whether the kernel has no kprobe PMU (/sys/bus/event_source/devices/kprobe,
 * 4.17+, there whenever kprobe events can be made): then no kprobe can be
 * attached, and the error libbpf's fallback through tracefs's kprobe_events
 * gives (EACCES without root, ENOENT with) says nothing of that.
 */
bool sw_kprobe_pmu_missing(void);

#endif /* SW_MODEPROBE_H */
