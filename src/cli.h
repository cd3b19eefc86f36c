/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Verb entry points, exit codes and option helpers shared by the command-line verbs. */
#ifndef SW_CLI_H
#define SW_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <linux/types.h>

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

/* Set by SIGINT/SIGTERM. */
extern volatile sig_atomic_t sw_stop;
void sw_install_signals(void);
/* Set by SIGHUP once sw_install_hup() ran (events: reopen the output files). */
extern volatile sig_atomic_t sw_hup;
void sw_install_hup(void);

/* Prints "sockwatch: <msg>" to stderr. */
__attribute__((format(printf, 1, 2))) void sw_err(const char *fmt, ...);
/* Range-checked decimal parsing; -EINVAL / -ERANGE. */
int sw_parse_u32(const char *s, __u32 min, __u32 max, __u32 *out);
/* A byte count with an optional k, M or G suffix (powers of 1024); -EINVAL / -ERANGE. */
int sw_parse_size(const char *s, unsigned long long *out);
/* Seconds, or a number with an s, m, h or d suffix ("30m", "1h"); -EINVAL / -ERANGE. */
int sw_parse_seconds(const char *s, __u32 min, __u32 max, __u32 *out);
/* Maps a tracer_open error to an exit code. */
int sw_exit_for_open_error(int err);
/* Prints the startup line that says what was attached (scripts wait for it). */
void sw_print_attached(const struct sw_tracer *t);
/* Prints the exit summary: events by kind, drops, evictions. */
void sw_print_summary(struct sw_tracer *t);

int cmd_events(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_listen(int argc, char **argv);

#endif /* SW_CLI_H */
