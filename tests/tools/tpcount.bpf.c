// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test oracle: counts inet_sock_set_state invocations that reach a BPF
 * program, by (old state, new state), in one network namespace. It is as
 * small as a BPF program on that tracepoint can be, so when it comes up short
 * the kernel did not deliver the transition to BPF programs at all; when it
 * does not, whatever sockwatch missed is sockwatch's fault.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define TPC_STATES 16

const volatile __u32 netns = 0; /* 0: every namespace */
__u32 canary_ns; /* set by user space: transitions there go to canary_counts[] */
__u16 port; /* set by user space: also count transitions of this port in any namespace */
__u64 port_hits, port_ns_zero, port_ns_other; /* ... and how often the namespace read 0 / else */

__u64 counts[TPC_STATES * TPC_STATES]; /* [old * TPC_STATES + new] */
__u64 canary_counts[TPC_STATES * TPC_STATES];
__u64 first_ns, last_ns; /* bpf_ktime_get_ns() of the first and last transition counted */

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tpcount, struct sock *sk, int oldstate, int newstate)
{
	__u32 o = (__u32)oldstate, n = (__u32)newstate, i, ino = 0;
	bool canary;

	if (netns || canary_ns)
		ino = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	if (port) {
		__u16 lp = BPF_CORE_READ(sk, __sk_common.skc_num);
		__u16 rp = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));

		if (lp == port || rp == port) {
			__sync_fetch_and_add(&port_hits, 1);
			if (!ino)
				__sync_fetch_and_add(&port_ns_zero, 1);
			else if (netns && ino != netns)
				__sync_fetch_and_add(&port_ns_other, 1);
		}
	}
	canary = canary_ns && ino == canary_ns;
	if (!canary && netns && ino != netns)
		return 0;
	if (o >= TPC_STATES || n >= TPC_STATES)
		return 0;
	i = o * TPC_STATES + n;
	/* i < 256 already; the mask, after a barrier the compiler cannot see
	 * through, proves it to the verifier on every path. */
	asm volatile("" : "+r"(i));
	i &= TPC_STATES * TPC_STATES - 1;
	if (canary) {
		__sync_fetch_and_add(&canary_counts[i], 1);
		return 0;
	}
	__sync_fetch_and_add(&counts[i], 1);
	if (!first_ns)
		first_ns = bpf_ktime_get_ns();
	last_ns = bpf_ktime_get_ns();
	return 0;
}
