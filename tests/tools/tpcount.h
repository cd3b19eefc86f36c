/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The tpcount oracle (tests/tools/tpcount.bpf.c) as a small library for the tests. */
#ifndef SW_TPCOUNT_H
#define SW_TPCOUNT_H

#include <linux/types.h>

struct tpcount;

/* Loads and attaches the oracle for one namespace (0: all); -errno on failure. */
int tpcount_open(__u32 netns, struct tpcount **out);
/* Transitions old->new delivered so far (old or new < 0: any). */
__u64 tpcount_get(const struct tpcount *t, int oldstate, int newstate);
/* recursion_misses of the oracle program (runs the kernel skipped and counted). */
__u64 tpcount_misses(const struct tpcount *t);
/* Canary connections until the oracle sees all three call sites: ms taken, or -errno. */
int tpcount_wait_delivery(struct tpcount *t, int timeout_ms, int *connections);
/* CLOCK_MONOTONIC ns of the first and last transition counted (0: none). */
void tpcount_span(const struct tpcount *t, __u64 *first, __u64 *last);
/* Diagnostics: count transitions of one port in any namespace, print them. */
void tpcount_set_port(struct tpcount *t, __u16 port);
void tpcount_print_port(const struct tpcount *t);
void tpcount_close(struct tpcount *t);

#endif /* SW_TPCOUNT_H */
