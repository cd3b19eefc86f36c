// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * io_uring operations run from task_work on the way out of a listen()
 * syscall: the task's saved registers still name listen(), but the call has
 * returned, and no exit will come to report what they do.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "tests.h"
#include "uring.h"

/* What the child tells the test. */
struct tw_report {
	__u16 port; /* bound, listened and shut down from task_work */
	__u16 unbound_port; /* listened through the ring unbound, closed from task_work */
	__s32 res[4]; /* the completions: listen, shutdown, unbound listen, its close */
	__s32 listen_errno; /* what listen(-1, 0) failed with in the child */
};

/* Reserved exit statuses of the child: skips. */
enum { TW_NO_URING = 77, TW_NO_LISTEN_OP = 78 };

#define TW_OP 2 /* user_data of the operation linked after the read */

/* The child's io_uring set-up for the trick: a pipe the writer thread fills. */
struct tw_trigger {
	int wfd;
};

static void pin_cpu(int cpu)
{
	cpu_set_t cs;

	CPU_ZERO(&cs);
	CPU_SET(cpu, &cs);
	sched_setaffinity(0, sizeof(cs), &cs); /* best effort: one CPU works too */
}

static void *tw_writer(void *arg)
{
	struct tw_trigger *t = arg;
	struct timespec d = { 0, 2000000 };

	pin_cpu(1);
	nanosleep(&d, NULL);
	if (write(t->wfd, "x", 1) != 1)
		return (void *)1;
	return NULL;
}

static __u64 now_ms(void)
{
	return mono_ns() / 1000000;
}

/*
 * Runs op from io_uring task_work right after a listen() syscall's exit: a
 * read on an empty pipe, op linked after it, on a ring whose task_work runs
 * when the task next leaves the kernel (IORING_SETUP_COOP_TASKRUN: no
 * interrupt). The task calls listen(-1, 0) in a loop while another thread
 * fills the pipe, and stops as soon as op has completed (no later listen()
 * exit). Returns op's result, or -ETIME.
 */
static int after_listen_exit(struct uring *r, const struct io_uring_sqe *op, int *listen_errno)
{
	struct io_uring_sqe rd = { .opcode = IORING_OP_READ, .flags = IOSQE_IO_LINK };
	struct io_uring_sqe o = *op;
	struct io_uring_cqe cqe;
	struct tw_trigger t;
	static char byte;
	int pfd[2], res = -ETIME, e;
	bool done = false;
	pthread_t th;
	__u64 end;

	if (pipe(pfd))
		return -errno;
	rd.fd = pfd[0];
	rd.addr = (__u64)(unsigned long)&byte;
	rd.len = 1;
	rd.user_data = 1;
	o.user_data = TW_OP;
	uring_queue(r, &rd);
	uring_queue(r, &o);
	e = uring_submit(r, 2);
	if (e)
		return e;
	t.wfd = pfd[1];
	if (pthread_create(&th, NULL, tw_writer, &t))
		return -EAGAIN;
	for (end = now_ms() + 2000; !done && now_ms() < end;) {
		if (syscall(SYS_listen, -1, 0) < 0)
			*listen_errno = errno;
		while (uring_peek(r, &cqe) == 0) {
			if (cqe.user_data == TW_OP) {
				res = cqe.res;
				done = true;
			}
		}
	}
	pthread_join(th, NULL);
	close(pfd[0]);
	close(pfd[1]);
	return res;
}

/* listen() fails with ENOSYS, as a seccomp filter may make it; the rest runs. */
static int listen_enosys(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_listen, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};

	return seccomp_filter(f, sizeof(f) / sizeof(f[0]));
}

static __u16 bound_port(int fd)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	return getsockname(fd, (struct sockaddr *)&sa, &len) ? 0 : ntohs(sa.sin_port);
}

static void pause_ms(long ms)
{
	struct timespec d = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&d, NULL);
}

/*
 * A listener bound and listened from task_work after listen(-1) calls,
 * held 150 ms (less than the sweep's grace) and shut down the same way (a
 * shutdown runs on an io_uring worker thread, whose registers are a copy
 * of those of the task that made it: there, from task_work after listen()
 * too); then one listened through the ring unbound (its port comes after
 * its transition), held 50 ms and closed from task_work (IORING_OP_CLOSE
 * runs there, and the socket's last reference goes with it).
 */
static int tw_listener(struct peer_io *io)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct io_uring_sqe op = {};
	struct tw_report rep = {};
	bool enosys = *(bool *)io->arg;
	struct io_uring_cqe cqe;
	int s, u, one = 1, e;
	struct uring r;

	pin_cpu(0);
	if (enosys && listen_enosys())
		return 130;
	e = uring_open_flags(&r, 8, IORING_SETUP_COOP_TASKRUN);
	if (e)
		return e == -ENOSYS || e == -EPERM || e == -EINVAL ? TW_NO_URING : 131;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s, (struct sockaddr *)&sa, sizeof(sa)))
		return 132;
	rep.port = bound_port(s);
	op = (struct io_uring_sqe){ .opcode = SW_IORING_OP_LISTEN, .fd = s, .len = 8 };
	rep.res[0] = after_listen_exit(&r, &op, &rep.listen_errno);
	if (rep.res[0] == -EINVAL)
		return TW_NO_LISTEN_OP; /* 6.11 */
	pause_ms(150);
	op = (struct io_uring_sqe){ .opcode = IORING_OP_SHUTDOWN, .fd = s, .len = SHUT_RDWR };
	rep.res[1] = after_listen_exit(&r, &op, &rep.listen_errno);

	u = socket(AF_INET, SOCK_STREAM, 0);
	if (u < 0 || uring_listen(&r, u, 8, false, 5) || uring_wait(&r, &cqe))
		return 133;
	rep.res[2] = cqe.res;
	rep.unbound_port = bound_port(u);
	pause_ms(50);
	op = (struct io_uring_sqe){ .opcode = IORING_OP_CLOSE, .fd = u };
	rep.res[3] = after_listen_exit(&r, &op, &rep.listen_errno);
	if (peer_report(io, &rep, sizeof(rep)))
		return 134;
	close(s);
	uring_close(&r);
	return 0;
}

/* The one record of kind for the listener on port, or NULL (*n: how many). */
static const struct sw_record *listener_record(__u32 netns, int kind, __u16 port, size_t *n)
{
	const struct sw_record *found = NULL;

	*n = 0;
	for (size_t i = 0; i < H.all.n; i++) {
		const struct sw_record *r = &H.all.v[i];

		if (r->ev.netns == netns && r->ev.kind == kind && r->ev.lport == port) {
			found = r;
			(*n)++;
		}
	}
	return found;
}

#define MS_NS 1000000ULL

static int tw_listen(bool enosys)
{
	struct want_kind w = { .kind = SW_EV_UNLISTEN, .n = 2 };
	const struct sw_record *l, *u;
	struct tw_report r;
	struct peer p;
	bool got;
	size_t n;
	int st;

	w.netns = ns_new();
	CHECK(w.netns, "cannot make a network namespace");
	suite_reset();
	st = peer_spawn(&p, "sw_twlisten", tw_listener, &enosys);
	CHECK(st == 0, "spawn: %s", strerror(-st));
	got = peer_read(&p, &r, sizeof(r));
	st = peer_reap(&p);
	if (!got && st == TW_NO_URING)
		return test_skip("no io_uring with IORING_SETUP_COOP_TASKRUN here (5.19+)");
	if (!got && st == TW_NO_LISTEN_OP)
		return test_skip("no IORING_OP_LISTEN before 6.11");
	CHECK(got && st == 0, "the child failed (exit %d)", st);
	CHECK(r.res[0] == 0 && r.res[1] == 0 && r.res[2] == 0 && r.res[3] == 0,
	      "io_uring results: listen %d, shutdown %d, unbound listen %d, close %d", r.res[0],
	      r.res[1], r.res[2], r.res[3]);
	CHECK(r.listen_errno == (enosys ? ENOSYS : EBADF), "listen(-1, 0) failed with %d",
	      r.listen_errno);
	/* both closed by now: whatever the sweep does, it cannot report them any more */
	poll_until(H.tracer, &H.all, kind_seen, &w, 3000);
	poll_for(H.tracer, 100);

	l = listener_record(w.netns, SW_EV_LISTEN, r.port, &n);
	CHECK(n == 1, "%zu listen events for the listener made from task_work (port %u)", n,
	      r.port);
	u = listener_record(w.netns, SW_EV_UNLISTEN, r.port, &n);
	CHECK(n == 1, "%zu unlisten events for it: its shutdown from task_work", n);
	CHECK(l->seq < u->seq, "its listen came after its unlisten");
	/* from its transition: the sweep reports a listener a second after its birth at least */
	CHECK(l->ev.ts_ns - l->ev.birth_ns < 100 * MS_NS,
	      "its listen was reported %llu ms after the listener was made, not by its transition",
	      (unsigned long long)((l->ev.ts_ns - l->ev.birth_ns) / MS_NS));
	CHECK(l->ev.pid == (__u32)p.pid && !strcmp(l->ev.comm, "sw_twlisten"),
	      "listen owner %u '%s', want %d 'sw_twlisten'", l->ev.pid, l->ev.comm, p.pid);
	CHECK(!(u->ev.flags & SW_F_INFERRED), "its unlisten was inferred by the sweep");

	l = listener_record(w.netns, SW_EV_LISTEN, r.unbound_port, &n);
	CHECK(n == 1, "%zu listen events for the unbound listener (port %u) closed from task_work",
	      n, r.unbound_port);
	u = listener_record(w.netns, SW_EV_UNLISTEN, r.unbound_port, &n);
	CHECK(n == 1 && !(u->ev.flags & SW_F_INFERRED),
	      "%zu unlisten events for it (inferred: %d), want one from its close", n,
	      u ? !!(u->ev.flags & SW_F_INFERRED) : -1);
	CHECK(l->seq < u->seq && l->ev.pid == (__u32)p.pid, "its listen: owner %u, seq %llu/%llu",
	      l->ev.pid, (unsigned long long)l->seq, (unsigned long long)u->seq);
	return 0;
}

int t_uring_tw_listen(void)
{
	return tw_listen(false);
}

int t_uring_tw_listen_enosys(void)
{
	return tw_listen(true);
}

/*
 * Registers a tracer forges: the kernel's own entry code is not the only
 * writer of a task's saved registers. A tracer at a syscall-exit stop can
 * make them say "listen(), still running" for the task_work that runs when
 * the task resumes. The forged-context transitions must not hide a
 * listener: a LISTEN->CLOSE is taken for a failed listen() only inside the
 * call that made that very listener, with no sleep since.
 */
#define FORGED_CHAINS 3

struct forged {
	int rfd[FORGED_CHAINS]; /* the child's reads, one per chain */
	int wfd[FORGED_CHAINS]; /* the tracer fills them at the chain's first getppid() exit */
	int report;
};

struct forged_report {
	__u16 port; /* bound, listened from task_work, closed from task_work after another stop */
	__u16 unbound_port; /* listened through the ring unbound, closed from task_work */
	__s32 res[4]; /* listen, unbound listen, close unbound, close bound */
};

/* Runs op from task_work on the way out of getppid(chain): the tracer forges that exit. */
static int forged_chain(struct uring *r, int rfd, const struct io_uring_sqe *op, long chain)
{
	struct io_uring_sqe rd = { .opcode = IORING_OP_READ, .flags = IOSQE_IO_LINK };
	struct io_uring_sqe o = *op;
	struct io_uring_cqe cqe;
	static char byte;
	int e;

	rd.fd = rfd;
	rd.addr = (__u64)(unsigned long)&byte;
	rd.len = 1;
	rd.user_data = 1;
	o.user_data = TW_OP;
	uring_queue(r, &rd);
	uring_queue(r, &o);
	e = uring_submit(r, 2);
	if (e)
		return e;
	for (__u64 end = now_ms() + 2000; now_ms() < end;) {
		syscall(SYS_getppid, chain);
		while (uring_peek(r, &cqe) == 0)
			if (cqe.user_data == TW_OP)
				return cqe.res;
	}
	return -ETIME;
}

static int forged_child(void *arg)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct forged *f = arg;
	struct forged_report rep = {};
	struct io_uring_sqe op;
	struct io_uring_cqe cqe;
	struct uring r;
	int s, u, e;

	for (int i = 0; i < FORGED_CHAINS; i++)
		close(f->wfd[i]);
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) || raise(SIGSTOP))
		return 140;
	e = uring_open_flags(&r, 8, IORING_SETUP_COOP_TASKRUN);
	if (e)
		return e == -ENOSYS || e == -EPERM || e == -EINVAL ? TW_NO_URING : 141;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)))
		return 142;
	rep.port = bound_port(s);
	op = (struct io_uring_sqe){ .opcode = SW_IORING_OP_LISTEN, .fd = s, .len = 8 };
	rep.res[0] = forged_chain(&r, f->rfd[0], &op, 1);
	if (rep.res[0] == -EINVAL)
		return TW_NO_LISTEN_OP;
	u = socket(AF_INET, SOCK_STREAM, 0);
	if (u < 0 || uring_listen(&r, u, 8, false, 5) || uring_wait(&r, &cqe))
		return 143;
	rep.res[1] = cqe.res;
	rep.unbound_port = bound_port(u);
	op = (struct io_uring_sqe){ .opcode = IORING_OP_CLOSE, .fd = u };
	rep.res[2] = forged_chain(&r, f->rfd[1], &op, 2);
	op = (struct io_uring_sqe){ .opcode = IORING_OP_CLOSE, .fd = s };
	rep.res[3] = forged_chain(&r, f->rfd[2], &op, 3);
	uring_close(&r);
	return write(f->report, &rep, sizeof(rep)) == sizeof(rep) ? 0 : 144;
}

/*
 * Traces the child; at the first exit of getppid(chain) of each chain, fills
 * that chain's pipe (its read completes, and the task_work it queues waits
 * for the child's way out) and makes the registers say listen(), still
 * running. Returns the child's exit status, or -1.
 */
static int forge_listen_exits(pid_t pid, const int *wfd)
{
	struct __ptrace_syscall_info info;
	struct user_regs_struct regs;
	int st, sig, chain = 0;

	if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st) ||
	    ptrace(PTRACE_SETOPTIONS, pid, NULL,
		   (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL)) ||
	    ptrace(PTRACE_SYSCALL, pid, NULL, NULL))
		return -1;
	for (;;) {
		if (waitpid(pid, &st, 0) != pid)
			return -1;
		if (WIFEXITED(st))
			return WEXITSTATUS(st);
		if (!WIFSTOPPED(st))
			return -1;
		sig = WSTOPSIG(st);
		if (sig == (SIGTRAP | 0x80)) {
			sig = 0;
			if (chain < FORGED_CHAINS &&
			    ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof(info), &info) > 0 &&
			    info.op == PTRACE_SYSCALL_INFO_EXIT &&
			    !ptrace(PTRACE_GETREGS, pid, NULL, &regs) &&
			    regs.orig_rax == SYS_getppid && regs.rdi == (unsigned long)chain + 1) {
				if (write(wfd[chain], "x", 1) != 1)
					return -1;
				regs.orig_rax = SYS_listen;
				regs.rax = -ENOSYS;
				if (ptrace(PTRACE_SETREGS, pid, NULL, &regs))
					return -1;
				chain++;
			}
		}
		if (ptrace(PTRACE_SYSCALL, pid, NULL, (void *)(long)sig))
			return -1;
	}
}

int t_uring_tw_forged(void)
{
	struct want_kind w = { .kind = SW_EV_UNLISTEN, .n = 2 };
	struct forged f = { .report = -1 };
	const struct sw_record *l, *u;
	struct forged_report r;
	int rep[2], st;
	bool got;
	pid_t pid;
	size_t n;

	w.netns = ns_new();
	CHECK(w.netns, "cannot make a network namespace");
	suite_reset();
	for (int i = 0; i < FORGED_CHAINS; i++) {
		int p[2];

		CHECK(pipe(p) == 0, "pipe: %s", strerror(errno));
		f.rfd[i] = p[0];
		f.wfd[i] = p[1];
	}
	CHECK(pipe(rep) == 0, "pipe: %s", strerror(errno));
	f.report = rep[1];
	pid = spawn("sw_twforged", forged_child, &f);
	CHECK(pid > 0, "fork: %s", strerror(errno));
	close(rep[1]);
	st = forge_listen_exits(pid, f.wfd);
	if (st < 0) {
		kill(pid, SIGKILL);
		reap(pid);
	}
	got = read(rep[0], &r, sizeof(r)) == sizeof(r);
	close(rep[0]);
	for (int i = 0; i < FORGED_CHAINS; i++) {
		close(f.rfd[i]);
		close(f.wfd[i]);
	}
	if (!got && st == TW_NO_URING)
		return test_skip("no io_uring with IORING_SETUP_COOP_TASKRUN here (5.19+)");
	if (!got && st == TW_NO_LISTEN_OP)
		return test_skip("no IORING_OP_LISTEN before 6.11");
	CHECK(got && st == 0, "the traced child failed (exit %d)", st);
	CHECK(r.res[0] == 0 && r.res[1] == 0 && r.res[2] == 0 && r.res[3] == 0,
	      "io_uring results: listen %d, unbound listen %d, its close %d, close %d", r.res[0],
	      r.res[1], r.res[2], r.res[3]);
	poll_until(H.tracer, &H.all, kind_seen, &w, 3000);
	poll_for(H.tracer, 100);

	/* no listen() call made it: its close is no failed listen() of its own */
	l = listener_record(w.netns, SW_EV_LISTEN, r.unbound_port, &n);
	CHECK(n == 1, "%zu listen events for the unbound listener closed under forged registers",
	      n);
	u = listener_record(w.netns, SW_EV_UNLISTEN, r.unbound_port, &n);
	CHECK(n == 1 && !(u->ev.flags & SW_F_INFERRED) && l->seq < u->seq,
	      "%zu unlisten events for it, want one from its close", n);
	/* made under forged registers, closed under them after another stop */
	l = listener_record(w.netns, SW_EV_LISTEN, r.port, &n);
	CHECK(n == 1, "%zu listen events for the listener made and closed under forged registers",
	      n);
	u = listener_record(w.netns, SW_EV_UNLISTEN, r.port, &n);
	CHECK(n == 1 && !(u->ev.flags & SW_F_INFERRED) && l->seq < u->seq,
	      "%zu unlisten events for it, want one from its close", n);
	CHECK(l->ev.pid == (__u32)pid, "listen owner %u, want %d", l->ev.pid, (int)pid);
	return 0;
}
