/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The socket id that output shows as "cookie": the kernel's socket cookie,
 * or, where the tracer has to key sockets by their kernel address (the raw_tp
 * state hook: kernels before 5.12 give tracing programs no cookie helper), a
 * keyed hash of that address and the socket's birth time. A kernel address
 * must never reach a log: it would tell whoever reads the log where the
 * kernel's heap is (what KASLR hides).
 */
#ifndef SW_SOCKID_H
#define SW_SOCKID_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct sw_event;

/* SipHash-2-4 of msg[0..len) under the 16-byte key (Aumasson and Bernstein, 2012). */
__u64 sw_siphash24(const __u8 key[16], const void *msg, size_t len);

/*
 * The id of a socket keyed by its address addr, born (first seen by the
 * kernel side) at birth_ns, 0 if before the tracer started. Stable for the
 * socket's lifetime and within one process; a later socket at the same
 * address gets another id (another birth). The hash key is random, made
 * once per process.
 */
__u64 sw_sockid_of_addr(__u64 addr, __u64 birth_ns);

/* What an event shows as its socket's id: its cookie, or sw_sockid_of_addr(). */
__u64 sw_event_sockid(const struct sw_event *e);

#endif /* SW_SOCKID_H */
