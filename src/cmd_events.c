// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `sockwatch events`: stream every connection event to one or more sinks as text, JSON or ECS. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "format.h"
#include "preflight.h"
#include "sink.h"

struct events_ctx {
	enum sw_fmt fmt;
	const char *specs[SW_SINK_SET_MAX]; /* -o, in order; none means stdout */
	unsigned int nspecs;
	struct sw_sink_opts sink_opts;
	struct sw_sink_set sinks;
	int stdout_sink; /* index of the stdout sink when it is the only one, else -1 */
	int watch_fd; /* stdout, when its reader going away can be seen in poll(2), else -1 */
	bool stdout_hung_up; /* watch_fd reported POLLERR or POLLHUP */
	bool json_opt; /* --json given */
	const char *format_opt; /* --format's value, NULL if not given */
};

/*
 * While records flow, they are read in batches at most this far apart (a
 * backlog of a quarter of the ring buffer wakes the reader sooner). Each
 * batch costs the reader and each writer a wake-up: at 10 ms the tracer used
 * ~20 % more CPU per connection under full-speed churn (docs/benchmarks.md).
 */
#define BATCH_MS 50
/*
 * The ring buffer of `events` (top and listen keep 8 MiB: they buffer events
 * while they take their snapshot). The producer writes each record into
 * memory it last touched one lap of the ring ago: with 8 MiB that is cold
 * memory, and on the build VMs an emitted record cost ~1.7 us in the kernel;
 * with 2 MiB ~1.2 us. 2 MiB still holds 13,000 records, 200 ms of the
 * fastest churn measured here: the timer drains it before the backlog
 * wake-up (a quarter of it) is due.
 */
#define RINGBUF_BYTES (2u << 20)
/* The longest wait for records while none flow (the sweep and loss checks run after it). */
#define POLL_MS 100

static const char events_usage[] =
	"usage: sockwatch events [options]\n"
	"\n"
	"Streams TCP events (listen, unlisten, connect, connect_failed, accept, close)\n"
	"as aligned text, JSON lines or ECS JSON lines, to one or more outputs.\n"
	"\n"
	"      --states         also emit every state transition as a 'state' event\n"
	"      --json           JSON lines (same as --format json)\n"
	"      --format FMT     text, json or ecs (Elastic Common Schema names)\n"
	"  -o, --output SPEC    where events go, each once; repeatable (default stdout):\n"
	"                       stdout, file:PATH, syslog, syslog+unix:PATH,\n"
	"                       syslog+udp://HOST:PORT, syslog+tcp://HOST:PORT\n"
	"      --rotate-size SIZE      file: rotate before PATH exceeds SIZE bytes (k, M, G)\n"
	"      --rotate-interval TIME  file: rotate every TIME seconds (or 30m, 1h, 1d)\n"
	"      --rotate-keep N         file: gzip-compressed files kept (default 5)\n"
	"      --queue-len N    records queued per output before it drops (default 65536)\n" SW_COMMON_HELP
	"\n"
	"SIGHUP reopens output files (after logrotate moved them). The summary on\n"
	"stderr counts, per output, lines written and dropped, errors, reconnects and\n"
	"rotations. Formats and fields: docs/schema.md; outputs: docs/sinks.md.\n";

/* The ring-buffer consumer only queues: each sink formats and writes on its own thread. */
static int on_record(const struct sw_record *r, void *ctx)
{
	struct events_ctx *c = ctx;

	sw_sink_set_submit(&c->sinks, r);
	return 0;
}

enum {
	OPT_STATES = SW_OPT_VERB,
	OPT_JSON,
	OPT_FORMAT,
	OPT_ROTATE_SIZE,
	OPT_ROTATE_INTERVAL,
	OPT_ROTATE_KEEP,
	OPT_QUEUE_LEN,
};

static const struct option events_opts[] = {
	{ "states", no_argument, NULL, OPT_STATES },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "output", required_argument, NULL, 'o' },
	{ "rotate-size", required_argument, NULL, OPT_ROTATE_SIZE },
	{ "rotate-interval", required_argument, NULL, OPT_ROTATE_INTERVAL },
	{ "rotate-keep", required_argument, NULL, OPT_ROTATE_KEEP },
	{ "queue-len", required_argument, NULL, OPT_QUEUE_LEN },
	SW_COMMON_LONGOPTS,
	{ "help", no_argument, NULL, 'h' },
	{},
};

static int bad_value(const char *opt, const char *val, const char *why)
{
	return sw_bad_value("events", opt, val, why);
}

/* "bad output "SPEC": WHY" with the usage hint, as other usage errors; returns SW_EXIT_USAGE. */
static int bad_output(const char *spec, const char *why)
{
	sw_err("bad output \"%s\": %s (see 'sockwatch events --help')", spec, why);
	return SW_EXIT_USAGE;
}

/* Room for why an output is bad: a spec quoted in it may be as long as a path. */
#define WHY_MAX (PATH_MAX + 256)

/* Checks an -o spec without opening anything; returns -1 to go on, else an exit code. */
static int add_output(struct events_ctx *c, const char *spec)
{
	char why[256];

	if (sw_sink_check_spec(spec, why, sizeof(why)))
		return bad_output(spec, why);
	if (c->nspecs >= SW_SINK_SET_MAX) {
		snprintf(why, sizeof(why), "at most %d outputs", SW_SINK_SET_MAX);
		return bad_output(spec, why);
	}
	c->specs[c->nspecs++] = spec;
	return -1;
}

/* Parses the output options (-o, --format, --rotate-*); returns -1 if opt is not one. */
static int parse_output_opt(int opt, struct events_ctx *c)
{
	struct sw_sink_opts *so = &c->sink_opts;
	__u32 v;
	int e;

	switch (opt) {
	case 'o':
		return add_output(c, optarg);
	case OPT_JSON:
		c->fmt = SW_FMT_JSON;
		c->json_opt = true;
		return -1;
	case OPT_FORMAT:
		if (sw_format_parse(optarg, &c->fmt))
			return bad_value("format", optarg, "expected text, json or ecs");
		c->format_opt = optarg;
		return -1;
	case OPT_ROTATE_SIZE:
		if (sw_parse_size(optarg, &so->rotate_size) || !so->rotate_size)
			return bad_value("rotate size", optarg,
					 "expected bytes > 0, with an optional k, M or G suffix");
		return -1;
	case OPT_ROTATE_INTERVAL:
		e = sw_parse_seconds(optarg, 1, 0xffffffffu, &v);
		if (e == -EOVERFLOW)
			return bad_value("rotate interval", optarg,
					 "above the maximum of 4294967295 seconds (49710 days)");
		if (e)
			return bad_value("rotate interval", optarg,
					 "expected seconds > 0, or a number with s, m, h or d");
		so->rotate_interval = v;
		return -1;
	case OPT_ROTATE_KEEP:
		if (sw_parse_u32(optarg, 1, 10000, &v))
			return bad_value("rotate keep", optarg, "expected 1..10000");
		so->rotate_keep = v;
		return -1;
	case OPT_QUEUE_LEN:
		if (sw_parse_u32(optarg, 1, 1u << 24, &v))
			return bad_value("queue length", optarg, "expected 1..16777216");
		so->queue_len = v;
		return -1;
	default:
		return -2;
	}
}

/*
 * Two outputs that are one file would write it twice over, and rotation
 * renames it under the other writer: records go missing, uncounted. Refused
 * by name while parsing (by_file false) and again, by device and inode,
 * once the outputs are open. Returns -1 to go on, else an exit code.
 */
static int check_same_output(const struct events_ctx *c, bool by_file)
{
	unsigned int a, b;

	char why[WHY_MAX];

	if (!sw_sink_specs_clash(c->specs, c->nspecs, by_file, &a, &b))
		return -1;
	snprintf(why, sizeof(why), "the same output as \"%s\" (each output goes once)",
		 c->specs[a]);
	return bad_output(c->specs[b], why);
}

/*
 * Why an output could not be opened. A local syslog socket that is not there
 * (or is no socket) means no syslog daemon listens on it: said so, with what
 * to do, rather than a bare "No such file or directory".
 */
static void open_error(const char *spec, int err, char *why, size_t n)
{
	const char *sock = !strcmp(spec, "syslog")	      ? "/dev/log" :
			   !strncmp(spec, "syslog+unix:", 12) ? spec + 12 :
								NULL;

	if (sock && (err == -ENOENT || err == -ENOTSOCK))
		snprintf(why, n,
			 "%s %s: no %ssyslog daemon seems to be listening there (start one, "
			 "such as rsyslog, or send to a remote one with syslog+udp://HOST:PORT "
			 "or syslog+tcp://HOST:PORT)",
			 sock, err == -ENOENT ? "does not exist" : "is not a socket",
			 sock == spec + 12 ? "" : "local ");
	else if (sock)
		snprintf(why, n, "%s: %s", sock, strerror(-err));
	else
		snprintf(why, n, "%s", sw_open_error(err));
}

/* Rotation options without a file output would silently do nothing: refuse them. */
static int check_rotation(const struct events_ctx *c)
{
	const struct sw_sink_opts *so = &c->sink_opts;
	unsigned int i;

	if (!so->rotate_size && !so->rotate_interval && !so->rotate_keep)
		return -1;
	for (i = 0; i < c->nspecs; i++)
		if (!strncmp(c->specs[i], "file:", 5))
			return -1;
	sw_err("--rotate-size, --rotate-interval and --rotate-keep need a file: output "
	       "(see 'sockwatch events --help')");
	return SW_EXIT_USAGE;
}

/*
 * The reader and the writers (created after this, they inherit it) run as
 * SCHED_BATCH: the same share of the CPU as any nice-0 task, so they keep up
 * and lose nothing, but a wake-up of theirs does not preempt the task that
 * is running. They drain work that has already waited up to BATCH_MS, and
 * preempting the traced workload on every wake-up cost it more than their
 * own CPU time did (docs/benchmarks.md). Failure only costs that: ignored.
 */
static void run_as_batch(bool verbose)
{
	struct sched_param sp = { .sched_priority = 0 };

	if (sched_setscheduler(0, SCHED_BATCH, &sp) && verbose)
		sw_err("cannot switch to SCHED_BATCH (%s): reading at normal priority",
		       strerror(errno));
}

/* Parses events options into o and ctx; returns -1 to go on, else an exit code. */
static int parse_events_opts(int argc, char **argv, struct sw_tracer_opts *o, struct events_ctx *c)
{
	static const int repeatable[] = { 'o', 0 };
	struct sw_opts_seen seen = {};
	int opt, ret;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":o:h" SW_COMMON_SHORTOPTS, events_opts, NULL)) !=
	       -1) {
		ret = sw_opt_once("events", opt, events_opts, repeatable, &seen);
		if (ret)
			return ret;
		ret = parse_output_opt(opt, c);
		if (ret != -2) {
			if (ret >= 0)
				return ret;
			continue;
		}
		switch (opt) {
		case OPT_STATES:
			o->states = true;
			break;
		case 'h':
			fputs(events_usage, stdout);
			return SW_EXIT_OK;
		default:
			ret = sw_common_opt("events", opt, optarg, argv, events_opts, o);
			if (ret)
				return ret < 0 ? SW_EXIT_USAGE : ret;
			break;
		}
	}
	if (optind < argc) {
		sw_err("unexpected argument '%s' (see 'sockwatch events --help')", argv[optind]);
		return SW_EXIT_USAGE;
	}
	ret = sw_format_conflict("events", c->json_opt, c->format_opt);
	if (ret)
		return ret;
	if (!c->nspecs)
		c->specs[c->nspecs++] = "stdout";
	ret = check_same_output(c, false);
	if (ret >= 0)
		return ret;
	return check_rotation(c);
}

static bool is_stdout(const char *spec)
{
	return !strcmp(spec, "stdout") || !strcmp(spec, "-");
}

/* Opens every -o output before anything is attached; returns -1 to go on, else an exit code. */
static int open_outputs(struct events_ctx *c)
{
	unsigned int i;
	int err;

	c->sink_opts.format = sw_format_line;
	c->sink_opts.format_ctx = &c->fmt;
	c->sink_opts.batch_wakeups = true; /* kicked once per poll batch */
	c->stdout_sink = -1;
	for (i = 0; i < c->nspecs; i++) {
		err = sw_sink_set_open(&c->sinks, c->specs[i], &c->sink_opts);
		if (err) {
			char why[WHY_MAX];

			open_error(c->specs[i], err, why, sizeof(why));
			sw_sink_set_close(&c->sinks);
			return bad_output(c->specs[i], why);
		}
	}
	err = check_same_output(c, true);
	if (err >= 0) {
		sw_sink_set_close(&c->sinks);
		return err;
	}
	if (c->nspecs == 1 && is_stdout(c->specs[0]))
		c->stdout_sink = 0;
	return -1;
}

/*
 * Whether the run should end because its only output, stdout, has no reader
 * any more: a write failed with EPIPE (`sockwatch events | head`) or, on a
 * terminal that hung up, EIO; or the wait saw it (watch_stdout()). Other
 * errors (a disk that is full) are counted, and the run goes on: its lost
 * records say what was lost once the output takes lines again.
 */
static bool output_gone(const struct events_ctx *c)
{
	struct sw_sink_stats st;

	if (c->stdout_sink < 0)
		return false;
	if (c->stdout_hung_up)
		return true;
	sw_sink_stats(c->sinks.sinks[c->stdout_sink], &st);
	return st.gone > 0;
}

/*
 * stdout as the only output is watched in the wait for records, so that a
 * reader that has gone ends the run at once, not at the next record written
 * (which in a quiet namespace may never come, while the programs stay
 * attached): a pipe or FIFO without a reader polls POLLERR, a terminal that
 * hung up POLLHUP. Only those: a socket's POLLERR can be a passing error,
 * and a file or /dev/null never goes away.
 */
static void watch_stdout(struct events_ctx *c)
{
	struct stat st;

	c->watch_fd = -1;
	if (c->stdout_sink < 0 || fstat(STDOUT_FILENO, &st))
		return;
	if (S_ISFIFO(st.st_mode) || (S_ISCHR(st.st_mode) && isatty(STDOUT_FILENO)))
		c->watch_fd = STDOUT_FILENO;
}

/*
 * Waits for records as sw_tracer_poll() would, and for the watched stdout to
 * go: poll(2) asks the descriptor each time, so a terminal hung up without a
 * wake-up for us (vhangup()) is seen within POLL_MS. Then reads the records.
 */
static int wait_and_poll(struct events_ctx *c, struct sw_tracer *t)
{
	struct pollfd p[2] = {
		{ .fd = sw_tracer_epoll_fd(t), .events = POLLIN },
		{ .fd = c->watch_fd, .events = 0 }, /* POLLERR and POLLHUP need no asking */
	};

	/* nothing watched: the tracer's own wait, without a second system call */
	if (c->watch_fd < 0)
		return sw_tracer_poll(t, POLL_MS);
	if (poll(p, 2, sw_tracer_wait_ms(t, POLL_MS)) > 0 && (p[1].revents & (POLLERR | POLLHUP)))
		c->stdout_hung_up = true;
	return sw_tracer_poll(t, 0);
}

struct closing {
	struct sw_sink *sink;
	struct sw_sink_stats st;
	int err;
	pthread_t thread;
	bool threaded;
};

static void *close_one(void *arg)
{
	struct closing *cl = arg;

	cl->err = sw_sink_close_stats(cl->sink, &cl->st);
	return NULL;
}

/*
 * Drains and closes every sink and prints its counters on stderr. The sinks
 * close in parallel, so that several dead receivers cost one bounded wait
 * (SW_SINK_DRAIN_MS), not one each.
 */
static void close_outputs(struct events_ctx *c)
{
	struct closing cl[SW_SINK_SET_MAX] = {};
	unsigned int i;

	for (i = 0; i < c->sinks.n; i++) {
		cl[i].sink = c->sinks.sinks[i];
		c->sinks.sinks[i] = NULL;
		cl[i].threaded = !pthread_create(&cl[i].thread, NULL, close_one, &cl[i]);
	}
	for (i = 0; i < c->sinks.n; i++) {
		if (cl[i].threaded)
			pthread_join(cl[i].thread, NULL);
		else
			close_one(&cl[i]);
		fprintf(stderr,
			"sockwatch: output \"%s\": %llu written, %llu dropped, %llu errors, "
			"%llu reconnects, %llu rotations%s\n",
			c->specs[i], cl[i].st.written, cl[i].st.dropped, cl[i].st.errors,
			cl[i].st.reconnects, cl[i].st.rotations,
			cl[i].err == -ETIMEDOUT ? " (gave up draining)" : "");
	}
	c->sinks.n = 0;
}

/* Column titles, only when the text goes to a terminal-like stdout (never into files). */
static void print_header(const struct events_ctx *c)
{
	char hdr[256];
	unsigned int i;

	if (c->fmt != SW_FMT_TEXT || sw_format_header(c->fmt, hdr, sizeof(hdr)) <= 0)
		return;
	for (i = 0; i < c->nspecs; i++) {
		if (is_stdout(c->specs[i])) {
			printf("%s\n", hdr);
			fflush(stdout);
			return;
		}
	}
}

int cmd_events(int argc, char **argv)
{
	struct sw_tracer_opts o = {};
	struct events_ctx c = { .fmt = SW_FMT_TEXT };
	struct sw_tracer *t;
	char err[768];
	int ret, n;

	ret = parse_events_opts(argc, argv, &o, &c);
	if (ret >= 0)
		return ret;
	/*
	 * Privileges and BTF before any output is opened: a run that cannot
	 * trace must not create files or connect to receivers. Bad output specs
	 * were refused (exit 2) while parsing, before this.
	 */
	ret = sw_preflight(err, sizeof(err));
	if (ret) {
		sw_err("%s", err);
		return sw_exit_for_open_error(ret);
	}
	run_as_batch(o.verbose);
	ret = open_outputs(&c);
	if (ret >= 0)
		return ret;

	sw_install_signals();
	sw_install_hup();
	/*
	 * While records flow, the kernel does not wake us for each one: they are
	 * read every BATCH_MS, so that the cost of a wake-up (ours and the
	 * writers') is shared by many records. Idle, the first record wakes us.
	 */
	o.batch_ms = BATCH_MS;
	o.ringbuf_bytes = RINGBUF_BYTES;
	ret = sw_tracer_open(&o, on_record, &c, &t, err, sizeof(err));
	if (ret) {
		sw_err("%s", err);
		sw_sink_set_close(&c.sinks);
		return sw_exit_for_open_error(ret);
	}
	sw_print_attached(t);
	print_header(&c);
	watch_stdout(&c);

	ret = SW_EXIT_OK;
	while (!sw_stop && !output_gone(&c)) {
		if (sw_hup) {
			sw_hup = 0;
			sw_sink_set_reopen(&c.sinks);
		}
		n = wait_and_poll(&c, t);
		if (n < 0) {
			sw_err("reading events failed: %s", strerror(-n));
			ret = SW_EXIT_FAILURE;
			break;
		}
		/* One wake-up of the writers per batch, not per record. */
		if (n > 0)
			sw_sink_set_kick(&c.sinks);
	}
	/*
	 * Stop recording, deliver everything recorded, and only then the
	 * summary: after the outputs have written their last line, so that it
	 * never lands among them, and with counters that no longer move.
	 */
	sw_tracer_detach(t);
	sw_tracer_final_drain(t);
	sw_sink_set_kick(&c.sinks);
	close_outputs(&c);
	sw_print_summary(t);
	sw_tracer_close(t);
	return ret;
}
