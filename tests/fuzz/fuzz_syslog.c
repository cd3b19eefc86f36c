// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Fuzz target: syslog frames (RFC 5424 and the local /dev/log form) of any
 * record, its JSON line as the message. The 5424 frame must parse (header
 * fields, structured data with escaped PARAM-VALUEs) and carry the message
 * unchanged; the local frame must be "<PRI>Mmm dd hh:mm:ss TAG[PID]: " and
 * the message.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "format.h"
#include "fuzz.h"
#include "sink_int.h"

/* What the syslog sink makes of a host name or tag: PRINTUSASCII, "-" if empty. */
static void header_field(struct fz_in *in, char *out, size_t size)
{
	size_t len = fz_cstr(in, out, size), k = 0;

	for (size_t i = 0; i < len; i++)
		if (out[i] > ' ' && out[i] < 0x7f)
			out[k++] = out[i];
	out[k] = '\0';
	if (!k)
		strcpy(out, "-");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char line[SW_LINE_MAX], frame[SW_SINK_LINE_MAX + 1024];
	struct fz_in in = { data, size };
	struct sw_record r = { 0 };
	char host[256], app[49], where[64];
	struct sw_syslog_id id = { host, app, 0 };
	const char *why = 0, *msg;
	size_t at = 0, msglen;
	int n, m;

	fz_take(&in, &r.ev, sizeof(r.ev));
	fz_fix_event(&r.ev);
	r.seq = fz_u64(&in);
	r.wall.tv_sec = (time_t)(fz_u64(&in) % (1ull << 34));
	r.wall.tv_nsec = (long)(fz_u64(&in) % 1000000000ull);
	r.lost = fz_u64(&in);
	fz_cstr(&in, where, sizeof(where));
	r.lost_where = where[0] ? where : NULL;
	header_field(&in, host, sizeof(host));
	header_field(&in, app, sizeof(app));
	id.procid = (int)(fz_u32(&in) & 0x3fffffff);

	n = sw_format_record(&r, SW_FMT_JSON, line, sizeof(line));
	if (n <= 0)
		fz_fail("syslog message", "no JSON line", line, 0, 0);

	m = sw_syslog_format_5424(&id, &r, line, (size_t)n, frame, sizeof(frame));
	if (m <= 0)
		fz_fail("syslog 5424", "no frame", frame, 0, 0);
	if (!fz_syslog_5424(frame, (size_t)m, &msg, &msglen, &why, &at))
		fz_fail("syslog 5424", why, frame, (size_t)m, at);
	if (msglen != (size_t)n || memcmp(msg, line, (size_t)n))
		fz_fail("syslog 5424", "the message is not the line", frame, (size_t)m, 0);

	m = sw_syslog_format_local(&id, &r, line, (size_t)n, frame, sizeof(frame));
	if (m <= n)
		fz_fail("syslog local", "no frame", frame, 0, 0);
	msg = frame + m - n;
	if (memcmp(msg, line, (size_t)n) || m - n < 4 || memcmp(msg - 2, ": ", 2) ||
	    frame[0] != '<')
		fz_fail("syslog local", "not <PRI>... TAG[PID]: message", frame, (size_t)m, 0);
	if (!fz_term_safe(frame, (size_t)(m - n), &why, &at))
		fz_fail("syslog local", why, frame, (size_t)m, at);
	return 0;
}
