/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Formatting and classifying the 16-byte addresses carried in events. */
#ifndef SW_ADDR_H
#define SW_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* Enough for any IPv6 text form plus brackets and ":65535". */
#define SW_ADDR_STRLEN 64

enum sw_exposure {
	SW_EXPOSE_LOOPBACK = 0, /* 127.0.0.0/8 or ::1: reachable from this host only */
	SW_EXPOSE_ADDRESS, /* one specific interface address */
	SW_EXPOSE_WILDCARD, /* 0.0.0.0 or ::: every interface */
};

/* A network: family SW_AF_INET or SW_AF_INET6, the first plen bits of addr (v4 in 4 bytes). */
struct sw_net {
	unsigned int family;
	unsigned int plen;
	__u8 addr[16];
};

/*
 * family is SW_AF_INET or SW_AF_INET6; addr holds 4 or 16 bytes, network order.
 * Returns the text's length, or -errno with buf empty (an unknown family, say).
 */
int sw_addr_format(unsigned int family, const __u8 *addr, char *buf, size_t size);
/* "addr:port" for v4, "[addr]:port" for v6; 0, or -errno with buf holding "?". */
int sw_addrport_format(unsigned int family, const __u8 *addr, __u16 port, char *buf, size_t size);
/* Rewrites ::ffff:a.b.c.d (in place) to a.b.c.d; returns true if it did. */
bool sw_addr_unmap(__u8 addr[16]);
bool sw_addr_is_mapped(const __u8 addr[16]);
/*
 * Whether an AF_INET6 socket with these endpoints is IPv4 (reported as such):
 * a v4-mapped peer with a mapped or wildcard local address, or a mapped local
 * address and no peer (a listener on ::ffff:a.b.c.d serves IPv4 only).
 * As sw_is_v4_in_v6() in bpf/tuple.bpf.h.
 */
bool sw_addr_v4_in_v6(const __u8 laddr[16], const __u8 raddr[16]);
bool sw_addr_is_any(unsigned int family, const __u8 *addr);
bool sw_addr_is_loopback(unsigned int family, const __u8 *addr);
enum sw_exposure sw_addr_exposure(unsigned int family, const __u8 *addr);
const char *sw_exposure_name(enum sw_exposure e);
/* Parses a numeric v4 or v6 address; sets *family. -EINVAL if not an address. */
int sw_addr_parse(const char *text, unsigned int *family, __u8 addr[16]);

#endif /* SW_ADDR_H */
