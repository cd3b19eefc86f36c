// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The --rules language (docs/rules.md): parser, listener/remote matching and --learn output. */
#include <errno.h>
#include <fnmatch.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "rules.h"
#include "sockwatch.h"
#include "strbuf.h"

/* A line of N bytes holds at most N/2 + 1 words (each word and separator take two bytes). */
#define MAX_WORDS (SW_RULES_LINE_MAX / 2 + 1)
/* The kernel keeps this many characters of a task's comm. */
#define COMM_CHARS (SW_COMM_LEN - 1)

struct port_range {
	__u16 lo, hi;
};

/* One network for v4 and v6 alike: plen bits of a 16-byte address. */
struct cidr {
	unsigned int family;
	unsigned int plen;
	__u8 addr[16];
};

enum netns_kind {
	NETNS_HOST,
	NETNS_OTHER,
	NETNS_INODE,
};

/* Matcher slots of an allow rule; "user" and "uid" share one. */
enum slot {
	SLOT_PORT,
	SLOT_COMM,
	SLOT_EXE,
	SLOT_USER,
	SLOT_EXPOSURE,
	SLOT_NETNS,
	SLOT_ADDR,
	SLOT_FAMILY,
	SLOT_MAX,
};

struct allow_rule {
	int line;
	unsigned int file; /* index into sw_rules.files */
	unsigned int have; /* bit per enum slot */
	struct port_range port;
	char *comm;
	char *exe;
	__u32 uid;
	enum sw_exposure exposure;
	enum netns_kind netns_kind;
	__u32 netns;
	struct cidr addr;
	unsigned int family;
};

struct deny_rule {
	int line;
	unsigned int file;
	bool has_port;
	struct port_range port;
	struct cidr net;
};

struct sw_rules {
	struct allow_rule *allow;
	size_t nallow, allow_cap;
	struct deny_rule *deny;
	size_t ndeny, deny_cap;
	char **files; /* the files (or names) the rules came from, in order */
	size_t nfiles;
};

/* State of one parse: where we are and where errors go. */
struct parser {
	const char *name;
	int line;
	char *err;
	size_t errlen;
	struct sw_rules *rules;
};

struct words {
	char buf[SW_RULES_LINE_MAX + 1];
	char *w[MAX_WORDS];
	int n;
};

struct matcher {
	const char *name;
	enum slot slot;
	int (*parse)(struct parser *p, struct allow_rule *r, const char *val);
	bool (*match)(const struct allow_rule *r, const struct sw_listener_info *l);
};

static bool is_ctrl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* Formats "name:line: message" (or "name: message" for line 0); always returns -EINVAL. */
static int __attribute__((format(printf, 2, 3))) perr(struct parser *p, const char *fmt, ...)
{
	char msg[SW_RULES_LINE_MAX + 256];
	va_list ap;
	int n;

	if (!p->err || !p->errlen)
		return -EINVAL;
	if (p->line)
		n = snprintf(msg, sizeof(msg), "%s:%d: ", p->name, p->line);
	else
		n = snprintf(msg, sizeof(msg), "%s: ", p->name);
	if (n >= 0 && (size_t)n < sizeof(msg)) {
		va_start(ap, fmt);
		vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
		va_end(ap);
	}
	/* Rule text is any bytes (and \x escapes): one line, safe for a terminal. */
	sw_term_line(p->err, p->errlen, msg, strlen(msg));
	return -EINVAL;
}

/* Returns arr with room for element n (NULL, arr untouched, if out of memory). */
static void *grow(void *arr, size_t *cap, size_t n, size_t elem)
{
	size_t ncap = *cap ? *cap * 2 : 8;
	void *a;

	if (n < *cap)
		return arr;
	a = realloc(arr, ncap * elem);
	if (a)
		*cap = ncap;
	return a;
}

/* Strict decimal: digits only, no sign or spaces. -EINVAL if not a number, -ERANGE if > max. */
static int parse_uint(const char *s, const char *end, unsigned long max, unsigned long *out)
{
	unsigned long long v = 0;

	if (s == end)
		return -EINVAL;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > max)
			continue; /* keep scanning: a later non-digit makes it -EINVAL */
		v = v * 10 + (unsigned long long)(*s - '0');
	}
	if (v > max)
		return -ERANGE;
	*out = (unsigned long)v;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Copies a quoted word starting at *sp (on the opening quote) to *op, undoing escapes. */
static int unquote(struct parser *p, const char **sp, const char *end, char **op)
{
	const char *s = *sp + 1;
	char *o = *op;
	int v;

	while (s < end && *s != '"') {
		if (*s != '\\') {
			*o++ = *s++;
			continue;
		}
		if (++s == end)
			break;
		if (*s == '\\' || *s == '"') {
			*o++ = *s++;
			continue;
		}
		if (*s == 'x' && end - s >= 3 && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
			v = hexval(s[1]) * 16 + hexval(s[2]);
			if (!v)
				return perr(p, "\\x00 not allowed in quoted string");
			*o++ = (char)v;
			s += 3;
			continue;
		}
		return perr(p, "invalid escape '\\%c' in quoted string", *s);
	}
	if (s >= end)
		return perr(p, "unterminated quoted string");
	*sp = s + 1;
	*op = o;
	return 0;
}

/* Splits one line (without its newline) into words; a word starting with '#' ends the line. */
static int split_line(struct parser *p, const char *s, const char *end, struct words *ws)
{
	char *o = ws->buf;
	int err;

	ws->n = 0;
	for (;;) {
		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		if (s == end || *s == '#')
			return 0;
		ws->w[ws->n++] = o;
		if (*s == '"') {
			err = unquote(p, &s, end, &o);
			if (err)
				return err;
			if (s < end && *s != ' ' && *s != '\t')
				return perr(p, "missing space after quoted string");
		} else {
			for (; s < end && *s != ' ' && *s != '\t'; s++) {
				if (*s == '"')
					return perr(
						p,
						"stray '\"' inside a word (quote the whole word)");
				*o++ = *s;
			}
		}
		*o++ = '\0';
	}
}

static int parse_port_range(struct parser *p, const char *text, struct port_range *pr)
{
	const char *end = text + strlen(text), *dash = strchr(text, '-');
	unsigned long lo = 0, hi = 0;
	int e1, e2;

	e1 = parse_uint(text, dash ? dash : end, 65535, &lo);
	e2 = dash ? parse_uint(dash + 1, end, 65535, &hi) : e1;
	if (!dash)
		hi = lo;
	if (e1 == -EINVAL || e2 == -EINVAL)
		return perr(p, "invalid port '%s'", text);
	if (e1 || e2 || !lo || !hi)
		return perr(p, "port '%s' out of range (1-65535)", text);
	if (lo > hi)
		return perr(p, "port range '%s' is reversed", text);
	pr->lo = (__u16)lo;
	pr->hi = (__u16)hi;
	return 0;
}

/* Clears the bits of addr after the first plen. */
static void mask_prefix(__u8 addr[16], unsigned int plen)
{
	for (unsigned int i = 0; i < 16; i++) {
		if (plen >= 8) {
			plen -= 8;
			continue;
		}
		addr[i] &= (__u8)(0xff00 >> plen);
		plen = 0;
	}
}

static bool prefix_equal(const __u8 *a, const __u8 *b, unsigned int plen)
{
	unsigned int bytes = plen / 8, bits = plen % 8;
	__u8 mask = (__u8)(0xff00 >> bits);

	if (memcmp(a, b, bytes))
		return false;
	return !bits || ((a[bytes] ^ b[bytes]) & mask) == 0;
}

static bool cidr_contains(const struct cidr *c, unsigned int family, const __u8 *addr)
{
	__u8 v4[16] = { 0 };

	/* an AF_INET6 socket on ::ffff:a.b.c.d talks IPv4 to a.b.c.d (as parse_cidr() has it) */
	if (family == SW_AF_INET6 && sw_addr_is_mapped(addr)) {
		memcpy(v4, addr + 12, 4);
		family = SW_AF_INET;
		addr = v4;
	}
	return c->family == family && prefix_equal(c->addr, addr, c->plen);
}

/*
 * ADDRESS or ADDRESS/LEN; host bits after LEN must be zero. IPv4-mapped IPv6
 * networks (::ffff:a.b.c.d/96 and longer) become IPv4, as event addresses do.
 */
static int parse_cidr(struct parser *p, const char *text, struct cidr *c)
{
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	char abuf[64];
	__u8 masked[16];
	unsigned long plen;
	unsigned int max;

	if (alen >= sizeof(abuf))
		return perr(p, "invalid address '%s'", text);
	memcpy(abuf, text, alen);
	abuf[alen] = '\0';
	if (sw_addr_parse(abuf, &c->family, c->addr))
		return perr(p, "invalid address '%s'", text);
	max = c->family == SW_AF_INET6 ? 128 : 32;
	plen = max;
	if (slash && parse_uint(slash + 1, text + strlen(text), max, &plen))
		return perr(p, "invalid prefix length in '%s' (0-%u)", text, max);
	c->plen = (unsigned int)plen;
	memcpy(masked, c->addr, sizeof(masked));
	mask_prefix(masked, c->plen);
	if (memcmp(masked, c->addr, sizeof(masked)))
		return perr(p, "host bits set in '%s'", text);
	if (c->family == SW_AF_INET6 && c->plen >= 96 && sw_addr_unmap(c->addr)) {
		c->family = SW_AF_INET;
		c->plen -= 96;
	}
	return 0;
}

/* True if a glob has no unescaped wildcard; *len gets its literal length. */
static bool glob_is_literal(const char *g, size_t *len)
{
	size_t n = 0;

	for (; *g; g++, n++) {
		if (*g == '*' || *g == '?' || *g == '[')
			return false;
		if (*g == '\\' && g[1])
			g++;
	}
	*len = n;
	return true;
}

static int parse_comm(struct parser *p, struct allow_rule *r, const char *val)
{
	size_t len;

	if (!*val)
		return perr(p, "empty value for 'comm'");
	if (glob_is_literal(val, &len) && len > COMM_CHARS)
		return perr(p, "comm '%s' is longer than %d characters and never matches", val,
			    COMM_CHARS);
	r->comm = strdup(val);
	return r->comm ? 0 : -ENOMEM;
}

static int parse_exe(struct parser *p, struct allow_rule *r, const char *val)
{
	if (val[0] != '/')
		return perr(p, "exe '%s' is not an absolute path", val);
	r->exe = strdup(val);
	return r->exe ? 0 : -ENOMEM;
}

static int parse_uid(struct parser *p, struct allow_rule *r, const char *val)
{
	unsigned long v;

	/* (uid_t)-1 is "no uid" to the kernel and never owns a socket. */
	if (parse_uint(val, val + strlen(val), 0xfffffffeUL, &v))
		return perr(p, "invalid uid '%s'", val);
	r->uid = (__u32)v;
	return 0;
}

/* Resolves a user name now, so that a typo fails the load instead of never matching. */
static int lookup_user(const char *name, __u32 *uid)
{
	struct passwd pw, *res = NULL;
	size_t size = 1024;
	char *buf = NULL, *nbuf;
	int err;

	for (;;) {
		nbuf = realloc(buf, size);
		if (!nbuf) {
			err = ENOMEM;
			break;
		}
		buf = nbuf;
		err = getpwnam_r(name, &pw, buf, size, &res);
		if (err != ERANGE || size >= 1024 * 1024)
			break;
		size *= 2;
	}
	if (!err && res)
		*uid = pw.pw_uid;
	free(buf);
	if (err)
		return -err;
	return res ? 0 : -ENOENT;
}

static int parse_user(struct parser *p, struct allow_rule *r, const char *val)
{
	int err = lookup_user(val, &r->uid);

	if (err == -ENOENT)
		return perr(p, "unknown user '%s'", val);
	if (err)
		return perr(p, "cannot look up user '%s': %s", val, strerror(-err));
	return 0;
}

static int parse_exposure(struct parser *p, struct allow_rule *r, const char *val)
{
	for (int e = SW_EXPOSE_LOOPBACK; e <= SW_EXPOSE_WILDCARD; e++) {
		if (!strcmp(val, sw_exposure_name(e))) {
			r->exposure = e;
			return 0;
		}
	}
	return perr(p, "invalid exposure '%s' (loopback, address or wildcard)", val);
}

static int parse_netns(struct parser *p, struct allow_rule *r, const char *val)
{
	unsigned long v;

	if (!strcmp(val, "host")) {
		r->netns_kind = NETNS_HOST;
	} else if (!strcmp(val, "other")) {
		r->netns_kind = NETNS_OTHER;
	} else if (!parse_uint(val, val + strlen(val), 0xffffffffUL, &v) && v) {
		r->netns_kind = NETNS_INODE;
		r->netns = (__u32)v;
	} else {
		return perr(p, "invalid netns '%s' (host, other or an inode number)", val);
	}
	return 0;
}

static int parse_addr(struct parser *p, struct allow_rule *r, const char *val)
{
	return parse_cidr(p, val, &r->addr);
}

static int parse_family(struct parser *p, struct allow_rule *r, const char *val)
{
	if (!strcmp(val, "4"))
		r->family = SW_AF_INET;
	else if (!strcmp(val, "6"))
		r->family = SW_AF_INET6;
	else
		return perr(p, "invalid family '%s' (4 or 6)", val);
	return 0;
}

static int parse_port(struct parser *p, struct allow_rule *r, const char *val)
{
	return parse_port_range(p, val, &r->port);
}

static bool match_port(const struct allow_rule *r, const struct sw_listener_info *l)
{
	return l->port >= r->port.lo && l->port <= r->port.hi;
}

static bool match_comm(const struct allow_rule *r, const struct sw_listener_info *l)
{
	return l->comm && fnmatch(r->comm, l->comm, 0) == 0;
}

static bool match_exe(const struct allow_rule *r, const struct sw_listener_info *l)
{
	return l->exe && fnmatch(r->exe, l->exe, FNM_PATHNAME) == 0;
}

/* An unknown uid (no owner) is no match: a uid 0 placeholder must not pass for root. */
static bool match_user(const struct allow_rule *r, const struct sw_listener_info *l)
{
	return l->uid_known && l->uid == r->uid;
}

static bool match_exposure(const struct allow_rule *r, const struct sw_listener_info *l)
{
	return sw_addr_exposure(l->family, l->addr) == r->exposure;
}

static bool match_netns(const struct allow_rule *r, const struct sw_listener_info *l)
{
	switch (r->netns_kind) {
	case NETNS_HOST:
		return l->host_netns;
	case NETNS_OTHER:
		return !l->host_netns;
	case NETNS_INODE:
		return l->netns == r->netns;
	}
	return false;
}

static bool match_addr(const struct allow_rule *r, const struct sw_listener_info *l)
{
	return cidr_contains(&r->addr, l->family, l->addr);
}

static bool match_family(const struct allow_rule *r, const struct sw_listener_info *l)
{
	return l->family == r->family;
}

static const struct matcher matchers[] = {
	{ "port", SLOT_PORT, parse_port, match_port },
	{ "comm", SLOT_COMM, parse_comm, match_comm },
	{ "exe", SLOT_EXE, parse_exe, match_exe },
	{ "user", SLOT_USER, parse_user, match_user },
	{ "uid", SLOT_USER, parse_uid, match_user },
	{ "exposure", SLOT_EXPOSURE, parse_exposure, match_exposure },
	{ "netns", SLOT_NETNS, parse_netns, match_netns },
	{ "addr", SLOT_ADDR, parse_addr, match_addr },
	{ "family", SLOT_FAMILY, parse_family, match_family },
};

#define NMATCHERS (sizeof(matchers) / sizeof(matchers[0]))

static const struct matcher *find_matcher(const char *name)
{
	for (size_t i = 0; i < NMATCHERS; i++)
		if (!strcmp(matchers[i].name, name))
			return &matchers[i];
	return NULL;
}

static void allow_rule_clear(struct allow_rule *r)
{
	free(r->comm);
	free(r->exe);
}

/* allow listen MATCHER VALUE ...; w starts after "listen". */
static int parse_allow(struct parser *p, char **w, int n)
{
	struct allow_rule r = { .line = p->line }, *a;
	const char *given[SLOT_MAX] = { 0 };
	const struct matcher *m;
	struct sw_rules *rs = p->rules;
	int err;

	if (!n)
		return perr(p, "allow listen needs at least one matcher");
	for (int i = 0; i < n; i += 2) {
		m = find_matcher(w[i]);
		if (!m) {
			err = perr(p, "unknown matcher '%s'", w[i]);
			goto out_clear;
		}
		if (i + 1 == n) {
			err = perr(p, "missing value after '%s'", w[i]);
			goto out_clear;
		}
		if (given[m->slot]) {
			if (!strcmp(given[m->slot], m->name))
				err = perr(p, "duplicate matcher '%s'", m->name);
			else
				err = perr(p, "'%s' and '%s' cannot both be given", given[m->slot],
					   m->name);
			goto out_clear;
		}
		err = m->parse(p, &r, w[i + 1]);
		if (err)
			goto out_clear;
		given[m->slot] = m->name;
		r.have |= 1u << m->slot;
	}
	a = grow(rs->allow, &rs->allow_cap, rs->nallow, sizeof(r));
	if (!a) {
		err = -ENOMEM;
		goto out_clear;
	}
	rs->allow = a;
	rs->allow[rs->nallow++] = r;
	return 0;
out_clear:
	allow_rule_clear(&r);
	return err;
}

/* deny remote CIDR [port N|N-M]; w starts after "remote". */
static int parse_deny(struct parser *p, char **w, int n)
{
	struct deny_rule r = { .line = p->line }, *d;
	struct sw_rules *rs = p->rules;
	int err;

	if (!n)
		return perr(p, "missing address after 'deny remote'");
	err = parse_cidr(p, w[0], &r.net);
	if (err)
		return err;
	for (int i = 1; i < n; i += 2) {
		if (strcmp(w[i], "port"))
			return perr(p, "unknown option '%s' (deny remote takes only 'port')", w[i]);
		if (i + 1 == n)
			return perr(p, "missing value after '%s'", w[i]);
		if (r.has_port)
			return perr(p, "duplicate option 'port'");
		err = parse_port_range(p, w[i + 1], &r.port);
		if (err)
			return err;
		r.has_port = true;
	}
	d = grow(rs->deny, &rs->deny_cap, rs->ndeny, sizeof(r));
	if (!d)
		return -ENOMEM;
	rs->deny = d;
	rs->deny[rs->ndeny++] = r;
	return 0;
}

static int parse_words(struct parser *p, struct words *ws)
{
	char **w = ws->w;
	int n = ws->n;

	if (!strcmp(w[0], "allow")) {
		if (n < 2 || strcmp(w[1], "listen"))
			return perr(p, "expected 'listen' after 'allow'");
		return parse_allow(p, w + 2, n - 2);
	}
	if (!strcmp(w[0], "deny")) {
		if (n < 2 || strcmp(w[1], "remote"))
			return perr(p, "expected 'remote' after 'deny'");
		return parse_deny(p, w + 2, n - 2);
	}
	return perr(p, "unknown keyword '%s' (expected 'allow' or 'deny')", w[0]);
}

static int parse_line(struct parser *p, const char *s, size_t len, struct words *ws)
{
	int err;

	if (len && s[len - 1] == '\r')
		len--;
	if (len > SW_RULES_LINE_MAX)
		return perr(p, "line too long (more than %d bytes)", SW_RULES_LINE_MAX);
	for (size_t i = 0; i < len; i++) {
		if (!s[i])
			return perr(p, "nul byte in line");
		if (is_ctrl((unsigned char)s[i]) && s[i] != '\t')
			return perr(p, "control character 0x%02x in line", (unsigned char)s[i]);
	}
	err = split_line(p, s, s + len, ws);
	if (err || !ws->n)
		return err;
	return parse_words(p, ws);
}

static int parse_text(const char *text, size_t len, const char *name, struct sw_rules **out,
		      char *err, size_t errlen)
{
	struct parser p = { .name = name, .err = err, .errlen = errlen };
	const char *s = text, *end = text + len, *nl;
	struct words *ws;
	int ret = -ENOMEM;

	if (err && errlen)
		err[0] = '\0';
	p.rules = calloc(1, sizeof(*p.rules));
	ws = malloc(sizeof(*ws));
	if (!p.rules || !ws)
		goto out_err;
	p.rules->files = malloc(sizeof(*p.rules->files));
	if (!p.rules->files || !(p.rules->files[0] = strdup(name)))
		goto out_err;
	p.rules->nfiles = 1;
	for (; s < end; s = nl ? nl + 1 : end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		p.line++;
		ret = parse_line(&p, s, nl ? (size_t)(nl - s) : (size_t)(end - s), ws);
		if (ret)
			goto out_err;
	}
	free(ws);
	*out = p.rules;
	return 0;
out_err:
	if (ret == -ENOMEM)
		perr(&p, "out of memory");
	free(ws);
	sw_rules_free(p.rules);
	return ret;
}

int sw_rules_parse_string(const char *text, const char *name, struct sw_rules **out, char *err,
			  size_t errlen)
{
	return parse_text(text, strlen(text), name, out, err, errlen);
}

int sw_rules_load(const char *path, struct sw_rules **out, char *err, size_t errlen)
{
	struct parser p = { .name = path, .err = err, .errlen = errlen };
	char *buf;
	size_t len;
	FILE *f;
	int ret;

	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		perr(&p, "%s", strerror(-ret));
		return ret;
	}
	buf = malloc(SW_RULES_FILE_MAX + 1);
	if (!buf) {
		ret = -ENOMEM;
		perr(&p, "out of memory");
		goto out_close;
	}
	errno = 0;
	len = fread(buf, 1, SW_RULES_FILE_MAX + 1, f);
	if (ferror(f)) {
		ret = errno ? -errno : -EIO;
		perr(&p, "%s", strerror(-ret));
		goto out_free;
	}
	if (len > SW_RULES_FILE_MAX) {
		ret = -EFBIG;
		perr(&p, "file too large (more than %d bytes)", SW_RULES_FILE_MAX);
		goto out_free;
	}
	ret = parse_text(buf, len, path, out, err, errlen);
out_free:
	free(buf);
out_close:
	fclose(f);
	return ret;
}

void sw_rules_free(struct sw_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nallow; i++)
		allow_rule_clear(&r->allow[i]);
	for (size_t i = 0; i < r->nfiles; i++)
		free(r->files[i]);
	free(r->files);
	free(r->allow);
	free(r->deny);
	free(r);
}

int sw_rules_merge(struct sw_rules *into, struct sw_rules *from)
{
	struct allow_rule *a;
	struct deny_rule *d;
	char **f;

	a = realloc(into->allow, (into->nallow + from->nallow + 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	into->allow = a;
	into->allow_cap = into->nallow + from->nallow + 1;
	d = realloc(into->deny, (into->ndeny + from->ndeny + 1) * sizeof(*d));
	if (!d)
		return -ENOMEM;
	into->deny = d;
	into->deny_cap = into->ndeny + from->ndeny + 1;
	f = realloc(into->files, (into->nfiles + from->nfiles) * sizeof(*f));
	if (!f)
		return -ENOMEM;
	into->files = f;
	/* Nothing can fail from here on: from's rules and names move. */
	for (size_t i = 0; i < from->nallow; i++) {
		into->allow[into->nallow] = from->allow[i];
		into->allow[into->nallow++].file += into->nfiles;
	}
	for (size_t i = 0; i < from->ndeny; i++) {
		into->deny[into->ndeny] = from->deny[i];
		into->deny[into->ndeny++].file += into->nfiles;
	}
	for (size_t i = 0; i < from->nfiles; i++)
		into->files[into->nfiles++] = from->files[i];
	from->nallow = from->ndeny = from->nfiles = 0;
	sw_rules_free(from);
	return 0;
}

size_t sw_rules_nfiles(const struct sw_rules *r)
{
	return r ? r->nfiles : 0;
}

void sw_rules_counts(const struct sw_rules *r, size_t *nallow, size_t *ndeny)
{
	if (nallow)
		*nallow = r ? r->nallow : 0;
	if (ndeny)
		*ndeny = r ? r->ndeny : 0;
}

static bool allow_rule_matches(const struct allow_rule *r, const struct sw_listener_info *l)
{
	for (size_t i = 0; i < NMATCHERS; i++)
		if ((r->have & (1u << matchers[i].slot)) && !matchers[i].match(r, l))
			return false;
	return true;
}

bool sw_rules_allow_listener_at(const struct sw_rules *r, const struct sw_listener_info *l,
				int *line, const char **file)
{
	if (!r)
		return false;
	for (size_t i = 0; i < r->nallow; i++) {
		if (allow_rule_matches(&r->allow[i], l)) {
			if (line)
				*line = r->allow[i].line;
			if (file)
				*file = r->files[r->allow[i].file];
			return true;
		}
	}
	return false;
}

bool sw_rules_allow_listener(const struct sw_rules *r, const struct sw_listener_info *l, int *line)
{
	return sw_rules_allow_listener_at(r, l, line, NULL);
}

size_t sw_rules_deny_nets(const struct sw_rules *r, struct sw_net *out, size_t max)
{
	size_t n = r ? r->ndeny : 0;

	for (size_t i = 0; i < n && i < max; i++) {
		out[i].family = r->deny[i].net.family;
		out[i].plen = r->deny[i].net.plen;
		memcpy(out[i].addr, r->deny[i].net.addr, sizeof(out[i].addr));
	}
	return n;
}

bool sw_rules_deny_remote_at(const struct sw_rules *r, unsigned int family, const __u8 *addr,
			     __u16 port, int *line, const char **file)
{
	if (!r)
		return false;
	for (size_t i = 0; i < r->ndeny; i++) {
		const struct deny_rule *d = &r->deny[i];

		if (!cidr_contains(&d->net, family, addr))
			continue;
		if (d->has_port && (port < d->port.lo || port > d->port.hi))
			continue;
		if (line)
			*line = d->line;
		if (file)
			*file = r->files[d->file];
		return true;
	}
	return false;
}

bool sw_rules_deny_remote(const struct sw_rules *r, unsigned int family, const __u8 *addr,
			  __u16 port, int *line)
{
	return sw_rules_deny_remote_at(r, family, addr, port, line, NULL);
}

/*
 * The character at s (n bytes left) of a learned word: its length, whether
 * it is written as \xHH bytes (*esc: a byte that is not UTF-8, or a code
 * point that acts on a terminal or reorders the line a reviewer reads, see
 * sw_term_unsafe()), and whether the word needs quotes (*quote: those, and
 * a space, ASCII or wide, or a '"').
 */
static size_t word_char(const char *s, size_t n, bool *esc, bool *quote)
{
	unsigned int cp = 0;
	size_t len = sw_utf8_decode((const unsigned char *)s, n, &cp);

	*esc = !len || sw_term_unsafe(cp);
	*quote = *esc || cp == ' ' || cp == '"' || sw_wide_space(cp);
	return len ? len : 1;
}

/*
 * Writes s as one word of the language, quoting and escaping it if it needs
 * to be: the file is plain UTF-8 that a person reviews, and parses back to
 * the same bytes.
 */
static void write_word(FILE *f, const char *s)
{
	size_t n = strlen(s), i, len;
	bool quote = !n || *s == '#' || *s == '"', esc;

	for (i = 0; i < n && !quote; i += len)
		len = word_char(s + i, n - i, &esc, &quote);
	if (!quote) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (i = 0; i < n; i += len) {
		len = word_char(s + i, n - i, &esc, &quote);
		if (esc)
			for (size_t k = 0; k < len; k++)
				fprintf(f, "\\x%02x", (unsigned char)s[i + k]);
		else if (s[i] == '"' || s[i] == '\\')
			fprintf(f, "\\%c", s[i]);
		else
			fwrite(s + i, 1, len, f);
	}
	fputc('"', f);
}

/* Writes a literal name as a glob that matches only itself. */
static int write_literal_glob(FILE *f, const char *s)
{
	char *g = malloc(strlen(s) * 2 + 1), *o = g;

	if (!g)
		return -ENOMEM;
	for (; *s; s++) {
		if (*s == '*' || *s == '?' || *s == '[' || *s == '\\')
			*o++ = '\\';
		*o++ = *s;
	}
	*o = '\0';
	write_word(f, g);
	free(g);
	return 0;
}

struct learned {
	__u16 port;
	char *text;
	size_t len;
};

/* One allow rule that matches this listener as it was seen. */
/* One rule for l; with_exe false leaves its executable out. */
static int learn_rule(const struct sw_listener_info *l, struct learned *out, bool with_exe)
{
	char addr[SW_ADDR_STRLEN];
	FILE *f;
	__u32 uid;
	int n = sw_addr_format(l->family, l->addr, addr, sizeof(addr));
	int err = 0;

	if (n < 0)
		return n;
	out->text = NULL;
	out->port = l->port;
	f = open_memstream(&out->text, &out->len);
	if (!f)
		return -errno;
	fprintf(f, "allow listen port %u addr %s", l->port, addr);
	if (l->comm && *l->comm) {
		fputs(" comm ", f);
		err = write_literal_glob(f, l->comm);
	}
	if (!err && with_exe && l->exe && l->exe[0] == '/') {
		fputs(" exe ", f);
		err = write_literal_glob(f, l->exe);
	}
	/* an unknown uid gets no matcher: none would hold for it */
	if (l->uid_known && l->user && !lookup_user(l->user, &uid) && uid == l->uid) {
		fputs(" user ", f);
		write_word(f, l->user);
	} else if (l->uid_known) {
		fprintf(f, " uid %u", l->uid);
	}
	fprintf(f, " netns %s", l->host_netns ? "host" : "other");
	if (!err && ferror(f))
		err = -ENOMEM;
	if (fclose(f) && !err)
		err = -ENOMEM;
	if (err) {
		free(out->text);
		out->text = NULL;
	}
	return err;
}

/*
 * One rule for l that the parser takes back: an executable path whose escaped
 * form would make the line too long (any path procinfo reads fits; the API
 * takes any) is left out rather than written into a file that cannot load.
 */
static int learn_one(const struct sw_listener_info *l, struct learned *out)
{
	int err = learn_rule(l, out, true);

	if (!err && out->len > SW_RULES_LINE_MAX) {
		free(out->text);
		err = learn_rule(l, out, false);
	}
	return err;
}

static int learned_cmp(const void *a, const void *b)
{
	const struct learned *x = a, *y = b;

	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return strcmp(x->text, y->text);
}

int sw_rules_learn(FILE *out, const struct sw_listener_info *ls, size_t n)
{
	struct learned *rules = calloc(n ? n : 1, sizeof(*rules));
	size_t made = 0;
	int err = 0;

	if (!rules)
		return -ENOMEM;
	for (; made < n; made++) {
		err = learn_one(&ls[made], &rules[made]);
		if (err)
			goto out_free;
	}
	qsort(rules, n, sizeof(*rules), learned_cmp);
	errno = 0;
	fprintf(out, "# sockwatch rules learned from %zu listener%s (see docs/rules.md).\n", n,
		n == 1 ? "" : "s");
	fputs("# Each rule allows one listener exactly as it was seen: review and loosen.\n", out);
	for (size_t i = 0; i < n; i++)
		if (!i || strcmp(rules[i].text, rules[i - 1].text))
			fprintf(out, "%s\n", rules[i].text);
	if (fflush(out) || ferror(out))
		err = errno ? -errno : -EIO;
out_free:
	for (size_t i = 0; i < made; i++)
		free(rules[i].text);
	free(rules);
	return err;
}
