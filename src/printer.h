/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* One call prints one field as a text detail, a JSON member or an ECS member (shared by the renderers). */
#ifndef SW_PRINTER_H
#define SW_PRINTER_H

#include <stdbool.h>
#include <stddef.h>

#include "format.h"
#include "strbuf.h"

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
	bool first;
};

static inline bool is_json(const struct printer *p)
{
	return p->fmt != SW_FMT_TEXT;
}

/* Writes one member's name (n bytes) with what comes before and after it. */
static inline __attribute__((always_inline)) void member_name(struct printer *p, const char *k,
							      size_t n)
{
	if (is_json(p)) {
		if (p->first)
			sw_buf_putc(p->b, '"');
		else
			sw_buf_write(p->b, ",\"", 2);
		sw_buf_write(p->b, k, n);
		sw_buf_write(p->b, "\":", 2);
	} else {
		sw_buf_putc(p->b, ' ');
		sw_buf_write(p->b, k, n);
		sw_buf_putc(p->b, '=');
	}
	p->first = false;
}

/*
 * Starts a member under the format's name for it; false if the format leaves it out.
 * Always inlined, and each name measured in its own branch: with literal names the
 * lengths are then compile-time constants (strlen of "fmt ? a : b" is not).
 */
static inline __attribute__((always_inline)) bool member(struct printer *p, const char *key,
							 const char *ecs)
{
	if (p->fmt == SW_FMT_ECS) {
		if (!ecs)
			return false;
		member_name(p, ecs, __builtin_strlen(ecs));
	} else {
		if (!key)
			return false;
		member_name(p, key, __builtin_strlen(key));
	}
	return true;
}

static inline __attribute__((always_inline)) void pr_uint(struct printer *p, const char *key,
							  const char *ecs, unsigned long long v)
{
	if (member(p, key, ecs))
		sw_buf_u64(p->b, v);
}

/* A string known to be plain ASCII without quotes (names from our tables). */
static inline __attribute__((always_inline)) void pr_word(struct printer *p, const char *key,
							  const char *ecs, const char *s)
{
	if (!member(p, key, ecs))
		return;
	if (is_json(p)) {
		sw_buf_putc(p->b, '"');
		sw_buf_puts(p->b, s);
		sw_buf_putc(p->b, '"');
	} else {
		sw_buf_puts(p->b, s);
	}
}

/* Untrusted bytes (process names, paths, command lines). */
static inline void pr_bytes(struct printer *p, const char *key, const char *ecs, const char *s,
			    size_t n)
{
	if (!member(p, key, ecs))
		return;
	if (is_json(p))
		sw_buf_json_str(p->b, s, n);
	else
		sw_buf_term_str(p->b, s, n);
}

#endif /* SW_PRINTER_H */
