// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Renders one connection-table row as netstat-like text columns or a JSON object. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "conn_format.h"
#include "event.h"
#include "services.h"
#include "sockid.h"
#include "strbuf.h"
#include "users.h"

enum col {
	COL_PROTO = 0,
	COL_STATE,
	COL_LOCAL,
	COL_REMOTE,
	COL_PROG,
	COL_USER,
	COL_AGE,
	COL_BYTES,
	COL_NETNS,
	COL_MAX,
};

static const struct {
	const char *title;
	unsigned int width;
	int sort; /* enum sw_sort_col this column sorts by */
	bool cut; /* the live view cuts a longer value to the column (sw_buf_term_fit()) */
} columns[COL_MAX] = {
	[COL_PROTO] = { "PROTO", 6, -1, false },
	[COL_STATE] = { "STATE", 12, SW_SORT_STATE, false },
	[COL_LOCAL] = { "LOCAL", 24, SW_SORT_LOCAL, false },
	[COL_REMOTE] = { "REMOTE", 24, SW_SORT_REMOTE, false },
	[COL_PROG] = { "PID/PROGRAM", 24, SW_SORT_PID, true },
	[COL_USER] = { "USER", 10, SW_SORT_USER, true },
	[COL_AGE] = { "AGE", 8, SW_SORT_AGE, false },
	[COL_BYTES] = { "TX/RX", 14, SW_SORT_BYTES, false },
	[COL_NETNS] = { "NETNS", 11, SW_SORT_NETNS, false },
};

struct printer {
	struct sw_buf *b;
	const struct sw_conn_fmt *f;
	bool first;
};

static bool col_shown(const struct sw_conn_fmt *f, enum col c)
{
	if (c == COL_AGE || c == COL_BYTES)
		return f->live;
	if (c == COL_NETNS)
		return f->netns_col;
	return true;
}

static unsigned int col_width(const struct sw_conn_fmt *f, enum col c)
{
	if ((c == COL_LOCAL || c == COL_REMOTE) && f->addr_width)
		return f->addr_width;
	return columns[c].width;
}

/*
 * A text column: s (escaped if untrusted) padded to the column's width in
 * terminal cells; nothing in JSON. In the live view, an untrusted value of a
 * column that is cut is cut to its width: the columns after it stay in
 * place on the screen. --once keeps every value whole (scripts read it).
 */
static void column(struct printer *p, enum col c, const char *s, bool untrusted)
{
	size_t from = p->b->len;

	if (p->f->fmt != SW_FMT_TEXT || !col_shown(p->f, c))
		return;
	if (untrusted && p->f->live && columns[c].cut)
		sw_buf_term_fit(p->b, s, strlen(s), false, col_width(p->f, c) - 1);
	else if (untrusted)
		sw_buf_term_str(p->b, s, strlen(s));
	else
		sw_buf_puts(p->b, s);
	sw_buf_pad(p->b, from, col_width(p->f, c) - 1);
	sw_buf_putc(p->b, ' ');
}

static void member(struct printer *p, const char *key)
{
	sw_buf_puts(p->b, p->first ? "\"" : ",\"");
	sw_buf_puts(p->b, key);
	sw_buf_puts(p->b, "\":");
	p->first = false;
}

static void pr_uint(struct printer *p, const char *key, unsigned long long v)
{
	if (p->f->fmt != SW_FMT_JSON)
		return;
	member(p, key);
	sw_buf_printf(p->b, "%llu", v);
}

/* ASCII from our own tables or inet_ntop. */
static void pr_word(struct printer *p, const char *key, const char *s)
{
	if (p->f->fmt != SW_FMT_JSON)
		return;
	member(p, key);
	sw_buf_printf(p->b, "\"%s\"", s);
}

static void pr_bytes(struct printer *p, const char *key, const char *s, size_t n)
{
	if (p->f->fmt != SW_FMT_JSON)
		return;
	member(p, key);
	sw_buf_json_str(p->b, s, n);
}

static void pr_bool(struct printer *p, const char *key, bool v)
{
	if (p->f->fmt != SW_FMT_JSON)
		return;
	member(p, key);
	sw_buf_puts(p->b, v ? "true" : "false");
}

static const char *display_state(const struct sw_conn *c)
{
	if (c->state == SW_TCP_NEW_SYN_RECV)
		return "SYN_RECV"; /* a request socket: what ss and netstat call it */
	return sw_state_name(c->state);
}

static void endpoint(const struct sw_conn_fmt *f, const struct sw_conn *c, const __u8 *addr,
		     __u16 port, bool wildcard_port, char *out, size_t size)
{
	char a[SW_ADDR_STRLEN], pbuf[40];
	const char *svc = f->names && port ? sw_service_name(port) : NULL;

	if (sw_addr_format(c->family, addr, a, sizeof(a)) < 0)
		snprintf(a, sizeof(a), "?");
	if (wildcard_port)
		snprintf(pbuf, sizeof(pbuf), "*");
	else if (svc)
		snprintf(pbuf, sizeof(pbuf), "%s", svc);
	else
		snprintf(pbuf, sizeof(pbuf), "%u", port);
	snprintf(out, size, c->family == SW_AF_INET6 ? "[%s]:%s" : "%s:%s", a, pbuf);
}

static void print_endpoints(struct printer *p, const struct sw_conn *c)
{
	bool listen = c->state == SW_TCP_LISTEN ||
		      (c->kind == SW_EV_UNLISTEN && (c->flags & SW_CONN_GHOST));
	char l[SW_ADDR_STRLEN + 40], r[SW_ADDR_STRLEN + 40], a[SW_ADDR_STRLEN];

	endpoint(p->f, c, c->laddr, c->lport, false, l, sizeof(l));
	endpoint(p->f, c, c->raddr, c->rport, listen, r, sizeof(r));
	column(p, COL_PROTO, c->family == SW_AF_INET6 ? "tcp6" : "tcp", false);
	column(p, COL_STATE, display_state(c), false);
	/* Service names come from a file anyone with root could edit: escape. */
	column(p, COL_LOCAL, l, p->f->names);
	column(p, COL_REMOTE, r, p->f->names);
	pr_word(p, "proto", "tcp");
	pr_uint(p, "family", c->family == SW_AF_INET6 ? 6 : 4);
	pr_word(p, "state", display_state(c));
	sw_addr_format(c->family, c->laddr, a, sizeof(a)); /* empty if it cannot be written */
	pr_word(p, "laddr", a);
	pr_uint(p, "lport", c->lport);
	if (listen) /* no remote end, as in a listen record */
		return;
	sw_addr_format(c->family, c->raddr, a, sizeof(a));
	pr_word(p, "raddr", a);
	pr_uint(p, "rport", c->rport);
}

static bool uid_known(const struct sw_conn *c)
{
	return (c->flags & SW_CONN_OWNER) ||
	       ((c->flags & SW_CONN_SNAP) && !(c->flags & SW_CONN_MINI));
}

static void print_owner(struct printer *p, const struct sw_conn *c)
{
	/* pid, "/", the name escaped and quoted (4 bytes a byte at most), " +N" */
	char prog[16 + 4 * SW_COMM_LEN + 16], pid[16], more[16] = "", user[64];

	if (c->flags & SW_CONN_OWNER) {
		size_t width = col_width(p->f, COL_PROG) - 1, fixed;
		struct sw_buf b;

		/* The name is the process's: quoted where it holds a space, so
		 * that it stays one column and cannot pass for the next ones. */
		snprintf(pid, sizeof(pid), "%u/", c->pid);
		if (c->nowners > 1)
			snprintf(more, sizeof(more), " +%u", c->nowners - 1);
		sw_buf_init(&b, prog, sizeof(prog));
		sw_buf_puts(&b, pid);
		/* The live view cuts the name, never the pid or the count. */
		fixed = strlen(pid) + strlen(more);
		if (p->f->live && p->f->fmt == SW_FMT_TEXT)
			sw_buf_term_fit(&b, c->comm, strnlen(c->comm, SW_COMM_LEN), true,
					width > fixed ? width - fixed : 0);
		else
			sw_buf_term_value(&b, c->comm, strnlen(c->comm, SW_COMM_LEN));
		sw_buf_puts(&b, more);
		column(p, COL_PROG, prog, false);
		pr_uint(p, "pid", c->pid);
		pr_bytes(p, "comm", c->comm, strnlen(c->comm, SW_COMM_LEN));
		pr_uint(p, "owners", c->nowners);
	} else {
		column(p, COL_PROG, "-", false);
	}
	if (uid_known(c)) {
		size_t n = sw_user_name(c->uid, user, sizeof(user));

		column(p, COL_USER, user, true);
		pr_uint(p, "uid", c->uid);
		pr_bytes(p, "user", user, n);
	} else {
		column(p, COL_USER, "-", false);
	}
}

static void human(__u64 v, char *out, size_t size)
{
	static const char units[] = "KMGTP";
	double d = v;
	int u = -1;

	if (v < 1000) {
		snprintf(out, size, "%llu", (unsigned long long)v);
		return;
	}
	while (d >= 999.5 && u < 4) {
		d /= 1000;
		u++;
	}
	snprintf(out, size, d < 9.95 ? "%.1f%c" : "%.0f%c", d, units[u]);
}

void sw_format_age(__u64 ns, char *buf, size_t size)
{
	unsigned long long s = ns / 1000000000ULL;

	if (s < 60)
		snprintf(buf, size, "%llus", s);
	else if (s < 3600)
		snprintf(buf, size, "%llum%02llus", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%lluh%02llum", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, size, "%llud%02lluh", s / 86400, s % 86400 / 3600);
}

static void print_times(struct printer *p, const struct sw_conn *c)
{
	__u64 born = c->birth_ns ? c->birth_ns : c->first_ns;
	__u64 end = (c->flags & SW_CONN_GHOST) && c->closed_ns ? c->closed_ns : p->f->now_ns;
	char age[32], tx[16], rx[16], bytes[40];
	bool atleast = !c->birth_ns && (c->flags & SW_CONN_SNAP);

	/* Sockets from the snapshot are older than we can tell: ">". */
	sw_format_age(end > born ? end - born : 0, age + 1, sizeof(age) - 1);
	age[0] = '>';
	column(p, COL_AGE, atleast ? age : age + 1, false);
	if (c->flags & SW_CONN_BYTES) {
		human(c->bytes_sent, tx, sizeof(tx));
		human(c->bytes_received, rx, sizeof(rx));
		snprintf(bytes, sizeof(bytes), "%s/%s", tx, rx);
		column(p, COL_BYTES, bytes, false);
		pr_uint(p, "bytes_sent", c->bytes_sent);
		pr_uint(p, "bytes_received", c->bytes_received);
	} else {
		column(p, COL_BYTES, "-", false);
	}
	if (p->f->live || !atleast)
		pr_uint(p, "age_ms", (end > born ? end - born : 0) / 1000000);
}

int sw_conn_format(const struct sw_conn *c, const struct sw_conn_fmt *f, char *buf, size_t size)
{
	struct sw_buf b;
	struct printer p = { .b = &b, .f = f, .first = true };
	char ns[16] = "";

	sw_buf_init(&b, buf, size);
	if (f->fmt == SW_FMT_JSON) {
		sw_buf_putc(&b, '{');
		pr_uint(&p, "v", SW_SCHEMA_VERSION);
	}
	print_endpoints(&p, c);
	print_owner(&p, c);
	print_times(&p, c);
	if (c->netns != f->host_netns)
		snprintf(ns, sizeof(ns), "%u", c->netns);
	column(&p, COL_NETNS, ns, false);
	pr_uint(&p, "netns", c->netns);
	pr_uint(&p, "cookie",
		(c->flags & SW_CONN_KEY_ADDR) ? sw_sockid_of_addr(c->key, c->birth_ns) : c->key);
	if (c->flags & SW_CONN_GHOST && !(c->flags & SW_CONN_MINI))
		pr_bool(&p, "closed", true);
	if (f->fmt == SW_FMT_JSON)
		sw_buf_putc(&b, '}');
	while (f->fmt == SW_FMT_TEXT && b.len && b.p[b.len - 1] == ' ')
		b.p[--b.len] = '\0';
	return b.overflow ? -ENOSPC : (int)b.len;
}

int sw_conn_format_header(const struct sw_conn_fmt *f, char *buf, size_t size)
{
	struct sw_buf b;

	sw_buf_init(&b, buf, size);
	if (f->fmt != SW_FMT_TEXT)
		return 0;
	for (int c = 0; c < COL_MAX; c++) {
		size_t from = b.len;

		if (!col_shown(f, c))
			continue;
		sw_buf_puts(&b, columns[c].title);
		if (f->sort_col >= 0 && (columns[c].sort == f->sort_col ||
					 (c == COL_PROG && f->sort_col == SW_SORT_COMM)))
			sw_buf_puts(&b, f->reverse ? "-" : "+");
		sw_buf_pad(&b, from, col_width(f, c));
	}
	while (b.len && b.p[b.len - 1] == ' ')
		b.p[--b.len] = '\0';
	return b.overflow ? -ENOSPC : (int)b.len;
}
