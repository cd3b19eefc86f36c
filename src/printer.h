/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* One call prints one field as a text detail, a JSON member or an ECS member (shared by the renderers). */
#ifndef SW_PRINTER_H
#define SW_PRINTER_H

#include <stdbool.h>
#include <stddef.h>

#include "format.h"
#include "strbuf.h"

/* Field printers are inlined: with literal names, the names' lengths are compile-time constants. */
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/*
 * Each field is printed by exactly one call below, which names it twice: its
 * native name (JSON members, " key=value" text details) and its ECS name
 * (dotted, e.g. "source.ip"). A NULL name leaves the field out of that
 * format. The printer decides whether a field becomes a padded text column,
 * a text detail, or a JSON member under the name of the chosen format.
 */
struct printer {
	struct sw_buf *b;
	enum sw_fmt fmt;
	/*
	 * JSON: what goes before the next member. Start with '{': the first
	 * member opens the object (every object has one), the others follow a ','.
	 */
	char sep;
};

static inline bool is_json(const struct printer *p)
{
	return p->fmt != SW_FMT_TEXT;
}

/* member_name() where the name may not fit: piece by piece, keeping what fits. */
static inline void member_name_checked(struct printer *p, const char *k, size_t n)
{
	if (is_json(p)) {
		sw_buf_putc(p->b, p->sep);
		sw_buf_putc(p->b, '"');
		sw_buf_write(p->b, k, n);
		sw_buf_puts(p->b, "\":");
		p->sep = ',';
	} else {
		sw_buf_putc(p->b, ' ');
		sw_buf_write(p->b, k, n);
		sw_buf_putc(p->b, '=');
	}
}

/*
 * Writes one member's name (n bytes) with what comes before and after it:
 * {"name": or ,"name": in JSON (see sep), " name=" in text. With one check
 * for the name and a value of up to room bytes: returns where the value goes,
 * to be written there unchecked and ended with sw_buf_commit(). NULL if they
 * may not fit: the name went in with checked writes (which keep what fits),
 * and so must the value.
 */
static __always_inline char *member_name(struct printer *p, const char *k, size_t n, size_t room)
{
	char *d = sw_buf_reserve(p->b, n + 4 + room);

	if (!d) {
		member_name_checked(p, k, n);
		return NULL;
	}
	if (!is_json(p)) {
		*d++ = ' ';
		d = sw_put(d, k, n);
		*d++ = '=';
		return d;
	}
	*d++ = p->sep;
	p->sep = ',';
	*d++ = '"';
	d = sw_put(d, k, n);
	*d++ = '"';
	*d++ = ':';
	return d;
}

/*
 * Starts a member under the format's name for it, with room for its value
 * (where it goes in *at, see member_name()); false if the format leaves it
 * out. Always inlined, and each name measured in its own branch: with literal
 * names the lengths are then compile-time constants (strlen of "fmt ? a : b"
 * is not).
 */
static __always_inline bool member_at(struct printer *p, const char *key, const char *ecs,
				      size_t room, char **at)
{
	if (p->fmt == SW_FMT_ECS) {
		if (!ecs)
			return false;
		*at = member_name(p, ecs, __builtin_strlen(ecs), room);
	} else {
		if (!key)
			return false;
		*at = member_name(p, key, __builtin_strlen(key), room);
	}
	return true;
}

/* Starts a member whose value is written with checked writes; false if the format leaves it out. */
static __always_inline bool member(struct printer *p, const char *key, const char *ecs)
{
	char *at;

	if (!member_at(p, key, ecs, 0, &at))
		return false;
	if (at)
		sw_buf_commit(p->b, at);
	return true;
}

static __always_inline void pr_uint(struct printer *p, const char *key, const char *ecs,
				    unsigned long long v)
{
	char *at;

	if (!member_at(p, key, ecs, SW_U64_DIGITS, &at))
		return;
	if (at)
		sw_buf_commit(p->b, sw_put_u64(at, v));
	else
		sw_buf_u64(p->b, v);
}

/*
 * n bytes that need no escaping: between double quotes if quote (a JSON
 * string), as they are if not (a number, a JSON literal, text).
 */
static __always_inline void pr_text(struct printer *p, const char *key, const char *ecs,
				    const char *s, size_t n, bool quote)
{
	char *at;

	if (!member_at(p, key, ecs, n + 2, &at))
		return;
	if (at)
		sw_buf_commit(p->b, quote ? sw_put_quoted(at, s, n) : sw_put(at, s, n));
	else if (quote)
		sw_buf_quoted(p->b, s, n);
	else
		sw_buf_write(p->b, s, n);
}

/* A string known to be plain ASCII without quotes (names from our tables). */
static __always_inline void pr_word(struct printer *p, const char *key, const char *ecs,
				    const char *s)
{
	pr_text(p, key, ecs, s, __builtin_strlen(s), is_json(p));
}

/* Untrusted bytes (process names, paths, command lines). */
static __always_inline void pr_bytes(struct printer *p, const char *key, const char *ecs,
				     const char *s, size_t n)
{
	if (!member(p, key, ecs))
		return;
	if (is_json(p))
		sw_buf_json_str(p->b, s, n);
	else
		sw_buf_term_str(p->b, s, n);
}

#endif /* SW_PRINTER_H */
