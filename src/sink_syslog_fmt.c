// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Syslog message building: RFC 5424 with structured data, local syslog(3) form, RFC 6587. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "sink_int.h"

#define SEV_WARNING 4
#define SEV_NOTICE 5
#define SEV_INFO 6

/* Appends to a fixed buffer; once something does not fit, everything after fails. */
struct sbuf {
	char *buf;
	size_t size, len;
	bool full;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->full || b->len + n >= b->size) {
		b->full = true;
		return;
	}
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->len, b->size - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->size - b->len)
		b->full = true;
	else
		b->len += n;
}

static int sb_result(struct sbuf *b)
{
	return b->full ? -ENOSPC : (int)b->len;
}

int sw_syslog_pri(const struct sw_record *r)
{
	int sev;

	switch (r->ev.kind) {
	case SW_EV_LISTEN:
	case SW_EV_CONNECT_FAILED:
		sev = SEV_NOTICE;
		break;
	case SW_EV_LOST:
		sev = SEV_WARNING;
		break;
	default:
		sev = SEV_INFO;
	}
	return SW_SYSLOG_FACILITY * 8 + sev;
}

/* Appends in[0, inlen) escaped as an RFC 5424 PARAM-VALUE. */
static void sd_escape(struct sbuf *b, const char *in, size_t inlen)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c;
	char e[4];
	size_t i;

	for (i = 0; i < inlen && !b->full; i++) {
		c = in[i];
		if (c == '"' || c == '\\' || c == ']') {
			e[0] = '\\';
			e[1] = c;
			sb_add(b, e, 2);
		} else if (c < 0x20 || c >= 0x7f) {
			e[0] = '\\';
			e[1] = 'x';
			e[2] = hex[c >> 4];
			e[3] = hex[c & 15];
			sb_add(b, e, 4);
		} else {
			sb_add(b, (char *)&c, 1);
		}
	}
}

int sw_syslog_sd_escape(const char *in, size_t inlen, char *out, size_t size)
{
	struct sbuf b = { out, size, 0, size == 0 };

	if (size)
		out[0] = '\0';
	sd_escape(&b, in, inlen);
	return sb_result(&b);
}

/* Escaped straight into the message: a value has no length limit of its own (a long where=). */
static void sd_param(struct sbuf *b, const char *name, const char *value, size_t len)
{
	sb_printf(b, " %s=\"", name);
	sd_escape(b, value, len);
	sb_add(b, "\"", 1);
}

static void sd_param_u(struct sbuf *b, const char *name, unsigned long long v)
{
	sb_printf(b, " %s=\"%llu\"", name, v);
}

static void sd_addr(struct sbuf *b, const char *name, const struct sw_record *r, const __u8 *addr)
{
	char a[SW_ADDR_STRLEN];
	int n = sw_addr_format(r->ev.family, addr, a, sizeof(a));

	if (n >= 0)
		sd_param(b, name, a, n);
}

static void sd_element(struct sbuf *b, const struct sw_record *r)
{
	const struct sw_event *e = &r->ev;
	const char *kind = sw_kind_name(e->kind);

	sb_printf(b, "[%s", SW_SYSLOG_SD_ID);
	sd_param_u(b, "seq", r->seq);
	sd_param(b, "kind", kind, strlen(kind));
	if (e->kind == SW_EV_LOST) {
		sd_param_u(b, "lost", r->lost);
		if (r->lost_where)
			sd_param(b, "where", r->lost_where, strlen(r->lost_where));
		sb_add(b, "]", 1);
		return;
	}
	sd_param(b, "proto", "tcp", 3);
	if (e->family == SW_AF_INET || e->family == SW_AF_INET6) {
		sd_addr(b, "laddr", r, e->laddr);
		sd_param_u(b, "lport", e->lport);
		/* a listener has no remote end (port 0 is no peer's) */
		if (e->rport) {
			sd_addr(b, "raddr", r, e->raddr);
			sd_param_u(b, "rport", e->rport);
		}
	}
	/* as in the JSON: with a known owner, a pid 0 and an empty comm are said too */
	if (sw_owner_known(e)) {
		sd_param_u(b, "pid", e->pid);
		sd_param(b, "comm", e->comm, strnlen(e->comm, sizeof(e->comm)));
	}
	if (e->flags & SW_F_NO_ENTRY)
		sd_param(b, "entry", "none", 4);
	sb_add(b, "]", 1);
}

int sw_syslog_format_5424(const struct sw_syslog_id *id, const struct sw_record *r, const char *msg,
			  size_t msglen, char *buf, size_t size)
{
	struct sbuf b = { buf, size, 0, size == 0 };
	struct tm tm;

	sb_printf(&b, "<%d>1 ", sw_syslog_pri(r));
	if ((r->wall.tv_sec || r->wall.tv_nsec) && gmtime_r(&r->wall.tv_sec, &tm))
		sb_printf(&b, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
			  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			  r->wall.tv_nsec / 1000);
	else
		sb_add(&b, "-", 1);
	sb_printf(&b, " %s %s %d %s ", id->hostname, id->app_name, id->procid,
		  sw_kind_name(r->ev.kind));
	sd_element(&b, r);
	sb_add(&b, " ", 1);
	sb_add(&b, msg, msglen);
	return sb_result(&b);
}

int sw_syslog_format_local(const struct sw_syslog_id *id, const struct sw_record *r,
			   const char *msg, size_t msglen, char *buf, size_t size)
{
	static const char *const mon[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct sbuf b = { buf, size, 0, size == 0 };
	struct timespec ts = r->wall;
	struct tm tm;

	if (!ts.tv_sec && !ts.tv_nsec)
		clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	sb_printf(&b, "<%d>%s %2d %02d:%02d:%02d %s[%d]: ", sw_syslog_pri(r), mon[tm.tm_mon],
		  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, id->app_name, id->procid);
	sb_add(&b, msg, msglen);
	return sb_result(&b);
}

int sw_syslog_octet_prefix(size_t len, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%zu ", len);

	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}
