// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Fuzz target: `sockwatch listen` alert lines with any bytes in the strings
 * a process controls (comm, exe, command line, cgroup, container, user), each
 * up to the length procinfo reads. Text must be safe for a terminal and
 * JSON one valid object, both within SW_ALERT_LINE_MAX.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "fuzz.h"
#include "listen_fmt.h"
#include "procinfo.h"

/* A string of up to max - 1 bytes; "~" stands for an absent one ("-" / null). */
static const char *str(struct fz_in *in, char *out, size_t max)
{
	size_t len = fz_cstr(in, out, max);

	return len == 1 && out[0] == '~' ? NULL : out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const directions[] = { "connect", "connect_failed", "accept", NULL };
	static char comm[16], exe[SW_EXE_MAX], cmdline[SW_CMDLINE_MAX], cgroup[SW_CGROUP_MAX],
		container[SW_CONTAINER_MAX], user[64], where[64];
	static char line[SW_ALERT_LINE_MAX];
	struct fz_in in = { data, size };
	struct sw_alert a = { 0 };
	const char *why = 0;
	size_t at = 0;
	uint8_t sel = fz_u8(&in);
	int n;

	a.kind = sel % 4;
	a.level = (sel >> 2) & 1;
	a.family = (sel >> 3) & 1 ? SW_AF_INET6 : SW_AF_INET;
	a.host_netns = (sel >> 4) & 1;
	a.direction = directions[(sel >> 5) & 3];
	a.wall.tv_sec = (time_t)(fz_u64(&in) % (1ull << 34));
	a.wall.tv_nsec = (long)(fz_u64(&in) % 1000000000ull);
	fz_take(&in, a.laddr, sizeof(a.laddr));
	fz_take(&in, a.raddr, sizeof(a.raddr));
	a.lport = fz_u16(&in);
	a.rport = fz_u16(&in);
	a.netns = fz_u32(&in);
	a.pid = fz_u32(&in);
	a.ppid = fz_u32(&in);
	a.uid = fz_u32(&in);
	a.rule_line = (int)(fz_u32(&in) & 0xfffff);
	a.comm = str(&in, comm, sizeof(comm));
	a.exe = str(&in, exe, sizeof(exe));
	a.cmdline = str(&in, cmdline, sizeof(cmdline));
	a.cgroup = str(&in, cgroup, sizeof(cgroup));
	a.container = str(&in, container, sizeof(container));
	a.user = str(&in, user, sizeof(user));
	/* last, so that the inputs above parse as they did before these were added */
	sel = fz_u8(&in);
	a.resync = sel & 1;
	if (sel & 2) {
		a.kind = SW_ALERT_LOST;
		a.lost = fz_u64(&in);
		a.where = str(&in, where, sizeof(where));
	}

	n = sw_listen_format(&a, SW_FMT_TEXT, line, sizeof(line));
	if (n <= 0)
		fz_fail("alert text", "no line within SW_ALERT_LINE_MAX", line, 0, 0);
	if (strlen(line) != (size_t)n)
		fz_fail("alert text", "length is not the string's", line, (size_t)n, strlen(line));
	if (!fz_term_safe(line, (size_t)n, &why, &at))
		fz_fail("alert text", why, line, (size_t)n, at);
	n = sw_listen_format(&a, SW_FMT_JSON, line, sizeof(line));
	if (n <= 0)
		fz_fail("alert json", "no line within SW_ALERT_LINE_MAX", line, 0, 0);
	if (strlen(line) != (size_t)n)
		fz_fail("alert json", "length is not the string's", line, (size_t)n, strlen(line));
	if (!fz_json_object(line, (size_t)n, &why, &at))
		fz_fail("alert json", why, line, (size_t)n, at);
	return 0;
}
