// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Formatting and classifying the 16-byte addresses carried in events. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "sockwatch.h"

static const __u8 mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* Decimal digits of v (< 100000) at p; returns how many. */
static size_t put_dec(char *p, unsigned int v)
{
	char d[5];
	size_t n = 0, i = 0;

	do {
		d[n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (n)
		p[i++] = d[--n];
	return i;
}

/* Dotted quad of 4 bytes into buf (at least 16 bytes, NUL-terminated); returns its length. */
static size_t ipv4_text(const __u8 *addr, char *buf)
{
	char *d = buf;

	/* this runs twice for most events: each digit divided out once */
	for (int i = 0; i < 4; i++) {
		unsigned int v = addr[i];

		if (v >= 100) {
			*d++ = '0' + v / 100;
			v %= 100;
			*d++ = '0' + v / 10;
			v %= 10;
		} else if (v >= 10) {
			*d++ = '0' + v / 10;
			v %= 10;
		}
		*d++ = '0' + v;
		*d++ = '.';
	}
	*--d = '\0'; /* over the dot after the last byte */
	return d - buf;
}

/* An error, with buf left holding fallback (it fits: every caller has room for an address). */
static int addr_fail(int err, char *buf, size_t size, const char *fallback)
{
	if (size)
		snprintf(buf, size, "%s", fallback);
	return err;
}

int sw_addr_format(unsigned int family, const __u8 *addr, char *buf, size_t size)
{
	char a[INET_ADDRSTRLEN];
	/* straight into buf when any address fits */
	char *text = size >= INET_ADDRSTRLEN ? buf : a;
	size_t n;

	if (family == SW_AF_INET6)
		return inet_ntop(AF_INET6, addr, buf, size) ? (int)strlen(buf) :
							      addr_fail(-errno, buf, size, "");
	if (family != SW_AF_INET)
		return addr_fail(-EAFNOSUPPORT, buf, size, "");
	/* inet_ntop() goes through sprintf(): this runs for every event */
	n = ipv4_text(addr, text);
	if (text == buf)
		return (int)n;
	if (n >= size)
		return addr_fail(-ENOSPC, buf, size, "");
	memcpy(buf, a, n + 1);
	return (int)n;
}

int sw_addrport_format(unsigned int family, const __u8 *addr, __u16 port, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN + 8];
	size_t n = 0;
	int err;

	if (family == SW_AF_INET6)
		a[n++] = '[';
	err = sw_addr_format(family, addr, a + n, INET6_ADDRSTRLEN);
	if (err < 0)
		return addr_fail(err, buf, size, "?");
	n += err;
	if (family == SW_AF_INET6)
		a[n++] = ']';
	a[n++] = ':';
	n += put_dec(a + n, port);
	if (n >= size)
		return addr_fail(-ENOSPC, buf, size, "?");
	a[n] = '\0';
	memcpy(buf, a, n + 1);
	return 0;
}

bool sw_addr_is_mapped(const __u8 addr[16])
{
	return memcmp(addr, mapped_prefix, sizeof(mapped_prefix)) == 0;
}

bool sw_addr_unmap(__u8 addr[16])
{
	if (!sw_addr_is_mapped(addr))
		return false;
	memmove(addr, addr + 12, 4);
	memset(addr + 4, 0, 12);
	return true;
}

bool sw_addr_v4_in_v6(const __u8 laddr[16], const __u8 raddr[16])
{
	static const __u8 zero[16];

	if (sw_addr_is_mapped(raddr))
		return sw_addr_is_mapped(laddr) || !memcmp(laddr, zero, sizeof(zero));
	return sw_addr_is_mapped(laddr) && !memcmp(raddr, zero, sizeof(zero));
}

bool sw_addr_is_any(unsigned int family, const __u8 *addr)
{
	size_t n = family == SW_AF_INET6 ? 16 : 4;

	for (size_t i = 0; i < n; i++)
		if (addr[i])
			return false;
	return true;
}

bool sw_addr_is_loopback(unsigned int family, const __u8 *addr)
{
	static const __u8 v6_loopback[16] = { [15] = 1 };

	if (family == SW_AF_INET)
		return addr[0] == 127;
	if (sw_addr_is_mapped(addr))
		return addr[12] == 127;
	return memcmp(addr, v6_loopback, 16) == 0;
}

enum sw_exposure sw_addr_exposure(unsigned int family, const __u8 *addr)
{
	if (sw_addr_is_any(family, addr))
		return SW_EXPOSE_WILDCARD;
	if (sw_addr_is_loopback(family, addr))
		return SW_EXPOSE_LOOPBACK;
	return SW_EXPOSE_ADDRESS;
}

const char *sw_exposure_name(enum sw_exposure e)
{
	switch (e) {
	case SW_EXPOSE_LOOPBACK:
		return "loopback";
	case SW_EXPOSE_ADDRESS:
		return "address";
	case SW_EXPOSE_WILDCARD:
		return "wildcard";
	}
	return "unknown";
}

int sw_addr_parse(const char *text, unsigned int *family, __u8 addr[16])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, text, addr) == 1) {
		*family = SW_AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, addr) == 1) {
		*family = SW_AF_INET6;
		return 0;
	}
	return -EINVAL;
}
