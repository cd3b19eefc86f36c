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
#define IPPROTO_MPTCP_NUM 262
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

/* One owner record for the TCP socket sk (cookie already known) held by o's fd. */
static __always_inline void emit_owner(struct bpf_iter__task_file *ctx, struct sw_snap_owner *o,
				       __u64 cookie, struct sock *sk)
{
	o->cookie = cookie;
	o->skptr = (__u64)(unsigned long)sk;
	bpf_seq_write(ctx->meta->seq, o, sizeof(*o));
}

/*
 * An MPTCP socket's subflows are the TCP sockets iter/tcp lists. Each gets
 * the MPTCP socket's owner, as sock_diag + /proc gives it (the kernel files
 * every subflow under the MPTCP socket's inode): the first subflow (the
 * listener's, or the connection's first) and every other one on conn_list.
 * Their addresses come from plain reads (no helper casts an mptcp_sock
 * before 5.19), so their cookies are read, not made: iter/tcp, which runs
 * first, made them for every socket it listed; a subflow it did not list
 * (cookie 0, born since) is not in the snapshot and is left out.
 */
#define SW_MPTCP_SUBFLOWS_MAX 16 /* the path manager allows at most 8 extra */

static __always_inline void emit_subflow(struct bpf_iter__task_file *ctx, struct sw_snap_owner *o,
					 struct sock *ssk)
{
	__u64 cookie;

	if (!ssk)
		return;
	cookie = BPF_CORE_READ(ssk, __sk_common.skc_cookie.counter);
	if (cookie)
		emit_owner(ctx, o, cookie, ssk);
}

static __always_inline void emit_mptcp(struct bpf_iter__task_file *ctx, struct sw_snap_owner *o,
				       struct sock *sk)
{
	struct mptcp_sock *msk = (struct mptcp_sock *)sk;
	struct mptcp_subflow_context *sf;
	struct list_head *head, *node;
	struct sock *first, *ssk;

	if (!bpf_core_type_exists(struct mptcp_sock) ||
	    !bpf_core_field_exists(struct mptcp_sock, first) ||
	    !bpf_core_field_exists(struct mptcp_sock, conn_list) ||
	    !bpf_core_field_exists(struct mptcp_subflow_context, tcp_sock))
		return;
	first = BPF_CORE_READ(msk, first);
	emit_subflow(ctx, o, first);
	head = (struct list_head *)((char *)msk +
				    bpf_core_field_offset(struct mptcp_sock, conn_list));
	node = BPF_CORE_READ(head, next);
	for (int i = 0; i < SW_MPTCP_SUBFLOWS_MAX && node && node != head; i++) {
		sf = (struct mptcp_subflow_context *)((char *)node -
						      bpf_core_field_offset(
							      struct mptcp_subflow_context, node));
		ssk = BPF_CORE_READ(sf, tcp_sock);
		if (ssk != first)
			emit_subflow(ctx, o, ssk);
		node = BPF_CORE_READ(node, next);
	}
}

/*
 * Every file descriptor of every process that refers to a TCP socket (any
 * netns), and through an MPTCP socket's descriptor its TCP subflows.
 */
SEC("iter/task_file")
int sw_snap_owner(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct sw_snap_owner o = {};
	struct socket *sock;
	struct sock *sk;
	__u16 family, proto;

	if (!task || !file)
		return 0;
	sock = bpf_sock_from_file(file);
	if (!sock)
		return 0;
	sk = sock->sk;
	if (!sk)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	proto = BPF_CORE_READ(sk, sk_protocol);
	if ((proto != IPPROTO_TCP_NUM && proto != IPPROTO_MPTCP_NUM) ||
	    BPF_CORE_READ(sk, sk_type) != SOCK_STREAM_NUM ||
	    (family != SW_AF_INET && family != SW_AF_INET6))
		return 0;
	o.pid = BPF_CORE_READ(task, tgid);
	o.uid = BPF_CORE_READ(task, cred, euid.val);
	o.fd = ctx->fd;
	o.netns = sw_read_netns(false, &sk->__sk_common);
	BPF_CORE_READ_STR_INTO(&o.comm, task, comm);
	if (proto == IPPROTO_MPTCP_NUM)
		emit_mptcp(ctx, &o, sk);
	else
		emit_owner(ctx, &o, bpf_get_socket_cookie(sk), sk);
	return 0;
}
