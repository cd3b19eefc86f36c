// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Snapshot iterators: one record per existing TCP socket (iter/tcp) and per owning fd (iter/task_file). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "sockwatch.h"
#include "tuple.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define IPPROTO_TCP_NUM 6
#define SOCK_STREAM_NUM 1

/* Family, addresses and ports of any TCP socket kind (full, TIME_WAIT, request). */
static __always_inline void read_tuple(struct sock_common *skc, struct sw_snap_sock *r)
{
	sw_read_endpoints(false, skc, &r->family, r->laddr, r->raddr, &r->lport, &r->rport,
			  &r->netns);
}

/*
 * Every TCP socket hashed in the iterating task's network namespace: listeners,
 * then the established hash (which also holds TIME_WAIT and request sockets,
 * i.e. bare sock_common without tcp_sock fields).
 */
SEC("iter/tcp")
int sw_snap_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct sw_snap_sock r = {};
	struct tcp_sock *tp;

	if (!skc)
		return 0;
	r.cookie = bpf_get_socket_cookie(skc);
	r.skptr = (__u64)(unsigned long)skc;
	r.state = BPF_CORE_READ(skc, skc_state);
	read_tuple(skc, &r);
	tp = bpf_skc_to_tcp_sock(skc);
	if (tp) {
		__u64 sent = BPF_CORE_READ(tp, bytes_sent),
		      retrans = BPF_CORE_READ(tp, bytes_retrans);

		r.flags |= SW_SNAP_F_FULL;
		r.bytes_sent = sent > retrans ? sent - retrans : 0;
		r.bytes_received = BPF_CORE_READ(tp, bytes_received);
		r.uid = BPF_CORE_READ((struct sock *)tp, sk_uid.val);
	}
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

/* Every file descriptor of every process that refers to a TCP socket (any netns). */
SEC("iter/task_file")
int sw_snap_owner(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct sw_snap_owner o = {};
	struct socket *sock;
	struct sock *sk;
	__u16 family;

	if (!task || !file)
		return 0;
	sock = bpf_sock_from_file(file);
	if (!sock)
		return 0;
	sk = sock->sk;
	if (!sk)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP_NUM ||
	    BPF_CORE_READ(sk, sk_type) != SOCK_STREAM_NUM ||
	    (family != SW_AF_INET && family != SW_AF_INET6))
		return 0;
	o.cookie = bpf_get_socket_cookie(sk);
	o.skptr = (__u64)(unsigned long)sk;
	o.pid = BPF_CORE_READ(task, tgid);
	o.uid = BPF_CORE_READ(task, cred, euid.val);
	o.fd = ctx->fd;
	BPF_CORE_READ_STR_INTO(&o.comm, task, comm);
	bpf_seq_write(ctx->meta->seq, &o, sizeof(o));
	return 0;
}
