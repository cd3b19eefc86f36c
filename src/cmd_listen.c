// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `sockwatch listen`: baseline of listeners, then an alert the moment an unexpected one appears. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "addr.h"
#include "cli.h"
#include "exe_check.h"
#include "listen_fmt.h"
#include "preflight.h"
#include "procinfo.h"
#include "rules.h"
#include "snapowners.h"
#include "snapshot.h"
#include "users.h"

/* Who owns a listener, as far as we know, with storage for the alert's strings. */
struct owner {
	struct sw_procinfo pi;
	enum sw_exe_check exe_check; /* how far pi.exe can be trusted */
	__u32 uid;
	char user[64];
	char comm[SW_COMM_LEN];
	bool comm_known; /* a process may call itself "-" or "": that is a name */
	/* uid (and user) known: an owner's, or a snapshot socket's own (without pid) */
	bool uid_known;
};

/* A listener that was reported (baseline or new), kept for its unlisten line. */
struct listener {
	__u64 key;
	enum sw_alert_level level;
	int rule_line;
	const char *rule_file; /* with several --rules files, the file of rule_line */
	unsigned int family;
	__u8 addr[16];
	__u16 port;
	__u32 netns;
	bool from_snap; /* a baseline or resync listener (keyed as the snapshot keys it) */
	/* there when sockwatch started: a baseline listener, or one that closed before the
	 * snapshot could list it (without rules, lines about it never end the run) */
	bool at_start;
	struct owner o;
};

struct listen_ctx {
	enum sw_fmt fmt;
	struct sw_rules *rules;
	size_t ndeny; /* deny rules: without any, no connection is looked at */
	struct sw_tracer_opts filter; /* also applied to the snapshot */
	bool quiet_baseline;
	bool alerts_only;
	bool exit_on_alert;
	const char *ready_file; /* --ready-file: created once watching */
	bool started; /* baseline printed: events are handled as they come */
	bool key_by_ptr;
	bool snap_has_ptr; /* the snapshot knows socket addresses (bpf_iter) */
	bool match_endpoints; /* raw_tp events vs a sock_diag snapshot: match by endpoints */
	enum sw_snap_source snapshot;
	bool alerted; /* --exit-on-alert: an alert that ends the run was printed (ends_run()) */
	/* CLOCK_MONOTONIC before the tracer was attached: the baseline's ts (no event is older) */
	__u64 attach_ns;
	int write_err;
	__u32 host_netns;
	int host_netns_err; /* /proc/1/ns/net could not be read: host_netns is our own */
	struct sw_proc_cache *procs;
	struct sw_tracer *t;
	struct sw_event *queue; /* events delivered while the snapshot ran */
	size_t nqueue, qcap;
	int queue_err;
	struct listener *ls;
	size_t nls, lcap;
	__u64 alerts, infos;
	/* After lost records, the listeners are counted again (resync()). */
	enum sw_snap_source snap_used; /* what took the start-up snapshot: resyncs take the same */
	bool resync_due; /* records were lost since the last resync */
	bool resyncing; /* a resync's snapshot is under way: listen/unlisten events go to touched */
	__u64 last_resync_ns;
	struct sw_event *touched; /* listen and unlisten events handled during that snapshot */
	size_t ntouched, tcap;
};

/* A resync after a loss runs at once, then at most once a second while losses go on. */
#define RESYNC_MIN_NS 1000000000ULL

static const char listen_usage[] =
	"usage: sockwatch listen [options]\n"
	"\n"
	"Prints the listening sockets that exist now (event 'baseline'), then reports every\n"
	"new listening socket the moment listen() returns ('listen') and when it goes away\n"
	"('unlisten'), with pid, ppid, user, comm, exe, cgroup, container, netns, bind\n"
	"address and exposure (loopback, address, wildcard). Listeners that no --rules\n"
	"rule allows are level 'alert', allowed ones level 'info'. Connections to or from\n"
	"a network a 'deny remote' rule flags are alerts too (event 'remote').\n"
	"See docs/listen.md and docs/rules.md.\n"
	"\n"
	"      --rules FILE     expected listeners and flagged networks (docs/rules.md);\n"
	"                       repeatable: every file holds, in order\n"
	"      --learn FILE     write the current listeners as rules to FILE ('-' for\n"
	"                       stdout) and exit\n"
	"      --quiet-baseline do not print the listeners that exist at start\n"
	"      --alerts-only    print only level 'alert' lines\n"
	"      --exit-on-alert  exit with status 5 after the first new alert (with\n"
	"                       --rules, also for one the baseline holds)\n"
	"      --ready-file F   create file F once watching (F must not exist yet)\n"
	"      --json           JSON lines (same as --format json)\n"
	"      --format FMT     text or json\n" SW_SNAPSHOT_HELP SW_COMMON_HELP "\n"
	"exit codes: 0 ok, 1 runtime failure, 2 usage error or bad rules file,\n"
	"            3 missing privileges, 4 kernel unsupported, 5 alert (--exit-on-alert)\n";

static __u32 host_netns_inode(int *err)
{
	struct stat st;

	*err = 0;
	if (stat("/proc/1/ns/net", &st)) {
		*err = errno;
		return sw_self_netns();
	}
	return (__u32)st.st_ino;
}

/* Said once sockwatch runs (a run that cannot start says why, and nothing else). */
static void warn_host_netns(const struct listen_ctx *c)
{
	if (c->host_netns_err)
		sw_err("warning: cannot read /proc/1/ns/net (%s): host_netns and 'netns host' "
		       "name sockwatch's own network namespace (%u) instead",
		       strerror(c->host_netns_err), c->host_netns);
	sw_warn_pid_namespace();
}

static void wall_now(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static struct listener *find_listener(struct listen_ctx *c, __u64 key)
{
	for (size_t i = 0; i < c->nls; i++)
		if (c->ls[i].key == key)
			return &c->ls[i];
	return NULL;
}

static int add_listener(struct listen_ctx *c, const struct listener *l)
{
	struct listener *n;

	if (c->nls == c->lcap) {
		size_t ncap = c->lcap ? c->lcap * 2 : 64;

		n = realloc(c->ls, ncap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		c->ls = n;
		c->lcap = ncap;
	}
	c->ls[c->nls++] = *l;
	return 0;
}

static void remove_listener(struct listen_ctx *c, struct listener *l)
{
	*l = c->ls[--c->nls];
}

/*
 * Fills an owner from /proc (now) and what the kernel or the snapshot said;
 * exe_ino/exe_mnt_id: the executable the kernel saw (a listen event), or 0;
 * when: what the kernel says of the process that acted, so that /proc/PID
 * is read only if it still is that process (NULL: the snapshot's holders,
 * read at once).
 */
static void owner_fill(struct listen_ctx *c, struct owner *o, __u32 pid, __u32 uid, bool uid_known,
		       const char *comm, __u64 exe_ino, __u32 exe_mnt_id,
		       const struct sw_proc_when *when)
{
	memset(o, 0, sizeof(*o));
	o->pi = *sw_proc_cache_get_as(c->procs, pid, when);
	o->exe_check = sw_exe_check(&o->pi, exe_ino, exe_mnt_id);
	o->uid = uid;
	/* the socket's own uid when no process holds it any more: a user all the same */
	o->uid_known = uid_known;
	if (uid_known)
		sw_user_name(uid, o->user, sizeof(o->user));
	/*
	 * An owner's comm is the kernel's (or the snapshot's holder's), at that
	 * moment, as it is: "" is a name a process may give itself, not an
	 * unknown one. /proc's (cached by pid and start time: perhaps a name the
	 * process had before) would pass an earlier name off as this one.
	 */
	if (pid && comm) {
		snprintf(o->comm, sizeof(o->comm), "%.*s", SW_COMM_LEN - 1, comm);
		o->comm_known = true;
	} else if (o->pi.have & SW_PI_COMM) {
		snprintf(o->comm, sizeof(o->comm), "%s", o->pi.comm);
		o->comm_known = true;
	}
}

/* What rules see of a listener: an exe path is known only if it checked out. */
static void listener_info(const struct listen_ctx *c, const struct listener *l,
			  struct sw_listener_info *li)
{
	*li = (struct sw_listener_info){
		.family = l->family,
		.port = l->port,
		.comm = l->o.pi.pid && l->o.comm_known ? l->o.comm : NULL,
		.exe = l->o.exe_check == SW_EXE_OK ? l->o.pi.exe : NULL,
		.uid = l->o.uid,
		.uid_known = l->o.uid_known,
		.user = l->o.uid_known && l->o.user[0] ? l->o.user : NULL,
		.netns = l->netns,
		.host_netns = l->netns == c->host_netns,
	};
	memcpy(li->addr, l->addr, sizeof(li->addr));
}

/* With several --rules files, which one a rule_line is in (alerts say so); else NULL. */
static const char *rule_file(const struct listen_ctx *c, const char *file)
{
	return sw_rules_nfiles(c->rules) > 1 ? file : NULL;
}

static void classify(struct listen_ctx *c, struct listener *l)
{
	struct sw_listener_info li;
	const char *file = NULL;

	listener_info(c, l, &li);
	l->rule_line = 0;
	l->level = sw_rules_allow_listener_at(c->rules, &li, &l->rule_line, &file) ? SW_LEVEL_INFO :
										     SW_LEVEL_ALERT;
	l->rule_file = rule_file(c, file);
}

static void alert_owner(struct sw_alert *a, const struct owner *o)
{
	a->pid = o->pi.pid;
	a->ppid = o->pi.ppid;
	a->uid = o->uid;
	a->uid_known = o->uid_known;
	a->user = o->user;
	a->comm = o->comm_known ? o->comm : NULL;
	a->exe = sw_pi_str(&o->pi, SW_PI_EXE, o->pi.exe);
	a->exe_check = sw_exe_check_name(o->exe_check);
	a->cgroup = sw_pi_str(&o->pi, SW_PI_CGROUP, o->pi.cgroup);
	a->container = sw_pi_str(&o->pi, SW_PI_CONTAINER, o->pi.container);
	a->cmdline = sw_pi_str(&o->pi, SW_PI_CMDLINE, o->pi.cmdline);
}

/*
 * Whether a write that ended the run (c->write_err) is a normal end: the
 * reader went away (`| head`), or SIGINT/SIGTERM came while a reader did
 * not read (sw_write_stoppable()'s EINTR).
 */
static bool write_end_ok(int err)
{
	return err == EPIPE || err == EINTR;
}

/*
 * Whether a line at this level ends an --exit-on-alert run: every alert
 * does, except, without rules, one about a listener that was there when
 * sockwatch started (at_start): without rules the baseline is what is
 * expected (every listener is an alert), with rules the rules say it.
 */
static bool ends_run(const struct listen_ctx *c, enum sw_alert_level level, bool at_start)
{
	return c->exit_on_alert && level == SW_LEVEL_ALERT && (c->rules || !at_start);
}

/*
 * Prints one alert line and flushes it: the reader sees it now, not at the
 * next buffer fill. Every line goes through here, so every alert that
 * ends_run() says ends the run sets c->alerted, written or not (a full
 * disk, a closed stdout): the exit code says it.
 */
static int emit(struct listen_ctx *c, const struct sw_alert *a, bool at_start)
{
	char line[SW_ALERT_LINE_MAX];
	int n, e;

	if (ends_run(c, a->level, at_start))
		c->alerted = true;
	if (a->level == SW_LEVEL_ALERT)
		c->alerts++;
	else
		c->infos++;
	if (c->alerts_only && a->level != SW_LEVEL_ALERT)
		return 0;
	/* nothing more after a write that failed, or that a stop interrupted */
	if (c->write_err)
		return -EPIPE;
	n = sw_listen_format(a, c->fmt, line, sizeof(line) - 1);
	if (n < 0)
		return 0;
	line[n++] = '\n';
	/* write(2), not stdio: after EINTR stdio drops what it had not written */
	e = sw_write_stoppable(STDOUT_FILENO, line, n);
	if (e) {
		c->write_err = -e;
		return -EPIPE;
	}
	return 0;
}

/* resync: found by a resync after lost records, not seen as it happened. */
static int emit_listener_src(struct listen_ctx *c, const struct listener *l,
			     enum sw_alert_kind kind, const struct timespec *wall, bool resync)
{
	struct sw_alert a = {
		.kind = kind,
		.level = l->level,
		.wall = *wall,
		.family = l->family,
		.lport = l->port,
		.netns = l->netns,
		.host_netns = l->netns == c->host_netns,
		.rule_line = l->rule_line,
		.rule_file = l->rule_file,
		.resync = resync,
	};

	memcpy(a.laddr, l->addr, sizeof(a.laddr));
	alert_owner(&a, &l->o);
	return emit(c, &a, l->at_start);
}

static int emit_listener(struct listen_ctx *c, const struct listener *l, enum sw_alert_kind kind,
			 const struct timespec *wall)
{
	return emit_listener_src(c, l, kind, wall, false);
}

/*
 * What the kernel says of an event's owner, for owner_fill(): a listen
 * record carries when its process started; and the owner was alive when it
 * acted: at the listener's birth (its listen()) or connect()'s start, at
 * the record for an accept (birth is then the connection's, which may be
 * older than the process that accepted it).
 */
static struct sw_proc_when event_when(const struct sw_event *e)
{
	__u64 acted = e->ts_ns;

	if (e->kind != SW_EV_ACCEPT && e->birth_ns && e->birth_ns < acted)
		acted = e->birth_ns;
	return (struct sw_proc_when){
		.start = e->kind == SW_EV_LISTEN ? sw_ticks_of_boot_ns(e->owner_start_ns) : 0,
		.alive = sw_ticks_of_mono_ns(acted),
	};
}

static void listener_from_event(struct listen_ctx *c, const struct sw_event *e, struct listener *l)
{
	bool owned = (e->flags & SW_F_OWNER_MASK) != SW_OWNER_NONE;
	struct sw_proc_when when = event_when(e);

	memset(l, 0, sizeof(*l));
	l->key = e->cookie;
	l->family = e->family;
	memcpy(l->addr, e->laddr, sizeof(l->addr));
	l->port = e->lport;
	l->netns = e->netns;
	/* an event without owner has no uid either (docs/schema.md) */
	owner_fill(c, &l->o, owned ? e->pid : 0, e->uid, owned, owned ? e->comm : NULL,
		   owned && e->kind == SW_EV_LISTEN ? e->exe_ino : 0, e->exe_mnt_id, &when);
	classify(c, l);
}

static int on_listen(struct listen_ctx *c, const struct sw_event *e, const struct timespec *wall)
{
	struct listener l;
	int ret;

	if (find_listener(c, e->cookie))
		return 0; /* already reported (baseline) */
	listener_from_event(c, e, &l);
	ret = emit_listener(c, &l, SW_ALERT_LISTEN, wall);
	if (ret)
		return ret;
	return add_listener(c, &l);
}

/* A baseline listener at the event's endpoints (see match_endpoints). */
static struct listener *find_listener_at(struct listen_ctx *c, const struct sw_event *e)
{
	for (size_t i = 0; i < c->nls; i++) {
		struct listener *l = &c->ls[i];

		if (l->from_snap && l->netns == e->netns && l->family == e->family &&
		    l->port == e->lport && !memcmp(l->addr, e->laddr, sizeof(l->addr)))
			return l;
	}
	return NULL;
}

static int on_unlisten(struct listen_ctx *c, const struct sw_event *e, const struct timespec *wall)
{
	struct listener *found = find_listener(c, e->cookie), l;
	int ret;

	if (!found && c->match_endpoints)
		found = find_listener_at(c, e);

	if (found) {
		ret = emit_listener(c, found, SW_ALERT_UNLISTEN, wall);
		remove_listener(c, found);
		return ret;
	}
	/*
	 * A listener that closed before the snapshot could list it: its listen()
	 * came before the tracer (else it would be known), so it was there at
	 * start, as the baseline's are. With rules one they do not allow ends an
	 * --exit-on-alert run as its baseline line would have.
	 */
	listener_from_event(c, e, &l);
	l.at_start = true;
	return emit_listener(c, &l, SW_ALERT_UNLISTEN, wall);
}

static const char *direction(unsigned int kind)
{
	switch (kind) {
	case SW_EV_CONNECT:
		return "connect";
	case SW_EV_CONNECT_FAILED:
		return "connect_failed";
	case SW_EV_ACCEPT:
		return "accept";
	case SW_EV_STATE:
		return "attempt";
	default:
		return "established";
	}
}

/* A connection to or from a network a deny rule flags. */
static int on_remote(struct listen_ctx *c, const struct sw_event *e, const struct timespec *wall)
{
	bool owned = (e->flags & SW_F_OWNER_MASK) != SW_OWNER_NONE;
	struct sw_alert a = {
		.kind = SW_ALERT_REMOTE,
		.level = SW_LEVEL_ALERT,
		.wall = *wall,
		.family = e->family,
		.lport = e->lport,
		.rport = e->rport,
		.direction = direction(e->kind),
		.netns = e->netns,
		.host_netns = e->netns == c->host_netns,
	};
	struct sw_proc_when when;
	const char *file = NULL;
	struct owner o;
	int line = 0;

	if (!sw_rules_deny_remote_at(c->rules, e->family, e->raddr, e->rport, &line, &file))
		return 0;
	when = event_when(e);
	memcpy(a.laddr, e->laddr, sizeof(a.laddr));
	memcpy(a.raddr, e->raddr, sizeof(a.raddr));
	a.rule_line = line;
	a.rule_file = rule_file(c, file);
	/* an existing connection (SW_EV_NONE) has the socket's uid without an owner */
	owner_fill(c, &o, owned ? e->pid : 0, e->uid, owned || e->kind == SW_EV_NONE,
		   owned ? e->comm : NULL, 0, 0, e->kind == SW_EV_NONE ? NULL : &when);
	alert_owner(&a, &o);
	return emit(c, &a, false);
}

static int handle_event(struct listen_ctx *c, const struct sw_event *e, const struct timespec *wall)
{
	switch (e->kind) {
	case SW_EV_LISTEN:
		return on_listen(c, e, wall);
	case SW_EV_UNLISTEN:
		return on_unlisten(c, e, wall);
	case SW_EV_CONNECT:
	case SW_EV_CONNECT_FAILED:
	case SW_EV_ACCEPT:
		return on_remote(c, e, wall);
	case SW_EV_STATE: /* a connect() starting: see run() */
		return e->newstate == SW_TCP_SYN_SENT ? on_remote(c, e, wall) : 0;
	default:
		return 0;
	}
}

static int queue_push(struct listen_ctx *c, const struct sw_event *e)
{
	if (c->nqueue == c->qcap) {
		size_t ncap = c->qcap ? c->qcap * 2 : 1024;
		struct sw_event *nq = realloc(c->queue, ncap * sizeof(*nq));

		if (!nq)
			return -ENOMEM;
		c->queue = nq;
		c->qcap = ncap;
	}
	c->queue[c->nqueue++] = *e;
	return 0;
}

/*
 * Loss is never silent: a lost listen event may be a missed alert. It is
 * said on stderr and in the alert stream, and the listeners are counted
 * again (resync()), which reports those the lost records were about.
 */
static int on_lost(struct listen_ctx *c, const struct sw_record *r)
{
	struct sw_alert a = {
		.kind = SW_ALERT_LOST,
		.level = SW_LEVEL_ALERT,
		.wall = r->wall,
		.lost = r->lost,
		.where = r->lost_where ? r->lost_where : "ringbuf",
	};
	int e;

	sw_err("warning: %llu events lost in %s", (unsigned long long)r->lost, a.where);
	c->resync_due = true;
	/*
	 * Fail closed: what was lost may have been a listener that opened and
	 * closed before the resync could see it (an alert: emit() ends the run).
	 */
	e = emit(c, &a, false);
	if (e)
		return e;
	return c->alerted ? 1 : 0; /* stop consuming: the caller exits with SW_EXIT_ALERT */
}

/* A listen or unlisten handled while a resync's snapshot runs: newer than the snapshot. */
static int note_touched(struct listen_ctx *c, const struct sw_event *e)
{
	if (c->ntouched == c->tcap) {
		size_t ncap = c->tcap ? c->tcap * 2 : 64;
		struct sw_event *n = realloc(c->touched, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		c->touched = n;
		c->tcap = ncap;
	}
	c->touched[c->ntouched++] = *e;
	return 0;
}

static int on_record(const struct sw_record *r, void *ctx)
{
	struct listen_ctx *c = ctx;
	int e;

	if (sw_lost_is_evictions(r)) {
		sw_err("warning: %llu socket-map entries evicted (the map is full: --max-sockets): "
		       "those sockets' later events have no owner",
		       (unsigned long long)r->lost);
		return 0;
	}
	if (r->ev.kind == SW_EV_LOST)
		return on_lost(c, r);
	if (c->alerted)
		return 1; /* --exit-on-alert: nothing after the first alert */
	if (!c->started) {
		e = queue_push(c, &r->ev);
		if (e)
			c->queue_err = e;
		return 0;
	}
	if (c->resyncing && (r->ev.kind == SW_EV_LISTEN || r->ev.kind == SW_EV_UNLISTEN)) {
		e = note_touched(c, &r->ev);
		if (e)
			return e;
	}
	e = handle_event(c, &r->ev, &r->wall);
	if (e)
		return e;
	/* Stop consuming: the caller exits with SW_EXIT_ALERT. */
	return c->alerted ? 1 : 0;
}

static void drain_step(void *ctx)
{
	struct listen_ctx *c = ctx;

	sw_tracer_poll(c->t, 0);
}

static __u64 snap_key(const struct listen_ctx *c, __u64 cookie, __u64 ptr)
{
	return c->key_by_ptr && c->snap_has_ptr ? ptr : cookie;
}

/* Whether a holder passes the -p and --comm filters (as the tracer and top judge them). */
static bool owner_passes(const struct sw_tracer_opts *f, const struct sw_snap_owner *o)
{
	if (f->pid && o->pid != f->pid)
		return false;
	return !f->comm || !strncmp(o->comm, f->comm, SW_COMM_LEN - 1);
}

/*
 * The owner reported for a snapshot socket: the holder with the lowest pid
 * (a forked server's parent) that -p and --comm select, so that a socket is
 * kept if any of its holders passes them (as top keeps it), and shown as
 * that holder's. NULL: no holder passes (or none at all).
 */
static const struct sw_snap_owner *snap_owner(const struct listen_ctx *c,
					      const struct sw_snapowners *ix, __u64 key)
{
	const struct sw_snapowners_ent *first;
	size_t n = sw_snapowners_find(ix, key, &first);

	for (size_t i = 0; i < n; i++) /* lowest pid first */
		if (owner_passes(&c->filter, first[i].o))
			return first[i].o;
	return NULL;
}

/* The filters (family, port, netns in the kernel's way; pid and comm by owner) on a snapshot socket. */
static bool snap_match(const struct listen_ctx *c, const struct sw_snapowners *ix,
		       const struct sw_snap_sock *s)
{
	const struct sw_tracer_opts *f = &c->filter;

	if (f->family && s->family != f->family)
		return false;
	if (f->port && s->lport != f->port && s->rport != f->port)
		return false;
	if (f->netns && s->netns != f->netns)
		return false;
	if (!f->pid && !f->comm)
		return true;
	return snap_owner(c, ix, snap_key(c, s->cookie, s->skptr)) != NULL;
}

static void listener_from_snap(struct listen_ctx *c, const struct sw_snapowners *ix,
			       const struct sw_snap_sock *k, struct listener *l)
{
	const struct sw_snap_owner *o;

	memset(l, 0, sizeof(*l));
	l->key = snap_key(c, k->cookie, k->skptr);
	l->from_snap = true;
	l->family = k->family;
	memcpy(l->addr, k->laddr, sizeof(l->addr));
	l->port = k->lport;
	l->netns = k->netns;
	o = snap_owner(c, ix, l->key);
	/* no holder left: the socket's own uid, known all the same */
	owner_fill(c, &l->o, o ? o->pid : 0, o ? o->uid : k->uid, true, o ? o->comm : NULL, 0, 0,
		   NULL);
	classify(c, l);
}

/* The owner index of a snapshot, keyed as listen keys its sockets (snap_key()). */
static int index_owners(const struct listen_ctx *c, const struct sw_snapshot *s,
			struct sw_snapowners *ix)
{
	return sw_snapowners_build(ix, s->owners, s->nowners, c->key_by_ptr && c->snap_has_ptr);
}

/* Whether the tracer saw this snapshot listener's listen() (it is not baseline then). */
static bool queued_listen(const struct listen_ctx *c, const struct sw_snap_sock *k)
{
	__u64 key = snap_key(c, k->cookie, k->skptr);

	for (size_t i = 0; i < c->nqueue; i++) {
		const struct sw_event *e = &c->queue[i];

		if (e->kind != SW_EV_LISTEN)
			continue;
		if (e->cookie == key)
			return true;
		if (c->match_endpoints && e->netns == k->netns && e->family == k->family &&
		    e->lport == k->lport && !memcmp(e->laddr, k->laddr, sizeof(e->laddr)))
			return true;
	}
	return false;
}

/* Existing connections to or from flagged networks: alerts, direction "established". */
static int baseline_remote(struct listen_ctx *c, const struct sw_snapowners *ix,
			   const struct sw_snap_sock *k, const struct timespec *wall)
{
	const struct sw_snap_owner *o = snap_owner(c, ix, snap_key(c, k->cookie, k->skptr));
	struct sw_event e = {
		.kind = SW_EV_NONE,
		.family = k->family,
		.lport = k->lport,
		.rport = k->rport,
		.netns = k->netns,
		.cookie = snap_key(c, k->cookie, k->skptr),
		.uid = o ? o->uid : k->uid,
		.pid = o ? o->pid : 0,
		.flags = o ? SW_OWNER_SOCKET : SW_OWNER_NONE,
	};

	if (o)
		memcpy(e.comm, o->comm, sizeof(e.comm));
	memcpy(e.laddr, k->laddr, sizeof(e.laddr));
	memcpy(e.raddr, k->raddr, sizeof(e.raddr));
	return on_remote(c, &e, wall);
}

/*
 * The baseline is every listener the snapshot saw whose listen() the tracer
 * did not see; a listener created after attach is reported once, as 'listen',
 * from its queued event (even if the snapshot saw it too).
 *
 * Its lines (and those of existing connections to flagged networks) carry
 * the time the tracer was being attached: every listener in it was there by
 * then or opened while it was, before the tracer saw anything, and every
 * queued event printed after them is later. (The time of the reconcile would
 * put a listener's baseline after an unlisten queued meanwhile.)
 */
static int reconcile(struct listen_ctx *c, const struct sw_snapshot *s)
{
	struct sw_snapowners ix;
	struct timespec start;
	struct listener l;
	int e;

	sw_mono_to_wall(c->attach_ns, &start);
	sw_tracer_poll(c->t, 0);
	if (c->queue_err)
		return c->queue_err;
	e = index_owners(c, s, &ix);
	if (e)
		return e;
	for (size_t i = 0; i < s->nsocks && !c->alerted; i++) {
		const struct sw_snap_sock *k = &s->socks[i];
		bool gate;

		/* connections matter only to deny rules */
		if (k->state != SW_TCP_LISTEN && (!c->ndeny || k->state != SW_TCP_ESTABLISHED))
			continue;
		if (!snap_match(c, &ix, k))
			continue;
		if (k->state != SW_TCP_LISTEN) {
			e = baseline_remote(c, &ix, k, &start);
			if (e)
				goto out;
			continue;
		}
		if (queued_listen(c, k) || find_listener(c, snap_key(c, k->cookie, k->skptr)))
			continue;
		listener_from_snap(c, &ix, k, &l);
		l.at_start = true;
		/*
		 * With rules, --exit-on-alert ends the run on a listener they do not
		 * allow whether it opened just before sockwatch started or after: a
		 * CI gate must not pass because the workload was quicker than the
		 * tracer. That line is printed even with --quiet-baseline: it says
		 * why the run failed. (Without rules every listener is an alert,
		 * and the baseline is what is expected: ends_run().)
		 */
		gate = ends_run(c, l.level, l.at_start);
		if (!c->quiet_baseline || gate) {
			e = emit_listener(c, &l, SW_ALERT_BASELINE, &start);
			if (e)
				goto out;
		}
		e = add_listener(c, &l);
		if (e)
			goto out;
	}
	sw_snapowners_free(&ix);
	/* An existing connection to a flagged network (with rules only) ended the run too. */
	for (size_t i = 0; i < c->nqueue && !c->alerted; i++) {
		struct timespec w;

		sw_mono_to_wall(c->queue[i].ts_ns, &w);
		e = handle_event(c, &c->queue[i], &w);
		if (e)
			return e;
	}
	free(c->queue);
	c->queue = NULL;
	c->nqueue = c->qcap = 0;
	c->started = true;
	return 0;
out:
	sw_snapowners_free(&ix);
	return e;
}

/* Any listener at these endpoints (keys differ: raw_tp events vs a sock_diag snapshot). */
static bool listener_at(const struct listen_ctx *c, __u32 netns, unsigned int family,
			const __u8 *addr, __u16 port)
{
	for (size_t i = 0; i < c->nls; i++) {
		const struct listener *l = &c->ls[i];

		if (l->netns == netns && l->family == family && l->port == port &&
		    !memcmp(l->addr, addr, sizeof(l->addr)))
			return true;
	}
	return false;
}

/* Whether a listen or unlisten came for this listener while the resync's snapshot ran. */
static bool touched(const struct listen_ctx *c, __u64 key, __u32 netns, unsigned int family,
		    const __u8 *addr, __u16 port)
{
	for (size_t i = 0; i < c->ntouched; i++) {
		const struct sw_event *e = &c->touched[i];

		if (e->cookie == key)
			return true;
		if (c->match_endpoints && e->netns == netns && e->family == family &&
		    e->lport == port && !memcmp(e->laddr, addr, sizeof(e->laddr)))
			return true;
	}
	return false;
}

/* Whether the snapshot's listeners (n of them) hold l (any owner: the filters chose it before). */
static bool snap_has_listener(const struct listen_ctx *c, const struct sw_snap_sock *const *ls,
			      size_t n, const struct listener *l)
{
	for (size_t i = 0; i < n; i++) {
		const struct sw_snap_sock *k = ls[i];

		if (snap_key(c, k->cookie, k->skptr) == l->key)
			return true;
		if (c->match_endpoints && k->netns == l->netns && k->family == l->family &&
		    k->lport == l->port && !memcmp(k->laddr, l->addr, sizeof(k->laddr)))
			return true;
	}
	return false;
}

/*
 * The listeners known against a snapshot taken after records were lost.
 * Events handled while it ran are newer than it (touched): their listeners
 * are left as those events made them. A known listener the snapshot does
 * not list (in a namespace it entered) is gone: its unlisten was lost. A
 * listener it lists that is not known is new: its listen was lost. Both
 * are reported now, marked resync; a new one that no rule allows is an
 * alert like any other (--exit-on-alert).
 */
static int resync_apply(struct listen_ctx *c, const struct sw_snapshot *s, size_t *gone,
			size_t *found)
{
	const struct sw_snap_sock **ls;
	struct sw_snapowners ix;
	struct timespec now;
	struct listener l;
	size_t n = 0;
	int e = 0;

	e = index_owners(c, s, &ix);
	if (e)
		return e;
	ls = malloc((s->nsocks ? s->nsocks : 1) * sizeof(*ls));
	if (!ls) {
		sw_snapowners_free(&ix);
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->nsocks; i++)
		if (s->socks[i].state == SW_TCP_LISTEN)
			ls[n++] = &s->socks[i];
	wall_now(&now);
	for (size_t i = 0; i < c->nls;) {
		struct listener *k = &c->ls[i];

		if (snap_has_listener(c, ls, n, k) ||
		    touched(c, k->key, k->netns, k->family, k->addr, k->port) ||
		    sw_snapshot_netns_failed(s, k->netns)) {
			i++;
			continue;
		}
		e = emit_listener_src(c, k, SW_ALERT_UNLISTEN, &now, true);
		remove_listener(c, k); /* the last one moves to i */
		(*gone)++;
		if (e)
			goto out;
	}
	for (size_t i = 0; i < n && !c->alerted; i++) {
		const struct sw_snap_sock *k = ls[i];
		__u64 key = snap_key(c, k->cookie, k->skptr);

		if (!snap_match(c, &ix, k) || find_listener(c, key) ||
		    (c->match_endpoints &&
		     listener_at(c, k->netns, k->family, k->laddr, k->lport)) ||
		    touched(c, key, k->netns, k->family, k->laddr, k->lport))
			continue;
		listener_from_snap(c, &ix, k, &l); /* keyed as the snapshot keys it */
		e = emit_listener_src(c, &l, SW_ALERT_LISTEN, &now, true);
		(*found)++;
		if (e)
			goto out;
		e = add_listener(c, &l);
		if (e)
			goto out;
	}
out:
	free(ls);
	sw_snapowners_free(&ix);
	return e;
}

/*
 * After lost records: a snapshot of the listeners that exist now, the same
 * one as at start, reconciled with those known (resync_apply()). Events
 * that come meanwhile are handled as they come. A snapshot that fails is
 * said and tried again later; returns 0, or -errno to end the run.
 */
static int resync(struct listen_ctx *c)
{
	size_t gone = 0, found = 0;
	struct sw_snapshot s;
	char err[768];
	__u64 t0 = mono_ns();
	int e;

	c->resync_due = false;
	c->last_resync_ns = t0;
	c->ntouched = 0;
	c->resyncing = true;
	e = sw_snapshot_take(&s, c->snap_used, c->filter.netns, drain_step, c, err, sizeof(err));
	if (!e)
		sw_tracer_poll(c->t, 0); /* what came before it ended */
	c->resyncing = false;
	if (e) {
		sw_err("warning: cannot count the listeners again after lost events: %s", err);
		c->resync_due = true;
		return 0;
	}
	/* a line that could not be written, or the alert that ends the run, came meanwhile */
	if (c->write_err || c->alerted) {
		sw_snapshot_free(&s);
		return c->write_err ? -EPIPE : 0;
	}
	e = resync_apply(c, &s, &gone, &found);
	sw_snapshot_free(&s);
	if (!e)
		fprintf(stderr,
			"sockwatch: listeners counted again after lost events (%.0f ms): %zu new, "
			"%zu gone\n",
			(mono_ns() - t0) / 1e6, found, gone);
	return e;
}

enum {
	OPT_RULES = SW_OPT_VERB,
	OPT_LEARN,
	OPT_QUIET_BASELINE,
	OPT_ALERTS_ONLY,
	OPT_EXIT_ON_ALERT,
	OPT_JSON,
	OPT_FORMAT,
	OPT_SNAPSHOT,
	OPT_READY_FILE,
};

static const struct option listen_opts[] = {
	{ "rules", required_argument, NULL, OPT_RULES },
	{ "learn", required_argument, NULL, OPT_LEARN },
	{ "quiet-baseline", no_argument, NULL, OPT_QUIET_BASELINE },
	{ "alerts-only", no_argument, NULL, OPT_ALERTS_ONLY },
	{ "exit-on-alert", no_argument, NULL, OPT_EXIT_ON_ALERT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "snapshot", required_argument, NULL, OPT_SNAPSHOT },
	{ "ready-file", required_argument, NULL, OPT_READY_FILE },
	SW_COMMON_LONGOPTS,
	{ "help", no_argument, NULL, 'h' },
	{},
};

struct listen_args {
	const char **rules; /* every --rules FILE, in order */
	size_t nrules;
	const char *learn;
	const char *output_opt; /* an option about alert lines, which --learn does not print */
	const char *ready_file;
	bool json_opt; /* --json given */
	const char *format_opt; /* --format's value, NULL if not given */
};

static int bad_value(const char *opt, const char *val, const char *why)
{
	return sw_bad_value("listen", opt, val, why);
}

/*
 * The directory --ready-file's file is to be created in (PATH up to its last
 * '/', "." without one), into dir; -ENAMETOOLONG if it does not fit.
 */
static int ready_dir(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!slash)
		return snprintf(dir, len, ".") < (int)len ? 0 : -ENAMETOOLONG;
	n = slash == path ? 1 : (size_t)(slash - path); /* "/f": in "/" */
	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return 0;
}

/*
 * --ready-file PATH must not exist yet: a file left by an earlier run would
 * say "ready" before this one is. And it must be creatable: a directory
 * that is missing, not a directory or not writable is found now, before
 * anything is attached, not after the baseline (when a script waiting for
 * the "watching listeners" line has gone on). Returns -1 to go on, else an
 * exit code.
 */
static int check_ready_file(const char *path)
{
	char dir[PATH_MAX];
	struct stat st;
	int e;

	if (!path)
		return -1;
	if (!*path)
		return sw_usage_err("listen", "--ready-file needs a file name");
	if (!lstat(path, &st))
		return sw_usage_err("listen",
				    "--ready-file %s already exists: remove it first (an old one "
				    "would say ready before sockwatch is)",
				    path);
	if (path[strlen(path) - 1] == '/')
		return sw_usage_err("listen", "--ready-file %s: %s", path, strerror(EISDIR));
	e = ready_dir(path, dir, sizeof(dir));
	if (!e && stat(dir, &st))
		e = -errno;
	if (!e && !S_ISDIR(st.st_mode))
		e = -ENOTDIR;
	/* the effective ids, as open() will use them */
	if (!e && faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS))
		e = -errno;
	if (e)
		return sw_usage_err("listen", "--ready-file %s: cannot create it in %s: %s", path,
				    dir, strerror(-e));
	return -1;
}

/* Parses listen options; returns -1 to go on, else an exit code. */
static int parse_listen_opts(int argc, char **argv, struct listen_ctx *c, struct listen_args *a)
{
	static const int repeatable[] = { OPT_RULES, 0 };
	struct sw_tracer_opts *o = &c->filter;
	struct sw_opts_seen seen = {};
	const char **rules;
	int opt, ret;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h" SW_COMMON_SHORTOPTS, listen_opts, NULL)) != -1) {
		ret = sw_opt_once("listen", opt, listen_opts, repeatable, &seen);
		if (ret)
			return ret;
		switch (opt) {
		case OPT_RULES:
			/* every file counts: a second one must not drop the first's deny rules */
			rules = realloc(a->rules, (a->nrules + 1) * sizeof(*rules));
			if (!rules) {
				sw_err("out of memory");
				return SW_EXIT_FAILURE;
			}
			a->rules = rules;
			a->rules[a->nrules++] = optarg;
			break;
		case OPT_LEARN:
			a->learn = optarg;
			break;
		case OPT_QUIET_BASELINE:
			c->quiet_baseline = true;
			a->output_opt = "--quiet-baseline";
			break;
		case OPT_ALERTS_ONLY:
			c->alerts_only = true;
			a->output_opt = "--alerts-only";
			break;
		case OPT_EXIT_ON_ALERT:
			c->exit_on_alert = true;
			break;
		case OPT_JSON:
			c->fmt = SW_FMT_JSON;
			a->output_opt = "--json";
			a->json_opt = true;
			break;
		case OPT_FORMAT:
			/* ECS names are for events: listen's alerts have no mapping */
			if (sw_format_parse(optarg, &c->fmt) || c->fmt == SW_FMT_ECS)
				return bad_value("format", optarg, "expected text or json");
			a->output_opt = "--format";
			a->format_opt = optarg;
			break;
		case OPT_SNAPSHOT:
			if (sw_snap_source_parse(optarg, &c->snapshot))
				return bad_value("snapshot source", optarg,
						 "expected auto, iter or diag");
			break;
		case OPT_READY_FILE:
			a->ready_file = optarg;
			break;
		case 'h':
			fputs(listen_usage, stdout);
			return SW_EXIT_OK;
		default:
			ret = sw_common_opt("listen", opt, optarg, argv, listen_opts, o);
			if (ret)
				return ret < 0 ? SW_EXIT_USAGE : ret;
			break;
		}
	}
	/* every usage error below says so the same way: sw_usage_err() */
	if (optind < argc)
		return sw_usage_err("listen", "unexpected argument '%s'", argv[optind]);
	ret = sw_format_conflict("listen", a->json_opt, a->format_opt);
	if (ret)
		return ret;
	if (a->learn && !*a->learn)
		return sw_usage_err("listen",
				    "--learn needs a file name ('-' for standard output)");
	if (a->learn && (a->nrules || c->exit_on_alert || a->ready_file))
		return sw_usage_err("listen", "--learn cannot be combined with --rules, "
					      "--exit-on-alert or --ready-file");
	ret = check_ready_file(a->ready_file);
	if (ret >= 0)
		return ret;
	c->ready_file = a->ready_file;
	if (a->learn && a->output_opt)
		return sw_usage_err(
			"listen", "--learn writes rules, not alert lines: %s does not apply to it",
			a->output_opt);
	return -1;
}

/*
 * The --learn file ("-" is stdout): created with mode 0640, as file: outputs
 * are, or truncated if it exists (rules are replaced, not appended to); a
 * symlink at path is refused, not followed (O_NOFOLLOW). Returns 0 or -errno.
 */
static int open_learn_file(const char *path, FILE **out)
{
	int fd, e;

	if (!strcmp(path, "-")) {
		*out = stdout;
		return 0;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	*out = fdopen(fd, "w");
	if (!*out) {
		e = -errno;
		close(fd);
		return e;
	}
	return 0;
}

/*
 * Without CAP_SYS_ADMIN the snapshot cannot enter other network namespaces
 * (setns), nor always find them (another user's processes): rules learned
 * from the rest would leave out their listeners, as if they did not exist.
 * Refused (true, after one line naming CAP_SYS_ADMIN) when it missed any,
 * unless --netns asked for sockwatch's own namespace only. With
 * CAP_SYS_ADMIN a namespace can only be missed by going away meanwhile: a
 * warning then, as for tracing.
 */
static bool learn_partial(const struct listen_ctx *c, const struct sw_snapshot *s)
{
	unsigned int missed = s->netns_failed + s->netns_unlisted;
	char first[SW_NETNS_PATH_MAX + 128];

	if (!missed || sw_has_cap(CAP_SYS_ADMIN) || c->filter.netns == s->host_netns)
		return false;
	if (s->netns_failed)
		snprintf(first, sizeof(first), "netns %llu from %s: %s",
			 (unsigned long long)s->failed_netns, s->failed_path,
			 strerror(s->failed_err));
	else
		snprintf(first, sizeof(first), "netns %llu, where processes hold sockets",
			 (unsigned long long)s->unlisted_netns);
	sw_err("--learn would miss listeners: %u network namespace%s could not be entered "
	       "(%s%s); entering other network namespaces needs CAP_SYS_ADMIN (run as root)",
	       missed, missed == 1 ? "" : "s", missed == 1 ? "" : "first: ", first);
	return true;
}

/* --learn: the snapshot's listeners as rules, no tracer. */
static int learn(struct listen_ctx *c, const char *path)
{
	struct sw_listener_info *li = NULL;
	struct sw_snapowners ix = {};
	struct listener *ls = NULL;
	struct sw_snapshot s;
	char err[512];
	size_t n = 0;
	FILE *f;
	int e, ret = SW_EXIT_FAILURE;

	/*
	 * Unprivileged, the snapshot would fall back to what sock_diag and /proc
	 * show this user (not other users' namespaces and owners) and the rules
	 * would be looser than the listeners are: refuse, as tracing does. BTF is
	 * not needed here (without it the snapshot comes from sock_diag).
	 */
	e = sw_check_privileges(err, sizeof(err));
	if (e) {
		sw_err("%s", err);
		return sw_exit_for_open_error(e);
	}
	/* libbpf's messages about the iterators: with -v, or in the error */
	sw_libbpf_log_init(c->filter.verbose);
	sw_startup_memory(true); /* the process ends after writing the file */
	e = sw_snapshot_take(&s, c->snapshot, c->filter.netns, NULL, NULL, err, sizeof(err));
	if (e) {
		sw_err("%s", err);
		return sw_exit_for_open_error(e);
	}
	if (c->filter.verbose)
		sw_print_snapshot_source(s.source, s.fallback);
	if (learn_partial(c, &s)) {
		ret = SW_EXIT_PERM;
		goto out;
	}
	sw_warn_snapshot_netns(s.netns_failed, s.failed_netns, s.failed_err, s.failed_path);
	warn_host_netns(c);
	ls = calloc(s.nsocks ? s.nsocks : 1, sizeof(*ls));
	li = calloc(s.nsocks ? s.nsocks : 1, sizeof(*li));
	if (!ls || !li || index_owners(c, &s, &ix)) {
		sw_err("out of memory");
		goto out;
	}
	for (size_t i = 0; i < s.nsocks; i++) {
		struct listener *l = &ls[n];

		if (s.socks[i].state != SW_TCP_LISTEN || !snap_match(c, &ix, &s.socks[i]))
			continue;
		listener_from_snap(c, &ix, &s.socks[i], l);
		listener_info(c, l, &li[n]);
		n++;
	}
	/* a path that cannot be opened is a bad argument (exit 2), as for -o file:PATH */
	e = open_learn_file(path, &f);
	if (e) {
		sw_err("%s: %s", path, sw_open_error(e));
		ret = SW_EXIT_USAGE;
		goto out;
	}
	e = sw_rules_learn(f, li, n);
	if (f == stdout) {
		if (fflush(f) && !e)
			e = -errno;
	} else if (fclose(f) && !e) {
		e = -errno;
	}
	if (e) {
		sw_err("%s: %s", path, strerror(-e));
		goto out;
	}
	fprintf(stderr, "sockwatch: learned %zu listener%s into %s\n", n, n == 1 ? "" : "s", path);
	ret = SW_EXIT_OK;
out:
	sw_snapowners_free(&ix);
	free(ls);
	free(li);
	sw_snapshot_free(&s);
	return ret;
}

/*
 * --ready-file: created (never replaced: O_EXCL, and no symlink followed)
 * once tracing is on and the baseline is out, holding sockwatch's pid. A
 * script starts its workload when it appears. 0 or -errno (0 without one).
 */
static int write_ready_file(const char *path)
{
	char pid[32];
	int fd, n, e = 0;

	if (!path)
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (write(fd, pid, n) != n)
		e = errno ? -errno : -EIO;
	if (close(fd) && !e)
		e = -errno;
	return e;
}

static int run(struct listen_ctx *c)
{
	struct sw_net *nets = NULL;
	struct sw_snapshot s;
	char err[768];
	size_t nallow = 0, ndeny = 0;
	int e, n, ret = SW_EXIT_OK;

	sw_install_signals();
	sw_startup_memory(true);
	/* Flagged peers are alerted when connect() starts, not only when it ends
	 * (a peer that drops SYNs answers nothing for minutes); the kernel side
	 * sends only the attempts to their networks. */
	sw_rules_counts(c->rules, &nallow, &ndeny);
	c->ndeny = ndeny;
	/* Only what listen reads takes ring-buffer space: listeners, and with deny
	 * rules the connects to their networks. A consumer that falls behind (a
	 * blocked stdout) must not lose a listener to connections it ignores. */
	c->filter.kinds = 1u << SW_EV_LISTEN | 1u << SW_EV_UNLISTEN;
	if (ndeny) {
		c->filter.kinds |= 1u << SW_EV_CONNECT | 1u << SW_EV_CONNECT_FAILED |
				   1u << SW_EV_ACCEPT | 1u << SW_EV_STATE;
		c->filter.remote_nets_only = true;
		nets = calloc(ndeny, sizeof(*nets));
		if (!nets) {
			sw_err("out of memory");
			return SW_EXIT_FAILURE;
		}
		c->filter.nconnect_nets = sw_rules_deny_nets(c->rules, nets, ndeny);
		c->filter.connect_nets = nets;
	}
	/* before the first program is attached: older than any event (reconcile()) */
	c->attach_ns = mono_ns();
	e = sw_tracer_open(&c->filter, on_record, c, &c->t, err, sizeof(err));
	if (e) {
		sw_err("%s", err);
		free(nets);
		return sw_exit_for_open_error(e);
	}
	c->key_by_ptr = sw_tracer_state_hook(c->t) == SW_STATE_HOOK_RAW_TP;
	sw_print_attached(c->t);
	e = sw_snapshot_take(&s, c->snapshot, c->filter.netns, drain_step, c, err, sizeof(err));
	if (e) {
		sw_err("%s", err);
		/* as --learn and top say it: iterators refused (--snapshot iter) is 4 */
		ret = sw_exit_for_open_error(e);
		goto out;
	}
	if (c->filter.verbose)
		sw_print_snapshot_source(s.source, s.fallback);
	sw_warn_snapshot_netns(s.netns_failed, s.failed_netns, s.failed_err, s.failed_path);
	warn_host_netns(c);
	c->snap_has_ptr = sw_snapshot_has_skptr(&s);
	c->match_endpoints = c->key_by_ptr && !c->snap_has_ptr;
	c->snap_used = s.source;
	e = reconcile(c, &s);
	sw_snapshot_free(&s);
	if (e) {
		/* -EPIPE: a line could not be written (c->write_err, said below) */
		if (e != -EPIPE)
			sw_err("cannot build the baseline: %s", strerror(-e));
		ret = e == -EPIPE && write_end_ok(c->write_err) ? SW_EXIT_OK : SW_EXIT_FAILURE;
		goto out;
	}
	sw_startup_memory(false);
	/* an alert at start (--exit-on-alert with rules) ends the run: never ready */
	if (!c->alerted) {
		fprintf(stderr,
			"sockwatch: watching listeners (%zu in baseline, %zu allow and %zu deny "
			"rules)\n",
			c->nls, nallow, ndeny);
		fflush(stderr);
		e = write_ready_file(c->ready_file);
		if (e) {
			sw_err("cannot create the ready file %s: %s", c->ready_file,
			       sw_open_error(e));
			ret = SW_EXIT_FAILURE;
			sw_tracer_detach(c->t);
			goto out;
		}
	}
	while (!sw_stop && !c->alerted) {
		n = sw_tracer_poll(c->t, 100);
		if (n >= 0 && c->resync_due && !c->alerted &&
		    mono_ns() - c->last_resync_ns >= RESYNC_MIN_NS) {
			n = resync(c);
			if (n < 0 && n != -EPIPE) {
				sw_err("cannot count the listeners again: %s", strerror(-n));
				ret = SW_EXIT_FAILURE;
				break;
			}
		}
		if (n == -EPIPE)
			break;
		if (n < 0) {
			sw_err("reading events failed: %s", strerror(-n));
			ret = SW_EXIT_FAILURE;
			break;
		}
	}
	/* Stop recording, then deliver what was recorded. */
	sw_tracer_detach(c->t);
	if (ret == SW_EXIT_OK && !c->alerted && !c->write_err)
		sw_tracer_final_drain(c->t);
out:
	/* A reader that went away (`| head`) ends the run as for events; another
	 * write error is said (after an alert too: it may not have been printed). */
	if (c->write_err && !write_end_ok(c->write_err)) {
		sw_err("writing alerts failed: %s", strerror(c->write_err));
		ret = SW_EXIT_FAILURE;
	}
	if (c->alerted)
		ret = SW_EXIT_ALERT;
	if (c->filter.verbose)
		sw_print_summary(c->t);
	sw_tracer_close(c->t);
	free(nets);
	return ret;
}

/*
 * Every --rules file, merged in order (the first file's rules match first),
 * each checked whole before anything is attached. Returns -1 to go on, else
 * an exit code after one line ("FILE:LINE: message").
 */
static int load_rules(struct listen_ctx *c, const struct listen_args *a)
{
	char err[SW_RULES_LINE_MAX + 256];
	struct sw_rules *more;

	for (size_t i = 0; i < a->nrules; i++) {
		if (sw_rules_load(a->rules[i], c->rules ? &more : &c->rules, err, sizeof(err))) {
			sw_err("%s", err);
			return SW_EXIT_USAGE;
		}
		if (i && sw_rules_merge(c->rules, more)) {
			sw_rules_free(more);
			sw_err("out of memory");
			return SW_EXIT_FAILURE;
		}
	}
	return -1;
}

int cmd_listen(int argc, char **argv)
{
	struct listen_ctx c = { .fmt = SW_FMT_TEXT };
	struct listen_args a = {};
	int ret;

	ret = parse_listen_opts(argc, argv, &c, &a);
	if (ret < 0)
		ret = load_rules(&c, &a);
	free(a.rules);
	if (ret >= 0) {
		sw_rules_free(c.rules);
		return ret;
	}
	c.host_netns = host_netns_inode(&c.host_netns_err);
	c.procs = sw_proc_cache_new();
	if (!c.procs) {
		sw_err("out of memory");
		sw_rules_free(c.rules);
		return SW_EXIT_FAILURE;
	}
	ret = a.learn ? learn(&c, a.learn) : run(&c);
	free(c.queue);
	free(c.touched);
	free(c.ls);
	sw_proc_cache_free(c.procs);
	sw_rules_free(c.rules);
	return ret;
}
