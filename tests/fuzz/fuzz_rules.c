// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Fuzz target: the --rules language. Mode 0: any text is parsed (an error has
 * a message naming its line; a success is matched against a listener and a
 * remote address made from the input); an error is one line, safe for a
 * terminal, naming the file. Mode 1: --learn writes the rules of a
 * listener whose comm, exe and user hold any bytes; they must be text a
 * person can review (every line valid UTF-8 without controls, bidi
 * controls or BOM: what cannot be shown is escaped), parse back and allow
 * that very listener.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fuzz.h"
#include "rules.h"
#include "sockwatch.h"

static void listener(struct fz_in *in, struct sw_listener_info *l, char *comm, char *exe,
		     char *user)
{
	__u8 bits;

	l->family = fz_u8(in) & 1 ? SW_AF_INET6 : SW_AF_INET;
	fz_take(in, l->addr, sizeof(l->addr));
	l->port = 1 + fz_u16(in) % 65535; /* a listener has a port */
	l->uid = fz_u32(in);
	if (l->uid == 0xffffffffu) /* "no uid": never a socket's owner */
		l->uid = 0;
	l->netns = fz_u32(in);
	bits = fz_u8(in);
	l->host_netns = bits & 1;
	l->uid_known = !(bits & 2); /* a record without owner has no uid */
	fz_cstr(in, comm, 16);
	fz_cstr(in, exe, 512); /* as procinfo reads it: SW_EXE_MAX */
	fz_cstr(in, user, 64);
	l->comm = comm[0] ? comm : NULL;
	l->exe = exe[0] ? exe : NULL;
	l->user = user[0] ? user : NULL;
}

static void parse_any(struct fz_in *in)
{
	struct sw_listener_info l = { 0 };
	char comm[16], exe[512], user[64], err[512];
	char *text = malloc(in->n + 1);
	struct sw_rules *r = NULL;
	size_t split = in->n > 80 ? in->n - 80 : 0;
	const char *why = 0;
	__u8 addr[16];
	size_t at = 0;
	int rc, line;

	if (!text)
		abort();
	/* the text first, then what the listener is made of */
	memcpy(text, in->p, split);
	text[split] = '\0';
	in->p += split;
	in->n -= split;
	err[0] = '\0';
	rc = sw_rules_parse_string(text, "fuzz.rules", &r, err, sizeof(err));
	if (rc < 0) {
		if (r || strncmp(err, "fuzz.rules:", 11))
			fz_fail("rules", "an error without a message naming the file", err,
				strlen(err), 0);
		if (!fz_term_safe(err, strlen(err), &why, &at))
			fz_fail("rules error", why, err, strlen(err), at);
	} else {
		listener(in, &l, comm, exe, user);
		sw_rules_allow_listener(r, &l, &line);
		fz_take(in, addr, sizeof(addr));
		sw_rules_deny_remote(r, l.family, addr, fz_u16(in), &line);
		sw_rules_free(r);
	}
	free(text);
}

/* Each line of text (without its '\n') is safe to show (check.h). */
static void terminal_safe_lines(const char *text, size_t len)
{
	const char *why = NULL, *nl;
	size_t at = 0, off = 0, n;

	while (off < len) {
		nl = memchr(text + off, '\n', len - off);
		n = nl ? (size_t)(nl - text) - off : len - off;
		if (!fz_term_safe(text + off, n, &why, &at))
			fz_fail("rules learn", why, text, len, off + at);
		off += n + 1;
	}
}

static void learn_round_trip(struct fz_in *in)
{
	struct sw_listener_info l = { 0 };
	char comm[16], exe[512], user[64], err[512];
	struct sw_rules *r = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc, line = 0;

	if (!f)
		abort();
	listener(in, &l, comm, exe, user);
	rc = sw_rules_learn(f, &l, 1);
	fclose(f);
	if (rc < 0)
		fz_fail("rules learn", "learn failed", text, len, 0);
	terminal_safe_lines(text, len);
	err[0] = '\0';
	if (sw_rules_parse_string(text, "learned", &r, err, sizeof(err)) < 0)
		fz_fail("rules learn", err, text, len, 0);
	if (!sw_rules_allow_listener(r, &l, &line))
		fz_fail("rules learn", "the learned rules do not allow their listener", text, len,
			0);
	sw_rules_free(r);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };

	if (fz_u8(&in) & 1)
		learn_round_trip(&in);
	else
		parse_any(&in);
	return 0;
}
