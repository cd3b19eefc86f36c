/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* One call prints one field, as a " key=value" text detail or a JSON member (shared by the renderers). */
#ifndef SW_PRINTER_H
#define SW_PRINTER_H

#include <stdbool.h>
#include <stddef.h>

#include "format.h"
#include "strbuf.h"

/*
 * Each field is printed by exactly one call; the printer decides whether
 * it becomes a padded text column, a " key=value" text detail or a JSON member.
 */
struct printer {
	struct sw_buf *b;
	enum sw_fmt fmt;
	bool first;
};

static inline void member(struct printer *p, const char *key)
{
	if (p->fmt == SW_FMT_JSON) {
		sw_buf_puts(p->b, p->first ? "\"" : ",\"");
		sw_buf_puts(p->b, key);
		sw_buf_puts(p->b, "\":");
	} else {
		sw_buf_printf(p->b, " %s=", key);
	}
	p->first = false;
}

static inline void pr_uint(struct printer *p, const char *key, unsigned long long v)
{
	member(p, key);
	sw_buf_printf(p->b, "%llu", v);
}

/* A string known to be plain ASCII without quotes (names from our tables). */
static inline void pr_word(struct printer *p, const char *key, const char *s)
{
	member(p, key);
	if (p->fmt == SW_FMT_JSON)
		sw_buf_printf(p->b, "\"%s\"", s);
	else
		sw_buf_puts(p->b, s);
}

/* Untrusted bytes (process names). */
static inline void pr_bytes(struct printer *p, const char *key, const char *s, size_t n)
{
	member(p, key);
	if (p->fmt == SW_FMT_JSON)
		sw_buf_json_str(p->b, s, n);
	else
		sw_buf_term_str(p->b, s, n);
}

#endif /* SW_PRINTER_H */
