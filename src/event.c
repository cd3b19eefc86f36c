// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Names of event kinds, TCP states and failure reasons, and ring-buffer record decoding. */
#include <errno.h>
#include <string.h>

#include "event.h"

_Static_assert(SW_EADDRNOTAVAIL == EADDRNOTAVAIL, "the BPF side sets the kernel's EADDRNOTAVAIL");

static const char *const kind_names[SW_EV_KIND_MAX] = {
	[SW_EV_NONE] = "none",
	[SW_EV_LISTEN] = "listen",
	[SW_EV_UNLISTEN] = "unlisten",
	[SW_EV_CONNECT] = "connect",
	[SW_EV_CONNECT_FAILED] = "connect_failed",
	[SW_EV_ACCEPT] = "accept",
	[SW_EV_CLOSE] = "close",
	[SW_EV_STATE] = "state",
	[SW_EV_SNAPSHOT] = "snapshot",
	[SW_EV_LOST] = "lost",
};

static const char *const state_names[SW_TCP_STATE_MAX] = {
	[0] = "UNKNOWN",
	[SW_TCP_ESTABLISHED] = "ESTABLISHED",
	[SW_TCP_SYN_SENT] = "SYN_SENT",
	[SW_TCP_SYN_RECV] = "SYN_RECV",
	[SW_TCP_FIN_WAIT1] = "FIN_WAIT1",
	[SW_TCP_FIN_WAIT2] = "FIN_WAIT2",
	[SW_TCP_TIME_WAIT] = "TIME_WAIT",
	[SW_TCP_CLOSE] = "CLOSE",
	[SW_TCP_CLOSE_WAIT] = "CLOSE_WAIT",
	[SW_TCP_LAST_ACK] = "LAST_ACK",
	[SW_TCP_LISTEN] = "LISTEN",
	[SW_TCP_CLOSING] = "CLOSING",
	[SW_TCP_NEW_SYN_RECV] = "NEW_SYN_RECV",
};

bool sw_lost_is_evictions(const struct sw_record *r)
{
	return r->ev.kind == SW_EV_LOST && r->lost_where &&
	       !strcmp(r->lost_where, SW_LOST_SOCKET_MAP);
}

const char *sw_kind_name(unsigned int kind)
{
	return kind < SW_EV_KIND_MAX ? kind_names[kind] : "unknown";
}

int sw_kind_from_name(const char *name)
{
	for (int i = 1; i < SW_EV_KIND_MAX; i++)
		if (!strcmp(name, kind_names[i]))
			return i;
	return -EINVAL;
}

const char *sw_state_name(unsigned int state)
{
	return state < SW_TCP_STATE_MAX ? state_names[state] : "UNKNOWN";
}

int sw_state_from_name(const char *name)
{
	for (int i = 1; i < SW_TCP_STATE_MAX; i++)
		if (!strcasecmp(name, state_names[i]))
			return i;
	return -EINVAL;
}

const char *sw_error_reason(unsigned int err)
{
	switch (err) {
	case 0:
		return "aborted"; /* closed by its owner before the handshake completed */
	case ECONNREFUSED:
		return "refused";
	case ETIMEDOUT:
		return "timeout";
	case ECONNRESET:
		return "reset";
	case EHOSTUNREACH:
		return "host_unreachable";
	case ENETUNREACH:
		return "net_unreachable";
	case ECONNABORTED:
		return "aborted";
	case SW_EADDRNOTAVAIL: /* no free local port: set by the BPF side */
		return "no_local_port";
	case EPIPE:
		return "broken_pipe";
	default:
		return "error";
	}
}

const char *sw_closer_name(unsigned int closer)
{
	switch (closer) {
	case SW_CLOSER_LOCAL:
		return "local";
	case SW_CLOSER_REMOTE:
		return "remote";
	default:
		return "unknown";
	}
}

int sw_event_decode(const void *data, size_t size, struct sw_event *out)
{
	if (size < sizeof(*out))
		return -EINVAL;
	memcpy(out, data, sizeof(*out));
	if (out->kind == SW_EV_NONE || out->kind >= SW_EV_KIND_MAX)
		return -EINVAL;
	if (out->family != SW_AF_INET && out->family != SW_AF_INET6)
		return -EINVAL;
	if (out->oldstate >= SW_TCP_STATE_MAX || out->newstate >= SW_TCP_STATE_MAX)
		return -EINVAL;
	out->comm[SW_COMM_LEN - 1] = '\0';
	return 0;
}
