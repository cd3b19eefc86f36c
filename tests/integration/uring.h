/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A minimal io_uring client over the raw syscalls, enough to accept through a ring. */
#ifndef SW_ITEST_URING_H
#define SW_ITEST_URING_H

#include <linux/io_uring.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Opcodes of 6.11, newer than the build's uapi headers may be. */
#define SW_IORING_OP_BIND 56
#define SW_IORING_OP_LISTEN 57

struct uring {
	int fd;
	unsigned int *sq_head, *sq_tail, *sq_mask, *sq_array;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	void *sq_map, *cq_map;
	size_t sq_len, cq_len, sqes_len;
	bool direct; /* accepts go into the fixed-file table (uring_direct()) */
};

/* A ring of `entries` submissions. 0, or -errno (-ENOSYS, -EPERM: no io_uring here). */
int uring_open(struct uring *r, unsigned int entries);
/* The same with io_uring_params.flags (IORING_SETUP_*). */
int uring_open_flags(struct uring *r, unsigned int entries, unsigned int flags);
void uring_close(struct uring *r);
/* Queues a copy of sqe without submitting it (a chain is queued, then submitted whole). */
void uring_queue(struct uring *r, const struct io_uring_sqe *sqe);
/* Submits the n queued submissions. 0 or -errno. */
int uring_submit(struct uring *r, unsigned int n);
/*
 * Submits an accept on listener lfd: one connection, or every connection
 * until cancelled (multishot); with async, run by an io_uring worker
 * thread (IOSQE_ASYNC). 0 or -errno.
 */
int uring_accept(struct uring *r, int lfd, bool multishot, bool async, __u64 user_data);
/* The same into the ring's fixed files (direct) or not, whatever uring_direct() said. */
int uring_accept_to(struct uring *r, int lfd, bool multishot, bool async, bool direct,
		    __u64 user_data);
/* A multishot poll of fd for events (poll(2) bits): a completion at each readiness. */
int uring_poll_multi(struct uring *r, int fd, unsigned int events, __u64 user_data);
/* Cancels every request on descriptor fd (IORING_ASYNC_CANCEL_FD | _ALL, 5.19+). 0 or -errno. */
int uring_cancel_fd(struct uring *r, int fd, __u64 user_data);
/*
 * From now on, accepts put their socket into a table of `slots` fixed files
 * of the ring ("direct descriptors", 5.19+) instead of the process's files:
 * a completion's result is then a slot. 0 or -errno.
 */
int uring_direct(struct uring *r, unsigned int slots);
/* bind() and listen() through the ring (6.11+; before, their completions say -EINVAL). */
int uring_bind(struct uring *r, int fd, const struct sockaddr *sa, socklen_t len, __u64 user_data);
int uring_listen(struct uring *r, int fd, int backlog, bool async, __u64 user_data);
/* Waits for the next completion and consumes it. 0 or -errno. */
int uring_wait(struct uring *r, struct io_uring_cqe *out);
/* The same without waiting: -EAGAIN when none is there. */
int uring_peek(struct uring *r, struct io_uring_cqe *out);

#endif /* SW_ITEST_URING_H */
