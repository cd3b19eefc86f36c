// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * 32-bit programs (int 0x80 from a 64-bit test, which makes an i386 syscall):
 * their listen() and accept() calls, direct and through socketcall(). Their
 * syscalls skip the syscall tracepoints; the tracepoint and kprobe modes hook
 * their exits on sys_exit where the kernel runs them (5.15+). Each call runs
 * in a child: where the kernel has no 32-bit syscalls, int 0x80 kills it
 * (SIGSEGV), and the tests check that sockwatch's own probe (sw_compat_abis)
 * says the same.
 */
#include <errno.h>
#include <stddef.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <bpf/libbpf.h>

#include "abi.h"
#include "harness.h"
#include "ia32.h"
#include "tests.h"

#define SOCKETCALL_LISTEN 4
#define SOCKETCALL_ACCEPT 5
#define SOCKETCALL_ACCEPT4 18

/* socketcall(call, args): args are 32-bit words at an address below 4 GiB. */
static long ia32_socketcall(int call, const __u32 *words, int n)
{
	__u32 *args = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	long ret;

	if (args == MAP_FAILED)
		return -ENOMEM;
	memcpy(args, words, n * sizeof(*words));
	ret = ia32_call(NR32_SOCKETCALL, call, (long)(unsigned long)args, 0, 0);
	munmap(args, 4096);
	return ret;
}

/* Does this tracer see the exits of 32-bit calls (sys_exit, and able to tell listen())? */
static bool sees_ia32_exits(struct sw_tracer *t)
{
	return sw_tracer_accept_exit(t) == SW_ACCEPT_EXIT_SYS_EXIT &&
	       !sw_tracer_failed_listen_why(t);
}

/* The probe must agree with what a 32-bit call did (ran: true; faulted: false). */
static int probe_agrees(bool ran)
{
	bool said = sw_compat_abis() & SW_ABI_IA32;

	CHECK(said == ran, "sw_compat_abis() says ia32 %s, but a 32-bit call %s",
	      said ? "runs" : "does not run", ran ? "ran" : "faulted");
	return 0;
}

/*
 * Where the exits are the accept hook (every mode but fentry), the kernel
 * runs 32-bit syscalls and sys_exit can tell a listen() (5.15+), the exits
 * must be on sys_exit: the syscall tracepoints would not see these calls.
 */
static int exits_hook_right(void)
{
	bool can = libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_task_pt_regs, NULL) >
		   0;

	if (suite_accept_hook() != SW_ACCEPT_HOOK_SYSCALL || !can)
		return 0;
	CHECK(sw_tracer_accept_exit(H.tracer) == SW_ACCEPT_EXIT_SYS_EXIT,
	      "%s mode on a kernel with 32-bit syscalls hooks the exits with %s",
	      sw_attach_mode_name(sw_tracer_mode(H.tracer)),
	      sw_accept_exit_name(sw_tracer_accept_exit(H.tracer)));
	CHECK(strstr(sw_tracer_syscall_tp_why(H.tracer), "ia32"),
	      "the reason for sys_exit does not name the 32-bit programs: '%s'",
	      sw_tracer_syscall_tp_why(H.tracer));
	return 0;
}

/*
 * Spawns the 32-bit child fn and reads its report of len bytes. 0: it ran
 * and reported, and sockwatch's probe and hook choice agree (the child then
 * holds until peer_reap()); TEST_SKIP from test_skip(): no 32-bit syscalls
 * here, and the probe agrees; -1: a failure (reported, the child reaped).
 */
static int ia32_child(struct peer *p, const char *name, int (*fn)(struct peer_io *), void *arg,
		      void *report, size_t len)
{
	int rc = peer_spawn(p, name, fn, arg);

	CHECK(rc == 0, "spawn: %s", strerror(-rc));
	if (!peer_read(p, report, len)) {
		rc = peer_reap(p);
		if (rc >= 0) {
			test_fail(__FILE__, __LINE__, "peer_read", "%s exit %d", name, rc);
			return -1;
		}
		if (probe_agrees(false))
			return -1;
		return test_skip("no 32-bit syscalls here (int 0x80 faults)");
	}
	if (probe_agrees(true) || exits_hook_right()) {
		peer_reap(p);
		return -1;
	}
	return 0;
}

static int connect_port(__u16 port)
{
	return connect_to(AF_INET, "127.0.0.1", port);
}

/* What the listener child reports: three ports and the failed call's result. */
struct ia32_listens {
	__u16 direct; /* listen() without bind(), int 0x80 listen */
	__u16 socketcall; /* the same through socketcall(SYS_LISTEN) */
	__u16 conflict; /* a port another socket listens on already */
	__s32 conflict_ret; /* the 32-bit listen() on it: -EADDRINUSE */
};

/*
 * Listeners made by 32-bit listen() calls: two without bind() (the kernel
 * picks the port after the transition), each connected to at once, and one
 * that fails because another socket bound to the port listens already.
 */
static int ia32_listener(struct peer_io *io)
{
	struct ia32_listens r = {};
	int a, b, c1, c2, ca, cb, one = 1;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	__u32 args[2];

	a = socket(AF_INET, SOCK_STREAM, 0);
	b = socket(AF_INET, SOCK_STREAM, 0);
	if (a < 0 || b < 0 || ia32_call(NR32_LISTEN, a, 8, 0, 0))
		return 110;
	r.direct = port_of(a, false);
	ca = connect_port(r.direct);
	args[0] = b;
	args[1] = 8;
	if (ia32_socketcall(SOCKETCALL_LISTEN, args, 2))
		return 111;
	r.socketcall = port_of(b, false);
	cb = connect_port(r.socketcall);
	if (ca < 0 || cb < 0)
		return 112;
	c1 = socket(AF_INET, SOCK_STREAM, 0);
	c2 = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (c1 < 0 || c2 < 0 || setsockopt(c1, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(c2, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(c1, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(c1, (struct sockaddr *)&sa, &len) ||
	    bind(c2, (struct sockaddr *)&sa, sizeof(sa)) || listen(c1, 8))
		return 113;
	r.conflict = ntohs(sa.sin_port);
	r.conflict_ret = ia32_call(NR32_LISTEN, c2, 8, 0, 0);
	if (peer_report(io, &r, sizeof(r)))
		return 114;
	peer_hold(io);
	close(ca);
	close(cb);
	close(a);
	close(b);
	close(c2);
	close(c1);
	return 0;
}

static const struct sw_record *listen_on_port(__u32 netns, __u16 port, size_t *n)
{
	const struct sw_record *first = NULL, *r;

	*n = 0;
	for (size_t i = 0; (r = find_kind(&H.all, netns, SW_EV_LISTEN, i)); i++) {
		if (r->ev.lport != port)
			continue;
		if (!first)
			first = r;
		(*n)++;
	}
	return first;
}

/* The connect to port (its first), or NULL. */
static const struct sw_record *connect_to_port(__u32 netns, __u16 port)
{
	const struct sw_record *r;

	for (size_t i = 0; (r = find_kind(&H.all, netns, SW_EV_CONNECT, i)); i++)
		if (r->ev.rport == port)
			return r;
	return NULL;
}

struct two_listens {
	__u32 netns;
	__u16 a, b;
};

static bool both_listens_seen(void *arg)
{
	struct two_listens *t = arg;
	size_t na, nb;

	listen_on_port(t->netns, t->a, &na);
	listen_on_port(t->netns, t->b, &nb);
	return na && nb;
}

/*
 * 32-bit listen() calls, direct and through socketcall, without bind():
 * where their exits are hooked, each listen is reported by its exit with the
 * port the kernel picked, before the connect to it, and the call that fails
 * reports nothing; elsewhere the socket-map sweep reports the first two a
 * few seconds late (and the failed call shows as a listen and its unlisten).
 */
int t_listen_ia32(void)
{
	struct two_listens t = {};
	struct ia32_listens r;
	struct peer p;
	bool exact = sees_ia32_exits(H.tracer);
	__u16 ports[2];
	int rc;

	t.netns = ns_new();
	CHECK(t.netns, "cannot make a network namespace");
	suite_reset();
	rc = ia32_child(&p, "sw_ia32_listen", ia32_listener, NULL, &r, sizeof(r));
	if (rc)
		return rc;
	if (!exact && sw_tracer_no_sweep_why(H.tracer)) {
		peer_reap(&p);
		return test_skip("32-bit listen() exits not hooked, and no socket-map sweep: %s",
				 sw_tracer_no_sweep_why(H.tracer));
	}
	t.a = r.direct;
	t.b = r.socketcall;
	rc = poll_until(H.tracer, &H.all, both_listens_seen, &t, exact ? 5000 : 8000);
	CHECK(peer_reap(&p) == 0, "listener failed"); /* it closes its sockets */
	CHECK(r.conflict_ret == -EADDRINUSE, "32-bit listen() on a taken port: %d, want %d",
	      r.conflict_ret, -EADDRINUSE);
	CHECK(rc == 0, "listen events for ports %u and %u not both seen", t.a, t.b);
	poll_for(H.tracer, 200);
	ports[0] = t.a;
	ports[1] = t.b;
	for (int i = 0; i < 2; i++) {
		size_t n;
		const struct sw_record *l = listen_on_port(t.netns, ports[i], &n);
		const struct sw_record *c = connect_to_port(t.netns, ports[i]);

		CHECK(n == 1, "%zu listen events for port %u", n, ports[i]);
		CHECK(l->ev.pid == (__u32)p.pid && !strcmp(l->ev.comm, "sw_ia32_listen") &&
			      l->ev.uid == getuid(),
		      "listen owner %u '%s', want %d", l->ev.pid, l->ev.comm, p.pid);
		CHECK(c, "no connect to port %u", ports[i]);
		CHECK(!exact || l->seq < c->seq,
		      "the listen on port %u came after the connect to it: not from its exit",
		      ports[i]);
	}
	if (exact) {
		size_t n;

		listen_on_port(t.netns, r.conflict, &n);
		CHECK(n == 1,
		      "%zu listen events for the taken port %u: the failed 32-bit "
		      "listen() gave one",
		      n, r.conflict);
		CHECK(count_kind(&H.all, t.netns, SW_EV_LISTEN) == 3, "listen events: %zu, want 3",
		      count_kind(&H.all, t.netns, SW_EV_LISTEN));
	}
	return 0;
}

#define IA32_ACCEPTS 3

/* Accepts three queued connections: int 0x80 accept4, socketcall accept, socketcall accept4. */
static int ia32_acceptor(struct peer_io *io)
{
	int lfd = *(int *)io->arg;
	__u32 args[4] = { lfd, 0, 0, 0 };
	__u16 peer[IA32_ACCEPTS];
	long fd[IA32_ACCEPTS];

	fd[0] = ia32_call(NR32_ACCEPT4, lfd, 0, 0, 0);
	fd[1] = ia32_socketcall(SOCKETCALL_ACCEPT, args, 3);
	fd[2] = ia32_socketcall(SOCKETCALL_ACCEPT4, args, 4);
	for (int i = 0; i < IA32_ACCEPTS; i++) {
		if (fd[i] < 0)
			return 120 + i;
		peer[i] = port_of(fd[i], true);
	}
	if (peer_report(io, peer, sizeof(peer)))
		return 125;
	peer_hold(io);
	for (int i = 0; i < IA32_ACCEPTS; i++)
		close(fd[i]);
	return 0;
}

/*
 * accept() by a 32-bit program, in its three forms: one accept event each,
 * owned by the program, with the connection's ports (in fentry mode from the
 * accept-function hook, in the others from sys_exit).
 */
int t_accept_ia32(void)
{
	struct want_kind w = { .kind = SW_EV_ACCEPT, .n = IA32_ACCEPTS };
	int lfd, cfd[IA32_ACCEPTS], rc;
	__u16 port = 0, peer[IA32_ACCEPTS];
	static const char *how[] = { "accept4", "socketcall(SYS_ACCEPT)",
				     "socketcall(SYS_ACCEPT4)" };
	struct peer p;
	int seen = -1, st = -1;
	bool blind;

	w.netns = ns_new();
	CHECK(w.netns, "cannot make a network namespace");
	suite_reset();
	lfd = listen_on(AF_INET, "127.0.0.1", &port);
	CHECK(lfd >= 0, "listen: %s", strerror(-lfd));
	for (int i = 0; i < IA32_ACCEPTS; i++) {
		cfd[i] = connect_port(port);
		CHECK(cfd[i] >= 0, "connect: %s", strerror(-cfd[i]));
	}
	rc = ia32_child(&p, "sw_ia32_accept", ia32_acceptor, &lfd, peer, sizeof(peer));
	/* before 5.15 the tracepoint and kprobe modes keep the syscall tracepoints,
	 * blind to these */
	blind = suite_accept_hook() == SW_ACCEPT_HOOK_SYSCALL && !sees_ia32_exits(H.tracer);
	if (!rc && !blind)
		seen = poll_until(H.tracer, &H.all, kind_seen, &w, 5000);
	if (!rc)
		st = peer_reap(&p);
	for (int i = 0; i < IA32_ACCEPTS; i++)
		close(cfd[i]);
	close(lfd);
	if (rc)
		return rc; /* failed or skipped in ia32_child() */
	if (blind)
		return test_skip("%s mode sees 32-bit accepts from 5.15 on (exits on "
				 "sys_exit, accept_exit here: %s)",
				 sw_attach_mode_name(sw_tracer_mode(H.tracer)),
				 sw_accept_exit_name(sw_tracer_accept_exit(H.tracer)));
	CHECK(st == 0, "acceptor exit %d", st);
	CHECK(seen == 0, "accept events: %zu of %d", count_kind(&H.all, w.netns, SW_EV_ACCEPT),
	      IA32_ACCEPTS);
	poll_for(H.tracer, 100);
	CHECK(count_kind(&H.all, w.netns, SW_EV_ACCEPT) == IA32_ACCEPTS, "accept events: %zu",
	      count_kind(&H.all, w.netns, SW_EV_ACCEPT));
	for (int i = 0; i < IA32_ACCEPTS; i++) {
		const struct sw_record *a =
			find_ports(&H.all, w.netns, SW_EV_ACCEPT, port, peer[i]);
		int hook;

		CHECK(a, "no accept event for the %s of the connection from port %u", how[i],
		      peer[i]);
		CHECK(a->ev.pid == (__u32)p.pid && a->ev.tid == (__u32)p.pid &&
			      !strcmp(a->ev.comm, "sw_ia32_accept") && a->ev.uid == getuid(),
		      "%s: owner %u/%u '%s', want %d 'sw_ia32_accept'", how[i], a->ev.pid,
		      a->ev.tid, a->ev.comm, p.pid);
		hook = (a->ev.flags & SW_F_ACCEPT_HOOK_MASK) >> SW_F_ACCEPT_HOOK_SHIFT;
		CHECK(hook == suite_accept_hook(), "%s: accept hook %d, want %d", how[i], hook,
		      suite_accept_hook());
	}
	return 0;
}

/*
 * A seccomp filter as systemd's SystemCallArchitectures=native makes one:
 * calls of another architecture (i386) or with the x32 bit fail with EPERM.
 */
static int native_calls_only(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};

	return seccomp_filter(f, sizeof(f) / sizeof(f[0]));
}

static int sandboxed_probe(struct peer_io *io)
{
	unsigned int abis;

	if (native_calls_only())
		return 130;
	abis = sw_compat_abis_probe();
	return peer_report(io, &abis, sizeof(abis)) ? 131 : 0;
}

/*
 * sockwatch in a sandbox that refuses foreign calls (a hardened service
 * unit) cannot see whether the kernel runs them, and other programs may
 * run them: the probe must then assume so, not say "none". A kernel
 * without 32-bit syscalls faults on int 0x80 before any filter sees it, so
 * that is still told apart.
 */
int t_abi_probe_sandboxed(void)
{
	unsigned int free = sw_compat_abis_probe(), boxed = 0;
	struct peer p;
	int rc, st;

	CHECK(!(free & SW_ABI_ASSUMED), "unsandboxed probe: '%s', want a definite answer",
	      sw_compat_abis_name(free));
	CHECK(free == sw_compat_abis(), "probe '%s', cached '%s'", sw_compat_abis_name(free),
	      sw_compat_abis_name(sw_compat_abis()));
	rc = peer_spawn(&p, "sw_abi_boxed", sandboxed_probe, NULL);
	CHECK(rc == 0, "spawn: %s", strerror(-rc));
	rc = peer_read(&p, &boxed, sizeof(boxed));
	st = peer_reap(&p);
	CHECK(rc && st == 0, "sandboxed probe failed (exit %d)", st);
	CHECK(boxed & SW_ABI_ASSUMED, "sandboxed probe: '%s', want an assumption named",
	      sw_compat_abis_name(boxed));
	CHECK((boxed & SW_ABI_IA32) == (free & SW_ABI_IA32),
	      "sandboxed probe: '%s', unsandboxed '%s': ia32 told wrong",
	      sw_compat_abis_name(boxed), sw_compat_abis_name(free));
	CHECK(boxed & SW_ABI_X32, "sandboxed probe: '%s': x32 refused, so assumed",
	      sw_compat_abis_name(boxed));
	CHECK(strstr(sw_compat_abis_note(boxed), "assumed") && !*sw_compat_abis_note(free),
	      "notes '%s' (sandboxed) and '%s' (not)", sw_compat_abis_note(boxed),
	      sw_compat_abis_note(free));
	return 0;
}
