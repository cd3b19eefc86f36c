// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A minimal io_uring client over the raw syscalls (no liburing): setup, one SQE at a time. */
#include "uring.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int sys_setup(unsigned int entries, struct io_uring_params *p)
{
	long r = syscall(__NR_io_uring_setup, entries, p);

	return r < 0 ? -errno : (int)r;
}

static int sys_enter(int fd, unsigned int submit, unsigned int wait, unsigned int flags)
{
	long r = syscall(__NR_io_uring_enter, fd, submit, wait, flags, NULL, 0);

	return r < 0 ? -errno : (int)r;
}

static void *map_ring(int fd, size_t len, off_t off)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, off);

	return p == MAP_FAILED ? NULL : p;
}

int uring_open(struct uring *r, unsigned int entries)
{
	return uring_open_flags(r, entries, 0);
}

int uring_open_flags(struct uring *r, unsigned int entries, unsigned int flags)
{
	struct io_uring_params p;
	char *sq, *cq;
	int e;

	memset(r, 0, sizeof(*r));
	memset(&p, 0, sizeof(p));
	p.flags = flags;
	r->fd = sys_setup(entries, &p);
	if (r->fd < 0)
		return r->fd;
	r->sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	r->cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		if (r->cq_len > r->sq_len)
			r->sq_len = r->cq_len;
		r->cq_len = 0;
	}
	r->sqes_len = p.sq_entries * sizeof(struct io_uring_sqe);
	r->sq_map = map_ring(r->fd, r->sq_len, IORING_OFF_SQ_RING);
	r->cq_map = r->cq_len ? map_ring(r->fd, r->cq_len, IORING_OFF_CQ_RING) : r->sq_map;
	r->sqes = map_ring(r->fd, r->sqes_len, IORING_OFF_SQES);
	if (!r->sq_map || !r->cq_map || !r->sqes) {
		e = -errno;
		uring_close(r);
		return e;
	}
	sq = r->sq_map;
	cq = r->cq_map;
	r->sq_head = (unsigned int *)(sq + p.sq_off.head);
	r->sq_tail = (unsigned int *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned int *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned int *)(sq + p.sq_off.array);
	r->cq_head = (unsigned int *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned int *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned int *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return 0;
}

void uring_close(struct uring *r)
{
	if (r->sqes)
		munmap(r->sqes, r->sqes_len);
	if (r->cq_map && r->cq_map != r->sq_map)
		munmap(r->cq_map, r->cq_len);
	if (r->sq_map)
		munmap(r->sq_map, r->sq_len);
	if (r->fd >= 0)
		close(r->fd);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

void uring_queue(struct uring *r, const struct io_uring_sqe *sqe)
{
	unsigned int tail = *r->sq_tail, idx = tail & *r->sq_mask;

	r->sqes[idx] = *sqe;
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
}

int uring_submit(struct uring *r, unsigned int n)
{
	int e = sys_enter(r->fd, n, 0, 0);

	if (e < 0)
		return e;
	return (unsigned int)e == n ? 0 : -EAGAIN;
}

/* Queues a copy of sqe and submits it. 0 or -errno. */
static int submit(struct uring *r, const struct io_uring_sqe *sqe)
{
	uring_queue(r, sqe);
	return uring_submit(r, 1);
}

int uring_accept(struct uring *r, int lfd, bool multishot, bool async, __u64 user_data)
{
	return uring_accept_to(r, lfd, multishot, async, r->direct, user_data);
}

int uring_accept_to(struct uring *r, int lfd, bool multishot, bool async, bool direct,
		    __u64 user_data)
{
	struct io_uring_sqe sqe = { .opcode = IORING_OP_ACCEPT, .fd = lfd };

	sqe.file_index = direct ? IORING_FILE_INDEX_ALLOC : 0;
	sqe.flags = async ? IOSQE_ASYNC : 0;
	sqe.ioprio = multishot ? IORING_ACCEPT_MULTISHOT : 0;
	sqe.user_data = user_data;
	return submit(r, &sqe);
}

int uring_poll_multi(struct uring *r, int fd, unsigned int events, __u64 user_data)
{
	struct io_uring_sqe sqe = { .opcode = IORING_OP_POLL_ADD, .fd = fd };

	sqe.len = IORING_POLL_ADD_MULTI;
	sqe.poll32_events = events;
	sqe.user_data = user_data;
	return submit(r, &sqe);
}

int uring_cancel_fd(struct uring *r, int fd, __u64 user_data)
{
	struct io_uring_sqe sqe = { .opcode = IORING_OP_ASYNC_CANCEL, .fd = fd };

	sqe.cancel_flags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL;
	sqe.user_data = user_data;
	return submit(r, &sqe);
}

int uring_direct(struct uring *r, unsigned int slots)
{
	struct io_uring_rsrc_register rr = { .nr = slots, .flags = IORING_RSRC_REGISTER_SPARSE };
	long e = syscall(__NR_io_uring_register, r->fd, IORING_REGISTER_FILES2, &rr, sizeof(rr));

	if (e < 0)
		return -errno;
	r->direct = true;
	return 0;
}

int uring_bind(struct uring *r, int fd, const struct sockaddr *sa, socklen_t len, __u64 user_data)
{
	struct io_uring_sqe sqe = { .opcode = SW_IORING_OP_BIND, .fd = fd };

	sqe.addr = (__u64)(unsigned long)sa;
	sqe.off = len; /* addr2 */
	sqe.user_data = user_data;
	return submit(r, &sqe);
}

int uring_listen(struct uring *r, int fd, int backlog, bool async, __u64 user_data)
{
	struct io_uring_sqe sqe = { .opcode = SW_IORING_OP_LISTEN, .fd = fd };

	sqe.flags = async ? IOSQE_ASYNC : 0;
	sqe.len = backlog;
	sqe.user_data = user_data;
	return submit(r, &sqe);
}

int uring_wait(struct uring *r, struct io_uring_cqe *out)
{
	unsigned int head = *r->cq_head;
	int e;

	while (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE)) {
		e = sys_enter(r->fd, 0, 1, IORING_ENTER_GETEVENTS);
		if (e < 0 && e != -EINTR)
			return e;
	}
	*out = r->cqes[head & *r->cq_mask];
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return 0;
}

int uring_peek(struct uring *r, struct io_uring_cqe *out)
{
	unsigned int head = *r->cq_head;

	if (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
		return -EAGAIN;
	*out = r->cqes[head & *r->cq_mask];
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return 0;
}
