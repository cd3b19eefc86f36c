/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The --rules language: which listeners are expected and which remote networks are flagged. */
#ifndef SW_RULES_H
#define SW_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#include "addr.h"

/* Longest accepted line, not counting the newline (docs/rules.md). */
#define SW_RULES_LINE_MAX 4096
/* Largest accepted rules file. */
#define SW_RULES_FILE_MAX (1024 * 1024)

struct sw_rules;

/* What the matcher sees of one listener. */
struct sw_listener_info {
	unsigned int family; /* SW_AF_INET / SW_AF_INET6 */
	__u8 addr[16]; /* bind address, network order (v4 in the first 4 bytes) */
	__u16 port;
	const char *comm; /* may be NULL if unknown */
	const char *exe; /* may be NULL */
	__u32 uid; /* meaningful only if uid_known */
	/*
	 * The owner's uid (or, with no owner left, the socket's own) is known.
	 * False (the zero value) for a record without owner: its uid field is 0
	 * then, which is not root, and no 'user'/'uid' matcher holds.
	 */
	bool uid_known;
	const char *user; /* may be NULL */
	__u32 netns;
	bool host_netns;
};

/*
 * Parse a rules file. On error returns -errno and writes one line to err:
 * "PATH:LINE: message" for a bad rule, "PATH: message" if the file cannot be
 * read. *out is only set on success.
 */
int sw_rules_load(const char *path, struct sw_rules **out, char *err, size_t errlen);
/* Same for rules held in a string; name stands for the path in messages. */
int sw_rules_parse_string(const char *text, const char *name, struct sw_rules **out, char *err,
			  size_t errlen);
void sw_rules_free(struct sw_rules *r);
/*
 * Appends from's rules after into's (a second --rules file): matching keeps
 * file order, the first file's rules first. Takes from (freed) on success;
 * -ENOMEM leaves both as they were.
 */
int sw_rules_merge(struct sw_rules *into, struct sw_rules *from);
/* How many files (or named strings) the rules came from: 0 for NULL, 1 unless merged. */
size_t sw_rules_nfiles(const struct sw_rules *r);
/* How many allow listen and deny remote rules were loaded (either pointer may be NULL). */
void sw_rules_counts(const struct sw_rules *r, size_t *nallow, size_t *ndeny);

/*
 * True if an allow rule matches; *line (optional) gets the first matching
 * rule's line number. r == NULL (no rules file) allows nothing: every
 * listener is unexpected.
 */
bool sw_rules_allow_listener(const struct sw_rules *r, const struct sw_listener_info *l, int *line);
/* The same, and *file (optional) gets the path (or name) of the file the rule is in. */
bool sw_rules_allow_listener_at(const struct sw_rules *r, const struct sw_listener_info *l,
				int *line, const char **file);
/*
 * True if the remote address/port is on a deny list; *line as above.
 * r == NULL denies nothing.
 */
bool sw_rules_deny_remote(const struct sw_rules *r, unsigned int family, const __u8 *addr,
			  __u16 port, int *line);
/* The same, with the rule's file in *file (optional). */
bool sw_rules_deny_remote_at(const struct sw_rules *r, unsigned int family, const __u8 *addr,
			     __u16 port, int *line, const char **file);
/*
 * The networks of the deny remote rules, into out (up to max); returns how
 * many there are. They pre-filter connect attempts in the kernel
 * (sw_tracer_opts.connect_nets): ports are left to sw_rules_deny_remote().
 */
size_t sw_rules_deny_nets(const struct sw_rules *r, struct sw_net *out, size_t max);
/* Writes one allow rule per listener, deduplicated, with a header comment; -errno on I/O error. */
int sw_rules_learn(FILE *out, const struct sw_listener_info *ls, size_t n);

#endif /* SW_RULES_H */
