// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A bounded output buffer over caller memory, and escaping of untrusted bytes into it. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "strbuf.h"
#include "textwidth.h"

void sw_buf_write_slow(struct sw_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->overflow = true;
		n = b->cap > b->len + 1 ? b->cap - b->len - 1 : 0;
	}
	if (n) /* a buffer of no room may have no memory (NULL) */
		memcpy(b->p + b->len, s, n);
	b->len += n;
	if (b->cap)
		b->p[b->len] = '\0';
}

static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324"
				     "25262728293031323334353637383940414243444546474849"
				     "50515253545556575859606162636465666768697071727374"
				     "75767778798081828384858687888990919293949596979899";

/* 10^i: the smallest number with i + 1 digits (for i > 0). */
static const unsigned long long pow10[SW_U64_DIGITS] = {
	1ULL,
	10ULL,
	100ULL,
	1000ULL,
	10000ULL,
	100000ULL,
	1000000ULL,
	10000000ULL,
	100000000ULL,
	1000000000ULL,
	10000000000ULL,
	100000000000ULL,
	1000000000000ULL,
	10000000000000ULL,
	100000000000000ULL,
	1000000000000000ULL,
	10000000000000000ULL,
	100000000000000000ULL,
	1000000000000000000ULL,
	10000000000000000000ULL,
};

/*
 * Decimal digits of v, from its bit length: a number of b bits has
 * floor(b * log10(2)) or one more digits (1233 / 4096 is log10(2) to four
 * places), and one comparison tells which. v | 1 has the same digits as v and
 * gives 0 the one digit it has.
 */
static unsigned int dec_len(unsigned long long v)
{
	unsigned long long u = v | 1;
	unsigned int n = (64 - __builtin_clzll(u)) * 1233 >> 12;

	return n + (u >= pow10[n]);
}

/* Two digits (r < 100) before end; returns where they start. */
static inline char *put_2digits(char *end, unsigned int r)
{
	end -= 2;
	memcpy(end, &digit_pairs[2 * r], 2);
	return end;
}

/* The digits of v (as many as it has), backwards from end. */
static inline void put_dec_at(char *end, unsigned long long v)
{
	unsigned int w;

	/* 64-bit divisions only while v needs them: most numbers fit in 32 bits */
	for (; v > 0xffffffffULL; v /= 100)
		end = put_2digits(end, v % 100);
	/* four digits per division (two pairs from the table), then two */
	for (w = v; w >= 10000; w /= 10000) {
		unsigned int r = w % 10000;

		end = put_2digits(end, r % 100);
		end = put_2digits(end, r / 100);
	}
	if (w >= 100) {
		end = put_2digits(end, w % 100);
		w /= 100;
	}
	if (w >= 10)
		put_2digits(end, w);
	else
		end[-1] = '0' + w;
}

char *sw_put_u64_long(char *d, unsigned long long v)
{
	char *end = d + dec_len(v);

	put_dec_at(end, v);
	return end;
}

void sw_buf_u64(struct sw_buf *b, unsigned long long v)
{
	char *d = sw_buf_reserve(b, SW_U64_DIGITS);
	char tmp[SW_U64_DIGITS];

	if (d)
		sw_buf_commit(b, sw_put_u64(d, v)); /* straight into the buffer: no copy */
	else
		sw_buf_write(b, tmp, sw_put_u64(tmp, v) - tmp);
}

void sw_buf_printf(struct sw_buf *b, const char *fmt, ...)
{
	size_t room = b->cap > b->len ? b->cap - b->len : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= room) {
		b->overflow = true;
		b->len = room ? b->cap - 1 : b->len;
		return;
	}
	b->len += n;
}

void sw_buf_pad(struct sw_buf *b, size_t from, size_t width)
{
	static const char spaces[32] = "                                ";
	size_t used = sw_text_width(b->p + from, b->len - from), n;

	while (used < width && !b->overflow) {
		n = width - used;
		n = n < sizeof(spaces) ? n : sizeof(spaces);
		sw_buf_write(b, spaces, n);
		used += n;
	}
}

size_t sw_utf8_decode(const unsigned char *s, size_t n, unsigned int *cp)
{
	unsigned int c = s[0], min;
	size_t len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/*
 * Bytes a JSON string cannot hold as they are: controls, '"', '\\', and DEL
 * and beyond (UTF-8 to check, C1 controls to escape). All others are plain.
 */
static const bool json_special[256] = {
	[0 ... 0x1f] = true,
	['"'] = true,
	['\\'] = true,
	[0x7f ... 0xff] = true,
};

static bool json_plain(unsigned char c)
{
	return !json_special[c];
}

/* How many of the n bytes at u, from the first, are plain. */
static size_t json_plain_run(const unsigned char *u, size_t n)
{
	size_t len = 0;

	while (len < n && json_plain(u[len]))
		len++;
	return len;
}

/*
 * sw_buf_json_str() for bytes that are not all plain. Out of line, so that
 * the usual case saves no registers for it.
 */
static __attribute__((noinline)) void json_str_escaped(struct sw_buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, len;
	unsigned int cp;

	sw_buf_putc(b, '"');
	while (i < n) {
		/* runs of plain bytes in one copy */
		len = json_plain_run(u + i, n - i);
		if (len) {
			sw_buf_write(b, s + i, len);
			i += len;
			continue;
		}
		len = sw_utf8_decode(u + i, n - i, &cp);
		if (!len) {
			sw_buf_puts(b, "\\ufffd");
			i++;
			continue;
		}
		if (cp == '"' || cp == '\\') {
			sw_buf_putc(b, '\\');
			sw_buf_putc(b, (char)cp);
		} else if (cp == '\n') {
			sw_buf_puts(b, "\\n");
		} else if (cp == '\t') {
			sw_buf_puts(b, "\\t");
		} else if (cp == '\r') {
			sw_buf_puts(b, "\\r");
		} else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || cp == 0x2028 ||
			   cp == 0x2029) {
			/* Control characters, and the two line separators that break
			 * JavaScript consumers, as \u escapes. */
			sw_buf_printf(b, "\\u%04x", cp);
		} else {
			sw_buf_write(b, s + i, len);
		}
		i += len;
	}
	sw_buf_putc(b, '"');
}

void sw_buf_json_str(struct sw_buf *b, const char *s, size_t n)
{
	/* the usual name: nothing to escape, one write */
	if (json_plain_run((const unsigned char *)s, n) == n)
		sw_buf_quoted(b, s, n);
	else
		json_str_escaped(b, s, n);
}

bool sw_term_unsafe(unsigned int cp)
{
	/* The bidi controls (Unicode's Bidi_Control: U+061C, U+200E, U+200F,
	 * U+202A..U+202E, U+2066..U+2069) reorder what follows them. */
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || cp == 0x061c ||
	       (cp >= 0x200e && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029 || cp == 0xfeff;
}

/* Room for the longest text one character becomes, "\\u{10ffff}" and its NUL, to spare. */
#define TERM_UNIT_MAX 24

/*
 * How sw_buf_term_str() writes the character at u (n > 0 bytes left; with
 * dquote a double quote as \" too, inside a quoted value; with keep_bs a
 * backslash as it is, a message whose own text has backslashes:
 * sw_term_line()): into out (TERM_UNIT_MAX bytes) *outlen bytes, which
 * take *cells on a terminal. Returns how many bytes at u it stands for.
 */
static inline size_t term_unit(const unsigned char *u, size_t n, bool dquote, bool keep_bs,
			       char *out, size_t *outlen, size_t *cells)
{
	unsigned int cp;
	size_t len = sw_utf8_decode(u, n, &cp);
	int k;

	if (!len) {
		k = snprintf(out, TERM_UNIT_MAX, "\\x%02x", u[0]);
		len = 1;
	} else if (cp == '\\' && !keep_bs) {
		k = snprintf(out, TERM_UNIT_MAX, "\\\\");
	} else if (cp == '"' && dquote) {
		k = snprintf(out, TERM_UNIT_MAX, "\\\"");
	} else if (cp < 0x80 && sw_term_unsafe(cp)) {
		k = snprintf(out, TERM_UNIT_MAX, "\\x%02x", cp);
	} else if (sw_term_unsafe(cp)) {
		k = snprintf(out, TERM_UNIT_MAX, "\\u{%x}", cp);
	} else {
		memcpy(out, u, len);
		*outlen = len;
		*cells = cp < 0x300 ? 1 : (size_t)sw_cp_width(cp);
		return len;
	}
	if (k < 0 || k >= TERM_UNIT_MAX)
		k = 0; /* cannot happen */
	*outlen = *cells = (size_t)k; /* ASCII */
	return len;
}

/* sw_buf_term_str(), with term_unit()'s dquote and keep_bs. */
static void term_escape(struct sw_buf *b, const char *s, size_t n, bool dquote, bool keep_bs)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, outlen, cells;
	char out[TERM_UNIT_MAX];

	while (i < n) {
		i += term_unit(u + i, n - i, dquote, keep_bs, out, &outlen, &cells);
		sw_buf_write(b, out, outlen);
	}
}

void sw_buf_term_str(struct sw_buf *b, const char *s, size_t n)
{
	term_escape(b, s, n, false, false);
}

bool sw_wide_space(unsigned int cp)
{
	return cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x202f ||
	       cp == 0x205f || cp == 0x3000;
}

bool sw_text_needs_quotes(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned int cp;
	size_t len;

	/* "-" is how text lines say "unknown": a value that is "-" is quoted */
	if (!n || (n == 1 && s[0] == '-'))
		return true;
	for (size_t i = 0; i < n; i++) {
		if (u[i] == ' ' || u[i] == '=' || u[i] == '"')
			return true;
		/* a continuation byte does not decode: only lead bytes are looked at */
		len = u[i] >= 0x80 ? sw_utf8_decode(u + i, n - i, &cp) : 0;
		if (len && sw_wide_space(cp))
			return true;
	}
	return false;
}

void sw_buf_term_value(struct sw_buf *b, const char *s, size_t n)
{
	if (!sw_text_needs_quotes(s, n)) {
		term_escape(b, s, n, false, false);
		return;
	}
	sw_buf_putc(b, '"');
	term_escape(b, s, n, true, false);
	sw_buf_putc(b, '"');
}

bool sw_buf_term_fit(struct sw_buf *b, const char *s, size_t n, bool value, size_t cells)
{
	const unsigned char *u = (const unsigned char *)s;
	bool quote = value && sw_text_needs_quotes(s, n);
	size_t i, len, outlen, w, total = quote ? 2 : 0, room;
	char out[TERM_UNIT_MAX];

	for (i = 0; i < n; i += len) {
		len = term_unit(u + i, n - i, quote, false, out, &outlen, &w);
		total += w;
	}
	if (total <= cells) {
		if (quote)
			sw_buf_putc(b, '"');
		term_escape(b, s, n, quote, false);
		if (quote)
			sw_buf_putc(b, '"');
		return false;
	}
	/* Whole characters (an escape is one) up to the cut, then the mark:
	 * the quotes and the mark take 3 cells, or the mark alone 1. */
	room = quote ? 3 : 1;
	room = cells > room ? cells - room : 0;
	if (quote)
		sw_buf_putc(b, '"');
	for (i = 0; i < n; i += len) {
		len = term_unit(u + i, n - i, quote, false, out, &outlen, &w);
		if (w > room)
			break;
		sw_buf_write(b, out, outlen);
		room -= w;
	}
	sw_buf_putc(b, '+');
	if (quote)
		sw_buf_putc(b, '"');
	return true;
}

void sw_buf_trim_utf8(struct sw_buf *b)
{
	const unsigned char *u = (const unsigned char *)b->p;
	size_t i = b->len, back;
	unsigned int cp;

	/* the last lead byte, at most three continuation bytes back */
	for (back = 1; back <= 4 && back <= i; back++) {
		if ((u[i - back] & 0xc0) == 0x80)
			continue;
		if (u[i - back] >= 0x80 && !sw_utf8_decode(u + i - back, back, &cp))
			b->len = i - back;
		break;
	}
	if (b->cap)
		b->p[b->len] = '\0';
}

void sw_term_line(char *dst, size_t size, const char *msg, size_t len)
{
	struct sw_buf b;

	sw_buf_init(&b, dst, size);
	term_escape(&b, msg, len, false, true);
	if (b.overflow)
		sw_buf_trim_utf8(&b);
}
