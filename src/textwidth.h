/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* How many terminal cells text takes: combining marks none, East Asian wide characters two. */
#ifndef SW_TEXTWIDTH_H
#define SW_TEXTWIDTH_H

#include <stddef.h>

/*
 * Cells code point cp takes on a terminal: 0 (combining marks, format
 * characters), 2 (East Asian Wide and Fullwidth: CJK, most emoji) or 1:
 * glibc's wcwidth() in its C.UTF-8 locale, the same whatever locale the
 * user runs in. Controls, which are escaped before they are shown, count 1.
 */
int sw_cp_width(unsigned int cp);
/* Cells the n bytes at s take: UTF-8, each byte that is not valid UTF-8 one cell. */
size_t sw_text_width(const char *s, size_t n);
/*
 * How many of the n bytes at s fit in cells: the longest run of whole
 * characters from the start (never part of a UTF-8 sequence) that takes at
 * most cells; zero-width characters after the last that fits come with it.
 */
size_t sw_text_fit(const char *s, size_t n, size_t cells);

#endif /* SW_TEXTWIDTH_H */
