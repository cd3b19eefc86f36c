// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Renders one event record as a text line or a JSON object, from one list of fields. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "format.h"
#include "printer.h"
#include "strbuf.h"
#include "users.h"

/* Text columns: width, and the header title. 0-width columns are details. */
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
	[COL_TIME] = { "TIME", 15 },   [COL_EVENT] = { "EVENT", 15 },
	[COL_PID] = { "PID", 8 },      [COL_COMM] = { "COMM", 17 },
	[COL_LOCAL] = { "LOCAL", 26 }, [COL_REMOTE] = { "REMOTE", 26 },
	[COL_STATE] = { "STATE", 12 },
};

/* A text column: padded text in text mode, nothing in JSON (fields print themselves). */
static void column(struct printer *p, enum col c, const char *s, bool untrusted)
{
	size_t from = p->b->len;

	if (p->fmt != SW_FMT_TEXT)
		return;
	if (untrusted)
		sw_buf_term_str(p->b, s, strlen(s));
	else
		sw_buf_puts(p->b, s);
	sw_buf_pad(p->b, from, columns[c].width - 1);
	sw_buf_putc(p->b, ' ');
}

static void format_time(const struct sw_record *r, enum sw_fmt fmt, char *out, size_t size)
{
	struct tm tm;
	time_t sec = r->wall.tv_sec;
	char t[32];

	if (fmt == SW_FMT_JSON) {
		gmtime_r(&sec, &tm);
		strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(out, size, "%s.%09ldZ", t, r->wall.tv_nsec);
	} else {
		localtime_r(&sec, &tm);
		strftime(t, sizeof(t), "%H:%M:%S", &tm);
		snprintf(out, size, "%s.%06ld", t, r->wall.tv_nsec / 1000);
	}
}

static bool owner_known(const struct sw_event *e)
{
	return (e->flags & SW_F_OWNER_MASK) != SW_OWNER_NONE;
}

static void print_endpoints(struct printer *p, const struct sw_event *e)
{
	char a[SW_ADDR_STRLEN], l[SW_ADDR_STRLEN], r[SW_ADDR_STRLEN];
	bool remote = e->kind != SW_EV_LISTEN && e->kind != SW_EV_UNLISTEN;

	sw_addrport_format(e->family, e->laddr, e->lport, l, sizeof(l));
	if (remote)
		sw_addrport_format(e->family, e->raddr, e->rport, r, sizeof(r));
	else
		snprintf(r, sizeof(r), "*");
	column(p, COL_LOCAL, l, false);
	column(p, COL_REMOTE, r, false);
	column(p, COL_STATE, sw_state_name(e->newstate), false);
	if (p->fmt != SW_FMT_JSON)
		return;
	pr_word(p, "proto", "tcp");
	pr_uint(p, "family", e->family == SW_AF_INET6 ? 6 : 4);
	sw_addr_format(e->family, e->laddr, a, sizeof(a));
	pr_word(p, "laddr", a);
	pr_uint(p, "lport", e->lport);
	if (remote) {
		sw_addr_format(e->family, e->raddr, a, sizeof(a));
		pr_word(p, "raddr", a);
		pr_uint(p, "rport", e->rport);
	}
	pr_word(p, "state", sw_state_name(e->newstate));
}

static void print_owner(struct printer *p, const struct sw_event *e)
{
	char pid[16], user[64];

	if (!owner_known(e)) {
		column(p, COL_PID, "-", false);
		column(p, COL_COMM, "-", false);
		return;
	}
	snprintf(pid, sizeof(pid), "%u", e->pid);
	column(p, COL_PID, pid, false);
	column(p, COL_COMM, e->comm, true);
	if (p->fmt != SW_FMT_JSON)
		return;
	pr_uint(p, "pid", e->pid);
	pr_uint(p, "tid", e->tid);
	pr_bytes(p, "comm", e->comm, strnlen(e->comm, SW_COMM_LEN));
	pr_uint(p, "uid", e->uid);
	sw_user_name(e->uid, user, sizeof(user));
	pr_bytes(p, "user", user, strlen(user));
	pr_uint(p, "cgroup_id", e->cgroup_id);
}

/* Fields that only some kinds carry: " key=value" details in text mode. */
static void print_details(struct printer *p, const struct sw_record *r)
{
	const struct sw_event *e = &r->ev;

	switch (e->kind) {
	case SW_EV_CONNECT:
		pr_uint(p, "latency_us", e->latency_ns / 1000);
		pr_uint(p, "srtt_us", e->srtt_us);
		break;
	case SW_EV_ACCEPT:
		pr_uint(p, "latency_us", e->latency_ns / 1000);
		break;
	case SW_EV_CONNECT_FAILED:
		pr_word(p, "reason", sw_error_reason(e->error));
		pr_uint(p, "errno", e->error);
		if (e->birth_ns)
			pr_uint(p, "duration_us", (e->ts_ns - e->birth_ns) / 1000);
		break;
	case SW_EV_CLOSE:
		if (e->birth_ns)
			pr_uint(p, "duration_us", (e->ts_ns - e->birth_ns) / 1000);
		pr_uint(p, "bytes_sent", e->bytes_sent);
		pr_uint(p, "bytes_received", e->bytes_received);
		pr_uint(p, "bytes_retrans", e->bytes_retrans);
		pr_uint(p, "srtt_us", e->srtt_us);
		pr_word(p, "closer", sw_closer_name(e->closer));
		break;
	case SW_EV_STATE:
		pr_word(p, "oldstate", sw_state_name(e->oldstate));
		break;
	default:
		break;
	}
	if (p->fmt == SW_FMT_JSON) {
		pr_uint(p, "netns", e->netns);
		pr_uint(p, "cookie", e->cookie);
	}
}

int sw_format_record(const struct sw_record *r, enum sw_fmt fmt, char *buf, size_t size)
{
	struct sw_buf b;
	struct printer p = { .b = &b, .fmt = fmt, .first = true };
	char ts[64];

	sw_buf_init(&b, buf, size);
	format_time(r, fmt, ts, sizeof(ts));
	if (fmt == SW_FMT_JSON) {
		sw_buf_putc(&b, '{');
		pr_uint(&p, "v", SW_SCHEMA_VERSION);
		pr_uint(&p, "seq", r->seq);
		pr_word(&p, "ts", ts);
		pr_word(&p, "event", sw_kind_name(r->ev.kind));
	} else {
		column(&p, COL_TIME, ts, false);
		column(&p, COL_EVENT, sw_kind_name(r->ev.kind), false);
	}
	if (r->ev.kind == SW_EV_LOST) {
		if (fmt == SW_FMT_TEXT)
			sw_buf_printf(&b, "%llu events lost in %s", (unsigned long long)r->lost,
				      r->lost_where ? r->lost_where : "ringbuf");
		else {
			pr_uint(&p, "lost", r->lost);
			pr_word(&p, "where", r->lost_where ? r->lost_where : "ringbuf");
		}
	} else {
		if (fmt == SW_FMT_JSON)
			print_endpoints(&p, &r->ev);
		print_owner(&p, &r->ev);
		if (fmt == SW_FMT_TEXT)
			print_endpoints(&p, &r->ev);
		print_details(&p, r);
	}
	if (fmt == SW_FMT_JSON)
		sw_buf_putc(&b, '}');
	while (fmt == SW_FMT_TEXT && b.len && b.p[b.len - 1] == ' ')
		b.p[--b.len] = '\0';
	return b.overflow ? -ENOSPC : (int)b.len;
}

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
		if (i + 1 < sizeof(order) / sizeof(order[0]))
			sw_buf_pad(&b, from, columns[order[i]].width);
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
	else
		return -EINVAL;
	return 0;
}
