// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Snapshot of the TCP sockets that already exist, in every network namespace, with their owners. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "preflight.h"
#include "snapshot.h"
#include "snapshot_diag.h"
#include "snapshot_iter.h"
#include "snapshot_proc.h"

/* What every source needs: the namespaces, a way home, the caller's step. */
struct take_ctx {
	struct sw_snapshot *s;
	struct sw_netns_set ns;
	__u64 only; /* the one namespace asked for (--netns), 0: all */
	size_t marked; /* entries of ns that skip_unasked() has seen */
	int home;
	sw_snapshot_step_fn step;
	void *step_ctx;
	char *err;
	size_t errlen;
};

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void step(const struct take_ctx *t)
{
	if (t->step)
		t->step(t->step_ctx);
}

/* One namespace visited, or not (e: why): counted once all are done (netns_failures()). */
static void netns_done(struct take_ctx *t, size_t i, int e)
{
	struct sw_netns_ref *r = &t->ns.v[i];

	r->visit = e ? SW_NETNS_FAILED : SW_NETNS_ENTERED;
	r->err = -e;
	if (!e)
		t->s->nnetns++;
}

/* A namespace whose sockets the snapshot may lack, for sw_snapshot_netns_failed(). */
static void note_missed(struct sw_snapshot *s, __u64 ino)
{
	__u64 *v = realloc(s->failed_inos, (s->nfailed_inos + 1) * sizeof(*v));

	if (!v) {
		s->failed_inos_short = true;
		return;
	}
	v[s->nfailed_inos++] = ino;
	s->failed_inos = v;
}

/*
 * The namespaces that could not be entered, the first kept for the warning.
 * Not those found again through a socket and entered that way.
 */
static void netns_failures(struct take_ctx *t)
{
	struct sw_snapshot *s = t->s;

	for (size_t i = 0; i < t->ns.n; i++) {
		const struct sw_netns_ref *r = &t->ns.v[i];

		if (r->visit != SW_NETNS_FAILED)
			continue;
		note_missed(s, r->ino);
		if (!s->netns_failed++) {
			s->failed_netns = r->ino;
			s->failed_err = r->err;
			sw_netns_where(r, s->failed_path, sizeof(s->failed_path));
		}
	}
}

/* Every namespace unvisited again (the fallback visits them anew). */
static void netns_forget_visits(struct take_ctx *t)
{
	for (size_t i = 0; i < t->ns.n; i++)
		if (t->ns.v[i].visit != SW_NETNS_REPLACED && t->ns.v[i].visit != SW_NETNS_SKIPPED)
			t->ns.v[i].visit = SW_NETNS_UNVISITED;
}

/* Whether the i-th namespace is not to be entered: skipped, or replaced by a later entry. */
static bool netns_passed_over(const struct take_ctx *t, size_t i)
{
	return t->ns.v[i].visit == SW_NETNS_REPLACED || t->ns.v[i].visit == SW_NETNS_SKIPPED;
}

/*
 * With --netns, the namespaces listed since the last call other than the
 * one asked for are skipped: never entered, so never reported as failed
 * (a user without CAP_SYS_ADMIN can enter none but its own). Its own (the
 * first) is still read: cheap, and the sign that the source works at all.
 */
static void skip_unasked(struct take_ctx *t)
{
	for (; t->marked < t->ns.n; t->marked++)
		if (t->only && t->marked && t->ns.v[t->marked].ino != t->only)
			t->ns.v[t->marked].visit = SW_NETNS_SKIPPED;
}

/* Whether ino is in the set, whether its visit failed or not. */
static bool netns_listed(const struct take_ctx *t, __u64 ino)
{
	for (size_t i = 0; i < t->ns.n; i++)
		if (t->ns.v[i].ino == ino)
			return true;
	return false;
}

/*
 * With --netns, a namespace asked for that nothing this process can see
 * is in (no `ip netns` mount, no process or thread whose namespace it may
 * read, no socket it may look at): it may exist, but the snapshot has none
 * of its sockets, so it is reported as one that could not be entered.
 * Not when the iterators saw its sockets (counted as unlisted then).
 */
static void netns_asked_missing(struct take_ctx *t)
{
	struct sw_snapshot *s = t->s;

	if (!t->only || s->netns_unlisted)
		return;
	if (netns_listed(t, t->only))
		return;
	note_missed(s, t->only);
	if (!s->netns_failed++) {
		s->failed_netns = t->only;
		s->failed_err = ENOENT;
		snprintf(s->failed_path, sizeof(s->failed_path),
			 "no mount, process or socket this user can see");
	}
}

/*
 * How often the owners are read again after they showed sockets of
 * namespaces found no other way (only a socket holds them): the second
 * reading finds the owners of those namespaces' sockets; more would only
 * chase namespaces made during the snapshot.
 */
#define OWNER_ROUNDS 2

const char *sw_snap_source_name(enum sw_snap_source src)
{
	switch (src) {
	case SW_SNAP_ITER:
		return "iter";
	case SW_SNAP_DIAG:
		return "diag";
	default:
		return "auto";
	}
}

int sw_snap_source_parse(const char *text, enum sw_snap_source *src)
{
	for (int i = SW_SNAP_AUTO; i <= SW_SNAP_DIAG; i++) {
		if (!strcmp(text, sw_snap_source_name(i))) {
			*src = i;
			return 0;
		}
	}
	return -EINVAL;
}

bool sw_snapshot_netns_failed(const struct sw_snapshot *s, __u64 ino)
{
	if (s->failed_inos_short)
		return true;
	for (size_t i = 0; i < s->nfailed_inos; i++)
		if (s->failed_inos[i] == ino)
			return true;
	return false;
}

bool sw_snapshot_has_skptr(const struct sw_snapshot *s)
{
	return s->source == SW_SNAP_ITER;
}

__u64 sw_snapshot_key(const struct sw_snapshot *s, bool key_by_ptr, __u64 cookie, __u64 skptr)
{
	return key_by_ptr && sw_snapshot_has_skptr(s) ? skptr : cookie;
}

/*
 * The iterators. *unavailable is set when they cannot be used at all here
 * (refused at load or attach, or no iterator could be created in our own
 * namespace): auto mode then falls back to sock_diag.
 */
/*
 * Adds the namespaces of owned sockets that no process, thread or mount
 * showed; n owners. Returns how many were added, or -ENOMEM.
 */
static int add_socket_netns(struct take_ctx *t, const struct sw_snap_owner *o, size_t n,
			    bool by_netns)
{
	__u64 last = 0;
	int added = 0, e;

	for (size_t i = 0; i < n; i++) {
		/* Iterator records carry the netns: most are known, and in runs. */
		if (by_netns && (o[i].netns == last || sw_netns_known(&t->ns, o[i].netns)))
			continue;
		last = o[i].netns;
		e = sw_netns_add_socket(&t->ns, o[i].pid, o[i].fd);
		if (e < 0)
			return e;
		added += e;
	}
	return added;
}

/*
 * The iterators. *unavailable is set when they cannot be used at all here
 * (refused at load or attach, or no iterator could be created in our own
 * namespace): auto mode then falls back to sock_diag.
 */
static int take_iter(struct take_ctx *t, bool *unavailable)
{
	struct sw_iter_buf socks = {}, owners = {};
	struct sw_snapshot *s = t->s;
	struct sw_snap_iter *it;
	size_t i = 0;
	int e;

	e = sw_snap_iter_open(&it, t->err, t->errlen);
	if (e) {
		/* out of memory or file descriptors: sock_diag would not do better */
		*unavailable = e != -ENOMEM && !sw_fd_exhausted(e);
		/* Privileges were checked before: EPERM is the kernel's refusal. */
		return e == -EPERM ? -ENOTSUP : e;
	}
	for (int round = 0;; round++) {
		for (; i < t->ns.n; i++) {
			if (netns_passed_over(t, i))
				continue; /* a later entry visits it, or not asked for */
			e = sw_snap_iter_socks(it, i ? &t->ns.v[i] : NULL, t->home, &socks);
			if (e == -ENOMEM)
				goto out_nomem;
			if (e && !i) {
				*unavailable = true;
				snprintf(t->err, t->errlen, "cannot run the tcp iterator: %s",
					 strerror(-e));
				e = e == -EPERM ? -ENOTSUP : e;
				goto out;
			}
			netns_done(t, i, e); /* a failure: gone meanwhile, or not ours to enter */
			step(t);
		}
		/* Owners after sockets: a socket seen above is owned by a fd seen here
		 * unless it was closed or passed in between. */
		owners.len = 0;
		e = sw_snap_iter_owners(it, &owners);
		if (e == -ENOMEM)
			goto out_nomem;
		if (e) {
			snprintf(t->err, t->errlen, "reading the task_file iterator failed: %s",
				 strerror(-e));
			goto out;
		}
		step(t);
		if (round + 1 == OWNER_ROUNDS)
			break;
		e = add_socket_netns(t, (const struct sw_snap_owner *)owners.p,
				     owners.len / sizeof(struct sw_snap_owner), true);
		if (e < 0)
			goto out_nomem;
		skip_unasked(t);
		if (!e)
			break;
	}
	e = 0;
	s->socks = (struct sw_snap_sock *)socks.p;
	s->nsocks = socks.len / sizeof(struct sw_snap_sock);
	s->owners = (struct sw_snap_owner *)owners.p;
	s->nowners = owners.len / sizeof(struct sw_snap_owner);
	socks.p = owners.p = NULL;
	goto out;
out_nomem:
	e = -ENOMEM;
	snprintf(t->err, t->errlen, "out of memory reading the snapshot");
out:
	free(socks.p);
	free(owners.p);
	sw_snap_iter_close(it);
	return e;
}

/*
 * The namespaces the iterators' owners show sockets in that were never
 * listed (so never visited): counted once each, the first kept. Owners come
 * in runs of one namespace, and such namespaces are few. One listed whose
 * visit failed is counted there (netns_failures()), not again here.
 */
static void count_unlisted(struct take_ctx *t)
{
	struct sw_snapshot *s = t->s;
	__u64 last = 0, ino, *seen = NULL, *n;
	size_t nseen = 0, j;

	for (size_t i = 0; i < s->nowners; i++) {
		ino = s->owners[i].netns;
		if (!ino || ino == last || netns_listed(t, ino) || (t->only && ino != t->only))
			continue;
		last = ino;
		for (j = 0; j < nseen && seen[j] != ino; j++)
			;
		if (j < nseen)
			continue;
		if (!s->netns_unlisted++)
			s->unlisted_netns = ino;
		note_missed(s, ino);
		n = realloc(seen, (nseen + 1) * sizeof(*seen));
		if (n) { /* else it may be counted twice: it is still counted */
			seen = n;
			seen[nseen++] = ino;
		}
	}
	free(seen);
}

static int open_diag(void *ctx)
{
	return sw_diag_open();
}

/* One namespace's sockets through sock_diag; a failed namespace adds nothing. */
static int diag_netns(struct take_ctx *t, size_t i, struct sw_diag_socks *d)
{
	size_t before = d->n;
	int fd, e;

	fd = i ? sw_netns_run(&t->ns.v[i], t->home, open_diag, NULL) : sw_diag_open();
	if (fd < 0)
		return fd;
	e = sw_diag_dump(fd, (__u32)t->ns.v[i].ino, d);
	close(fd);
	if (e)
		d->n = before;
	return e;
}

/*
 * Owners: /proc/<pid>/fd links to the inodes the dumps reported. With
 * unknown, also the descriptors of other sockets, in o->unknown.
 */
static int diag_owners(const struct sw_diag_socks *d, bool unknown, struct sw_proc_owners *o)
{
	struct sw_inode_cookie *map;
	size_t n = 0;
	int e;

	memset(o, 0, sizeof(*o));
	o->want_unknown = unknown;
	map = malloc((d->n ? d->n : 1) * sizeof(*map));
	if (!map)
		return -ENOMEM;
	for (size_t i = 0; i < d->n; i++)
		if (d->inode[i])
			map[n++] = (struct sw_inode_cookie){ d->inode[i], d->v[i].cookie };
	sw_inode_map_sort(map, n);
	e = sw_proc_owners("/proc", map, n, o);
	free(map);
	if (e)
		sw_proc_owners_free(o);
	return e;
}

static int take_diag(struct take_ctx *t)
{
	struct sw_diag_socks d = {};
	struct sw_proc_owners o = {};
	struct sw_snapshot *s = t->s;
	size_t i = 0;
	int e = 0;

	for (int round = 0;; round++) {
		for (; i < t->ns.n; i++) {
			if (netns_passed_over(t, i))
				continue; /* a later entry visits it, or not asked for */
			e = diag_netns(t, i, &d);
			if (e == -ENOMEM)
				goto out_nomem;
			if (e && !i) {
				if (sw_fd_exhausted(e))
					sw_fd_limit_error(e, t->err, t->errlen);
				else
					snprintf(t->err, t->errlen,
						 "netlink sock_diag dump failed: %s", strerror(-e));
				goto out;
			}
			netns_done(t, i, e);
			step(t);
		}
		sw_proc_owners_free(&o);
		/* Sockets no dump listed: other kinds, or TCP sockets of a namespace
		 * only a socket holds. */
		e = diag_owners(&d, round + 1 < OWNER_ROUNDS, &o);
		if (e == -ENOMEM)
			goto out_nomem;
		if (e) {
			snprintf(t->err, t->errlen, "cannot read /proc for socket owners: %s",
				 strerror(-e));
			goto out;
		}
		step(t);
		if (round + 1 == OWNER_ROUNDS)
			break;
		e = add_socket_netns(t, o.unknown, o.nunknown, false);
		if (e < 0)
			goto out_nomem;
		skip_unasked(t);
		if (!e)
			break;
	}
	e = 0;
	s->socks = d.v;
	s->nsocks = d.n;
	s->owners = o.v;
	s->nowners = o.n;
	d.v = NULL;
	o.v = NULL;
	goto out;
out_nomem:
	e = -ENOMEM;
	snprintf(t->err, t->errlen, "out of memory reading the snapshot");
out:
	sw_proc_owners_free(&o);
	sw_diag_socks_free(&d);
	return e;
}

int sw_snapshot_take(struct sw_snapshot *s, enum sw_snap_source src, __u32 netns,
		     sw_snapshot_step_fn step, void *ctx, char *err, size_t errlen)
{
	struct take_ctx t = {
		.s = s,
		.only = netns,
		.home = -1,
		.step = step,
		.step_ctx = ctx,
		.err = err,
		.errlen = errlen,
	};
	bool unavailable = false;
	int e;

	memset(s, 0, sizeof(*s));
	e = sw_netns_collect(&t.ns);
	if (e) {
		snprintf(err, errlen, "cannot list network namespaces: %s", strerror(-e));
		goto out;
	}
	t.home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (t.home < 0) {
		e = -errno;
		snprintf(err, errlen, "cannot open /proc/self/ns/net: %s", strerror(-e));
		goto out;
	}
	s->host_netns = t.ns.v[0].ino;
	skip_unasked(&t);
	s->source = src == SW_SNAP_DIAG ? SW_SNAP_DIAG : SW_SNAP_ITER;
	if (s->source == SW_SNAP_ITER) {
		e = take_iter(&t, &unavailable);
		if (e && unavailable && src == SW_SNAP_AUTO) {
			snprintf(s->fallback, sizeof(s->fallback), "%s", err);
			s->source = SW_SNAP_DIAG;
			s->nnetns = 0;
			/* The namespaces stay (those found through sockets too). */
			netns_forget_visits(&t);
		} else if (!e) {
			count_unlisted(&t);
		}
	}
	if (s->source == SW_SNAP_DIAG)
		e = take_diag(&t);
	if (!e) {
		netns_failures(&t);
		netns_asked_missing(&t);
		s->taken_ns = now_ns();
	}
out:
	if (t.home >= 0)
		close(t.home);
	sw_netns_set_free(&t.ns);
	return e;
}

void sw_snapshot_free(struct sw_snapshot *s)
{
	free(s->socks);
	free(s->owners);
	free(s->failed_inos);
	memset(s, 0, sizeof(*s));
}
