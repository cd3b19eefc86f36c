// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `sockwatch top` (and `sockwatch` alone): the live netstat view, or one table with --once. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "conn_format.h"
#include "live.h"
#include "term_check.h"
#include "ui_top.h"

struct top_args {
	struct sw_live_opts live;
	struct sw_ui_opts ui;
	bool once;
	enum sw_fmt fmt;
};

static const char top_usage[] =
	"usage: sockwatch [top] [options]\n"
	"\n"
	"A live, event-driven netstat: every TCP socket in every network namespace,\n"
	"from a snapshot at start, kept current by kernel events. Closed connections\n"
	"stay dimmed for a few seconds, so even a 1 ms connection is seen.\n"
	"Keys: ? help, q quit, space pause, / filter, l listeners, n service names,\n"
	"1-9 or < > sort column, r reverse.\n"
	"\n"
	"      --once           print the table once (netstat-like columns) and exit\n"
	"      --json           with --once: one JSON object per socket\n"
	"  -n, --names          service names from /etc/services instead of port numbers\n"
	"      --interval MS    at most one redraw per MS milliseconds (default 100)\n"
	"      --ghost SECONDS  how long closed connections stay (default 3)\n" SW_SNAPSHOT_HELP
		SW_COMMON_HELP;

enum {
	OPT_ONCE = SW_OPT_VERB,
	OPT_JSON,
	OPT_INTERVAL,
	OPT_GHOST,
	OPT_SNAPSHOT,
};

static const struct option top_opts[] = {
	SW_COMMON_LONGOPTS,
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "names", no_argument, NULL, 'n' },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "ghost", required_argument, NULL, OPT_GHOST },
	{ "snapshot", required_argument, NULL, OPT_SNAPSHOT },
	{ "help", no_argument, NULL, 'h' },
	{},
};

static int bad_value(const char *opt, const char *val, const char *why)
{
	return sw_bad_value("top", opt, val, why);
}

/* Parses options into a; returns -1 to go on, else an exit code. */
static int parse_top_opts(int argc, char **argv, struct top_args *a)
{
	struct sw_tracer_opts *o = &a->live.tracer;
	struct sw_opts_seen seen = {};
	__u32 v;
	int opt, ret;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":nh" SW_COMMON_SHORTOPTS, top_opts, NULL)) != -1) {
		ret = sw_opt_once("top", opt, top_opts, NULL, &seen);
		if (ret)
			return ret;
		switch (opt) {
		case OPT_ONCE:
			a->once = true;
			break;
		case OPT_JSON:
			a->fmt = SW_FMT_JSON;
			break;
		case 'n':
			a->ui.names = true;
			break;
		case OPT_INTERVAL:
			if (sw_parse_u32(optarg, 10, 10000, &v))
				return bad_value("interval", optarg, "expected 10..10000 ms");
			a->ui.interval_ms = v;
			break;
		case OPT_GHOST:
			if (sw_parse_u32(optarg, 0, 3600, &v))
				return bad_value("ghost", optarg, "expected 0..3600 seconds");
			a->live.ghost_ns = v * 1000000000ULL;
			break;
		case OPT_SNAPSHOT:
			if (sw_snap_source_parse(optarg, &a->live.snapshot))
				return bad_value("snapshot source", optarg,
						 "expected auto, iter or diag");
			break;
		case 'h':
			fputs(top_usage, stdout);
			return SW_EXIT_OK;
		default:
			ret = sw_common_opt("top", opt, optarg, argv, top_opts, o);
			if (ret)
				return ret < 0 ? SW_EXIT_USAGE : ret;
			break;
		}
	}
	if (optind < argc) {
		sw_err("unexpected argument '%s' (see 'sockwatch top --help')", argv[optind]);
		return SW_EXIT_USAGE;
	}
	if (a->fmt == SW_FMT_JSON && !a->once) {
		sw_err("--json needs --once (see 'sockwatch top --help')");
		return SW_EXIT_USAGE;
	}
	return -1;
}

static bool once_row(const struct sw_conn *c, void *ctx)
{
	return sw_conn_is_current(c) && sw_live_match(ctx, c);
}

/* --once: the reconciled table, sorted by local address, then exit. */
static int print_once(struct sw_live *l, const struct top_args *a)
{
	struct sw_conn_fmt f = {
		.fmt = a->fmt,
		.names = a->ui.names,
		.host_netns = l->host_netns,
		.now_ns = sw_now_ns(),
		.sort_col = -1,
	};
	const struct sw_conn **v;
	char line[SW_LINE_MAX];
	long n;
	int len;

	n = sw_conntab_view(&l->tab, once_row, l, SW_SORT_LOCAL, false, &v);
	if (n < 0) {
		sw_err("cannot sort the table: %s", strerror((int)-n));
		return SW_EXIT_FAILURE;
	}
	for (long i = 0; i < n && !f.netns_col; i++)
		f.netns_col = v[i]->netns != l->host_netns;
	if (f.fmt == SW_FMT_TEXT && sw_conn_format_header(&f, line, sizeof(line)) > 0)
		puts(line);
	/* SIGINT/SIGTERM ends the table too (a write it interrupted would block again) */
	for (long i = 0; i < n && !sw_stop; i++) {
		len = sw_conn_format(v[i], &f, line, sizeof(line));
		if (len >= 0)
			puts(line);
	}
	return sw_stdout_end("the table", SW_EXIT_OK);
}

int cmd_top(int argc, char **argv)
{
	struct top_args a = {
		.live = { .ghost_ns = 3000000000ULL },
		.ui = { .interval_ms = 100 },
		.fmt = SW_FMT_TEXT,
	};
	struct sw_live l;
	char err[768];
	int ret;

	ret = parse_top_opts(argc, argv, &a);
	if (ret >= 0)
		return ret;
	if (!a.once && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
		sw_err("the live view needs a terminal; use --once for scripts");
		return SW_EXIT_USAGE;
	}
	/* Before attaching: ncurses would only find out (and exit) after the snapshot. */
	if (!a.once && sw_term_check(err, sizeof(err))) {
		sw_err("%s", err);
		return SW_EXIT_USAGE;
	}
	a.live.seed = !a.once;
	sw_install_signals();
	sw_startup_memory(true);
	ret = sw_live_start(&l, &a.live, err, sizeof(err));
	if (ret) {
		sw_err("%s", err);
		return sw_exit_for_open_error(ret);
	}
	if (!a.once)
		sw_startup_memory(false); /* --once exits soon anyway */
	sw_warn_snapshot_netns(l.snap_netns_failed, l.snap_failed_netns, l.snap_failed_err,
			       l.snap_failed_path);
	sw_warn_pid_namespace();
	if (a.live.tracer.verbose) {
		sw_print_snapshot_source(l.snap_source, l.snap_fallback);
		fprintf(stderr,
			"sockwatch: attached in %.1f ms; snapshot (%s) of %llu sockets in %u netns "
			"in %.1f ms; %llu events queued meanwhile; reconciled in %.1f ms\n",
			l.attach_ns / 1e6, sw_snap_source_name(l.snap_source),
			(unsigned long long)l.snap_socks, l.snap_netns, l.snap_ns / 1e6,
			(unsigned long long)l.queued_max, l.reconcile_ns / 1e6);
	}
	if (a.once)
		ret = print_once(&l, &a);
	else
		ret = sw_ui_top_run(&l, &a.ui);
	sw_live_stop(&l);
	return ret;
}
