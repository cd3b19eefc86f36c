// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of the listen alert renderer: exact lines, terminal escaping, JSON validity for hostile bytes. */
#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "listen_fmt.h"
#include "sockwatch.h"
#include "strbuf.h"

static struct sw_alert sample(void)
{
	struct sw_alert a = {
		.kind = SW_ALERT_LISTEN,
		.level = SW_LEVEL_ALERT,
		.wall = { 1764150000, 123456789 }, /* 2025-11-26T09:40:00.123456789Z */
		.family = SW_AF_INET,
		.laddr = { 0, 0, 0, 0 },
		.lport = 4444,
		.netns = 4026531840u,
		.host_netns = true,
		.pid = 4242,
		.ppid = 1,
		.uid = 1000,
		.uid_known = true,
		.user = "alice",
		.comm = "nc",
		.exe = "/usr/bin/nc.openbsd",
		.exe_check = "ok",
		.cgroup = "/user.slice/user-1000.slice/session-3.scope",
		.container = NULL, /* unknown: "-" in text, null in JSON */
		.cmdline = "nc -lkp 4444",
	};
	return a;
}

static void test_text_exact(void **state)
{
	struct sw_alert a = sample();
	char buf[SW_ALERT_LINE_MAX];
	int n;

	n = sw_listen_format(&a, SW_FMT_TEXT, buf, sizeof(buf));
	assert_string_equal(buf, "2025-11-26T09:40:00.123456Z alert listen   0.0.0.0:4444 "
				 "exposure=wildcard family=4 netns=4026531840 host_netns=yes "
				 "pid=4242 ppid=1 uid=1000 user=alice comm=nc "
				 "exe=/usr/bin/nc.openbsd exe_check=ok "
				 "cgroup=/user.slice/user-1000.slice/session-3.scope container=- "
				 "rule_line=- cmdline=\"nc -lkp 4444\"");
	assert_int_equal(n, (int)strlen(buf));
}

/* An address in no family sockwatch knows is "?", never what the stack held before. */
static void test_text_unknown_family(void **state)
{
	struct sw_alert a = sample();
	char buf[SW_ALERT_LINE_MAX];

	a.family = 99;
	a.kind = SW_ALERT_REMOTE;
	sw_listen_format(&a, SW_FMT_TEXT, buf, sizeof(buf));
	assert_non_null(strstr(buf, " ? -> ? "));
	a.kind = SW_ALERT_LISTEN;
	sw_listen_format(&a, SW_FMT_TEXT, buf, sizeof(buf));
	assert_non_null(strstr(buf, " listen   ? "));
}

static void test_json_exact(void **state)
{
	struct sw_alert a = sample();
	char buf[SW_ALERT_LINE_MAX];

	a.kind = SW_ALERT_BASELINE;
	a.level = SW_LEVEL_INFO;
	a.rule_line = 7;
	a.family = SW_AF_INET6;
	memset(a.laddr, 0, 16);
	a.laddr[15] = 1;
	assert_true(sw_listen_format(&a, SW_FMT_JSON, buf, sizeof(buf)) > 0);
	assert_string_equal(
		buf,
		"{\"v\":1,\"ts\":\"2025-11-26T09:40:00.123456789Z\",\"level\":\"info\","
		"\"event\":\"baseline\",\"family\":6,\"laddr\":\"::1\",\"lport\":4444,"
		"\"exposure\":\"loopback\",\"netns\":4026531840,\"host_netns\":true,\"pid\":4242,"
		"\"ppid\":1,\"uid\":1000,\"user\":\"alice\",\"comm\":\"nc\","
		"\"exe\":\"/usr/bin/nc.openbsd\",\"exe_check\":\"ok\","
		"\"cgroup\":\"/user.slice/user-1000.slice/session-3.scope\",\"container\":null,"
		"\"rule_line\":7,\"cmdline\":\"nc -lkp 4444\"}");
}

/* A listener found by a resync after lost records says so, before cmdline (which stays last). */
static void test_resync_source(void **state)
{
	struct sw_alert a = sample();
	char buf[SW_ALERT_LINE_MAX];

	a.resync = true;
	sw_listen_format(&a, SW_FMT_TEXT, buf, sizeof(buf));
	assert_non_null(strstr(buf, " rule_line=- source=resync cmdline=\"nc -lkp 4444\""));
	sw_listen_format(&a, SW_FMT_JSON, buf, sizeof(buf));
	assert_non_null(strstr(
		buf, ",\"rule_line\":null,\"source\":\"resync\",\"cmdline\":\"nc -lkp 4444\"}"));
	a.resync = false;
	sw_listen_format(&a, SW_FMT_JSON, buf, sizeof(buf));
	assert_null(strstr(buf, "source"));
}

/* Lost records are a line of the alert stream, as in events' (docs/schema.md). */
static void test_lost(void **state)
{
	struct sw_alert a = {
		.kind = SW_ALERT_LOST,
		.level = SW_LEVEL_ALERT,
		.wall = { 1764150000, 5000 },
		.lost = 65503,
		.where = "ringbuf",
	};
	char buf[SW_ALERT_LINE_MAX];
	int n;

	n = sw_listen_format(&a, SW_FMT_TEXT, buf, sizeof(buf));
	assert_string_equal(buf,
			    "2025-11-26T09:40:00.000005Z alert lost     lost=65503 where=ringbuf");
	assert_int_equal(n, (int)strlen(buf));
	sw_listen_format(&a, SW_FMT_JSON, buf, sizeof(buf));
	assert_string_equal(buf, "{\"v\":1,\"ts\":\"2025-11-26T09:40:00.000005000Z\","
				 "\"level\":\"alert\",\"event\":\"lost\",\"lost\":65503,"
				 "\"where\":\"ringbuf\"}");
}

static void test_remote_and_unknown_owner(void **state)
{
	struct sw_alert a = {
		.kind = SW_ALERT_REMOTE,
		.level = SW_LEVEL_ALERT,
		.wall = { 1764150000, 0 },
		.family = SW_AF_INET,
		.laddr = { 10, 0, 0, 5 },
		.lport = 51234,
		.raddr = { 203, 0, 113, 7 },
		.rport = 443,
		.direction = "connect",
		.netns = 5,
		.rule_line = 3,
	};
	char buf[SW_ALERT_LINE_MAX];

	sw_listen_format(&a, SW_FMT_TEXT, buf, sizeof(buf));
	assert_string_equal(buf, "2025-11-26T09:40:00.000000Z alert remote   "
				 "10.0.0.5:51234 -> 203.0.113.7:443 direction=connect family=4 "
				 "netns=5 host_netns=no pid=- ppid=- uid=- user=- comm=- exe=- "
				 "exe_check=- cgroup=- container=- rule_line=3 cmdline=-");
	sw_listen_format(&a, SW_FMT_JSON, buf, sizeof(buf));
	assert_string_equal(buf, "{\"v\":1,\"ts\":\"2025-11-26T09:40:00.000000000Z\","
				 "\"level\":\"alert\",\"event\":\"remote\",\"family\":4,"
				 "\"laddr\":\"10.0.0.5\",\"lport\":51234,\"raddr\":\"203.0.113.7\","
				 "\"rport\":443,\"direction\":\"connect\",\"netns\":5,"
				 "\"host_netns\":false,\"pid\":null,\"ppid\":null,\"uid\":null,"
				 "\"user\":null,\"comm\":null,\"exe\":null,\"exe_check\":null,"
				 "\"cgroup\":null,"
				 "\"container\":null,\"rule_line\":3,\"cmdline\":null}");
}

/*
 * A baseline listener that no process holds any more: no pid, but its
 * socket's uid is known, and printed (a uid rule matched it), with its user;
 * uid 0 included, which is not "unknown".
 */
static void test_ownerless_uid_known(void **state)
{
	struct sw_alert a = {
		.kind = SW_ALERT_BASELINE,
		.level = SW_LEVEL_INFO,
		.wall = { 1764150000, 0 },
		.family = SW_AF_INET,
		.laddr = { 127, 0, 0, 1 },
		.lport = 8080,
		.netns = 5,
		.uid = 1000,
		.uid_known = true,
		.user = "alice",
		.rule_line = 2,
	};
	char buf[SW_ALERT_LINE_MAX];

	sw_listen_format(&a, SW_FMT_TEXT, buf, sizeof(buf));
	assert_string_equal(buf, "2025-11-26T09:40:00.000000Z info  baseline 127.0.0.1:8080 "
				 "exposure=loopback family=4 netns=5 host_netns=no pid=- ppid=- "
				 "uid=1000 user=alice comm=- exe=- exe_check=- cgroup=- "
				 "container=- rule_line=2 cmdline=-");
	sw_listen_format(&a, SW_FMT_JSON, buf, sizeof(buf));
	assert_string_equal(buf, "{\"v\":1,\"ts\":\"2025-11-26T09:40:00.000000000Z\","
				 "\"level\":\"info\",\"event\":\"baseline\",\"family\":4,"
				 "\"laddr\":\"127.0.0.1\",\"lport\":8080,\"exposure\":\"loopback\","
				 "\"netns\":5,\"host_netns\":false,\"pid\":null,\"ppid\":null,"
				 "\"uid\":1000,\"user\":\"alice\",\"comm\":null,\"exe\":null,"
				 "\"exe_check\":null,\"cgroup\":null,\"container\":null,"
				 "\"rule_line\":2,\"cmdline\":null}");
	a.uid = 0;
	a.user = "root";
	sw_listen_format(&a, SW_FMT_TEXT, buf, sizeof(buf));
	assert_non_null(strstr(buf, " pid=- ppid=- uid=0 user=root comm=- "));
	/* and a pid does not make an unknown uid known */
	a.pid = 77;
	a.uid_known = false;
	sw_listen_format(&a, SW_FMT_TEXT, buf, sizeof(buf));
	assert_non_null(strstr(buf, " pid=77 ppid=- uid=- user=- comm=- "));
}

/* With several rules files the rule's file comes before its line (quoted where it must be). */
static void test_rule_file(void **state)
{
	struct sw_alert a = {
		.kind = SW_ALERT_REMOTE,
		.level = SW_LEVEL_ALERT,
		.wall = { 1764150000, 0 },
		.family = SW_AF_INET,
		.laddr = { 10, 0, 0, 5 },
		.lport = 51234,
		.raddr = { 203, 0, 113, 7 },
		.rport = 443,
		.direction = "connect",
		.netns = 5,
		.rule_line = 3,
		.rule_file = "/etc/sockwatch/deny list",
	};
	char buf[SW_ALERT_LINE_MAX];

	sw_listen_format(&a, SW_FMT_TEXT, buf, sizeof(buf));
	assert_non_null(strstr(
		buf, " container=- rule_file=\"/etc/sockwatch/deny list\" rule_line=3 cmdline=-"));
	sw_listen_format(&a, SW_FMT_JSON, buf, sizeof(buf));
	assert_non_null(strstr(buf,
			       ",\"container\":null,\"rule_file\":\"/etc/sockwatch/deny list\","
			       "\"rule_line\":3,\"cmdline\":null}"));
}

static void test_text_escapes_hostile(void **state)
{
	struct sw_alert a = sample();
	char buf[SW_ALERT_LINE_MAX];

	a.comm = "ev\x1b]0;x\x07il";
	a.exe = "/tmp/\xe2\x80\xaegpj.exe";
	a.cmdline = "sh -c \x1b[2J\r\necho \\ok \x9b\xff";
	sw_listen_format(&a, SW_FMT_TEXT, buf, sizeof(buf));
	for (const unsigned char *p = (const unsigned char *)buf; *p; p++)
		assert_true(*p >= 0x20 && *p != 0x7f);
	assert_non_null(strstr(buf, " comm=ev\\x1b]0;x\\x07il "));
	assert_non_null(strstr(buf, " exe=/tmp/\\u{202e}gpj.exe "));
	assert_non_null(strstr(buf, " cmdline=\"sh -c \\x1b[2J\\x0d\\x0aecho \\\\ok \\x9b\\xff\""));
}

/*
 * Reads the " key=value" fields of a text line the way a log parser would
 * (logfmt: a value is quoted, with \" and \\ inside, or runs to the next
 * space) into keys[] and values[] (unescaped); returns how many, -1 if the
 * line does not parse.
 */
static int text_fields(const char *line, char keys[][32], char values[][256], int max)
{
	const char *p = strchr(line, '=');
	int n = 0;

	if (!p)
		return -1;
	while (p > line && p[-1] != ' ')
		p--; /* the first key */
	while (*p && n < max) {
		size_t k = strcspn(p, "= ");
		char *v = values[n];

		if (p[k] != '=' || k >= 32)
			return -1;
		memcpy(keys[n], p, k);
		keys[n][k] = '\0';
		p += k + 1;
		if (*p == '"') {
			for (p++; *p != '"'; p++) {
				if (!*p)
					return -1;
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				*v++ = *p;
			}
			p++;
		} else {
			while (*p && *p != ' ')
				*v++ = *p++;
		}
		*v = '\0';
		n++;
		if (*p && *p++ != ' ')
			return -1;
	}
	return n;
}

/* Text a process controls can hold spaces, '=' and quotes, but never pass for other fields. */
/* A process may call itself "-": that is its name, not an unknown one. */
static void test_dash_is_a_name(void **state)
{
	struct sw_alert a = sample();
	char buf[SW_ALERT_LINE_MAX];

	a.comm = "-";
	a.cmdline = "-";
	a.cgroup = NULL;
	assert_true(sw_listen_format(&a, SW_FMT_TEXT, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, " comm=\"-\" "));
	assert_non_null(strstr(buf, " cgroup=- "));
	assert_non_null(strstr(buf, " cmdline=\"-\""));
	assert_true(sw_listen_format(&a, SW_FMT_JSON, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"comm\":\"-\","));
	assert_non_null(strstr(buf, "\"cgroup\":null,"));
	assert_non_null(strstr(buf, "\"cmdline\":\"-\"}"));
}

static void test_text_fields_cannot_be_forged(void **state)
{
	static const char *const want_keys[] = {
		"exposure",  "family", "netns",	    "host_netns", "pid",
		"ppid",	     "uid",    "user",	    "comm",	  "exe",
		"exe_check", "cgroup", "container", "rule_line",  "cmdline",
	};
	struct sw_alert a = sample();
	char buf[SW_ALERT_LINE_MAX], keys[32][32], values[32][256];
	int n;

	a.comm = "x exe=/usr/sbin/sshd";
	a.exe = "/tmp/evil dir/x";
	a.user = "a\"b c=\\";
	a.cgroup = "";
	a.container = "rule_line=1";
	a.cmdline = "sh -c \"x=1\" pid=1";
	assert_true(sw_listen_format(&a, SW_FMT_TEXT, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, " comm=\"x exe=/usr/sbin/sshd\" exe=\"/tmp/evil dir/x\" "));
	n = text_fields(buf, keys, values, 32);
	assert_int_equal(n, (int)(sizeof(want_keys) / sizeof(want_keys[0])));
	for (int i = 0; i < n; i++)
		assert_string_equal(keys[i], want_keys[i]);
	assert_string_equal(values[7], a.user);
	assert_string_equal(values[8], a.comm);
	assert_string_equal(values[9], a.exe);
	assert_string_equal(values[10], a.exe_check);
	assert_string_equal(values[11], a.cgroup);
	assert_string_equal(values[12], a.container);
	assert_string_equal(values[14], a.cmdline);
}

/* A minimal validator for one flat JSON object of strings, numbers, booleans and null. */
static const char *json_string(const char *p)
{
	unsigned int cp;
	size_t n;

	if (*p++ != '"')
		return NULL;
	while (*p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!isxdigit((unsigned char)p[i]))
						return NULL;
				p += 5;
			} else if (*p && strchr("\"\\/bfnrt", *p)) {
				p++;
			} else {
				return NULL;
			}
			continue;
		}
		n = sw_utf8_decode((const unsigned char *)p, strlen(p), &cp);
		if (!n)
			return NULL;
		p += n;
	}
	return p + 1;
}

static bool json_object_valid(const char *p)
{
	if (*p++ != '{')
		return false;
	for (;;) {
		p = json_string(p);
		if (!p || *p++ != ':')
			return false;
		if (*p == '"') {
			p = json_string(p);
			if (!p)
				return false;
		} else if (!strncmp(p, "null", 4) || !strncmp(p, "true", 4)) {
			p += 4;
		} else if (!strncmp(p, "false", 5)) {
			p += 5;
		} else if (isdigit((unsigned char)*p)) {
			while (isdigit((unsigned char)*p))
				p++;
		} else {
			return false;
		}
		if (*p == '}')
			return p[1] == '\0';
		if (*p++ != ',')
			return false;
	}
}

static void test_json_valid_for_every_byte(void **state)
{
	struct sw_alert a = sample();
	char buf[SW_ALERT_LINE_MAX], s[8];

	for (int b = 1; b < 256; b++) {
		for (int pos = 0; pos < 3; pos++) {
			memcpy(s, "a\"b\\c", 6);
			s[pos] = (char)b;
			a.comm = a.exe = a.cmdline = a.cgroup = a.user = s;
			assert_true(sw_listen_format(&a, SW_FMT_JSON, buf, sizeof(buf)) > 0);
			if (!json_object_valid(buf))
				fail_msg("invalid JSON for byte 0x%02x at %d: %s", b, pos, buf);
		}
	}
	/* Truncated and overlong UTF-8 sequences. */
	a.cmdline = "\xe2\x80 \xc0\xaf \xf4\x90\x80\x80 \xed\xa0\x80";
	sw_listen_format(&a, SW_FMT_JSON, buf, sizeof(buf));
	assert_true(json_object_valid(buf));
}

/* Alerts have no ECS mapping: refused, never a line that is half text, half JSON. */
static void test_ecs_refused(void **state)
{
	struct sw_alert a = sample();
	char buf[SW_ALERT_LINE_MAX];

	assert_int_equal(sw_listen_format(&a, SW_FMT_ECS, buf, sizeof(buf)), -EINVAL);
}

static void test_overflow(void **state)
{
	struct sw_alert a = sample();
	char buf[64];

	assert_int_equal(sw_listen_format(&a, SW_FMT_JSON, buf, sizeof(buf)), -ENOSPC);
	assert_true(strlen(buf) < sizeof(buf));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_exact),
		cmocka_unit_test(test_json_exact),
		cmocka_unit_test(test_remote_and_unknown_owner),
		cmocka_unit_test(test_ownerless_uid_known),
		cmocka_unit_test(test_rule_file),
		cmocka_unit_test(test_resync_source),
		cmocka_unit_test(test_lost),
		cmocka_unit_test(test_text_escapes_hostile),
		cmocka_unit_test(test_text_fields_cannot_be_forged),
		cmocka_unit_test(test_dash_is_a_name),
		cmocka_unit_test(test_json_valid_for_every_byte),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_ecs_refused),
		cmocka_unit_test(test_text_unknown_family),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
