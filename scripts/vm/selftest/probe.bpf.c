// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* VM selftest: one tiny program per attach kind, each counting hits from the test process. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set before load: only the selftest's own process is counted. */
const volatile __u32 target_tgid;

__u64 fentry_hits;
__u64 kprobe_hits;
__u64 fexit_hits;
__u64 tp_btf_hits;

static __always_inline bool is_target(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == target_tgid;
}

SEC("fentry/tcp_connect")
int BPF_PROG(fentry_tcp_connect, struct sock *sk)
{
	if (is_target())
		__sync_fetch_and_add(&fentry_hits, 1);
	return 0;
}

SEC("kprobe/tcp_connect")
int BPF_KPROBE(kprobe_tcp_connect, struct sock *sk)
{
	if (is_target())
		__sync_fetch_and_add(&kprobe_hits, 1);
	return 0;
}

/*
 * inet_csk_accept has four arguments on 6.1 and two on 6.10+: read the return value
 * with bpf_get_func_ret() instead of naming it by position.
 */
SEC("fexit/inet_csk_accept")
int fexit_inet_csk_accept(__u64 *ctx)
{
	__u64 ret = 0;

	if (is_target() && bpf_get_func_ret(ctx, &ret) == 0 && ret)
		__sync_fetch_and_add(&fexit_hits, 1);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tp_btf_set_state, struct sock *sk, int oldstate, int newstate)
{
	if (is_target())
		__sync_fetch_and_add(&tp_btf_hits, 1);
	return 0;
}
