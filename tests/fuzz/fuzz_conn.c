// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Fuzz target: rows of the connection table (`sockwatch top` and its --once
 * output) for any field values and any bytes in the process name, in every
 * column layout. Text must be safe for a terminal, JSON one valid object,
 * both within SW_LINE_MAX; the text header likewise.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "conn_format.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	struct sw_conn c = { 0 };
	struct sw_conn_fmt f = { 0 };
	char line[SW_LINE_MAX];
	const char *why = 0;
	size_t at = 0;
	uint8_t sel = fz_u8(&in);
	int n;

	f.names = sel & 1;
	f.live = (sel >> 1) & 1;
	f.netns_col = (sel >> 2) & 1;
	f.reverse = (sel >> 3) & 1;
	f.sort_col = (int)(fz_u8(&in) % (SW_SORT_MAX + 1)) - 1;
	f.addr_width = fz_u8(&in);
	f.host_netns = fz_u32(&in);
	f.now_ns = fz_u64(&in);
	c.key = fz_u64(&in);
	c.first_ns = fz_u64(&in);
	c.birth_ns = fz_u64(&in);
	c.closed_ns = fz_u64(&in);
	c.bytes_sent = fz_u64(&in);
	c.bytes_received = fz_u64(&in);
	c.netns = fz_u32(&in);
	c.pid = fz_u32(&in);
	c.uid = fz_u32(&in) % 70000; /* user names come from this machine's passwd */
	c.nowners = fz_u32(&in);
	c.lport = fz_u16(&in);
	c.rport = fz_u16(&in);
	c.family = fz_u8(&in) & 1 ? SW_AF_INET6 : SW_AF_INET;
	c.state = fz_u8(&in) % SW_TCP_STATE_MAX;
	c.flags = fz_u8(&in);
	c.kind = fz_u8(&in) % SW_EV_KIND_MAX;
	fz_take(&in, c.laddr, sizeof(c.laddr));
	fz_take(&in, c.raddr, sizeof(c.raddr));
	fz_cstr(&in, c.comm, sizeof(c.comm));
	c.used = 1;

	for (int fmt = SW_FMT_TEXT; fmt <= SW_FMT_JSON; fmt++) {
		f.fmt = fmt;
		n = sw_conn_format(&c, &f, line, sizeof(line));
		if (n <= 0)
			fz_fail("conn row", "no line within SW_LINE_MAX", line, 0, 0);
		if (strlen(line) != (size_t)n)
			fz_fail("conn row", "length is not the string's", line, (size_t)n,
				strlen(line));
		if (fmt == SW_FMT_TEXT ? !fz_term_safe(line, (size_t)n, &why, &at) :
					 !fz_json_object(line, (size_t)n, &why, &at))
			fz_fail(fmt == SW_FMT_TEXT ? "conn row text" : "conn row json", why, line,
				(size_t)n, at);
	}
	f.fmt = SW_FMT_TEXT;
	n = sw_conn_format_header(&f, line, sizeof(line));
	if (n <= 0 || !fz_term_safe(line, (size_t)n, &why, &at))
		fz_fail("conn header", why ? why : "no header", line, n > 0 ? (size_t)n : 0, at);
	return 0;
}
