// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Renders one event record as a text line, a JSON object or an ECS document, from one list of fields. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "format.h"
#include "printer.h"
#include "sockid.h"
#include "strbuf.h"
#include "users.h"

#define SW_ECS_VERSION "8.11.0"

/*
 * Text columns: width, and the header title. A column takes its width: its
 * text padded to width - 1, then one space (more if the text is longer), so
 * the width must exceed the longest usual value (TIME, HH:MM:SS.uuuuuu, is 15).
 */
enum col {
	COL_NONE = 0,
	COL_TIME,
	COL_EVENT,
	COL_PID,
	COL_COMM,
	COL_LOCAL,
	COL_REMOTE,
	COL_STATE,
};

static const struct {
	const char *title;
	unsigned int width;
} columns[] = {
	[COL_TIME] = { "TIME", 16 },   [COL_EVENT] = { "EVENT", 15 },
	[COL_PID] = { "PID", 8 },      [COL_COMM] = { "COMM", 17 },
	[COL_LOCAL] = { "LOCAL", 26 }, [COL_REMOTE] = { "REMOTE", 26 },
	[COL_STATE] = { "STATE", 12 },
};

/*
 * How each kind is classified in ECS: event.kind, event.category,
 * event.type (JSON arrays), event.outcome and network.direction; NULL
 * members are left out.
 */
static const struct {
	const char *kind;
	const char *category;
	const char *type;
	const char *outcome;
	const char *direction;
} ecs_kinds[SW_EV_KIND_MAX] = {
	[SW_EV_LISTEN] = { "event", "[\"network\"]", "[\"start\"]", "success", NULL },
	[SW_EV_UNLISTEN] = { "event", "[\"network\"]", "[\"end\"]", "success", NULL },
	[SW_EV_CONNECT] = { "event", "[\"network\"]", "[\"connection\",\"start\"]", "success",
			    "egress" },
	[SW_EV_CONNECT_FAILED] = { "event", "[\"network\"]", "[\"connection\",\"start\"]",
				   "failure", "egress" },
	[SW_EV_ACCEPT] = { "event", "[\"network\"]", "[\"connection\",\"start\"]", "success",
			   "ingress" },
	[SW_EV_CLOSE] = { "event", "[\"network\"]", "[\"connection\",\"end\"]", NULL, "unknown" },
	[SW_EV_STATE] = { "event", "[\"network\"]", "[\"connection\",\"info\"]", NULL, "unknown" },
	[SW_EV_SNAPSHOT] = { "state", "[\"network\"]", "[\"connection\",\"info\"]", NULL,
			     "unknown" },
	[SW_EV_LOST] = { "pipeline_error", NULL, NULL, NULL, NULL },
};

/* A number that ECS types as a keyword (user.id, error.code): a JSON string there. */
static __always_inline void pr_id(struct printer *p, const char *key, const char *ecs,
				  unsigned long long v)
{
	char d[SW_U64_DIGITS];

	pr_text(p, key, ecs, d, sw_put_u64(d, v) - d, p->fmt == SW_FMT_ECS);
}

/* A JSON literal (an array of words) for ECS-only fields. */
static __always_inline void pr_raw(struct printer *p, const char *key, const char *ecs,
				   const char *json)
{
	if (is_json(p))
		pr_text(p, key, ecs, json, __builtin_strlen(json), false);
}

/* A close the socket-map sweep inferred: a JSON true, "inferred" in text. */
static void pr_inferred(struct printer *p)
{
	if (is_json(p))
		pr_raw(p, "inferred", "sockwatch.inferred", "true");
	else
		pr_word(p, "inferred", "sockwatch.inferred", "yes");
}

/* Natively a number (family 4 or 6), in ECS a word (network.type "ipv4"). */
static __always_inline void pr_num_word(struct printer *p, const char *key, const char *ecs,
					unsigned long long v, const char *word)
{
	if (p->fmt == SW_FMT_ECS)
		pr_word(p, key, ecs, word);
	else
		pr_uint(p, key, ecs, v);
}

/* Natively microseconds (duration_us), in ECS nanoseconds (event.duration). */
static __always_inline void pr_duration(struct printer *p, const char *key, const char *ecs,
					unsigned long long ns)
{
	pr_uint(p, key, ecs, p->fmt == SW_FMT_ECS ? ns : ns / 1000);
}

/* Ends a text column that started at from: padded to its width - 1, then one space. */
static void column_end(struct sw_buf *b, enum col c, size_t from)
{
	sw_buf_pad(b, from, columns[c].width - 1);
	sw_buf_putc(b, ' ');
}

/*
 * A text column: padded text in text mode, nothing in JSON (fields print
 * themselves). Untrusted text (a process name) is escaped, and quoted where
 * it holds a space, '=' or '"' or is empty, so that it stays one column and
 * cannot pass for the next ones or a " key=value" detail.
 */
static void column(struct printer *p, enum col c, const char *s, bool untrusted)
{
	size_t from = p->b->len;

	if (is_json(p))
		return;
	if (untrusted)
		sw_buf_term_value(p->b, s, strlen(s));
	else
		sw_buf_puts(p->b, s);
	column_end(p->b, c, from);
}

/*
 * The second part of a timestamp, made with strftime() once per second: the
 * records of one second share it (a cache per thread and kind of time).
 */
struct second_text {
	time_t sec;
	bool valid;
	size_t len;
	char text[32];
};

static const struct second_text *second_text(time_t sec, bool utc)
{
	static _Thread_local struct second_text cache[2];
	struct second_text *c = &cache[utc];
	struct tm tm;

	if (c->valid && c->sec == sec)
		return c;
	if (utc)
		gmtime_r(&sec, &tm);
	else
		localtime_r(&sec, &tm);
	c->len = strftime(c->text, sizeof(c->text), utc ? "%Y-%m-%dT%H:%M:%S" : "%H:%M:%S", &tm);
	c->sec = sec;
	c->valid = true;
	return c;
}

/*
 * RFC 3339 UTC with nanoseconds for JSON, local time with microseconds for
 * text, into ts (64 bytes: the second's text is under 32); returns its length.
 */
static size_t format_time(const struct sw_record *r, bool utc, char *ts)
{
	const struct second_text *st = second_text(r->wall.tv_sec, utc);
	unsigned long long ns = r->wall.tv_nsec, us = r->wall.tv_nsec / 1000;
	char *d;

	/* all of the cached text, a fixed-size copy: what follows overwrites the rest */
	memcpy(ts, st->text, sizeof(st->text));
	/*
	 * The fraction with its leading zeros: the digits of 10^9 + ns (10^6 + us)
	 * after their leading 1, which the dot then replaces.
	 */
	if (utc)
		d = sw_put_u64(ts + st->len, 1000000000 + ns % 1000000000);
	else
		d = sw_put_u64(ts + st->len, 1000000 + us % 1000000);
	ts[st->len] = '.';
	if (utc)
		*d++ = 'Z';
	*d = '\0';
	return d - ts;
}

/* The event's name, and in ECS how it is classified. */
static void print_kind(struct printer *p, unsigned int kind)
{
	const char *name = sw_kind_name(kind);

	if (is_json(p))
		pr_word(p, "event", "event.action", name);
	else
		column(p, COL_EVENT, name, false);
	if (p->fmt != SW_FMT_ECS || kind >= SW_EV_KIND_MAX || !ecs_kinds[kind].kind)
		return;
	pr_word(p, NULL, "event.kind", ecs_kinds[kind].kind);
	if (ecs_kinds[kind].category)
		pr_raw(p, NULL, "event.category", ecs_kinds[kind].category);
	if (ecs_kinds[kind].type)
		pr_raw(p, NULL, "event.type", ecs_kinds[kind].type);
	if (ecs_kinds[kind].outcome)
		pr_word(p, NULL, "event.outcome", ecs_kinds[kind].outcome);
	if (ecs_kinds[kind].direction)
		pr_word(p, NULL, "network.direction", ecs_kinds[kind].direction);
}

/*
 * ECS source/destination: the side that opened the connection is the
 * source. For accept the remote peer is the source and the local socket the
 * destination; a listener (listen, unlisten, a listening socket in a
 * snapshot) is where connections go to: destination. Close,
 * state and snapshot do not know who connected: local is the source there.
 */
/*
 * A record of a listening socket: listen, unlisten, a listener's snapshot,
 * and the state records of its transitions into and out of LISTEN (a
 * listener's child's LISTEN->SYN_RECV has a peer). It has no remote end
 * (the kernel's is 0.0.0.0:0, or [::]:0): none is written, and in ECS its
 * local end is the destination, where connections go.
 */
static bool listener_record(const struct sw_event *e)
{
	return e->kind == SW_EV_LISTEN || e->kind == SW_EV_UNLISTEN ||
	       (e->kind == SW_EV_SNAPSHOT && e->newstate == SW_TCP_LISTEN) ||
	       (e->kind == SW_EV_STATE &&
		(e->newstate == SW_TCP_LISTEN ||
		 (e->oldstate == SW_TCP_LISTEN && e->newstate == SW_TCP_CLOSE)));
}

static bool local_is_destination(const struct sw_event *e)
{
	return e->kind == SW_EV_ACCEPT || listener_record(e);
}

/*
 * An address as a JSON string member; empty for an address family we do not
 * know. Inlined: its native names are literals whose lengths are then known.
 */
static __always_inline void pr_addr(struct printer *p, const char *key, const char *ecs,
				    unsigned int family, const __u8 *addr)
{
	char a[SW_ADDR_STRLEN];
	int n = sw_addr_format(family, addr, a, sizeof(a));

	pr_text(p, key, ecs, a, n < 0 ? 0 : (size_t)n, true);
}

static void print_endpoints(struct printer *p, const struct sw_event *e)
{
	static const char *const ip[2] = { "source.ip", "destination.ip" };
	static const char *const port[2] = { "source.port", "destination.port" };
	char l[SW_ADDR_STRLEN], r[SW_ADDR_STRLEN];
	bool remote = !listener_record(e);
	bool v6 = e->family == SW_AF_INET6;
	int ls = local_is_destination(e), rs = !ls;

	if (!is_json(p)) {
		/* "?" for an address that cannot be written (an unknown family) */
		sw_addrport_format(e->family, e->laddr, e->lport, l, sizeof(l));
		if (!remote)
			snprintf(r, sizeof(r), "*");
		else
			sw_addrport_format(e->family, e->raddr, e->rport, r, sizeof(r));
		column(p, COL_LOCAL, l, false);
		column(p, COL_REMOTE, r, false);
		column(p, COL_STATE, sw_state_name(e->newstate), false);
		return;
	}
	pr_word(p, "proto", "network.transport", "tcp");
	pr_num_word(p, "family", "network.type", v6 ? 6 : 4, v6 ? "ipv6" : "ipv4");
	pr_addr(p, "laddr", ip[ls], e->family, e->laddr);
	pr_uint(p, "lport", port[ls], e->lport);
	if (remote) {
		pr_addr(p, "raddr", ip[rs], e->family, e->raddr);
		pr_uint(p, "rport", port[rs], e->rport);
	}
	pr_word(p, "state", "sockwatch.state", sw_state_name(e->newstate));
}

static void print_owner(struct printer *p, const struct sw_event *e)
{
	char pid[SW_U64_DIGITS + 1], user[64];
	size_t n;

	if (!sw_owner_known(e)) {
		column(p, COL_PID, "-", false);
		column(p, COL_COMM, "-", false);
		return;
	}
	if (!is_json(p)) {
		*sw_put_u64(pid, e->pid) = '\0';
		column(p, COL_PID, pid, false);
	}
	column(p, COL_COMM, e->comm, true);
	if (!is_json(p))
		return;
	pr_uint(p, "pid", "process.pid", e->pid);
	pr_uint(p, "tid", "process.thread.id", e->tid);
	pr_bytes(p, "comm", "process.name", e->comm, strnlen(e->comm, SW_COMM_LEN));
	pr_id(p, "uid", "user.id", e->uid);
	n = sw_user_name(e->uid, user, sizeof(user));
	pr_bytes(p, "user", "user.name", user, n);
	pr_uint(p, "cgroup_id", "sockwatch.cgroup_id", e->cgroup_id);
}

/* Fields that only some kinds carry: " key=value" details in text mode. */
static void print_details(struct printer *p, const struct sw_record *r)
{
	const struct sw_event *e = &r->ev;

	switch (e->kind) {
	case SW_EV_CONNECT:
		/* Its start not seen, the latency is unknown: left out, not 0. */
		if (!(e->flags & SW_F_NO_LATENCY))
			pr_uint(p, "latency_us", "sockwatch.latency_us", e->latency_ns / 1000);
		pr_uint(p, "srtt_us", "sockwatch.srtt_us", e->srtt_us);
		break;
	case SW_EV_ACCEPT:
		/* Inside the kernel, told from the socket: when is not known. */
		if (e->flags & SW_F_INFERRED)
			pr_inferred(p);
		else if (!(e->flags & SW_F_NO_LATENCY))
			pr_uint(p, "latency_us", "sockwatch.latency_us", e->latency_ns / 1000);
		break;
	case SW_EV_CONNECT_FAILED:
		pr_word(p, "reason", "error.message", sw_error_reason(e->error));
		pr_id(p, "errno", "error.code", e->error);
		if (e->birth_ns)
			pr_duration(p, "duration_us", "event.duration", e->ts_ns - e->birth_ns);
		break;
	case SW_EV_CLOSE:
		if (e->flags & SW_F_INFERRED) {
			/* Noticed by the sweep, seconds late: no counts, RTT or duration. */
			pr_inferred(p);
			pr_word(p, "closer", "sockwatch.closer", sw_closer_name(e->closer));
			break;
		}
		if (e->birth_ns)
			pr_duration(p, "duration_us", "event.duration", e->ts_ns - e->birth_ns);
		pr_uint(p, "bytes_sent", "sockwatch.bytes_sent", e->bytes_sent);
		pr_uint(p, "bytes_received", "sockwatch.bytes_received", e->bytes_received);
		pr_uint(p, "bytes_retrans", "sockwatch.bytes_retrans", e->bytes_retrans);
		pr_uint(p, "srtt_us", "sockwatch.srtt_us", e->srtt_us);
		pr_word(p, "closer", "sockwatch.closer", sw_closer_name(e->closer));
		break;
	case SW_EV_STATE:
		pr_word(p, "oldstate", "sockwatch.oldstate", sw_state_name(e->oldstate));
		break;
	case SW_EV_UNLISTEN:
		if (e->flags & SW_F_INFERRED)
			pr_inferred(p);
		break;
	default:
		break;
	}
	/* no entry in the socket map: why the owner (and birth) may be missing */
	if (e->flags & SW_F_NO_ENTRY)
		pr_word(p, "entry", "sockwatch.entry", "none");
	if (is_json(p)) {
		pr_uint(p, "netns", "sockwatch.netns", e->netns);
		pr_id(p, "cookie", "sockwatch.cookie", sw_event_sockid(e));
	}
}

static void print_lost(struct printer *p, const struct sw_record *r)
{
	const char *where = r->lost_where ? r->lost_where : "ringbuf";

	if (is_json(p)) {
		pr_uint(p, "lost", "sockwatch.lost", r->lost);
		pr_bytes(p, "where", "sockwatch.lost_where", where, strlen(where));
		return;
	}
	if (sw_lost_is_evictions(r)) {
		sw_buf_printf(p->b,
			      "%llu socket-map entries evicted (map full): later events of those "
			      "sockets have no owner (entry=none)",
			      (unsigned long long)r->lost);
		return;
	}
	sw_buf_printf(p->b, "%llu events lost in ", (unsigned long long)r->lost);
	sw_buf_term_str(p->b, where, strlen(where));
}

int sw_format_record(const struct sw_record *r, enum sw_fmt fmt, char *buf, size_t size)
{
	struct sw_buf b;
	struct printer p = { .b = &b, .fmt = fmt, .sep = '{' };
	char ts[64];
	size_t n;

	sw_buf_init(&b, buf, size);
	n = format_time(r, is_json(&p), ts);
	if (is_json(&p)) {
		/* the first member opens the object */
		pr_word(&p, NULL, "ecs.version", SW_ECS_VERSION);
		pr_uint(&p, "v", "sockwatch.schema_version", SW_SCHEMA_VERSION);
		pr_uint(&p, "seq", "event.sequence", r->seq);
		pr_text(&p, "ts", "@timestamp", ts, n, true);
	} else {
		column(&p, COL_TIME, ts, false);
	}
	print_kind(&p, r->ev.kind);
	if (r->ev.kind == SW_EV_LOST) {
		print_lost(&p, r);
	} else {
		if (is_json(&p))
			print_endpoints(&p, &r->ev);
		print_owner(&p, &r->ev);
		if (!is_json(&p))
			print_endpoints(&p, &r->ev);
		print_details(&p, r);
	}
	if (is_json(&p))
		sw_buf_putc(&b, '}');
	while (!is_json(&p) && b.len && b.p[b.len - 1] == ' ')
		b.p[--b.len] = '\0';
	return b.overflow ? -ENOSPC : (int)b.len;
}

/*
 * The titles laid out as column() lays out values, so that each starts where
 * its column's values start; details come after STATE's column as they do in
 * a record: each " key=value".
 */
int sw_format_header(enum sw_fmt fmt, char *buf, size_t size)
{
	static const enum col order[] = { COL_TIME,  COL_EVENT,	 COL_PID,  COL_COMM,
					  COL_LOCAL, COL_REMOTE, COL_STATE };
	struct sw_buf b;
	size_t from;

	sw_buf_init(&b, buf, size);
	if (fmt != SW_FMT_TEXT)
		return 0;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		from = b.len;
		sw_buf_puts(&b, columns[order[i]].title);
		column_end(&b, order[i], from);
	}
	sw_buf_puts(&b, " DETAILS");
	return b.overflow ? -ENOSPC : (int)b.len;
}

int sw_format_parse(const char *s, enum sw_fmt *fmt)
{
	if (!strcmp(s, "text"))
		*fmt = SW_FMT_TEXT;
	else if (!strcmp(s, "json"))
		*fmt = SW_FMT_JSON;
	else if (!strcmp(s, "ecs"))
		*fmt = SW_FMT_ECS;
	else
		return -EINVAL;
	return 0;
}

int sw_format_line(const struct sw_record *r, void *ctx, char *buf, size_t size)
{
	const enum sw_fmt *fmt = ctx;

	return sw_format_record(r, *fmt, buf, size);
}
