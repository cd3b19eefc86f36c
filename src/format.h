/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Renders one event record as a text line, a JSON object or an ECS document (docs/schema.md). */
#ifndef SW_FORMAT_H
#define SW_FORMAT_H

#include <stddef.h>

#include "event.h"

enum sw_fmt {
	SW_FMT_TEXT = 0, /* aligned human columns; untrusted text escaped for terminals */
	SW_FMT_JSON, /* one JSON object, valid for any bytes in process names */
	SW_FMT_ECS, /* the same as JSON under Elastic Common Schema names (dotted keys) */
};

/* Longest line a record can produce, with room to spare. */
#define SW_LINE_MAX 2048

/* Returns the length written (no newline), or -ENOSPC. */
int sw_format_record(const struct sw_record *r, enum sw_fmt fmt, char *buf, size_t size);
/* Column titles for text output; 0-length for JSON. */
int sw_format_header(enum sw_fmt fmt, char *buf, size_t size);
/* "text", "json" or "ecs"; -EINVAL otherwise. */
int sw_format_parse(const char *s, enum sw_fmt *fmt);
/* sw_format_record() as a sink line formatter (sw_format_fn); ctx points to an enum sw_fmt. */
int sw_format_line(const struct sw_record *r, void *ctx, char *buf, size_t size);

#endif /* SW_FORMAT_H */
