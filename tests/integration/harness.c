// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Integration-test harness: real BPF, real sockets, one network namespace per test. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/inet_diag.h>
#include <linux/membarrier.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "format.h"
#include "harness.h"
#include "snapshot_diag.h"

struct harness H;

void test_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(H.why, sizeof(H.why), "%s:%d: %s (%s)", file, line, msg, cond);
}

int test_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(H.why, sizeof(H.why), fmt, ap);
	va_end(ap);
	return TEST_SKIP;
}

__u32 ns_new(void)
{
	struct ifreq ifr = {};
	struct stat st;
	int fd;

	if (unshare(CLONE_NEWNET))
		return 0;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	if (stat("/proc/self/ns/net", &st))
		return 0;
	H.netns = (__u32)st.st_ino;
	return H.netns;
}

int evlist_collect(const struct sw_record *r, void *ctx)
{
	struct evlist *l = ctx;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4096;
		struct sw_record *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *r;
	return 0;
}

int tracer_open_into(struct sw_tracer_opts *o, struct evlist *list, struct sw_tracer **t)
{
	char err[768];
	int e;

	o->attach = H.attach;
	e = sw_tracer_open(o, evlist_collect, list, t, err, sizeof(err));
	if (e)
		fprintf(stderr, "# tracer: %s\n", err);
	return e;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int poll_until(struct sw_tracer *t, struct evlist *list, bool (*done)(void *), void *arg,
	       int timeout_ms)
{
	long end = now_ms() + timeout_ms;

	(void)list;
	while (!done(arg)) {
		if (now_ms() > end)
			return -ETIMEDOUT;
		sw_tracer_poll(t, 20);
	}
	/* Whatever the kernel already wrote comes along too. */
	sw_tracer_drain(t);
	return 0;
}

void poll_for(struct sw_tracer *t, int ms)
{
	long end = now_ms() + ms;

	while (now_ms() < end)
		sw_tracer_poll(t, 20);
	sw_tracer_drain(t);
}

void runs_settle(void)
{
	/*
	 * Tracepoint probes run with preemption off, and the global
	 * membarrier waits for an RCU grace period, which waits for every
	 * such section that began before it. Refused (nohz_full CPUs, or a
	 * kernel without it): a pause, which a paused vCPU can outlast.
	 */
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0))
		usleep(200 * 1000);
}

void evlist_clear(struct evlist *l)
{
	l->n = 0;
}

void suite_reset(void)
{
	sw_tracer_drain(H.tracer);
	evlist_clear(&H.all);
}

void evlist_free(struct evlist *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

size_t count_kind(const struct evlist *l, __u32 netns, int kind)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].ev.netns == netns && (!kind || l->v[i].ev.kind == kind))
			n++;
	return n;
}

const struct sw_record *find_kind(const struct evlist *l, __u32 netns, int kind, size_t idx)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].ev.netns == netns && l->v[i].ev.kind == kind && idx-- == 0)
			return &l->v[i];
	return NULL;
}

const struct sw_record *find_ports(const struct evlist *l, __u32 netns, int kind, __u16 lport,
				   __u16 rport)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct sw_event *e = &l->v[i].ev;

		if (e->netns == netns && e->kind == kind && e->lport == lport && e->rport == rport)
			return &l->v[i];
	}
	return NULL;
}

bool kind_seen(void *arg)
{
	struct want_kind *w = arg;

	return count_kind(w->list ? w->list : &H.all, w->netns, w->kind) >= w->n;
}

/*
 * A socket filter that drops pure ACKs (no SYN, FIN or RST, no payload). On
 * the listener, its children inherit it, so the client's ACK that would end
 * the handshake never arrives while it is on: accept() returns every child
 * in SYN_RECV, and what the server does with it happens there, on every
 * connection, not only when it outruns the ACK. The acceptor removes it
 * (SO_DETACH_FILTER) before it closes, so the connection ends normally.
 * The filter sees the packet from the TCP header on.
 */
static struct sock_filter no_pure_ack[] = {
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 13), /* TCP flags */
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x07, 7, 0), /* FIN, SYN or RST: keep */
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 12), /* data offset, high nibble */
	BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 2),
	BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0x3c), /* header bytes */
	BPF_STMT(BPF_MISC | BPF_TAX, 0),
	BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
	BPF_STMT(BPF_ALU | BPF_SUB | BPF_X, 0), /* payload bytes */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0), /* none: drop */
	BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
	BPF_STMT(BPF_RET | BPF_K, 0),
};

int hold_handshakes(int lfd)
{
	struct sock_fprog prog = { .len = sizeof(no_pure_ack) / sizeof(no_pure_ack[0]),
				   .filter = no_pure_ack };

	return setsockopt(lfd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) ? -errno : 0;
}

int seccomp_filter(struct sock_filter *f, unsigned short n)
{
	struct sock_fprog prog = { .len = n, .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		return -errno;
	return 0;
}

pid_t spawn(const char *name, int (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	prctl(PR_SET_NAME, name);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	_exit(fn(arg) & 0xff);
}

int reap(pid_t pid)
{
	char path[64], what[128] = "?";
	int st, fd;
	ssize_t n;

	/* A child stuck for good fails its test, with where it is stuck, not the suite. */
	for (int i = 0; i < REAP_TIMEOUT_S * 20; i++) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		if (r < 0)
			return -1;
		usleep(50000);
	}
	snprintf(path, sizeof(path), "/proc/%d/wchan", (int)pid);
	fd = open(path, O_RDONLY);
	n = fd >= 0 ? read(fd, what, sizeof(what) - 1) : -1;
	if (n > 0)
		what[n] = '\0';
	if (fd >= 0)
		close(fd);
	printf("#   child %d still running after %d s (waiting in %s): killed\n", (int)pid,
	       REAP_TIMEOUT_S, what);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

struct peer_start {
	int (*fn)(struct peer_io *);
	struct peer_io io;
	int close_fds[2]; /* the test's ends, closed in the child */
};

static int peer_main(void *arg)
{
	struct peer_start *s = arg;

	close(s->close_fds[0]);
	close(s->close_fds[1]);
	return s->fn(&s->io);
}

int peer_spawn(struct peer *p, const char *name, int (*fn)(struct peer_io *), void *arg)
{
	int rep[2], rel[2];
	struct peer_start s = { .fn = fn, .io.arg = arg };

	p->pid = -1;
	p->reports = p->release = -1;
	if (pipe2(rep, O_CLOEXEC))
		return -errno;
	if (pipe2(rel, O_CLOEXEC)) {
		int e = -errno;

		close(rep[0]);
		close(rep[1]);
		return e;
	}
	s.io.report = rep[1];
	s.io.released = rel[0];
	s.close_fds[0] = rep[0];
	s.close_fds[1] = rel[1];
	p->pid = spawn(name, peer_main, &s);
	close(rep[1]);
	close(rel[0]);
	p->reports = rep[0];
	p->release = rel[1];
	if (p->pid < 0) {
		int e = -errno;

		peer_release(p);
		close(p->reports);
		p->reports = -1;
		return e;
	}
	return 0;
}

int peer_report(const struct peer_io *io, const void *buf, size_t len)
{
	return write(io->report, buf, len) == (ssize_t)len ? 0 : -1;
}

void peer_hold(const struct peer_io *io)
{
	char b;

	for (;;) {
		ssize_t r = read(io->released, &b, 1);

		if (r == 0 || (r < 0 && errno != EINTR))
			return;
	}
}

bool peer_read(struct peer *p, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = read(p->reports, (char *)buf + got, len - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		got += r;
	}
	return true;
}

void peer_release(struct peer *p)
{
	if (p->release >= 0)
		close(p->release);
	p->release = -1;
}

int peer_reap(struct peer *p)
{
	int st;

	peer_release(p);
	if (p->reports >= 0)
		close(p->reports);
	p->reports = -1;
	st = p->pid > 0 ? reap(p->pid) : -1;
	return st;
}

int fill_addr(int family, const char *addr, __u16 port, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		*len = sizeof(*a);
		return inet_pton(AF_INET, addr, &a->sin_addr) == 1 ? 0 : -EINVAL;
	}
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

	a->sin6_family = AF_INET6;
	a->sin6_port = htons(port);
	*len = sizeof(*a);
	return inet_pton(AF_INET6, addr, &a->sin6_addr) == 1 ? 0 : -EINVAL;
}

int listen_on(int family, const char *addr, __u16 *port)
{
	return listen_on_proto(family, 0, addr, port);
}

int listen_on_proto(int family, int proto, const char *addr, __u16 *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	if (fill_addr(family, addr, *port, &ss, &len))
		return -EINVAL;
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, proto);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 4096)) {
		int e = -errno;

		close(fd);
		return e;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
						  ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

int connect_to(int family, const char *addr, __u16 port)
{
	return connect_to_proto(family, 0, addr, port);
}

int connect_to_proto(int family, int proto, const char *addr, __u16 port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	if (fill_addr(family, addr, port, &ss, &len))
		return -EINVAL;
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, proto);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&ss, len)) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

int connect_self(int family, const char *addr, __u16 *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	if (fill_addr(family, addr, 0, &ss, &len))
		return -EINVAL;
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* the bound address is the one to connect to: SYN_SENT meets its own SYN */
	if (bind(fd, (struct sockaddr *)&ss, len) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) ||
	    connect(fd, (struct sockaddr *)&ss, len)) {
		int e = -errno;

		close(fd);
		return e;
	}
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
					  ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

/* Whether the kernel answers TCP sock_diag dumps (its tcp_diag handler is there). */
static bool tcp_diag_present(void)
{
	struct sw_diag_socks socks = {};
	int fd = sw_diag_open(), err;

	if (fd < 0)
		return false;
	err = sw_diag_dump(fd, 0, &socks);
	sw_diag_socks_free(&socks);
	close(fd);
	return err != -ENOENT;
}

int destroy_tcp4(const char *src, __u16 sport, const char *dst, __u16 dport)
{
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 r;
	} req = {
		.nh = { .nlmsg_len = sizeof(req),
			.nlmsg_type = SOCK_DESTROY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK },
		.r = { .sdiag_family = AF_INET,
		       .sdiag_protocol = IPPROTO_TCP,
		       .idiag_states = ~0U,
		       .id = { .idiag_sport = htons(sport),
			       .idiag_dport = htons(dport),
			       .idiag_cookie = { INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE } } },
	};
	struct {
		struct nlmsghdr nh;
		struct nlmsgerr err;
	} ack;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t n;
	int fd, err;

	if (inet_pton(AF_INET, src, &req.r.id.idiag_src[0]) != 1 ||
	    inet_pton(AF_INET, dst, &req.r.id.idiag_dst[0]) != 1)
		return -EINVAL;
	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	n = sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel));
	if (n >= 0)
		n = recv(fd, &ack, sizeof(ack), 0);
	err = n < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	if ((size_t)n < sizeof(ack) || ack.nh.nlmsg_type != NLMSG_ERROR)
		return -EPROTO;
	err = ack.err.error;
	/* ENOENT is also what a kernel without the tcp_diag handler (a module
	 * nobody loaded) answers; a dump tells the two apart. */
	if (err == -ENOENT && !tcp_diag_present())
		return -EOPNOTSUPP;
	return err;
}

int write_all(int fd, size_t n)
{
	char buf[4096];

	memset(buf, 'x', sizeof(buf));
	while (n) {
		ssize_t w = write(fd, buf, n < sizeof(buf) ? n : sizeof(buf));

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -errno;
		n -= w;
	}
	return 0;
}

long read_exact(int fd, size_t n)
{
	char buf[4096];
	long got = 0;

	while ((size_t)got < n) {
		size_t want = n - got < sizeof(buf) ? n - got : sizeof(buf);
		ssize_t r = read(fd, buf, want);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : got;
		got += r;
	}
	return got;
}

long read_to_eof(int fd)
{
	char buf[4096];
	long got = 0;

	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return got;
		got += r;
	}
}

/*
 * The hook that sees an accept first in the suite's mode: fentry mode's
 * fexit (the syscall exits are its fallback), else the syscall exits (and
 * io_uring's completions, which report as they do). kprobe mode hooks no
 * accept function: a kretprobe's misses are silent.
 */
int suite_accept_hook(void)
{
	return sw_tracer_mode(H.tracer) == SW_ATTACH_FENTRY ? SW_ACCEPT_HOOK_FEXIT :
							      SW_ACCEPT_HOOK_SYSCALL;
}

__u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ok;

	if (fd < 0)
		return -errno;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -EIO;
}

__u16 port_of(int fd, bool peer)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int rc = peer ? getpeername(fd, (struct sockaddr *)&a, &len) :
			getsockname(fd, (struct sockaddr *)&a, &len);

	return rc ? 0 : ntohs(a.sin_port);
}

int accept_queue_len(int lfd, unsigned int n, int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited += 5) {
		struct tcp_info ti;
		socklen_t len = sizeof(ti);

		if (getsockopt(lfd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 && ti.tcpi_unacked >= n)
			return 0;
		usleep(5000);
	}
	return -1;
}

void show_record(const struct sw_record *r)
{
	char line[SW_LINE_MAX];

	if (sw_format_record(r, SW_FMT_JSON, line, sizeof(line)) > 0)
		printf("#   %s flags=%#x\n", line, r->ev.flags);
}
