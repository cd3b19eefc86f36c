// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Fuzz target: any ring-buffer sample, decoded and rendered as text, JSON and
 * ECS. Every line must fit SW_LINE_MAX, JSON and ECS must be one valid JSON
 * object, text must be safe for a terminal, and any smaller buffer must give
 * -ENOSPC or the same line, never a cut or different one, nor a write past it.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "fuzz.h"
#include "format.h"

static void render(const struct sw_record *r, enum sw_fmt fmt, size_t cut)
{
	static const char *const names[] = { "text", "json", "ecs" };
	char line[SW_LINE_MAX], small[SW_LINE_MAX];
	const char *why = 0;
	size_t at = 0;
	int n, m;

	n = sw_format_record(r, fmt, line, sizeof(line));
	if (n <= 0 || (size_t)n >= sizeof(line))
		fz_fail(names[fmt], "no line within SW_LINE_MAX", line, 0, 0);
	if (strlen(line) != (size_t)n)
		fz_fail(names[fmt], "length is not the string's", line, (size_t)n, strlen(line));
	if (fmt == SW_FMT_TEXT ? !fz_term_safe(line, (size_t)n, &why, &at) :
				 !fz_json_object(line, (size_t)n, &why, &at))
		fz_fail(names[fmt], why, line, (size_t)n, at);

	cut %= (size_t)n + 2;
	memset(small, 0x55, sizeof(small));
	m = sw_format_record(r, fmt, small, cut);
	/* (text may need room for padding that it trims at the end: -ENOSPC is fine) */
	if (cut > (size_t)n && m != -ENOSPC) {
		if (m != n || memcmp(small, line, (size_t)n + 1))
			fz_fail(names[fmt], "room for the line, but not the same line", small,
				m > 0 ? (size_t)m : 0, 0);
	} else if (cut <= (size_t)n && m != -ENOSPC) {
		fz_fail(names[fmt], "a line too long for the buffer is not -ENOSPC", small,
			m > 0 ? (size_t)m : 0, 0);
	}
	if (cut < sizeof(small) && small[cut] != 0x55)
		fz_fail(names[fmt], "wrote past the buffer's size", small, cut + 1, cut);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	struct sw_record r = { 0 };
	char where[64];
	size_t cut;

	if (sw_event_decode(data, size, &r.ev) < 0) {
		/* and the same bytes made valid, so that every record is rendered */
		fz_take(&in, &r.ev, sizeof(r.ev));
		fz_fix_event(&r.ev);
	} else {
		in.p += sizeof(r.ev);
		in.n -= sizeof(r.ev);
	}
	r.seq = fz_u64(&in);
	/* the wall clock of a real record: boot time plus a u64 of nanoseconds */
	r.wall.tv_sec = (time_t)(fz_u64(&in) % (1ull << 34));
	r.wall.tv_nsec = (long)(fz_u64(&in) % 1000000000ull);
	r.lost = fz_u64(&in);
	switch (fz_u8(&in) % 4) {
	case 0:
		r.lost_where = 0;
		break;
	case 1:
		r.lost_where = "ringbuf";
		break;
	case 2:
		r.lost_where = "kernel";
		break;
	default: /* a sink's name: it holds a path, any bytes */
		fz_cstr(&in, where, sizeof(where));
		r.lost_where = where;
	}
	cut = fz_u16(&in);
	render(&r, SW_FMT_TEXT, cut);
	render(&r, SW_FMT_JSON, cut);
	render(&r, SW_FMT_ECS, cut);
	return 0;
}
