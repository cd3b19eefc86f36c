// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of the record renderer (text, JSON, ECS) and of the events verb's size/time parsers. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cli.h"
#include "format.h"

static const char hostile[] = "\x1b[2J\"\\\xff\xfe\n";

static struct sw_record rec(unsigned int kind)
{
	struct sw_record r;

	memset(&r, 0, sizeof(r));
	r.seq = 7;
	r.wall.tv_sec = 1795684738;
	r.wall.tv_nsec = 123456789;
	r.ev.kind = kind;
	r.ev.family = SW_AF_INET;
	memcpy(r.ev.laddr, (__u8[]){ 10, 0, 0, 5 }, 4);
	memcpy(r.ev.raddr, (__u8[]){ 93, 184, 216, 34 }, 4);
	r.ev.lport = 51234;
	r.ev.rport = 443;
	r.ev.newstate = SW_TCP_ESTABLISHED;
	r.ev.flags = SW_OWNER_CURRENT;
	r.ev.pid = 4242;
	r.ev.tid = 4243;
	r.ev.uid = 0;
	r.ev.cookie = 1ULL << 60;
	r.ev.birth_ns = 1000;
	r.ev.ts_ns = 1000 + 2500000; /* 2.5 ms */
	memcpy(r.ev.comm, hostile, sizeof(hostile));
	return r;
}

static const char *render(const struct sw_record *r, enum sw_fmt fmt)
{
	static char buf[SW_LINE_MAX];
	int n = sw_format_record(r, fmt, buf, sizeof(buf));

	assert_true(n > 0);
	assert_int_equal(strlen(buf), n);
	return buf;
}

static void test_json_native_names(void **state)
{
	struct sw_record r = rec(SW_EV_CONNECT);
	const char *s = render(&r, SW_FMT_JSON);

	assert_non_null(strstr(s, "{\"v\":1,\"seq\":7,\"ts\":\"2026-11-26T"));
	assert_non_null(
		strstr(s, ".123456789Z\",\"event\":\"connect\",\"proto\":\"tcp\",\"family\":4,"));
	assert_non_null(strstr(s, "\"laddr\":\"10.0.0.5\",\"lport\":51234,"
				  "\"raddr\":\"93.184.216.34\",\"rport\":443"));
	assert_non_null(strstr(s, "\"cookie\":1152921504606846976}"));
	assert_null(strstr(s, "source.ip"));
	assert_null(strstr(s, "ecs.version"));
}

static void test_hostile_name_escaped(void **state)
{
	struct sw_record r = rec(SW_EV_CONNECT);

	assert_non_null(strstr(render(&r, SW_FMT_JSON),
			       "\"comm\":\"\\u001b[2J\\\"\\\\\\ufffd\\ufffd\\n\""));
	assert_non_null(strstr(render(&r, SW_FMT_ECS), "\"process.name\":\"\\u001b[2J\\\"\\\\"));
	assert_null(strchr(render(&r, SW_FMT_TEXT), '\x1b'));
	assert_null(strchr(render(&r, SW_FMT_TEXT), '\n'));
}

static void test_ecs_connect_is_egress_from_source(void **state)
{
	struct sw_record r = rec(SW_EV_CONNECT);
	const char *s = render(&r, SW_FMT_ECS);

	assert_non_null(strstr(s, "{\"ecs.version\":\"8.11.0\",\"sockwatch.schema_version\":1,"
				  "\"event.sequence\":7,\"@timestamp\":\"2026-11-26T"));
	assert_non_null(strstr(s,
			       "\"event.action\":\"connect\",\"event.kind\":\"event\","
			       "\"event.category\":[\"network\"],"
			       "\"event.type\":[\"connection\",\"start\"],"
			       "\"event.outcome\":\"success\",\"network.direction\":\"egress\""));
	assert_non_null(strstr(s, "\"network.transport\":\"tcp\",\"network.type\":\"ipv4\","
				  "\"source.ip\":\"10.0.0.5\",\"source.port\":51234,"
				  "\"destination.ip\":\"93.184.216.34\",\"destination.port\":443"));
	assert_non_null(strstr(s, "\"process.pid\":4242,\"process.thread.id\":4243,"));
	assert_non_null(strstr(s, "\"user.id\":\"0\""));
	assert_non_null(strstr(s, "\"sockwatch.cookie\":\"1152921504606846976\""));
	assert_null(strstr(s, "\"laddr\""));
}

static void test_ecs_accept_peer_is_source(void **state)
{
	struct sw_record r = rec(SW_EV_ACCEPT);
	const char *s = render(&r, SW_FMT_ECS);

	assert_non_null(strstr(s, "\"destination.ip\":\"10.0.0.5\",\"destination.port\":51234,"
				  "\"source.ip\":\"93.184.216.34\",\"source.port\":443"));
	assert_non_null(strstr(s, "\"network.direction\":\"ingress\""));
}

static void test_ecs_listen_has_no_remote(void **state)
{
	struct sw_record r = rec(SW_EV_LISTEN);
	const char *s = render(&r, SW_FMT_ECS);

	assert_non_null(strstr(s, "\"destination.port\":51234"));
	assert_null(strstr(s, "source."));
	assert_null(strstr(s, "network.direction"));
	assert_null(strstr(render(&r, SW_FMT_JSON), "raddr"));
}

/*
 * A listener's state records (CLOSE->LISTEN, LISTEN->CLOSE): like listen,
 * the local end is the destination and there is no remote end (not a
 * destination of 0.0.0.0:0); a child's LISTEN->SYN_RECV keeps its peer.
 */
static void test_ecs_listener_state_has_no_remote(void **state)
{
	struct sw_record r = rec(SW_EV_STATE);
	const char *s;

	memset(r.ev.raddr, 0, sizeof(r.ev.raddr));
	r.ev.rport = 0;
	r.ev.oldstate = SW_TCP_CLOSE;
	r.ev.newstate = SW_TCP_LISTEN;
	for (int i = 0; i < 2; i++) {
		s = render(&r, SW_FMT_ECS);
		assert_non_null(strstr(s,
				       "\"destination.ip\":\"10.0.0.5\",\"destination.port\":51234,"
				       "\"sockwatch.state\":"));
		assert_null(strstr(s, "source."));
		assert_null(strstr(s, "0.0.0.0"));
		assert_null(strstr(render(&r, SW_FMT_JSON), "raddr"));
		r.ev.oldstate = SW_TCP_LISTEN;
		r.ev.newstate = SW_TCP_CLOSE;
	}
	r = rec(SW_EV_STATE);
	r.ev.oldstate = SW_TCP_LISTEN;
	r.ev.newstate = SW_TCP_SYN_RECV;
	s = render(&r, SW_FMT_ECS);
	assert_non_null(strstr(s, "\"source.ip\":\"10.0.0.5\",\"source.port\":51234,"
				  "\"destination.ip\":\"93.184.216.34\",\"destination.port\":443"));
}

static void test_duration_units(void **state)
{
	struct sw_record r = rec(SW_EV_CLOSE);

	assert_non_null(strstr(render(&r, SW_FMT_JSON), "\"duration_us\":2500,"));
	assert_non_null(strstr(render(&r, SW_FMT_ECS), "\"event.duration\":2500000,"));
	assert_non_null(strstr(render(&r, SW_FMT_TEXT), " duration_us=2500 "));
}

static void test_connect_failed_error_fields(void **state)
{
	struct sw_record r = rec(SW_EV_CONNECT_FAILED);
	const char *s;

	r.ev.error = 111;
	s = render(&r, SW_FMT_ECS);
	assert_non_null(strstr(s, "\"event.outcome\":\"failure\""));
	assert_non_null(strstr(s, "\"error.message\":\"refused\",\"error.code\":\"111\""));
	assert_non_null(strstr(render(&r, SW_FMT_JSON), "\"reason\":\"refused\",\"errno\":111"));

	/* no free local port: its own reason in every format, not "aborted" */
	r.ev.error = 99;
	assert_non_null(strstr(render(&r, SW_FMT_ECS),
			       "\"error.message\":\"no_local_port\",\"error.code\":\"99\""));
	assert_non_null(
		strstr(render(&r, SW_FMT_JSON), "\"reason\":\"no_local_port\",\"errno\":99"));
	assert_non_null(strstr(render(&r, SW_FMT_TEXT), " reason=no_local_port errno=99"));
	r.ev.error = 0;
	assert_non_null(strstr(render(&r, SW_FMT_JSON), "\"reason\":\"aborted\",\"errno\":0"));
}

/* A record made without a socket-map entry: sockwatch.entry "none", no owner fields. */
static void test_no_entry_marker(void **state)
{
	struct sw_record r = rec(SW_EV_CLOSE);
	const char *s;

	r.ev.flags = SW_OWNER_NONE | SW_F_NO_ENTRY;
	s = render(&r, SW_FMT_ECS);
	assert_non_null(strstr(s, ",\"sockwatch.entry\":\"none\",\"sockwatch.netns\":"));
	assert_null(strstr(s, "process.pid"));
}

/* A lost record a sink made: family 0, no addresses, its spec (any bytes) as where. */
static void test_sink_lost_record_every_format(void **state)
{
	struct sw_record r;

	memset(&r, 0, sizeof(r));
	r.ev.kind = SW_EV_LOST;
	r.seq = 1400;
	r.lost = 250;
	r.lost_where = "file:/tmp/a\"b\x1b";
	assert_string_equal(
		strstr(render(&r, SW_FMT_JSON), "\"event\""),
		"\"event\":\"lost\",\"lost\":250,\"where\":\"file:/tmp/a\\\"b\\u001b\"}");
	assert_string_equal(
		strstr(render(&r, SW_FMT_ECS), "\"event.action\""),
		"\"event.action\":\"lost\",\"event.kind\":\"pipeline_error\","
		"\"sockwatch.lost\":250,\"sockwatch.lost_where\":\"file:/tmp/a\\\"b\\u001b\"}");
	assert_non_null(strstr(render(&r, SW_FMT_TEXT), "250 events lost in file:/tmp/a\"b\\x1b"));
	assert_null(strchr(render(&r, SW_FMT_TEXT), '\x1b'));
}

static void test_format_parse(void **state)
{
	enum sw_fmt f;

	assert_int_equal(sw_format_parse("ecs", &f), 0);
	assert_int_equal(f, SW_FMT_ECS);
	assert_int_equal(sw_format_parse("json", &f), 0);
	assert_int_equal(f, SW_FMT_JSON);
	assert_int_equal(sw_format_parse("text", &f), 0);
	assert_int_equal(f, SW_FMT_TEXT);
	assert_int_equal(sw_format_parse("JSON", &f), -EINVAL);
	assert_int_equal(sw_format_parse("", &f), -EINVAL);
}

static void test_format_line_adapter(void **state)
{
	struct sw_record r = rec(SW_EV_CONNECT);
	enum sw_fmt fmt = SW_FMT_ECS;
	char buf[SW_LINE_MAX];

	assert_true(sw_format_line(&r, &fmt, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, render(&r, SW_FMT_ECS));
	assert_int_equal(sw_format_line(&r, &fmt, buf, 40), -ENOSPC);
}

static void test_parse_size(void **state)
{
	unsigned long long v;

	assert_int_equal(sw_parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(sw_parse_size("4k", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(sw_parse_size("100M", &v), 0);
	assert_int_equal(v, 100ULL << 20);
	assert_int_equal(sw_parse_size("2G", &v), 0);
	assert_int_equal(v, 2ULL << 30);
	assert_int_equal(sw_parse_size("12q", &v), -EINVAL);
	assert_int_equal(sw_parse_size("1kk", &v), -EINVAL);
	assert_int_equal(sw_parse_size("-1", &v), -EINVAL);
	assert_int_equal(sw_parse_size("", &v), -EINVAL);
	assert_int_equal(sw_parse_size("99999999999999999999", &v), -ERANGE);
	assert_int_equal(sw_parse_size("99999999999G", &v), -ERANGE);
}

static void test_parse_seconds(void **state)
{
	__u32 v;

	assert_int_equal(sw_parse_seconds("90", 1, 1000000, &v), 0);
	assert_int_equal(v, 90);
	assert_int_equal(sw_parse_seconds("30m", 1, 1000000, &v), 0);
	assert_int_equal(v, 1800);
	assert_int_equal(sw_parse_seconds("1h", 1, 1000000, &v), 0);
	assert_int_equal(v, 3600);
	assert_int_equal(sw_parse_seconds("1d", 1, 1000000, &v), 0);
	assert_int_equal(v, 86400);
	assert_int_equal(sw_parse_seconds("0", 1, 1000000, &v), -ERANGE);
	assert_int_equal(sw_parse_seconds("1w", 1, 1000000, &v), -EINVAL);
	assert_int_equal(sw_parse_seconds("h", 1, 1000000, &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_native_names),
		cmocka_unit_test(test_hostile_name_escaped),
		cmocka_unit_test(test_ecs_connect_is_egress_from_source),
		cmocka_unit_test(test_ecs_accept_peer_is_source),
		cmocka_unit_test(test_ecs_listen_has_no_remote),
		cmocka_unit_test(test_ecs_listener_state_has_no_remote),
		cmocka_unit_test(test_duration_units),
		cmocka_unit_test(test_connect_failed_error_fields),
		cmocka_unit_test(test_sink_lost_record_every_format),
		cmocka_unit_test(test_no_entry_marker),
		cmocka_unit_test(test_format_parse),
		cmocka_unit_test(test_format_line_adapter),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_seconds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
