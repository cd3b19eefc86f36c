// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Integration tests: connect/accept/close/listen flows with exact pids, addresses and bytes. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "harness.h"
#include "procinfo.h"
#include "sockid.h"
#include "tests.h"

#define CLIENT_BYTES 1000
#define SERVER_BYTES 500

static bool addr_is(const __u8 *got, const char *want)
{
	unsigned int family;
	__u8 a[16];

	if (sw_addr_parse(want, &family, a))
		return false;
	return memcmp(got, a, 16) == 0;
}

struct flow {
	int family;
	const char *addr; /* where the listener is and the client connects */
	const char *listen_addr;
	int listen_family;
	int proto; /* for socket(2): 0 (TCP) or IPPROTO_MPTCP */
	int ready_fd; /* abort_connector: written to once connect() has returned */
	int lfd;
	__u16 port;
};

static int acceptor(void *arg)
{
	struct flow *f = arg;
	int fd = accept(f->lfd, NULL, NULL);

	if (fd < 0)
		return 10;
	if (read_exact(fd, CLIENT_BYTES) != CLIENT_BYTES)
		return 11;
	if (write_all(fd, SERVER_BYTES))
		return 12;
	if (read_to_eof(fd) != 0)
		return 13;
	close(fd);
	return 0;
}

static int connector(void *arg)
{
	struct flow *f = arg;
	int fd = connect_to_proto(f->family, f->proto, f->addr, f->port);

	if (fd < 0)
		return 20;
	if (write_all(fd, CLIENT_BYTES))
		return 21;
	if (read_exact(fd, SERVER_BYTES) != SERVER_BYTES)
		return 22;
	close(fd);
	return 0;
}

struct want_closes {
	__u32 netns;
	size_t closes;
	size_t unlistens;
};

static bool closes_seen(void *arg)
{
	struct want_closes *w = arg;

	return count_kind(&H.all, w->netns, SW_EV_CLOSE) >= w->closes &&
	       count_kind(&H.all, w->netns, SW_EV_UNLISTEN) >= w->unlistens;
}

static int owner_is(const struct sw_event *e, pid_t pid, const char *comm)
{
	return e->pid == (__u32)pid && e->tid == (__u32)pid && !strcmp(e->comm, comm) &&
	       e->uid == getuid();
}

/* Listener in this process, accept in a forked child, connect in another. */
static int run_flow(struct flow *f, unsigned int want_family, const char *want_laddr,
		    const char *want_raddr)
{
	const struct sw_record *l, *c, *a, *cc, *sc, *u;
	struct want_closes w = { .closes = 2, .unlistens = 1 };
	pid_t pa, pc, self = getpid();
	char self_comm[16] = {};

	w.netns = ns_new();
	CHECK(w.netns, "cannot make a network namespace: %s", strerror(errno));
	suite_reset();
	prctl(PR_GET_NAME, self_comm);
	f->port = 0;
	f->lfd = listen_on_proto(f->listen_family, f->proto, f->listen_addr, &f->port);
	CHECK(f->lfd >= 0, "listen: %s", strerror(-f->lfd));
	pa = spawn("sw_acceptor", acceptor, f);
	pc = spawn("sw_connector", connector, f);
	CHECK(reap(pc) == 0, "connector failed");
	CHECK(reap(pa) == 0, "acceptor failed");
	close(f->lfd);
	CHECK(poll_until(H.tracer, &H.all, closes_seen, &w, 5000) == 0,
	      "timed out: %zu closes, %zu unlistens", count_kind(&H.all, w.netns, SW_EV_CLOSE),
	      count_kind(&H.all, w.netns, SW_EV_UNLISTEN));
	poll_for(H.tracer, 100);

	CHECK(count_kind(&H.all, w.netns, SW_EV_LISTEN) == 1, "listen events: %zu",
	      count_kind(&H.all, w.netns, SW_EV_LISTEN));
	CHECK(count_kind(&H.all, w.netns, SW_EV_CONNECT) == 1, "connect events: %zu",
	      count_kind(&H.all, w.netns, SW_EV_CONNECT));
	CHECK(count_kind(&H.all, w.netns, SW_EV_ACCEPT) == 1, "accept events: %zu",
	      count_kind(&H.all, w.netns, SW_EV_ACCEPT));
	CHECK(count_kind(&H.all, w.netns, SW_EV_CLOSE) == 2, "close events: %zu",
	      count_kind(&H.all, w.netns, SW_EV_CLOSE));

	l = find_kind(&H.all, w.netns, SW_EV_LISTEN, 0);
	CHECK(owner_is(&l->ev, self, self_comm), "listen owner pid %u comm %s", l->ev.pid,
	      l->ev.comm);
	CHECK(l->ev.lport == f->port && addr_is(l->ev.laddr, f->listen_addr),
	      "listen address/port");
	CHECK(l->ev.newstate == SW_TCP_LISTEN, "listen state %u", l->ev.newstate);

	c = find_kind(&H.all, w.netns, SW_EV_CONNECT, 0);
	CHECK(owner_is(&c->ev, pc, "sw_connector"), "connect owner pid %u (want %d) comm '%s'",
	      c->ev.pid, pc, c->ev.comm);
	CHECK(c->ev.family == want_family, "connect family %u", c->ev.family);
	CHECK(c->ev.rport == f->port && c->ev.lport != 0, "connect ports %u -> %u", c->ev.lport,
	      c->ev.rport);
	CHECK(addr_is(c->ev.raddr, want_raddr) && addr_is(c->ev.laddr, want_laddr),
	      "connect addresses");
	CHECK(c->ev.newstate == SW_TCP_ESTABLISHED && c->ev.oldstate == SW_TCP_SYN_SENT,
	      "connect states %u->%u", c->ev.oldstate, c->ev.newstate);

	a = find_kind(&H.all, w.netns, SW_EV_ACCEPT, 0);
	CHECK(owner_is(&a->ev, pa, "sw_acceptor"), "accept owner pid %u (want %d) comm '%s'",
	      a->ev.pid, pa, a->ev.comm);
	CHECK(a->ev.family == want_family, "accept family %u", a->ev.family);
	CHECK(a->ev.lport == f->port && a->ev.rport == c->ev.lport, "accept ports");
	CHECK(addr_is(a->ev.laddr, want_raddr) && addr_is(a->ev.raddr, want_laddr),
	      "accept addresses");
	CHECK((a->ev.flags & SW_F_ACCEPT_HOOK_MASK) >> SW_F_ACCEPT_HOOK_SHIFT ==
		      suite_accept_hook(),
	      "accept seen by hook %d, want %d, the %s mode's own",
	      (a->ev.flags & SW_F_ACCEPT_HOOK_MASK) >> SW_F_ACCEPT_HOOK_SHIFT, suite_accept_hook(),
	      sw_attach_mode_name(sw_tracer_mode(H.tracer)));

	cc = find_ports(&H.all, w.netns, SW_EV_CLOSE, c->ev.lport, f->port);
	CHECK(cc, "no close for the client socket");
	CHECK(cc->ev.cookie == c->ev.cookie, "client close cookie differs from connect");
	CHECK(owner_is(&cc->ev, pc, "sw_connector"), "client close owner %u", cc->ev.pid);
	CHECK(cc->ev.bytes_sent == CLIENT_BYTES && cc->ev.bytes_received == SERVER_BYTES,
	      "client bytes sent %llu received %llu", (unsigned long long)cc->ev.bytes_sent,
	      (unsigned long long)cc->ev.bytes_received);
	CHECK(cc->ev.closer == SW_CLOSER_LOCAL, "client closer %u", cc->ev.closer);
	CHECK(cc->ev.family == want_family, "client close family");

	sc = find_ports(&H.all, w.netns, SW_EV_CLOSE, f->port, c->ev.lport);
	CHECK(sc, "no close for the server socket");
	CHECK(sc->ev.cookie == a->ev.cookie, "server close cookie differs from accept");
	CHECK(owner_is(&sc->ev, pa, "sw_acceptor"), "server close owner %u", sc->ev.pid);
	CHECK(sc->ev.bytes_sent == SERVER_BYTES && sc->ev.bytes_received == CLIENT_BYTES,
	      "server bytes sent %llu received %llu", (unsigned long long)sc->ev.bytes_sent,
	      (unsigned long long)sc->ev.bytes_received);
	CHECK(sc->ev.closer == SW_CLOSER_REMOTE, "server closer %u", sc->ev.closer);
	CHECK(sc->ev.birth_ns && sc->ev.ts_ns > sc->ev.birth_ns, "server close duration");

	u = find_kind(&H.all, w.netns, SW_EV_UNLISTEN, 0);
	CHECK(u->ev.cookie == l->ev.cookie && u->ev.lport == f->port, "unlisten cookie/port");
	CHECK(owner_is(&u->ev, self, self_comm), "unlisten owner %u", u->ev.pid);

	/* seq is gap-free and increasing in delivery order */
	for (size_t i = 1; i < H.all.n; i++)
		CHECK(H.all.v[i].seq == H.all.v[i - 1].seq + 1, "seq gap at %zu", i);
	return 0;
}

int t_ipv4_flow(void)
{
	struct flow f = { .family = AF_INET,
			  .addr = "127.0.0.1",
			  .listen_family = AF_INET,
			  .listen_addr = "127.0.0.1" };

	return run_flow(&f, SW_AF_INET, "127.0.0.1", "127.0.0.1");
}

int t_ipv6_flow(void)
{
	struct flow f = {
		.family = AF_INET6, .addr = "::1", .listen_family = AF_INET6, .listen_addr = "::1"
	};

	return run_flow(&f, SW_AF_INET6, "::1", "::1");
}

/* An AF_INET6 client to ::ffff:127.0.0.1 and a dual-stack :: listener: plain IPv4 events. */
int t_mapped_flow(void)
{
	struct flow f = { .family = AF_INET6,
			  .addr = "::ffff:127.0.0.1",
			  .listen_family = AF_INET6,
			  .listen_addr = "::" };

	return run_flow(&f, SW_AF_INET, "127.0.0.1", "127.0.0.1");
}

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

/*
 * MPTCP: accept() returns the MPTCP socket, not the TCP subflow whose
 * states the events follow; the accept must still be found and attributed.
 */
int t_mptcp_flow(void)
{
	struct flow f = { .family = AF_INET,
			  .addr = "127.0.0.1",
			  .listen_family = AF_INET,
			  .listen_addr = "127.0.0.1",
			  .proto = IPPROTO_MPTCP };
	int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP);

	if (fd < 0)
		return test_skip("no MPTCP sockets here: %s", strerror(errno));
	close(fd);
	return run_flow(&f, SW_AF_INET, "127.0.0.1", "127.0.0.1");
}

static int mptcp_late_acceptor(void *arg)
{
	struct flow *f = arg;
	int fd = accept(f->lfd, NULL, NULL);

	if (fd < 0)
		return 120;
	close(fd);
	return 0;
}

/*
 * MPTCP: a connection reset before accept() took it. MPTCP disconnects its
 * first subflow then, which zeroes the subflow's peer port: the accept must
 * still carry the peer's port, like its close, and share the close's id.
 */
int t_mptcp_reset_before_accept(void)
{
	struct flow f = { .family = AF_INET, .addr = "127.0.0.1" };
	struct want_kind w = { .kind = SW_EV_CLOSE, .n = 2 };
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	const struct sw_record *a, *sc;
	__u16 cport;
	pid_t pa;
	int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP);

	if (fd < 0)
		return test_skip("no MPTCP sockets here: %s", strerror(errno));
	close(fd);
	w.netns = ns_new();
	CHECK(w.netns, "cannot make a network namespace");
	suite_reset();
	f.lfd = listen_on_proto(AF_INET, IPPROTO_MPTCP, "127.0.0.1", &f.port);
	CHECK(f.lfd >= 0, "listen: %s", strerror(-f.lfd));
	fd = connect_to_proto(AF_INET, IPPROTO_MPTCP, "127.0.0.1", f.port);
	CHECK(fd >= 0, "connect: %s", strerror(-fd));
	cport = port_of(fd, false);
	CHECK(cport, "getsockname");
	CHECK(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0, "SO_LINGER");
	close(fd);
	/* both ends closed (the server's by the reset) before anyone accepts */
	CHECK(poll_until(H.tracer, &H.all, kind_seen, &w, 5000) == 0, "close events: %zu",
	      count_kind(&H.all, w.netns, SW_EV_CLOSE));
	pa = spawn("sw_mp_late", mptcp_late_acceptor, &f);
	CHECK(reap(pa) == 0, "late accept failed");
	close(f.lfd);
	w.kind = SW_EV_ACCEPT;
	w.n = 1;
	CHECK(poll_until(H.tracer, &H.all, kind_seen, &w, 5000) == 0, "no accept event");
	poll_for(H.tracer, 100);
	CHECK(count_kind(&H.all, w.netns, SW_EV_ACCEPT) == 1, "accept events: %zu",
	      count_kind(&H.all, w.netns, SW_EV_ACCEPT));
	a = find_kind(&H.all, w.netns, SW_EV_ACCEPT, 0);
	CHECK(a->ev.lport == f.port && a->ev.rport == cport, "accept ports %u <- %u, want %u <- %u",
	      a->ev.lport, a->ev.rport, f.port, cport);
	CHECK(addr_is(a->ev.laddr, "127.0.0.1") && addr_is(a->ev.raddr, "127.0.0.1") &&
		      a->ev.family == SW_AF_INET,
	      "accept addresses");
	CHECK(a->ev.newstate == SW_TCP_CLOSE, "accept state %u", a->ev.newstate);
	CHECK(owner_is(&a->ev, pa, "sw_mp_late"), "accept owner %u '%s'", a->ev.pid, a->ev.comm);
	CHECK((a->ev.flags & SW_F_NO_LATENCY) && !a->ev.latency_ns, "accept latency %llu flags %#x",
	      (unsigned long long)a->ev.latency_ns, a->ev.flags);
	sc = find_ports(&H.all, w.netns, SW_EV_CLOSE, f.port, cport);
	CHECK(sc, "no close for the server's subflow");
	CHECK((a->ev.flags & SW_F_KEY_IS_PTR) ||
		      sw_event_sockid(&a->ev) == sw_event_sockid(&sc->ev),
	      "the accept and its close have different ids");
	return 0;
}

static int refused_client(void *arg)
{
	int fd = connect_to(AF_INET, "127.0.0.1", *(__u16 *)arg);

	return fd == -ECONNREFUSED ? 0 : 30;
}

int t_connect_refused(void)
{
	struct want_kind w = { .kind = SW_EV_CONNECT_FAILED, .n = 1 };
	const struct sw_record *r;
	__u16 port = 9; /* nothing listens in a new namespace */
	pid_t pc;

	w.netns = ns_new();
	CHECK(w.netns, "cannot make a network namespace");
	suite_reset();
	pc = spawn("sw_refused", refused_client, &port);
	CHECK(reap(pc) == 0, "connect was not refused");
	CHECK(poll_until(H.tracer, &H.all, kind_seen, &w, 5000) == 0, "no connect_failed event");
	poll_for(H.tracer, 100);
	CHECK(count_kind(&H.all, w.netns, SW_EV_CONNECT_FAILED) == 1, "connect_failed: %zu",
	      count_kind(&H.all, w.netns, SW_EV_CONNECT_FAILED));
	CHECK(count_kind(&H.all, w.netns, SW_EV_CONNECT) == 0, "a connect event was emitted");
	CHECK(count_kind(&H.all, w.netns, SW_EV_CLOSE) == 0, "a close event was emitted");
	r = find_kind(&H.all, w.netns, SW_EV_CONNECT_FAILED, 0);
	CHECK(owner_is(&r->ev, pc, "sw_refused"), "owner %u '%s'", r->ev.pid, r->ev.comm);
	CHECK(r->ev.error == ECONNREFUSED, "errno %u", r->ev.error);
	CHECK(!strcmp(sw_error_reason(r->ev.error), "refused"), "reason");
	CHECK(r->ev.rport == port && r->ev.lport != 0, "ports %u -> %u", r->ev.lport, r->ev.rport);
	CHECK(addr_is(r->ev.raddr, "127.0.0.1") && r->ev.family == SW_AF_INET, "address");
	CHECK(r->ev.oldstate == SW_TCP_SYN_SENT && r->ev.newstate == SW_TCP_CLOSE, "states");
	return 0;
}

int t_listen_unlisten(void)
{
	/* A v6 socket bound to a v4-mapped address listens on IPv4 only: reported as v4. */
	static const struct {
		int family;
		const char *addr;
		unsigned int want_family;
		const char *want_addr;
	} binds[] = { { AF_INET, "127.0.0.1", SW_AF_INET, "127.0.0.1" },
		      { AF_INET, "0.0.0.0", SW_AF_INET, "0.0.0.0" },
		      { AF_INET6, "::", SW_AF_INET6, "::" },
		      { AF_INET6, "::1", SW_AF_INET6, "::1" },
		      { AF_INET6, "::ffff:0.0.0.0", SW_AF_INET, "0.0.0.0" },
		      { AF_INET6, "::ffff:127.0.0.1", SW_AF_INET, "127.0.0.1" } };
	enum { N = sizeof(binds) / sizeof(binds[0]) };
	struct want_kind w = { .kind = SW_EV_UNLISTEN, .n = N };
	const struct sw_procinfo *self;
	struct sw_proc_cache *procs;
	struct sw_file_id exe;
	__u16 ports[N] = {};
	__u64 start;
	int fds[N];

	CHECK(!sw_file_id_of("/proc/self/exe", &exe), "statx /proc/self/exe: %s", strerror(errno));
	procs = sw_proc_cache_new();
	CHECK(procs, "out of memory");
	self = sw_proc_cache_get(procs, getpid());
	start = self->start_time;
	sw_proc_cache_free(procs);
	CHECK(start, "no start time in /proc/self/stat");
	w.netns = ns_new();
	CHECK(w.netns, "cannot make a network namespace");
	suite_reset();
	for (int i = 0; i < N; i++) {
		fds[i] = listen_on(binds[i].family, binds[i].addr, &ports[i]);
		CHECK(fds[i] >= 0, "listen %s: %s", binds[i].addr, strerror(-fds[i]));
	}
	for (int i = 0; i < N; i++)
		close(fds[i]);
	CHECK(poll_until(H.tracer, &H.all, kind_seen, &w, 5000) == 0, "unlisten events missing");
	poll_for(H.tracer, 100);
	CHECK(count_kind(&H.all, w.netns, SW_EV_LISTEN) == N, "listen events: %zu",
	      count_kind(&H.all, w.netns, SW_EV_LISTEN));
	for (int i = 0; i < N; i++) {
		const struct sw_record *l = find_kind(&H.all, w.netns, SW_EV_LISTEN, i);
		const struct sw_record *u = find_kind(&H.all, w.netns, SW_EV_UNLISTEN, i);

		CHECK(l->ev.lport == ports[i] && addr_is(l->ev.laddr, binds[i].want_addr) &&
			      l->ev.family == binds[i].want_family,
		      "listen on %s: port %u family %u", binds[i].addr, l->ev.lport, l->ev.family);
		CHECK(u->ev.lport == ports[i] && u->ev.cookie == l->ev.cookie &&
			      addr_is(u->ev.laddr, binds[i].want_addr) &&
			      u->ev.family == binds[i].want_family,
		      "unlisten of %s: port %u family %u", binds[i].addr, u->ev.lport,
		      u->ev.family);
		CHECK(l->ev.pid == (__u32)getpid() && u->ev.pid == (__u32)getpid(), "owner");
		/* what /proc/PID/exe is checked against (exe_check.h) */
		CHECK(l->ev.exe_ino == exe.ino && l->ev.exe_mnt_id == exe.mnt_id,
		      "listen's executable: inode %llu mount %u, want %llu and %u",
		      (unsigned long long)l->ev.exe_ino, l->ev.exe_mnt_id,
		      (unsigned long long)exe.ino, exe.mnt_id);
		/* when the owner's process started, as /proc/PID/stat says it (procinfo.h) */
		CHECK(sw_ticks_of_boot_ns(l->ev.owner_start_ns) == start,
		      "listen's owner started at %llu ns: tick %llu, /proc says %llu",
		      (unsigned long long)l->ev.owner_start_ns,
		      (unsigned long long)sw_ticks_of_boot_ns(l->ev.owner_start_ns),
		      (unsigned long long)start);
	}
	return 0;
}

#define SELF_BYTES 700

struct self_conn {
	int family;
	const char *addr;
};

static int self_connector(void *arg)
{
	struct self_conn *sc = arg;
	__u16 port;
	int fd = connect_self(sc->family, sc->addr, &port);

	if (fd < 0)
		return 40;
	/* what it sends, it receives */
	if (write_all(fd, SELF_BYTES))
		return 41;
	if (read_exact(fd, SELF_BYTES) != SELF_BYTES)
		return 42;
	close(fd);
	return 0;
}

/*
 * A socket that connects to its own address and port goes SYN_SENT ->
 * SYN_RECV -> ESTABLISHED (a simultaneous open): one connect, no accept,
 * one close, with the connecting process as owner of both.
 */
static int run_self_connect(int family, const char *addr, unsigned int want_family)
{
	struct want_kind w = { .kind = SW_EV_CLOSE, .n = 1 };
	struct self_conn sc = { family, addr };
	const struct sw_record *c, *cl;
	pid_t pid;

	w.netns = ns_new();
	CHECK(w.netns, "cannot make a network namespace");
	suite_reset();
	pid = spawn("sw_selfconn", self_connector, &sc);
	CHECK(reap(pid) == 0, "self-connect to %s failed", addr);
	CHECK(poll_until(H.tracer, &H.all, kind_seen, &w, 5000) == 0, "no close event");
	poll_for(H.tracer, 100);
	CHECK(count_kind(&H.all, w.netns, SW_EV_CONNECT) == 1, "connect events: %zu",
	      count_kind(&H.all, w.netns, SW_EV_CONNECT));
	CHECK(count_kind(&H.all, w.netns, SW_EV_CONNECT_FAILED) == 0, "a connect_failed event");
	CHECK(count_kind(&H.all, w.netns, SW_EV_ACCEPT) == 0, "an accept event");
	CHECK(count_kind(&H.all, w.netns, SW_EV_CLOSE) == 1, "close events: %zu",
	      count_kind(&H.all, w.netns, SW_EV_CLOSE));

	c = find_kind(&H.all, w.netns, SW_EV_CONNECT, 0);
	CHECK(owner_is(&c->ev, pid, "sw_selfconn"), "connect owner pid %u (want %d) comm '%s'",
	      c->ev.pid, pid, c->ev.comm);
	CHECK(c->ev.family == want_family, "connect family %u", c->ev.family);
	CHECK(c->ev.lport && c->ev.lport == c->ev.rport, "connect ports %u -> %u", c->ev.lport,
	      c->ev.rport);
	CHECK(addr_is(c->ev.laddr, addr) && addr_is(c->ev.raddr, addr), "connect addresses");
	CHECK(c->ev.oldstate == SW_TCP_SYN_RECV && c->ev.newstate == SW_TCP_ESTABLISHED,
	      "connect states %u->%u", c->ev.oldstate, c->ev.newstate);
	CHECK(c->ev.latency_ns > 0 && c->ev.ts_ns > c->ev.birth_ns, "connect latency %llu",
	      (unsigned long long)c->ev.latency_ns);

	cl = find_kind(&H.all, w.netns, SW_EV_CLOSE, 0);
	CHECK(cl->ev.cookie == c->ev.cookie, "close cookie differs from connect");
	CHECK(owner_is(&cl->ev, pid, "sw_selfconn"), "close owner %u", cl->ev.pid);
	CHECK(cl->ev.lport == c->ev.lport && cl->ev.rport == c->ev.lport, "close ports");
	CHECK(cl->ev.bytes_sent == SELF_BYTES && cl->ev.bytes_received == SELF_BYTES,
	      "close bytes sent %llu received %llu", (unsigned long long)cl->ev.bytes_sent,
	      (unsigned long long)cl->ev.bytes_received);
	CHECK(cl->ev.closer == SW_CLOSER_LOCAL, "closer %u", cl->ev.closer);
	return 0;
}

int t_self_connect(void)
{
	if (run_self_connect(AF_INET, "127.0.0.1", SW_AF_INET))
		return -1;
	return run_self_connect(AF_INET6, "::1", SW_AF_INET6);
}

#define RESET_BYTES 300

static int reset_acceptor(void *arg)
{
	struct flow *f = arg;
	int fd = accept(f->lfd, NULL, NULL);
	long n;

	if (fd < 0)
		return 50;
	if (read_exact(fd, RESET_BYTES) != RESET_BYTES)
		return 51;
	if (write_all(fd, 1))
		return 52;
	/* the peer's reset ends the stream with an error, not EOF */
	n = read_to_eof(fd);
	close(fd);
	return n == -ECONNRESET ? 0 : 53;
}

static int reset_connector(void *arg)
{
	struct flow *f = arg;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int fd = connect_to(f->family, f->addr, f->port);

	if (fd < 0)
		return 60;
	if (write_all(fd, RESET_BYTES))
		return 61;
	if (read_exact(fd, 1) != 1)
		return 62;
	/* SO_LINGER 0: close() sends a reset instead of a FIN */
	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)))
		return 63;
	close(fd);
	return 0;
}

/* An abortive close: the end that resets is the closer (local), its peer sees remote. */
int t_reset_close(void)
{
	struct flow f = { .family = AF_INET, .addr = "127.0.0.1" };
	struct want_kind w = { .kind = SW_EV_CLOSE, .n = 2 };
	const struct sw_record *c, *cc, *sc;
	pid_t pa, pc;

	w.netns = ns_new();
	CHECK(w.netns, "cannot make a network namespace");
	suite_reset();
	f.lfd = listen_on(AF_INET, "127.0.0.1", &f.port);
	CHECK(f.lfd >= 0, "listen: %s", strerror(-f.lfd));
	pa = spawn("sw_rst_accept", reset_acceptor, &f);
	pc = spawn("sw_rst_connect", reset_connector, &f);
	CHECK(reap(pc) == 0, "connector failed");
	CHECK(reap(pa) == 0, "acceptor failed (no ECONNRESET?)");
	close(f.lfd);
	CHECK(poll_until(H.tracer, &H.all, kind_seen, &w, 5000) == 0, "close events missing");
	poll_for(H.tracer, 100);
	CHECK(count_kind(&H.all, w.netns, SW_EV_CLOSE) == 2, "close events: %zu",
	      count_kind(&H.all, w.netns, SW_EV_CLOSE));
	c = find_kind(&H.all, w.netns, SW_EV_CONNECT, 0);
	CHECK(c, "no connect event");

	cc = find_ports(&H.all, w.netns, SW_EV_CLOSE, c->ev.lport, f.port);
	CHECK(cc, "no close for the client socket");
	CHECK(owner_is(&cc->ev, pc, "sw_rst_connect"), "client close owner %u", cc->ev.pid);
	CHECK(cc->ev.oldstate == SW_TCP_ESTABLISHED, "client closed from %u", cc->ev.oldstate);
	CHECK(cc->ev.closer == SW_CLOSER_LOCAL, "client (resets) closer %u", cc->ev.closer);
	CHECK(cc->ev.bytes_sent == RESET_BYTES && cc->ev.bytes_received == 1,
	      "client bytes sent %llu received %llu", (unsigned long long)cc->ev.bytes_sent,
	      (unsigned long long)cc->ev.bytes_received);

	sc = find_ports(&H.all, w.netns, SW_EV_CLOSE, f.port, c->ev.lport);
	CHECK(sc, "no close for the server socket");
	CHECK(owner_is(&sc->ev, pa, "sw_rst_accept"), "server close owner %u", sc->ev.pid);
	CHECK(sc->ev.oldstate == SW_TCP_ESTABLISHED, "server closed from %u", sc->ev.oldstate);
	CHECK(sc->ev.closer == SW_CLOSER_REMOTE, "server (reset) closer %u", sc->ev.closer);
	CHECK(sc->ev.bytes_sent == 1 && sc->ev.bytes_received == RESET_BYTES,
	      "server bytes sent %llu received %llu", (unsigned long long)sc->ev.bytes_sent,
	      (unsigned long long)sc->ev.bytes_received);
	return 0;
}

static int abort_acceptor(void *arg)
{
	struct flow *f = arg;
	int fd = accept(f->lfd, NULL, NULL);
	long n;

	if (fd < 0)
		return 70;
	n = read_to_eof(fd);
	close(fd);
	return n == -ECONNRESET ? 0 : 71;
}

static int abort_connector(void *arg)
{
	struct flow *f = arg;
	int fd = connect_to(f->family, f->addr, f->port);
	long n;

	if (fd < 0)
		return 80;
	if (write(f->ready_fd, "c", 1) != 1)
		return 82;
	n = read_to_eof(fd); /* until the socket is destroyed under it */
	close(fd);
	return n == -ECONNABORTED ? 0 : 81;
}

/* A connection destroyed by this host (ss -K): local closer, the peer gets a reset. */
int t_destroyed_close(void)
{
	struct flow f = { .family = AF_INET, .addr = "127.0.0.1" };
	struct want_kind w = { .kind = SW_EV_ACCEPT, .n = 1 };
	const struct sw_record *c, *cc, *sc;
	struct pollfd ready;
	int err, rc, pipefd[2];
	pid_t pa, pc;
	__u16 cport;
	char byte;

	w.netns = ns_new();
	CHECK(w.netns, "cannot make a network namespace");
	suite_reset();
	f.lfd = listen_on(AF_INET, "127.0.0.1", &f.port);
	CHECK(f.lfd >= 0, "listen: %s", strerror(-f.lfd));
	CHECK(pipe(pipefd) == 0, "pipe: %s", strerror(errno));
	f.ready_fd = pipefd[1];
	pa = spawn("sw_kill_accept", abort_acceptor, &f);
	pc = spawn("sw_kill_connect", abort_connector, &f);
	close(pipefd[1]);
	/* Destroyed before its connect() returned (the accept event can come
	 * first), the connector would see connect() fail instead. */
	ready = (struct pollfd){ .fd = pipefd[0], .events = POLLIN };
	rc = poll(&ready, 1, 5000) == 1 && read(pipefd[0], &byte, 1) == 1;
	close(pipefd[0]);
	CHECK(rc, "the connector's connect() did not return");
	CHECK(poll_until(H.tracer, &H.all, kind_seen, &w, 5000) == 0, "no accept event");
	c = find_kind(&H.all, w.netns, SW_EV_CONNECT, 0);
	CHECK(c, "no connect event");
	cport = c->ev.lport;
	err = destroy_tcp4("127.0.0.1", cport, "127.0.0.1", f.port);
	if (err) {
		kill(pa, SIGKILL);
		kill(pc, SIGKILL);
		reap(pa);
		reap(pc);
		close(f.lfd);
		if (err == -EOPNOTSUPP)
			return test_skip(
				"kernel cannot destroy sockets (no CONFIG_INET_DIAG_DESTROY or tcp_diag)");
		CHECK(0, "SOCK_DESTROY: %s", strerror(-err));
	}
	rc = reap(pc);
	CHECK(rc == 0, "connector exit %d (81: no ECONNABORTED from read)", rc);
	rc = reap(pa);
	CHECK(rc == 0, "acceptor exit %d (71: no ECONNRESET from read)", rc);
	close(f.lfd);
	w.kind = SW_EV_CLOSE;
	w.n = 2;
	CHECK(poll_until(H.tracer, &H.all, kind_seen, &w, 5000) == 0, "close events missing");
	poll_for(H.tracer, 100);
	CHECK(count_kind(&H.all, w.netns, SW_EV_CLOSE) == 2, "close events: %zu",
	      count_kind(&H.all, w.netns, SW_EV_CLOSE));
	cc = find_ports(&H.all, w.netns, SW_EV_CLOSE, cport, f.port);
	CHECK(cc, "no close for the destroyed socket");
	CHECK(cc->ev.oldstate == SW_TCP_ESTABLISHED, "destroyed from %u", cc->ev.oldstate);
	CHECK(cc->ev.closer == SW_CLOSER_LOCAL, "destroyed socket's closer %u", cc->ev.closer);
	CHECK(owner_is(&cc->ev, pc, "sw_kill_connect"), "client close owner %u", cc->ev.pid);
	sc = find_ports(&H.all, w.netns, SW_EV_CLOSE, f.port, cport);
	CHECK(sc, "no close for the server socket");
	CHECK(sc->ev.closer == SW_CLOSER_REMOTE, "server (reset) closer %u", sc->ev.closer);
	CHECK(owner_is(&sc->ev, pa, "sw_kill_accept"), "server close owner %u", sc->ev.pid);
	return 0;
}

static struct sockaddr_in loopback4(__u16 port)
{
	return (struct sockaddr_in){ .sin_family = AF_INET,
				     .sin_port = htons(port),
				     .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
}

/* A SYN the full listener drops: given up after ~1 s (one retransmission, 300 ms budget). */
static int timeout_client(void *arg)
{
	struct sockaddr_in sa = loopback4(*(__u16 *)arg);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	unsigned int tmo = 300;

	if (fd < 0 || setsockopt(fd, IPPROTO_TCP, TCP_SYNCNT, &one, sizeof(one)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &tmo, sizeof(tmo)))
		return 90;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return 91;
	return errno == ETIMEDOUT ? 0 : 92;
}

/* A connect still in SYN_SENT that its owner closes. */
static int aborted_client(void *arg)
{
	struct sockaddr_in sa = loopback4(*(__u16 *)arg);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return 95;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno != EINPROGRESS)
		return 96;
	usleep(50 * 1000);
	close(fd);
	return 0;
}

/*
 * connect_failed with its reason: a listener whose accept queue is full
 * drops new SYNs, so one connect times out (ETIMEDOUT) and another, closed
 * while in SYN_SENT, is aborted (error 0).
 */
int t_connect_timeout_aborted(void)
{
	struct want_kind w = { .kind = SW_EV_CONNECT_FAILED, .n = 2 };
	const struct sw_record *r;
	__u16 port = 0;
	pid_t pt, pa;
	int lfd, first;
	bool timed = false, aborted = false;

	w.netns = ns_new();
	CHECK(w.netns, "cannot make a network namespace");
	suite_reset();
	lfd = listen_on(AF_INET, "127.0.0.1", &port);
	CHECK(lfd >= 0, "listen: %s", strerror(-lfd));
	/* backlog 0: one connection fills the accept queue */
	CHECK(listen(lfd, 0) == 0, "listen(0): %s", strerror(errno));
	first = connect_to(AF_INET, "127.0.0.1", port);
	CHECK(first >= 0, "first connect: %s", strerror(-first));
	/* connect() returns before the listener has taken the final ACK (at
	 * once here, not always under qemu): until the child is queued a SYN
	 * still gets through */
	CHECK(accept_queue_len(lfd, 1, 2000) == 0, "the first connection never reached the queue");
	pt = spawn("sw_timeout", timeout_client, &port);
	pa = spawn("sw_aborted", aborted_client, &port);
	CHECK(reap(pa) == 0, "aborted client failed");
	CHECK(reap(pt) == 0, "connect did not time out");
	CHECK(poll_until(H.tracer, &H.all, kind_seen, &w, 5000) == 0, "connect_failed: %zu",
	      count_kind(&H.all, w.netns, SW_EV_CONNECT_FAILED));
	close(first);
	close(lfd);
	poll_for(H.tracer, 100);
	CHECK(count_kind(&H.all, w.netns, SW_EV_CONNECT_FAILED) == 2, "connect_failed: %zu",
	      count_kind(&H.all, w.netns, SW_EV_CONNECT_FAILED));
	CHECK(count_kind(&H.all, w.netns, SW_EV_CONNECT) == 1, "connect events: %zu",
	      count_kind(&H.all, w.netns, SW_EV_CONNECT));
	for (size_t i = 0; i < 2; i++) {
		r = find_kind(&H.all, w.netns, SW_EV_CONNECT_FAILED, i);
		CHECK(r->ev.rport == port && r->ev.oldstate == SW_TCP_SYN_SENT &&
			      r->ev.newstate == SW_TCP_CLOSE,
		      "port %u states %u->%u", r->ev.rport, r->ev.oldstate, r->ev.newstate);
		if (!owner_is(&r->ev, pt, "sw_timeout")) {
			CHECK(owner_is(&r->ev, pa, "sw_aborted"), "owner %u '%s'", r->ev.pid,
			      r->ev.comm);
			CHECK(r->ev.error == 0 && !strcmp(sw_error_reason(r->ev.error), "aborted"),
			      "aborted connect: error %u", r->ev.error);
			aborted = true;
			continue;
		}
		CHECK(r->ev.error == ETIMEDOUT && !strcmp(sw_error_reason(r->ev.error), "timeout"),
		      "timed-out connect: error %u", r->ev.error);
		/* SYN at 0, retransmitted at ~1 s, given up at the next timer */
		CHECK(r->ev.ts_ns - r->ev.birth_ns >= 900000000ULL, "timed out after %llu ns",
		      (unsigned long long)(r->ev.ts_ns - r->ev.birth_ns));
		timed = true;
	}
	CHECK(timed && aborted, "one timed out, one aborted");
	return 0;
}

#define RESET_CONNS 4
#define AFTER_RESET_CONNS 64

static int late_acceptor(void *arg)
{
	struct flow *f = arg;

	for (int i = 0; i < RESET_CONNS; i++) {
		int fd = accept(f->lfd, NULL, NULL);

		if (fd < 0)
			return 100;
		close(fd);
	}
	return 0;
}

static int many_acceptor(void *arg)
{
	struct flow *f = arg;

	for (int i = 0; i < AFTER_RESET_CONNS; i++) {
		int fd = accept(f->lfd, NULL, NULL);

		if (fd < 0)
			return 101;
		if (read_to_eof(fd) != 0)
			return 102;
		close(fd);
	}
	return 0;
}

/*
 * Connections reset before accept() took them are accepted after their
 * close: one accept each, by the process that accepted it, with the close's
 * id. And they leave nothing behind: the sockets that come after it (the kernel
 * reuses a freed socket's memory at once) are each accepted exactly once,
 * by their own acceptor.
 */
int t_accept_after_reset(void)
{
	struct flow f = { .family = AF_INET, .addr = "127.0.0.1" };
	struct want_kind w = { .kind = SW_EV_CLOSE, .n = 2 * RESET_CONNS };
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	const struct sw_record *a;
	__u16 reset_ports[RESET_CONNS];
	size_t late = 0, many = 0;
	pid_t pl, pm;
	int fd;

	w.netns = ns_new();
	CHECK(w.netns, "cannot make a network namespace");
	suite_reset();
	f.lfd = listen_on(AF_INET, "127.0.0.1", &f.port);
	CHECK(f.lfd >= 0, "listen: %s", strerror(-f.lfd));
	for (int i = 0; i < RESET_CONNS; i++) {
		struct sockaddr_in me;
		socklen_t len = sizeof(me);

		fd = connect_to(AF_INET, "127.0.0.1", f.port);
		CHECK(fd >= 0, "connect: %s", strerror(-fd));
		CHECK(getsockname(fd, (struct sockaddr *)&me, &len) == 0, "getsockname");
		reset_ports[i] = ntohs(me.sin_port);
		CHECK(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0, "SO_LINGER");
		close(fd);
	}
	/* both ends closed before anyone accepts */
	CHECK(poll_until(H.tracer, &H.all, kind_seen, &w, 5000) == 0, "close events missing");
	pl = spawn("sw_late_accept", late_acceptor, &f);
	CHECK(reap(pl) == 0, "late accept failed");
	pm = spawn("sw_acceptor2", many_acceptor, &f);
	for (int i = 0; i < AFTER_RESET_CONNS; i++) {
		fd = connect_to(AF_INET, "127.0.0.1", f.port);
		CHECK(fd >= 0, "connect %d: %s", i, strerror(-fd));
		close(fd);
	}
	CHECK(reap(pm) == 0, "acceptor failed");
	close(f.lfd);
	w.kind = SW_EV_ACCEPT;
	w.n = RESET_CONNS + AFTER_RESET_CONNS;
	CHECK(poll_until(H.tracer, &H.all, kind_seen, &w, 5000) == 0, "accept events: %zu",
	      count_kind(&H.all, w.netns, SW_EV_ACCEPT));
	poll_for(H.tracer, 100);
	CHECK(count_kind(&H.all, w.netns, SW_EV_ACCEPT) == RESET_CONNS + AFTER_RESET_CONNS,
	      "accept events: %zu", count_kind(&H.all, w.netns, SW_EV_ACCEPT));

	for (size_t i = 0; (a = find_kind(&H.all, w.netns, SW_EV_ACCEPT, i)); i++) {
		const struct sw_record *sc = NULL;

		for (int k = 0; k < RESET_CONNS && !sc; k++)
			if (a->ev.rport == reset_ports[k])
				sc = find_ports(&H.all, w.netns, SW_EV_CLOSE, f.port, a->ev.rport);
		if (sc) {
			CHECK(owner_is(&a->ev, pl, "sw_late_accept"), "late accept owner %u '%s'",
			      a->ev.pid, a->ev.comm);
			CHECK(a->ev.newstate == SW_TCP_CLOSE, "late accept state %u",
			      a->ev.newstate);
			/* its birth went with its entry at the close: no latency */
			CHECK((a->ev.flags & SW_F_NO_LATENCY) && !a->ev.latency_ns,
			      "late accept latency %llu flags %#x",
			      (unsigned long long)a->ev.latency_ns, a->ev.flags);
			/* keyed by address (raw_tp), an id hashes the birth too,
			 * which the late accept no longer knows */
			CHECK((a->ev.flags & SW_F_KEY_IS_PTR) ||
				      sw_event_sockid(&a->ev) == sw_event_sockid(&sc->ev),
			      "late accept and its close have different ids");
			late++;
			continue;
		}
		CHECK(owner_is(&a->ev, pm, "sw_acceptor2"), "accept %zu: owner %u '%s' (want %d)",
		      i, a->ev.pid, a->ev.comm, pm);
		CHECK(!(a->ev.flags & SW_F_NO_LATENCY) && a->ev.latency_ns,
		      "accept %zu: latency %llu flags %#x", i, (unsigned long long)a->ev.latency_ns,
		      a->ev.flags);
		many++;
	}
	CHECK(late == RESET_CONNS && many == AFTER_RESET_CONNS, "%zu late, %zu others", late, many);
	return 0;
}

/*
 * Once w's unlisten came: exactly one listen and one unlisten in its netns,
 * returned in l and u. 0, or -1 with the test failed.
 */
static int one_listener(struct sw_tracer *t, struct evlist *list, struct want_kind *w,
			const struct sw_record **l, const struct sw_record **u)
{
	CHECK(poll_until(t, list, kind_seen, w, 5000) == 0, "no unlisten event");
	poll_for(t, 100);
	CHECK(count_kind(list, w->netns, SW_EV_LISTEN) == 1, "listen events: %zu (want 1)",
	      count_kind(list, w->netns, SW_EV_LISTEN));
	CHECK(count_kind(list, w->netns, SW_EV_UNLISTEN) == 1, "unlisten events: %zu (want 1)",
	      count_kind(list, w->netns, SW_EV_UNLISTEN));
	*l = find_kind(list, w->netns, SW_EV_LISTEN, 0);
	*u = find_kind(list, w->netns, SW_EV_UNLISTEN, 0);
	return 0;
}

/*
 * listen() without bind(): the kernel picks the port after the socket's
 * CLOSE->LISTEN transition, and the listen event must still carry it.
 */
static int listen_autobind(struct sw_tracer *t, struct evlist *list, int family, const char *any)
{
	struct want_kind w = { .kind = SW_EV_UNLISTEN, .n = 1, .list = list };
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	const struct sw_record *l, *u;
	__u16 port;
	int fd;

	w.netns = ns_new();
	CHECK(w.netns, "cannot make a network namespace");
	poll_for(t, 0);
	evlist_clear(list);
	fd = socket(family, SOCK_STREAM, 0);
	CHECK(fd >= 0 && listen(fd, 8) == 0, "listen: %s", strerror(errno));
	CHECK(getsockname(fd, (struct sockaddr *)&ss, &len) == 0, "getsockname");
	port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
					 ((struct sockaddr_in6 *)&ss)->sin6_port);
	close(fd);
	if (one_listener(t, list, &w, &l, &u))
		return -1;
	CHECK(l->ev.lport == port, "listen port %u, the kernel picked %u", l->ev.lport, port);
	CHECK(addr_is(l->ev.laddr, any), "listen address");
	CHECK(l->ev.pid == (__u32)getpid() && l->ev.newstate == SW_TCP_LISTEN, "listen owner %u",
	      l->ev.pid);
	CHECK(u->ev.lport == port && u->ev.cookie == l->ev.cookie, "unlisten port %u", u->ev.lport);
	CHECK(l->seq < u->seq, "listen after unlisten");
	return 0;
}

int t_listen_autobind(void)
{
	if (listen_autobind(H.tracer, &H.all, AF_INET, "0.0.0.0"))
		return -1;
	return listen_autobind(H.tracer, &H.all, AF_INET6, "::");
}

/*
 * A listen() that fails: two SO_REUSEADDR sockets may bind one port, but only
 * one may listen on it. The kernel moves the second to LISTEN before it finds
 * the port taken and back to CLOSE, all inside the failing call: that socket
 * never listened and must give no event (a false "new listener" alert).
 */
static int listen_conflict(struct sw_tracer *t, struct evlist *list, int family,
			   const char *loopback)
{
	struct want_kind w = { .kind = SW_EV_UNLISTEN, .n = 1, .list = list };
	struct sockaddr_storage ss = {};
	socklen_t len = sizeof(ss);
	const struct sw_record *l, *u;
	int a, b, one = 1, err;
	__u64 cookie = 0;
	__u16 port;

	w.netns = ns_new();
	CHECK(w.netns, "cannot make a network namespace");
	poll_for(t, 0);
	evlist_clear(list);
	a = socket(family, SOCK_STREAM, 0);
	b = socket(family, SOCK_STREAM, 0);
	CHECK(a >= 0 && b >= 0, "socket: %s", strerror(errno));
	CHECK(!setsockopt(a, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) &&
		      !setsockopt(b, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)),
	      "SO_REUSEADDR: %s", strerror(errno));
	CHECK(fill_addr(family, loopback, 0, &ss, &len) == 0, "address %s", loopback);
	CHECK(bind(a, (struct sockaddr *)&ss, len) == 0, "bind a: %s", strerror(errno));
	CHECK(getsockname(a, (struct sockaddr *)&ss, &len) == 0, "getsockname");
	CHECK(bind(b, (struct sockaddr *)&ss, len) == 0, "bind b: %s", strerror(errno));
	port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
					 ((struct sockaddr_in6 *)&ss)->sin6_port);
	CHECK(listen(a, 8) == 0, "listen a: %s", strerror(errno));
	err = listen(b, 8) ? errno : 0;
	CHECK(err == EADDRINUSE, "listen b: %s, want EADDRINUSE", err ? strerror(err) : "ok");
	len = sizeof(cookie);
	CHECK(getsockopt(a, SOL_SOCKET, SO_COOKIE, &cookie, &len) == 0, "SO_COOKIE: %s",
	      strerror(errno));
	close(b);
	close(a);
	if (one_listener(t, list, &w, &l, &u))
		return -1;
	CHECK(l->ev.lport == port && addr_is(l->ev.laddr, loopback), "listen endpoint port %u",
	      l->ev.lport);
	CHECK(l->ev.pid == (__u32)getpid(), "listen owner %u", l->ev.pid);
	/* raw_tp keys by address, and the cookie of the event is then not the socket's */
	CHECK((l->ev.flags & SW_F_KEY_IS_PTR) || l->ev.cookie == cookie,
	      "listen cookie %llu, the listening socket's %llu", (unsigned long long)l->ev.cookie,
	      (unsigned long long)cookie);
	CHECK(u->ev.cookie == l->ev.cookie && u->ev.lport == port, "unlisten of another socket");
	return 0;
}

int t_listen_conflict(void)
{
	if (listen_conflict(H.tracer, &H.all, AF_INET, "127.0.0.1"))
		return -1;
	return listen_conflict(H.tracer, &H.all, AF_INET6, "::1");
}

/* The same with the syscall exits on sys_exit (CAP_BPF + CAP_PERFMON without tracefs). */
int t_listen_autobind_sys_exit(void)
{
	struct sw_tracer_opts o = { .accept_exit = SW_ACCEPT_EXIT_SYS_EXIT };
	struct sw_tracer *t = NULL;
	struct evlist l = {};
	int ret = -1;

	if (tracer_open_into(&o, &l, &t)) {
		test_fail(__FILE__, __LINE__, "open", "second tracer did not open");
		goto out;
	}
	if (sw_tracer_accept_exit(t) != SW_ACCEPT_EXIT_SYS_EXIT) {
		test_fail(__FILE__, __LINE__, "hook", "syscall exits hooked as %s",
			  sw_accept_exit_name(sw_tracer_accept_exit(t)));
		goto out;
	}
	ret = listen_autobind(t, &l, AF_INET, "0.0.0.0");
	if (ret)
		goto out;
	if (sw_tracer_failed_listen_why(t)) {
		ret = test_skip("failed listen() part: %s", sw_tracer_failed_listen_why(t));
		goto out;
	}
	ret = listen_conflict(t, &l, AF_INET, "127.0.0.1");
out:
	sw_tracer_close(t);
	evlist_free(&l);
	return ret;
}
