// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The ncurses live view of `sockwatch top`: header, sorted rows, keys, event-driven redraws. */
#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <curses.h>
#include <sys/epoll.h>

#include "addr.h"
#include "cli.h"
#include "conn_format.h"
#include "event.h"
#include "strbuf.h"
#include "textwidth.h"
#include "top_clock.h"
#include "ui_top.h"
#include "users.h"

#define NS_PER_MS 1000000ULL
#define NEW_ROW_NS 2000000000ULL /* rows this young are highlighted */
#define HEADER_LINES 3
#define FILTER_MAX 64
/* After reading the ring buffer, leave it alone this long: under churn, one
 * wake-up per batch instead of one per record (8 MiB holds ~50k records). */
#define RB_BATCH_NS (10 * NS_PER_MS)

enum { PAIR_NEW = 1, PAIR_CLOSING, PAIR_TITLE };

struct ui {
	struct sw_live *l;
	const struct sw_ui_opts *o;
	enum sw_sort_col sort;
	bool reverse, listeners_only, names, help, quit;
	bool editing; /* typing a filter after '/' */
	char filter[FILTER_MAX], edit[FILTER_MAX];
	long scroll;
	struct sw_top_clock clk; /* redraws, expiry, pause */
	__u64 view_gen; /* table generation the cached view was built from */
	bool view_stale; /* settings changed: rebuild the view */
	const struct sw_conn **view;
	long nview;
	__u64 rate_prev_conns, rate_prev_ns;
	double rate;
};

static bool is_closing(__u8 state)
{
	switch (state) {
	case SW_TCP_FIN_WAIT1:
	case SW_TCP_FIN_WAIT2:
	case SW_TCP_TIME_WAIT:
	case SW_TCP_CLOSE_WAIT:
	case SW_TCP_LAST_ACK:
	case SW_TCP_CLOSING:
		return true;
	default:
		return false;
	}
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* Case-insensitive substring of a bounded, possibly unterminated string. */
static bool contains(const char *hay, size_t n, const char *needle)
{
	char tmp[SW_ADDR_STRLEN + 1];

	if (n > SW_ADDR_STRLEN)
		n = SW_ADDR_STRLEN;
	memcpy(tmp, hay, n);
	tmp[n] = '\0';
	return strcasestr(tmp, needle) != NULL;
}

/* The '/' filter: a number matches a port or a pid; text matches address, comm, state or user. */
static bool filter_match(const struct sw_conn *c, const char *f)
{
	char a[SW_ADDR_STRLEN], user[64];
	const char *st;
	int n;

	if (all_digits(f)) {
		unsigned long v = strtoul(f, NULL, 10);

		return c->lport == v || c->rport == v ||
		       ((c->flags & SW_CONN_OWNER) && c->pid == v);
	}
	st = sw_state_name(c->state);
	if (contains(st, strlen(st), f))
		return true;
	if ((c->flags & SW_CONN_OWNER) && contains(c->comm, strnlen(c->comm, SW_COMM_LEN), f))
		return true;
	n = sw_addr_format(c->family, c->laddr, a, sizeof(a));
	if (n >= 0 && contains(a, n, f))
		return true;
	n = sw_addr_format(c->family, c->raddr, a, sizeof(a));
	if (n >= 0 && contains(a, n, f))
		return true;
	if (c->flags & SW_CONN_OWNER) {
		if (contains(user, sw_user_name(c->uid, user, sizeof(user)), f))
			return true;
	}
	return false;
}

/* The command line's filters (the header counts what they select). */
static bool user_filter(const struct sw_conn *c, void *ctx)
{
	return sw_live_match(ctx, c);
}

static bool row_visible(const struct sw_conn *c, void *ctx)
{
	struct ui *u = ctx;

	if (!sw_live_match(u->l, c))
		return false;
	if (u->listeners_only && c->state != SW_TCP_LISTEN &&
	    !(c->kind == SW_EV_UNLISTEN && (c->flags & SW_CONN_GHOST)))
		return false;
	return !u->filter[0] || filter_match(c, u->filter);
}

static int rebuild_view(struct ui *u)
{
	long n;

	if (!u->view_stale && u->view_gen == u->l->tab.gen)
		return 0;
	n = sw_conntab_view(&u->l->tab, row_visible, u, u->sort, u->reverse, &u->view);
	if (n < 0)
		return (int)n;
	u->nview = n;
	u->view_gen = u->l->tab.gen;
	u->view_stale = false;
	return 0;
}

/*
 * Line y, all of it: cleared first, as the paused header is redrawn without
 * erase() and a shorter line must leave nothing of a longer one (cleared
 * before, not after: a line that fills the row leaves the cursor on the
 * next, which clrtoeol() would then clear).
 */
static void put_line(int y, const char *s, int attr)
{
	move(y, 0);
	clrtoeol();
	attron(attr);
	/* What fits in the row's cells: not bytes, and never part of a character. */
	mvaddnstr(y, 0, s, (int)sw_text_fit(s, strlen(s), COLS > 0 ? (size_t)COLS : 0));
	attroff(attr);
}

static void draw_header(struct ui *u, __u64 now)
{
	static const __u8 order[] = { SW_TCP_ESTABLISHED, SW_TCP_LISTEN,     SW_TCP_SYN_SENT,
				      SW_TCP_SYN_RECV,	  SW_TCP_FIN_WAIT1,  SW_TCP_FIN_WAIT2,
				      SW_TCP_TIME_WAIT,	  SW_TCP_CLOSE_WAIT, SW_TCP_LAST_ACK,
				      SW_TCP_CLOSING };
	struct sw_conn_stats s;
	struct sw_counters c;
	char line[512];
	struct sw_buf b;

	sw_conntab_stats(&u->l->tab, user_filter, u->l, &s);
	sw_tracer_counters(u->l->t, &c);
	sw_buf_init(&b, line, sizeof(line));
	sw_buf_printf(&b, "sockwatch  %u sockets:", s.live);
	for (size_t i = 0; i < sizeof(order); i++)
		if (s.by_state[order[i]] || order[i] == SW_TCP_ESTABLISHED)
			sw_buf_printf(&b, " %s %u", sw_state_name(order[i]), s.by_state[order[i]]);
	sw_buf_printf(&b, "  closed %u", s.ghosts);
	put_line(0, line, A_BOLD);

	sw_buf_init(&b, line, sizeof(line));
	sw_buf_printf(&b, "listeners %u  new/s %.1f  events lost %llu  mode %s/%s", s.listeners,
		      u->rate,
		      (unsigned long long)(c.rb_drops > u->l->lost ? c.rb_drops : u->l->lost),
		      sw_attach_mode_name(sw_tracer_mode(u->l->t)),
		      sw_state_hook_name(sw_tracer_state_hook(u->l->t)));
	/* The socket map overflowed: some rows' owners were forgotten. */
	if (u->l->evicted)
		sw_buf_printf(&b, "  evicted %llu", (unsigned long long)u->l->evicted);
	/* The fallback cannot see every owner (docs/live-view.md): say it is in use. */
	if (u->l->snap_source == SW_SNAP_DIAG)
		sw_buf_puts(&b, "  snapshot sock_diag");
	if (u->editing) {
		sw_buf_puts(&b, "  filter: /");
		sw_buf_term_str(&b, u->edit, strlen(u->edit));
		sw_buf_putc(&b, '_');
	} else if (u->filter[0]) {
		sw_buf_puts(&b, "  filter: ");
		sw_buf_term_str(&b, u->filter, strlen(u->filter));
	}
	if (u->listeners_only)
		sw_buf_puts(&b, "  [listeners]");
	if (u->clk.paused)
		sw_buf_puts(&b, "  [PAUSED]");
	sw_buf_puts(&b, "  ? help");
	put_line(1, line, 0);
	(void)now;
}

static void draw_rows(struct ui *u, __u64 now)
{
	struct sw_conn_fmt f = {
		.fmt = SW_FMT_TEXT,
		.names = u->names,
		.live = true,
		.host_netns = u->l->host_netns,
		.now_ns = now,
		.sort_col = u->sort,
		.reverse = u->reverse,
	};
	int rows = LINES - HEADER_LINES, fixed = 6 + 12 + 24 + 10 + 8 + 14 + 2;
	char text[SW_LINE_MAX];

	for (long i = 0; i < u->nview && !f.netns_col; i++)
		f.netns_col = u->view[i]->netns != u->l->host_netns;
	if (f.netns_col)
		fixed += 11;
	f.addr_width = COLS > fixed ? (COLS - fixed) / 2 : 22;
	if (f.addr_width < 22)
		f.addr_width = 22;
	if (f.addr_width > 48)
		f.addr_width = 48;
	if (u->scroll > u->nview - rows)
		u->scroll = u->nview - rows;
	if (u->scroll < 0)
		u->scroll = 0;

	text[0] = ' ';
	text[1] = ' ';
	sw_conn_format_header(&f, text + 2, sizeof(text) - 2);
	put_line(2, text, A_REVERSE);
	for (int y = 0; y < rows && u->scroll + y < u->nview; y++) {
		const struct sw_conn *c = u->view[u->scroll + y];
		bool ghost = c->flags & SW_CONN_GHOST;
		bool fresh = !(c->flags & SW_CONN_SNAP) && now - c->first_ns < NEW_ROW_NS;
		int attr = 0;

		if (sw_conn_format(c, &f, text + 2, sizeof(text) - 2) < 0)
			continue;
		/* A marker that survives without colours: + new, - closed, ~ closing. */
		text[0] = ghost ? '-' : fresh ? '+' : is_closing(c->state) ? '~' : ' ';
		if (ghost)
			attr = A_DIM;
		else if (fresh)
			attr = A_BOLD | (has_colors() ? COLOR_PAIR(PAIR_NEW) : 0);
		else if (is_closing(c->state) && has_colors())
			attr = COLOR_PAIR(PAIR_CLOSING);
		put_line(HEADER_LINES + y, text, attr);
	}
}

static void draw_help(void)
{
	static const char *const lines[] = {
		"sockwatch top keys",
		"",
		"  q            quit",
		"  space        pause / resume the display",
		"  /            filter: port, pid, address, comm, state or user",
		"               (Enter applies, Esc cancels, empty clears)",
		"  l            listeners only",
		"  n            service names / port numbers",
		"  1-9          sort by state, local, remote, pid, comm, user,",
		"               age, bytes, netns; again to reverse",
		"  < >  r       previous / next sort column, reverse",
		"  arrows PgUp PgDn Home End   scroll",
		"",
		"rows: + new, ~ closing, - closed (kept a few seconds)",
		"",
		"press any key",
	};
	int h = sizeof(lines) / sizeof(lines[0]) + 2, w = 68;
	int y0 = (LINES - h) / 2 > 0 ? (LINES - h) / 2 : 0,
	    x0 = (COLS - w) / 2 > 0 ? (COLS - w) / 2 : 0;

	for (int y = 0; y < h && y0 + y < LINES; y++) {
		move(y0 + y, x0);
		for (int x = 0; x < w && x0 + x < COLS; x++)
			addch(' ' | A_REVERSE);
		if (y == 0 || y > (int)(sizeof(lines) / sizeof(lines[0])) || COLS - x0 - 2 <= 0)
			continue;
		attron(A_REVERSE);
		mvaddnstr(y0 + y, x0 + 2, lines[y - 1], COLS - x0 - 2);
		attroff(A_REVERSE);
	}
}

static void draw(struct ui *u, __u64 now)
{
	if (rebuild_view(u))
		return;
	erase();
	draw_header(u, now);
	draw_rows(u, now);
	if (u->help)
		draw_help();
	refresh();
	u->clk.last_draw = now;
	u->clk.dirty = false;
}

static void update_rate(struct ui *u, __u64 now)
{
	__u64 dt = now - u->rate_prev_ns;

	if (dt < SW_TOP_TICK_NS)
		return;
	u->rate = (double)(u->l->tab.new_conns - u->rate_prev_conns) * 1e9 / (double)dt;
	u->rate_prev_conns = u->l->tab.new_conns;
	u->rate_prev_ns = now;
}

static void set_sort(struct ui *u, int col)
{
	if (col == (int)u->sort)
		u->reverse = !u->reverse;
	else
		u->reverse = false;
	u->sort = col;
	u->view_stale = true;
}

static void key_edit(struct ui *u, int ch)
{
	size_t n = strlen(u->edit);

	if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		snprintf(u->filter, sizeof(u->filter), "%s", u->edit);
		u->editing = false;
		u->view_stale = true;
		u->scroll = 0;
	} else if (ch == 27) {
		u->editing = false;
	} else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		if (n)
			u->edit[n - 1] = '\0';
	} else if (ch >= 0x20 && ch < 0x7f && n + 1 < sizeof(u->edit)) {
		u->edit[n] = (char)ch;
		u->edit[n + 1] = '\0';
	}
}

static void key(struct ui *u, int ch)
{
	int page = LINES - HEADER_LINES > 1 ? LINES - HEADER_LINES - 1 : 1;

	u->clk.dirty = true;
	if (ch == KEY_RESIZE)
		return;
	if (u->editing) {
		key_edit(u, ch);
		return;
	}
	if (u->help) {
		u->help = false;
		return;
	}
	switch (ch) {
	case 'q':
	case 'Q':
		u->quit = true;
		break;
	case ' ':
		u->clk.paused = !u->clk.paused;
		break;
	case '?':
	case 'h':
		u->help = true;
		break;
	case '/':
		u->editing = true;
		u->edit[0] = '\0';
		break;
	case 'l':
		u->listeners_only = !u->listeners_only;
		u->view_stale = true;
		u->scroll = 0;
		break;
	case 'n':
		u->names = !u->names;
		break;
	case 'r':
		u->reverse = !u->reverse;
		u->view_stale = true;
		break;
	case '<':
		set_sort(u, u->sort ? u->sort - 1 : SW_SORT_MAX - 1);
		break;
	case '>':
		set_sort(u, (u->sort + 1) % SW_SORT_MAX);
		break;
	case KEY_UP:
		u->scroll--;
		break;
	case KEY_DOWN:
		u->scroll++;
		break;
	case KEY_PPAGE:
		u->scroll -= page;
		break;
	case KEY_NPAGE:
		u->scroll += page;
		break;
	case KEY_HOME:
		u->scroll = 0;
		break;
	case KEY_END:
		u->scroll = u->nview;
		break;
	default:
		if (ch >= '1' && ch <= '0' + SW_SORT_MAX)
			set_sort(u, ch - '1');
		break;
	}
}

/* Two epoll sets: ep[0] waits for keys and events, ep[1] for keys only. */
static int ui_setup(int ep[2], struct sw_live *l, SCREEN **scr)
{
	struct epoll_event ev = { .events = EPOLLIN };

	ep[0] = epoll_create1(EPOLL_CLOEXEC);
	ep[1] = epoll_create1(EPOLL_CLOEXEC);
	if (ep[0] < 0 || ep[1] < 0)
		goto fail;
	ev.data.fd = sw_tracer_epoll_fd(l->t);
	if (epoll_ctl(ep[0], EPOLL_CTL_ADD, ev.data.fd, &ev))
		goto fail;
	ev.data.fd = STDIN_FILENO;
	if (epoll_ctl(ep[0], EPOLL_CTL_ADD, STDIN_FILENO, &ev) ||
	    epoll_ctl(ep[1], EPOLL_CTL_ADD, STDIN_FILENO, &ev))
		goto fail;
	setlocale(LC_ALL, "");
	/* Not initscr(), which exit()s when it cannot set up the terminal. */
	*scr = newterm(NULL, stdout, stdin);
	if (!*scr) {
		errno = ENOTTY;
		goto fail;
	}
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	if (has_colors()) {
		start_color();
		use_default_colors();
		init_pair(PAIR_NEW, COLOR_GREEN, -1);
		init_pair(PAIR_CLOSING, COLOR_YELLOW, -1);
		init_pair(PAIR_TITLE, COLOR_BLACK, COLOR_CYAN);
	}
	return 0;
fail:
	ev.events = errno;
	if (ep[0] >= 0)
		close(ep[0]);
	if (ep[1] >= 0)
		close(ep[1]);
	return -(int)ev.events;
}

/* Applies what the tracer has, and lets it sweep when that is due. */
static void live_poll(struct ui *u, int *ret)
{
	int e = sw_live_poll(u->l, 0);

	if (e < 0) {
		*ret = SW_EXIT_FAILURE;
		u->quit = true;
	} else if (e) {
		u->clk.dirty = true;
	}
}

int sw_ui_top_run(struct sw_live *l, const struct sw_ui_opts *o)
{
	struct ui u = {
		.l = l,
		.o = o,
		.sort = SW_SORT_LOCAL,
		.names = o->names,
		.clk = { .interval_ns = o->interval_ms * NS_PER_MS, .dirty = true },
		.view_stale = true,
	};
	struct epoll_event evs[4];
	SCREEN *scr = NULL;
	int ep[2], n, ch, ret = SW_EXIT_OK, e, timeout, tick;
	__u64 now, last_read = 0;
	bool batching, polled;

	e = ui_setup(ep, l, &scr);
	if (e) {
		sw_err("cannot start the terminal view: %s", strerror(-e));
		return SW_EXIT_FAILURE;
	}
	u.rate_prev_ns = sw_now_ns();
	u.rate_prev_conns = l->tab.new_conns;
	sw_conntab_expire(&l->tab, u.rate_prev_ns, &u.clk.next_expire);
	draw(&u, u.rate_prev_ns);
	while (!sw_stop && !u.quit) {
		now = sw_now_ns();
		timeout = sw_top_timeout_ms(&u.clk, now);
		batching = now - last_read < RB_BATCH_NS;
		if (batching) {
			int rest = (int)((last_read + RB_BATCH_NS - now) / NS_PER_MS) + 1;

			if (timeout < 0 || rest < timeout)
				timeout = rest;
		}
		/* The sweep runs from the poll: on a quiet host (or one the
		 * filters make quiet) no event would ever wake us for it. */
		tick = sw_live_tick_ms(l);
		if (tick >= 0 && (timeout < 0 || tick < timeout))
			timeout = tick;
		n = epoll_wait(ep[batching], evs, 4, timeout);
		if (n < 0 && errno != EINTR) {
			ret = SW_EXIT_FAILURE;
			break;
		}
		polled = false;
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == STDIN_FILENO)
				continue;
			last_read = sw_now_ns();
			polled = true;
			live_poll(&u, &ret);
		}
		if (!polled && sw_live_tick_ms(l) == 0)
			live_poll(&u, &ret);
		/* Keys, and KEY_RESIZE after a SIGWINCH interrupted the wait. */
		while ((ch = getch()) != ERR)
			key(&u, ch);
		now = sw_now_ns();
		/* Paused too: the frozen rows are the terminal's, not pointers
		 * into the table, and draw() rebuilds the view before use. */
		if (sw_top_expire_due(&u.clk, now) &&
		    sw_conntab_expire(&l->tab, now, &u.clk.next_expire))
			u.clk.dirty = true;
		if (u.clk.dirty && !u.clk.next_expire && l->tab.nghosts)
			sw_conntab_expire(&l->tab, now, &u.clk.next_expire);
		update_rate(&u, now);
		if (u.clk.paused) {
			if (u.clk.dirty && !u.help && !u.editing) {
				/* Show the pause itself, then freeze the rows. */
				draw_header(&u, now);
				refresh();
				u.clk.dirty = false;
			} else if (u.clk.dirty) {
				draw(&u, now);
			}
			continue;
		}
		if (sw_top_draw_due(&u.clk, now))
			draw(&u, now);
	}
	endwin();
	delscreen(scr);
	close(ep[0]);
	close(ep[1]);
	return ret;
}
