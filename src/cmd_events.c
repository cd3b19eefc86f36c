// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `sockwatch events`: stream every connection event as text columns or JSON lines. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "format.h"

struct events_ctx {
	enum sw_fmt fmt;
	int write_err;
};

static const char events_usage[] =
	"usage: sockwatch events [options]\n"
	"\n"
	"Streams TCP events (listen, unlisten, connect, connect_failed, accept, close)\n"
	"as aligned text, or one JSON object per line with --json.\n"
	"\n"
	"  -p, --pid PID        only sockets owned by process PID\n"
	"      --port PORT      only sockets with local or remote port PORT\n"
	"  -4, -6               only IPv4 / only IPv6\n"
	"      --comm NAME      only processes named NAME (exact, 15 bytes max)\n"
	"      --netns INODE    only sockets in the network namespace with this inode\n"
	"      --states         also emit every state transition as a 'state' event\n"
	"      --json           JSON lines (same as --format json)\n"
	"      --format FMT     text or json\n"
	"      --attach MODE    auto, fentry, kprobe or tracepoint (default auto)\n"
	"      --state-hook H   tp_btf or raw_tp (default: tp_btf if the kernel has it)\n"
	"  -v, --verbose        libbpf and attach details on stderr\n"
	"  -h, --help           this help\n";

static int on_record(const struct sw_record *r, void *ctx)
{
	struct events_ctx *c = ctx;
	char line[SW_LINE_MAX];
	int n;

	n = sw_format_record(r, c->fmt, line, sizeof(line) - 1);
	if (n < 0)
		return 0;
	line[n++] = '\n';
	if (fwrite(line, 1, n, stdout) != (size_t)n) {
		c->write_err = errno;
		return -EPIPE;
	}
	return 0;
}

enum {
	OPT_PORT = 256,
	OPT_COMM,
	OPT_NETNS,
	OPT_STATES,
	OPT_JSON,
	OPT_FORMAT,
	OPT_ATTACH,
	OPT_STATE_HOOK,
};

static const struct option events_opts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "comm", required_argument, NULL, OPT_COMM },
	{ "netns", required_argument, NULL, OPT_NETNS },
	{ "states", no_argument, NULL, OPT_STATES },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "attach", required_argument, NULL, OPT_ATTACH },
	{ "state-hook", required_argument, NULL, OPT_STATE_HOOK },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

static int bad_value(const char *opt, const char *val, const char *why)
{
	sw_err("invalid %s '%s': %s (see 'sockwatch events --help')", opt, val, why);
	return SW_EXIT_USAGE;
}

/* Parses events options into o and ctx; returns -1 to go on, else an exit code. */
static int parse_events_opts(int argc, char **argv, struct sw_tracer_opts *o, struct events_ctx *c)
{
	__u32 v;
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":p:46vh", events_opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			if (sw_parse_u32(optarg, 1, 4194304, &v))
				return bad_value("pid", optarg, "expected 1..4194304");
			o->pid = v;
			break;
		case OPT_PORT:
			if (sw_parse_u32(optarg, 1, 65535, &v))
				return bad_value("port", optarg, "expected 1..65535");
			o->port = v;
			break;
		case '4':
			o->family = SW_AF_INET;
			break;
		case '6':
			o->family = SW_AF_INET6;
			break;
		case OPT_COMM:
			if (!*optarg || strlen(optarg) >= SW_COMM_LEN)
				return bad_value("comm", optarg, "expected 1..15 bytes");
			o->comm = optarg;
			break;
		case OPT_NETNS:
			if (sw_parse_u32(optarg, 1, 0xffffffffu, &v))
				return bad_value("netns", optarg, "expected an inode number");
			o->netns = v;
			break;
		case OPT_STATES:
			o->states = true;
			break;
		case OPT_JSON:
			c->fmt = SW_FMT_JSON;
			break;
		case OPT_FORMAT:
			if (sw_format_parse(optarg, &c->fmt))
				return bad_value("format", optarg, "expected text or json");
			break;
		case OPT_ATTACH:
			if (sw_attach_mode_parse(optarg, &o->attach))
				return bad_value("attach mode", optarg,
						 "expected auto, fentry, kprobe or tracepoint");
			break;
		case OPT_STATE_HOOK:
			if (!strcmp(optarg, "tp_btf"))
				o->state_hook = SW_STATE_HOOK_TP_BTF;
			else if (!strcmp(optarg, "raw_tp"))
				o->state_hook = SW_STATE_HOOK_RAW_TP;
			else
				return bad_value("state hook", optarg, "expected tp_btf or raw_tp");
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			fputs(events_usage, stdout);
			return SW_EXIT_OK;
		case ':':
			sw_err("option '%s' needs a value (see 'sockwatch events --help')",
			       argv[optind - 1]);
			return SW_EXIT_USAGE;
		default:
			sw_err("unknown option '%s' (see 'sockwatch events --help')",
			       argv[optind - 1]);
			return SW_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		sw_err("unexpected argument '%s' (see 'sockwatch events --help')", argv[optind]);
		return SW_EXIT_USAGE;
	}
	return -1;
}

int cmd_events(int argc, char **argv)
{
	struct sw_tracer_opts o = {};
	struct events_ctx c = { .fmt = SW_FMT_TEXT };
	struct sw_tracer *t;
	char err[768], hdr[256];
	int ret, n;

	ret = parse_events_opts(argc, argv, &o, &c);
	if (ret >= 0)
		return ret;

	sw_install_signals();
	ret = sw_tracer_open(&o, on_record, &c, &t, err, sizeof(err));
	if (ret) {
		sw_err("%s", err);
		return sw_exit_for_open_error(ret);
	}
	sw_print_attached(t);
	if (c.fmt == SW_FMT_TEXT && sw_format_header(c.fmt, hdr, sizeof(hdr)) > 0)
		printf("%s\n", hdr);
	fflush(stdout);

	ret = SW_EXIT_OK;
	while (!sw_stop) {
		n = sw_tracer_poll(t, 100);
		if (n == -EPIPE)
			break;
		if (n < 0) {
			sw_err("reading events failed: %s", strerror(-n));
			ret = SW_EXIT_FAILURE;
			break;
		}
		if (n > 0 && fflush(stdout))
			break;
	}
	/* Deliver what is already in the ring buffer before detaching. */
	if (!c.write_err)
		sw_tracer_drain(t);
	fflush(stdout);
	sw_print_summary(t);
	sw_tracer_close(t);
	return ret;
}
