/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Integration-test harness: real BPF, real sockets, one network namespace per test. */
#ifndef SW_HARNESS_H
#define SW_HARNESS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "tracer.h"

/* Records a tracer delivered, in order. */
struct evlist {
	struct sw_record *v;
	size_t n;
	size_t cap;
};

/* The suite-wide tracer and what it collected so far. */
struct harness {
	enum sw_attach_mode attach;
	struct sw_tracer *tracer;
	struct evlist all;
	char why[1024]; /* failure message of the running test */
	__u32 netns; /* namespace of the running test (for the failure dump) */
};

extern struct harness H;

/* Fails the running test with a message (file:line: ...) and returns -1 from it. */
#define CHECK(cond, ...)                                                   \
	do {                                                               \
		if (!(cond)) {                                             \
			test_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); \
			return -1;                                         \
		}                                                          \
	} while (0)

__attribute__((format(printf, 4, 5))) void test_fail(const char *file, int line, const char *cond,
						     const char *fmt, ...);

/*
 * What a test returns when this kernel lacks what it tests (reported as a
 * TAP SKIP with the reason, counted apart from passes): return test_skip(...).
 */
#define TEST_SKIP 77
__attribute__((format(printf, 1, 2))) int test_skip(const char *fmt, ...);

/* Moves this process into a new network namespace with lo up; returns its inode or 0. */
__u32 ns_new(void);
/* Opens a tracer with opts (attach mode from the suite) collecting into list. */
int tracer_open_into(struct sw_tracer_opts *o, struct evlist *list, struct sw_tracer **t);
/* CLOCK_MONOTONIC in ns: the clock of a record's ts_ns. */
__u64 mono_ns(void);
/* The hook that sees an accept first in the suite's mode (SW_ACCEPT_HOOK_*). */
int suite_accept_hook(void);
/* Polls t until the records of netns in list satisfy done(), or timeout_ms passes. */
int poll_until(struct sw_tracer *t, struct evlist *list, bool (*done)(void *), void *arg,
	       int timeout_ms);
/* Polls t for ms milliseconds (to catch events that must not come). */
void poll_for(struct sw_tracer *t, int ms);
/*
 * Waits until every BPF program run in flight on any CPU has ended (an RCU
 * grace period: membarrier's global command). One tracer's record seen
 * does not mean a second tracer's programs on the same tracepoint have
 * run: they come after it in the same invocation, maybe on a CPU the
 * hypervisor has paused. Call it before reading the second's counters.
 */
void runs_settle(void);
/* A sw_record_fn that appends to the evlist ctx. */
int evlist_collect(const struct sw_record *r, void *ctx);
void evlist_clear(struct evlist *l);
/* Drains the suite tracer and forgets what it collected: a test starts clean even
 * when a namespace inode of an earlier test is reused for its own. */
void suite_reset(void);
void evlist_free(struct evlist *l);
/* Counts records of a kind in netns (kind 0: any). */
size_t count_kind(const struct evlist *l, __u32 netns, int kind);
/* For poll_until(): at least n records of kind in netns. */
struct want_kind {
	__u32 netns;
	int kind;
	size_t n;
	const struct evlist *list; /* NULL: the suite tracer's */
};
bool kind_seen(void *arg);
/* The i-th record (0-based) of kind in netns, or NULL. */
const struct sw_record *find_kind(const struct evlist *l, __u32 netns, int kind, size_t i);
/* Prints one record as a TAP comment: its JSON line and its flags (a failure's diagnosis). */
void show_record(const struct sw_record *r);
/* The record of kind in netns with this local and remote port, or NULL. */
const struct sw_record *find_ports(const struct evlist *l, __u32 netns, int kind, __u16 lport,
				   __u16 rport);

/*
 * Attaches to listener lfd a socket filter that drops pure ACKs, which its
 * children inherit: a handshake never ends while it is on, so accept()
 * returns a TCP Fast Open child in SYN_RECV. The acceptor removes it from
 * the child (SO_DETACH_FILTER) to let the connection go on. 0 or -errno.
 */
int hold_handshakes(int lfd);

struct sock_filter;
/* Puts this process (and what it forks) under a seccomp filter of n
 * instructions, with no_new_privs; 0 or -errno. */
int seccomp_filter(struct sock_filter *f, unsigned short n);

/* Forks a child that sets its comm to name, runs fn(arg) and exits with its return. */
pid_t spawn(const char *name, int (*fn)(void *), void *arg);
/* Waits for a child; returns its exit status, or -1 if it did not exit normally. */
/* Longest a child may run before reap() kills it (the qemu runs allow 600 s in all). */
#define REAP_TIMEOUT_S 180
/* The child's exit status; -1 if it did not exit normally, or ran past REAP_TIMEOUT_S. */
int reap(pid_t pid);

/*
 * A child that reports to the test through one pipe and runs until the test
 * releases it (closes the other): for a child that must keep its sockets
 * open while the test looks at them.
 */
struct peer {
	pid_t pid;
	int reports; /* the test's end: what the child reports */
	int release; /* the test's end: closed to release the child */
};

/* What the child's fn gets. */
struct peer_io {
	int report; /* the child's end of reports */
	int released; /* reads EOF once the test released the child */
	void *arg;
};

/* Spawns fn(io) as a child named name; 0 or -errno. */
int peer_spawn(struct peer *p, const char *name, int (*fn)(struct peer_io *), void *arg);
/* In the child: sends len bytes to the test; 0 or -1. */
int peer_report(const struct peer_io *io, const void *buf, size_t len);
/* In the child: returns once the test has released it. */
void peer_hold(const struct peer_io *io);
/* Reads exactly len bytes the child reported; false at EOF (the child has exited). */
bool peer_read(struct peer *p, void *buf, size_t len);
/* Releases the child (idempotent). */
void peer_release(struct peer *p);
/* Releases the child, waits for it and returns its exit status (-1: not a normal exit);
 * p->pid stays what it was. */
int peer_reap(struct peer *p);

/* Socket helpers: all return an fd or -errno. */
/* addr:port as a socket address of family (AF_INET or AF_INET6); -EINVAL if addr is not one. */
int fill_addr(int family, const char *addr, __u16 port, struct sockaddr_storage *ss,
	      socklen_t *len);
int listen_on(int family, const char *addr, __u16 *port);
int connect_to(int family, const char *addr, __u16 port);
/* The same with a protocol for socket(2) (0: TCP; IPPROTO_MPTCP). */
int listen_on_proto(int family, int proto, const char *addr, __u16 *port);
int connect_to_proto(int family, int proto, const char *addr, __u16 port);
/* A socket connected to itself (bound to addr, any port; the port in *port): a
 * simultaneous open, SYN_SENT->SYN_RECV->ESTABLISHED on one socket. */
int connect_self(int family, const char *addr, __u16 *port);
/* Aborts the IPv4 TCP socket src:sport -> dst:dport as ss -K does (SOCK_DESTROY);
 * 0 or -errno (-EOPNOTSUPP: kernel without CONFIG_INET_DIAG_DESTROY or tcp_diag). */
int destroy_tcp4(const char *src, __u16 sport, const char *dst, __u16 dport);
/* Waits until listener lfd's accept queue holds n connections (TCP_INFO's
 * tcpi_unacked on a listener); 0, or -1 after timeout_ms. */
int accept_queue_len(int lfd, unsigned int n, int timeout_ms);
/* The port of an IPv4 socket's local (peer = false) or remote end; 0 on error. */
__u16 port_of(int fd, bool peer);
/* Writes the string s to path (a sysctl file, say); 0 or -errno. */
int write_file(const char *path, const char *s);
int write_all(int fd, size_t n);
/* Reads until EOF; returns the byte count or -errno. */
long read_to_eof(int fd);
long read_exact(int fd, size_t n);

/* One line per test: name, function. */
struct itest {
	const char *name;
	int (*fn)(void);
};

#endif /* SW_HARNESS_H */
