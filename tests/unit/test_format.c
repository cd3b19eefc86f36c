// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests: the exact text and JSON renderings of event records. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "addr.h"
#include "format.h"
#include "sockid.h"

static struct sw_record close_record(void)
{
	struct sw_record r = { .seq = 42 };
	unsigned int family;

	r.ev.kind = SW_EV_CLOSE;
	r.ev.family = SW_AF_INET;
	sw_addr_parse("10.0.0.5", &family, r.ev.laddr);
	sw_addr_parse("93.184.216.34", &family, r.ev.raddr);
	r.ev.lport = 51234;
	r.ev.rport = 443;
	r.ev.oldstate = SW_TCP_FIN_WAIT2;
	r.ev.newstate = SW_TCP_CLOSE;
	r.ev.pid = 4242;
	r.ev.tid = 4243;
	r.ev.uid = 0;
	r.ev.cgroup_id = 77;
	r.ev.netns = 4026531840u;
	r.ev.cookie = 9001;
	r.ev.flags = SW_OWNER_SOCKET;
	r.ev.birth_ns = 1000000;
	r.ev.ts_ns = 3500000;
	r.ev.bytes_sent = 1000;
	r.ev.bytes_received = 500;
	r.ev.srtt_us = 31;
	r.ev.closer = SW_CLOSER_LOCAL;
	strcpy(r.ev.comm, "curl");
	r.wall.tv_sec = 1795684738; /* 2026-11-26T09:18:58Z */
	r.wall.tv_nsec = 123456789;
	return r;
}

/* A record whose family is not one we know: empty address, "?" column, never stale bytes. */
static void unknown_family(void **state)
{
	struct sw_record r = close_record();
	char line[SW_LINE_MAX];

	r.ev.family = 0;
	assert_true(sw_format_record(&r, SW_FMT_JSON, line, sizeof(line)) > 0);
	assert_non_null(
		strstr(line, "\"laddr\":\"\",\"lport\":51234,\"raddr\":\"\",\"rport\":443,"));
	assert_true(sw_format_record(&r, SW_FMT_TEXT, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, " ? "));
	assert_null(strstr(line, "10.0.0.5"));
}

/* The members close_record() begins with in JSON, up to the owner's cgroup. */
#define CLOSE_JSON_HEAD                                                                      \
	"{\"v\":1,\"seq\":42,\"ts\":\"2026-11-26T09:18:58.123456789Z\",\"event\":\"close\"," \
	"\"proto\":\"tcp\",\"family\":4,\"laddr\":\"10.0.0.5\",\"lport\":51234,"             \
	"\"raddr\":\"93.184.216.34\",\"rport\":443,\"state\":\"CLOSE\",\"pid\":4242,"        \
	"\"tid\":4243,\"comm\":\"curl\",\"uid\":0,\"user\":\"root\",\"cgroup_id\":77,"

static void json_close(void **state)
{
	struct sw_record r = close_record();
	char line[SW_LINE_MAX];

	assert_true(sw_format_record(&r, SW_FMT_JSON, line, sizeof(line)) > 0);
	assert_string_equal(
		line, CLOSE_JSON_HEAD
		"\"duration_us\":2500,\"bytes_sent\":1000,\"bytes_received\":500,"
		"\"bytes_retrans\":0,\"srtt_us\":31,\"closer\":\"local\",\"netns\":4026531840,"
		"\"cookie\":9001}");
}

/* A close the sweep inferred: flagged, and no counts, RTT or duration it cannot know. */
static void inferred_close(void **state)
{
	struct sw_record r = close_record();
	char line[SW_LINE_MAX];

	r.ev.flags |= SW_F_INFERRED;
	r.ev.bytes_sent = r.ev.bytes_received = 0;
	r.ev.srtt_us = 0;
	r.ev.oldstate = 0;
	assert_true(sw_format_record(&r, SW_FMT_JSON, line, sizeof(line)) > 0);
	assert_string_equal(
		line, CLOSE_JSON_HEAD
		"\"inferred\":true,\"closer\":\"local\",\"netns\":4026531840,\"cookie\":9001}");
	setenv("TZ", "UTC", 1);
	assert_true(sw_format_record(&r, SW_FMT_TEXT, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "  inferred=yes closer=local"));
	assert_null(strstr(line, "bytes_sent"));
	r.ev.kind = SW_EV_UNLISTEN;
	assert_true(sw_format_record(&r, SW_FMT_JSON, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "\"event\":\"unlisten\""));
	assert_non_null(strstr(line, "\"inferred\":true"));
	assert_true(sw_format_record(&r, SW_FMT_ECS, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "\"sockwatch.inferred\":true"));
}

/* An accept done inside the kernel: flagged, no owner, no latency. */
static void inferred_accept(void **state)
{
	struct sw_record r = close_record();
	char line[SW_LINE_MAX];

	r.ev.kind = SW_EV_ACCEPT;
	r.ev.newstate = SW_TCP_ESTABLISHED;
	r.ev.flags = SW_OWNER_NONE | SW_F_INFERRED;
	r.ev.latency_ns = 0;
	assert_true(sw_format_record(&r, SW_FMT_JSON, line, sizeof(line)) > 0);
	assert_string_equal(line,
			    "{\"v\":1,\"seq\":42,\"ts\":\"2026-11-26T09:18:58.123456789Z\","
			    "\"event\":\"accept\",\"proto\":\"tcp\",\"family\":4,"
			    "\"laddr\":\"10.0.0.5\",\"lport\":51234,\"raddr\":\"93.184.216.34\","
			    "\"rport\":443,\"state\":\"ESTABLISHED\",\"inferred\":true,"
			    "\"netns\":4026531840,\"cookie\":9001}");
	setenv("TZ", "UTC", 1);
	assert_true(sw_format_record(&r, SW_FMT_TEXT, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "  inferred=yes"));
	assert_null(strstr(line, "latency_us"));
	/* an ordinary one has its latency */
	r.ev.flags = SW_OWNER_CURRENT;
	r.ev.latency_ns = 7000;
	assert_true(sw_format_record(&r, SW_FMT_JSON, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "\"latency_us\":7,"));
	assert_null(strstr(line, "inferred"));
}

/*
 * A connect or accept whose start was not seen (SW_F_NO_LATENCY): no
 * latency_us in any format, not 0; a measured latency under 1 us is 0.
 */
static void unknown_latency(void **state)
{
	static const int kinds[] = { SW_EV_ACCEPT, SW_EV_CONNECT };
	struct sw_record r = close_record();
	char line[SW_LINE_MAX];

	r.ev.kind = SW_EV_ACCEPT;
	r.ev.newstate = SW_TCP_ESTABLISHED;
	r.ev.flags = SW_OWNER_CURRENT | SW_F_NO_LATENCY;
	r.ev.latency_ns = 0;
	r.ev.birth_ns = 0;
	assert_true(sw_format_record(&r, SW_FMT_JSON, line, sizeof(line)) > 0);
	assert_string_equal(line,
			    "{\"v\":1,\"seq\":42,\"ts\":\"2026-11-26T09:18:58.123456789Z\","
			    "\"event\":\"accept\",\"proto\":\"tcp\",\"family\":4,"
			    "\"laddr\":\"10.0.0.5\",\"lport\":51234,\"raddr\":\"93.184.216.34\","
			    "\"rport\":443,\"state\":\"ESTABLISHED\",\"pid\":4242,\"tid\":4243,"
			    "\"comm\":\"curl\",\"uid\":0,\"user\":\"root\",\"cgroup_id\":77,"
			    "\"netns\":4026531840,\"cookie\":9001}");
	setenv("TZ", "UTC", 1);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		r.ev.kind = kinds[k];
		r.ev.flags = SW_OWNER_CURRENT | SW_F_NO_LATENCY;
		r.ev.latency_ns = 0;
		assert_true(sw_format_record(&r, SW_FMT_JSON, line, sizeof(line)) > 0);
		assert_null(strstr(line, "latency"));
		assert_true(sw_format_record(&r, SW_FMT_ECS, line, sizeof(line)) > 0);
		assert_null(strstr(line, "latency"));
		assert_true(sw_format_record(&r, SW_FMT_TEXT, line, sizeof(line)) > 0);
		assert_null(strstr(line, "latency"));
		/* measured, under a microsecond: there, as 0 */
		r.ev.flags = SW_OWNER_CURRENT;
		r.ev.latency_ns = 400;
		assert_true(sw_format_record(&r, SW_FMT_JSON, line, sizeof(line)) > 0);
		assert_non_null(strstr(line, "\"latency_us\":0,"));
		assert_true(sw_format_record(&r, SW_FMT_ECS, line, sizeof(line)) > 0);
		assert_non_null(strstr(line, "\"sockwatch.latency_us\":0,"));
		assert_true(sw_format_record(&r, SW_FMT_TEXT, line, sizeof(line)) > 0);
		assert_non_null(strstr(line, " latency_us=0"));
	}
	/* the connect keeps its RTT either way */
	r.ev.flags = SW_OWNER_CURRENT | SW_F_NO_LATENCY;
	assert_true(sw_format_record(&r, SW_FMT_JSON, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "\"cgroup_id\":77,\"srtt_us\":31,\"netns\""));
}

static void json_hostile_comm(void **state)
{
	struct sw_record r = close_record();
	char line[SW_LINE_MAX];

	memcpy(r.ev.comm, "\x1b[2J\"\\\xff\n", 8);
	r.ev.comm[8] = '\0';
	assert_true(sw_format_record(&r, SW_FMT_JSON, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "\"comm\":\"\\u001b[2J\\\"\\\\\\ufffd\\n\""));
	assert_null(strchr(line, '\x1b'));
}

static void json_unknown_owner_and_lost(void **state)
{
	struct sw_record r = close_record();
	char line[SW_LINE_MAX];

	r.ev.flags = SW_OWNER_NONE;
	assert_true(sw_format_record(&r, SW_FMT_JSON, line, sizeof(line)) > 0);
	assert_null(strstr(line, "\"pid\""));
	assert_null(strstr(line, "\"comm\""));

	memset(&r, 0, sizeof(r));
	r.ev.kind = SW_EV_LOST;
	r.seq = 7;
	r.lost = 12;
	r.lost_where = "ringbuf";
	r.wall.tv_sec = 1795684738;
	assert_true(sw_format_record(&r, SW_FMT_JSON, line, sizeof(line)) > 0);
	assert_string_equal(line, "{\"v\":1,\"seq\":7,\"ts\":\"2026-11-26T09:18:58.000000000Z\","
				  "\"event\":\"lost\",\"lost\":12,\"where\":\"ringbuf\"}");
}

/*
 * The state records of a listener (into LISTEN, and LISTEN->CLOSE) leave
 * the remote end out, as its listen and unlisten do (the kernel's is
 * 0.0.0.0:0); a listener's child's LISTEN->SYN_RECV has its peer.
 */
static void listener_state_no_remote(void **state)
{
	struct sw_record r = close_record();
	char line[SW_LINE_MAX];

	setenv("TZ", "UTC", 1);
	r.ev.kind = SW_EV_STATE;
	r.ev.flags = SW_OWNER_CURRENT;
	memset(r.ev.raddr, 0, sizeof(r.ev.raddr));
	r.ev.rport = 0;
	r.ev.lport = 8080;
	r.ev.oldstate = SW_TCP_CLOSE;
	r.ev.newstate = SW_TCP_LISTEN;
	strcpy(r.ev.comm, "python3");
	assert_true(sw_format_record(&r, SW_FMT_JSON, line, sizeof(line)) > 0);
	assert_string_equal(line, "{\"v\":1,\"seq\":42,\"ts\":\"2026-11-26T09:18:58.123456789Z\","
				  "\"event\":\"state\",\"proto\":\"tcp\",\"family\":4,"
				  "\"laddr\":\"10.0.0.5\",\"lport\":8080,\"state\":\"LISTEN\","
				  "\"pid\":4242,\"tid\":4243,\"comm\":\"python3\",\"uid\":0,"
				  "\"user\":\"root\",\"cgroup_id\":77,\"oldstate\":\"CLOSE\","
				  "\"netns\":4026531840,\"cookie\":9001}");
	assert_true(sw_format_record(&r, SW_FMT_TEXT, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "10.0.0.5:8080             *                         LISTEN"));
	r.ev.oldstate = SW_TCP_LISTEN;
	r.ev.newstate = SW_TCP_CLOSE;
	assert_true(sw_format_record(&r, SW_FMT_JSON, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "\"lport\":8080,\"state\":\"CLOSE\",\"pid\":4242,"));
	assert_null(strstr(line, "raddr"));
	assert_null(strstr(line, "rport"));
	/* a listener's child */
	r.ev.oldstate = SW_TCP_LISTEN;
	r.ev.newstate = SW_TCP_SYN_RECV;
	sw_addr_parse("93.184.216.34", &(unsigned int){ 0 }, r.ev.raddr);
	r.ev.rport = 443;
	assert_true(sw_format_record(&r, SW_FMT_JSON, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "\"lport\":8080,\"raddr\":\"93.184.216.34\",\"rport\":443,"
				     "\"state\":\"SYN_RECV\","));
}

/*
 * A close made without the socket's entry in the socket map (evicted, or
 * older than the tracer): no owner, and "entry":"none" says why; an
 * eviction count is its own lost record, which no text reads as lost events.
 */
static void no_entry_and_evictions(void **state)
{
	struct sw_record r = close_record();
	char line[SW_LINE_MAX];

	setenv("TZ", "UTC", 1);
	r.ev.flags = SW_OWNER_NONE | SW_F_NO_ENTRY;
	r.ev.birth_ns = 0;
	assert_true(sw_format_record(&r, SW_FMT_JSON, line, sizeof(line)) > 0);
	assert_string_equal(line,
			    "{\"v\":1,\"seq\":42,\"ts\":\"2026-11-26T09:18:58.123456789Z\","
			    "\"event\":\"close\",\"proto\":\"tcp\",\"family\":4,"
			    "\"laddr\":\"10.0.0.5\",\"lport\":51234,\"raddr\":\"93.184.216.34\","
			    "\"rport\":443,\"state\":\"CLOSE\",\"bytes_sent\":1000,"
			    "\"bytes_received\":500,\"bytes_retrans\":0,\"srtt_us\":31,"
			    "\"closer\":\"local\",\"entry\":\"none\",\"netns\":4026531840,"
			    "\"cookie\":9001}");
	assert_true(sw_format_record(&r, SW_FMT_TEXT, line, sizeof(line)) > 0);
	assert_string_equal(line, "09:18:58.123456 close          -       -                "
				  "10.0.0.5:51234            93.184.216.34:443         CLOSE      "
				  "  bytes_sent=1000 bytes_received=500 bytes_retrans=0 srtt_us=31 "
				  "closer=local entry=none");
	/* with an entry: no marker */
	r = close_record();
	assert_true(sw_format_record(&r, SW_FMT_JSON, line, sizeof(line)) > 0);
	assert_null(strstr(line, "entry"));

	memset(&r, 0, sizeof(r));
	r.ev.kind = SW_EV_LOST;
	r.seq = 8;
	r.lost = 960;
	r.lost_where = SW_LOST_SOCKET_MAP;
	r.wall.tv_sec = 1795684738;
	assert_true(sw_format_record(&r, SW_FMT_JSON, line, sizeof(line)) > 0);
	assert_string_equal(line, "{\"v\":1,\"seq\":8,\"ts\":\"2026-11-26T09:18:58.000000000Z\","
				  "\"event\":\"lost\",\"lost\":960,\"where\":\"socket-map\"}");
	assert_true(sw_format_record(&r, SW_FMT_TEXT, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, " lost           960 socket-map entries evicted (map full): "
				     "later events of those sockets have no owner (entry=none)"));
	assert_null(strstr(line, "events lost"));
}

static void text_columns(void **state)
{
	struct sw_record r = close_record();
	char line[SW_LINE_MAX];

	setenv("TZ", "UTC", 1);
	assert_true(sw_format_record(&r, SW_FMT_TEXT, line, sizeof(line)) > 0);
	assert_string_equal(line, "09:18:58.123456 close          4242    curl             "
				  "10.0.0.5:51234            93.184.216.34:443         CLOSE      "
				  "  duration_us=2500 bytes_sent=1000 bytes_received=500 "
				  "bytes_retrans=0 srtt_us=31 closer=local");
	memcpy(r.ev.comm, "\x1b]0;x\x07", 7);
	assert_true(sw_format_record(&r, SW_FMT_TEXT, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "\\x1b]0;x\\x07"));
	assert_null(strchr(line, '\x1b'));
}

/* A process name with a space or '=' stays one column: quoted, so it cannot pass for a detail. */
static void text_comm_cannot_forge_fields(void **state)
{
	struct sw_record r = close_record();
	char line[SW_LINE_MAX];

	setenv("TZ", "UTC", 1);
	strcpy(r.ev.comm, "x closer=peer");
	assert_true(sw_format_record(&r, SW_FMT_TEXT, line, sizeof(line)) > 0);
	assert_string_equal(line, "09:18:58.123456 close          4242    \"x closer=peer\"  "
				  "10.0.0.5:51234            93.184.216.34:443         CLOSE      "
				  "  duration_us=2500 bytes_sent=1000 bytes_received=500 "
				  "bytes_retrans=0 srtt_us=31 closer=local");
	strcpy(r.ev.comm, "a\"b");
	assert_true(sw_format_record(&r, SW_FMT_TEXT, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, " 4242    \"a\\\"b\"  "));
	r.ev.comm[0] = '\0';
	assert_true(sw_format_record(&r, SW_FMT_TEXT, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, " 4242    \"\"  "));
}

static void text_listen_has_no_remote(void **state)
{
	struct sw_record r = close_record();
	char line[SW_LINE_MAX];

	setenv("TZ", "UTC", 1);
	r.ev.kind = SW_EV_LISTEN;
	r.ev.newstate = SW_TCP_LISTEN;
	assert_true(sw_format_record(&r, SW_FMT_TEXT, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "10.0.0.5:51234            *                         LISTEN"));
	assert_true(sw_format_record(&r, SW_FMT_JSON, line, sizeof(line)) > 0);
	assert_null(strstr(line, "raddr"));
}

/* Where each blank-separated word of line starts: up to max, returns how many. */
static size_t word_starts(const char *line, size_t *starts, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; line[i] && n < max; i++)
		if (line[i] != ' ' && (!i || line[i - 1] == ' '))
			starts[n++] = i;
	return n;
}

/*
 * Each column title starts exactly where its column's values start, and
 * DETAILS where the first detail does: for a record with details, one
 * without (a listener), an IPv6 one and one without an owner.
 */
static void header_matches_columns(void **state)
{
	struct sw_record rs[4] = { close_record(), close_record(), close_record(), close_record() };
	size_t hs[16], ds[16], nh, nd;
	char hdr[256], line[SW_LINE_MAX];
	unsigned int family;

	setenv("TZ", "UTC", 1);
	rs[1].ev.kind = SW_EV_LISTEN;
	rs[1].ev.newstate = SW_TCP_LISTEN;
	rs[2].ev.kind = SW_EV_CONNECT;
	rs[2].ev.newstate = SW_TCP_ESTABLISHED;
	rs[2].ev.family = SW_AF_INET6;
	sw_addr_parse("2001:db8::5", &family, rs[2].ev.laddr);
	sw_addr_parse("2001:db8::77", &family, rs[2].ev.raddr);
	rs[2].ev.pid = 4194304;
	strcpy(rs[2].ev.comm, "connect_failed_"); /* 15 characters, the most there are */
	rs[3].ev.flags = 0; /* no owner: "-" */
	assert_true(sw_format_header(SW_FMT_TEXT, hdr, sizeof(hdr)) > 0);
	nh = word_starts(hdr, hs, 16);
	assert_int_equal(nh, 8); /* seven columns and DETAILS */
	for (size_t i = 0; i < sizeof(rs) / sizeof(rs[0]); i++) {
		assert_true(sw_format_record(&rs[i], SW_FMT_TEXT, line, sizeof(line)) > 0);
		nd = word_starts(line, ds, 16);
		assert_true(nd >= 7);
		for (size_t c = 0; c < (nd > 7 ? 8 : 7); c++)
			if (ds[c] != hs[c])
				fail_msg(
					"record %zu, column %zu: header at %zu, value at %zu\n%s\n%s",
					i, c, hs[c], ds[c], hdr, line);
	}
}

static void small_buffer(void **state)
{
	struct sw_record r = close_record();
	char line[64];

	assert_int_equal(sw_format_record(&r, SW_FMT_JSON, line, sizeof(line)), -ENOSPC);
}

/*
 * Every buffer too small for a line: -ENOSPC, a NUL-terminated prefix of the
 * line, and not a byte written past the buffer. Each size ends the line in a
 * different field, so each field's checked writes (taken when its one room
 * check fails) are compared with the unchecked ones that made the whole line.
 */
static void every_truncation_is_a_prefix(void **state)
{
	struct sw_record rs[4] = { close_record(), close_record(), close_record() };
	char line[SW_LINE_MAX], small[SW_LINE_MAX + 1];
	unsigned int family;

	memcpy(rs[1].ev.comm, "\x1b[2J\"\\\xff\n", 8);
	rs[1].ev.comm[8] = '\0';
	rs[1].ev.kind = SW_EV_CONNECT_FAILED;
	rs[1].ev.error = ECONNREFUSED;
	rs[1].ev.cookie = 18446744073709551615ULL;
	rs[2].ev.family = SW_AF_INET6;
	sw_addr_parse("2001:db8::1", &family, rs[2].ev.laddr);
	sw_addr_parse("::ffff:10.1.2.3", &family, rs[2].ev.raddr);
	rs[2].ev.kind = SW_EV_CONNECT;
	rs[3].ev.kind = SW_EV_LOST;
	rs[3].lost = 12;
	rs[3].lost_where = "sink \"x\"";
	for (size_t i = 0; i < sizeof(rs) / sizeof(rs[0]); i++) {
		for (int f = SW_FMT_TEXT; f <= SW_FMT_ECS; f++) {
			int n = sw_format_record(&rs[i], (enum sw_fmt)f, line, sizeof(line));

			assert_true(n > 0);
			for (size_t size = 1; size <= (size_t)n + 1; size++) {
				memset(small, '#', sizeof(small));
				assert_int_equal(sw_format_record(&rs[i], (enum sw_fmt)f, small,
								  size),
						 size > (size_t)n ? n : -ENOSPC);
				assert_int_equal(small[size], '#');
				assert_true(strlen(small) < size);
				assert_memory_equal(small, line, strlen(small));
			}
		}
	}
}

/*
 * Keyed by socket address (raw_tp), the record's "cookie" is the kernel
 * address of the socket: JSON and ECS show the keyed hash of it instead,
 * never the address itself.
 */
static void address_key_never_written(void **state)
{
	struct sw_record r = close_record();
	char line[SW_LINE_MAX], want[64], addr[32];

	r.ev.cookie = 0xffff8881034a5600ULL;
	r.ev.flags |= SW_F_KEY_IS_PTR;
	snprintf(addr, sizeof(addr), "%llu", (unsigned long long)r.ev.cookie);
	snprintf(want, sizeof(want), "\"cookie\":%llu}",
		 (unsigned long long)sw_sockid_of_addr(r.ev.cookie, r.ev.birth_ns));
	assert_true(sw_format_record(&r, SW_FMT_JSON, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, want));
	assert_null(strstr(line, addr));
	snprintf(want, sizeof(want), "\"sockwatch.cookie\":\"%llu\"",
		 (unsigned long long)sw_sockid_of_addr(r.ev.cookie, r.ev.birth_ns));
	assert_true(sw_format_record(&r, SW_FMT_ECS, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, want));
	assert_null(strstr(line, addr));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_close),
		cmocka_unit_test(inferred_close),
		cmocka_unit_test(inferred_accept),
		cmocka_unit_test(unknown_latency),
		cmocka_unit_test(json_hostile_comm),
		cmocka_unit_test(json_unknown_owner_and_lost),
		cmocka_unit_test(no_entry_and_evictions),
		cmocka_unit_test(listener_state_no_remote),
		cmocka_unit_test(text_columns),
		cmocka_unit_test(text_listen_has_no_remote),
		cmocka_unit_test(text_comm_cannot_forge_fields),
		cmocka_unit_test(header_matches_columns),
		cmocka_unit_test(small_buffer),
		cmocka_unit_test(unknown_family),
		cmocka_unit_test(every_truncation_is_a_prefix),
		cmocka_unit_test(address_key_never_written),
	};

	return cmocka_run_group_tests_name("format", tests, NULL, NULL);
}
