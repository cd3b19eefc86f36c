// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of the --rules language: parsing, errors, matching and --learn round trips. */
#include <errno.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "addr.h"
#include "rules.h"
#include "sockwatch.h"

#define HOST_NETNS 4026531840u

static struct sw_rules *parse_ok(const char *text)
{
	struct sw_rules *r = NULL;
	char err[256] = "untouched";

	assert_int_equal(sw_rules_parse_string(text, "t", &r, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_non_null(r);
	return r;
}

/* A listener with sshd-like defaults; tests change what they look at. */
static struct sw_listener_info lis(const char *addr, __u16 port)
{
	struct sw_listener_info l = {
		.port = port,
		.comm = "sshd",
		.exe = "/usr/sbin/sshd",
		.uid = 0,
		.uid_known = true,
		.user = "root",
		.netns = HOST_NETNS,
		.host_netns = true,
	};

	assert_int_equal(sw_addr_parse(addr, &l.family, l.addr), 0);
	return l;
}

static bool allowed(const struct sw_rules *r, const struct sw_listener_info *l)
{
	return sw_rules_allow_listener(r, l, NULL);
}

static bool denied(const struct sw_rules *r, const char *addr, __u16 port)
{
	unsigned int family;
	__u8 a[16];

	assert_int_equal(sw_addr_parse(addr, &family, a), 0);
	return sw_rules_deny_remote(r, family, a, port, NULL);
}

static const char typical[] = "# a typical server\n"
			      "\n"
			      "allow listen port 22 comm sshd user root exposure wildcard\n"
			      "allow listen port 8000-8999 exposure loopback\n"
			      "allow listen exe /usr/lib/postgresql/*/bin/postgres netns host\n"
			      "allow listen port 53 addr 127.0.0.53\n"
			      "  allow  listen comm \"web server\" family 6 netns other # quoted\n"
			      "allow listen netns 4026532000 port 9100 uid 65534\n"
			      "allow listen addr 10.1.0.0/16 port 443\n"
			      "deny remote 203.0.113.0/24\n"
			      "deny remote 2001:db8::/32 port 443\n";

static void test_good_file(void **state __attribute__((unused)))
{
	struct sw_rules *r = parse_ok(typical);
	struct sw_listener_info l;
	size_t na = 99, nd = 99;
	int line = 0;

	sw_rules_counts(r, &na, &nd);
	assert_int_equal(na, 7);
	assert_int_equal(nd, 2);

	l = lis("0.0.0.0", 22);
	assert_true(sw_rules_allow_listener(r, &l, &line));
	assert_int_equal(line, 3);
	l = lis("127.0.0.1", 8080);
	assert_true(sw_rules_allow_listener(r, &l, &line));
	assert_int_equal(line, 4);
	l = lis("10.0.0.1", 5432);
	l.exe = "/usr/lib/postgresql/16/bin/postgres";
	assert_true(sw_rules_allow_listener(r, &l, &line));
	assert_int_equal(line, 5);
	l = lis("127.0.0.53", 53);
	assert_true(sw_rules_allow_listener(r, &l, &line));
	assert_int_equal(line, 6);
	l = lis("::", 8443);
	l.comm = "web server";
	l.host_netns = false;
	l.netns = 4026532999u;
	assert_true(sw_rules_allow_listener(r, &l, &line));
	assert_int_equal(line, 7);
	l = lis("0.0.0.0", 9100);
	l.netns = 4026532000u;
	l.host_netns = false;
	l.uid = 65534;
	assert_true(sw_rules_allow_listener(r, &l, &line));
	assert_int_equal(line, 8);
	l = lis("10.1.2.3", 443);
	assert_true(sw_rules_allow_listener(r, &l, &line));
	assert_int_equal(line, 9);
	/* sshd on another port is unexpected; line is left alone */
	line = -1;
	l = lis("0.0.0.0", 2222);
	assert_false(sw_rules_allow_listener(r, &l, &line));
	assert_int_equal(line, -1);

	assert_true(
		sw_rules_deny_remote(r, SW_AF_INET, (const __u8[16]){ 203, 0, 113, 9 }, 80, &line));
	assert_int_equal(line, 10);
	assert_true(denied(r, "2001:db8::1", 443));
	assert_false(denied(r, "2001:db8::1", 80));
	sw_rules_free(r);
}

static void test_no_rules(void **state __attribute__((unused)))
{
	struct sw_listener_info l = lis("127.0.0.1", 22);
	struct sw_rules *r = parse_ok("# nothing here\n\n   \n\t# indented comment");
	size_t na = 99, nd = 99;
	int line = -1;

	/* no --rules: every listener is unexpected, no remote is denied */
	assert_false(sw_rules_allow_listener(NULL, &l, &line));
	assert_false(sw_rules_deny_remote(NULL, SW_AF_INET, l.addr, 80, &line));
	assert_int_equal(line, -1);
	sw_rules_counts(NULL, &na, &nd);
	assert_int_equal(na, 0);
	assert_int_equal(nd, 0);
	sw_rules_free(NULL);

	na = nd = 99;
	sw_rules_counts(r, &na, &nd);
	assert_int_equal(na, 0);
	assert_int_equal(nd, 0);
	assert_false(allowed(r, &l));
	assert_false(denied(r, "127.0.0.1", 80));
	sw_rules_free(r);
}

static void test_port_range(void **state __attribute__((unused)))
{
	struct sw_rules *r = parse_ok("allow listen port 8000-8999\nallow listen port 65535\n");
	struct sw_listener_info l = lis("0.0.0.0", 0);
	const struct {
		__u16 port;
		bool allowed;
	} cases[] = { { 7999, false }, { 8000, true }, { 8500, true },	 { 8999, true },
		      { 9000, false }, { 1, false },   { 65534, false }, { 65535, true } };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		l.port = cases[i].port;
		assert_int_equal(allowed(r, &l), cases[i].allowed);
	}
	sw_rules_free(r);
}

static void test_comm_glob(void **state __attribute__((unused)))
{
	struct sw_rules *r = parse_ok("allow listen comm nginx*\n"
				      "allow listen comm \"kworker/?:1\"\n"
				      "allow listen comm \\*literal\n");
	struct sw_listener_info l = lis("0.0.0.0", 80);

	l.comm = "nginx";
	assert_true(allowed(r, &l));
	l.comm = "nginx: worker";
	assert_true(allowed(r, &l));
	l.comm = "xnginx";
	assert_false(allowed(r, &l));
	l.comm = "kworker/3:1";
	assert_true(allowed(r, &l));
	l.comm = "kworker/13:1";
	assert_false(allowed(r, &l));
	l.comm = "*literal";
	assert_true(allowed(r, &l));
	l.comm = "xliteral";
	assert_false(allowed(r, &l));
	/* an unknown comm never satisfies a comm matcher */
	l.comm = NULL;
	assert_false(allowed(r, &l));
	sw_rules_free(r);
}

static void test_exe_glob(void **state __attribute__((unused)))
{
	struct sw_rules *r = parse_ok("allow listen exe /usr/sbin/*\n");
	struct sw_listener_info l = lis("0.0.0.0", 22);

	assert_true(allowed(r, &l));
	/* '*' does not cross '/' */
	l.exe = "/usr/sbin/sub/evil";
	assert_false(allowed(r, &l));
	l.exe = "/usr/bin/sshd";
	assert_false(allowed(r, &l));
	l.exe = "/tmp/usr/sbin/sshd";
	assert_false(allowed(r, &l));
	l.exe = NULL;
	assert_false(allowed(r, &l));
	sw_rules_free(r);
}

static void test_exposure(void **state __attribute__((unused)))
{
	struct sw_rules *lo = parse_ok("allow listen exposure loopback");
	struct sw_rules *ad = parse_ok("allow listen exposure address");
	struct sw_rules *wc = parse_ok("allow listen exposure wildcard");
	const struct {
		const char *addr;
		bool lo, ad, wc;
	} cases[] = {
		{ "127.0.0.1", true, false, false }, { "127.255.0.9", true, false, false },
		{ "::1", true, false, false },	     { "10.0.0.1", false, true, false },
		{ "fe80::1", false, true, false },   { "0.0.0.0", false, false, true },
		{ "::", false, false, true },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sw_listener_info l = lis(cases[i].addr, 80);

		assert_int_equal(allowed(lo, &l), cases[i].lo);
		assert_int_equal(allowed(ad, &l), cases[i].ad);
		assert_int_equal(allowed(wc, &l), cases[i].wc);
	}
	sw_rules_free(lo);
	sw_rules_free(ad);
	sw_rules_free(wc);
}

static void test_netns(void **state __attribute__((unused)))
{
	struct sw_rules *host = parse_ok("allow listen netns host");
	struct sw_rules *other = parse_ok("allow listen netns other");
	struct sw_rules *ino = parse_ok("allow listen netns 4026532123");
	struct sw_listener_info l = lis("0.0.0.0", 80);

	assert_true(allowed(host, &l));
	assert_false(allowed(other, &l));
	assert_false(allowed(ino, &l));
	l.host_netns = false;
	l.netns = 4026532123u;
	assert_false(allowed(host, &l));
	assert_true(allowed(other, &l));
	assert_true(allowed(ino, &l));
	l.netns = 4026532124u;
	assert_false(allowed(ino, &l));
	sw_rules_free(host);
	sw_rules_free(other);
	sw_rules_free(ino);
}

static void test_user(void **state __attribute__((unused)))
{
	struct sw_rules *root = parse_ok("allow listen user root");
	struct sw_rules *uid = parse_ok("allow listen uid 1000");
	struct sw_listener_info l = lis("0.0.0.0", 80);

	/* names are resolved at load time: the uid decides, not the event's name */
	l.user = NULL;
	assert_true(allowed(root, &l));
	assert_false(allowed(uid, &l));
	l.uid = 1000;
	l.user = "root";
	assert_false(allowed(root, &l));
	assert_true(allowed(uid, &l));
	sw_rules_free(root);
	sw_rules_free(uid);
}

/*
 * A record without owner (a socket-map entry evicted, a kernel listener) has
 * no uid: its uid field is 0 then, which must not pass for root. Known uid 0
 * is root and matches; the same listener with its uid unknown matches no
 * 'user'/'uid' rule, whatever uid the rule names, so it is an alert; rules
 * without a uid matcher still hold for it, and deny rules do not look at uids.
 */
static void test_user_unknown(void **state __attribute__((unused)))
{
	struct sw_rules *r = parse_ok("allow listen user root\n"
				      "allow listen uid 0 port 80\n"
				      "allow listen uid 65534 port 81\n"
				      "allow listen port 82 exposure wildcard\n"
				      "deny remote 203.0.113.0/24\n");
	struct sw_listener_info l = lis("0.0.0.0", 80);
	int line = 0;

	assert_true(sw_rules_allow_listener(r, &l, &line));
	assert_int_equal(line, 1);
	l.uid_known = false;
	l.user = NULL;
	line = -1;
	assert_false(sw_rules_allow_listener(r, &l, &line));
	assert_int_equal(line, -1); /* no rule matched: the listener is an alert */
	l.port = 81;
	l.uid = 65534;
	assert_false(sw_rules_allow_listener(r, &l, &line));
	assert_int_equal(line, -1);
	/* a stale user name does not make it known either */
	l.uid = 0;
	l.user = "root";
	assert_false(sw_rules_allow_listener(r, &l, &line));
	/* what is known of it still counts */
	l.port = 82;
	assert_true(sw_rules_allow_listener(r, &l, &line));
	assert_int_equal(line, 4);
	assert_true(denied(r, "203.0.113.9", 443));
	sw_rules_free(r);
}

static void test_user_nonzero(void **state __attribute__((unused)))
{
	struct passwd *pw = getpwnam("nobody");
	struct sw_listener_info l = lis("0.0.0.0", 80);
	struct sw_rules *r;

	/* root is uid 0, which an unset uid would also be: check a real lookup */
	if (!pw || !pw->pw_uid)
		skip();
	r = parse_ok("allow listen user nobody");
	assert_false(allowed(r, &l));
	l.uid = pw->pw_uid;
	assert_true(allowed(r, &l));
	sw_rules_free(r);
}

static void test_addr_family(void **state __attribute__((unused)))
{
	struct sw_rules *r = parse_ok("allow listen addr 127.0.0.53\n"
				      "allow listen addr 10.1.0.0/16\n"
				      "allow listen addr ::1 port 631\n"
				      "allow listen family 6 port 8080\n");
	struct sw_listener_info l;
	int line = 0;

	l = lis("127.0.0.53", 53);
	assert_true(sw_rules_allow_listener(r, &l, &line));
	assert_int_equal(line, 1);
	l = lis("127.0.0.54", 53);
	assert_false(allowed(r, &l));
	l = lis("10.1.255.255", 1);
	assert_true(sw_rules_allow_listener(r, &l, &line));
	assert_int_equal(line, 2);
	l = lis("10.2.0.0", 1);
	assert_false(allowed(r, &l));
	l = lis("::1", 631);
	assert_true(sw_rules_allow_listener(r, &l, &line));
	assert_int_equal(line, 3);
	/* same loopback, other family: no match */
	l = lis("127.0.0.1", 631);
	assert_false(allowed(r, &l));
	l = lis("::", 8080);
	assert_true(sw_rules_allow_listener(r, &l, &line));
	assert_int_equal(line, 4);
	l = lis("0.0.0.0", 8080);
	assert_false(allowed(r, &l));
	sw_rules_free(r);
}

static void test_conjunction_first_match(void **state __attribute__((unused)))
{
	struct sw_rules *r = parse_ok("allow listen port 22 comm sshd user root exposure wildcard\n"
				      "allow listen port 22\n");
	struct sw_rules *strict = parse_ok("allow listen port 22 comm sshd user root exposure "
					   "wildcard netns host family 4 exe /usr/sbin/sshd "
					   "addr 0.0.0.0/0");
	struct sw_listener_info l = lis("0.0.0.0", 22);
	int line = 0;

	assert_true(sw_rules_allow_listener(r, &l, &line));
	assert_int_equal(line, 1);
	l.comm = "nc";
	assert_true(sw_rules_allow_listener(r, &l, &line));
	assert_int_equal(line, 2);

	/* every matcher must hold: break each one in turn */
	l = lis("0.0.0.0", 22);
	assert_true(allowed(strict, &l));
	l.port = 23;
	assert_false(allowed(strict, &l));
	l = lis("0.0.0.0", 22);
	l.comm = "sshd2";
	assert_false(allowed(strict, &l));
	l = lis("0.0.0.0", 22);
	l.uid = 1;
	assert_false(allowed(strict, &l));
	l = lis("10.0.0.1", 22);
	assert_false(allowed(strict, &l));
	l = lis("0.0.0.0", 22);
	l.host_netns = false;
	assert_false(allowed(strict, &l));
	l = lis("::", 22);
	assert_false(allowed(strict, &l));
	l = lis("0.0.0.0", 22);
	l.exe = "/tmp/sshd";
	assert_false(allowed(strict, &l));
	sw_rules_free(r);
	sw_rules_free(strict);
}

static void test_deny_v4(void **state __attribute__((unused)))
{
	struct sw_rules *r = parse_ok("deny remote 203.0.113.0/24\n"
				      "deny remote 192.0.2.0/25\n"
				      "deny remote 198.51.100.7/32\n"
				      "deny remote 198.51.100.9\n");
	int line = 0;

	assert_true(denied(r, "203.0.113.0", 1));
	assert_true(denied(r, "203.0.113.255", 1));
	assert_false(denied(r, "203.0.112.255", 1));
	assert_false(denied(r, "203.0.114.0", 1));
	assert_true(denied(r, "192.0.2.127", 1));
	assert_false(denied(r, "192.0.2.128", 1));
	assert_true(denied(r, "198.51.100.7", 1));
	assert_false(denied(r, "198.51.100.6", 1));
	assert_false(denied(r, "198.51.100.8", 1));
	assert_true(
		sw_rules_deny_remote(r, SW_AF_INET, (const __u8[16]){ 198, 51, 100, 9 }, 1, &line));
	assert_int_equal(line, 4);
	/* an IPv6 address with the same leading bytes is another family */
	assert_false(denied(r, "cb00:7100::", 1));
	sw_rules_free(r);
}

/* The deny rules' networks, for the kernel's connect-attempt filter: ports left out. */
static void test_deny_nets(void **state __attribute__((unused)))
{
	struct sw_rules *r = parse_ok("deny remote 203.0.113.0/24\n"
				      "allow listen port 22\n"
				      "deny remote 2001:db8::/32 port 443\n"
				      "deny remote ::ffff:192.0.2.0/120\n");
	struct sw_net n[3];

	assert_int_equal(sw_rules_deny_nets(r, n, 3), 3);
	assert_int_equal(n[0].family, SW_AF_INET);
	assert_int_equal(n[0].plen, 24);
	assert_memory_equal(n[0].addr, ((const __u8[4]){ 203, 0, 113, 0 }), 4);
	assert_int_equal(n[1].family, SW_AF_INET6);
	assert_int_equal(n[1].plen, 32);
	assert_memory_equal(n[1].addr, ((const __u8[4]){ 0x20, 0x01, 0x0d, 0xb8 }), 4);
	/* a v4-mapped network is IPv4, as events' addresses are */
	assert_int_equal(n[2].family, SW_AF_INET);
	assert_int_equal(n[2].plen, 24);
	assert_memory_equal(n[2].addr, ((const __u8[4]){ 192, 0, 2, 0 }), 4);
	/* fewer slots: as many as fit, and the count of all */
	memset(n, 0, sizeof(n));
	assert_int_equal(sw_rules_deny_nets(r, n, 1), 3);
	assert_int_equal(n[0].plen, 24);
	assert_int_equal(n[1].plen, 0);
	assert_int_equal(sw_rules_deny_nets(NULL, n, 3), 0);
	sw_rules_free(r);
}

static void test_deny_v6(void **state __attribute__((unused)))
{
	struct sw_rules *r = parse_ok("deny remote 2001:db8::/32\n"
				      "deny remote 2001:db9::/33\n"
				      "deny remote fd00::1/128\n");

	assert_true(denied(r, "2001:db8::", 1));
	assert_true(denied(r, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 1));
	assert_false(denied(r, "2001:db7:ffff::", 1));
	assert_true(denied(r, "2001:db9:7fff::1", 1));
	assert_false(denied(r, "2001:db9:8000::", 1));
	assert_true(denied(r, "fd00::1", 1));
	assert_false(denied(r, "fd00::2", 1));
	assert_false(denied(r, "32.1.13.184", 1));
	sw_rules_free(r);
}

static void test_deny_mapped(void **state __attribute__((unused)))
{
	struct sw_rules *r = parse_ok("deny remote ::ffff:203.0.113.0/120\n"
				      "deny remote ::/64\n");

	/* events carry mapped addresses as IPv4, so a mapped rule is an IPv4 rule */
	assert_true(denied(r, "203.0.113.5", 1));
	assert_false(denied(r, "203.0.114.5", 1));
	/* other IPv6 networks stay IPv6, even where they cover ::ffff:0:0/96 */
	assert_true(denied(r, "::1", 1));
	assert_false(denied(r, "10.0.0.1", 1));
	sw_rules_free(r);
}

static void test_deny_prefix_zero(void **state __attribute__((unused)))
{
	struct sw_rules *v4 = parse_ok("deny remote 0.0.0.0/0");
	struct sw_rules *v6 = parse_ok("deny remote ::/0");

	assert_true(denied(v4, "0.0.0.0", 1));
	assert_true(denied(v4, "255.255.255.255", 1));
	assert_false(denied(v4, "::", 1));
	assert_true(denied(v6, "::", 1));
	assert_true(denied(v6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1));
	assert_false(denied(v6, "8.8.8.8", 1));
	sw_rules_free(v4);
	sw_rules_free(v6);
}

static void test_deny_port(void **state __attribute__((unused)))
{
	struct sw_rules *r = parse_ok("deny remote 203.0.113.0/24 port 443\n"
				      "deny remote 198.51.100.0/24 port 8000-8080\n");
	int line = 0;

	assert_true(denied(r, "203.0.113.5", 443));
	assert_false(denied(r, "203.0.113.5", 444));
	assert_false(denied(r, "203.0.113.5", 442));
	assert_false(denied(r, "198.51.100.5", 7999));
	assert_true(denied(r, "198.51.100.5", 8000));
	assert_true(sw_rules_deny_remote(r, SW_AF_INET, (const __u8[16]){ 198, 51, 100, 5 }, 8080,
					 &line));
	assert_int_equal(line, 2);
	assert_false(denied(r, "198.51.100.5", 8081));
	sw_rules_free(r);
}

/*
 * Two files (two --rules) merged: every rule of both holds, the first file's
 * first, and each match says which file its line is in.
 */
static void test_merge(void **state __attribute__((unused)))
{
	struct sw_rules *r = NULL, *more = NULL;
	struct sw_listener_info l = lis("0.0.0.0", 22);
	const char *file = NULL;
	char err[256];
	unsigned int family;
	size_t nallow, ndeny;
	int line = 0;
	__u8 a[16];

	assert_int_equal(sw_rules_parse_string("deny remote 203.0.113.0/24\n"
					       "allow listen port 22 comm sshd\n",
					       "a.rules", &r, err, sizeof(err)),
			 0);
	assert_int_equal(sw_rules_parse_string("\nallow listen port 22\nallow listen port 80\n"
					       "deny remote 198.51.100.0/24\n",
					       "b.rules", &more, err, sizeof(err)),
			 0);
	assert_int_equal(sw_rules_nfiles(r), 1);
	assert_int_equal(sw_rules_merge(r, more), 0);
	assert_int_equal(sw_rules_nfiles(r), 2);
	sw_rules_counts(r, &nallow, &ndeny);
	assert_int_equal(nallow, 3);
	assert_int_equal(ndeny, 2);
	/* the first file's rule matches first; then the second's, with its own lines */
	assert_true(sw_rules_allow_listener_at(r, &l, &line, &file));
	assert_int_equal(line, 2);
	assert_string_equal(file, "a.rules");
	l.comm = "nc";
	assert_true(sw_rules_allow_listener_at(r, &l, &line, &file));
	assert_int_equal(line, 2);
	assert_string_equal(file, "b.rules");
	l.port = 80;
	assert_true(sw_rules_allow_listener_at(r, &l, &line, &file));
	assert_int_equal(line, 3);
	assert_string_equal(file, "b.rules");
	/* the first file's deny rule is not dropped by the second's */
	assert_int_equal(sw_addr_parse("203.0.113.9", &family, a), 0);
	assert_true(sw_rules_deny_remote_at(r, family, a, 443, &line, &file));
	assert_int_equal(line, 1);
	assert_string_equal(file, "a.rules");
	assert_int_equal(sw_addr_parse("198.51.100.9", &family, a), 0);
	assert_true(sw_rules_deny_remote_at(r, family, a, 443, &line, &file));
	assert_int_equal(line, 4);
	assert_string_equal(file, "b.rules");
	assert_false(denied(r, "192.0.2.1", 443));
	sw_rules_free(r);
}

static void test_line_length(void **state __attribute__((unused)))
{
	char text[SW_RULES_LINE_MAX + 8], err[256];
	struct sw_rules *r = (struct sw_rules *)&err;

	/* a comment of exactly the maximum, with CRLF, is fine */
	memset(text, ' ', SW_RULES_LINE_MAX);
	text[0] = '#';
	strcpy(text + SW_RULES_LINE_MAX, "\r\n");
	r = parse_ok(text);
	sw_rules_free(r);

	memset(text, ' ', SW_RULES_LINE_MAX + 1);
	text[0] = '#';
	text[SW_RULES_LINE_MAX + 1] = '\0';
	r = (struct sw_rules *)&err;
	assert_int_equal(sw_rules_parse_string(text, "t", &r, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t:1: line too long (more than 4096 bytes)");
	/* *out is untouched on error */
	assert_ptr_equal(r, (struct sw_rules *)&err);

	/* the most words a line can hold: "allow listen port 1 port 1 ..." */
	strcpy(text, "allow listen port 1");
	for (size_t len = strlen(text); len + 7 <= SW_RULES_LINE_MAX; len += 7)
		strcat(text, " port 1");
	assert_int_equal(sw_rules_parse_string(text, "t", &r, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t:1: duplicate matcher 'port'");
	memset(text, ' ', SW_RULES_LINE_MAX);
	for (size_t i = 0; i < SW_RULES_LINE_MAX; i += 2)
		text[i] = 'x';
	text[SW_RULES_LINE_MAX] = '\0';
	assert_int_equal(sw_rules_parse_string(text, "t", &r, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t:1: unknown keyword 'x' (expected 'allow' or 'deny')");
}

static void test_error_truncated(void **state __attribute__((unused)))
{
	struct sw_rules *r = NULL;
	char err[8];

	/* a short buffer gets a truncated, terminated message; NULL is fine too */
	assert_int_equal(sw_rules_parse_string("bogus", "rules.conf", &r, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "rules.c");
	assert_int_equal(sw_rules_parse_string("bogus", "t", &r, NULL, 0), -EINVAL);
	assert_null(r);
}

static char *write_temp(const char *data, size_t len)
{
	char *path = strdup("/tmp/sw-rules-XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static void test_load_file(void **state __attribute__((unused)))
{
	static const char nul[] = "allow listen port 22\nallow listen \0port 23\n";
	struct sw_listener_info l = lis("0.0.0.0", 22);
	char err[512], want[512];
	struct sw_rules *r = NULL;
	char *path;

	path = write_temp(typical, strlen(typical));
	assert_int_equal(sw_rules_load(path, &r, err, sizeof(err)), 0);
	assert_true(allowed(r, &l));
	sw_rules_free(r);
	unlink(path);
	free(path);

	path = write_temp(nul, sizeof(nul) - 1);
	r = NULL;
	assert_int_equal(sw_rules_load(path, &r, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: nul byte in line", path);
	assert_string_equal(err, want);
	assert_null(r);
	unlink(path);
	free(path);

	assert_int_equal(sw_rules_load("/nonexistent/sw.rules", &r, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "/nonexistent/sw.rules: No such file or directory");
	assert_null(r);
}

static void test_load_too_large(void **state __attribute__((unused)))
{
	size_t len = SW_RULES_FILE_MAX + 1;
	char *big = malloc(len), *path, err[512], want[512];
	struct sw_rules *r = NULL;

	assert_non_null(big);
	memset(big, '\n', len);
	path = write_temp(big, len);
	assert_int_equal(sw_rules_load(path, &r, err, sizeof(err)), -EFBIG);
	snprintf(want, sizeof(want), "%s: file too large (more than 1048576 bytes)", path);
	assert_string_equal(err, want);
	assert_null(r);
	unlink(path);
	free(path);
	free(big);
}

static char *learn_to_string(const struct sw_listener_info *ls, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(sw_rules_learn(f, ls, n), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_learn_output(void **state __attribute__((unused)))
{
	struct sw_listener_info ls[5];
	char *out;

	ls[0] = lis("127.0.0.53", 53);
	ls[0].comm = "systemd-resolve";
	ls[0].exe = "/usr/lib/systemd/systemd-resolved";
	ls[0].uid = 991;
	ls[0].user = NULL;
	ls[1] = lis("0.0.0.0", 22);
	ls[2] = lis("::", 22);
	ls[3] = lis("0.0.0.0", 22); /* SO_REUSEPORT twin: one rule */
	ls[4] = lis("10.0.0.5", 8080);
	ls[4].comm = NULL;
	ls[4].exe = NULL;
	ls[4].uid = 1000;
	ls[4].user = "sw-no-such-user-42"; /* not resolvable here: written as uid */
	ls[4].host_netns = false;
	out = learn_to_string(ls, 5);
	assert_string_equal(
		out,
		"# sockwatch rules learned from 5 listeners (see docs/rules.md).\n"
		"# Each rule allows one listener exactly as it was seen: review and loosen.\n"
		"allow listen port 22 addr 0.0.0.0 comm sshd exe /usr/sbin/sshd user root netns host\n"
		"allow listen port 22 addr :: comm sshd exe /usr/sbin/sshd user root netns host\n"
		"allow listen port 53 addr 127.0.0.53 comm systemd-resolve exe "
		"/usr/lib/systemd/systemd-resolved uid 991 netns host\n"
		"allow listen port 8080 addr 10.0.0.5 uid 1000 netns other\n");
	free(out);

	out = learn_to_string(NULL, 0);
	assert_string_equal(
		out,
		"# sockwatch rules learned from 0 listeners (see docs/rules.md).\n"
		"# Each rule allows one listener exactly as it was seen: review and loosen.\n");
	free(out);
}

static void test_learn_roundtrip(void **state __attribute__((unused)))
{
	struct sw_listener_info ls[4], other;
	struct sw_rules *r;
	char *out;
	int line;

	ls[0] = lis("0.0.0.0", 22);
	ls[1] = lis("2001:db8::5", 443);
	ls[1].comm = "a b\"c*[\\x\x01";
	ls[1].exe = "/opt/my app/bin/se?ver";
	ls[1].host_netns = false;
	ls[1].netns = 4026532500u;
	ls[2] = lis("127.0.0.1", 9000);
	ls[2].comm = "#hash";
	ls[2].exe = "\"quoted";
	ls[3] = lis("127.0.0.1", 9001);
	ls[3].comm = "tab\there";
	ls[3].exe = NULL;
	ls[3].user = NULL;
	ls[3].uid = 4242;
	out = learn_to_string(ls, 4);
	r = parse_ok(out);
	for (int i = 0; i < 4; i++) {
		line = 0;
		assert_true(sw_rules_allow_listener(r, &ls[i], &line));
		assert_int_equal(line, 3 + i);
	}
	/* the learned globs are literal: look-alikes do not match */
	other = ls[1];
	other.comm = "a b\"cX[\\x\x01";
	assert_false(allowed(r, &other));
	other = ls[1];
	other.exe = "/opt/my app/bin/server";
	assert_false(allowed(r, &other));
	other = ls[3];
	other.uid = 4243;
	assert_false(allowed(r, &other));
	sw_rules_free(r);
	free(out);
}

/*
 * A learned file is read by a person: bytes that are not UTF-8 and code points
 * that act on a terminal or reorder the line (C1, bidi overrides and isolates,
 * BOM) go as \xHH, every byte of them, in quotes; a word with a wide space is
 * quoted. Other UTF-8 stays as it is. Each rule still allows its listener.
 */
static void test_learn_unsafe_text(void **state __attribute__((unused)))
{
	struct sw_listener_info ls[4], other;
	struct sw_rules *r;
	char *out;

	ls[0] = lis("127.0.0.1", 7001);
	ls[0].comm = "\x1b[2J\n\xff\xe2\x80\xae"
		     "evil"; /* ESC [2J, LF, 0xff, U+202E */
	ls[0].exe = "/usr/bin/\xff\xfe";
	ls[1] = lis("127.0.0.1", 7002);
	ls[1].comm = "caf\xc3\xa9"; /* é: valid and harmless */
	ls[1].exe = "/opt/\xc2\x85x\xef\xbb\xbf\xe2\x81\xa6y"; /* U+0085, U+FEFF, U+2066 */
	ls[2] = lis("127.0.0.1", 7003);
	ls[2].comm = "x\xc2\xa0"
		     "exe\xc2\xa0/bin"; /* no-break spaces: looks like words */
	ls[2].exe = "/usr/bin/\xe2\x80\x8fz\xed\xa0\x80"; /* U+200F, a surrogate (not UTF-8) */
	ls[3] = lis("127.0.0.1", 7004);
	ls[3].comm = "\xe2\x80"; /* a sequence cut short */
	ls[3].exe = NULL;
	out = learn_to_string(ls, 4);
	assert_string_equal(
		out,
		"# sockwatch rules learned from 4 listeners (see docs/rules.md).\n"
		"# Each rule allows one listener exactly as it was seen: review and loosen.\n"
		"allow listen port 7001 addr 127.0.0.1 comm \"\\x1b\\\\[2J\\x0a\\xff\\xe2\\x80\\xaeevil\" "
		"exe \"/usr/bin/\\xff\\xfe\" user root netns host\n"
		"allow listen port 7002 addr 127.0.0.1 comm caf\xc3\xa9 "
		"exe \"/opt/\\xc2\\x85x\\xef\\xbb\\xbf\\xe2\\x81\\xa6y\" user root netns host\n"
		"allow listen port 7003 addr 127.0.0.1 comm \"x\xc2\xa0"
		"exe\xc2\xa0/bin\" "
		"exe \"/usr/bin/\\xe2\\x80\\x8fz\\xed\\xa0\\x80\" user root netns host\n"
		"allow listen port 7004 addr 127.0.0.1 comm \"\\xe2\\x80\" user root netns host\n");
	r = parse_ok(out);
	for (int i = 0; i < 4; i++)
		assert_true(allowed(r, &ls[i]));
	/* the escapes stand for those very bytes: one changed byte is not allowed */
	other = ls[0];
	other.exe = "/usr/bin/\xff\xfd";
	assert_false(allowed(r, &other));
	sw_rules_free(r);
	free(out);
}

/* Every learned line loads back: the longest executable path procinfo reads, all escaped. */
static void test_learn_long_exe(void **state __attribute__((unused)))
{
	struct sw_listener_info l = lis("10.0.0.1", 80);
	char exe[4200];
	struct sw_rules *r;
	char *out;

	exe[0] = '/';
	memset(exe + 1, '\x01', 510); /* each written as \x01 */
	exe[511] = '\0';
	l.exe = exe;
	out = learn_to_string(&l, 1);
	assert_non_null(strstr(out, " exe \"/\\x01"));
	r = parse_ok(out);
	assert_true(allowed(r, &l));
	sw_rules_free(r);
	free(out);
	/* longer than a line can hold: the rule goes without its exe */
	memset(exe + 1, '\x01', sizeof(exe) - 2);
	exe[sizeof(exe) - 1] = '\0';
	out = learn_to_string(&l, 1);
	assert_null(strstr(out, " exe "));
	r = parse_ok(out);
	assert_true(allowed(r, &l));
	sw_rules_free(r);
	free(out);
}

/*
 * An AF_INET6 listener bound to ::ffff:a.b.c.d talks IPv4 to a.b.c.d: an addr
 * rule for either spelling matches it, so a rule learned from it allows it.
 */
static void test_learn_mapped_listener(void **state __attribute__((unused)))
{
	struct sw_listener_info l = lis("::ffff:10.0.0.7", 8080);
	struct sw_rules *r;
	char *out;

	assert_int_equal(l.family, SW_AF_INET6);
	out = learn_to_string(&l, 1);
	r = parse_ok(out);
	assert_true(allowed(r, &l));
	sw_rules_free(r);
	free(out);
	r = parse_ok("allow listen port 8080 addr 10.0.0.0/24");
	assert_true(allowed(r, &l));
	l = lis("::ffff:10.0.1.7", 8080);
	assert_false(allowed(r, &l));
	sw_rules_free(r);
}

static void test_learn_io_error(void **state __attribute__((unused)))
{
	struct sw_listener_info l = lis("0.0.0.0", 22);
	FILE *f = fopen("/dev/full", "w");

	if (!f)
		skip();
	assert_int_equal(sw_rules_learn(f, &l, 1), -ENOSPC);
	fclose(f);
}

/* An unknown uid is learned without a uid matcher: the rule still allows its listener. */
static void test_learn_unknown_uid(void **state __attribute__((unused)))
{
	struct sw_listener_info l = lis("0.0.0.0", 80);
	struct sw_rules *r;
	char *out;

	l.uid_known = false;
	l.user = NULL;
	out = learn_to_string(&l, 1);
	assert_string_equal(
		out, "# sockwatch rules learned from 1 listener (see docs/rules.md).\n"
		     "# Each rule allows one listener exactly as it was seen: review and loosen.\n"
		     "allow listen port 80 addr 0.0.0.0 comm sshd exe /usr/sbin/sshd netns host\n");
	r = parse_ok(out);
	assert_true(allowed(r, &l));
	sw_rules_free(r);
	free(out);
}

struct err_case {
	const char *text;
	const char *msg;
};

static void test_error(void **state)
{
	const struct err_case *c = *state;
	struct sw_rules *r = NULL;
	char err[512] = "";

	assert_int_equal(sw_rules_parse_string(c->text, "t", &r, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, c->msg);
	assert_null(r);
}

#define ERR(text, msg)                                          \
	{                                                       \
		msg, test_error, NULL, NULL, &(struct err_case) \
		{                                               \
			text, msg                               \
		}                                               \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_deny_nets),
		cmocka_unit_test(test_no_rules),
		cmocka_unit_test(test_port_range),
		cmocka_unit_test(test_comm_glob),
		cmocka_unit_test(test_exe_glob),
		cmocka_unit_test(test_exposure),
		cmocka_unit_test(test_netns),
		cmocka_unit_test(test_user),
		cmocka_unit_test(test_user_nonzero),
		cmocka_unit_test(test_user_unknown),
		cmocka_unit_test(test_addr_family),
		cmocka_unit_test(test_conjunction_first_match),
		cmocka_unit_test(test_deny_v4),
		cmocka_unit_test(test_deny_v6),
		cmocka_unit_test(test_deny_mapped),
		cmocka_unit_test(test_deny_prefix_zero),
		cmocka_unit_test(test_deny_port),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_line_length),
		cmocka_unit_test(test_error_truncated),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_load_too_large),
		cmocka_unit_test(test_learn_output),
		cmocka_unit_test(test_learn_roundtrip),
		cmocka_unit_test(test_learn_unsafe_text),
		cmocka_unit_test(test_learn_mapped_listener),
		cmocka_unit_test(test_learn_long_exe),
		cmocka_unit_test(test_learn_io_error),
		cmocka_unit_test(test_learn_unknown_uid),
	};
	const struct CMUnitTest errors[] = {
		ERR("frobnicate", "t:1: unknown keyword 'frobnicate' (expected 'allow' or 'deny')"),
		ERR("# ok\n\nallow listen port 22\nAllow listen port 22\n",
		    "t:4: unknown keyword 'Allow' (expected 'allow' or 'deny')"),
		ERR("allow listen port 22\r\nbogus\r\n",
		    "t:2: unknown keyword 'bogus' (expected 'allow' or 'deny')"),
		ERR("allow", "t:1: expected 'listen' after 'allow'"),
		ERR("allow connect port 1", "t:1: expected 'listen' after 'allow'"),
		ERR("deny listen 10.0.0.0/8", "t:1: expected 'remote' after 'deny'"),
		ERR("allow listen", "t:1: allow listen needs at least one matcher"),
		ERR("allow listen # just a comment",
		    "t:1: allow listen needs at least one matcher"),
		ERR("allow listen bogus 1", "t:1: unknown matcher 'bogus'"),
		ERR("allow listen Port 22", "t:1: unknown matcher 'Port'"),
		ERR("allow listen port", "t:1: missing value after 'port'"),
		ERR("allow listen port 22 comm", "t:1: missing value after 'comm'"),
		ERR("allow listen port 22 port 23", "t:1: duplicate matcher 'port'"),
		ERR("allow listen user root uid 0", "t:1: 'user' and 'uid' cannot both be given"),
		ERR("allow listen uid 0 uid 1", "t:1: duplicate matcher 'uid'"),
		ERR("allow listen port 0", "t:1: port '0' out of range (1-65535)"),
		ERR("allow listen port 65536", "t:1: port '65536' out of range (1-65535)"),
		ERR("allow listen port 99999999999999999999999",
		    "t:1: port '99999999999999999999999' out of range (1-65535)"),
		ERR("allow listen port 0-80", "t:1: port '0-80' out of range (1-65535)"),
		ERR("allow listen port 22x", "t:1: invalid port '22x'"),
		ERR("allow listen port -5", "t:1: invalid port '-5'"),
		ERR("allow listen port +5", "t:1: invalid port '+5'"),
		ERR("allow listen port 80-", "t:1: invalid port '80-'"),
		ERR("allow listen port 80-90-100", "t:1: invalid port '80-90-100'"),
		ERR("allow listen port 9000-8000", "t:1: port range '9000-8000' is reversed"),
		ERR("allow listen comm \"\"", "t:1: empty value for 'comm'"),
		ERR("allow listen comm systemd-resolved",
		    "t:1: comm 'systemd-resolved' is longer than 15 characters and never matches"),
		ERR("allow listen exe sshd", "t:1: exe 'sshd' is not an absolute path"),
		ERR("allow listen user sw-no-such-user-42",
		    "t:1: unknown user 'sw-no-such-user-42'"),
		ERR("allow listen uid abc", "t:1: invalid uid 'abc'"),
		ERR("allow listen uid 4294967295", "t:1: invalid uid '4294967295'"),
		ERR("allow listen exposure public",
		    "t:1: invalid exposure 'public' (loopback, address or wildcard)"),
		ERR("allow listen netns guest",
		    "t:1: invalid netns 'guest' (host, other or an inode number)"),
		ERR("allow listen netns 0",
		    "t:1: invalid netns '0' (host, other or an inode number)"),
		ERR("allow listen addr 1.2.3", "t:1: invalid address '1.2.3'"),
		ERR("allow listen addr 10.0.0.1/8", "t:1: host bits set in '10.0.0.1/8'"),
		ERR("allow listen family 5", "t:1: invalid family '5' (4 or 6)"),
		ERR("deny remote", "t:1: missing address after 'deny remote'"),
		ERR("deny remote example.com", "t:1: invalid address 'example.com'"),
		ERR("deny remote 203.0.113.0/33",
		    "t:1: invalid prefix length in '203.0.113.0/33' (0-32)"),
		ERR("deny remote 203.0.113.0/",
		    "t:1: invalid prefix length in '203.0.113.0/' (0-32)"),
		ERR("deny remote 2001:db8::/129",
		    "t:1: invalid prefix length in '2001:db8::/129' (0-128)"),
		ERR("deny remote 203.0.113.1/24", "t:1: host bits set in '203.0.113.1/24'"),
		ERR("deny remote 2001:db8::1/32", "t:1: host bits set in '2001:db8::1/32'"),
		ERR("deny remote 10.0.0.0/8 proto tcp",
		    "t:1: unknown option 'proto' (deny remote takes only 'port')"),
		ERR("deny remote 10.0.0.0/8 port", "t:1: missing value after 'port'"),
		ERR("deny remote 10.0.0.0/8 port 1 port 2", "t:1: duplicate option 'port'"),
		ERR("deny remote 10.0.0.0/8 port 0", "t:1: port '0' out of range (1-65535)"),
		ERR("allow listen comm \"abc", "t:1: unterminated quoted string"),
		ERR("allow listen comm \"abc\\", "t:1: unterminated quoted string"),
		ERR("allow listen comm \"a\\q\"", "t:1: invalid escape '\\q' in quoted string"),
		ERR("allow listen comm \"a\\x4\"", "t:1: invalid escape '\\x' in quoted string"),
		ERR("allow listen comm \"a\\x00\"", "t:1: \\x00 not allowed in quoted string"),
		ERR("allow listen comm \"a\"b", "t:1: missing space after quoted string"),
		ERR("allow listen comm a\"b\"",
		    "t:1: stray '\"' inside a word (quote the whole word)"),
		ERR("allow listen port 22\x01", "t:1: control character 0x01 in line"),
		ERR("allow listen \"\\x1b[2J\" 1", "t:1: unknown matcher '\\x1b[2J'"),
	};
	int failed;

	failed = cmocka_run_group_tests_name("rules", tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("rules errors", errors, NULL, NULL);
	return failed ? 1 : 0;
}
