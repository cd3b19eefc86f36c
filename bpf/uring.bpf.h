/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The io_uring programs of the tracepoint and kprobe modes: accepts whose
 * result is a completion, not a syscall's return. Part of sockwatch.bpf.c
 * (one object, one skeleton), included at its end: they report through
 * on_accept() and find the socket with tcp_of_fd() (syscall.bpf.h) like the
 * syscall exits.
 */
#ifndef SW_URING_BPF_H
#define SW_URING_BPF_H

/*
 * Accepts through io_uring (tracepoint and kprobe modes; fentry mode's fexit
 * on the accept function sees them anyway). Their result is a file
 * descriptor of the submitting process, posted as a completion in that
 * process (its task, or an io_uring worker sharing its files), where the
 * tracepoint finds it like the accept syscalls' exits do. A single-shot
 * accept's completion carries its request; a multishot accept posts all but
 * its last completion without one: only the ring and user_data, which
 * several accepts may share (0, or one tag for an IPv4 and an IPv6
 * listener). So each multishot submission is counted under (ring,
 * user_data) by the kind of its result (a descriptor, or a slot of the
 * ring's fixed files) with its listener's port, and taken off at its own
 * last completion (which carries the request: uring_reqs says whether it was
 * counted); the key goes with the last of them.
 */
#define SW_IORING_OP_ACCEPT 13
#define SW_IORING_CQE_F_BUFFER (1U << 0)
#define SW_IORING_CQE_F_MORE (1U << 1)
#define SW_IORING_ACCEPT_MULTISHOT (1U << 0)
#define SW_REQ_F_FIXED_FILE (1ULL << 0) /* REQ_F_FIXED_FILE_BIT = IOSQE_FIXED_FILE_BIT */

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SW_URING_MAX_ARMED);
	__type(key, struct sw_uring_key);
	__type(value, struct sw_uring_armed);
} uring_accepts SEC(".maps");

/* The submissions counted there, by request, until their last completion. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SW_URING_MAX_ARMED);
	__type(key, __u64); /* struct io_kiocb * */
	__type(value, struct sw_uring_req);
} uring_reqs SEC(".maps");

/*
 * The ring's fixed-file table, for accepts into it (file_index, "direct
 * descriptors"): an array of io_fixed_file until 6.12, of io_rsrc_node
 * pointers after. Either holds the file's address with flags in its low bits.
 */
#define SW_IORING_FILE_INDEX_ALLOC (~0U)
#define SW_FFS_MASK 7UL

/* Only flavours of types the kernel has: see uring_fixed_tcp(). */
struct io_file_table___old {
	unsigned long *files; /* struct io_fixed_file { unsigned long file_ptr; } */
} __attribute__((preserve_access_index));

struct io_ring_ctx___old {
	struct io_file_table___old file_table;
	unsigned int nr_user_files;
} __attribute__((preserve_access_index));

/*
 * The TCP socket an accept with file_slot put into the ring's fixed files as
 * res, or NULL. The old layout's flavours name only types every kernel with
 * io_uring has (io_ring_ctx, io_file_table): a flavour of a type missing
 * from vmlinux (io_fixed_file, gone after 6.12) makes libbpf look through
 * the modules' BTF, which without CAP_SYS_ADMIN fails the whole load.
 */
static __always_inline struct sock *uring_fixed_tcp(void *ring, __u32 file_slot, __s32 res)
{
	__u32 slot = file_slot == SW_IORING_FILE_INDEX_ALLOC ? (__u32)res : file_slot - 1;
	unsigned long ptr = 0;

	if (bpf_core_field_exists(((struct io_file_table *)0)->data)) {
		struct io_ring_ctx *ctx = ring;
		struct io_rsrc_node **nodes = BPF_CORE_READ(ctx, file_table.data.nodes);
		struct io_rsrc_node *node = 0;

		if (slot >= BPF_CORE_READ(ctx, file_table.data.nr) ||
		    bpf_probe_read_kernel(&node, sizeof(node), &nodes[slot]) || !node)
			return 0;
		ptr = BPF_CORE_READ(node, file_ptr);
	} else {
		struct io_ring_ctx___old *ctx = ring;
		unsigned long *files = BPF_CORE_READ(ctx, file_table.files);

		if (slot >= BPF_CORE_READ(ctx, nr_user_files) ||
		    bpf_probe_read_kernel(&ptr, sizeof(ptr), &files[slot]))
			return 0;
	}
	ptr &= ~SW_FFS_MASK;
	return ptr ? tcp_of_file((struct file *)ptr) : 0;
}

/* The accept's own arguments, in the request's per-opcode area. */
static __always_inline struct io_accept *uring_accept_of(struct io_kiocb *req)
{
	return (struct io_accept *)__builtin_preserve_access_index(&req->cmd);
}

/* The local port of a socket, 0 for none. */
static __always_inline __u16 sk_port(struct sock *sk)
{
	return sk ? BPF_CORE_READ(sk, __sk_common.skc_num) : 0;
}

/*
 * The port of the listener a submitted accept names: its descriptor (or
 * fixed-file slot: IOSQE_FIXED_FILE) is still in req->cqe.fd at submission,
 * before the request takes the file. 0 if not read.
 */
static __always_inline __u16 uring_listener_port(struct io_kiocb *req, void *ring)
{
	int fd;

	if (!bpf_core_field_exists(req->cqe.fd))
		return 0;
	fd = BPF_CORE_READ(req, cqe.fd);
	if (fd < 0)
		return 0;
	if (BPF_CORE_READ(req, flags) & SW_REQ_F_FIXED_FILE)
		return sk_port(uring_fixed_tcp(ring, (__u32)fd + 1, 0));
	return sk_port(tcp_of_fd(fd));
}

/* Takes one submission of kind off key; the key goes with its last. */
static __always_inline void uring_release(const struct sw_uring_key *key, __u32 kind)
{
	struct sw_uring_armed *a = bpf_map_lookup_elem(&uring_accepts, key);

	if (!a)
		return;
	if (a->refs[kind & 1]) /* 0: the entry was evicted and made anew since */
		__sync_fetch_and_add(&a->refs[kind & 1], -1);
	if (!a->refs[0] && !a->refs[1])
		bpf_map_delete_elem(&uring_accepts, key);
}

/* Adds the listener's port to kind's (any port: not read, or no room left). */
static __always_inline void uring_add_port(struct sw_uring_armed *a, __u32 kind, __u16 port)
{
	kind &= 1;
	if (!port) {
		a->any_port[kind] = 1;
		return;
	}
	for (int i = 0; i < SW_URING_PORTS; i++) {
		if (a->ports[kind][i] == port)
			return;
		if (!a->ports[kind][i]) {
			a->ports[kind][i] = port;
			return;
		}
	}
	a->any_port[kind] = 1;
}

/* A submission: a multishot accept is counted until its last completion. */
static __always_inline void uring_submit(struct io_kiocb *req)
{
	struct sw_uring_armed zero = {}, *a;
	struct sw_uring_req r = {}, *old;
	__u64 rp = (__u64)(unsigned long)req;
	struct io_accept *acc;
	void *ring;

	/* a plain load: a kernel whose tracepoint has no io_kiocb there refuses it */
	if (req->opcode != SW_IORING_OP_ACCEPT)
		return;
	acc = uring_accept_of(req);
	/* single-shot: the completion carries the request (where requests have
	 * no iou_flags, as on 6.1, all are counted, and taken off as they end) */
	if (bpf_core_field_exists(acc->iou_flags) &&
	    !(BPF_CORE_READ(acc, iou_flags) & SW_IORING_ACCEPT_MULTISHOT))
		return;
	ring = BPF_CORE_READ(req, ctx);
	r.key.ctx = (__u64)(unsigned long)ring;
	r.key.user_data = BPF_CORE_READ(req, cqe.user_data);
	r.kind = BPF_CORE_READ(acc, file_slot) ? SW_URING_FIXED : SW_URING_FD;
	/* a request is reused only once it ended: one still here missed its end */
	old = bpf_map_lookup_elem(&uring_reqs, &rp);
	if (old) {
		struct sw_uring_req stale = *old;

		bpf_map_delete_elem(&uring_reqs, &rp);
		uring_release(&stale.key, stale.kind);
	}
	bpf_map_update_elem(&uring_accepts, &r.key, &zero, BPF_NOEXIST);
	a = bpf_map_lookup_elem(&uring_accepts, &r.key);
	if (!a || bpf_map_update_elem(&uring_reqs, &rp, &r, BPF_ANY))
		return;
	uring_add_port(a, r.kind, uring_listener_port(req, ring));
	__sync_fetch_and_add(&a->refs[r.kind & 1], 1);
}

SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(sw_uring_submit, struct io_kiocb *req)
{
	uring_submit(req);
	return 0;
}

/* Its name until 6.1 (with the older io_uring_complete below). */
SEC("tp_btf/io_uring_submit_sqe")
int BPF_PROG(sw_uring_submit_sqe, struct io_kiocb *req, bool force_nonblock)
{
	uring_submit(req);
	return 0;
}

/* Whether sk is a connection from one of kind's listeners under a. */
static __always_inline bool uring_port_ok(struct sw_uring_armed *a, __u32 kind, struct sock *sk)
{
	__u16 port;

	kind &= 1;
	/* a listener has its own port: never what an accept returned */
	if (!sk || BPF_CORE_READ(sk, __sk_common.skc_state) == SW_TCP_LISTEN)
		return false;
	if (a->any_port[kind])
		return true;
	port = sk_port(sk);
	for (int i = 0; i < SW_URING_PORTS; i++)
		if (port && a->ports[kind][i] == port)
			return true;
	return false;
}

/* An accept of sk already reported (or being reported by another hook). */
static __always_inline bool accept_seen(struct sock *sk)
{
	__u64 key = sk_key_read(sk), ptr = (__u64)(unsigned long)sk;
	struct sw_sock *s = key ? bpf_map_lookup_elem(&socks, &key) : 0;

	/* read, then checked to be sk's entry still (entry_is()) */
	if (s) {
		bool seen = s->accept_hook;

		if (seen && entry_is(s, ptr))
			return true;
	}
	return accept_entry(ptr) != 0;
}

/*
 * The socket a request-less completion under key accepted, or NULL. Its
 * result is taken as each kind armed under the key would have it, and the
 * socket found must come from one of that kind's listeners: another
 * multishot request with the same user_data (a receive, a poll, a message
 * from another ring) posts other numbers. With both kinds armed, a result
 * names a socket each way; the one whose accept is reported already (an
 * older connection) is not the one this completion returned; if neither
 * is, nothing tells them apart, and neither is reported.
 */
static __always_inline struct sock *uring_multishot_tcp(void *ring, struct sw_uring_key *k,
							__s32 res, __u32 cflags)
{
	struct sw_uring_armed *a = bpf_map_lookup_elem(&uring_accepts, k);
	struct sock *fd_sk = 0, *fixed_sk = 0;

	/* an accept's: more to come, no buffer */
	if (!a ||
	    (cflags & (SW_IORING_CQE_F_MORE | SW_IORING_CQE_F_BUFFER)) != SW_IORING_CQE_F_MORE)
		return 0;
	if (a->refs[SW_URING_FD]) {
		fd_sk = tcp_of_fd(res);
		if (!uring_port_ok(a, SW_URING_FD, fd_sk))
			fd_sk = 0;
	}
	if (a->refs[SW_URING_FIXED]) {
		fixed_sk = uring_fixed_tcp(ring, SW_IORING_FILE_INDEX_ALLOC, res);
		if (!uring_port_ok(a, SW_URING_FIXED, fixed_sk))
			fixed_sk = 0;
	}
	if (!fd_sk || !fixed_sk || fd_sk == fixed_sk)
		return fd_sk ?: fixed_sk;
	if (accept_seen(fd_sk))
		return accept_seen(fixed_sk) ? 0 : fixed_sk;
	return accept_seen(fixed_sk) ? fd_sk : 0;
}

/* One completion: an accept's descriptor is reported from here. */
static __always_inline void uring_complete(void *ring, void *req, __u64 user_data, __s32 res,
					   __u32 cflags)
{
	struct sw_uring_key k = { .ctx = (__u64)(unsigned long)ring, .user_data = user_data };
	struct sock *sk;

	if (req) {
		struct io_kiocb *r = req;
		__u64 rp = (__u64)(unsigned long)req;
		__u32 slot;

		if (BPF_CORE_READ(r, opcode) != SW_IORING_OP_ACCEPT)
			return;
		slot = BPF_CORE_READ(uring_accept_of(r), file_slot);
		if (!(cflags & SW_IORING_CQE_F_MORE)) {
			/* its last: off its key, if it was counted */
			struct sw_uring_req *q = bpf_map_lookup_elem(&uring_reqs, &rp);

			if (q) {
				struct sw_uring_req done = *q;

				bpf_map_delete_elem(&uring_reqs, &rp);
				uring_release(&done.key, done.kind);
			}
		}
		if (res < 0)
			return;
		/* into a fixed-file slot, the result is no descriptor */
		sk = slot ? uring_fixed_tcp(ring, slot, res) : tcp_of_fd(res);
	} else {
		if (res < 0)
			return;
		sk = uring_multishot_tcp(ring, &k, res, cflags);
	}
	on_accept(sk, SW_ACCEPT_HOOK_SYSCALL);
}

/*
 * The tracepoint's arguments changed after 6.12: the loader tries this
 * program (the completion as one struct), then the one below. Plain loads,
 * so that a kernel whose tracepoint has the other arguments refuses it.
 */
SEC("tp_btf/io_uring_complete")
int BPF_PROG(sw_uring_complete, struct io_ring_ctx *ring, void *req, struct io_uring_cqe *cqe)
{
	uring_complete(ring, req, cqe->user_data, cqe->res, cqe->flags);
	return 0;
}

/* Up to 6.12: the completion's fields one by one (and two for 32-byte CQEs). */
SEC("tp_btf/io_uring_complete")
int BPF_PROG(sw_uring_complete_args, void *ring, void *req, __u64 user_data, int res,
	     unsigned int cflags)
{
	uring_complete(ring, req, user_data, res, cflags);
	return 0;
}

#endif /* SW_URING_BPF_H */
