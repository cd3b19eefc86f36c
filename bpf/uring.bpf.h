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
 * its last completion without one, so its submission is remembered by ring
 * and user_data.
 */
#define SW_IORING_OP_ACCEPT 13
#define SW_IORING_CQE_F_MORE (1U << 1)
#define SW_IORING_ACCEPT_MULTISHOT (1U << 0)

struct uring_key {
	__u64 ctx;
	__u64 user_data;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct uring_key);
	__type(value, __u32); /* the accept's file_slot: 0, or into the ring's fixed files */
} uring_accepts SEC(".maps");

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

/* A submission: a multishot accept is remembered until its last completion. */
static __always_inline void uring_submit(struct io_kiocb *req)
{
	struct uring_key k = {};
	struct io_accept *a;
	__u32 slot;

	/* a plain load: a kernel whose tracepoint has no io_kiocb there refuses it */
	if (req->opcode != SW_IORING_OP_ACCEPT)
		return;
	a = uring_accept_of(req);
	/* single-shot: the completion carries the request */
	if (bpf_core_field_exists(a->iou_flags) &&
	    !(BPF_CORE_READ(a, iou_flags) & SW_IORING_ACCEPT_MULTISHOT))
		return;
	k.ctx = (__u64)(unsigned long)BPF_CORE_READ(req, ctx);
	k.user_data = BPF_CORE_READ(req, cqe.user_data);
	slot = BPF_CORE_READ(a, file_slot);
	bpf_map_update_elem(&uring_accepts, &k, &slot, BPF_ANY);
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

/* One completion: an accept's descriptor is reported from here. */
static __always_inline void uring_complete(void *ring, void *req, __u64 user_data, __s32 res,
					   __u32 cflags)
{
	struct uring_key k = { .ctx = (__u64)(unsigned long)ring, .user_data = user_data };
	__u32 slot;

	if (req) {
		struct io_kiocb *r = req;

		if (BPF_CORE_READ(r, opcode) != SW_IORING_OP_ACCEPT)
			return;
		slot = BPF_CORE_READ(uring_accept_of(r), file_slot);
		if (!(cflags & SW_IORING_CQE_F_MORE))
			bpf_map_delete_elem(&uring_accepts, &k);
	} else {
		__u32 *v = bpf_map_lookup_elem(&uring_accepts, &k);

		if (!v)
			return;
		slot = *v;
	}
	if (res < 0)
		return;
	/* into a fixed-file slot, the result is no descriptor */
	on_accept(slot ? uring_fixed_tcp(ring, slot, res) : tcp_of_fd(res), SW_ACCEPT_HOOK_SYSCALL);
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
