// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Renders one `sockwatch listen` alert (new listener, baseline, unlisten, flagged remote) as text or JSON. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "event.h"
#include "listen_fmt.h"
#include "printer.h"
#include "sockwatch.h"

const char *sw_alert_level_name(enum sw_alert_level l)
{
	return l == SW_LEVEL_ALERT ? "alert" : "info";
}

const char *sw_alert_kind_name(enum sw_alert_kind k)
{
	switch (k) {
	case SW_ALERT_BASELINE:
		return "baseline";
	case SW_ALERT_LISTEN:
		return "listen";
	case SW_ALERT_UNLISTEN:
		return "unlisten";
	case SW_ALERT_REMOTE:
		return "remote";
	case SW_ALERT_LOST:
		return "lost";
	}
	return "unknown";
}

/* A leading text column (padded, no key) or a JSON member. */
static void lead(struct printer *p, const char *key, const char *s, unsigned int width)
{
	size_t from;

	if (p->fmt == SW_FMT_JSON) {
		pr_word(p, key, key, s);
		return;
	}
	if (p->b->len)
		sw_buf_putc(p->b, ' ');
	from = p->b->len;
	sw_buf_puts(p->b, s);
	sw_buf_pad(p->b, from, width);
}

/* A value that may be unknown: "-" in text, null in JSON. */
static void pr_unknown(struct printer *p, const char *key)
{
	member(p, key, key);
	sw_buf_puts(p->b, p->fmt == SW_FMT_JSON ? "null" : "-");
}

/*
 * Untrusted text that may be missing (NULL). In text, quoted where it holds
 * a space, '=' or '"' (or is empty, or "-"): a process cannot forge another
 * field, nor pass for an unknown value.
 */
static void pr_str(struct printer *p, const char *key, const char *s)
{
	if (!s) {
		pr_unknown(p, key);
	} else if (p->fmt == SW_FMT_JSON) {
		pr_bytes(p, key, key, s, strlen(s));
	} else {
		member(p, key, key);
		sw_buf_term_value(p->b, s, strlen(s));
	}
}

static void pr_bool(struct printer *p, const char *key, bool v)
{
	member(p, key, key);
	if (p->fmt == SW_FMT_JSON)
		sw_buf_puts(p->b, v ? "true" : "false");
	else
		sw_buf_puts(p->b, v ? "yes" : "no");
}

static void pr_opt_uint(struct printer *p, const char *key, unsigned long long v, bool known)
{
	if (known)
		pr_uint(p, key, key, v);
	else
		pr_unknown(p, key);
}

static void print_time(struct printer *p, const struct timespec *wall)
{
	time_t sec = wall->tv_sec;
	char t[32], ts[64];
	struct tm tm;

	gmtime_r(&sec, &tm);
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
	if (p->fmt == SW_FMT_JSON)
		snprintf(ts, sizeof(ts), "%s.%09ldZ", t, wall->tv_nsec);
	else
		snprintf(ts, sizeof(ts), "%s.%06ldZ", t, wall->tv_nsec / 1000);
	lead(p, "ts", ts, 0);
}

static void print_endpoints(struct printer *p, const struct sw_alert *a)
{
	char l[SW_ADDR_STRLEN], r[SW_ADDR_STRLEN], both[2 * SW_ADDR_STRLEN + 8];
	bool remote = a->kind == SW_ALERT_REMOTE;

	if (p->fmt == SW_FMT_TEXT) {
		/* "?" for an address that cannot be written (an unknown family) */
		sw_addrport_format(a->family, a->laddr, a->lport, l, sizeof(l));
		if (remote) {
			sw_addrport_format(a->family, a->raddr, a->rport, r, sizeof(r));
			snprintf(both, sizeof(both), "%s -> %s", l, r);
			lead(p, "endpoints", both, 0);
		} else {
			lead(p, "local", l, 0);
		}
	} else {
		pr_uint(p, "family", "family", a->family == SW_AF_INET6 ? 6 : 4);
		sw_addr_format(a->family, a->laddr, l, sizeof(l)); /* empty if it cannot be */
		pr_word(p, "laddr", "laddr", l);
		pr_uint(p, "lport", "lport", a->lport);
		if (remote) {
			sw_addr_format(a->family, a->raddr, r, sizeof(r));
			pr_word(p, "raddr", "raddr", r);
			pr_uint(p, "rport", "rport", a->rport);
		}
	}
	if (remote)
		pr_word(p, "direction", "direction", a->direction ? a->direction : "connect");
	else
		pr_word(p, "exposure", "exposure",
			sw_exposure_name(sw_addr_exposure(a->family, a->laddr)));
	if (p->fmt == SW_FMT_TEXT)
		pr_uint(p, "family", "family", a->family == SW_AF_INET6 ? 6 : 4);
}

static void print_owner(struct printer *p, const struct sw_alert *a)
{
	bool known = a->pid != 0;

	pr_opt_uint(p, "pid", a->pid, known);
	pr_opt_uint(p, "ppid", a->ppid, known && a->ppid);
	/* a listener no process holds still has its socket's uid (docs/listen.md) */
	pr_opt_uint(p, "uid", a->uid, a->uid_known);
	pr_str(p, "user", a->uid_known ? a->user : NULL);
	pr_str(p, "comm", a->comm);
	pr_str(p, "exe", a->exe);
	pr_str(p, "exe_check", a->exe_check);
	pr_str(p, "cgroup", a->cgroup);
	pr_str(p, "container", a->container);
}

int sw_listen_format(const struct sw_alert *a, enum sw_fmt fmt, char *buf, size_t size)
{
	struct sw_buf b;
	struct printer p = { .b = &b, .fmt = fmt, .sep = '{' };

	if (fmt != SW_FMT_TEXT && fmt != SW_FMT_JSON)
		return -EINVAL; /* no ECS mapping for alerts: the printer would mix the two */
	sw_buf_init(&b, buf, size);
	if (fmt == SW_FMT_JSON)
		pr_uint(&p, "v", "v", SW_SCHEMA_VERSION); /* opens the object */
	print_time(&p, &a->wall);
	lead(&p, "level", sw_alert_level_name(a->level), 5);
	lead(&p, "event", sw_alert_kind_name(a->kind), 8);
	if (a->kind == SW_ALERT_LOST) {
		/* as events' lost records: how many, and where (docs/schema.md) */
		pr_uint(&p, "lost", "lost", a->lost);
		pr_str(&p, "where", a->where ? a->where : "ringbuf");
		goto end;
	}
	print_endpoints(&p, a);
	pr_uint(&p, "netns", "netns", a->netns);
	pr_bool(&p, "host_netns", a->host_netns);
	print_owner(&p, a);
	if (a->rule_file) /* several rules files: a line number alone is not enough */
		pr_str(&p, "rule_file", a->rule_file);
	pr_opt_uint(&p, "rule_line", a->rule_line, a->rule_line > 0);
	if (a->resync)
		pr_word(&p, "source", "source", "resync");
	/* Last, also in text mode, where it is quoted when it holds spaces. */
	pr_str(&p, "cmdline", a->cmdline);
end:
	if (fmt == SW_FMT_JSON)
		sw_buf_putc(&b, '}');
	return b.overflow ? -ENOSPC : (int)b.len;
}
