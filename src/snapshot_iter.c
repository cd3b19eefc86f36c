// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The snapshot through BPF iterators: iter/tcp per network namespace, iter/task_file for owners. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "netns.h"
#include "preflight.h"
#include "snapshot_iter.h"
#include "snapshot.skel.h"

struct sw_snap_iter {
	struct snapshot *skel;
	struct bpf_link *tcp;
	struct bpf_link *task;
};

int sw_snap_iter_open(struct sw_snap_iter **out, char *why, size_t whylen)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	struct sw_snap_iter *it;
	int e;

	it = calloc(1, sizeof(*it));
	if (!it)
		return -ENOMEM;
	/*
	 * mptcp_sock, which a kernel without MPTCP lacks, would make libbpf list
	 * the modules' BTF, which needs CAP_SYS_ADMIN: without it, CO-RE stays
	 * on vmlinux's BTF (as the tracer's, src/tracer.c).
	 */
	if (!sw_has_cap(CAP_SYS_ADMIN))
		oo.btf_custom_path = SW_VMLINUX_BTF;
	it->skel = snapshot__open_opts(&oo);
	e = it->skel ? snapshot__load(it->skel) : -errno;
	if (e < 0 && sw_fd_exhausted(e)) {
		sw_fd_limit_error(e, why, whylen);
		goto fail;
	}
	if (e) {
		snprintf(why, whylen, "kernel refused the tcp/task_file iterator programs: %s",
			 strerror(-e));
		goto fail;
	}
	it->tcp = bpf_program__attach_iter(it->skel->progs.sw_snap_tcp, NULL);
	if (!it->tcp && sw_fd_exhausted(-errno)) {
		e = sw_fd_limit_error(-errno, why, whylen);
		goto fail;
	}
	if (!it->tcp) {
		e = -errno;
		snprintf(why, whylen, "kernel refused to attach the tcp iterator: %s",
			 strerror(-e));
		goto fail;
	}
	it->task = bpf_program__attach_iter(it->skel->progs.sw_snap_owner, NULL);
	if (!it->task && sw_fd_exhausted(-errno)) {
		e = sw_fd_limit_error(-errno, why, whylen);
		goto fail;
	}
	if (!it->task) {
		e = -errno;
		snprintf(why, whylen, "kernel refused to attach the task_file iterator: %s",
			 strerror(-e));
		goto fail;
	}
	*out = it;
	return 0;
fail:
	sw_snap_iter_close(it);
	return e;
}

void sw_snap_iter_close(struct sw_snap_iter *it)
{
	if (!it)
		return;
	bpf_link__destroy(it->task);
	bpf_link__destroy(it->tcp);
	snapshot__destroy(it->skel);
	free(it);
}

/* Reads an iterator to its end, appending to b. */
static int read_iter(int fd, struct sw_iter_buf *b)
{
	ssize_t n;
	char *np;

	for (;;) {
		if (b->cap - b->len < 65536) {
			size_t ncap = b->cap ? b->cap * 2 : 262144;

			np = realloc(b->p, ncap);
			if (!np)
				return -ENOMEM;
			b->p = np;
			b->cap = ncap;
		}
		n = read(fd, b->p + b->len, b->cap - b->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		b->len += n;
	}
}

static int create_iter(void *ctx)
{
	struct bpf_link *link = ctx;
	int fd = bpf_iter_create(bpf_link__fd(link));

	return fd < 0 ? -errno : fd;
}

/*
 * The tcp iterator lists the sockets of the network namespace its file was
 * created in (it is the /proc/net/tcp machinery), so the file is created
 * after entering the namespace; reading it needs no namespace.
 */
int sw_snap_iter_socks(struct sw_snap_iter *it, const struct sw_netns_ref *ns, int home,
		       struct sw_iter_buf *out)
{
	int fd, e;

	fd = ns ? sw_netns_run(ns, home, create_iter, it->tcp) : create_iter(it->tcp);
	if (fd < 0)
		return fd;
	e = read_iter(fd, out);
	close(fd);
	return e;
}

int sw_snap_iter_owners(struct sw_snap_iter *it, struct sw_iter_buf *out)
{
	int fd, e;

	fd = create_iter(it->task);
	if (fd < 0)
		return fd;
	e = read_iter(fd, out);
	close(fd);
	return e;
}
