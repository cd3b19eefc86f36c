/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Snapshot of the TCP sockets that already exist, in every network namespace, with their owners. */
#ifndef SW_SNAPSHOT_H
#define SW_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "netns.h"
#include "sockwatch.h"

/* How the snapshot is taken (docs/live-view.md). */
enum sw_snap_source {
	SW_SNAP_AUTO = 0, /* iterators, or sock_diag + /proc where the kernel refuses them */
	SW_SNAP_ITER, /* bpf_iter: iter/tcp per netns + iter/task_file */
	SW_SNAP_DIAG, /* netlink sock_diag per netns + /proc/<pid>/fd */
};

struct sw_snapshot {
	struct sw_snap_sock *socks;
	size_t nsocks;
	struct sw_snap_owner *owners; /* one per (process, fd) holding a TCP socket */
	size_t nowners;
	unsigned int nnetns; /* network namespaces iterated */
	unsigned int netns_failed; /* namespaces that could not be entered */
	__u64 failed_netns; /* the first of them: inode, */
	int failed_err; /* errno, */
	char failed_path[SW_NETNS_PATH_MAX]; /* and where it was found */
	/*
	 * Namespaces that hold sockets (the task_file iterator saw them) but
	 * could not even be listed (another user's process, without privileges
	 * to look at it), and the first of them; iterators only, 0 otherwise.
	 */
	unsigned int netns_unlisted;
	__u64 unlisted_netns;
	/* every namespace not entered or not listed (whose sockets it may lack) */
	__u64 *failed_inos;
	size_t nfailed_inos;
	bool failed_inos_short; /* out of memory for that list: any may have failed */
	__u64 host_netns; /* inode of this process's network namespace */
	__u64 taken_ns; /* CLOCK_MONOTONIC when the snapshot finished */
	enum sw_snap_source source; /* what took it: SW_SNAP_ITER or SW_SNAP_DIAG */
	char fallback[256]; /* auto: why the iterators were not used ("" if they were) */
};

/* Called between steps (e.g. to drain the tracer's ring buffer); may be NULL. */
typedef void (*sw_snapshot_step_fn)(void *ctx);

/*
 * Lists every TCP socket in every network namespace found through
 * /proc/<pid>/task/<tid>/ns/net, /run/netns and the TCP sockets that
 * processes hold, and the processes holding them. With
 * SW_SNAP_AUTO the iterators are used unless the kernel refuses to load,
 * attach or run them (then s->fallback says why and sock_diag + /proc take
 * the snapshot); a forced source that fails is an error. netns (an inode,
 * 0 for all): enter that namespace only (--netns), so that only it can be
 * reported as not entered (or as found nowhere this process can see); the
 * caller's own is read too, the caller filters. Returns 0 or -errno with
 * one line in err.
 */
int sw_snapshot_take(struct sw_snapshot *s, enum sw_snap_source src, __u32 netns,
		     sw_snapshot_step_fn step, void *ctx, char *err, size_t errlen);
void sw_snapshot_free(struct sw_snapshot *s);

/*
 * The key the tracer's events carry for a snapshot socket: its address when
 * the tracer keys by address (raw_tp state hook) and the snapshot knows it
 * (iterators), else its cookie. A sock_diag snapshot has no addresses: its
 * rows stay keyed by cookie and must be matched to events by endpoints.
 */
__u64 sw_snapshot_key(const struct sw_snapshot *s, bool key_by_ptr, __u64 cookie, __u64 skptr);
/*
 * Whether the namespace with inode ino may hold sockets the snapshot did not
 * list: it could not be entered, or processes hold sockets there that it
 * could not even list (netns_unlisted). (One not visited at all had no
 * thread, no mount and no socket a process holds: gone, as a rule.)
 */
bool sw_snapshot_netns_failed(const struct sw_snapshot *s, __u64 ino);
/* Whether the records carry the socket's kernel address (skptr). */
bool sw_snapshot_has_skptr(const struct sw_snapshot *s);

const char *sw_snap_source_name(enum sw_snap_source src);
/* "auto", "iter" or "diag"; -EINVAL otherwise. */
int sw_snap_source_parse(const char *text, enum sw_snap_source *src);

#endif /* SW_SNAPSHOT_H */
