// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* io_uring: accepts (single-shot by a worker thread, multishot) and a listener made through the ring. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "tests.h"
#include "uring.h"

#define URING_MULTI 3 /* connections taken by the multishot accept */
#define URING_CONNS (1 + URING_MULTI)

/* What the server child tells the test, one byte each. */
enum { STAGE_SINGLE = 1, STAGE_MULTI, STAGE_NO_MULTI, STAGE_DONE };

struct uring_srv {
	int lfd;
	bool direct; /* into the ring's fixed files */
};

static int say(struct peer_io *io, char stage)
{
	return peer_report(io, &stage, 1);
}

/* Reports each stage, then holds its connections until the test releases it. */
static int uring_server(struct peer_io *io)
{
	struct uring_srv *c = io->arg;
	struct io_uring_cqe cqe;
	int fds[URING_CONNS], n = 0, e;
	struct uring r;

	e = uring_open(&r, 8);
	if (e)
		return e == -ENOSYS || e == -EPERM ? 77 : 120;
	if (c->direct && uring_direct(&r, URING_CONNS))
		return 79; /* no sparse fixed-file tables before 5.19 */
	/* single-shot, forced onto an io_uring worker thread (iou-wrk-N) */
	if (uring_accept(&r, c->lfd, false, true, 1) || say(io, STAGE_SINGLE))
		return 121;
	if (uring_wait(&r, &cqe) || cqe.user_data != 1 || cqe.res < 0)
		return 122;
	fds[n++] = cqe.res;
	if (uring_accept(&r, c->lfd, true, false, 2))
		return 123;
	/* a kernel without multishot accepts (before 5.19) fails it at once */
	if (uring_peek(&r, &cqe) == 0) {
		if (cqe.user_data != 2 || cqe.res != -EINVAL || say(io, STAGE_NO_MULTI))
			return 124;
	} else {
		if (say(io, STAGE_MULTI))
			return 125;
		while (n < URING_CONNS) {
			if (uring_wait(&r, &cqe) || cqe.user_data != 2 || cqe.res < 0 ||
			    !(cqe.flags & IORING_CQE_F_MORE))
				return 126;
			fds[n++] = cqe.res;
		}
	}
	if (say(io, STAGE_DONE))
		return 127;
	peer_hold(io);
	for (int i = 0; i < n && !c->direct; i++)
		close(fds[i]); /* fixed files go with the ring */
	uring_close(&r);
	return 0;
}

static __u16 local_port(int fd)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	return getsockname(fd, (struct sockaddr *)&sa, &len) ? 0 : ntohs(sa.sin_port);
}

/*
 * Accepts through io_uring: their owner is the process whose ring accepted
 * (not the io_uring worker thread that ran the accept), one event each;
 * direct: into the ring's fixed files, where the result is a slot.
 */
static int uring_accepts(bool direct)
{
	struct want_kind w = { .kind = SW_EV_ACCEPT };
	int cfd[URING_CONNS], nconn = 0, rc;
	__u16 port = 0, cport[URING_CONNS];
	struct uring_srv c = { .direct = direct };
	struct peer p;
	size_t found = 0;
	char stage = 0;

	if (sw_tracer_uring_why(H.tracer))
		return test_skip("io_uring accepts not traced here: %s",
				 sw_tracer_uring_why(H.tracer));
	w.netns = ns_new();
	CHECK(w.netns, "cannot make a network namespace");
	suite_reset();
	c.lfd = listen_on(AF_INET, "127.0.0.1", &port);
	CHECK(c.lfd >= 0, "listen: %s", strerror(-c.lfd));
	rc = peer_spawn(&p, "sw_uring_srv", uring_server, &c);
	CHECK(rc == 0, "spawn: %s", strerror(-rc));
	while (peer_read(&p, &stage, 1) && stage != STAGE_DONE) {
		int want = stage == STAGE_SINGLE ? 1 : stage == STAGE_MULTI ? URING_MULTI : 0;

		for (int i = 0; i < want && nconn < URING_CONNS; i++) {
			cfd[nconn] = connect_to(AF_INET, "127.0.0.1", port);
			if (cfd[nconn] < 0)
				break;
			cport[nconn] = local_port(cfd[nconn]);
			nconn++;
		}
	}
	w.n = nconn;
	rc = stage == STAGE_DONE ? poll_until(H.tracer, &H.all, kind_seen, &w, 5000) : -1;
	peer_release(&p);
	for (int i = 0; i < nconn; i++)
		close(cfd[i]);
	close(c.lfd);
	if (stage != STAGE_DONE) {
		int st = peer_reap(&p);

		if (st == 77)
			return test_skip("no io_uring here (io_uring_setup refused)");
		if (st == 79)
			return test_skip("no sparse fixed-file tables before 5.19");
		CHECK(0, "io_uring server failed at stage %d (exit %d)", stage, st);
	}
	CHECK(peer_reap(&p) == 0, "io_uring server failed");
	CHECK(nconn == URING_CONNS || (nconn == 1 && stage == STAGE_DONE), "%d connections", nconn);
	CHECK(rc == 0, "accept events: %zu of %d", count_kind(&H.all, w.netns, SW_EV_ACCEPT),
	      nconn);
	poll_for(H.tracer, 100);
	CHECK(count_kind(&H.all, w.netns, SW_EV_ACCEPT) == (size_t)nconn,
	      "accept events: %zu, want %d", count_kind(&H.all, w.netns, SW_EV_ACCEPT), nconn);
	for (int i = 0; i < nconn; i++) {
		const struct sw_record *a =
			find_ports(&H.all, w.netns, SW_EV_ACCEPT, port, cport[i]);

		CHECK(a, "no accept of the connection from port %u", cport[i]);
		CHECK(a->ev.pid == (__u32)p.pid && !strcmp(a->ev.comm, "sw_uring_srv") &&
			      a->ev.uid == getuid(),
		      "accept %d: owner %u '%s', want %d 'sw_uring_srv'", i, a->ev.pid, a->ev.comm,
		      p.pid);
		found++;
	}
	CHECK(found == (size_t)nconn, "accepts matched: %zu", found);
	if (nconn == 1)
		return test_skip("multishot part: no multishot accepts before 5.19");
	return 0;
}

int t_uring_accepts(void)
{
	return uring_accepts(false);
}

int t_uring_accepts_direct(void)
{
	return uring_accepts(true);
}

/*
 * A listener made through the ring alone, no bind() or listen() syscall:
 * IORING_OP_BIND, then IORING_OP_LISTEN run by an io_uring worker thread;
 * then a connection to it. Reports the port, then holds both until released.
 */
static int uring_listener(struct peer_io *io)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	struct io_uring_cqe cqe;
	struct uring r;
	int fd, cfd, e;
	__u16 port;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return 130;
	e = uring_open(&r, 8);
	if (e)
		return e == -ENOSYS || e == -EPERM ? 77 : 131;
	if (uring_bind(&r, fd, (struct sockaddr *)&sa, sizeof(sa), 1) || uring_wait(&r, &cqe))
		return 132;
	if (cqe.res == -EINVAL)
		return 78; /* no IORING_OP_BIND before 6.11 */
	if (cqe.res || uring_listen(&r, fd, 8, true, 2) || uring_wait(&r, &cqe) || cqe.res)
		return 133;
	if (getsockname(fd, (struct sockaddr *)&sa, &len))
		return 134;
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	if (cfd < 0 || connect(cfd, (struct sockaddr *)&sa, sizeof(sa)))
		return 135;
	port = ntohs(sa.sin_port);
	if (peer_report(io, &port, sizeof(port)))
		return 136;
	peer_hold(io);
	close(cfd);
	close(fd);
	uring_close(&r);
	return 0;
}

/*
 * A listener opened through io_uring (a way around syscall monitoring) is
 * reported at its transition, before the connection that follows it (not
 * by the socket-map sweep a second later), owned by the process.
 */
int t_uring_listen(void)
{
	struct want_kind w = { .kind = SW_EV_UNLISTEN, .n = 1 };
	const struct sw_record *l, *conn, *u;
	struct peer p;
	__u16 port = 0;
	int rc;

	w.netns = ns_new();
	CHECK(w.netns, "cannot make a network namespace");
	suite_reset();
	rc = peer_spawn(&p, "sw_uring_lsn", uring_listener, NULL);
	CHECK(rc == 0, "spawn: %s", strerror(-rc));
	rc = peer_read(&p, &port, sizeof(port));
	rc = rc ? peer_reap(&p) : -100 - peer_reap(&p); /* the child closes and exits */
	if (rc == -177)
		return test_skip("no io_uring here (io_uring_setup refused)");
	if (rc == -178)
		return test_skip("no IORING_OP_BIND/IORING_OP_LISTEN before 6.11");
	CHECK(rc == 0, "listener failed (%d)", rc);
	CHECK(poll_until(H.tracer, &H.all, kind_seen, &w, 5000) == 0, "no unlisten event");
	poll_for(H.tracer, 100);
	CHECK(count_kind(&H.all, w.netns, SW_EV_LISTEN) == 1, "listen events: %zu",
	      count_kind(&H.all, w.netns, SW_EV_LISTEN));
	l = find_kind(&H.all, w.netns, SW_EV_LISTEN, 0);
	conn = find_kind(&H.all, w.netns, SW_EV_CONNECT, 0);
	u = find_kind(&H.all, w.netns, SW_EV_UNLISTEN, 0);
	CHECK(l->ev.lport == port && u->ev.lport == port, "listen port %u, unlisten %u, want %u",
	      l->ev.lport, u->ev.lport, port);
	CHECK(l->ev.pid == (__u32)p.pid && !strcmp(l->ev.comm, "sw_uring_lsn"),
	      "listen owner %u '%s', want %d 'sw_uring_lsn'", l->ev.pid, l->ev.comm, p.pid);
	CHECK(conn && l->seq < conn->seq,
	      "the listen came after the connection to it: reported late, not at its transition");
	return 0;
}
