/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The event the connection-table unit tests feed: IPv4 loopback, pid 42 "client". */
#ifndef SW_TEST_CONNTAB_EV_H
#define SW_TEST_CONNTAB_EV_H

#include <string.h>

#include "sockwatch.h"

#define TEST_NETNS 4026531840u

static inline struct sw_event ev(__u8 kind, __u64 cookie, __u8 oldstate, __u8 newstate, __u16 lport,
				 __u16 rport)
{
	struct sw_event e = {
		.kind = kind,
		.cookie = cookie,
		.oldstate = oldstate,
		.newstate = newstate,
		.lport = lport,
		.rport = rport,
		.family = SW_AF_INET,
		.netns = TEST_NETNS,
		.pid = 42,
		.flags = SW_OWNER_CURRENT,
	};

	e.laddr[0] = 127;
	e.laddr[3] = 1;
	e.raddr[0] = 127;
	e.raddr[3] = 1;
	strcpy(e.comm, "client");
	return e;
}

#endif /* SW_TEST_CONNTAB_EV_H */
