/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Verb entry points, exit codes and option helpers shared by the command-line verbs. */
#ifndef SW_CLI_H
#define SW_CLI_H

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <linux/types.h>

#include "snapshot.h"
#include "tracer.h"

/* Exit codes (documented in README.md and sockwatch --help). */
enum sw_exit {
	SW_EXIT_OK = 0,
	SW_EXIT_FAILURE = 1, /* runtime failure */
	SW_EXIT_USAGE = 2, /* bad option or value, bad rules file */
	SW_EXIT_PERM = 3, /* not root and missing CAP_BPF/CAP_PERFMON */
	SW_EXIT_KERNEL = 4, /* kernel lacks BTF or refused the programs */
	SW_EXIT_ALERT = 5, /* listen --exit-on-alert: an unexpected listener appeared */
};

/*
 * Options every tracing verb takes. Long-option values below SW_OPT_VERB are
 * these; each verb numbers its own from SW_OPT_VERB.
 */
enum {
	SW_OPT_PORT = 256,
	SW_OPT_COMM,
	SW_OPT_NETNS,
	SW_OPT_ATTACH,
	SW_OPT_STATE_HOOK,
	SW_OPT_MAX_SOCKETS,
	SW_OPT_VERB = 300,
};

#define SW_COMMON_SHORTOPTS "p:46v"
#define SW_COMMON_LONGOPTS                                                                         \
	{ "pid", required_argument, NULL, 'p' }, { "port", required_argument, NULL, SW_OPT_PORT }, \
		{ "comm", required_argument, NULL, SW_OPT_COMM },                                  \
		{ "netns", required_argument, NULL, SW_OPT_NETNS },                                \
		{ "attach", required_argument, NULL, SW_OPT_ATTACH },                              \
		{ "state-hook", required_argument, NULL, SW_OPT_STATE_HOOK },                      \
		{ "max-sockets", required_argument, NULL, SW_OPT_MAX_SOCKETS },                    \
	{                                                                                          \
		"verbose", no_argument, NULL, 'v'                                                  \
	}
#define SW_COMMON_HELP                                                                     \
	"  -p, --pid PID        only sockets owned by process PID\n"                       \
	"      --port PORT      only sockets with local or remote port PORT\n"             \
	"  -4, -6               only IPv4 / only IPv6\n"                                   \
	"      --comm NAME      only events whose comm is NAME: the acting thread's\n"     \
	"                       name (exact, 15 bytes max; -p takes whole processes)\n"    \
	"      --netns INODE    only sockets in the network namespace with this inode\n"   \
	"      --attach MODE    auto, fentry, kprobe or tracepoint (default auto)\n"       \
	"      --state-hook H   tp_btf or raw_tp (default: tp_btf if the kernel has it)\n" \
	"      --max-sockets N  sockets whose owner the kernel side keeps at once\n"       \
	"                       (default 65536; beyond it the oldest are forgotten)\n"     \
	"  -v, --verbose        libbpf and attach details on stderr\n"                     \
	"  -h, --help           this help\n"

/* The snapshot option of the verbs that take one (top, listen). */
#define SW_SNAPSHOT_HELP                                                                 \
	"      --snapshot SRC   how existing sockets are listed: auto (bpf_iter, else\n" \
	"                       netlink sock_diag + /proc), iter or diag (default auto)\n"

/* Which options a command line gave so far (sw_opt_once()). */
struct sw_opts_seen {
	unsigned char bits[64]; /* one per option value below 512 */
};

/*
 * Refuses an option that takes a value and was given before: the last value
 * silently winning would drop the first (a filter, a rules file). Options in
 * repeatable (0-terminated, may be NULL), and flags (no value), may come
 * again. Returns 0, or SW_EXIT_USAGE after "option '--X' given twice" with
 * verb's usage hint. Call it for every option getopt_long() returns.
 */
int sw_opt_once(const char *verb, int opt, const struct option *longopts, const int *repeatable,
		struct sw_opts_seen *seen);
/*
 * --json is --format json: with a --format that names another format (given
 * before or after it), the two conflict. Returns 0, or SW_EXIT_USAGE after
 * one line. format is --format's value, NULL if not given.
 */
int sw_format_conflict(const char *verb, bool json, const char *format);

/*
 * Handles one option of the common set for verb (longopts: the verb's
 * table, for error messages). Returns 0 if it was one, SW_EXIT_USAGE
 * (after one error line) if its value is bad or getopt reported a missing
 * value or an unknown option, -1 if it is the verb's own.
 */
int sw_common_opt(const char *verb, int opt, const char *arg, char **argv,
		  const struct option *longopts, struct sw_tracer_opts *o);
/*
 * What getopt_long() (with opterr = 0) reported as ':' (a value missing) or
 * '?' (an unknown option, or a value given to an option that takes none),
 * as one message into msg: "unknown option '-x'", "option '--json' takes
 * no value", "option '--netns' needs a value", "ambiguous option '--st'
 * (could be --states, --state-hook)". Call it right after
 * getopt_long() returned opt, with the same argv and longopts.
 */
void sw_opt_error_msg(int opt, char **argv, const struct option *longopts, char *msg, size_t n);
/* sw_opt_error_msg() as an error line with a hint for verb; returns SW_EXIT_USAGE. */
int sw_opt_error(const char *verb, int opt, char **argv, const struct option *longopts);
/* "invalid WHAT 'VAL': WHY (see 'sockwatch VERB --help')"; returns SW_EXIT_USAGE. */
int sw_bad_value(const char *verb, const char *what, const char *val, const char *why);
/*
 * A usage error of verb: "sockwatch: MSG (see 'sockwatch VERB --help')", one
 * line, as every usage error says it; returns SW_EXIT_USAGE.
 */
__attribute__((format(printf, 2, 3))) int sw_usage_err(const char *verb, const char *fmt, ...);

/* Set by SIGINT, SIGTERM and SIGHUP (until sw_install_hup()). */
extern volatile sig_atomic_t sw_stop;
void sw_install_signals(void);
/* Set by SIGHUP once sw_install_hup() ran (events: reopen the output files). */
extern volatile sig_atomic_t sw_hup;
void sw_install_hup(void);

/* Prints "sockwatch: <msg>" to stderr, escaped for a terminal (sw_term_line()). */
__attribute__((format(printf, 1, 2))) void sw_err(const char *fmt, ...);
/*
 * Opens /dev/null on whichever of stdin, stdout and stderr is closed, before
 * anything else is opened: otherwise an output file or an epoll descriptor
 * would become fd 1 or 2, and get the records twice or the diagnostics.
 */
void sw_std_fds(void);
/*
 * A warning on stderr if sockwatch runs in a PID namespace other than the
 * initial one: the kernel side reports host pids, /proc here may show others.
 */
void sw_warn_pid_namespace(void);
/*
 * After a command's last write to stdout: ret, or SW_EXIT_FAILURE with a
 * message naming what could not be written. A reader that went away (EPIPE)
 * is a normal end, as for `sockwatch events | head`.
 */
int sw_stdout_end(const char *what, int ret);
/*
 * Writes all of buf to fd, through partial writes and EINTR: 0 or -errno.
 * -EINTR only once SIGINT/SIGTERM came (sw_stop): a write that a signal
 * interrupted, or, after it, a reader that did not read for a second. What
 * of buf was written then stays written (a line may be cut short).
 */
int sw_write_stoppable(int fd, const char *buf, size_t n);
/* Why an output path could not be opened (-errno; -ELOOP: a symlink, -EBUSY: a file locked). */
const char *sw_open_error(int err);
/* Range-checked decimal digits (nothing before or after them); -EINVAL / -ERANGE. */
int sw_parse_u32(const char *s, __u32 min, __u32 max, __u32 *out);
/* A byte count with an optional k, M or G suffix (powers of 1024); -EINVAL / -ERANGE. */
int sw_parse_size(const char *s, unsigned long long *out);
/*
 * Seconds, or a number with an s, m, h or d suffix ("30m", "1h"): -EINVAL if
 * malformed, -ERANGE if below min, -EOVERFLOW if above max.
 */
int sw_parse_seconds(const char *s, __u32 min, __u32 max, __u32 *out);
/* Maps a tracer_open error to an exit code. */
int sw_exit_for_open_error(int err);
/* Prints the startup line that says what was attached (scripts wait for it). */
void sw_print_attached(const struct sw_tracer *t);
/*
 * Start-up (the tracer, the snapshot, the table) frees and allocates tens of
 * MiB: libbpf reads the kernel's 5 MiB of BTF into fresh memory for each BPF
 * object, then the snapshot and the table grow. sw_startup_memory(true) keeps
 * freed memory for reuse instead of returning it to the kernel and faulting
 * fresh pages in again (page faults are dear on the build VMs: ~100 ms of a
 * 20k-socket `top --once`); sw_startup_memory(false) gives it back.
 */
void sw_startup_memory(bool starting);
/* -v: which source took the snapshot, and why auto fell back to sock_diag. */
void sw_print_snapshot_source(enum sw_snap_source src, const char *fallback);
/*
 * A warning line when the snapshot could not enter some network namespaces
 * (their sockets are missing from it); nothing when it entered all.
 */
void sw_warn_snapshot_netns(unsigned int failed, __u64 ino, int err, const char *where);
/* Prints the exit summary: events by kind, drops, evictions. */
void sw_print_summary(struct sw_tracer *t);

int cmd_events(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_listen(int argc, char **argv);

#endif /* SW_CLI_H */
