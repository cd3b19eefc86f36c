// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests: JSON and terminal escaping of hostile bytes, UTF-8 decoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "strbuf.h"

static const char *json(const char *s, size_t n)
{
	static char mem[512];
	struct sw_buf b;

	sw_buf_init(&b, mem, sizeof(mem));
	sw_buf_json_str(&b, s, n);
	return mem;
}

static const char *term(const char *s, size_t n)
{
	static char mem[512];
	struct sw_buf b;

	sw_buf_init(&b, mem, sizeof(mem));
	sw_buf_term_str(&b, s, n);
	return mem;
}

#define J(lit) json(lit, sizeof(lit) - 1)
#define T(lit) term(lit, sizeof(lit) - 1)

static void json_plain_and_quotes(void **state)
{
	assert_string_equal(J("curl"), "\"curl\"");
	assert_string_equal(J("a\"b\\c"), "\"a\\\"b\\\\c\"");
	assert_string_equal(J(""), "\"\"");
}

static void json_control_bytes(void **state)
{
	assert_string_equal(J("\x1b[2J\x07"), "\"\\u001b[2J\\u0007\"");
	assert_string_equal(J("a\nb\tc\r"), "\"a\\nb\\tc\\r\"");
	assert_string_equal(J("\x7f"), "\"\\u007f\"");
	/* a NUL inside the given length is escaped, not a terminator */
	assert_string_equal(json("a\0b", 3), "\"a\\u0000b\"");
	/* C1 controls (U+0080..U+009F) and the JS line separators */
	assert_string_equal(J("\xc2\x9b"
			      "31m"),
			    "\"\\u009b31m\"");
	assert_string_equal(J("\xe2\x80\xa8"), "\"\\u2028\"");
}

static void json_invalid_utf8(void **state)
{
	assert_string_equal(J("\xff\xfe"), "\"\\ufffd\\ufffd\"");
	/* overlong '/', a lone surrogate, a truncated sequence, beyond U+10FFFF */
	assert_string_equal(J("\xc0\xaf"), "\"\\ufffd\\ufffd\"");
	assert_string_equal(J("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");
	assert_string_equal(J("ab\xe2\x82"), "\"ab\\ufffd\\ufffd\"");
	assert_string_equal(J("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	/* valid multibyte text passes through */
	assert_string_equal(J("caf\xc3\xa9 \xe6\x97\xa5\xf0\x9f\x98\x80"),
			    "\"caf\xc3\xa9 \xe6\x97\xa5\xf0\x9f\x98\x80\"");
}

/* Every byte value alone between two letters: as it is, escaped, or U+FFFD. */
static void json_every_byte(void **state)
{
	char in[] = "a?z", want[16];

	for (unsigned int c = 0; c < 256; c++) {
		in[1] = (char)c;
		if (c == '"' || c == '\\')
			snprintf(want, sizeof(want), "\"a\\%cz\"", c);
		else if (c == '\n')
			snprintf(want, sizeof(want), "\"a\\nz\"");
		else if (c == '\t')
			snprintf(want, sizeof(want), "\"a\\tz\"");
		else if (c == '\r')
			snprintf(want, sizeof(want), "\"a\\rz\"");
		else if (c < 0x20 || c == 0x7f)
			snprintf(want, sizeof(want), "\"a\\u%04xz\"", c);
		else if (c >= 0x80)
			snprintf(want, sizeof(want), "\"a\\ufffdz\"");
		else
			snprintf(want, sizeof(want), "\"a%cz\"", c);
		assert_string_equal(json(in, 3), want);
	}
}

static void term_escapes(void **state)
{
	assert_string_equal(T("nginx"), "nginx");
	assert_string_equal(T("\x1b]0;pwn\x07"), "\\x1b]0;pwn\\x07");
	assert_string_equal(T("a\\b"), "a\\\\b");
	assert_string_equal(T("\xff"), "\\xff");
	assert_string_equal(T("\xc2\x9b"), "\\u{9b}");
	/* bidi override that could reorder what a reader sees */
	assert_string_equal(T("x\xe2\x80\xaey"), "x\\u{202e}y");
	assert_string_equal(T("\xc3\xa9"), "\xc3\xa9");
	/* the Arabic letter mark, a bidi control too */
	assert_string_equal(T("x\xd8\x9cy"), "x\\u{61c}y");
}

/* Every bidi control (Unicode's Bidi_Control property) is unsafe; their neighbours are not. */
static void term_bidi_controls(void **state)
{
	static const unsigned int bidi[] = { 0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c,
					     0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069 };

	for (size_t i = 0; i < sizeof(bidi) / sizeof(bidi[0]); i++)
		assert_true(sw_term_unsafe(bidi[i]));
	assert_false(sw_term_unsafe(0x061b));
	assert_false(sw_term_unsafe(0x061d));
	assert_false(sw_term_unsafe(0x200d));
	assert_false(sw_term_unsafe(0x2065));
	assert_false(sw_term_unsafe(0x206a));
}

static const char *term_fit(const char *s, size_t n, bool value, size_t cells, bool *cut)
{
	static char mem[512];
	struct sw_buf b;

	sw_buf_init(&b, mem, sizeof(mem));
	*cut = sw_buf_term_fit(&b, s, n, value, cells);
	return mem;
}

#define F(lit, value, cells) term_fit(lit, sizeof(lit) - 1, value, cells, &cut)
/* 日本語プロ: five characters of two cells, fifteen bytes */
#define NIHONGO "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x83\x97\xe3\x83\xad"

/*
 * A value cut to a number of terminal cells: whole characters, never part of
 * a UTF-8 sequence or of an escape, then a '+'; a quoted value stays quoted.
 */
static void term_fit_cells(void **state)
{
	bool cut;

	assert_string_equal(F("nginx", false, 5), "nginx");
	assert_false(cut);
	assert_string_equal(F("abcdefghij", false, 5), "abcd+");
	assert_true(cut);
	/* the escape of ESC is four cells: it goes whole or not at all */
	assert_string_equal(F("ab\x1b"
			      "cd",
			      false, 5),
			    "ab+");
	assert_string_equal(F("ab\x1b"
			      "cd",
			      false, 7),
			    "ab\\x1b+");
	assert_string_equal(F("ab\x1b"
			      "cd",
			      false, 8),
			    "ab\\x1bcd");
	/* two cells a character: 15 bytes, 10 cells */
	assert_string_equal(F(NIHONGO, false, 10), NIHONGO);
	assert_false(cut);
	assert_string_equal(F(NIHONGO, false, 5), "\xe6\x97\xa5\xe6\x9c\xac+");
	assert_string_equal(F(NIHONGO, false, 4), "\xe6\x97\xa5+");
	/* quoted: the quotes and the mark take three cells */
	assert_string_equal(F("x 0.0.0.0:22", true, 14), "\"x 0.0.0.0:22\"");
	assert_string_equal(F("x 0.0.0.0:22", true, 8), "\"x 0.0+\"");
	assert_true(cut);
	assert_string_equal(F("nginx", true, 3), "ng+");
	/* no room: the mark alone */
	assert_string_equal(F("nginx", false, 0), "+");
}

static const char *term_value(const char *s, size_t n)
{
	static char mem[512];
	struct sw_buf b;

	sw_buf_init(&b, mem, sizeof(mem));
	sw_buf_term_value(&b, s, n);
	return mem;
}

#define V(lit) term_value(lit, sizeof(lit) - 1)

/* One value of a text line: quoted where it could pass for more than one, never otherwise. */
static void term_values(void **state)
{
	assert_string_equal(V("nginx"), "nginx");
	assert_string_equal(V("/usr/bin/nc"), "/usr/bin/nc");
	assert_string_equal(V("a\\b"), "a\\\\b");
	assert_string_equal(V("x\x1by"), "x\\x1by");
	/* a space, an '=', a double quote, nothing at all */
	assert_string_equal(V("x exe=/usr/sbin/sshd"), "\"x exe=/usr/sbin/sshd\"");
	assert_string_equal(V("a=b"), "\"a=b\"");
	assert_string_equal(V("say \"hi\" \\"), "\"say \\\"hi\\\" \\\\\"");
	assert_string_equal(V("\""), "\"\\\"\"");
	assert_string_equal(V(""), "\"\"");
	/* a tab or newline is escaped already: nothing to quote */
	assert_string_equal(V("a\tb"), "a\\x09b");
	/* spaces beyond ASCII look like a gap too: no-break, em and ideographic space (octal) */
	assert_string_equal(V("a\302\240b"), "\"a\302\240b\"");
	assert_string_equal(V("a\342\200\203b"), "\"a\342\200\203b\"");
	assert_string_equal(V("a\343\200\200b"), "\"a\343\200\200b\"");
	/* other multibyte text, and bytes that are no UTF-8, are not */
	assert_string_equal(V("caf\xc3\xa9"), "caf\xc3\xa9");
	assert_string_equal(V("\xa0\xff"), "\\xa0\\xff");
	assert_true(sw_text_needs_quotes("a b", 3));
	assert_false(sw_text_needs_quotes("a b", 1));
	/* "-" is what an unknown value looks like: the name "-" is quoted */
	assert_string_equal(V("-"), "\"-\"");
	assert_string_equal(V("--"), "--");
}

/* Error messages that quote untrusted text: escaped, backslashes kept, never a cut character. */
static void term_lines(void **state)
{
	char out[16];

#define TL(lit) sw_term_line(out, sizeof(out), lit, sizeof(lit) - 1)
	TL("bad '\\q'");
	assert_string_equal(out, "bad '\\q'");
	TL("a\nb\x1b[2J");
	assert_string_equal(out, "a\\x0ab\\x1b[2J");
	TL("\xc2\x9b\xff");
	assert_string_equal(out, "\\u{9b}\\xff");
	/* 14 bytes, then an e-acute that does not fit whole: cut before it */
	TL("01234567890123\xc3\xa9");
	assert_string_equal(out, "01234567890123");
	TL("0123456789012\xc3\xa9");
	assert_string_equal(out, "0123456789012\xc3\xa9");
	/* an escape that does not fit whole is cut at a byte boundary, still ASCII */
	TL("012345678901\x01");
	assert_string_equal(out, "012345678901\\x0");
#undef TL
}

static void buffer_overflow_is_flagged(void **state)
{
	char mem[8];
	struct sw_buf b;

	sw_buf_init(&b, mem, sizeof(mem));
	sw_buf_puts(&b, "0123456789");
	assert_true(b.overflow);
	assert_int_equal(b.len, 7);
	assert_string_equal(mem, "0123456");
	sw_buf_init(&b, mem, sizeof(mem));
	sw_buf_printf(&b, "%d", 12345678);
	assert_true(b.overflow);
	assert_int_equal(strlen(mem), 7);
}

static void decimal_numbers(void **state)
{
	char mem[64];
	struct sw_buf b;

	sw_buf_init(&b, mem, sizeof(mem));
	sw_buf_u64(&b, 0);
	sw_buf_putc(&b, ' ');
	sw_buf_u64(&b, 18446744073709551615ULL);
	assert_false(b.overflow);
	assert_string_equal(mem, "0 18446744073709551615");
	sw_buf_init(&b, mem, 4);
	sw_buf_u64(&b, 12345);
	assert_true(b.overflow);
	assert_string_equal(mem, "123");
	sw_buf_init(&b, mem, 2);
	sw_buf_putc(&b, 'a');
	sw_buf_putc(&b, 'b');
	assert_true(b.overflow);
	assert_string_equal(mem, "a");
}

/* Every digit count, against printf; the in-place writer counts digits first. */
static void decimal_every_length(void **state)
{
	char mem[32], want[32];
	struct sw_buf b;
	unsigned long long p = 1;

	for (int d = 1; d <= 20; d++) {
		unsigned long long vs[3] = { p, p - 1, p * 9 + (p - 1) };

		for (int i = 0; i < 3; i++) {
			if (d == 20 && i == 2)
				vs[i] = 18446744073709551615ULL;
			sw_buf_init(&b, mem, sizeof(mem));
			sw_buf_u64(&b, vs[i]);
			snprintf(want, sizeof(want), "%llu", vs[i]);
			assert_string_equal(mem, want);
			assert_int_equal(b.len, strlen(want));
		}
		if (d < 20)
			p *= 10;
	}
}

/* One number against printf. */
static void decimal_matches_printf(unsigned long long v)
{
	char mem[32], want[48];
	struct sw_buf b;

	sw_buf_init(&b, mem, sizeof(mem));
	sw_buf_u64(&b, v);
	snprintf(want, sizeof(want), "%llu", v);
	assert_string_equal(mem, want);
	assert_int_equal(b.len, strlen(want));
}

/*
 * Around every power of two and of ten (where the digit count from the bit
 * length and the 32-bit digit loop change), and a spread of other values.
 */
static void decimal_boundaries(void **state)
{
	unsigned long long x = 0x9e3779b97f4a7c15ULL, p = 1;

	for (int k = 0; k < 64; k++) {
		unsigned long long v = 1ULL << k;

		decimal_matches_printf(v - 1);
		decimal_matches_printf(v);
		decimal_matches_printf(v + 1);
	}
	decimal_matches_printf(18446744073709551615ULL);
	for (int k = 0; k < 20; k++) {
		decimal_matches_printf(p - 1);
		decimal_matches_printf(p);
		decimal_matches_printf(p + 1);
		if (k < 19)
			p *= 10;
	}
	for (int i = 0; i < 100000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		decimal_matches_printf(x >> (i % 64));
	}
}

/* Short writes of every length up to 16 (the overlapping fixed-size copies). */
static void short_writes(void **state)
{
	const char *src = "abcdefghijklmnopqrstuvwxyz";
	char mem[64];
	struct sw_buf b;

	for (size_t n = 0; n <= 17; n++) {
		volatile size_t vn = n; /* not a compile-time constant */

		memset(mem, '#', sizeof(mem)); /* no byte right by accident */
		sw_buf_init(&b, mem, sizeof(mem));
		sw_buf_putc(&b, '<');
		sw_buf_write(&b, src, vn);
		sw_buf_putc(&b, '>');
		assert_int_equal(b.len, n + 2);
		assert_memory_equal(mem + 1, src, n);
		assert_int_equal(mem[n + 1], '>');
		assert_int_equal(mem[n + 2], '\0');
	}
}

static void utf8_decoder(void **state)
{
	unsigned int cp;

	assert_int_equal(sw_utf8_decode((const unsigned char *)"\xe2\x82\xac", 3, &cp), 3);
	assert_int_equal(cp, 0x20ac);
	assert_int_equal(sw_utf8_decode((const unsigned char *)"\xe2\x82\xac", 2, &cp), 0);
	assert_int_equal(sw_utf8_decode((const unsigned char *)"\x80", 1, &cp), 0);
	assert_int_equal(sw_utf8_decode((const unsigned char *)"\xf0\x9f\x98\x80", 4, &cp), 4);
	assert_int_equal(cp, 0x1f600);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_plain_and_quotes),
		cmocka_unit_test(json_control_bytes),
		cmocka_unit_test(json_invalid_utf8),
		cmocka_unit_test(json_every_byte),
		cmocka_unit_test(term_escapes),
		cmocka_unit_test(term_bidi_controls),
		cmocka_unit_test(term_fit_cells),
		cmocka_unit_test(term_values),
		cmocka_unit_test(term_lines),
		cmocka_unit_test(buffer_overflow_is_flagged),
		cmocka_unit_test(utf8_decoder),
		cmocka_unit_test(decimal_numbers),
		cmocka_unit_test(decimal_every_length),
		cmocka_unit_test(decimal_boundaries),
		cmocka_unit_test(short_writes),
	};

	return cmocka_run_group_tests_name("escape", tests, NULL, NULL);
}
