// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of the sock_diag snapshot: inet_diag dump datagrams built in memory, and one real dump (no root). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <cmocka.h>

#include "addr.h"
#include "snapshot_diag.h"

#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif

#define SEQ 7
#define NETNS 4026531840u

/* One socket as the kernel would describe it. */
struct msg {
	__u8 family, state;
	__u16 sport, dport;
	const char *src, *dst; /* text addresses of the message's own family */
	__u64 cookie;
	__u32 uid, inode;
	const struct tcp_info *info; /* NULL: no INET_DIAG_INFO (TIME_WAIT, request) */
	size_t infolen;
};

/* A datagram under construction. */
struct dgram {
	char buf[65536] __attribute__((aligned(8)));
	size_t len;
};

static struct nlmsghdr *put_hdr(struct dgram *d, __u16 type, __u32 seq, size_t payload)
{
	struct nlmsghdr *h = (struct nlmsghdr *)(d->buf + d->len);

	memset(h, 0, NLMSG_SPACE(payload));
	h->nlmsg_len = NLMSG_LENGTH(payload);
	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_MULTI;
	h->nlmsg_seq = seq;
	d->len += NLMSG_ALIGN(h->nlmsg_len);
	return h;
}

static void put_addr(__u8 family, const char *text, __be32 out[4])
{
	assert_int_equal(inet_pton(family == SW_AF_INET ? AF_INET : AF_INET6, text, out), 1);
}

static void put_sock(struct dgram *d, __u32 seq, const struct msg *m)
{
	size_t attr = m->info ? RTA_SPACE(m->infolen) : 0;
	struct nlmsghdr *h = put_hdr(d, SOCK_DIAG_BY_FAMILY, seq,
				     NLMSG_ALIGN(sizeof(struct inet_diag_msg)) + attr);
	struct inet_diag_msg *r = NLMSG_DATA(h);

	r->idiag_family = m->family;
	r->idiag_state = m->state;
	r->id.idiag_sport = htons(m->sport);
	r->id.idiag_dport = htons(m->dport);
	put_addr(m->family, m->src, r->id.idiag_src);
	put_addr(m->family, m->dst, r->id.idiag_dst);
	r->id.idiag_cookie[0] = (__u32)m->cookie;
	r->id.idiag_cookie[1] = (__u32)(m->cookie >> 32);
	r->idiag_uid = m->uid;
	r->idiag_inode = m->inode;
	if (m->info) {
		struct rtattr *a = (struct rtattr *)((char *)r + NLMSG_ALIGN(sizeof(*r)));

		a->rta_type = INET_DIAG_INFO;
		a->rta_len = RTA_LENGTH(m->infolen);
		memcpy(RTA_DATA(a), m->info, m->infolen);
	}
}

static void put_done(struct dgram *d, __u32 seq, int err)
{
	struct nlmsghdr *h = put_hdr(d, NLMSG_DONE, seq, sizeof(int));

	memcpy(NLMSG_DATA(h), &err, sizeof(err));
}

static void put_error(struct dgram *d, __u32 seq, int err)
{
	struct nlmsghdr *h = put_hdr(d, NLMSG_ERROR, seq, sizeof(struct nlmsgerr));
	struct nlmsgerr *e = NLMSG_DATA(h);

	e->error = err;
}

static const struct tcp_info *info(__u64 sent, __u64 retrans, __u64 acked, __u64 received)
{
	static struct tcp_info ti;

	memset(&ti, 0, sizeof(ti));
	ti.tcpi_bytes_sent = sent;
	ti.tcpi_bytes_retrans = retrans;
	ti.tcpi_bytes_acked = acked;
	ti.tcpi_bytes_received = received;
	return &ti;
}

static void addr_is(const __u8 *got, unsigned int family, const char *want)
{
	__u8 a[16] = {};
	unsigned int f;

	assert_int_equal(sw_addr_parse(want, &f, a), 0);
	assert_int_equal(f, family);
	assert_memory_equal(got, a, 16);
}

static void test_v4_full(void **state)
{
	struct dgram d = { .len = 0 };
	struct sw_diag_socks s = {};
	const struct msg m = {
		.family = AF_INET,
		.state = SW_TCP_ESTABLISHED,
		.sport = 40730,
		.dport = 8080,
		.src = "10.0.0.5",
		.dst = "93.184.216.34",
		.cookie = 0x123456789abcdef0ULL,
		.uid = 1000,
		.inode = 424242,
		.info = info(1000, 200, 1001, 555),
		.infolen = sizeof(struct tcp_info),
	};

	put_sock(&d, SEQ, &m);
	assert_int_equal(sw_diag_parse(d.buf, d.len, SEQ, NETNS, &s), 0);
	assert_int_equal(s.n, 1);
	assert_true(s.v[0].cookie == 0x123456789abcdef0ULL);
	assert_int_equal(s.v[0].skptr, 0);
	assert_int_equal(s.v[0].family, SW_AF_INET);
	assert_int_equal(s.v[0].state, SW_TCP_ESTABLISHED);
	assert_int_equal(s.v[0].lport, 40730);
	assert_int_equal(s.v[0].rport, 8080);
	addr_is(s.v[0].laddr, SW_AF_INET, "10.0.0.5");
	addr_is(s.v[0].raddr, SW_AF_INET, "93.184.216.34");
	assert_int_equal(s.v[0].netns, NETNS);
	assert_int_equal(s.v[0].uid, 1000);
	assert_int_equal(s.v[0].flags, SW_SNAP_F_FULL);
	/* Payload bytes: sent less retransmitted, as close events count them. */
	assert_int_equal(s.v[0].bytes_sent, 800);
	assert_int_equal(s.v[0].bytes_received, 555);
	assert_int_equal(s.inode[0], 424242);
	sw_diag_socks_free(&s);
}

static void test_v6_and_mapped(void **state)
{
	struct dgram d = { .len = 0 };
	struct sw_diag_socks s = {};
	const struct tcp_info *ti = info(0, 0, 0, 0);
	struct msg v6 = {
		.family = AF_INET6,
		.state = SW_TCP_ESTABLISHED,
		.sport = 5432,
		.dport = 50000,
		.src = "2001:db8::1",
		.dst = "2001:db8::2",
		.cookie = 1,
		.info = ti,
		.infolen = sizeof(*ti),
	};
	struct msg mapped = v6, wild = v6, listen6 = v6;

	mapped.src = "::ffff:127.0.0.1";
	mapped.dst = "::ffff:127.0.0.2";
	mapped.cookie = 2;
	/* A dual-stack socket bound to :: talking to an IPv4 peer. */
	wild.src = "::";
	wild.dst = "::ffff:192.0.2.7";
	wild.cookie = 3;
	/* A dual-stack listener stays IPv6: its peer is not a mapped address. */
	listen6.state = SW_TCP_LISTEN;
	listen6.src = "::";
	listen6.dst = "::";
	listen6.dport = 0;
	listen6.cookie = 4;
	put_sock(&d, SEQ, &v6);
	put_sock(&d, SEQ, &mapped);
	put_sock(&d, SEQ, &wild);
	put_sock(&d, SEQ, &listen6);
	assert_int_equal(sw_diag_parse(d.buf, d.len, SEQ, NETNS, &s), 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.v[0].family, SW_AF_INET6);
	addr_is(s.v[0].laddr, SW_AF_INET6, "2001:db8::1");
	addr_is(s.v[0].raddr, SW_AF_INET6, "2001:db8::2");
	assert_int_equal(s.v[1].family, SW_AF_INET);
	addr_is(s.v[1].laddr, SW_AF_INET, "127.0.0.1");
	addr_is(s.v[1].raddr, SW_AF_INET, "127.0.0.2");
	assert_int_equal(s.v[2].family, SW_AF_INET);
	addr_is(s.v[2].laddr, SW_AF_INET, "0.0.0.0");
	addr_is(s.v[2].raddr, SW_AF_INET, "192.0.2.7");
	assert_int_equal(s.v[3].family, SW_AF_INET6);
	assert_int_equal(s.v[3].state, SW_TCP_LISTEN);
	addr_is(s.v[3].laddr, SW_AF_INET6, "::");
	sw_diag_socks_free(&s);
}

static void test_mini_sockets(void **state)
{
	struct dgram d = { .len = 0 };
	struct sw_diag_socks s = {};
	const struct tcp_info *ti = info(0, 0, 1, 0);
	struct msg tw = {
		.family = AF_INET,
		.state = SW_TCP_TIME_WAIT,
		.sport = 40000,
		.dport = 80,
		.src = "127.0.0.1",
		.dst = "127.0.0.1",
		.cookie = 10,
		.uid = 33, /* ignored: only full sockets have an owner uid */
	};
	struct msg req = tw, fastopen = tw;

	/* inet_diag reports a request socket as SYN_RECV, without tcp_info. */
	req.state = SW_TCP_SYN_RECV;
	req.cookie = 11;
	/* A full socket in SYN_RECV (TCP Fast Open child) has tcp_info. */
	fastopen.state = SW_TCP_SYN_RECV;
	fastopen.cookie = 12;
	fastopen.info = ti;
	fastopen.infolen = sizeof(*ti);
	put_sock(&d, SEQ, &tw);
	put_sock(&d, SEQ, &req);
	put_sock(&d, SEQ, &fastopen);
	assert_int_equal(sw_diag_parse(d.buf, d.len, SEQ, NETNS, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.v[0].state, SW_TCP_TIME_WAIT);
	assert_int_equal(s.v[0].flags, 0);
	assert_int_equal(s.v[0].uid, 0);
	assert_int_equal(s.v[1].state, SW_TCP_NEW_SYN_RECV);
	assert_int_equal(s.v[1].flags, 0);
	assert_int_equal(s.v[2].state, SW_TCP_SYN_RECV);
	assert_int_equal(s.v[2].flags, SW_SNAP_F_FULL);
	sw_diag_socks_free(&s);
}

/* Kernels before 4.19 send a shorter tcp_info: no bytes_sent/bytes_retrans. */
static void test_short_info(void **state)
{
	struct dgram d = { .len = 0 };
	struct sw_diag_socks s = {};
	struct msg m = {
		.family = AF_INET,
		.state = SW_TCP_ESTABLISHED,
		.sport = 1,
		.dport = 2,
		.src = "127.0.0.1",
		.dst = "127.0.0.1",
		.cookie = 5,
		.info = info(999, 9, 301, 77),
	};

	m.infolen = offsetof(struct tcp_info, tcpi_bytes_received) + sizeof(__u64);
	put_sock(&d, SEQ, &m);
	/* Shorter still: not even bytes_acked. */
	m.infolen = offsetof(struct tcp_info, tcpi_bytes_acked);
	m.cookie = 6;
	put_sock(&d, SEQ, &m);
	assert_int_equal(sw_diag_parse(d.buf, d.len, SEQ, NETNS, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.v[0].bytes_sent, 301);
	assert_int_equal(s.v[0].bytes_received, 77);
	assert_int_equal(s.v[1].flags, SW_SNAP_F_FULL);
	assert_int_equal(s.v[1].bytes_sent, 0);
	assert_int_equal(s.v[1].bytes_received, 0);
	sw_diag_socks_free(&s);
}

static void test_done_and_errors(void **state)
{
	struct dgram d = { .len = 0 };
	struct sw_diag_socks s = {};
	struct msg m = {
		.family = AF_INET,
		.state = SW_TCP_LISTEN,
		.sport = 22,
		.src = "0.0.0.0",
		.dst = "0.0.0.0",
		.cookie = 9,
		.info = info(0, 0, 0, 0),
		.infolen = sizeof(struct tcp_info),
	};
	struct nlmsghdr *h;

	/* Another request's answers are skipped; DONE ends the dump. */
	put_sock(&d, SEQ + 1, &m);
	put_sock(&d, SEQ, &m);
	put_done(&d, SEQ, 0);
	assert_int_equal(sw_diag_parse(d.buf, d.len, SEQ, NETNS, &s), 1);
	assert_int_equal(s.n, 1);

	d.len = 0;
	put_done(&d, SEQ, -EPERM);
	assert_int_equal(sw_diag_parse(d.buf, d.len, SEQ, NETNS, &s), -EPERM);

	/* An acknowledgement (error 0) is not an error; a refusal is. */
	d.len = 0;
	put_error(&d, SEQ, 0);
	assert_int_equal(sw_diag_parse(d.buf, d.len, SEQ, NETNS, &s), 0);
	put_error(&d, SEQ, -ENOENT);
	assert_int_equal(sw_diag_parse(d.buf, d.len, SEQ, NETNS, &s), -ENOENT);

	/* Other message types and families are ignored. */
	d.len = 0;
	put_hdr(&d, NLMSG_NOOP, SEQ, 0);
	h = (struct nlmsghdr *)(d.buf + d.len);
	put_sock(&d, SEQ, &m);
	((struct inet_diag_msg *)NLMSG_DATA(h))->idiag_family = AF_UNIX;
	assert_int_equal(sw_diag_parse(d.buf, d.len, SEQ, NETNS, &s), 0);
	assert_int_equal(s.n, 1);
	sw_diag_socks_free(&s);
}

static void test_malformed(void **state)
{
	struct dgram d = { .len = 0 };
	struct sw_diag_socks s = {};
	struct msg m = {
		.family = AF_INET,
		.state = SW_TCP_ESTABLISHED,
		.sport = 1,
		.dport = 2,
		.src = "127.0.0.1",
		.dst = "127.0.0.1",
		.cookie = 1,
	};
	struct nlmsghdr *h;

	/* A datagram cut inside a message. */
	put_sock(&d, SEQ, &m);
	put_sock(&d, SEQ, &m);
	assert_int_equal(sw_diag_parse(d.buf, d.len - 8, SEQ, NETNS, &s), -EBADMSG);
	/* A message too short to hold inet_diag_msg. */
	d.len = 0;
	h = put_hdr(&d, SOCK_DIAG_BY_FAMILY, SEQ, 8);
	assert_int_equal(sw_diag_parse(d.buf, d.len, SEQ, NETNS, &s), -EBADMSG);
	/* A length field smaller than the header. */
	h->nlmsg_len = 4;
	assert_int_equal(sw_diag_parse(d.buf, d.len, SEQ, NETNS, &s), -EBADMSG);
	/* A truncated error message. */
	d.len = 0;
	put_hdr(&d, NLMSG_ERROR, SEQ, 2);
	assert_int_equal(sw_diag_parse(d.buf, d.len, SEQ, NETNS, &s), -EBADMSG);
	sw_diag_socks_free(&s);
}

/* Records accumulate over datagrams, past the first allocation. */
static void test_many(void **state)
{
	struct dgram *d = malloc(sizeof(*d));
	struct sw_diag_socks s = {};
	struct msg m = {
		.family = AF_INET,
		.state = SW_TCP_ESTABLISHED,
		.sport = 80,
		.src = "127.0.0.1",
		.dst = "127.0.0.1",
		.info = info(0, 0, 0, 0),
		.infolen = sizeof(struct tcp_info),
	};
	__u64 cookie = 1;

	assert_non_null(d);
	for (int dg = 0; dg < 30; dg++) {
		d->len = 0;
		for (int i = 0; i < 100; i++) {
			m.cookie = cookie++;
			m.dport = (__u16)m.cookie;
			m.inode = (__u32)(m.cookie + 1000);
			put_sock(d, SEQ, &m);
		}
		assert_int_equal(sw_diag_parse(d->buf, d->len, SEQ, NETNS, &s), 0);
	}
	assert_int_equal(s.n, 3000);
	for (size_t i = 0; i < s.n; i++) {
		assert_int_equal(s.v[i].cookie, i + 1);
		assert_int_equal(s.v[i].rport, (__u16)(i + 1));
		assert_int_equal(s.inode[i], i + 1001);
	}
	sw_diag_socks_free(&s);
	free(d);
}

/* A real dump of this namespace (sock_diag needs no privilege): cookies as SO_COOKIE gives them. */
static void test_real_dump(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sw_diag_socks s = {};
	socklen_t alen = sizeof(a), clen = sizeof(__u64);
	__u64 cookie = 0;
	int l, c, fd, found = 0;

	l = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(l >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 4), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &alen), 0);
	assert_int_equal(getsockopt(l, SOL_SOCKET, SO_COOKIE, &cookie, &clen), 0);
	c = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);

	fd = sw_diag_open();
	assert_true(fd >= 0);
	assert_int_equal(sw_diag_dump(fd, 77, &s), 0);
	close(fd);
	for (size_t i = 0; i < s.n; i++) {
		const struct sw_snap_sock *r = &s.v[i];

		if (r->family != SW_AF_INET || r->lport != ntohs(a.sin_port))
			continue;
		if (r->state == SW_TCP_LISTEN) {
			assert_true(r->cookie == cookie);
			assert_int_equal(r->netns, 77);
			assert_int_equal(r->flags, SW_SNAP_F_FULL);
			assert_int_equal(r->uid, getuid());
			assert_int_not_equal(s.inode[i], 0);
			found |= 1;
		} else if (r->state == SW_TCP_ESTABLISHED) {
			found |= 2; /* the accepted side, waiting in the backlog */
		}
	}
	assert_int_equal(found, 3);
	sw_diag_socks_free(&s);
	close(c);
	close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_full),
		cmocka_unit_test(test_v6_and_mapped),
		cmocka_unit_test(test_mini_sockets),
		cmocka_unit_test(test_short_info),
		cmocka_unit_test(test_done_and_errors),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_real_dump),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
