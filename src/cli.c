// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Helpers shared by the command-line verbs: signals, errors, number parsing, summaries. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "preflight.h"
#include "strbuf.h"

volatile sig_atomic_t sw_stop;
volatile sig_atomic_t sw_hup;

static void on_signal(int sig)
{
	sw_stop = sig;
}

static void on_hup(int sig)
{
	sw_hup = 1;
}

/*
 * SIGHUP (the terminal went away, a supervisor's stop) ends the run as
 * SIGTERM does: the ring buffer drained, a summary, everything detached. Its
 * default action killed the process with alerts still in the ring buffer.
 */
void sw_install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Verbs that write files take SIGHUP as "reopen" instead (after sw_install_signals()). */
void sw_install_hup(void)
{
	struct sigaction sa = { .sa_handler = on_hup };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
}

/*
 * One line on stderr. Whatever it quotes (an option's value, a path, a
 * kernel's message) is made safe for a terminal: control bytes, invalid
 * UTF-8 and bidi controls escaped as in all untrusted text.
 */
void sw_err(const char *fmt, ...)
{
	char msg[4096], line[4 * sizeof(msg)];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sw_term_line(line, sizeof(line), msg, strnlen(msg, sizeof(msg)));
	fprintf(stderr, "sockwatch: %s\n", line);
}

const char *sw_open_error(int err)
{
	if (err == -ELOOP)
		return "the path is a symlink (refusing to follow it)";
	/* a file: output's lock (src/sink_file.c) */
	if (err == -EBUSY)
		return "another process holds its lock (another sockwatch writing to it?)";
	return strerror(-err);
}

/* How long a write after SIGINT/SIGTERM may wait for a reader that does not read. */
#define STOP_WRITE_WAIT_MS 1000

int sw_write_stoppable(int fd, const char *buf, size_t n)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	ssize_t w;

	while (n) {
		/* stopping: a reader that has not read for a second is not waited for */
		if (sw_stop && poll(&p, 1, STOP_WRITE_WAIT_MS) == 0)
			return -EINTR;
		w = write(fd, buf, n);
		if (w < 0 && errno == EINTR) {
			if (sw_stop)
				return -EINTR; /* SIGINT/SIGTERM: the run ends, not a failure */
			continue;
		}
		if (w < 0)
			return -errno;
		buf += w;
		n -= w;
	}
	return 0;
}

int sw_stdout_end(const char *what, int ret)
{
	struct pollfd p = { .fd = STDOUT_FILENO, .events = POLLOUT };
	bool flushed;

	/* stopping: a reader that does not read is not waited for (the rest is dropped) */
	if (sw_stop && poll(&p, 1, STOP_WRITE_WAIT_MS) == 0)
		return ret;
	flushed = !fflush(stdout);
	if (flushed && !ferror(stdout))
		return ret;
	if (errno == EPIPE)
		return ret; /* the reader went away (`| head`): a normal end */
	/* SIGINT/SIGTERM interrupted a write to a reader that did not read: a normal stop */
	if (sw_stop && (flushed || errno == EINTR))
		return ret;
	sw_err("writing %s failed: %s", what, strerror(errno));
	return SW_EXIT_FAILURE;
}

void sw_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF &&
		    open("/dev/null", fd ? O_WRONLY : O_RDONLY) < 0)
			return; /* nowhere to say so either */
}

int sw_parse_u32(const char *s, __u32 min, __u32 max, __u32 *out)
{
	unsigned long long v;
	char *end;

	/* a digit first: strtoull() would skip white space, then take a sign and negate */
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = (__u32)v;
	return 0;
}

/* The number at s and its one-letter suffix (0 if none); -EINVAL / -ERANGE. */
static int parse_suffixed(const char *s, unsigned long long *v, char *suffix)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 10);
	*suffix = *end;
	if (*end && end[1])
		return -EINVAL;
	if (errno == ERANGE)
		return -ERANGE;
	return 0;
}

/* v * mul, or -ERANGE if that does not fit. */
static int scale(unsigned long long *v, unsigned long long mul)
{
	if (*v > ~0ULL / mul)
		return -ERANGE;
	*v *= mul;
	return 0;
}

int sw_parse_size(const char *s, unsigned long long *out)
{
	unsigned long long v, mul;
	char suffix;
	int err;

	err = parse_suffixed(s, &v, &suffix);
	if (err)
		return err;
	switch (suffix) {
	case '\0':
		mul = 1;
		break;
	case 'k':
	case 'K':
		mul = 1ULL << 10;
		break;
	case 'M':
		mul = 1ULL << 20;
		break;
	case 'G':
		mul = 1ULL << 30;
		break;
	default:
		return -EINVAL;
	}
	err = scale(&v, mul);
	if (err)
		return err;
	*out = v;
	return 0;
}

int sw_parse_seconds(const char *s, __u32 min, __u32 max, __u32 *out)
{
	unsigned long long v, mul;
	char suffix;
	int err;

	err = parse_suffixed(s, &v, &suffix);
	if (err == -EINVAL)
		return err;
	switch (suffix) {
	case '\0':
	case 's':
		mul = 1;
		break;
	case 'm':
		mul = 60;
		break;
	case 'h':
		mul = 3600;
		break;
	case 'd':
		mul = 86400;
		break;
	default:
		return -EINVAL;
	}
	/* well-formed, but too large even for an unsigned long long, or above max */
	if (err || scale(&v, mul) || v > max)
		return -EOVERFLOW;
	if (v < min)
		return -ERANGE;
	*out = (__u32)v;
	return 0;
}

int sw_exit_for_open_error(int err)
{
	switch (err) {
	case -EPERM:
	case -EACCES:
		return SW_EXIT_PERM;
	case -ENOENT:
	case -ENOTSUP:
	case -EINVAL:
	case -E2BIG:
	case -ESRCH:
		return SW_EXIT_KERNEL;
	default:
		return SW_EXIT_FAILURE;
	}
}

void sw_print_attached(const struct sw_tracer *t)
{
	enum sw_accept_exit ax = sw_tracer_accept_exit(t);
	enum sw_attach_mode mode = sw_tracer_mode(t);
	/* fentry mode's accept hook is the fexit; the exits are its fallback for
	 * acceptors blocked before the start. The other modes' accept hooks are
	 * the exits and, where the kernel allows, io_uring's completions. */
	bool fexit = mode == SW_ATTACH_FENTRY;
	bool uring = !fexit && !sw_tracer_uring_why(t);

	fprintf(stderr, "sockwatch: tracing (mode %s: %s inet_sock_set_state, %s%s%s)\n",
		sw_attach_mode_name(mode), sw_state_hook_name(sw_tracer_state_hook(t)),
		fexit			 ? "fentry tcp_connect, fexit inet_csk_accept + " :
		mode == SW_ATTACH_KPROBE ? "kprobe tcp_connect, " :
					   "",
		uring ? "io_uring_complete, " : "", sw_accept_exit_name(ax));
	if (sw_tracer_uring_why(t))
		fprintf(stderr, "sockwatch: accepts through io_uring will not be seen: %s\n",
			sw_tracer_uring_why(t));
	if (ax == SW_ACCEPT_EXIT_SYS_EXIT && *sw_tracer_syscall_tp_why(t))
		fprintf(stderr,
			"sockwatch: accept exits hooked on sys_exit, which runs on every "
			"syscall: %s\n",
			sw_tracer_syscall_tp_why(t));
	if (sw_tracer_no_sweep_why(t))
		fprintf(stderr,
			"sockwatch: no socket-map sweep: %s; a close the kernel never delivers "
			"would go unnoticed\n",
			sw_tracer_no_sweep_why(t));
	fflush(stderr);
}

void sw_startup_memory(bool starting)
{
	if (starting) {
		mallopt(M_MMAP_THRESHOLD, 64 << 20);
		mallopt(M_TRIM_THRESHOLD, 512 << 20);
		return;
	}
	/* glibc's defaults again (fixed, no longer adjusted), and the rest back. */
	mallopt(M_MMAP_THRESHOLD, 128 << 10);
	mallopt(M_TRIM_THRESHOLD, 128 << 10);
	malloc_trim(0);
}

void sw_print_snapshot_source(enum sw_snap_source src, const char *fallback)
{
	if (src == SW_SNAP_ITER)
		fprintf(stderr, "sockwatch: snapshot through bpf_iter (tcp, task_file)\n");
	else if (fallback && *fallback)
		fprintf(stderr,
			"sockwatch: snapshot through netlink sock_diag + /proc (bpf_iter "
			"unavailable: %s)\n",
			fallback);
	else
		fprintf(stderr, "sockwatch: snapshot through netlink sock_diag + /proc (forced)\n");
}

void sw_warn_snapshot_netns(unsigned int failed, __u64 ino, int err, const char *where)
{
	if (!failed)
		return;
	fprintf(stderr,
		"sockwatch: warning: %u network namespace%s could not be entered, %s sockets are "
		"missing from the snapshot (%snetns %llu from %s: %s)%s\n",
		failed, failed == 1 ? "" : "s", failed == 1 ? "its" : "their",
		failed == 1 ? "" : "first: ", (unsigned long long)ino, where, strerror(err),
		err == EPERM && !sw_has_cap(CAP_SYS_ADMIN) ?
			"; entering other network namespaces needs CAP_SYS_ADMIN (run as root)" :
			"");
}

/* The initial PID namespace's inode number (PROC_PID_INIT_INO, fixed since 3.8). */
#define PID_INIT_INO 0xeffffffcU

void sw_warn_pid_namespace(void)
{
	struct stat st;

	if (stat("/proc/self/ns/pid", &st) || st.st_ino == PID_INIT_INO)
		return;
	sw_err("warning: running in a PID namespace other than the host's: "
	       "the kernel names processes by their host pids, which /proc here may not "
	       "show (their ppid, exe and command line are then unknown)");
}

void sw_print_summary(struct sw_tracer *t)
{
	struct sw_counters c;
	bool any = false;

	sw_tracer_counters_full(t, &c);
	fprintf(stderr, "sockwatch: %llu events (", (unsigned long long)c.delivered);
	for (int k = 1; k < SW_EV_KIND_MAX; k++) {
		if (!c.by_kind[k])
			continue;
		fprintf(stderr, "%s%s %llu", any ? ", " : "", sw_kind_name(k),
			(unsigned long long)c.by_kind[k]);
		any = true;
	}
	fprintf(stderr,
		"%s), %llu lost in the ring buffer, %llu lost to kernel recursion, "
		"%llu socket-map evictions, %llu closes inferred by the sweep\n",
		any ? "" : "none", (unsigned long long)c.rb_drops,
		(unsigned long long)c.recursion_misses, (unsigned long long)c.evictions,
		(unsigned long long)c.inferred);
}

int sw_bad_value(const char *verb, const char *what, const char *val, const char *why)
{
	return sw_usage_err(verb, "invalid %s '%s': %s", what, val, why);
}

int sw_usage_err(const char *verb, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sw_err("%s (see 'sockwatch %s --help')", msg, verb);
	return SW_EXIT_USAGE;
}

/*
 * The long option that "--name=value" (arg) names, if it takes no value and
 * is the one getopt_long() reported in optopt; NULL otherwise. name may be
 * an abbreviation, as getopt_long() allows.
 */
static const struct option *valued_flag(const char *arg, int optopt_val,
					const struct option *longopts)
{
	const char *eq = strchr(arg, '=');
	size_t n;

	if (!longopts || strncmp(arg, "--", 2) || !eq)
		return NULL;
	arg += 2;
	n = eq - arg;
	for (const struct option *lo = longopts; lo->name; lo++)
		if (lo->has_arg == no_argument && !lo->flag && lo->val == optopt_val &&
		    !strncmp(lo->name, arg, n))
			return lo;
	return NULL;
}

/*
 * "ambiguous option '--st' (could be --states, --state-hook)" into msg when
 * arg ("--name" or "--name=value") abbreviates more than one long option, as
 * getopt_long() then refuses it; false (msg untouched) otherwise.
 */
static bool ambiguous(const char *arg, const struct option *longopts, char *msg, size_t n)
{
	const struct option *first = NULL;
	size_t len, at, count = 0;

	if (!longopts || strncmp(arg, "--", 2))
		return false;
	arg += 2;
	len = strcspn(arg, "=");
	if (!len)
		return false;
	for (const struct option *lo = longopts; lo->name; lo++) {
		if (strncmp(lo->name, arg, len))
			continue;
		/* getopt_long() takes two entries alike in all but their name as one */
		if (first && (lo->has_arg != first->has_arg || lo->flag != first->flag ||
			      lo->val != first->val))
			count++;
		if (!first) {
			first = lo;
			count = 1;
		}
	}
	if (count < 2)
		return false;
	at = snprintf(msg, n, "ambiguous option '--%.*s' (could be", (int)len, arg);
	for (const struct option *lo = longopts; lo->name && at < n; lo++)
		if (!strncmp(lo->name, arg, len))
			at += snprintf(msg + at, n - at, "%s --%s", lo == first ? "" : ",",
				       lo->name);
	if (at < n)
		snprintf(msg + at, n - at, ")");
	return true;
}

void sw_opt_error_msg(int opt, char **argv, const struct option *longopts, char *msg, size_t n)
{
	/*
	 * The element getopt_long() finished last. It is the offending one
	 * for a long option and for a short one that ended its cluster, but
	 * not inside a cluster ("-x4"): short options are named by optopt.
	 */
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	bool is_long = !strncmp(arg, "--", 2);
	const struct option *lo;

	if (opt == ':') {
		if (is_long)
			snprintf(msg, n, "option '%s' needs a value", arg);
		else
			snprintf(msg, n, "option '-%c' needs a value", optopt);
		return;
	}
	if (optopt == 0 && ambiguous(arg, longopts, msg, n))
		return;
	if (optopt == 0) /* an unknown long option */
		snprintf(msg, n, "unknown option '%.*s'", (int)strcspn(arg, "="), arg);
	else if ((lo = valued_flag(arg, optopt, longopts)))
		snprintf(msg, n, "option '--%s' takes no value", lo->name);
	else if (optopt > ' ' && optopt < 0x7f)
		snprintf(msg, n, "unknown option '-%c'", optopt);
	else
		snprintf(msg, n, "unknown option '-\\x%02x'", (unsigned char)optopt);
}

int sw_opt_error(const char *verb, int opt, char **argv, const struct option *longopts)
{
	char msg[256];

	sw_opt_error_msg(opt, argv, longopts, msg, sizeof(msg));
	sw_err("%s (see 'sockwatch %s --help')", msg, verb);
	return SW_EXIT_USAGE;
}

int sw_opt_once(const char *verb, int opt, const struct option *longopts, const int *repeatable,
		struct sw_opts_seen *seen)
{
	const struct option *lo = NULL;
	unsigned char bit;

	if (opt < 0 || (size_t)opt >= 8 * sizeof(seen->bits))
		return 0;
	for (const struct option *o = longopts; o && o->name && !lo; o++)
		if (!o->flag && o->val == opt)
			lo = o;
	if (!lo || lo->has_arg != required_argument)
		return 0;
	for (; repeatable && *repeatable; repeatable++)
		if (*repeatable == opt)
			return 0;
	bit = 1u << (opt % 8);
	if (!(seen->bits[opt / 8] & bit)) {
		seen->bits[opt / 8] |= bit;
		return 0;
	}
	sw_err("option '--%s' given twice (see 'sockwatch %s --help')", lo->name, verb);
	return SW_EXIT_USAGE;
}

int sw_format_conflict(const char *verb, bool json, const char *format)
{
	if (!json || !format || !strcmp(format, "json"))
		return 0;
	sw_err("--json and --format %s conflict: --json is --format json (see 'sockwatch %s "
	       "--help')",
	       format, verb);
	return SW_EXIT_USAGE;
}

int sw_common_opt(const char *verb, int opt, const char *arg, char **argv,
		  const struct option *longopts, struct sw_tracer_opts *o)
{
	__u32 v;

	switch (opt) {
	case 'p':
		if (sw_parse_u32(arg, 1, 4194304, &v))
			return sw_bad_value(verb, "pid", arg, "expected 1..4194304");
		o->pid = v;
		return 0;
	case SW_OPT_PORT:
		if (sw_parse_u32(arg, 1, 65535, &v))
			return sw_bad_value(verb, "port", arg, "expected 1..65535");
		o->port = v;
		return 0;
	case '4':
	case '6':
		if (o->family && o->family != (opt == '4' ? SW_AF_INET : SW_AF_INET6)) {
			/* both would match nothing: say so rather than let the last win */
			sw_err("-4 and -6 exclude each other; leave both out for either family "
			       "(see 'sockwatch %s --help')",
			       verb);
			return SW_EXIT_USAGE;
		}
		o->family = opt == '4' ? SW_AF_INET : SW_AF_INET6;
		return 0;
	case SW_OPT_COMM:
		if (!*arg || strlen(arg) >= SW_COMM_LEN)
			return sw_bad_value(verb, "comm", arg, "expected 1..15 bytes");
		o->comm = arg;
		return 0;
	case SW_OPT_NETNS:
		if (sw_parse_u32(arg, 1, 0xffffffffu, &v))
			return sw_bad_value(verb, "netns", arg, "expected an inode number");
		o->netns = v;
		return 0;
	case SW_OPT_ATTACH:
		if (sw_attach_mode_parse(arg, &o->attach))
			return sw_bad_value(verb, "attach mode", arg,
					    "expected auto, fentry, kprobe or tracepoint");
		return 0;
	case SW_OPT_STATE_HOOK:
		if (!strcmp(arg, "tp_btf"))
			o->state_hook = SW_STATE_HOOK_TP_BTF;
		else if (!strcmp(arg, "raw_tp"))
			o->state_hook = SW_STATE_HOOK_RAW_TP;
		else
			return sw_bad_value(verb, "state hook", arg, "expected tp_btf or raw_tp");
		return 0;
	case SW_OPT_MAX_SOCKETS:
		if (sw_parse_u32(arg, SW_MAX_SOCKETS_MIN, SW_MAX_SOCKETS_MAX, &v))
			return sw_bad_value(verb, "max-sockets", arg, "expected 256..4194304");
		o->max_sockets = v;
		return 0;
	case 'v':
		o->verbose = true;
		return 0;
	case ':':
	case '?':
		return sw_opt_error(verb, opt, argv, longopts);
	default:
		return -1;
	}
}
