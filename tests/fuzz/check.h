/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Independent checkers of what the renderers promise, for the fuzz targets:
 * a strict JSON (RFC 8259) validator, a terminal-safety check and an RFC 5424
 * syslog line check. Written from the specifications, sharing no code with
 * src/, so that a bug in the renderers' own UTF-8 or escaping code cannot
 * hide itself.
 */
#ifndef SW_FUZZ_CHECK_H
#define SW_FUZZ_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Is s[0..n) exactly one JSON object (RFC 8259), with every string valid
 * UTF-8 and free of U+2028/U+2029 and C1 controls? On failure, *why says
 * what and *at where (byte offset).
 */
bool fz_json_object(const char *s, size_t n, const char **why, size_t *at);

/*
 * Can s[0..n) not act on a terminal: valid UTF-8, no C0 control (tab
 * included), DEL, C1 control, bidi control, line/paragraph separator or
 * BOM, and no NUL?
 */
bool fz_term_safe(const char *s, size_t n, const char **why, size_t *at);

/*
 * Is s[0..n) an RFC 5424 message: "<PRI>1 SP TIMESTAMP SP HOSTNAME SP
 * APP-NAME SP PROCID SP MSGID SP SD [SP MSG]", header fields PRINTUSASCII
 * within their lengths, the structured data well formed (PARAM-VALUE with
 * '"', '\\' and ']' escaped). The MSG part is returned in *msg, *msglen.
 */
bool fz_syslog_5424(const char *s, size_t n, const char **msg, size_t *msglen, const char **why,
		    size_t *at);

/* Calls abort() with a message naming the check, the input and what failed. */
void fz_fail(const char *what, const char *why, const char *s, size_t n, size_t at);

#endif /* SW_FUZZ_CHECK_H */
