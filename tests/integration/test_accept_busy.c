// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Accepts while many processes sleep in accept(), as a prefork server's do.
 * Each sleeping caller sits inside inet_csk_accept() for as long as it waits:
 * a hook that keeps something per call until the function returns (a
 * kretprobe's instances, a fixed pool of max(10, 2 x CPUs)) has that much
 * less for everyone else. Every other way in must still give one accept,
 * with its owner: accept(2) by another process, io_uring, a 32-bit program,
 * the kernel's own kernel_accept(), and a connection reset before accept().
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "abi.h"
#include "harness.h"
#include "ia32.h"
#include "tests.h"
#include "uring.h"

#define BUSY_MAX 64

/* Processes blocked in accept() on a listener of their own. */
struct busy {
	pid_t pid[BUSY_MAX];
	int n;
	int lfd;
	__u16 port;
};

static int busy_acceptor(void *arg)
{
	int fd = accept(*(int *)arg, NULL, NULL);

	if (fd < 0)
		return 1;
	close(fd);
	return 0;
}

/* Whether pid sleeps in accept() or accept4(): /proc/PID/syscall names a call only off-CPU. */
static bool in_accept(pid_t pid)
{
	char path[64], buf[64] = "";
	FILE *f;
	long nr;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return sscanf(buf, "%ld ", &nr) == 1 && (nr == 43 || nr == 288);
}

static void busy_kill(struct busy *b)
{
	for (int i = 0; i < b->n; i++)
		kill(b->pid[i], SIGKILL);
	for (int i = 0; i < b->n; i++)
		reap(b->pid[i]);
	close(b->lfd);
}

/*
 * 16 processes blocked in accept() (more where the kernel's default
 * kretprobe pool, 2 per CPU, is larger), each after the suite's tracer
 * attached. 0 once every one sleeps in the call.
 */
static int busy_start(struct busy *b)
{
	int cpus = libbpf_num_possible_cpus();
	int i;

	b->n = cpus > 7 ? 2 * cpus + 2 : 16;
	if (b->n > BUSY_MAX)
		b->n = BUSY_MAX;
	b->port = 0;
	b->lfd = listen_on(AF_INET, "127.0.0.1", &b->port);
	CHECK(b->lfd >= 0, "listen: %s", strerror(-b->lfd));
	for (i = 0; i < b->n; i++)
		b->pid[i] = spawn("sw_busy_acc", busy_acceptor, &b->lfd);
	for (int tries = 0; tries < 200; tries++) {
		for (i = 0; i < b->n && in_accept(b->pid[i]); i++)
			;
		if (i == b->n)
			return 0;
		usleep(25000);
	}
	busy_kill(b);
	CHECK(0, "acceptor %d of %d not blocked in accept() after 5 s", i + 1, b->n);
}

/*
 * Connects to every blocked acceptor in netns: each returns with one
 * connection, and its accept is reported once, owned by it.
 */
static int busy_release(struct busy *b, __u32 netns)
{
	struct want_kind w = { .netns = netns, .kind = SW_EV_ACCEPT };
	const struct sw_record *a;
	int fd[BUSY_MAX], st, bad = 0;
	size_t n = 0;

	w.n = count_kind(&H.all, netns, SW_EV_ACCEPT) + b->n;
	for (int i = 0; i < b->n; i++)
		fd[i] = connect_to(AF_INET, "127.0.0.1", b->port);
	for (int i = 0; i < b->n; i++) {
		st = reap(b->pid[i]);
		if (st)
			bad = st;
	}
	for (int i = 0; i < b->n; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	close(b->lfd);
	CHECK(!bad, "a blocked acceptor failed (exit %d)", bad);
	poll_until(H.tracer, &H.all, kind_seen, &w, 5000);
	poll_for(H.tracer, 100);
	for (size_t i = 0; (a = find_kind(&H.all, netns, SW_EV_ACCEPT, i)); i++) {
		int k;

		if (a->ev.lport != b->port)
			continue;
		n++;
		for (k = 0; k < b->n && a->ev.pid != (__u32)b->pid[k]; k++)
			;
		CHECK(k < b->n && a->ev.tid == a->ev.pid && !strcmp(a->ev.comm, "sw_busy_acc"),
		      "accept of the connection from port %u: owner %u/%u '%s', want a blocked "
		      "acceptor",
		      a->ev.rport, a->ev.pid, a->ev.tid, a->ev.comm);
	}
	CHECK(n == (size_t)b->n, "%zu accepts by the %d blocked acceptors", n, b->n);
	return 0;
}

/* What an acceptor child reports: the peer port of the connection it took. */
static int plain_acceptor(struct peer_io *io)
{
	int fd = accept(*(int *)io->arg, NULL, NULL);
	__u16 peer;

	if (fd < 0)
		return 110;
	peer = port_of(fd, true);
	if (peer_report(io, &peer, sizeof(peer)))
		return 111;
	peer_hold(io);
	close(fd);
	return 0;
}

/* One io_uring accept (single-shot, on a connection already queued). */
static int uring_acceptor(struct peer_io *io)
{
	struct io_uring_cqe cqe;
	struct uring r;
	__u16 peer;
	int e;

	e = uring_open(&r, 4);
	if (e)
		return e == -ENOSYS || e == -EPERM ? 77 : 120;
	if (uring_accept(&r, *(int *)io->arg, false, false, 1) || uring_wait(&r, &cqe) ||
	    cqe.res < 0)
		return 121;
	peer = port_of(cqe.res, true);
	if (peer_report(io, &peer, sizeof(peer)))
		return 122;
	peer_hold(io);
	close(cqe.res);
	uring_close(&r);
	return 0;
}

/* One accept4() of a 32-bit program (int 0x80). */
static int ia32_acceptor(struct peer_io *io)
{
	long fd = ia32_call(NR32_ACCEPT4, *(int *)io->arg, 0, 0, 0);
	__u16 peer;

	if (fd < 0)
		return 130;
	peer = port_of(fd, true);
	if (peer_report(io, &peer, sizeof(peer)))
		return 131;
	peer_hold(io);
	close(fd);
	return 0;
}

/*
 * Connects to port, lets child name accept it and checks that the
 * accept is reported once, owned by the child. 77: the child could not
 * run here (no io_uring).
 */
static int accepted_by(__u32 netns, int lfd, __u16 port, const char *name,
		       int (*fn)(struct peer_io *))
{
	struct want_kind w = { .netns = netns, .kind = SW_EV_ACCEPT };
	const struct sw_record *a;
	struct peer p;
	__u16 peer = 0, mine;
	int c, rc, st;

	c = connect_to(AF_INET, "127.0.0.1", port);
	CHECK(c >= 0, "connect: %s", strerror(-c));
	mine = port_of(c, false);
	rc = peer_spawn(&p, name, fn, &lfd);
	CHECK(rc == 0, "spawn: %s", strerror(-rc));
	if (!peer_read(&p, &peer, sizeof(peer))) {
		st = peer_reap(&p);
		close(c);
		if (st == 77)
			return 77;
		CHECK(0, "%s failed (exit %d)", name, st);
	}
	CHECK(peer == mine, "%s accepted the connection from %u, want %u", name, peer, mine);
	w.n = count_kind(&H.all, netns, SW_EV_ACCEPT) + 1;
	rc = poll_until(H.tracer, &H.all, kind_seen, &w, 3000);
	st = peer_reap(&p);
	close(c);
	CHECK(st == 0, "%s exit %d", name, st);
	CHECK(rc == 0, "%s: no accept of the connection from port %u", name, mine);
	poll_for(H.tracer, 100);
	a = find_ports(&H.all, netns, SW_EV_ACCEPT, port, mine);
	CHECK(a, "%s: the accept reported is not the connection from %u", name, mine);
	CHECK(find_kind(&H.all, netns, SW_EV_ACCEPT, w.n) == NULL, "%s: %zu accepts, want %zu",
	      name, count_kind(&H.all, netns, SW_EV_ACCEPT), w.n);
	CHECK(a->ev.pid == (__u32)p.pid && a->ev.tid == (__u32)p.pid && !strcmp(a->ev.comm, name) &&
		      a->ev.uid == getuid(),
	      "%s: accept owner %u/%u '%s' uid %u, want %d", name, a->ev.pid, a->ev.tid, a->ev.comm,
	      a->ev.uid, p.pid);
	return 0;
}

/* Whether the suite's tracer sees a 32-bit program's accepts (see test_ia32.c). */
static bool sees_ia32_accepts(void)
{
	return suite_accept_hook() != SW_ACCEPT_HOOK_SYSCALL ||
	       sw_tracer_accept_exit(H.tracer) == SW_ACCEPT_EXIT_SYS_EXIT;
}

/* The ways in that t_accepts_past_blocked() tries, each in its own child. */
static const struct {
	const char *name;
	int (*fn)(struct peer_io *);
	const char *what;
} paths[] = {
	{ "sw_busy_plain", plain_acceptor, "accept(2)" },
	{ "sw_busy_uring", uring_acceptor, "io_uring" },
	{ "sw_busy_ia32", ia32_acceptor, "32-bit accept4" },
};

/* Why path i cannot be tried on this kernel in this mode, or NULL. */
static const char *path_unsupported(size_t i)
{
	if (paths[i].fn == uring_acceptor && sw_tracer_uring_why(H.tracer))
		return "not traced here";
	if (paths[i].fn == ia32_acceptor && !(sw_compat_abis() & SW_ABI_IA32))
		return "the kernel runs no 32-bit syscalls";
	if (paths[i].fn == ia32_acceptor && !sees_ia32_accepts())
		return "exits on the syscall tracepoints (before 5.15)";
	return NULL;
}

/*
 * With the acceptors blocked on one listener, another listener's
 * connections accepted by accept(2), io_uring and a 32-bit accept4(): one
 * accept each, owned by its process; then the blocked ones' own. Every
 * path is tried, and every one that fails is named.
 */
int t_accepts_past_blocked(void)
{
	char failed[sizeof(H.why)] = "", skipped[256] = "";
	__u32 netns = ns_new();
	struct busy b;
	__u16 port = 0;
	int lfd, rc;

	CHECK(netns, "cannot make a network namespace");
	suite_reset();
	if (busy_start(&b))
		return -1;
	lfd = listen_on(AF_INET, "127.0.0.1", &port);
	if (lfd < 0) {
		busy_kill(&b);
		CHECK(0, "listen: %s", strerror(-lfd));
	}
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		const char *why = path_unsupported(i);
		size_t n;

		if (!why) {
			H.why[0] = '\0';
			rc = accepted_by(netns, lfd, port, paths[i].name, paths[i].fn);
			if (rc == 77)
				why = "io_uring_setup refused";
			else if (rc) {
				n = strlen(failed);
				snprintf(failed + n, sizeof(failed) - n, "%s%s: %s", n ? "; " : "",
					 paths[i].what, H.why);
			}
		}
		if (why) {
			n = strlen(skipped);
			snprintf(skipped + n, sizeof(skipped) - n, "%s%s (%s)", n ? ", " : "",
				 paths[i].what, why);
		}
	}
	close(lfd);
	if (failed[0]) {
		busy_kill(&b);
		CHECK(0, "%d processes blocked in accept(): %s", b.n, failed);
	}
	if (busy_release(&b, netns))
		return -1;
	if (skipped[0])
		printf("# not tried on this kernel and mode: %s\n", skipped);
	return 0;
}

/* Runs test with acceptors blocked in another namespace all along. */
static int with_blocked(int (*test)(void))
{
	struct busy b;
	int rc;

	CHECK(ns_new(), "cannot make a network namespace");
	if (busy_start(&b))
		return -1;
	rc = test();
	busy_kill(&b);
	return rc;
}

int t_kernel_accept_past_blocked(void)
{
	return with_blocked(t_kernel_accept);
}

int t_accept_after_reset_past_blocked(void)
{
	return with_blocked(t_accept_after_reset);
}
