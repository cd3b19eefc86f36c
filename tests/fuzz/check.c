// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Checkers of JSON, terminal-safe text and RFC 5424 lines for the fuzz targets (check.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

struct cur {
	const unsigned char *s;
	size_t n, i;
	const char *why;
	int depth;
};

static bool fail(struct cur *c, const char *why)
{
	if (!c->why)
		c->why = why;
	return false;
}

/*
 * One UTF-8 scalar value at c->i (RFC 3629, table 3-7 of Unicode: the
 * well-formed byte sequences); advances and returns it, or -1.
 */
static long utf8_next(struct cur *c)
{
	const unsigned char *p = c->s + c->i;
	size_t left = c->n - c->i;
	unsigned char lo = 0x80, hi = 0xbf;
	long v;
	size_t len;

	if (p[0] <= 0x7f) {
		c->i++;
		return p[0];
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		v = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		v = p[0] & 0x0f;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		v = p[0] & 0x07;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else {
		return -1;
	}
	if (left < len || p[1] < lo || p[1] > hi)
		return -1;
	for (size_t k = 1; k < len; k++) {
		if (k > 1 && (p[k] < 0x80 || p[k] > 0xbf))
			return -1;
		v = (v << 6) | (p[k] & 0x3f);
	}
	c->i += len;
	return v;
}

static bool is_c1(long v)
{
	return v >= 0x80 && v <= 0x9f;
}

static void skip_ws(struct cur *c)
{
	while (c->i < c->n && (c->s[c->i] == ' ' || c->s[c->i] == '\t' || c->s[c->i] == '\n' ||
			       c->s[c->i] == '\r'))
		c->i++;
}

static bool lit(struct cur *c, const char *w)
{
	size_t len = strlen(w);

	if (c->n - c->i < len || memcmp(c->s + c->i, w, len))
		return fail(c, "bad literal");
	c->i += len;
	return true;
}

static int hexval(unsigned char h)
{
	if (h >= '0' && h <= '9')
		return h - '0';
	if (h >= 'a' && h <= 'f')
		return h - 'a' + 10;
	if (h >= 'A' && h <= 'F')
		return h - 'A' + 10;
	return -1;
}

static long hex4(struct cur *c)
{
	long v = 0;

	if (c->n - c->i < 4)
		return -1;
	for (int k = 0; k < 4; k++) {
		int h = hexval(c->s[c->i + k]);

		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	c->i += 4;
	return v;
}

static bool string(struct cur *c)
{
	long v;

	if (c->i >= c->n || c->s[c->i] != '"')
		return fail(c, "expected a string");
	c->i++;
	for (;;) {
		if (c->i >= c->n)
			return fail(c, "unterminated string");
		if (c->s[c->i] == '"') {
			c->i++;
			return true;
		}
		if (c->s[c->i] < 0x20)
			return fail(c, "raw control character in a string");
		if (c->s[c->i] == '\\') {
			c->i++;
			if (c->i >= c->n)
				return fail(c, "unterminated escape");
			switch (c->s[c->i++]) {
			case '"':
			case '\\':
			case '/':
			case 'b':
			case 'f':
			case 'n':
			case 'r':
			case 't':
				continue;
			case 'u':
				v = hex4(c);
				if (v < 0)
					return fail(c, "bad \\u escape");
				/* a surrogate must come as a high-low pair */
				if (v >= 0xdc00 && v <= 0xdfff)
					return fail(c, "lone low surrogate");
				if (v >= 0xd800 && v <= 0xdbff) {
					if (c->n - c->i < 2 || c->s[c->i] != '\\' ||
					    c->s[c->i + 1] != 'u')
						return fail(c, "lone high surrogate");
					c->i += 2;
					v = hex4(c);
					if (v < 0xdc00 || v > 0xdfff)
						return fail(c, "bad surrogate pair");
				}
				continue;
			default:
				return fail(c, "bad escape");
			}
		}
		v = utf8_next(c);
		if (v < 0)
			return fail(c, "invalid UTF-8 in a string");
		if (v == 0x7f || is_c1(v) || v == 0x2028 || v == 0x2029)
			return fail(c, "unescaped DEL, C1 control or line separator");
	}
}

static bool digits(struct cur *c)
{
	size_t from = c->i;

	while (c->i < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '9')
		c->i++;
	return c->i > from || fail(c, "expected digits");
}

static bool number(struct cur *c)
{
	if (c->i < c->n && c->s[c->i] == '-')
		c->i++;
	if (c->i < c->n && c->s[c->i] == '0')
		c->i++;
	else if (!digits(c))
		return false;
	if (c->i < c->n && c->s[c->i] == '.') {
		c->i++;
		if (!digits(c))
			return false;
	}
	if (c->i < c->n && (c->s[c->i] == 'e' || c->s[c->i] == 'E')) {
		c->i++;
		if (c->i < c->n && (c->s[c->i] == '+' || c->s[c->i] == '-'))
			c->i++;
		if (!digits(c))
			return false;
	}
	return true;
}

static bool value(struct cur *c);

static bool members(struct cur *c, char close, bool keyed)
{
	if (++c->depth > 64)
		return fail(c, "nested too deep");
	c->i++;
	skip_ws(c);
	if (c->i < c->n && c->s[c->i] == close) {
		c->i++;
		c->depth--;
		return true;
	}
	for (;;) {
		skip_ws(c);
		if (keyed) {
			if (!string(c))
				return false;
			skip_ws(c);
			if (c->i >= c->n || c->s[c->i] != ':')
				return fail(c, "expected ':'");
			c->i++;
		}
		if (!value(c))
			return false;
		skip_ws(c);
		if (c->i < c->n && c->s[c->i] == ',') {
			c->i++;
			continue;
		}
		if (c->i < c->n && c->s[c->i] == close) {
			c->i++;
			c->depth--;
			return true;
		}
		return fail(c, "expected ',' or the end of an object or array");
	}
}

static bool value(struct cur *c)
{
	skip_ws(c);
	if (c->i >= c->n)
		return fail(c, "expected a value");
	switch (c->s[c->i]) {
	case '{':
		return members(c, '}', true);
	case '[':
		return members(c, ']', false);
	case '"':
		return string(c);
	case 't':
		return lit(c, "true");
	case 'f':
		return lit(c, "false");
	case 'n':
		return lit(c, "null");
	default:
		if (c->s[c->i] == '-' || (c->s[c->i] >= '0' && c->s[c->i] <= '9'))
			return number(c);
		return fail(c, "unexpected character");
	}
}

bool fz_json_object(const char *s, size_t n, const char **why, size_t *at)
{
	struct cur c = { .s = (const unsigned char *)s, .n = n };
	bool ok;

	skip_ws(&c);
	ok = c.i < n && s[c.i] == '{' ? value(&c) : fail(&c, "not an object");
	if (ok) {
		skip_ws(&c);
		if (c.i != n)
			ok = fail(&c, "bytes after the object");
	}
	*why = c.why;
	*at = c.i;
	return ok;
}

bool fz_term_safe(const char *s, size_t n, const char **why, size_t *at)
{
	struct cur c = { .s = (const unsigned char *)s, .n = n };
	long v;

	while (c.i < n) {
		*at = c.i;
		v = utf8_next(&c);
		if (v < 0) {
			*why = "invalid UTF-8";
			return false;
		}
		if (v < 0x20 || v == 0x7f || is_c1(v)) {
			*why = "control character";
			return false;
		}
		if (v == 0x061c || v == 0x200e || v == 0x200f || (v >= 0x202a && v <= 0x202e) ||
		    (v >= 0x2066 && v <= 0x2069) || v == 0x2028 || v == 0x2029 || v == 0xfeff) {
			*why = "bidi control, line separator or BOM";
			return false;
		}
	}
	return true;
}

/* A header field of 1..max PRINTUSASCII bytes ending at a space. */
static bool field(struct cur *c, size_t max, const char *what)
{
	size_t from = c->i;

	while (c->i < c->n && c->s[c->i] != ' ') {
		if (c->s[c->i] < 33 || c->s[c->i] > 126)
			return fail(c, what);
		c->i++;
	}
	if (c->i == from || c->i - from > max || c->i >= c->n)
		return fail(c, what);
	c->i++;
	return true;
}

/* SD-NAME: 1..32 PRINTUSASCII except '=', ' ', ']' and '"'. */
static bool sd_name(struct cur *c)
{
	size_t from = c->i;

	while (c->i < c->n && c->s[c->i] >= 33 && c->s[c->i] <= 126 && c->s[c->i] != '=' &&
	       c->s[c->i] != ']' && c->s[c->i] != '"')
		c->i++;
	return (c->i > from && c->i - from <= 32) || fail(c, "bad SD-NAME");
}

static bool sd_element(struct cur *c)
{
	c->i++; /* '[' */
	if (!sd_name(c))
		return false;
	for (;;) {
		if (c->i < c->n && c->s[c->i] == ']') {
			c->i++;
			return true;
		}
		if (c->i >= c->n || c->s[c->i] != ' ')
			return fail(c, "expected ' ' or ']' in SD");
		c->i++;
		if (!sd_name(c))
			return false;
		if (c->n - c->i < 2 || c->s[c->i] != '=' || c->s[c->i + 1] != '"')
			return fail(c, "expected =\" in SD");
		c->i += 2;
		for (;;) {
			if (c->i >= c->n)
				return fail(c, "unterminated PARAM-VALUE");
			if (c->s[c->i] == '"')
				break;
			if (c->s[c->i] == ']')
				return fail(c, "unescaped ']' in PARAM-VALUE");
			if (c->s[c->i] == '\\') {
				if (c->i + 1 >= c->n)
					return fail(c, "unterminated PARAM-VALUE");
				c->i += 2;
				continue;
			}
			if (utf8_next(c) < 0)
				return fail(c, "invalid UTF-8 in PARAM-VALUE");
		}
		c->i++;
	}
}

bool fz_syslog_5424(const char *s, size_t n, const char **msg, size_t *msglen, const char **why,
		    size_t *at)
{
	struct cur c = { .s = (const unsigned char *)s, .n = n };
	unsigned int pri = 0;
	size_t from;
	bool ok = false;

	if (n < 1 || s[0] != '<') {
		fail(&c, "no PRI");
		goto out;
	}
	c.i = 1;
	from = c.i;
	while (c.i < n && s[c.i] >= '0' && s[c.i] <= '9' && c.i - from < 3)
		pri = pri * 10 + (unsigned int)(s[c.i++] - '0');
	if (c.i == from || pri > 191 || (c.i - from > 1 && s[from] == '0') || c.i >= n ||
	    s[c.i] != '>') {
		fail(&c, "bad PRI");
		goto out;
	}
	c.i++;
	if (n - c.i < 2 || s[c.i] != '1' || s[c.i + 1] != ' ') {
		fail(&c, "bad VERSION");
		goto out;
	}
	c.i += 2;
	if (!field(&c, 64, "bad TIMESTAMP") || !field(&c, 255, "bad HOSTNAME") ||
	    !field(&c, 48, "bad APP-NAME") || !field(&c, 128, "bad PROCID") ||
	    !field(&c, 32, "bad MSGID"))
		goto out;
	if (c.i < n && s[c.i] == '-') {
		c.i++;
	} else if (c.i < n && s[c.i] == '[') {
		while (c.i < n && s[c.i] == '[')
			if (!sd_element(&c))
				goto out;
	} else {
		fail(&c, "no STRUCTURED-DATA");
		goto out;
	}
	if (c.i < n && s[c.i] != ' ') {
		fail(&c, "no space after STRUCTURED-DATA");
		goto out;
	}
	*msg = c.i < n ? s + c.i + 1 : s + n;
	*msglen = c.i < n ? n - c.i - 1 : 0;
	ok = true;
out:
	*why = c.why;
	*at = c.i;
	return ok;
}

void fz_fail(const char *what, const char *why, const char *s, size_t n, size_t at)
{
	fprintf(stderr, "FUZZ CHECK FAILED: %s: %s at byte %zu of %zu\n", what, why ? why : "?", at,
		n);
	fprintf(stderr, "output: ");
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 0x20 && ch < 0x7f && ch != '\\')
			fputc(ch, stderr);
		else
			fprintf(stderr, "\\x%02x", ch);
	}
	fputc('\n', stderr);
	abort();
}
