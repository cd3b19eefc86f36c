// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* How many terminal cells text takes: combining marks none, East Asian wide characters two. */
#include <locale.h>
#include <pthread.h>
#include <stdbool.h>
#include <wchar.h>

#include "strbuf.h"
#include "textwidth.h"

/* glibc's C.UTF-8 locale (built in since glibc 2.35), whatever the user's locale is */
static locale_t utf8_ctype;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void utf8_ctype_init(void)
{
	utf8_ctype = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

int sw_cp_width(unsigned int cp)
{
	locale_t old;
	int w;

	if (cp < 0x80)
		return 1;
	pthread_once(&utf8_once, utf8_ctype_init);
	if (!utf8_ctype)
		return 1;
	old = uselocale(utf8_ctype);
	w = wcwidth((wchar_t)cp);
	uselocale(old);
	/* controls and code points not assigned: one cell (controls are escaped first) */
	return w < 0 ? 1 : w;
}

static size_t char_cells(const char *s, size_t n, size_t *w)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned int cp;
	size_t len;

	if (u[0] < 0x80) {
		*w = 1;
		return 1;
	}
	len = sw_utf8_decode(u, n, &cp);
	if (!len) {
		*w = 1;
		return 1;
	}
	*w = (size_t)sw_cp_width(cp);
	return len;
}

size_t sw_text_width(const char *s, size_t n)
{
	size_t cells = 0, w;

	for (size_t i = 0; i < n;) {
		i += char_cells(s + i, n - i, &w);
		cells += w;
	}
	return cells;
}

size_t sw_text_fit(const char *s, size_t n, size_t cells)
{
	size_t i = 0, used = 0, len, w;

	while (i < n) {
		len = char_cells(s + i, n - i, &w);
		if (used + w > cells)
			break;
		used += w;
		i += len;
	}
	return i;
}
