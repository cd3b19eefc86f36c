// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Parsing and checking of -o sink specs ("stdout", "file:PATH", "syslog+tcp://HOST:PORT", ...). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "sink_int.h"
#include "strbuf.h"

#define SPEC_FORMS \
	"stdout, file:PATH, syslog, syslog+unix:PATH, syslog+udp://HOST:PORT or syslog+tcp://HOST:PORT"

/*
 * The reason, in err: one line that is safe for a terminal (what it quotes of
 * the spec is escaped like any untrusted text).
 */
static int bad(char *err, size_t n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int len;

	if (err && n) {
		va_start(ap, fmt);
		len = vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		sw_term_line(err, n, msg,
			     len < 0		       ? 0 :
			     (size_t)len < sizeof(msg) ? (size_t)len :
							 sizeof(msg) - 1);
	}
	return -EINVAL;
}

static int parse_path(const char *p, char *out, size_t size, char *err, size_t n)
{
	if (!*p)
		return bad(err, n, "missing path");
	if (strlen(p) >= size)
		return bad(err, n, "path too long");
	strcpy(out, p);
	return 0;
}

static int parse_port(const char *p, unsigned short *port, char *err, size_t n)
{
	unsigned long v;
	char *end;

	if (!*p)
		return bad(err, n, "missing port after \":\"");
	errno = 0;
	v = strtoul(p, &end, 10);
	if (*p < '0' || *p > '9' || errno || v < 1 || v > 65535)
		return bad(err, n, "bad port \"%s\" (expected 1-65535)", p);
	if (*end)
		return bad(err, n, "unexpected \"%s\" after port", end);
	*port = v;
	return 0;
}

/* HOST[:PORT], [V6ADDR][:PORT]; the port defaults to 514. */
static int parse_hostport(const char *p, struct sw_sink_spec *o, char *err, size_t n)
{
	const char *host = p, *rest;
	size_t hlen;

	if (*p == '[') {
		rest = strchr(p, ']');
		if (!rest)
			return bad(err, n, "missing \"]\" after IPv6 address");
		host = p + 1;
		hlen = rest - host;
		rest++;
	} else {
		hlen = strcspn(p, ":/");
		rest = p + hlen;
	}
	if (!hlen)
		return bad(err, n, "missing host");
	if (hlen >= sizeof(o->host))
		return bad(err, n, "host name too long");
	memcpy(o->host, host, hlen);
	o->host[hlen] = '\0';
	o->port = SW_SYSLOG_PORT;
	if (*rest == ':')
		return parse_port(rest + 1, &o->port, err, n);
	if (*rest)
		return bad(err, n, "unexpected \"%s\" after host", rest);
	return 0;
}

int sw_sink_spec_parse(const char *spec, struct sw_sink_spec *o, char *err, size_t n)
{
	static const struct {
		const char *prefix;
		enum sw_sink_type type;
	} nets[] = {
		{ "syslog+udp", SW_SINK_SYSLOG_UDP },
		{ "syslog+tcp", SW_SINK_SYSLOG_TCP },
	};
	size_t i, len;

	memset(o, 0, sizeof(*o));
	if (!spec || !*spec)
		return bad(err, n, "empty output (expected %s)", SPEC_FORMS);
	if (!strcmp(spec, "stdout") || !strcmp(spec, "-")) {
		o->type = SW_SINK_STDOUT;
		return 0;
	}
	if (!strcmp(spec, "file"))
		return bad(err, n, "missing path (expected file:PATH)");
	if (!strncmp(spec, "file:", 5)) {
		o->type = SW_SINK_FILE;
		return parse_path(spec + 5, o->path, sizeof(o->path), err, n);
	}
	if (!strcmp(spec, "syslog")) {
		o->type = SW_SINK_SYSLOG_UNIX;
		strcpy(o->path, SW_SYSLOG_DEV_LOG);
		return 0;
	}
	if (!strncmp(spec, "syslog+unix:", 12)) {
		o->type = SW_SINK_SYSLOG_UNIX;
		/* it could never connect: refused now rather than dropping every record */
		if (strlen(spec + 12) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			return bad(err, n, "socket path too long (at most %zu bytes)",
				   sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		return parse_path(spec + 12, o->path, sizeof(o->path), err, n);
	}
	for (i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		len = strlen(nets[i].prefix);
		if (strncmp(spec, nets[i].prefix, len))
			continue;
		if (strncmp(spec + len, "://", 3))
			return bad(err, n, "expected %s://HOST:PORT", nets[i].prefix);
		o->type = nets[i].type;
		return parse_hostport(spec + len + 3, o, err, n);
	}
	len = strcspn(spec, ":");
	return bad(err, n, "unknown sink \"%.*s\" (expected %s)", (int)len, spec, SPEC_FORMS);
}

int sw_sink_check_spec(const char *spec, char *err, size_t n)
{
	struct sw_sink_spec *o = malloc(sizeof(*o));
	int ret;

	if (!o)
		return -ENOMEM;
	ret = sw_sink_spec_parse(spec, o, err, n);
	free(o);
	return ret;
}
