// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests: terminal cells of code points and UTF-8 text, cutting text to cells, padding columns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "strbuf.h"
#include "textwidth.h"

/* 日本語プロ: five characters of two cells, fifteen bytes */
#define NIHONGO "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x83\x97\xe3\x83\xad"

static void code_points(void **state)
{
	assert_int_equal(sw_cp_width('a'), 1);
	assert_int_equal(sw_cp_width(0xe9), 1); /* e acute */
	assert_int_equal(sw_cp_width(0xad), 1); /* soft hyphen, as glibc */
	assert_int_equal(sw_cp_width(0x301), 0); /* combining acute accent */
	assert_int_equal(sw_cp_width(0x200b), 0); /* zero width space */
	assert_int_equal(sw_cp_width(0x61c), 0); /* a format character */
	assert_int_equal(sw_cp_width(0x1160), 0); /* Hangul medial vowel */
	assert_int_equal(sw_cp_width(0x1100), 2); /* Hangul initial consonant */
	assert_int_equal(sw_cp_width(0x65e5), 2); /* CJK */
	assert_int_equal(sw_cp_width(0xac00), 2); /* Hangul syllable */
	assert_int_equal(sw_cp_width(0xff21), 2); /* fullwidth A */
	assert_int_equal(sw_cp_width(0xff61), 1); /* halfwidth katakana */
	assert_int_equal(sw_cp_width(0x1f600), 2); /* emoji */
	assert_int_equal(sw_cp_width(0x2f800), 2); /* CJK compatibility supplement */
	assert_int_equal(sw_cp_width(0x30000), 2); /* CJK extension G */
	assert_int_equal(sw_cp_width(0x1f1e6), 1); /* regional indicator: narrow */
	assert_int_equal(sw_cp_width(0x10ffff), 1);
}

static void text(void **state)
{
	assert_int_equal(sw_text_width("", 0), 0);
	assert_int_equal(sw_text_width("nginx", 5), 5);
	assert_int_equal(sw_text_width(NIHONGO, 15), 10);
	/* e + combining acute: one cell */
	assert_int_equal(sw_text_width("e\xcc\x81", 3), 1);
	/* bytes that are no UTF-8, a sequence cut short: a cell each */
	assert_int_equal(sw_text_width("\xff\xe6\x97", 3), 3);

	assert_int_equal(sw_text_fit(NIHONGO, 15, 10), 15);
	assert_int_equal(sw_text_fit(NIHONGO, 15, 99), 15);
	/* never part of a character: 5 cells hold two of them, 6 bytes */
	assert_int_equal(sw_text_fit(NIHONGO, 15, 5), 6);
	assert_int_equal(sw_text_fit(NIHONGO, 15, 1), 0);
	assert_int_equal(sw_text_fit("ab", 2, 0), 0);
	/* a combining mark comes with the character before it */
	assert_int_equal(sw_text_fit("e\xcc\x81x", 4, 1), 3);
}

/* Columns padded to cells: what follows a wide name starts where it would after a narrow one. */
static void padding(void **state)
{
	char mem[64];
	struct sw_buf b;

	sw_buf_init(&b, mem, sizeof(mem));
	sw_buf_puts(&b, NIHONGO);
	sw_buf_pad(&b, 0, 12);
	sw_buf_putc(&b, '|');
	assert_string_equal(mem, NIHONGO "  |");
	assert_int_equal(sw_text_width(mem, strlen(mem)), 13);

	sw_buf_init(&b, mem, sizeof(mem));
	sw_buf_puts(&b, "x:");
	sw_buf_puts(&b, "e\xcc\x81");
	sw_buf_pad(&b, 2, 4);
	sw_buf_putc(&b, '|');
	assert_string_equal(mem, "x:e\xcc\x81   |");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(code_points),
		cmocka_unit_test(text),
		cmocka_unit_test(padding),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
