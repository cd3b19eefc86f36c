// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The snapshot through netlink sock_diag: inet_diag dumps of every TCP socket (v4 and v6), as ss does. */
#include <errno.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>

#include "addr.h"
#include "snapshot_diag.h"

#define IPPROTO_TCP_NUM 6

/*
 * ESTABLISHED (1) .. NEW_SYN_RECV (12): what the tcp iterator and ss -tan
 * list. Not TCP_BOUND_INACTIVE (13, bound-only sockets, 6.9+).
 */
#define DIAG_STATES (((1u << (SW_TCP_NEW_SYN_RECV + 1)) - 1) & ~1u)
/* A dump datagram is at most 32 KiB (netlink_dump); twice that never truncates. */
#define RECV_BUF (64 * 1024)

static int socks_grow(struct sw_diag_socks *s)
{
	size_t ncap = s->cap ? s->cap * 2 : 1024;
	struct sw_snap_sock *nv;
	__u32 *ni;

	nv = realloc(s->v, ncap * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	s->v = nv;
	ni = realloc(s->inode, ncap * sizeof(*ni));
	if (!ni)
		return -ENOMEM;
	s->inode = ni;
	s->cap = ncap;
	return 0;
}

void sw_diag_socks_free(struct sw_diag_socks *s)
{
	free(s->v);
	free(s->inode);
	memset(s, 0, sizeof(*s));
}

/* The INET_DIAG_INFO payload (tcp_info) among a message's attributes, or NULL. */
static const void *find_info(const struct nlmsghdr *nlh, size_t *len)
{
	const struct rtattr *a;
	int rest;

	rest = (int)nlh->nlmsg_len - NLMSG_LENGTH(sizeof(struct inet_diag_msg));
	a = (const struct rtattr *)((const char *)NLMSG_DATA(nlh) +
				    NLMSG_ALIGN(sizeof(struct inet_diag_msg)));
	for (; RTA_OK(a, rest); a = RTA_NEXT(a, rest)) {
		if (a->rta_type == INET_DIAG_INFO) {
			*len = RTA_PAYLOAD(a);
			return RTA_DATA(a);
		}
	}
	return NULL;
}

/* Payload bytes each way from tcp_info, as the iterator and close events count them. */
static void info_bytes(const void *info, size_t len, struct sw_snap_sock *r)
{
	struct tcp_info ti = {};

	memcpy(&ti, info, len < sizeof(ti) ? len : sizeof(ti));
	if (len >= offsetof(struct tcp_info, tcpi_bytes_retrans) + sizeof(ti.tcpi_bytes_retrans))
		/* 4.19+: bytes sent less retransmissions, each byte once. */
		r->bytes_sent = ti.tcpi_bytes_sent > ti.tcpi_bytes_retrans ?
					ti.tcpi_bytes_sent - ti.tcpi_bytes_retrans :
					0;
	else if (len >= offsetof(struct tcp_info, tcpi_bytes_acked) + sizeof(ti.tcpi_bytes_acked))
		r->bytes_sent = ti.tcpi_bytes_acked; /* older: acked, SYN and FIN included */
	if (len >= offsetof(struct tcp_info, tcpi_bytes_received) + sizeof(ti.tcpi_bytes_received))
		r->bytes_received = ti.tcpi_bytes_received;
}

static int add_msg(const struct nlmsghdr *nlh, __u32 netns, struct sw_diag_socks *out)
{
	const struct inet_diag_msg *m = NLMSG_DATA(nlh);
	struct sw_snap_sock *r;
	const void *info;
	size_t infolen = 0;
	int e;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return -EBADMSG;
	if (m->idiag_family != SW_AF_INET && m->idiag_family != SW_AF_INET6)
		return 0;
	if (out->n == out->cap) {
		e = socks_grow(out);
		if (e)
			return e;
	}
	r = &out->v[out->n];
	memset(r, 0, sizeof(*r));
	r->cookie = m->id.idiag_cookie[0] | (__u64)m->id.idiag_cookie[1] << 32;
	r->netns = netns;
	r->family = m->idiag_family;
	r->state = m->idiag_state;
	r->lport = ntohs(m->id.idiag_sport);
	r->rport = ntohs(m->id.idiag_dport);
	memcpy(r->laddr, m->id.idiag_src, r->family == SW_AF_INET ? 4 : 16);
	memcpy(r->raddr, m->id.idiag_dst, r->family == SW_AF_INET ? 4 : 16);
	if (r->family == SW_AF_INET6 && sw_addr_v4_in_v6(r->laddr, r->raddr)) {
		r->family = SW_AF_INET;
		sw_addr_unmap(r->laddr);
		sw_addr_unmap(r->raddr);
	}
	info = find_info(nlh, &infolen);
	if (info) {
		/* Only full sockets (listeners too) carry tcp_info. */
		r->flags |= SW_SNAP_F_FULL;
		r->uid = m->idiag_uid;
		info_bytes(info, infolen, r);
	} else if (r->state == SW_TCP_SYN_RECV) {
		r->state = SW_TCP_NEW_SYN_RECV; /* a request socket: inet_diag says SYN_RECV */
	}
	out->inode[out->n++] = m->idiag_inode;
	return 0;
}

int sw_diag_parse(const void *buf, size_t len, __u32 seq, __u32 netns, struct sw_diag_socks *out)
{
	const struct nlmsghdr *nlh = buf;
	int rest = (int)len, e;

	if (len > (size_t)__INT_MAX__)
		return -EBADMSG;
	/* NLMSG_OK(), with rest known positive where it is compared as unsigned */
	for (; rest >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (__u32)rest;
	     nlh = NLMSG_NEXT(nlh, rest)) {
		if (nlh->nlmsg_seq != seq)
			continue; /* not an answer to our request */
		switch (nlh->nlmsg_type) {
		case NLMSG_DONE:
			/* Since 4.x the dump's own error, if any, rides here. */
			if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
				int err;

				memcpy(&err, NLMSG_DATA(nlh), sizeof(err));
				if (err < 0)
					return err;
			}
			return 1;
		case NLMSG_ERROR: {
			struct nlmsgerr ne;

			if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(ne)))
				return -EBADMSG;
			memcpy(&ne, NLMSG_DATA(nlh), sizeof(ne));
			if (ne.error)
				return ne.error < 0 ? ne.error : -ne.error;
			break; /* an acknowledgement */
		}
		case SOCK_DIAG_BY_FAMILY:
			e = add_msg(nlh, netns, out);
			if (e)
				return e;
			break;
		default:
			break;
		}
	}
	/* Bytes left that do not make a whole message: truncated or corrupt. */
	return rest > 0 ? -EBADMSG : 0;
}

int sw_diag_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

	return fd < 0 ? -errno : fd;
}

static int request(int fd, __u8 family, __u32 seq)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req = {
		.nlh = {
			.nlmsg_len = sizeof(req),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = seq,
		},
		.r = {
			.sdiag_family = family,
			.sdiag_protocol = IPPROTO_TCP_NUM,
			.idiag_ext = 1 << (INET_DIAG_INFO - 1),
			.idiag_states = DIAG_STATES,
		},
	};
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	ssize_t n;

	do
		n = sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&nl, sizeof(nl));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == sizeof(req) ? 0 : -EIO;
}

static int dump_family(int fd, __u8 family, __u32 seq, __u32 netns, void *buf,
		       struct sw_diag_socks *out)
{
	struct iovec iov = { .iov_base = buf, .iov_len = RECV_BUF };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;
	int e;

	e = request(fd, family, seq);
	if (e)
		return e;
	for (;;) {
		n = recvmsg(fd, &mh, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EBADMSG; /* the dump ended without NLMSG_DONE */
		if (mh.msg_flags & MSG_TRUNC)
			return -EMSGSIZE;
		e = sw_diag_parse(buf, (size_t)n, seq, netns, out);
		if (e)
			return e < 0 ? e : 0;
	}
}

int sw_diag_dump(int fd, __u32 netns, struct sw_diag_socks *out)
{
	void *buf = malloc(RECV_BUF);
	int e;

	if (!buf)
		return -ENOMEM;
	/* One dump at a time per socket; the sequence numbers tell them apart. */
	e = dump_family(fd, SW_AF_INET, 1, netns, buf, out);
	if (!e)
		e = dump_family(fd, SW_AF_INET6, 2, netns, buf, out);
	free(buf);
	return e;
}
