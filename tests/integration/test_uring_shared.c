// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * io_uring multishot accepts that share one user_data on a ring (0, or one
 * "accept" tag for an IPv4 and an IPv6 listener): their completions carry
 * no request, only the ring and user_data, so whatever tracepoint mode
 * remembers under that key must serve all of them, and go with the last.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "tests.h"
#include "uring.h"

#define SHR_CONNS 4 /* connections, at most */
#define SHR_CANCEL_UD 99

/* What the server child tells the test, one byte each. */
enum { SHR_ARMED = 1, SHR_DONE };

struct shr_srv {
	int lfd[2];
	bool direct[2]; /* that listener's accept goes into the ring's fixed files */
	bool cancel_first; /* cancel the first listener's accept once both are armed */
	bool single; /* also a single-shot accept on the first listener, and a second ring */
	/*
	 * Descriptors 0, 1, 2 closed, the first listener put at 0: the
	 * accepted descriptors (1, 2, ...) and fixed-file slots (0, 1, ...)
	 * collide, so that a slot taken for a descriptor names the first
	 * listener or a connection accepted before.
	 */
	bool collide;
	/*
	 * After the cancel, a multishot poll with the same user_data of a
	 * connection the server made itself, put at descriptor POLLWRNORM:
	 * its completion's result (the poll's mask) names that descriptor.
	 */
	bool poll;
	int want; /* completions to wait for after SHR_ARMED */
	__u64 tag; /* the user_data of every accept */
};

static int shr_say(struct peer_io *io, char stage)
{
	return peer_report(io, &stage, 1);
}

/*
 * Arms a multishot accept on each listener, all with the same user_data;
 * reports SHR_ARMED, takes `want` connections, reports SHR_DONE, then holds
 * until released and closes the descriptors it accepted (not the rings:
 * exiting closes them, with their accepts still armed).
 */
static int shr_server(struct peer_io *io)
{
	struct shr_srv *c = io->arg;
	struct io_uring_cqe cqe;
	struct uring r, r2;
	int fds[SHR_CONNS], n = 0, e;

	e = uring_open(&r, 16);
	if (e)
		return e == -ENOSYS || e == -EPERM ? 77 : 140;
	if ((c->direct[0] || c->direct[1]) && uring_direct(&r, 2 * SHR_CONNS))
		return 79;
	if (c->collide) {
		for (int fd = 0; fd < 3; fd++)
			close(fd);
		if (dup2(c->lfd[0], 0) != 0)
			return 150;
	}
	for (int i = 0; i < 2; i++)
		if (uring_accept_to(&r, c->lfd[i], true, false, c->direct[i], c->tag))
			return 141;
	if (uring_peek(&r, &cqe) == 0)
		return cqe.res == -EINVAL ? 78 : 142; /* no multishot accepts before 5.19 */
	if (c->cancel_first) {
		bool cancelled = false, final = false;

		if (uring_cancel_fd(&r, c->lfd[0], SHR_CANCEL_UD))
			return 143;
		while (!cancelled || !final) {
			if (uring_wait(&r, &cqe))
				return 144;
			if (cqe.user_data == SHR_CANCEL_UD && cqe.res == 1)
				cancelled = true;
			else if (cqe.user_data == c->tag && cqe.res == -ECANCELED &&
				 !(cqe.flags & IORING_CQE_F_MORE))
				final = true;
			else
				return 145;
		}
	}
	if (c->poll) {
		int cfd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in sa = { .sin_family = AF_INET };
		socklen_t len = sizeof(sa);

		if (cfd < 0 || getsockname(c->lfd[0], (struct sockaddr *)&sa, &len) ||
		    connect(cfd, (struct sockaddr *)&sa, len) ||
		    dup2(cfd, POLLWRNORM) != POLLWRNORM)
			return 152;
		if (uring_poll_multi(&r, POLLWRNORM, POLLWRNORM, c->tag) || uring_wait(&r, &cqe) ||
		    cqe.user_data != c->tag || cqe.res != POLLWRNORM ||
		    !(cqe.flags & IORING_CQE_F_MORE))
			return 153;
	}
	if (c->single) {
		if (uring_accept_to(&r, c->lfd[0], false, false, false, c->tag) ||
		    uring_open(&r2, 8) ||
		    uring_accept_to(&r2, c->lfd[0], true, false, false, c->tag))
			return 146;
	}
	if (shr_say(io, SHR_ARMED))
		return 147;
	while (n < c->want) {
		if (uring_wait(&r, &cqe) || cqe.user_data != c->tag || cqe.res < 0 ||
		    !(cqe.flags & IORING_CQE_F_MORE))
			return 148;
		fds[n++] = cqe.res;
	}
	/* the results collide as said (see collide): the test tests what it says */
	if (c->collide && (n != 4 || fds[0] != 1 || fds[1] != 0 || fds[2] != 2 || fds[3] != 1))
		return 151;
	if (shr_say(io, SHR_DONE))
		return 149;
	peer_hold(io);
	for (int i = 0; i < n && !c->direct[0] && !c->direct[1]; i++)
		close(fds[i]);
	return 0; /* the rings close as the process exits */
}

/* For poll_until(): no uring map entry left for the tag. */
static bool uring_forgotten(void *arg)
{
	return sw_tracer_uring_entries(H.tracer, *(__u64 *)arg) == 0;
}

/* A user_data of this run's own: other tracers' rings share the host. */
static __u64 shr_tag(void)
{
	return 0x5357000000000000ULL | (__u64)getpid();
}

/*
 * Runs the server with two listeners: to[i] says to which (0 or 1) the
 * i-th of nconn connections goes. Then every connection must have one
 * accept owned by the server, and once the rings are gone (the server
 * exited with an accept armed) the uring maps hold nothing of the tag.
 * closes: the server's closes must be owned too.
 */
/*
 * Whether the io_uring programs and their maps are in use: fentry mode takes
 * io_uring's accepts with its fexit on the accept function, and loads none.
 */
static bool shr_maps_used(void)
{
	return sw_tracer_mode(H.tracer) != SW_ATTACH_FENTRY;
}

static int shr_run(struct shr_srv *c, const int *to, int nconn, bool closes)
{
	struct want_kind w = { .kind = SW_EV_ACCEPT, .n = nconn };
	int cfd[SHR_CONNS], made = 0, rc, st;
	__u16 port[2] = { 0, 0 }, cport[SHR_CONNS];
	struct peer p;
	char stage = 0;

	if (sw_tracer_uring_why(H.tracer))
		return test_skip("io_uring accepts not traced here: %s",
				 sw_tracer_uring_why(H.tracer));
	w.netns = ns_new();
	CHECK(w.netns, "cannot make a network namespace");
	suite_reset();
	c->tag = shr_tag();
	c->want = nconn;
	for (int i = 0; i < 2; i++) {
		c->lfd[i] = listen_on(AF_INET, "127.0.0.1", &port[i]);
		CHECK(c->lfd[i] >= 0, "listen: %s", strerror(-c->lfd[i]));
	}
	rc = peer_spawn(&p, "sw_uring_shr", shr_server, c);
	CHECK(rc == 0, "spawn: %s", strerror(-rc));
	if (peer_read(&p, &stage, 1) && stage == SHR_ARMED) {
		CHECK(!shr_maps_used() || sw_tracer_uring_entries(H.tracer, c->tag) > 0,
		      "no uring map entry for the armed accepts");
		for (; made < nconn; made++) {
			cfd[made] = connect_to(AF_INET, "127.0.0.1", port[to[made]]);
			if (cfd[made] < 0)
				break;
			cport[made] = port_of(cfd[made], false);
			usleep(20 * 1000); /* accepted in that order */
		}
		if (!peer_read(&p, &stage, 1))
			stage = 0;
	}
	rc = stage == SHR_DONE ? poll_until(H.tracer, &H.all, kind_seen, &w, 5000) : -1;
	st = peer_reap(&p);
	for (int i = 0; i < made; i++)
		close(cfd[i]);
	close(c->lfd[0]);
	close(c->lfd[1]);
	if (st == 77)
		return test_skip("no io_uring here (io_uring_setup refused)");
	if (st == 78)
		return test_skip("no multishot accepts before 5.19");
	if (st == 79)
		return test_skip("no sparse fixed-file tables before 5.19");
	CHECK(st == 0 && stage == SHR_DONE, "io_uring server failed at stage %d (exit %d)", stage,
	      st);
	CHECK(made == nconn, "%d connections of %d", made, nconn);
	CHECK(rc == 0, "accept events: %zu of %d", count_kind(&H.all, w.netns, SW_EV_ACCEPT),
	      nconn);
	w.kind = SW_EV_CLOSE;
	w.n = 2 * nconn;
	CHECK(poll_until(H.tracer, &H.all, kind_seen, &w, 5000) == 0, "close events: %zu of %d",
	      count_kind(&H.all, w.netns, SW_EV_CLOSE), 2 * nconn);
	CHECK(count_kind(&H.all, w.netns, SW_EV_ACCEPT) == (size_t)nconn,
	      "accept events: %zu, want %d", count_kind(&H.all, w.netns, SW_EV_ACCEPT), nconn);
	for (int i = 0; i < nconn; i++) {
		__u16 lport = port[to[i]];
		const struct sw_record *a =
			find_ports(&H.all, w.netns, SW_EV_ACCEPT, lport, cport[i]);
		const struct sw_record *x =
			find_ports(&H.all, w.netns, SW_EV_CLOSE, lport, cport[i]);

		CHECK(a, "no accept of the connection %u -> %u", cport[i], lport);
		CHECK(a->ev.pid == (__u32)p.pid && !strcmp(a->ev.comm, "sw_uring_shr"),
		      "accept %u -> %u: owner %u '%s', want %d 'sw_uring_shr'", cport[i], lport,
		      a->ev.pid, a->ev.comm, p.pid);
		CHECK(x, "no server-side close of %u -> %u", cport[i], lport);
		CHECK(!closes || (x->ev.pid == (__u32)p.pid && !strcmp(x->ev.comm, "sw_uring_shr")),
		      "close %u -> %u: owner %u '%s', want %d 'sw_uring_shr'", cport[i], lport,
		      x->ev.pid, x->ev.comm, p.pid);
	}
	CHECK(poll_until(H.tracer, &H.all, uring_forgotten, &c->tag, 3000) == 0,
	      "%d uring map entries left for the tag after the rings closed",
	      sw_tracer_uring_entries(H.tracer, c->tag));
	return 0;
}

/*
 * Two multishot accepts with one user_data, the first cancelled (its last
 * completion, -ECANCELED, carries the request): the other's accepts, whose
 * completions carry none, are all reported, owned by the server, and so
 * are the server's closes of them. A multishot poll's completion under the
 * same user_data, whose mask names a connection of the server's own, is no
 * accept of it.
 */
int t_uring_shared_cancel(void)
{
	struct shr_srv c = { .cancel_first = true, .poll = true };
	int to[] = { 1, 1, 1 };

	return shr_run(&c, to, 3, true);
}

/*
 * A multishot accept into the process's descriptors and one into the ring's
 * fixed files, one user_data: a completion's result is a descriptor for the
 * first and a slot for the second, and nothing in it says which. With the
 * two colliding (collide), the second connection's slot 0 is descriptor 0,
 * the first listener, and the fourth's slot 1 is descriptor 1, the first
 * connection. Each connection's accept is reported once, of the right socket.
 */
int t_uring_shared_fixed(void)
{
	struct shr_srv c = { .direct = { false, true }, .collide = true };
	int to[] = { 0, 1, 0, 1 };

	return shr_run(&c, to, 4, false);
}

/*
 * A process that exits with accepts armed under one user_data: two
 * multishot on one ring (one into fixed files), a single-shot beside them,
 * a multishot on a second ring. The rings' teardown cancels them all, and
 * nothing of the tag stays in the uring maps.
 */
int t_uring_shared_exit(void)
{
	struct shr_srv c = { .direct = { false, true }, .single = true };
	int to[] = { 1 };

	return shr_run(&c, to, 1, false);
}
