/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A bounded output buffer over caller memory, and escaping of untrusted bytes into it. */
#ifndef SW_STRBUF_H
#define SW_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct sw_buf {
	char *p;
	size_t len;
	size_t cap; /* bytes of p, including the terminating NUL */
	bool overflow; /* something did not fit: the content is truncated */
};

/* The most decimal digits of a 64-bit number. */
#define SW_U64_DIGITS 20

/* An empty buffer over cap bytes at mem (inline: every formatted line starts with one). */
static inline void sw_buf_init(struct sw_buf *b, char *mem, size_t cap)
{
	b->p = mem;
	b->len = 0;
	b->cap = cap;
	b->overflow = false;
	if (cap)
		mem[0] = '\0';
}

/* sw_buf_write() when n bytes do not fit: what fits, and the overflow flag. */
void sw_buf_write_slow(struct sw_buf *b, const char *s, size_t n);
__attribute__((format(printf, 2, 3))) void sw_buf_printf(struct sw_buf *b, const char *fmt, ...);
/* sw_put_u64() for numbers of more than one digit. */
char *sw_put_u64_long(char *d, unsigned long long v);

/*
 * v in decimal at d (room for SW_U64_DIGITS bytes, no NUL); returns the end.
 * A single digit (the schema version, a family, the many zero counts) inline.
 */
static inline char *sw_put_u64(char *d, unsigned long long v)
{
	if (v >= 10)
		return sw_put_u64_long(d, v);
	*d = '0' + v;
	return d + 1;
}

/* v in decimal (what "%llu" prints, without printf's cost). */
void sw_buf_u64(struct sw_buf *b, unsigned long long v);

/*
 * n (at most 16) bytes from s to d, without a call to memcpy: two fixed-size
 * copies that may overlap. Most strings a record is made of are that short.
 */
static inline void sw_copy_short(char *d, const char *s, size_t n)
{
	if (n >= 8) {
		__builtin_memcpy(d, s, 8);
		__builtin_memcpy(d + n - 8, s + n - 8, 8);
	} else if (n >= 4) {
		__builtin_memcpy(d, s, 4);
		__builtin_memcpy(d + n - 4, s + n - 4, 4);
	} else if (n) {
		d[0] = s[0];
		d[n / 2] = s[n / 2];
		d[n - 1] = s[n - 1];
	}
}

/* n bytes from s to d: inline moves for short or constant lengths, memcpy otherwise. */
static inline void sw_copy(char *d, const char *s, size_t n)
{
	if (!__builtin_constant_p(n) && n <= 16)
		sw_copy_short(d, s, n);
	else
		__builtin_memcpy(d, s, n);
}

/* n bytes from s at d; returns the end. */
static inline char *sw_put(char *d, const char *s, size_t n)
{
	sw_copy(d, s, n);
	return d + n;
}

/*
 * Where the next n bytes go if they (and the NUL after them) fit, NULL if not.
 * A field whose length is known, or bounded, checks its room once, writes
 * there without further checks and ends with sw_buf_commit(); when NULL it
 * takes the checked writes below, which keep what fits.
 */
static inline char *sw_buf_reserve(struct sw_buf *b, size_t n)
{
	return b->len + n < b->cap ? b->p + b->len : NULL;
}

/* Ends a write into reserved room at end (no further than the room reserved). */
static inline void sw_buf_commit(struct sw_buf *b, char *end)
{
	*end = '\0';
	b->len = end - b->p;
}

/* Inline: formatting a record makes dozens of short writes, often of constant length. */
static inline void sw_buf_write(struct sw_buf *b, const char *s, size_t n)
{
	char *d = sw_buf_reserve(b, n);

	if (!d) {
		sw_buf_write_slow(b, s, n);
		return;
	}
	sw_buf_commit(b, sw_put(d, s, n));
}

static inline void sw_buf_putc(struct sw_buf *b, char c)
{
	if (b->len + 2 > b->cap) {
		b->overflow = true;
		return;
	}
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

/* Inline, so that the length of a literal is known at compile time. */
static inline void sw_buf_puts(struct sw_buf *b, const char *s)
{
	sw_buf_write(b, s, __builtin_strlen(s));
}

/* n bytes that need no escaping at d, between double quotes (a JSON string); returns the end. */
static inline char *sw_put_quoted(char *d, const char *s, size_t n)
{
	*d++ = '"';
	d = sw_put(d, s, n);
	*d++ = '"';
	return d;
}

/* sw_put_quoted() into the buffer, with one check (or as much as fits). */
static inline void sw_buf_quoted(struct sw_buf *b, const char *s, size_t n)
{
	char *d = sw_buf_reserve(b, n + 2);

	if (d) {
		sw_buf_commit(b, sw_put_quoted(d, s, n));
		return;
	}
	sw_buf_putc(b, '"');
	sw_buf_write(b, s, n);
	sw_buf_putc(b, '"');
}

/*
 * Pads with spaces up to column width, counted in terminal cells from from
 * (sw_text_width(): a CJK character takes two, a combining mark none).
 */
void sw_buf_pad(struct sw_buf *b, size_t from, size_t width);

/*
 * Decodes one UTF-8 sequence at s (n bytes available). Returns its length and
 * the code point in *cp, or 0 if the bytes are not valid UTF-8 (overlong,
 * surrogate, beyond U+10FFFF, truncated).
 */
size_t sw_utf8_decode(const unsigned char *s, size_t n, unsigned int *cp);
/*
 * Whether a code point can act on a terminal or reorder what it shows:
 * control characters (C0, DEL, C1), bidi controls and overrides (U+061C,
 * U+200E, U+200F, U+202A..U+202E, U+2066..U+2069), the line and paragraph
 * separators and the BOM. What sw_buf_term_str() escapes, with
 * invalid UTF-8.
 */
bool sw_term_unsafe(unsigned int cp);
/* Space characters (Unicode Zs) beyond ASCII: a reader sees a gap there too. */
bool sw_wide_space(unsigned int cp);
/* A JSON string literal (with quotes) for any bytes; invalid UTF-8 becomes U+FFFD. */
void sw_buf_json_str(struct sw_buf *b, const char *s, size_t n);
/*
 * Text that cannot act on a terminal: control characters (C0, DEL, C1), bidi
 * overrides and invalid UTF-8 become \xNN (or \u{NNNN}); a backslash becomes \\.
 */
void sw_buf_term_str(struct sw_buf *b, const char *s, size_t n);
/*
 * Whether untrusted text must be quoted to stay one value of a text line
 * (" key=value" fields, whitespace-separated columns): it is empty, is "-"
 * (which stands for an unknown value there), or holds a space (ASCII or
 * Unicode), an '=' or a double quote.
 */
bool sw_text_needs_quotes(const char *s, size_t n);
/*
 * sw_buf_term_str() for one value of a text line: between double quotes,
 * with a double quote inside as \" (a backslash is \\ anyway), when
 * sw_text_needs_quotes(); as it is otherwise. Text a process controls can
 * then never forge another field.
 */
void sw_buf_term_value(struct sw_buf *b, const char *s, size_t n);
/*
 * sw_buf_term_value() (value) or sw_buf_term_str() in at most cells terminal
 * cells: if it takes more, the longest run of whole characters (an escape
 * is one: never cut inside it or inside a UTF-8 sequence) that fits with a
 * '+' after it, inside the quotes of a quoted value. Returns whether it was
 * cut.
 */
bool sw_buf_term_fit(struct sw_buf *b, const char *s, size_t n, bool value, size_t cells);
/* Drops a UTF-8 sequence cut short at the end (what a truncated buffer may hold). */
void sw_buf_trim_utf8(struct sw_buf *b);
/*
 * An error message that quotes untrusted text, as one line safe for a
 * terminal: the len bytes of msg into dst (size bytes), what
 * sw_buf_term_str() escapes escaped the same way (a backslash stays one:
 * the message's own text has them), cut at a character boundary if they do
 * not fit.
 */
void sw_term_line(char *dst, size_t size, const char *msg, size_t len);

#endif /* SW_STRBUF_H */
