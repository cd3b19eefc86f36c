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

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define TPC_STATES 16

const volatile __u32 netns = 0; /* 0: every namespace */

__u64 counts[TPC_STATES * TPC_STATES]; /* [old * TPC_STATES + new] */
__u64 first_ns, last_ns; /* bpf_ktime_get_ns() of the first and last transition counted */

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tpcount, struct sock *sk, int oldstate, int newstate)
{
	if (netns && BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum) != netns)
		return 0;
	__u32 o = (__u32)oldstate, n = (__u32)newstate, i;

	if (o >= TPC_STATES || n >= TPC_STATES)
		return 0;
	i = o * TPC_STATES + n;
	/* Make the compiler keep the bounds check the verifier needs on i itself. */
	asm volatile("" : "+r"(i));
	if (i >= TPC_STATES * TPC_STATES)
		return 0;
	__sync_fetch_and_add(&counts[i], 1);
	if (!first_ns)
		first_ns = bpf_ktime_get_ns();
	last_ns = bpf_ktime_get_ns();
	return 0;
}
