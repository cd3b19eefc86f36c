// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Loader of the tpcount oracle. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "sockwatch.h"

#include "canary.h"
#include "tpcount.h"
#include "tpcount.skel.h"

#define TPC_STATES 16

struct tpcount {
	struct tpcount_bpf *skel;
};

int tpcount_open(__u32 netns, struct tpcount **out)
{
	struct tpcount *t = calloc(1, sizeof(*t));
	int e;

	if (!t)
		return -ENOMEM;
	t->skel = tpcount_bpf__open();
	if (!t->skel) {
		e = -errno;
		goto fail;
	}
	t->skel->rodata->netns = netns;
	e = tpcount_bpf__load(t->skel);
	if (!e)
		e = tpcount_bpf__attach(t->skel);
	if (e) {
		e = e < 0 ? e : -e;
		goto fail;
	}
	*out = t;
	return 0;
fail:
	tpcount_bpf__destroy(t->skel);
	free(t);
	return e ? e : -EINVAL;
}

__u64 tpcount_get(const struct tpcount *t, int oldstate, int newstate)
{
	__u64 n = 0;

	for (int o = 0; o < TPC_STATES; o++)
		for (int s = 0; s < TPC_STATES; s++)
			if ((oldstate < 0 || o == oldstate) && (newstate < 0 || s == newstate))
				n += __atomic_load_n(&t->skel->bss->counts[o * TPC_STATES + s],
						     __ATOMIC_RELAXED);
	return n;
}

__u64 tpcount_misses(const struct tpcount *t)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(bpf_program__fd(t->skel->progs.tpcount), &info, &len))
		return 0;
	return info.recursion_misses;
}

/*
 * Makes canary connections until one of them shows up at all three call
 * sites of the tracepoint (inet_sk_state_store for listen, tcp_set_state
 * for connect, inet_sk_set_state for the accepted child). Returns the
 * milliseconds that took (>= 0) or -errno.
 */
int tpcount_wait_delivery(struct tpcount *t, int timeout_ms, int *connections)
{
	struct sw_canary c;
	struct timespec a, b;
	int e, ms = 0, n = 0, ncpus = libbpf_num_possible_cpus(), cpu = 0;
	__u64 *k = t->skel->bss->canary_counts;

	e = sw_canary_start(&c);
	if (e)
		return e;
	t->skel->bss->canary_ns = c.netns;
	__sync_synchronize();
	clock_gettime(CLOCK_MONOTONIC, &a);
	/* Every CPU in turn, until a connection made on it is seen at all three sites. */
	while (cpu < ncpus) {
		__u64 l0 = k[SW_TCP_CLOSE * TPC_STATES + SW_TCP_LISTEN],
		      c0 = k[SW_TCP_SYN_SENT * TPC_STATES + SW_TCP_ESTABLISHED],
		      s0 = k[SW_TCP_LISTEN * TPC_STATES + SW_TCP_SYN_RECV];

		e = sw_canary_connect(&c, cpu);
		if (e)
			break;
		n++;
		usleep(2000); /* softirq transitions may finish just after */
		clock_gettime(CLOCK_MONOTONIC, &b);
		ms = (int)((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000);
		if (__atomic_load_n(&k[SW_TCP_CLOSE * TPC_STATES + SW_TCP_LISTEN],
				    __ATOMIC_RELAXED) > l0 &&
		    __atomic_load_n(&k[SW_TCP_SYN_SENT * TPC_STATES + SW_TCP_ESTABLISHED],
				    __ATOMIC_RELAXED) > c0 &&
		    __atomic_load_n(&k[SW_TCP_LISTEN * TPC_STATES + SW_TCP_SYN_RECV],
				    __ATOMIC_RELAXED) > s0)
			cpu++;
		if (ms > timeout_ms) {
			e = -ETIMEDOUT;
			break;
		}
	}
	sw_canary_stop(&c);
	*connections = n;
	return e ? e : ms;
}

void tpcount_set_port(struct tpcount *t, __u16 port)
{
	t->skel->bss->port = port;
}

void tpcount_print_port(const struct tpcount *t)
{
	if (t->skel->bss->port)
		printf("port %u hits %llu netns_read_zero %llu netns_other %llu\n",
		       t->skel->bss->port, (unsigned long long)t->skel->bss->port_hits,
		       (unsigned long long)t->skel->bss->port_ns_zero,
		       (unsigned long long)t->skel->bss->port_ns_other);
}

void tpcount_span(const struct tpcount *t, __u64 *first, __u64 *last)
{
	*first = t->skel->bss->first_ns;
	*last = t->skel->bss->last_ns;
}

void tpcount_close(struct tpcount *t)
{
	if (!t)
		return;
	tpcount_bpf__destroy(t->skel);
	free(t);
}
