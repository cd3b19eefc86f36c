// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of the sinks: specs, syslog format and framing, loss, rotation, errors. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sink_int.h"

/* cmocka's test signature passes state that most tests do not use */
#pragma GCC diagnostic ignored "-Wunused-parameter"

/* ---- helpers ---- */

static int fmt_seq(const struct sw_record *r, void *ctx, char *buf, size_t size)
{
	int n;

	if (r->ev.kind == SW_EV_LOST)
		n = snprintf(buf, size,
			     "{\"seq\":%llu,\"event\":\"lost\",\"lost\":%llu,\"where\":\"%s\"}",
			     (unsigned long long)r->seq, (unsigned long long)r->lost,
			     r->lost_where);
	else
		n = snprintf(buf, size, "{\"seq\":%llu}", (unsigned long long)r->seq);
	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

/* A formatter that holds the writer thread until the test opens the gate. */
struct gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool open;
	int entered;
};

#define GATE_INIT                                                             \
	{                                                                     \
		PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, 0 \
	}

static int fmt_gated(const struct sw_record *r, void *ctx, char *buf, size_t size)
{
	struct gate *g = ctx;

	pthread_mutex_lock(&g->lock);
	g->entered++;
	pthread_cond_broadcast(&g->cond);
	while (!g->open)
		pthread_cond_wait(&g->cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
	return fmt_seq(r, NULL, buf, size);
}

static void gate_wait_entered(struct gate *g)
{
	pthread_mutex_lock(&g->lock);
	while (!g->entered)
		pthread_cond_wait(&g->cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
}

static void gate_open(struct gate *g)
{
	pthread_mutex_lock(&g->lock);
	g->open = true;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

/*
 * Lines of a fixed length (FIXED_LEN bytes and '\n'), so that a test knows
 * at which byte each line starts: JSON padded with spaces.
 */
#define FIXED_LEN 99

static int fmt_fixed(const struct sw_record *r, void *ctx, char *buf, size_t size)
{
	int n;

	if (r->ev.kind == SW_EV_LOST)
		n = snprintf(buf, size, "{\"seq\":%llu,\"event\":\"lost\",\"lost\":%llu}",
			     (unsigned long long)r->seq, (unsigned long long)r->lost);
	else
		n = snprintf(buf, size, "{\"seq\":%llu}", (unsigned long long)r->seq);
	if (n < 0 || n > FIXED_LEN || (size_t)FIXED_LEN >= size)
		return -ENOSPC;
	memset(buf + n, ' ', FIXED_LEN - n);
	return FIXED_LEN;
}

/* fmt_fixed(), and the writer waits in it at the records at[] until the test releases them. */
struct holds {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned long long at[2];
	int reached, released;
};

static int fmt_fixed_held(const struct sw_record *r, void *ctx, char *buf, size_t size)
{
	struct holds *h = ctx;
	int i;

	pthread_mutex_lock(&h->lock);
	for (i = 0; i < 2 && r->ev.kind != SW_EV_LOST; i++) {
		if (r->seq != h->at[i])
			continue;
		if (h->reached < i + 1)
			h->reached = i + 1;
		pthread_cond_broadcast(&h->cond);
		while (h->released < i + 1)
			pthread_cond_wait(&h->cond, &h->lock);
	}
	pthread_mutex_unlock(&h->lock);
	return fmt_fixed(r, NULL, buf, size);
}

static void hold_wait(struct holds *h, int n)
{
	pthread_mutex_lock(&h->lock);
	while (h->reached < n)
		pthread_cond_wait(&h->cond, &h->lock);
	pthread_mutex_unlock(&h->lock);
}

static void hold_release(struct holds *h, int n)
{
	pthread_mutex_lock(&h->lock);
	h->released = n;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
}

struct fixed_log {
	unsigned long long records; /* record lines */
	unsigned long long lost_lines, lost; /* lost records, and the sum of their counts */
};

/*
 * Records first..end-1 as a reader got them: they come in order and at most
 * once, and each gap is announced by one lost record right before the
 * record after it (or at the end, with seq end), whose count is the size of
 * the gap.
 */
struct seq_check {
	unsigned long long expect, pending, lost_seq;
	struct fixed_log *log;
};

static void seq_check_start(struct seq_check *c, unsigned long long first, struct fixed_log *log)
{
	memset(c, 0, sizeof(*c));
	memset(log, 0, sizeof(*log));
	c->expect = first;
	c->log = log;
}

static void seq_check_lost(struct seq_check *c, unsigned long long seq, unsigned long long n)
{
	if (c->pending)
		fail_msg("two lost records in a row, at seq %llu", seq);
	c->pending = n;
	c->lost_seq = seq;
	c->log->lost_lines++;
	c->log->lost += n;
}

static void seq_check_record(struct seq_check *c, unsigned long long seq)
{
	if (seq < c->expect)
		fail_msg("seq %llu after %llu (duplicate or out of order)", seq, c->expect - 1);
	if (c->pending && c->lost_seq != seq)
		fail_msg("lost record with seq %llu before record %llu", c->lost_seq, seq);
	if (seq - c->expect != c->pending)
		fail_msg("%llu records missing before %llu, lost record says %llu", seq - c->expect,
			 seq, c->pending);
	c->pending = 0;
	c->expect = seq + 1;
	c->log->records++;
}

static void seq_check_end(struct seq_check *c, unsigned long long end)
{
	if (c->pending && c->lost_seq != end)
		fail_msg("final lost record has seq %llu, not %llu", c->lost_seq, end);
	if (end - c->expect != c->pending)
		fail_msg("%llu records missing at the end, lost record says %llu", end - c->expect,
			 c->pending);
}

/* Checks a file of fmt_fixed() lines for records first..end-1 (whole lines; see seq_check). */
static void check_fixed(const char *path, unsigned long long first, unsigned long long end,
			struct fixed_log *log)
{
	unsigned long long seq, n;
	char line[FIXED_LEN + 2];
	FILE *f = fopen(path, "r");
	struct seq_check c;
	size_t len;
	int used;

	assert_non_null(f);
	seq_check_start(&c, first, log);
	while (fgets(line, sizeof(line), f)) {
		len = strlen(line);
		if (len != FIXED_LEN + 1 || line[FIXED_LEN] != '\n')
			fail_msg("not a whole line after %llu records: \"%.*s\"", log->records,
				 (int)strcspn(line, "\n"), line);
		used = 0;
		if (sscanf(line, "{\"seq\":%llu,\"event\":\"lost\",\"lost\":%llu}%n", &seq, &n,
			   &used) == 2 &&
		    used) {
			seq_check_lost(&c, seq, n);
			continue;
		}
		used = 0;
		if (sscanf(line, "{\"seq\":%llu}%n", &seq, &used) != 1 || !used)
			fail_msg("bad line \"%.*s\"", FIXED_LEN, line);
		seq_check_record(&c, seq);
	}
	fclose(f);
	seq_check_end(&c, end);
}

static struct sw_record rec(unsigned long long seq)
{
	struct sw_record r;

	memset(&r, 0, sizeof(r));
	r.seq = seq;
	r.ev.kind = SW_EV_CONNECT;
	r.ev.family = SW_AF_INET;
	return r;
}

static char tmpdir[64];

static int setup_tmpdir(void **state)
{
	strcpy(tmpdir, "/tmp/sw-sink-test-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmpdir(void **state)
{
	char p[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(tmpdir);

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", tmpdir, de->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(tmpdir);
	return 0;
}

static void tpath(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", tmpdir, name);
}

/* Reads a plain or gzip file line by line (zlib reads both); returns the number of lines. */
static int read_lines(const char *path, char lines[][128], int max)
{
	gzFile gz = gzopen(path, "rb");
	int n = 0;

	if (!gz)
		return -1;
	while (n < max && gzgets(gz, lines[n], 128)) {
		lines[n][strcspn(lines[n], "\n")] = '\0';
		n++;
	}
	gzclose(gz);
	return n;
}

static bool is_gzip(const char *path)
{
	unsigned char m[2] = { 0 };
	FILE *f = fopen(path, "rb");
	bool ok;

	if (!f)
		return false;
	ok = fread(m, 1, 2, f) == 2 && m[0] == 0x1f && m[1] == 0x8b;
	fclose(f);
	return ok;
}

static struct sw_sink_opts opts_seq(void)
{
	struct sw_sink_opts o = { .format = fmt_seq };

	return o;
}

/* Opens the sink of spec with o: it must open. */
static struct sw_sink *sink_open(const char *spec, const struct sw_sink_opts *o)
{
	struct sw_sink *s;

	assert_int_equal(sw_sink_open(spec, o, &s), 0);
	return s;
}

/* Submits the records rec(first)..rec(last): the sink must take each one. */
static void submit_seqs(struct sw_sink *s, unsigned long long first, unsigned long long last)
{
	struct sw_record r;

	for (unsigned long long seq = first; seq <= last; seq++) {
		r = rec(seq);
		assert_int_equal(sw_sink_submit(s, &r), 0);
	}
}

/* The same, where a full queue may drop some (not checked: the counts say it). */
static void submit_seqs_may_drop(struct sw_sink *s, unsigned long long first,
				 unsigned long long last)
{
	struct sw_record r;

	for (unsigned long long seq = first; seq <= last; seq++) {
		r = rec(seq);
		sw_sink_submit(s, &r);
	}
}

/* Decompresses the gzip file src into dst. */
static void gunzip_to(const char *src, const char *dst)
{
	char buf[4096];
	gzFile gz = gzopen(src, "rb");
	FILE *out = fopen(dst, "w");
	int n;

	assert_non_null(gz);
	assert_non_null(out);
	while ((n = gzread(gz, buf, sizeof(buf))) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	assert_int_equal(n, 0);
	gzclose(gz);
	fclose(out);
}

/*
 * A file sink's file in tmpdir: PATH, the spec "file:PATH", and PATH.1.gz,
 * the file its first rotation makes.
 */
struct tfile {
	char path[PATH_MAX];
	char spec[PATH_MAX + 8];
	char gz[PATH_MAX + 16];
};

static void tfile_init(struct tfile *f, const char *name)
{
	tpath(f->path, sizeof(f->path), name);
	snprintf(f->spec, sizeof(f->spec), "file:%s", f->path);
	snprintf(f->gz, sizeof(f->gz), "%s.1.gz", f->path);
}

/* tfile_init(), and the sink on that file opened with o. */
static struct sw_sink *tfile_open(struct tfile *f, const char *name, const struct sw_sink_opts *o)
{
	tfile_init(f, name);
	return sink_open(f->spec, o);
}

/* check_fixed() of PATH.1.gz (unpacked into PATH.1.plain). */
static void check_fixed_gz(const struct tfile *f, unsigned long long first, unsigned long long end,
			   struct fixed_log *log)
{
	char plain[PATH_MAX + 16];

	snprintf(plain, sizeof(plain), "%s.1.plain", f->path);
	gunzip_to(f->gz, plain);
	check_fixed(plain, first, end, log);
}

/* Points stdout at fd, which is closed; returns the old stdout, for stdout_restore(). */
static int stdout_to(int fd)
{
	int saved;

	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	dup2(fd, STDOUT_FILENO);
	close(fd);
	return saved;
}

static void stdout_restore(int saved)
{
	dup2(saved, STDOUT_FILENO);
	close(saved);
}

/* ---- specs ---- */

static void test_spec_good(void **state)
{
	struct sw_sink_spec sp;
	char err[256];

	assert_int_equal(sw_sink_spec_parse("stdout", &sp, err, sizeof(err)), 0);
	assert_int_equal(sp.type, SW_SINK_STDOUT);
	assert_int_equal(sw_sink_spec_parse("file:/var/log/sw.json", &sp, err, sizeof(err)), 0);
	assert_int_equal(sp.type, SW_SINK_FILE);
	assert_string_equal(sp.path, "/var/log/sw.json");
	assert_int_equal(sw_sink_spec_parse("syslog", &sp, err, sizeof(err)), 0);
	assert_int_equal(sp.type, SW_SINK_SYSLOG_UNIX);
	assert_string_equal(sp.path, "/dev/log");
	assert_int_equal(sw_sink_spec_parse("syslog+unix:/run/x.sock", &sp, err, sizeof(err)), 0);
	assert_string_equal(sp.path, "/run/x.sock");
	assert_int_equal(sw_sink_spec_parse("syslog+udp://127.0.0.1:5514", &sp, err, sizeof(err)),
			 0);
	assert_int_equal(sp.type, SW_SINK_SYSLOG_UDP);
	assert_string_equal(sp.host, "127.0.0.1");
	assert_int_equal(sp.port, 5514);
	assert_int_equal(sw_sink_spec_parse("syslog+tcp://[::1]:6514", &sp, err, sizeof(err)), 0);
	assert_int_equal(sp.type, SW_SINK_SYSLOG_TCP);
	assert_string_equal(sp.host, "::1");
	assert_int_equal(sp.port, 6514);
	assert_int_equal(sw_sink_spec_parse("syslog+tcp://logs.example", &sp, err, sizeof(err)), 0);
	assert_string_equal(sp.host, "logs.example");
	assert_int_equal(sp.port, 514);
}

static void expect_bad(const char *spec, const char *msg)
{
	char err[256] = "";

	assert_int_equal(sw_sink_check_spec(spec, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, msg);
}

static void test_spec_bad(void **state)
{
	expect_bad("file:", "missing path");
	expect_bad("file", "missing path (expected file:PATH)");
	expect_bad("syslog+unix:", "missing path");
	expect_bad(
		"",
		"empty output (expected stdout, file:PATH, syslog, syslog+unix:PATH, syslog+udp://HOST:PORT or syslog+tcp://HOST:PORT)");
	expect_bad(
		"kafka:broker",
		"unknown sink \"kafka\" (expected stdout, file:PATH, syslog, syslog+unix:PATH, syslog+udp://HOST:PORT or syslog+tcp://HOST:PORT)");
	expect_bad(
		"stdout:x",
		"unknown sink \"stdout\" (expected stdout, file:PATH, syslog, syslog+unix:PATH, syslog+udp://HOST:PORT or syslog+tcp://HOST:PORT)");
	expect_bad("syslog+udp:127.0.0.1:514", "expected syslog+udp://HOST:PORT");
	expect_bad("syslog+tcp://", "missing host");
	expect_bad("syslog+tcp://:514", "missing host");
	expect_bad("syslog+udp://127.0.0.1:", "missing port after \":\"");
	expect_bad("syslog+udp://127.0.0.1:0", "bad port \"0\" (expected 1-65535)");
	expect_bad("syslog+udp://127.0.0.1:65536", "bad port \"65536\" (expected 1-65535)");
	expect_bad("syslog+udp://127.0.0.1:http", "bad port \"http\" (expected 1-65535)");
	expect_bad("syslog+udp://127.0.0.1:514/x", "unexpected \"/x\" after port");
	expect_bad("syslog+tcp://[::1:514", "missing \"]\" after IPv6 address");
	expect_bad("syslog+tcp://[::1]x", "unexpected \"x\" after host");
	expect_bad("syslog+tcp://[]:514", "missing host");
}

/* A socket path that does not fit in sun_path could never connect: refused up front. */
static void test_spec_unix_path_len(void **state)
{
	char spec[160], err[256] = "";
	struct sw_sink_opts o = opts_seq();
	struct sw_sink_spec sp;
	struct sw_sink *s;

	strcpy(spec, "syslog+unix:/");
	memset(spec + 13, 'a', 106);
	spec[119] = '\0'; /* a path of 107 bytes fits */
	assert_int_equal(sw_sink_spec_parse(spec, &sp, err, sizeof(err)), 0);
	strcpy(spec + 119, "b"); /* 108 does not */
	expect_bad(spec, "socket path too long (at most 107 bytes)");
	assert_int_equal(sw_sink_open(spec, &o, &s), -EINVAL);
}

static void test_open_bad_spec(void **state)
{
	struct sw_sink_opts o = opts_seq();
	struct sw_sink *s;

	assert_int_equal(sw_sink_open("file:", &o, &s), -EINVAL);
	assert_int_equal(sw_sink_open("bogus", &o, &s), -EINVAL);
	o.format = NULL;
	assert_int_equal(sw_sink_open("stdout", &o, &s), -EINVAL);
}

/* ---- syslog formatting ---- */

static struct sw_record sample(void)
{
	struct sw_record r = rec(812);

	r.wall.tv_sec = 1795684738; /* 2026-11-26T09:18:58Z */
	r.wall.tv_nsec = 123456789;
	r.ev.lport = 51234;
	r.ev.rport = 443;
	memcpy(r.ev.laddr, (__u8[]){ 10, 0, 0, 5 }, 4);
	memcpy(r.ev.raddr, (__u8[]){ 93, 184, 216, 34 }, 4);
	r.ev.pid = 4242;
	strcpy(r.ev.comm, "curl");
	r.ev.flags = SW_OWNER_CURRENT;
	return r;
}

static const struct sw_syslog_id test_id = { "host1", "sockwatch", 77 };

static void test_syslog_5424(void **state)
{
	struct sw_record r = sample();
	char buf[1024];
	int n;

	n = sw_syslog_format_5424(&test_id, &r, "{\"seq\":812}", 11, buf, sizeof(buf));
	assert_string_equal(buf, "<30>1 2026-11-26T09:18:58.123456Z host1 sockwatch 77 connect "
				 "[sockwatch@32473 seq=\"812\" kind=\"connect\" proto=\"tcp\" "
				 "laddr=\"10.0.0.5\" lport=\"51234\" raddr=\"93.184.216.34\" "
				 "rport=\"443\" pid=\"4242\" comm=\"curl\"] {\"seq\":812}");
	assert_int_equal(n, strlen(buf));

	/* listen and connect_failed are notices */
	r.ev.kind = SW_EV_LISTEN;
	assert_int_equal(sw_syslog_pri(&r), 29);
	r.ev.kind = SW_EV_CONNECT_FAILED;
	assert_int_equal(sw_syslog_pri(&r), 29);

	/* too small */
	assert_int_equal(sw_syslog_format_5424(&test_id, &r, "x", 1, buf, 40), -ENOSPC);
}

static void test_syslog_5424_v6_and_lost(void **state)
{
	struct sw_record r = sample();
	char buf[1024];

	r.ev.family = SW_AF_INET6;
	memset(r.ev.laddr, 0, 16);
	r.ev.laddr[15] = 1;
	memset(r.ev.raddr, 0, 16);
	r.ev.flags = SW_OWNER_NONE; /* a socket older than the tracer */
	r.ev.pid = 0;
	r.ev.comm[0] = '\0';
	r.wall.tv_sec = 0;
	r.wall.tv_nsec = 0;
	sw_syslog_format_5424(&test_id, &r, "m", 1, buf, sizeof(buf));
	assert_string_equal(buf, "<30>1 - host1 sockwatch 77 connect [sockwatch@32473 seq=\"812\" "
				 "kind=\"connect\" proto=\"tcp\" laddr=\"::1\" lport=\"51234\" "
				 "raddr=\"::\" rport=\"443\"] m");

	/* made without a socket-map entry: said in the structured data too */
	r.ev.flags = SW_F_NO_ENTRY;
	sw_syslog_format_5424(&test_id, &r, "m", 1, buf, sizeof(buf));
	assert_string_equal(buf, "<30>1 - host1 sockwatch 77 connect [sockwatch@32473 seq=\"812\" "
				 "kind=\"connect\" proto=\"tcp\" laddr=\"::1\" lport=\"51234\" "
				 "raddr=\"::\" rport=\"443\" entry=\"none\"] m");
	r.ev.flags = 0;

	/* a listener: no remote end */
	r.ev.kind = SW_EV_LISTEN;
	r.ev.rport = 0;
	sw_syslog_format_5424(&test_id, &r, "m", 1, buf, sizeof(buf));
	assert_string_equal(buf, "<29>1 - host1 sockwatch 77 listen [sockwatch@32473 seq=\"812\" "
				 "kind=\"listen\" proto=\"tcp\" laddr=\"::1\" lport=\"51234\"] m");

	memset(&r, 0, sizeof(r));
	r.ev.kind = SW_EV_LOST;
	r.seq = 9;
	r.lost = 3;
	r.lost_where = "syslog+tcp://[::1]:514";
	sw_syslog_format_5424(&test_id, &r, "m", 1, buf, sizeof(buf));
	assert_string_equal(buf, "<28>1 - host1 sockwatch 77 lost [sockwatch@32473 seq=\"9\" "
				 "kind=\"lost\" lost=\"3\" where=\"syslog+tcp://[::1\\]:514\"] m");
}

/*
 * pid and comm come with a known owner, as in the JSON: a process may call
 * itself "" (comm="" then, not no comm at all), and a kernel thread may be
 * pid 0. No owner, no pid or comm, whatever the fields hold.
 */
static void test_syslog_5424_owner(void **state)
{
	struct sw_record r = sample();
	char buf[1024];

	r.ev.comm[0] = '\0';
	sw_syslog_format_5424(&test_id, &r, "m", 1, buf, sizeof(buf));
	assert_non_null(strstr(buf, " rport=\"443\" pid=\"4242\" comm=\"\"] m"));

	r.ev.flags = SW_OWNER_SOCKET;
	r.ev.pid = 0;
	strcpy(r.ev.comm, "swapper/0");
	sw_syslog_format_5424(&test_id, &r, "m", 1, buf, sizeof(buf));
	assert_non_null(strstr(buf, " rport=\"443\" pid=\"0\" comm=\"swapper/0\"] m"));

	r.ev.flags = SW_OWNER_NONE;
	r.ev.pid = 4242;
	sw_syslog_format_5424(&test_id, &r, "m", 1, buf, sizeof(buf));
	assert_non_null(strstr(buf, " rport=\"443\"] m"));
}

/* A lost record of a sink whose spec is long: its where= is escaped whole (no 255-byte limit). */
static void test_syslog_5424_long_where(void **state)
{
	char where[400], want[500], buf[2048];
	struct sw_record r;
	int n;

	memset(where, 'a', 300);
	strcpy(where + 300, "]x");
	memset(&r, 0, sizeof(r));
	r.ev.kind = SW_EV_LOST;
	r.seq = 9;
	r.lost = 3;
	r.lost_where = where;
	n = sw_syslog_format_5424(&test_id, &r, "m", 1, buf, sizeof(buf));
	assert_true(n > 0);
	snprintf(want, sizeof(want), " where=\"%.300s\\]x\"] m", where);
	assert_string_equal(buf + n - strlen(want), want);
	/* a buffer that is too small still gives -ENOSPC, not a cut message */
	assert_int_equal(sw_syslog_format_5424(&test_id, &r, "m", 1, buf, n), -ENOSPC);
	assert_int_equal(sw_syslog_format_5424(&test_id, &r, "m", 1, buf, n - 8), -ENOSPC);
}

static void test_sd_escape(void **state)
{
	char out[64];
	struct sw_record r = sample();
	char buf[1024];

	assert_int_equal(sw_syslog_sd_escape("a\"b\\c]d", 7, out, sizeof(out)), 10);
	assert_string_equal(out, "a\\\"b\\\\c\\]d");
	assert_int_equal(sw_syslog_sd_escape("x\ny\x7f\xc3", 5, out, sizeof(out)), 14);
	assert_string_equal(out, "x\\x0ay\\x7f\\xc3");
	assert_int_equal(sw_syslog_sd_escape("abcdef", 6, out, 4), -ENOSPC);

	/* an attacker-chosen comm cannot close the SD element */
	strcpy(r.ev.comm, "ev\"il] [x");
	sw_syslog_format_5424(&test_id, &r, "m", 1, buf, sizeof(buf));
	assert_non_null(strstr(buf, " comm=\"ev\\\"il\\] [x\"] m"));
}

static void test_syslog_local(void **state)
{
	struct sw_record r = sample();
	char buf[256], want[256];
	struct tm tm;

	localtime_r(&r.wall.tv_sec, &tm);
	r.ev.kind = SW_EV_LISTEN;
	sw_syslog_format_local(&test_id, &r, "hello", 5, buf, sizeof(buf));
	snprintf(want, sizeof(want), "<29>Nov %2d %02d:%02d:%02d sockwatch[77]: hello", tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec);
	assert_string_equal(buf, want);
}

static void test_octet_prefix(void **state)
{
	char p[16];

	assert_int_equal(sw_syslog_octet_prefix(123, p, sizeof(p)), 4);
	assert_string_equal(p, "123 ");
	assert_int_equal(sw_syslog_octet_prefix(0, p, sizeof(p)), 2);
	assert_string_equal(p, "0 ");
	assert_int_equal(sw_syslog_octet_prefix(12345, p, 4), -ENOSPC);
}

/* ---- queue and lost records ---- */

static void wait_written(struct sw_sink *s, unsigned long long n)
{
	struct sw_sink_stats st;
	int i;

	for (i = 0; i < 500; i++) {
		sw_sink_stats(s, &st);
		if (st.written >= n)
			return;
		usleep(10000);
	}
	fail_msg("sink wrote %llu lines, expected %llu", st.written, n);
}

static void test_queue_full_lost_record(void **state)
{
	struct gate g = GATE_INIT;
	struct sw_sink_opts o = { .format = fmt_gated, .format_ctx = &g, .queue_len = 4 };
	char lines[16][128], want[PATH_MAX + 128];
	struct sw_record r;
	struct sw_sink_stats st;
	struct tfile f;
	struct sw_sink *s;
	unsigned long long i;

	s = tfile_open(&f, "q.log", &o);
	submit_seqs(s, 1, 1);
	gate_wait_entered(&g); /* the writer holds record 1: three slots left */
	submit_seqs(s, 2, 4);
	for (i = 5; i <= 10; i++) {
		r = rec(i);
		assert_int_equal(sw_sink_submit(s, &r), -ENOBUFS);
	}
	sw_sink_stats(s, &st);
	assert_int_equal(st.dropped, 6);

	gate_open(&g);
	wait_written(s, 4);
	submit_seqs(s, 11, 11);
	assert_int_equal(sw_sink_close(s), 0);

	assert_int_equal(read_lines(f.path, lines, 16), 6);
	for (i = 0; i < 4; i++) {
		snprintf(want, sizeof(want), "{\"seq\":%llu}", i + 1);
		assert_string_equal(lines[i], want);
	}
	snprintf(want, sizeof(want), "{\"seq\":11,\"event\":\"lost\",\"lost\":6,\"where\":\"%s\"}",
		 f.spec);
	assert_string_equal(lines[4], want);
	assert_string_equal(lines[5], "{\"seq\":11}");
}

static void test_lost_record_at_close(void **state)
{
	struct gate g = GATE_INIT;
	struct sw_sink_opts o = { .format = fmt_gated, .format_ctx = &g, .queue_len = 2 };
	char lines[16][128], want[PATH_MAX + 128];
	struct sw_sink_stats st;
	struct sw_record r;
	struct tfile f;
	struct sw_sink *s;

	s = tfile_open(&f, "c.log", &o);
	r = rec(100);
	sw_sink_submit(s, &r);
	gate_wait_entered(&g);
	submit_seqs_may_drop(s, 101, 104); /* 101 fits, 102..104 are dropped */
	gate_open(&g);
	sw_sink_stats(s, &st);
	assert_int_equal(st.dropped, 3);
	assert_int_equal(sw_sink_close(s), 0);

	assert_int_equal(read_lines(f.path, lines, 16), 3);
	assert_string_equal(lines[0], "{\"seq\":100}");
	assert_string_equal(lines[1], "{\"seq\":101}");
	/* nothing follows: the lost record takes the seq after the last one */
	snprintf(want, sizeof(want), "{\"seq\":105,\"event\":\"lost\",\"lost\":3,\"where\":\"%s\"}",
		 f.spec);
	assert_string_equal(lines[2], want);
}

/* The queue's memory comes in chunks: full capacity not a multiple of one, and reuse. */
static void test_queue_capacity_in_chunks(void **state)
{
	struct gate g = GATE_INIT;
	struct sw_sink_opts o = { .format = fmt_gated, .format_ctx = &g, .queue_len = 1000 };
	static char lines[1200][128];
	struct sw_record r;
	struct tfile f;
	struct sw_sink *s;
	char want[64];
	int i;

	s = tfile_open(&f, "chunks.log", &o);
	submit_seqs(s, 1, 1);
	gate_wait_entered(&g); /* the writer holds record 1 */
	submit_seqs(s, 2, 1000);
	r = rec(1001);
	assert_int_equal(sw_sink_submit(s, &r), -ENOBUFS);
	gate_open(&g);
	wait_written(s, 1000);
	submit_seqs(s, 1002, 1002);
	assert_int_equal(sw_sink_close(s), 0);
	assert_int_equal(read_lines(f.path, lines, 1200), 1002);
	for (i = 0; i < 1000; i++) {
		snprintf(want, sizeof(want), "{\"seq\":%d}", i + 1);
		assert_string_equal(lines[i], want);
	}
	assert_string_equal(lines[1001], "{\"seq\":1002}");
}

static void test_queue_reuses_chunks(void **state)
{
	struct sw_sink_opts o = { .format = fmt_seq, .queue_len = 600 };
	char line[128], want[64];
	unsigned long long seq = 0;
	struct sw_sink_stats st;
	struct tfile f;
	struct sw_sink *s;
	FILE *fp;

	s = tfile_open(&f, "reuse.log", &o);
	/* bursts that never fill the queue, so that nothing is dropped */
	while (seq < 20000) {
		submit_seqs(s, seq + 1, seq + 500);
		seq += 500;
		wait_written(s, seq);
	}
	sw_sink_stats(s, &st);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(sw_sink_close(s), 0);
	fp = fopen(f.path, "r");
	assert_non_null(fp);
	for (seq = 1; fgets(line, sizeof(line), fp); seq++) {
		line[strcspn(line, "\n")] = '\0';
		snprintf(want, sizeof(want), "{\"seq\":%llu}", seq);
		assert_string_equal(line, want);
	}
	fclose(fp);
	assert_int_equal(seq - 1, 20000);
}

/* ---- file sink ---- */

#define ROT_N 5000
#define ROT_WAIT_MS 5000

/*
 * Submits rounds batches of batch records from *next on, each batch more
 * than the rotation size, and after each batch waits for its rotation. A
 * rotation is put off while the previous file is still being compressed,
 * and only a later write tries again; so, on a busy machine, without
 * waiting there may be a handful of rotations in all. One more record now
 * and then retries it (ROT_WAIT_MS at most). Those extra records count
 * towards nothing: every round ends with a rotation of its own, so there
 * are at least rounds rotations however many records the waits took (a
 * bound on records instead ran out of rounds on a busy machine).
 */
static void submit_rotating(struct sw_sink *s, unsigned long long *next, unsigned int rounds,
			    unsigned int batch)
{
	unsigned long long rotations = 0;
	struct sw_sink_stats st;
	struct sw_record r;
	unsigned int i;
	int k;

	while (rounds--) {
		for (i = 0; i < batch; i++) {
			r = rec((*next)++);
			assert_int_equal(sw_sink_submit(s, &r), 0);
		}
		sw_sink_stats(s, &st);
		for (k = 0; st.rotations <= rotations && k < ROT_WAIT_MS; k++) {
			r = rec((*next)++);
			assert_int_equal(sw_sink_submit(s, &r), 0);
			wait_written(s, *next);
			usleep(1000);
			sw_sink_stats(s, &st);
		}
		assert_true(st.rotations > rotations);
		rotations = st.rotations;
	}
}

static void test_file_rotation(void **state)
{
	struct sw_sink_opts o = opts_seq();
	static char lines[2 * ROT_N][128];
	unsigned long long expect = 0, v, next = 0;
	char name[PATH_MAX + 16];
	struct sw_sink_stats st;
	struct dirent *de;
	struct tfile f;
	struct sw_sink *s;
	int i, k, n, files = 0, gz = 0;
	DIR *d;

	o.rotate_size = 1000;
	o.rotate_keep = 1000;
	s = tfile_open(&f, "rot.log", &o);
	submit_rotating(s, &next, ROT_N / 100, 100);
	assert_int_equal(sw_sink_close_stats(s, &st), 0);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.errors, 0);
	assert_true(st.rotations >= ROT_N / 100);

	/* every file in the directory is the live file or PATH.N.gz, and gzip */
	d = opendir(tmpdir);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		files++;
		if (!strcmp(de->d_name, "rot.log"))
			continue;
		assert_int_equal(sscanf(de->d_name, "rot.log.%d.gz%n", &k, &n), 1);
		assert_int_equal(de->d_name[n], '\0');
		snprintf(name, sizeof(name), "%s/%s", tmpdir, de->d_name);
		assert_true(is_gzip(name));
		gz++;
	}
	closedir(d);
	assert_int_equal(files, gz + 1);
	assert_int_equal(gz, (int)st.rotations);

	/* oldest to newest, the union is exactly what was submitted, in order */
	for (k = gz; k >= 0; k--) {
		if (k)
			snprintf(name, sizeof(name), "%s.%d.gz", f.path, k);
		else
			snprintf(name, sizeof(name), "%s", f.path);
		n = read_lines(name, lines, 2 * ROT_N);
		assert_true(n > 0);
		for (i = 0; i < n; i++) {
			assert_int_equal(sscanf(lines[i], "{\"seq\":%llu}", &v), 1);
			assert_int_equal(v, expect);
			expect++;
		}
	}
	assert_int_equal(expect, next);
}

static void test_file_rotation_keep(void **state)
{
	struct sw_sink_opts o = opts_seq();
	char name[PATH_MAX + 16];
	unsigned long long next = 0;
	struct sw_sink_stats st;
	struct tfile f;
	struct sw_sink *s;
	struct stat sb;
	int i;

	o.rotate_size = 200;
	o.rotate_keep = 2;
	s = tfile_open(&f, "keep.log", &o);
	submit_rotating(s, &next, 10, 50);
	assert_int_equal(sw_sink_close_stats(s, &st), 0);
	assert_true(st.rotations >= 3);
	for (i = 1; i <= 2; i++) {
		snprintf(name, sizeof(name), "%s.%d.gz", f.path, i);
		assert_true(is_gzip(name));
	}
	snprintf(name, sizeof(name), "%s.3.gz", f.path);
	assert_int_equal(stat(name, &sb), -1);
	snprintf(name, sizeof(name), "%s.1", f.path);
	assert_int_equal(stat(name, &sb), -1);
}

/* Waits up to 5 s for rotations and errors to reach these counts. */
static void wait_rotation_errors(struct sw_sink *s, unsigned long long rotations,
				 unsigned long long errors)
{
	struct sw_sink_stats st;
	int i;

	for (i = 0; i < 500; i++) {
		sw_sink_stats(s, &st);
		if (st.rotations >= rotations && st.errors >= errors)
			return;
		usleep(10000);
	}
	fail_msg("%llu rotations, %llu errors: expected %llu, %llu", st.rotations, st.errors,
		 rotations, errors);
}

/*
 * The compressed file cannot be installed (PATH.1.gz is a directory): PATH.1
 * stays, and the next rotation must not rename PATH over it. Every line is
 * in PATH.1 or PATH, once.
 */
static void test_file_rotation_install_fails(void **state)
{
	struct sw_sink_opts o = opts_seq();
	static char lines[200][128];
	char name[PATH_MAX + 16];
	bool seen[60] = { false };
	struct sw_sink_stats st;
	unsigned long long v;
	struct tfile f;
	struct sw_sink *s;
	struct stat sb;
	int i, k, n;

	o.rotate_size = 200;
	o.rotate_keep = 1;
	tfile_init(&f, "inst.log");
	assert_int_equal(mkdir(f.gz, 0700), 0);
	s = sink_open(f.spec, &o);
	submit_seqs(s, 0, 29);
	wait_written(s, 30);
	wait_rotation_errors(s, 1, 1); /* rotated once, and compressing it failed */
	submit_seqs(s, 30, 59);
	wait_written(s, 60);
	usleep(100000);
	assert_int_equal(sw_sink_close_stats(s, &st), 0);
	rmdir(f.gz);

	for (k = 0; k < 2; k++) {
		snprintf(name, sizeof(name), k ? "%s" : "%s.1", f.path);
		n = read_lines(name, lines, 200);
		assert_true(n > 0);
		for (i = 0; i < n; i++) {
			assert_int_equal(sscanf(lines[i], "{\"seq\":%llu}", &v), 1);
			assert_true(v < 60);
			assert_false(seen[v]);
			seen[v] = true;
		}
	}
	for (i = 0; i < 60; i++)
		if (!seen[i])
			fail_msg("record %d is lost", i);
	assert_int_equal(st.dropped, 0);
	snprintf(name, sizeof(name), "%s.1.gz.tmp", f.path);
	assert_int_equal(stat(name, &sb), -1);
}

static void test_file_rotation_interval(void **state)
{
	struct sw_sink_opts o = opts_seq();
	struct sw_sink_stats st;
	struct sw_record r;
	char lines[8][128];
	struct tfile f;
	struct sw_sink *s;

	o.rotate_interval = 1;
	s = tfile_open(&f, "int.log", &o);
	r = rec(0);
	sw_sink_submit(s, &r);
	usleep(1300000); /* the idle writer wakes up for the timer */
	r = rec(1);
	sw_sink_submit(s, &r);
	assert_int_equal(sw_sink_close_stats(s, &st), 0);
	assert_int_equal(st.rotations, 1);
	assert_true(is_gzip(f.gz));
	assert_int_equal(read_lines(f.gz, lines, 8), 1);
	assert_string_equal(lines[0], "{\"seq\":0}");
	assert_int_equal(read_lines(f.path, lines, 8), 1);
	assert_string_equal(lines[0], "{\"seq\":1}");
}

static double cpu_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Submits batches of 50 fmt_fixed() records 50 ms apart, from *next on, and waits for them. */
static void trickle(struct sw_sink *s, unsigned long long *next, int batches)
{
	struct sw_record r;
	int b, i;

	for (b = 0; b < batches; b++) {
		for (i = 0; i < 50; i++) {
			r = rec((*next)++);
			assert_int_equal(sw_sink_submit(s, &r), 0);
		}
		usleep(50000);
	}
	wait_written(s, *next - 1);
}

/*
 * A rotation whose rename(PATH, PATH.1) fails (PATH.1 is a non-empty
 * directory) is retried 200 ms later, not at once: neither the interval
 * timer (its deadline stays in the past) nor every record past the size
 * makes the writer try again and again. Every record stays in PATH.
 */
static void test_file_rotation_rename_fails(void **state)
{
	struct sw_sink_opts o = { .format = fmt_fixed, .rotate_interval = 1 };
	char dir[PATH_MAX + 8], x[PATH_MAX + 16];
	unsigned long long next = 1;
	struct sw_sink_stats st;
	struct fixed_log log;
	struct tfile f;
	struct sw_sink *s;
	double cpu;

	tfile_init(&f, "ren.log");
	snprintf(dir, sizeof(dir), "%s.1", f.path);
	snprintf(x, sizeof(x), "%s/x", dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	close(open(x, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));

	/* interval: due after 1 s, then failing for 1 s */
	s = sink_open(f.spec, &o);
	cpu = cpu_seconds();
	trickle(s, &next, 1);
	usleep(2000000);
	cpu = cpu_seconds() - cpu;
	sw_sink_stats(s, &st);
	if (st.errors >= 100 || cpu > 0.75)
		fail_msg("interval: %llu failed rotations, %.2f s of CPU in 2 s", st.errors, cpu);
	assert_true(st.errors >= 1);
	assert_int_equal(sw_sink_close_stats(s, &st), 0);
	assert_int_equal(st.rotations, 0);

	/* size: every record from the 11th on is past it */
	unlink(f.path);
	next = 1;
	o.rotate_interval = 0;
	o.rotate_size = 10 * (FIXED_LEN + 1);
	s = sink_open(f.spec, &o);
	trickle(s, &next, 20);
	sw_sink_stats(s, &st);
	if (st.errors >= 100)
		fail_msg("size: %llu failed rotations for %llu records", st.errors, next - 1);
	assert_true(st.errors >= 1);
	assert_int_equal(sw_sink_close_stats(s, &st), 0);
	check_fixed(f.path, 1, next, &log);
	assert_int_equal(log.records, next - 1);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.rotations, 0);

	unlink(x);
	rmdir(dir);
}

/*
 * The same when the rename works but opening the new PATH fails (no file
 * descriptor left): PATH.1 is renamed back, and the next try is 200 ms
 * later. Once files can be opened again, rotation works.
 */
static void test_file_rotation_reopen_fails(void **state)
{
	struct sw_sink_opts o = { .format = fmt_fixed, .rotate_size = 10 * (FIXED_LEN + 1) };
	char name[PATH_MAX + 16];
	unsigned long long next = 1;
	struct sw_sink_stats st;
	struct fixed_log log;
	struct rlimit old, rl;
	struct tfile f;
	struct sw_sink *s;
	struct stat sb;
	int fd;

	s = tfile_open(&f, "reo.log", &o);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC); /* the lowest free descriptor */
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	rl = old;
	rl.rlim_cur = fd; /* every open(2) fails with EMFILE */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	trickle(s, &next, 20);
	setrlimit(RLIMIT_NOFILE, &old);
	sw_sink_stats(s, &st);
	if (st.errors >= 100) {
		sw_sink_close(s);
		fail_msg("%llu failed rotations for %llu records", st.errors, next - 1);
	}
	assert_true(st.errors >= 1);
	assert_int_equal(st.rotations, 0);
	snprintf(name, sizeof(name), "%s.1", f.path);
	assert_int_equal(stat(name, &sb), -1); /* renamed back */
	check_fixed(f.path, 1, next, &log);
	assert_int_equal(log.records, next - 1);

	trickle(s, &next, 6); /* 300 ms: the next try works */
	assert_int_equal(sw_sink_close_stats(s, &st), 0);
	assert_true(st.rotations >= 1);
	assert_int_equal(st.dropped, 0);
}

/* Appends the file at path to f. */
static void append_file(FILE *f, const char *path)
{
	char buf[4096];
	FILE *in = fopen(path, "r");
	size_t n;

	assert_non_null(in);
	while ((n = fread(buf, 1, sizeof(buf), in)))
		assert_int_equal(fwrite(buf, 1, n, f), n);
	fclose(in);
}

/*
 * When the compressed file cannot be installed for good (PATH.1.gz is a
 * directory), PATH.1 is not compressed again at every rotation that comes
 * due (the whole file, over and over): the retries back off from 1 s. PATH
 * grows past the rotation size meanwhile and nothing is lost; once the
 * install can work, the next retry does it.
 */
static void test_file_rotation_install_backoff(void **state)
{
	struct sw_sink_opts o = { .format = fmt_fixed, .rotate_keep = 1 };
	char p1[PATH_MAX + 16], both[PATH_MAX];
	unsigned long long next = 1;
	struct sw_sink_stats st;
	struct fixed_log log;
	struct tfile f;
	struct sw_sink *s;
	struct stat sb;
	FILE *fp;
	int i;

	o.rotate_size = 10 * (FIXED_LEN + 1);
	tfile_init(&f, "back.log");
	tpath(both, sizeof(both), "both.log");
	snprintf(p1, sizeof(p1), "%s.1", f.path);
	assert_int_equal(mkdir(f.gz, 0700), 0);
	s = sink_open(f.spec, &o);
	trickle(s, &next, 40); /* 2 s: a rotation is due at every record after the first 10 */
	sw_sink_stats(s, &st);
	if (st.errors > 4)
		fail_msg("%llu failed installs in 2 s", st.errors);
	assert_true(st.errors >= 1);
	assert_int_equal(st.rotations, 1);

	/* every record so far is in PATH.1 or PATH, once and in order */
	fp = fopen(both, "w");
	assert_non_null(fp);
	append_file(fp, p1);
	append_file(fp, f.path);
	fclose(fp);
	check_fixed(both, 1, next, &log);
	assert_int_equal(log.records, next - 1);
	assert_int_equal(stat(f.path, &sb), 0);
	assert_true(sb.st_size > (off_t)o.rotate_size);

	/* the way is clear: a later retry installs PATH.1.gz, and rotation goes on */
	assert_int_equal(rmdir(f.gz), 0);
	for (i = 0; i < 200 && st.rotations < 2; i++) {
		trickle(s, &next, 1);
		sw_sink_stats(s, &st);
	}
	assert_int_equal(sw_sink_close_stats(s, &st), 0);
	assert_true(st.rotations >= 2);
	assert_true(is_gzip(f.gz));
	assert_int_equal(stat(p1, &sb), -1);
	assert_int_equal(st.dropped, 0);
}

/* Submits fmt_fixed() records first..end-1 and waits until the sink has written them all. */
static void submit_range(struct sw_sink *s, unsigned long long first, unsigned long long end,
			 unsigned long long written_before)
{
	unsigned long long seq;
	struct sw_record r;

	for (seq = first; seq < end; seq++) {
		r = rec(seq);
		assert_int_equal(sw_sink_submit(s, &r), 0);
	}
	wait_written(s, written_before + end - first);
}

/*
 * With rotation on, PATH deleted while it is written: the next lines go to
 * a new PATH (a reopen, counted in reconnects), not into the deleted file,
 * and the size rotation goes on there. It wrote on into the deleted file for
 * good, every rotation failing (rename: ENOENT) and the lines counted as
 * written.
 */
static void test_file_rotation_path_deleted(void **state)
{
	struct sw_sink_opts o = { .format = fmt_fixed, .rotate_size = 20 * (FIXED_LEN + 1) };
	struct sw_sink_stats st;
	struct fixed_log log;
	struct tfile f;
	struct sw_sink *s;

	s = tfile_open(&f, "del.log", &o);
	submit_range(s, 1, 11, 0);
	assert_int_equal(unlink(f.path), 0);
	/* 20 lines fill the new PATH; the 21st rotates it */
	submit_range(s, 11, 41, 10);
	assert_int_equal(sw_sink_close_stats(s, &st), 0);
	assert_int_equal(st.written, 40);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.errors, 0);
	assert_int_equal(st.reconnects, 1);
	assert_int_equal(st.rotations, 1);
	check_fixed_gz(&f, 11, 31, &log);
	assert_int_equal(log.records, 20);
	assert_int_equal(log.lost_lines, 0);
	check_fixed(f.path, 31, 41, &log);
	assert_int_equal(log.records, 10);
	assert_int_equal(log.lost_lines, 0);
}

#define OTHER_LINE "another file\n"

/* Copies the file src from byte off on into dst. */
static void copy_from(const char *src, long off, const char *dst)
{
	char buf[4096];
	FILE *in = fopen(src, "r"), *out = fopen(dst, "w");
	size_t n;

	assert_non_null(in);
	assert_non_null(out);
	assert_int_equal(fseek(in, off, SEEK_SET), 0);
	while ((n = fread(buf, 1, sizeof(buf), in)))
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	fclose(out);
}

/*
 * With rotation on, PATH moved away and another file put in its place: the
 * moved file keeps what was written before, the next lines are appended to
 * the file now at PATH (never renamed as if it were ours).
 */
static void test_file_rotation_path_replaced(void **state)
{
	struct sw_sink_opts o = { .format = fmt_fixed, .rotate_size = 100 * (FIXED_LEN + 1) };
	char moved[PATH_MAX], other[PATH_MAX], line[FIXED_LEN + 2];
	struct sw_sink_stats st;
	struct fixed_log log;
	struct tfile f;
	struct sw_sink *s;
	FILE *fp;

	tpath(moved, sizeof(moved), "rep.log.moved");
	tpath(other, sizeof(other), "rep.log.other");
	s = tfile_open(&f, "rep.log", &o);
	submit_range(s, 1, 11, 0);
	assert_int_equal(rename(f.path, moved), 0);
	fp = fopen(other, "w");
	assert_non_null(fp);
	fputs(OTHER_LINE, fp);
	fclose(fp);
	assert_int_equal(rename(other, f.path), 0);
	submit_range(s, 11, 21, 10);
	assert_int_equal(sw_sink_close_stats(s, &st), 0);
	assert_int_equal(st.written, 20);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.errors, 0);
	assert_int_equal(st.reconnects, 1);
	assert_int_equal(st.rotations, 0);
	check_fixed(moved, 1, 11, &log);
	assert_int_equal(log.records, 10);
	/* the file at PATH: its own line, then ours */
	copy_from(f.path, strlen(OTHER_LINE), other);
	check_fixed(other, 11, 21, &log);
	assert_int_equal(log.records, 10);
	assert_int_equal(log.lost_lines, 0);
	fp = fopen(f.path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(line, sizeof(line), fp));
	fclose(fp);
	assert_string_equal(line, OTHER_LINE);
}

/*
 * The other process of test_file_second_writer: holds a rotating file sink
 * on spec; says 'o' once it is open, then on the parent's word writes
 * records 1..15 (a rotation at the 11th) and says 'r', then on its word
 * closes the sink and exits 0. Any failure: exit 1.
 */
static void lock_holder(const char *spec, int to_parent, int from_parent)
{
	struct sw_sink_opts o = { .format = fmt_fixed, .rotate_size = 10 * (FIXED_LEN + 1) };
	struct sw_sink_stats st;
	struct sw_record r;
	struct sw_sink *s;
	char c;
	int i;

	if (sw_sink_open(spec, &o, &s) || write(to_parent, "o", 1) != 1 ||
	    read(from_parent, &c, 1) != 1)
		_exit(1);
	for (i = 1; i <= 15; i++) {
		r = rec(i);
		if (sw_sink_submit(s, &r))
			_exit(1);
	}
	for (i = 0; i < 500; i++) {
		sw_sink_stats(s, &st);
		if (st.written == 15 && st.rotations == 1)
			break;
		usleep(10000);
	}
	if (i == 500 || write(to_parent, "r", 1) != 1 || read(from_parent, &c, 1) != 1)
		_exit(1);
	_exit(sw_sink_close_stats(s, &st) || st.dropped || st.errors ? 1 : 0);
}

/*
 * Two sockwatch on one file with rotation: each renamed and compressed the
 * file the other was writing, and records both counted as written went
 * missing. A second writer is refused (-EBUSY) before it writes a byte,
 * also after the first has rotated (its new PATH is locked), and can open
 * PATH once the first has closed it. In one process a second sink on the
 * same file is not refused here (sockwatch events refuses it by device and
 * inode, naming both outputs).
 */
static void test_file_second_writer(void **state)
{
	struct sw_sink_opts o = { .format = fmt_fixed, .rotate_size = 10 * (FIXED_LEN + 1) };
	char hard[PATH_MAX], hspec[PATH_MAX + 8];
	int up[2], down[2], status;
	struct fixed_log log;
	struct sw_sink *s, *s2;
	struct tfile f;
	struct stat sb;
	pid_t pid;
	char c;

	tfile_init(&f, "two.log");
	tpath(hard, sizeof(hard), "two.hard");
	snprintf(hspec, sizeof(hspec), "file:%s", hard);
	assert_int_equal(pipe2(up, O_CLOEXEC), 0);
	assert_int_equal(pipe2(down, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		close(up[0]);
		close(down[1]);
		lock_holder(f.spec, up[1], down[0]);
	}
	close(up[1]);
	close(down[0]);

	assert_int_equal(read(up[0], &c, 1), 1);
	assert_int_equal(sw_sink_open(f.spec, &o, &s), -EBUSY);
	assert_int_equal(write(down[1], "w", 1), 1);
	assert_int_equal(read(up[0], &c, 1), 1); /* it has rotated */
	assert_int_equal(sw_sink_open(f.spec, &o, &s), -EBUSY);
	assert_int_equal(write(down[1], "c", 1), 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(up[0]);
	close(down[1]);

	/* the refused opens wrote nothing, nor compressed anything */
	check_fixed_gz(&f, 1, 11, &log);
	assert_int_equal(log.records, 10);
	check_fixed(f.path, 11, 16, &log);
	assert_int_equal(log.records, 5);

	/* free again; a second sink of this process on the same file opens */
	s = sink_open(f.spec, &o);
	assert_int_equal(link(f.path, hard), 0);
	s2 = sink_open(hspec, &o);
	assert_int_equal(sw_sink_close(s2), 0);
	assert_int_equal(sw_sink_close(s), 0);
	assert_int_equal(stat(f.path, &sb), 0);
	assert_int_equal(sb.st_size, 5 * (FIXED_LEN + 1));
}

/*
 * PATH truncated behind the sink's back (logrotate's copytruncate): the
 * size rotation goes by the size the file has, not by what was written. It
 * rotated at the next line, a file of a few lines.
 */
static void test_file_rotation_truncated(void **state)
{
	struct sw_sink_opts o = { .format = fmt_fixed, .rotate_size = 10 * (FIXED_LEN + 1) };
	struct sw_sink_stats st;
	struct fixed_log log;
	struct tfile f;
	struct sw_sink *s;

	s = tfile_open(&f, "trunc.log", &o);
	submit_range(s, 1, 10, 0); /* 9 lines: one short of the size */
	assert_int_equal(truncate(f.path, 0), 0);
	submit_range(s, 10, 20, 9); /* 10 lines: exactly the size, no rotation */
	sw_sink_stats(s, &st);
	assert_int_equal(st.rotations, 0);
	submit_range(s, 20, 21, 19); /* the 11th rotates */
	assert_int_equal(sw_sink_close_stats(s, &st), 0);
	assert_int_equal(st.rotations, 1);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.errors, 0);
	check_fixed_gz(&f, 10, 20, &log);
	assert_int_equal(log.records, 10);
	check_fixed(f.path, 20, 21, &log);
	assert_int_equal(log.records, 1);
}

static void test_file_nofollow(void **state)
{
	struct sw_sink_opts o = opts_seq();
	char target[PATH_MAX];
	struct sw_sink *s;
	struct tfile link;
	struct stat sb;

	tpath(target, sizeof(target), "target");
	tfile_init(&link, "link.log");
	assert_int_equal(symlink(target, link.path), 0);
	assert_int_equal(sw_sink_open(link.spec, &o, &s), -ELOOP);
	assert_int_equal(stat(target, &sb), -1); /* nothing was created through the link */

	/* docs/sinks.md: /dev/stdout is a symlink like any other (use the stdout sink) */
	if (!lstat("/dev/stdout", &sb) && S_ISLNK(sb.st_mode))
		assert_int_equal(sw_sink_open("file:/dev/stdout", &o, &s), -ELOOP);
}

static bool clash(const char *const *specs, unsigned int n, bool by_file, unsigned int want_a,
		  unsigned int want_b)
{
	unsigned int a = 99, b = 99;

	if (!sw_sink_specs_clash(specs, n, by_file, &a, &b))
		return false;
	assert_int_equal(a, want_a);
	assert_int_equal(b, want_b);
	return true;
}

/* docs/sinks.md, "One output, once": the same output twice, by name and then by file. */
static void test_specs_clash(void **state)
{
	char cwd[PATH_MAX], abs_spec[PATH_MAX + 16], f1[PATH_MAX + 8], f2[PATH_MAX + 8],
		viadir[PATH_MAX + 16], other[PATH_MAX + 8], p1[PATH_MAX], p2[PATH_MAX],
		dl[PATH_MAX];
	const char *std2[] = { "stdout", "-" };
	const char *dot[] = { "file:a.json", "file:./a.json" };
	const char *slashes[] = { "syslog", "file:/var/log//x.json", "file:/var/log/./x.json/" };
	const char *sys2[] = { "syslog+udp://h:514", "syslog+udp://h:514" };
	const char *dotdot[] = { "file:/var/log/a/../x.json", "file:/var/log/x.json" };
	const char *rotated[] = { "file:/var/log/x.json", "file:/var/log/x.json.1" };
	const char *distinct[] = { "stdout", "syslog", "file:x.json", "file:y.json" };
	const char *pair[2];
	int fd, saved;

	assert_true(clash(std2, 2, false, 0, 1));
	assert_true(clash(dot, 2, false, 0, 1));
	assert_true(clash(slashes, 3, false, 1, 2));
	assert_true(clash(sys2, 2, false, 0, 1));
	assert_false(clash(dotdot, 2, false, 0, 0)); /* after a symlink, ".." is not the parent */
	assert_false(clash(rotated, 2, false, 0, 0));
	assert_false(clash(distinct, 4, false, 0, 0));
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(abs_spec, sizeof(abs_spec), "file:%s/a.json", cwd);
	pair[0] = dot[0];
	pair[1] = abs_spec;
	assert_true(clash(pair, 2, false, 0, 1));

	/* by file: a hard link, a directory reached through a symlink */
	tpath(p1, sizeof(p1), "one.json");
	tpath(p2, sizeof(p2), "two.json");
	tpath(dl, sizeof(dl), "dirlink");
	fd = open(p1, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(link(p1, p2), 0);
	assert_int_equal(symlink(tmpdir, dl), 0);
	snprintf(f1, sizeof(f1), "file:%s", p1);
	snprintf(f2, sizeof(f2), "file:%s", p2);
	snprintf(viadir, sizeof(viadir), "file:%s/one.json", dl);
	pair[0] = f1;
	pair[1] = f2;
	assert_false(clash(pair, 2, false, 0, 0));
	assert_true(clash(pair, 2, true, 0, 1));
	pair[1] = viadir;
	assert_false(clash(pair, 2, false, 0, 0));
	assert_true(clash(pair, 2, true, 0, 1));
	/* a file that does not exist yet is no match */
	tpath(p2, sizeof(p2), "three.json");
	snprintf(other, sizeof(other), "file:%s", p2);
	pair[1] = other;
	assert_false(clash(pair, 2, true, 0, 0));

	/* stdout redirected to the file */
	pair[0] = "stdout";
	pair[1] = f1;
	assert_false(clash(pair, 2, true, 0, 0)); /* the test's stdout is not one.json */
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	fd = open(p1, O_WRONLY);
	assert_true(saved >= 0 && fd >= 0);
	assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
	close(fd);
	assert_true(sw_sink_specs_clash(pair, 2, true, &(unsigned int){ 0 }, &(unsigned int){ 0 }));
	assert_false(
		sw_sink_specs_clash(pair, 2, false, &(unsigned int){ 0 }, &(unsigned int){ 0 }));
	assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
}

static void test_file_mode_append(void **state)
{
	struct sw_sink_opts o = opts_seq();
	struct sw_record r = rec(1);
	char lines[8][128];
	struct tfile f;
	struct sw_sink *s;
	struct stat sb;
	mode_t old = umask(022);
	FILE *fp;

	tfile_init(&f, "mode.log");
	fp = fopen(f.path, "w");
	fputs("existing\n", fp);
	fclose(fp);
	chmod(f.path, 0640);
	s = sink_open(f.spec, &o);
	sw_sink_submit(s, &r);
	assert_int_equal(sw_sink_close(s), 0);
	assert_int_equal(read_lines(f.path, lines, 8), 2);
	assert_string_equal(lines[0], "existing");
	assert_string_equal(lines[1], "{\"seq\":1}");
	unlink(f.path);

	s = sink_open(f.spec, &o);
	assert_int_equal(sw_sink_close(s), 0);
	assert_int_equal(stat(f.path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0640);
	umask(old);
}

/* A file an earlier run left ending mid-line: our first line starts a line of its own. */
static void test_file_foreign_cut_line(void **state)
{
	struct sw_sink_opts o = opts_seq();
	struct sw_record r = rec(1);
	char lines[8][128];
	struct tfile f;
	struct sw_sink *s;
	FILE *fp;

	tfile_init(&f, "cut.log");
	fp = fopen(f.path, "w");
	fputs("{\"seq\":7}\n{\"seq\":8,\"ev", fp);
	fclose(fp);
	s = sink_open(f.spec, &o);
	sw_sink_submit(s, &r);
	assert_int_equal(sw_sink_close(s), 0);
	assert_int_equal(read_lines(f.path, lines, 8), 3);
	assert_string_equal(lines[1], "{\"seq\":8,\"ev");
	assert_string_equal(lines[2], "{\"seq\":1}");
	/* a file that ends its lines gets nothing extra */
	s = sink_open(f.spec, &o);
	r = rec(2);
	sw_sink_submit(s, &r);
	assert_int_equal(sw_sink_close(s), 0);
	assert_int_equal(read_lines(f.path, lines, 8), 4);
	assert_string_equal(lines[3], "{\"seq\":2}");
	unlink(f.path);
}

static void test_file_reopen(void **state)
{
	struct sw_sink_opts o = opts_seq();
	char moved[PATH_MAX], lines[8][128];
	struct sw_record r = rec(1);
	struct tfile f;
	struct sw_sink *s;

	tpath(moved, sizeof(moved), "hup.log.old");
	s = tfile_open(&f, "hup.log", &o);
	sw_sink_submit(s, &r);
	wait_written(s, 1);
	assert_int_equal(rename(f.path, moved), 0); /* what logrotate does */
	sw_sink_reopen(s);
	r = rec(2);
	sw_sink_submit(s, &r);
	assert_int_equal(sw_sink_close(s), 0);
	assert_int_equal(read_lines(moved, lines, 8), 1);
	assert_string_equal(lines[0], "{\"seq\":1}");
	assert_int_equal(read_lines(f.path, lines, 8), 1);
	assert_string_equal(lines[0], "{\"seq\":2}");
}

/*
 * A file that cannot be opened again (its directory removed, then SIGHUP):
 * one error per open attempt and one attempt per record; the lost record
 * that goes before a record shares that record's attempt. It counted two
 * errors per dropped record ("402 dropped, 805 errors").
 */
static void test_file_open_fails_one_error(void **state)
{
	struct sw_sink_opts o = opts_seq();
	struct sw_sink_stats st;
	struct sw_record r = rec(1);
	char dir[PATH_MAX];
	struct tfile f;
	struct sw_sink *s;

	tpath(dir, sizeof(dir), "gone");
	assert_int_equal(mkdir(dir, 0700), 0);
	s = tfile_open(&f, "gone/ev.log", &o);
	sw_sink_submit(s, &r);
	wait_written(s, 1);
	assert_int_equal(unlink(f.path), 0);
	assert_int_equal(rmdir(dir), 0);
	sw_sink_reopen(s);
	submit_seqs(s, 2, 101);
	sw_sink_close_stats(s, &st);
	assert_int_equal(st.written, 1);
	assert_int_equal(st.dropped, 100);
	/* the SIGHUP's open, one for each of the 100 records, one for the last lost record */
	if (st.errors != 100 + 2)
		fail_msg("%llu errors for %llu dropped records", st.errors, st.dropped);
}

static void test_file_dev_full(void **state)
{
	struct sw_sink_opts o = opts_seq();
	struct sw_sink_stats st;
	struct sw_record r;
	struct sw_sink *s;
	int i;

	s = sink_open("file:/dev/full", &o);
	for (i = 0; i < 10; i++) {
		r = rec(i);
		assert_int_equal(sw_sink_submit(s, &r), 0);
		usleep(1000);
	}
	assert_int_equal(sw_sink_close_stats(s, &st), 0);
	assert_true(st.errors >= 1);
	assert_int_equal(st.dropped, 10);
	assert_int_equal(st.written, 0);
}

/* Waits up to 5 s for the counters to reach these values (no failure: the caller checks). */
static void wait_counts(struct sw_sink *s, unsigned long long written, unsigned long long dropped)
{
	struct sw_sink_stats st;
	int i;

	for (i = 0; i < 500; i++) {
		sw_sink_stats(s, &st);
		if (st.written == written && st.dropped == dropped)
			return;
		usleep(10000);
	}
}

static void set_fsize_limit(rlim_t cur)
{
	struct rlimit rl;

	getrlimit(RLIMIT_FSIZE, &rl);
	rl.rlim_cur = cur;
	setrlimit(RLIMIT_FSIZE, &rl);
}

/*
 * file:PATH with room for 300 lines and half of the 301st (RLIMIT_FSIZE), and
 * records 1..1000 submitted into it: 300 written, the 301st cut, 699 lost.
 */
static struct sw_sink *open_cut_file(struct tfile *f, const char *name,
				     const struct sw_sink_opts *o)
{
	struct sw_sink *s = tfile_open(f, name, o);

	signal(SIGXFSZ, SIG_IGN);
	set_fsize_limit(300 * (FIXED_LEN + 1) + 50);
	submit_seqs(s, 1, 1000);
	wait_counts(s, 300, 699);
	return s;
}

static int teardown_fsize(void **state)
{
	set_fsize_limit(RLIM_INFINITY);
	signal(SIGXFSZ, SIG_DFL);
	return teardown_tmpdir(state);
}

/*
 * The file system fills up in the middle of a buffer and of a line (a file
 * size limit: write(2) writes part of the buffer, then fails with EFBIG),
 * and later has room again. The lines before the cut are written and
 * counted, the cut line is completed before anything else is written, the
 * lines after it are counted as dropped once, and the lost record says so
 * right before the next record: the file holds whole lines only.
 */
static void test_file_partial_write(void **state)
{
	struct sw_sink_opts o = { .format = fmt_fixed };
	struct sw_sink_stats st;
	struct fixed_log log;
	struct tfile f;
	struct sw_sink *s;

	s = open_cut_file(&f, "full.log", &o);
	set_fsize_limit(RLIM_INFINITY); /* room again */
	submit_seqs(s, 1001, 1010);
	assert_int_equal(sw_sink_close_stats(s, &st), 0);

	check_fixed(f.path, 1, 1011, &log);
	assert_int_equal(log.records, 311); /* 1..301, 1001..1010 */
	assert_int_equal(log.lost_lines, 1);
	assert_int_equal(log.lost, 699);
	assert_int_equal(st.dropped, 699);
	assert_int_equal(st.written, 312);
	assert_true(st.errors >= 1);
}

/*
 * The same, but the file is moved away and reopened (SIGHUP) while it is
 * still full: the rest of the cut line does not go into the new file, where
 * it would be a broken first line; it is counted as lost.
 */
static void test_file_partial_write_reopen(void **state)
{
	struct sw_sink_opts o = { .format = fmt_fixed };
	struct sw_sink_stats st;
	struct fixed_log log;
	char moved[PATH_MAX];
	struct tfile f;
	struct sw_sink *s;
	struct stat sb;

	tpath(moved, sizeof(moved), "full.log.old");
	s = open_cut_file(&f, "full.log", &o);
	assert_int_equal(rename(f.path, moved), 0);
	sw_sink_reopen(s);
	submit_seqs(s, 1001,
		    1001); /* the reopen comes before it, while the old file is still full */
	wait_counts(s, 302, 700);
	set_fsize_limit(RLIM_INFINITY);
	submit_seqs(s, 1002, 1010);
	assert_int_equal(sw_sink_close_stats(s, &st), 0);

	/* the old file ends with the head of line 301 */
	assert_int_equal(stat(moved, &sb), 0);
	assert_int_equal(sb.st_size, 300 * (FIXED_LEN + 1) + 50);
	check_fixed(f.path, 301, 1011, &log);
	assert_int_equal(log.records, 10);
	assert_int_equal(log.lost, 700);
	assert_int_equal(st.dropped, 700);
	assert_int_equal(st.written, 311);
}

/*
 * The same, but the reopen at SIGHUP fails (a symlink at PATH) and a later
 * write opens the new file: the rest of the cut line is dropped then, in the
 * middle of that write, and its loss must still be announced before the
 * record being written (one lost record for 1001's loss and it), not after.
 */
static void test_file_partial_write_reopen_later(void **state)
{
	struct sw_sink_opts o = { .format = fmt_fixed };
	struct sw_sink_stats st;
	struct fixed_log log;
	char moved[PATH_MAX];
	struct tfile f;
	struct sw_sink *s;

	tpath(moved, sizeof(moved), "full.log.old");
	s = open_cut_file(&f, "full.log", &o);
	assert_int_equal(rename(f.path, moved), 0);
	assert_int_equal(symlink("/nonexistent", f.path), 0); /* O_NOFOLLOW: the reopen fails */
	sw_sink_reopen(s);
	submit_seqs(s, 1001, 1001); /* no file to write it to */
	wait_counts(s, 300, 700);
	assert_int_equal(unlink(f.path), 0);
	set_fsize_limit(RLIM_INFINITY);
	submit_seqs(s, 1002, 1005);
	assert_int_equal(sw_sink_close_stats(s, &st), 0);

	check_fixed(f.path, 301, 1006, &log);
	assert_int_equal(log.records, 4);
	assert_int_equal(log.lost_lines, 1);
	assert_int_equal(log.lost, 701);
	assert_int_equal(st.dropped, 701);
	assert_int_equal(st.written, 305);
}

/*
 * The buffer is full when record 656 comes, and the flush that makes room
 * fails: records 1..655 are lost, and the lost record must come right
 * before 656, the first record after the gap, not after it.
 */
/*
 * Submits records 1..n to the file sink s, whose formatter is fmt_fixed_held()
 * with h, and makes the flush the writer tries between h's two holds fail (a
 * file size limit of 0); then lets the writer go on.
 */
static void submit_flush_fails(struct sw_sink *s, struct holds *h, int n)
{
	signal(SIGXFSZ, SIG_IGN);
	submit_seqs(s, 1, n);
	hold_wait(h, 1);
	set_fsize_limit(0);
	hold_release(h, 1);
	hold_wait(h, 2);
	set_fsize_limit(RLIM_INFINITY);
	hold_release(h, 2);
}

static void test_file_lost_before_next(void **state)
{
	struct holds h = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, { 1, 657 }, 0, 0 };
	struct sw_sink_opts o = { .format = fmt_fixed_held, .format_ctx = &h };
	struct sw_sink_stats st;
	struct fixed_log log;
	struct tfile f;
	struct sw_sink *s;

	s = tfile_open(&f, "lost.log", &o);
	/* all queued, the writer buffers 655 lines (65500 bytes): the flush for 656 fails */
	submit_flush_fails(s, &h, 1000);
	assert_int_equal(sw_sink_close_stats(s, &st), 0);

	check_fixed(f.path, 1, 1001, &log);
	assert_int_equal(log.records, 345);
	assert_int_equal(log.lost, 655);
	assert_int_equal(st.dropped, 655);
}

/*
 * The same when the flush that fails is the one before a size rotation: the
 * lost record comes before 51, and the file, whose last lines could not be
 * written, is not rotated.
 */
static void test_file_lost_before_next_rotating(void **state)
{
	struct holds h = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, { 1, 52 }, 0, 0 };
	struct sw_sink_opts o = { .format = fmt_fixed_held, .format_ctx = &h };
	struct sw_sink_stats st;
	struct fixed_log log;
	struct tfile f;
	struct sw_sink *s;

	o.rotate_size = 50 * (FIXED_LEN + 1); /* record 51 rotates */
	s = tfile_open(&f, "lostrot.log", &o);
	submit_flush_fails(s, &h, 100); /* the flush before the rotation for 51 fails */
	assert_int_equal(sw_sink_close_stats(s, &st), 0);

	check_fixed(f.path, 1, 101, &log);
	assert_int_equal(log.records, 50);
	assert_int_equal(log.lost, 50);
	assert_int_equal(st.dropped, 50);
	assert_int_equal(st.rotations, 0);
}

struct closer {
	pthread_t thread;
	struct sw_sink *s;
	struct sw_sink_stats st;
	int err;
};

static void *closer_run(void *arg)
{
	struct closer *c = arg;

	c->err = sw_sink_close_stats(c->s, &c->st);
	return NULL;
}

/* Unblockers for close_within(): the writer gets EPIPE, or its open(2) finds a reader. */
static void unblock_close(void *arg)
{
	close(*(int *)arg);
}

static void unblock_fifo_open(void *arg)
{
	open(arg, O_RDONLY | O_NONBLOCK | O_CLOEXEC); /* left open: the test is failing */
}

/*
 * Closes s on another thread, waiting at most limit_s seconds; if that is not
 * enough, unblock(arg) is called before the test fails, so that the test
 * binary can go on. Returns the seconds the close took.
 */
static double close_within(struct closer *c, struct sw_sink *s, int limit_s,
			   void (*unblock)(void *), void *arg)
{
	struct timespec t0, t1, limit;

	c->s = s;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(pthread_create(&c->thread, NULL, closer_run, c), 0);
	clock_gettime(CLOCK_REALTIME, &limit);
	limit.tv_sec += limit_s;
	if (pthread_timedjoin_np(c->thread, NULL, &limit)) {
		unblock(arg);
		pthread_join(c->thread, NULL);
		fail_msg("sw_sink_close() still blocked after %d s", limit_s);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
}

/*
 * file: on a FIFO whose reader stalls: the writer is stuck in write(2), the
 * close cancels it after a while, and nothing then writes to the FIFO from
 * the closing thread: the close returns, and counts what it did not write.
 */
static void test_file_fifo_stalled_close(void **state)
{
	struct sw_sink_opts o = { .format = fmt_fixed };
	struct closer c;
	struct tfile f;
	struct sw_sink *s;
	double took;
	int rfd;

	signal(SIGPIPE, SIG_IGN);
	tfile_init(&f, "fifo");
	assert_int_equal(mkfifo(f.path, 0600), 0);
	rfd = open(f.path, O_RDONLY | O_NONBLOCK); /* a reader that never reads */
	assert_true(rfd >= 0);
	s = sink_open(f.spec, &o);
	submit_seqs(s, 1, 3000);
	usleep(100000);
	took = close_within(&c, s, 15, unblock_close, &rfd);
	close(rfd);
	assert_int_equal(c.err, -ETIMEDOUT);
	assert_true(took < (SW_SINK_DRAIN_MS + 1000) / 1000.0 + 2);
	assert_true(c.st.written < 3000);
	assert_int_equal(c.st.written + c.st.dropped, 3000);
}

struct opener {
	pthread_t thread;
	const char *spec;
	const struct sw_sink_opts *o;
	struct sw_sink *s;
	int err;
};

static void *opener_run(void *arg)
{
	struct opener *op = arg;

	op->err = sw_sink_open(op->spec, op->o, &op->s);
	return NULL;
}

/*
 * file: on a FIFO whose reader goes away, then SIGHUP (logrotate): the
 * reopen must not wait in open(2) for a reader to come, where the writer
 * cannot be cancelled and closing would hang. It fails (counted), records
 * are dropped until there is a reader again, and the first write after that
 * opens the FIFO. The first open (before anything is attached) waits for a
 * reader, as `cat > fifo` does.
 */
static void test_file_fifo_reader_gone(void **state)
{
	struct sw_sink_opts o = { .format = fmt_fixed };
	char buf[4 * (FIXED_LEN + 1)], want[FIXED_LEN + 1];
	struct opener op = { .o = &o };
	struct timespec limit;
	struct sw_sink_stats st;
	struct closer c;
	struct sw_record r;
	struct tfile f;
	struct sw_sink *s;
	ssize_t n;
	int rfd;

	signal(SIGPIPE, SIG_IGN);
	tfile_init(&f, "fifo");
	assert_int_equal(mkfifo(f.path, 0600), 0);

	/* nobody reads: the first open waits for a reader, as `cat > fifo` does */
	op.spec = f.spec;
	assert_int_equal(pthread_create(&op.thread, NULL, opener_run, &op), 0);
	clock_gettime(CLOCK_REALTIME, &limit);
	limit.tv_nsec += 200000000;
	if (limit.tv_nsec >= 1000000000) {
		limit.tv_sec++;
		limit.tv_nsec -= 1000000000;
	}
	assert_int_equal(pthread_timedjoin_np(op.thread, NULL, &limit), ETIMEDOUT);
	rfd = open(f.path, O_RDONLY | O_NONBLOCK); /* the reader comes */
	assert_true(rfd >= 0);
	clock_gettime(CLOCK_REALTIME, &limit);
	limit.tv_sec += 5;
	if (pthread_timedjoin_np(op.thread, NULL, &limit)) {
		unblock_fifo_open(f.path);
		pthread_join(op.thread, NULL);
		fail_msg("sw_sink_open() still waiting after its reader came");
	}
	assert_int_equal(op.err, 0);
	s = op.s;
	r = rec(1);
	assert_int_equal(sw_sink_submit(s, &r), 0);
	wait_written(s, 1);
	close(rfd); /* the reader goes away */
	sw_sink_reopen(s);
	r = rec(2);
	assert_int_equal(sw_sink_submit(s, &r), 0);
	wait_counts(s, 1, 1); /* the reopen failed, and so did the write of 2 */
	sw_sink_stats(s, &st);
	if (st.dropped != 1) {
		unblock_fifo_open(f.path);
		sw_sink_close(s);
		fail_msg("the reopen waited for a reader (%llu dropped)", st.dropped);
	}

	rfd = open(f.path, O_RDONLY | O_NONBLOCK); /* a reader again */
	assert_true(rfd >= 0);
	r = rec(3);
	assert_int_equal(sw_sink_submit(s, &r), 0);
	wait_written(s, 3); /* the lost record for 2, then 3 */
	n = read(rfd, buf, sizeof(buf));
	assert_int_equal(n, 2 * (FIXED_LEN + 1));
	fmt_fixed(&(struct sw_record){ .ev.kind = SW_EV_LOST, .seq = 3, .lost = 1 }, NULL, want,
		  sizeof(want));
	assert_memory_equal(buf, want, FIXED_LEN);
	r = rec(3);
	fmt_fixed(&r, NULL, want, sizeof(want));
	assert_memory_equal(buf + FIXED_LEN + 1, want, FIXED_LEN);

	close(rfd); /* gone again, and the run ends */
	sw_sink_reopen(s);
	r = rec(4);
	assert_int_equal(sw_sink_submit(s, &r), 0);
	close_within(&c, s, 10, unblock_fifo_open, f.path);
	assert_int_equal(c.err, 0);
	assert_int_equal(c.st.written, 3);
	assert_int_equal(c.st.dropped, 2);
	assert_true(c.st.errors >= 4);
}

/* ---- stdout ---- */

static void test_stdout_epipe(void **state)
{
	struct sw_sink_opts o = opts_seq();
	struct sw_sink_stats st;
	struct sw_sink *s;
	int p[2], saved;

	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe(p), 0);
	saved = stdout_to(p[1]);
	close(p[0]); /* nobody reads: every write fails with EPIPE */
	s = sink_open("stdout", &o);
	submit_seqs_may_drop(s, 0, 2);
	assert_int_equal(sw_sink_close_stats(s, &st), 0);
	stdout_restore(saved);
	assert_true(st.errors >= 1);
	assert_int_equal(st.dropped, 3);
}

struct pipe_reader {
	pthread_t thread;
	int fd; /* read end */
	FILE *out;
	useconds_t delay; /* before reading anything */
};

static void *pipe_reader_run(void *arg)
{
	struct pipe_reader *pr = arg;
	char buf[4096];
	ssize_t n;

	usleep(pr->delay);
	while ((n = read(pr->fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, n, pr->out);
	return NULL;
}

/* Gives stdout back (saved, from stdout_to()), and waits until the reader has read it all. */
static void pipe_reader_finish(struct pipe_reader *pr, int saved)
{
	stdout_restore(saved); /* the last write end: the reader sees the end */
	pthread_join(pr->thread, NULL);
	close(pr->fd);
	fclose(pr->out);
}

/*
 * A non-blocking stdout (a pipe that is full at times): EAGAIN is waited out
 * as a blocking write would wait, not taken for an error. Every record
 * arrives once, in order; nothing is dropped.
 */
static void test_stdout_nonblocking(void **state)
{
	struct sw_sink_opts o = { .format = fmt_fixed };
	struct pipe_reader pr = { .delay = 200000 };
	char path[PATH_MAX];
	struct sw_sink_stats st;
	struct fixed_log log;
	struct sw_sink *s;
	int p[2], saved;

	tpath(path, sizeof(path), "stdout.log");
	pr.out = fopen(path, "w");
	assert_non_null(pr.out);
	assert_int_equal(pipe(p), 0);
	fcntl(p[1], F_SETPIPE_SZ, 4096);
	assert_int_equal(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
	pr.fd = p[0];
	saved = stdout_to(p[1]);
	assert_int_equal(pthread_create(&pr.thread, NULL, pipe_reader_run, &pr), 0);
	s = sink_open("stdout", &o);
	submit_seqs_may_drop(s, 1, 2000);
	sw_sink_close_stats(s, &st);
	pipe_reader_finish(&pr, saved);

	check_fixed(path, 1, 2001, &log);
	assert_int_equal(log.records, 2000);
	assert_int_equal(log.lost_lines, 0);
	assert_int_equal(st.written, 2000);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.errors, 0);
}

/* Waits (up to 10 s) until more than n bytes wait to be read in fd (a pipe or socket); how many. */
static int wait_queued(int fd, int n)
{
	int queued = 0;

	for (int i = 0; i < 1000; i++) {
		assert_int_equal(ioctl(fd, FIONREAD, &queued), 0);
		if (queued > n)
			break;
		usleep(10000);
	}
	return queued;
}

/*
 * Records submitted while the writer waits in a flush (a slow reader), and
 * the close that follows them: the writer must write them once the flush is
 * done, not stop at the stop it finds then. It stopped, and left them in the
 * queue neither written nor counted: 100 written, 0 dropped, 100 gone.
 */
static void test_close_during_flush(void **state)
{
	struct sw_sink_opts o = { .format = fmt_fixed };
	struct pipe_reader pr = { 0 };
	char path[PATH_MAX];
	struct fixed_log log;
	struct closer c;
	struct sw_sink *s;
	int p[2], saved;

	tpath(path, sizeof(path), "stdout.log");
	pr.out = fopen(path, "w");
	assert_non_null(pr.out);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(fcntl(p[1], F_SETPIPE_SZ, 4096), 4096);
	pr.fd = p[0];
	saved = stdout_to(p[1]);
	s = sink_open("stdout", &o);
	submit_seqs_may_drop(s, 1, 100);
	/* 10000 bytes for a page of pipe: the writer waits inside its flush */
	assert_int_equal(wait_queued(p[0], 4095), 4096);
	submit_seqs_may_drop(s, 101, 200);
	c.s = s;
	assert_int_equal(pthread_create(&c.thread, NULL, closer_run, &c), 0);
	/* the stop is there before the flush ends (s stays until the pipe is read) */
	while (!atomic_load(&s->stopping))
		usleep(1000);
	assert_int_equal(pthread_create(&pr.thread, NULL, pipe_reader_run, &pr), 0);
	pthread_join(c.thread, NULL);
	pipe_reader_finish(&pr, saved);

	assert_int_equal(c.err, 0);
	assert_int_equal(c.st.written + c.st.dropped, 200);
	check_fixed(path, 1, 201, &log);
	assert_int_equal(log.records, 200);
	assert_int_equal(c.st.written, 200);
	assert_int_equal(c.st.dropped, 0);
}

/*
 * stdout on a pipe whose reader stalls: the writer is cancelled at close, and
 * every record it did not write, queued or buffered, is counted as dropped.
 */
static void test_stdout_stalled_counts(void **state)
{
	struct sw_sink_opts o = { .format = fmt_fixed };
	struct closer c;
	struct sw_sink *s;
	int p[2], saved;

	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe(p), 0);
	saved = stdout_to(p[1]);
	s = sink_open("stdout", &o);
	submit_seqs_may_drop(s, 1, 3000);
	usleep(100000);
	close_within(&c, s, 15, unblock_close, &p[0]);
	stdout_restore(saved);
	close(p[0]);
	assert_int_equal(c.err, -ETIMEDOUT);
	assert_true(c.st.written < 3000);
	assert_int_equal(c.st.written + c.st.dropped, 3000);
}

/* Reads what is left in a pipe whose writers are gone; how many bytes. */
static size_t drain_pipe(int fd)
{
	char buf[65536];
	size_t total = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	return total;
}

/*
 * stdout on a pipe whose reader takes a little and then stalls: the writer
 * is stuck half-way through a write when the close cancels it. The count
 * must say what the pipe got: its whole lines are written, the line it cut
 * is dropped (as a file's cut line is at exit), and so is the rest. A write
 * cancelled inside write(2) lost its byte count: 655 written, while the
 * reader got 736 whole lines and a cut one. Returns whether the pipe got a
 * cut line, i.e. whether this run was that case.
 */
static bool stalled_exact_once(void)
{
	struct sw_sink_opts o = { .format = fmt_fixed };
	char buf[10000];
	struct closer c;
	struct sw_sink *s;
	size_t got;
	int p[2], saved;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(fcntl(p[1], F_GETPIPE_SZ), 65536);
	saved = stdout_to(p[1]);
	s = sink_open("stdout", &o);
	submit_seqs_may_drop(s, 1, 3000);
	/* the first 64 KiB buffer fills the pipe; the writer waits with the next */
	wait_queued(p[0], 64999);
	usleep(200000);
	/* the reader takes two pages' worth and more: part of the next write goes in */
	assert_int_equal(read(p[0], buf, sizeof(buf)), sizeof(buf));
	/* and the writer is stuck again: wait until it has filled the pages the read freed */
	wait_queued(p[0], 65536 - sizeof(buf));
	usleep(50000);
	close_within(&c, s, 15, unblock_close, &p[0]);
	stdout_restore(saved); /* the last write end: the pipe can be read to its end */
	got = sizeof(buf) + drain_pipe(p[0]);
	close(p[0]);
	assert_int_equal(c.err, -ETIMEDOUT);
	if (c.st.written != got / (FIXED_LEN + 1))
		fail_msg("%llu written, but the pipe got %zu whole lines (%zu bytes)", c.st.written,
			 got / (FIXED_LEN + 1), got);
	assert_int_equal(c.st.written + c.st.dropped, 3000);
	return got % (FIXED_LEN + 1);
}

/*
 * Where the writer's last write ends depends on how many lines each of its
 * writes held, i.e. on when its thread ran: now and then (1 run in ~15 on
 * a loaded machine) it ends on a line, the pipe has no cut line and that
 * run is not the case under test. Its counts must be exact all the same;
 * the case is run again until it happens.
 */
static void test_stdout_stalled_exact(void **state)
{
	int tries = 0;

	signal(SIGPIPE, SIG_IGN);
	while (!stalled_exact_once())
		if (++tries == 5)
			fail_msg("no write was cut half-way in 5 runs: the case was not tested");
}

/* A pseudo-terminal: returns its slave, *master gets the master (non-blocking, for reads). */
static int open_pty(int *master)
{
	int slave;

	*master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(*master >= 0);
	assert_int_equal(grantpt(*master), 0);
	assert_int_equal(unlockpt(*master), 0);
	slave = open(ptsname(*master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(slave >= 0);
	assert_int_equal(fcntl(*master, F_SETFL, O_NONBLOCK), 0);
	return slave;
}

/* The newlines left to read on a pty master (its slave closed): the lines it got. */
static size_t drain_pty_lines(int master)
{
	size_t lines = 0;
	char buf[4096];
	ssize_t n, i;

	while ((n = read(master, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++)
			lines += buf[i] == '\n';
	return lines;
}

/*
 * stdout on a terminal that hangs up (an ssh connection dropped: the pty
 * master closed): every write fails with EIO from then on, for good. That is
 * a reader that has gone, as EPIPE on a pipe (the caller ends the run then);
 * it was counted as an ordinary error and `sockwatch events` ran on forever.
 */
static void test_stdout_tty_hangup_gone(void **state)
{
	struct sw_sink_opts o = opts_seq();
	struct sw_sink_stats st;
	struct sw_sink *s;
	int master, saved;

	saved = stdout_to(open_pty(&master));
	s = sink_open("stdout", &o);
	close(master); /* the terminal hangs up */
	submit_seqs_may_drop(s, 0, 2);
	sw_sink_kick(s);
	assert_int_equal(sw_sink_close_stats(s, &st), 0);
	stdout_restore(saved);
	assert_true(st.errors >= 1);
	assert_int_equal(st.written, 0);
	assert_int_equal(st.dropped, 3);
	assert_true(st.gone >= 1);
}

/*
 * stdout on a terminal nobody reads (a window that froze, a pty master never
 * read): the writer is cancelled at close. The count must say what the
 * terminal got, as for a stalled pipe: a terminal was written with blocking
 * writes, and the write cancelled inside write(2) lost its count (0 written
 * while the terminal held some 100 lines).
 */
static void test_stdout_tty_stalled_exact(void **state)
{
	struct sw_sink_opts o = { .format = fmt_fixed };
	struct closer c;
	struct sw_sink *s;
	int master, saved;
	size_t lines;

	saved = stdout_to(open_pty(&master));
	s = sink_open("stdout", &o);
	submit_seqs_may_drop(s, 1, 3000);
	/* the writer has begun (a thread kept off the CPU must not make this a
	 * test of nothing), and is then stuck with the terminal full */
	assert_int_equal(poll(&(struct pollfd){ .fd = master, .events = POLLIN }, 1, 10000), 1);
	usleep(200000);
	close_within(&c, s, 15, unblock_close, &master);
	stdout_restore(saved); /* the slave's last descriptor: the master reads to the end */
	lines = drain_pty_lines(master);
	close(master);
	assert_int_equal(c.err, -ETIMEDOUT);
	if (c.st.written != lines)
		fail_msg("%llu written, but the terminal got %zu lines", c.st.written, lines);
	assert_true(lines > 0 && lines < 3000);
	assert_int_equal(c.st.written + c.st.dropped, 3000);
}

struct write_job {
	pthread_t thread;
	int fd;
	enum sw_fd_kind kind;
	const char *buf;
	size_t len, off;
};

static void *write_job_run(void *arg)
{
	struct write_job *j = arg;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL); /* as the sink's writer */
	sw_write_all(j->fd, j->kind, j->buf, j->len, &j->off);
	return NULL;
}

/*
 * sw_write_all() on each kind of descriptor a reader can stall: cancelled
 * while it waits, after the reader took some, its offset is exactly what
 * the reader can get. A shared pipe (SW_FD_PIPE, where /proc cannot give a
 * description of our own), one of our own with O_NONBLOCK, a socket.
 */
static void test_write_all_cancel_exact(void **state)
{
	static const enum sw_fd_kind kinds[] = { SW_FD_PIPE, SW_FD_NONBLOCK, SW_FD_SOCKET };
	static char data[256 * 1024], buf[10000];
	struct write_job j;
	size_t got;
	int fds[2], k;

	signal(SIGPIPE, SIG_IGN);
	memset(data, 'x', sizeof(data));
	for (k = 0; k < 3; k++) {
		if (kinds[k] == SW_FD_SOCKET)
			assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
		else
			assert_int_equal(pipe(fds), 0);
		if (kinds[k] == SW_FD_NONBLOCK)
			assert_int_equal(fcntl(fds[1], F_SETFL, O_NONBLOCK), 0);
		j = (struct write_job){
			.fd = fds[1], .kind = kinds[k], .buf = data, .len = sizeof(data)
		};
		assert_int_equal(pthread_create(&j.thread, NULL, write_job_run, &j), 0);
		/* full: the writer waits (how soon it gets there is the scheduler's) */
		wait_queued(fds[0], sizeof(buf) - 1);
		usleep(100000);
		assert_int_equal(read(fds[0], buf, sizeof(buf)), sizeof(buf));
		usleep(100000); /* some more went in, and it waits again */
		pthread_cancel(j.thread);
		pthread_join(j.thread, NULL);
		close(fds[1]);
		got = sizeof(buf) + drain_pipe(fds[0]);
		close(fds[0]);
		if (j.off != got)
			fail_msg("kind %d: offset %zu, but the reader got %zu bytes", kinds[k],
				 j.off, got);
		assert_true(got > sizeof(buf) && got < sizeof(data));
	}
}

/* ---- syslog over local sockets ---- */

static int listen_on(int type, unsigned short *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, type, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	if (type == SOCK_STREAM)
		assert_int_equal(listen(fd, 4), 0);
	getsockname(fd, (struct sockaddr *)&a, &len);
	*port = ntohs(a.sin_port);
	return fd;
}

/* A syslog receiver on the loopback (listening, for SOCK_STREAM), and the spec of a sink for it. */
struct receiver {
	int lfd;
	unsigned short port;
	char spec[64];
};

static void receiver_start(struct receiver *rx, int type)
{
	rx->lfd = listen_on(type, &rx->port);
	snprintf(rx->spec, sizeof(rx->spec), "syslog+%s://127.0.0.1:%u",
		 type == SOCK_STREAM ? "tcp" : "udp", rx->port);
}

/* A connection accepted on lfd (or -1), its reads bounded by tv. */
static int accept_timed(int lfd, const struct timeval *tv)
{
	int c = accept(lfd, NULL, NULL);

	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, tv, sizeof(*tv));
	return c;
}

/* A TCP syslog sink on a loopback port where nobody listens: every connect is refused. */
static struct sw_sink *open_refused_tcp(const struct sw_sink_opts *o)
{
	struct receiver rx;

	receiver_start(&rx, SOCK_STREAM);
	close(rx.lfd);
	return sink_open(rx.spec, o);
}

/* Submits sample() records with seq first..last: the sink must take each one. */
static void submit_samples(struct sw_sink *s, unsigned long long first, unsigned long long last)
{
	struct sw_record r;

	for (unsigned long long seq = first; seq <= last; seq++) {
		r = sample();
		r.seq = seq;
		assert_int_equal(sw_sink_submit(s, &r), 0);
	}
}

static void test_syslog_udp(void **state)
{
	struct sw_sink_opts o = opts_seq();
	char buf[2048], want[64];
	struct receiver rx;
	struct sw_record r;
	struct sw_sink *s;
	ssize_t n;
	int i;

	receiver_start(&rx, SOCK_DGRAM);
	s = sink_open(rx.spec, &o);
	for (i = 0; i < 3; i++) {
		r = sample();
		r.seq = i;
		sw_sink_submit(s, &r);
	}
	assert_int_equal(sw_sink_close(s), 0);
	for (i = 0; i < 3; i++) {
		n = recv(rx.lfd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		assert_true(n > 0);
		buf[n] = '\0';
		assert_true(!strncmp(buf, "<30>1 2026-11-26T09:18:58.123456Z ", 34));
		snprintf(want, sizeof(want), "] {\"seq\":%d}", i);
		assert_string_equal(buf + n - strlen(want), want);
	}
	close(rx.lfd);
}

/* Reads one "LEN SP MSG" frame from a stream socket. */
static int read_frame(int fd, char *msg, size_t size)
{
	size_t len = 0, got = 0;
	char c;
	ssize_t n;

	for (;;) {
		if (recv(fd, &c, 1, MSG_WAITALL) != 1)
			return -1;
		if (c == ' ')
			break;
		assert_true(c >= '0' && c <= '9');
		len = len * 10 + (c - '0');
	}
	assert_true(len < size);
	while (got < len) {
		n = recv(fd, msg + got, len - got, 0);
		if (n <= 0)
			return -1;
		got += n;
	}
	msg[len] = '\0';
	return len;
}

static void test_syslog_tcp_reconnect(void **state)
{
	struct sw_sink_opts o = opts_seq();
	struct timeval tv = { 5, 0 };
	char msg[2048], want[64];
	struct sw_sink_stats st;
	struct receiver rx;
	struct sw_record r;
	struct sw_sink *s;
	int c, i;

	receiver_start(&rx, SOCK_STREAM);
	s = sink_open(rx.spec, &o);
	r = sample();
	r.seq = 0;
	sw_sink_submit(s, &r);
	c = accept_timed(rx.lfd, &tv);
	assert_true(read_frame(c, msg, sizeof(msg)) > 0);
	assert_non_null(strstr(msg, "] {\"seq\":0}"));
	close(c); /* the receiver goes away */
	usleep(50000);

	for (i = 1; i <= 3; i++) {
		r = sample();
		r.seq = i;
		sw_sink_submit(s, &r);
	}
	c = accept_timed(rx.lfd, &tv);
	for (i = 1; i <= 3; i++) {
		assert_true(read_frame(c, msg, sizeof(msg)) > 0);
		snprintf(want, sizeof(want), "] {\"seq\":%d}", i);
		assert_string_equal(msg + strlen(msg) - strlen(want), want);
	}
	assert_int_equal(sw_sink_close_stats(s, &st), 0);
	assert_int_equal(st.reconnects, 1);
	assert_int_equal(st.written, 4);
	close(c);
	close(rx.lfd);
}

/* What a stream receiver got, NUL-terminated for sscanf(). */
struct bytes {
	char *buf;
	size_t len, cap;
};

static void bytes_add(struct bytes *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = 2 * (b->len + n + 1);
		b->buf = realloc(b->buf, b->cap);
		assert_non_null(b->buf);
	}
	memcpy(b->buf + b->len, p, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

/*
 * Feeds the fmt_seq() records in RFC 6587 frames to c; a frame cut at the
 * end (the connection died in it) is left out. Returns how many whole
 * frames there were.
 */
static unsigned long long check_frames(struct seq_check *c, const struct bytes *b)
{
	unsigned long long frames = 0, seq, n;
	size_t off = 0, len;
	const char *p, *json;

	while (off < b->len) {
		len = 0;
		for (p = b->buf + off; p < b->buf + b->len && *p >= '0' && *p <= '9'; p++)
			len = len * 10 + (*p - '0');
		if (p == b->buf + b->len || p + 1 + len > b->buf + b->len)
			break; /* cut */
		assert_true(*p == ' ' && len > 0);
		json = memmem(p + 1, len, "] {\"seq\":", 9);
		if (!json)
			fail_msg("a frame without a record: \"%.*s\"", (int)len, p + 1);
		json += 2;
		if (sscanf(json, "{\"seq\":%llu,\"event\":\"lost\",\"lost\":%llu,", &seq, &n) == 2)
			seq_check_lost(c, seq, n);
		else if (sscanf(json, "{\"seq\":%llu}", &seq) == 1)
			seq_check_record(c, seq);
		else
			fail_msg("bad frame \"%.*s\"", (int)len, p + 1);
		frames++;
		off = p + 1 + len - b->buf;
	}
	return frames;
}

struct stream_reader {
	pthread_t thread;
	int fd;
	struct bytes got;
};

static void *stream_reader_run(void *arg)
{
	struct stream_reader *sr = arg;
	char buf[65536];
	ssize_t n;

	while ((n = recv(sr->fd, buf, sizeof(buf), 0)) > 0)
		bytes_add(&sr->got, buf, n);
	return NULL;
}

/*
 * A TCP receiver that reads slowly, then dies (its unread data makes its
 * kernel reset the connection), and is restarted. What the dead one's
 * kernel never acknowledged was counted as written when send() took it: it
 * must count as dropped, and the restarted receiver gets a lost record for
 * it, with its exact size. The dead receiver's own kernel buffer (what it
 * acknowledged but never read) is the part no sender can know about: the
 * test peeks at it before the "crash" and counts it as received.
 */
static void test_syslog_tcp_in_flight_lost(void **state)
{
	struct sw_sink_opts o = opts_seq();
	struct timeval tv = { 10, 0 };
	struct stream_reader sr = { 0 };
	struct bytes first = { 0 };
	int rcvbuf = 65536, c, i, queued, prev = -1, stable = 0;
	unsigned long long frames;
	struct seq_check chk;
	struct fixed_log log;
	struct sw_sink_stats st;
	struct receiver rx;
	struct sw_sink *s;
	char buf[4096];
	ssize_t n;
	const int n1 = 10000, n2 = 100;

	signal(SIGPIPE, SIG_IGN);
	receiver_start(&rx, SOCK_STREAM);
	setsockopt(rx.lfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(rx.lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)); /* bounds accept() */
	s = sink_open(rx.spec, &o);
	submit_samples(s, 1, n1);
	c = accept(rx.lfd, NULL, NULL);
	assert_true(c >= 0);
	for (i = 0; i < 100; i++) { /* a slow reader: 400 KiB in 0.2 s and more */
		n = recv(c, buf, sizeof(buf), 0);
		assert_true(n > 0);
		bytes_add(&first, buf, n);
		usleep(2000);
	}
	/* it stops reading: once its buffer is full nothing more comes (zero window) */
	while (stable < 5) {
		usleep(20000);
		assert_int_equal(ioctl(c, FIONREAD, &queued), 0);
		stable = queued == prev ? stable + 1 : 0;
		prev = queued;
	}
	/* what its kernel holds, acknowledged and never to be read; then it is killed */
	if (queued > 0) {
		char *peek = malloc(queued);

		assert_non_null(peek);
		n = recv(c, peek, queued, MSG_PEEK | MSG_DONTWAIT);
		assert_int_equal(n, queued);
		bytes_add(&first, peek, n);
		free(peek);
	}
	close(c); /* unread data: a reset */
	submit_samples(s, n1 + 1, n1 + n2);

	/* restarted: the sink reconnects (after its back-off) */
	sr.fd = accept(rx.lfd, NULL, NULL);
	assert_true(sr.fd >= 0);
	assert_int_equal(pthread_create(&sr.thread, NULL, stream_reader_run, &sr), 0);
	assert_int_equal(sw_sink_close_stats(s, &st), 0);
	pthread_join(sr.thread, NULL);
	close(sr.fd);
	close(rx.lfd);

	seq_check_start(&chk, 1, &log);
	frames = check_frames(&chk, &first);
	frames += check_frames(&chk, &sr.got);
	seq_check_end(&chk, n1 + n2 + 1);
	free(first.buf);
	free(sr.got.buf);
	if (!log.lost)
		fail_msg("nothing was in flight when the receiver died: the test proves nothing");
	assert_int_equal(log.records + log.lost, n1 + n2);
	assert_int_equal(st.dropped, log.lost);
	assert_int_equal(st.written, frames);
	assert_int_equal(st.written + st.dropped, n1 + n2 + log.lost_lines);
	assert_true(st.reconnects >= 1);
}

/* A host given by name is looked up (on a thread of its own) and connected to. */
static void test_syslog_tcp_by_name(void **state)
{
	struct sw_sink_opts o = opts_seq();
	struct timeval tv = { 5, 0 };
	char spec[64], msg[2048];
	struct sw_sink_stats st;
	struct sw_record r = sample();
	struct receiver rx;
	struct sw_sink *s;
	int c;

	receiver_start(&rx, SOCK_STREAM);
	snprintf(spec, sizeof(spec), "syslog+tcp://localhost:%u", rx.port);
	s = sink_open(spec, &o);
	sw_sink_submit(s, &r);
	setsockopt(rx.lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)); /* bounds accept() */
	c = accept_timed(rx.lfd, &tv);
	assert_true(c >= 0);
	assert_true(read_frame(c, msg, sizeof(msg)) > 0);
	assert_non_null(strstr(msg, "] {\"seq\":812}"));
	assert_int_equal(sw_sink_close_stats(s, &st), 0);
	assert_int_equal(st.written, 1);
	close(c);
	close(rx.lfd);
}

static void test_close_bounded_when_receiver_down(void **state)
{
	struct sw_sink_opts o = opts_seq();
	struct timespec t0, t1, c0, c1;
	double cpu;
	struct sw_sink_stats st;
	struct sw_sink *s;

	s = open_refused_tcp(&o);
	submit_seqs(s, 0, 4); /* queued, never blocks */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	assert_int_equal(sw_sink_close_stats(s, &st), -ETIMEDOUT);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec <= SW_SINK_DRAIN_MS / 1000 + 1);
	/* the 2 s are spent asleep between connection attempts, not spinning */
	cpu = (c1.tv_sec - c0.tv_sec) + (c1.tv_nsec - c0.tv_nsec) / 1e9;
	if (cpu > 0.3)
		fail_msg("closing used %.2f s of CPU", cpu);
	assert_int_equal(st.dropped, 5);
	assert_int_equal(st.written, 0);
	assert_true(st.errors >= 2);
}

/* The syslog sink's deadline() for the test below: the writer is held in it once. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct sw_sink_ops ops;
	pid_t tid;
	int stage; /* 0: armed, 1: the writer is held, 2: released */
} hook = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

/*
 * Holds the writer the first time it asks for its retry deadline (after the
 * connect failed), and makes every retry wait 20 s long: far longer than
 * the 2 s a stop request gives a sink that cannot write.
 */
static bool deadline_held(struct sw_sink *s, struct timespec *when)
{
	pthread_mutex_lock(&hook.lock);
	if (hook.stage == 0 && atomic_load(&s->errors)) {
		hook.tid = syscall(SYS_gettid);
		hook.stage = 1;
		pthread_cond_broadcast(&hook.cond);
		while (hook.stage < 2)
			pthread_cond_wait(&hook.cond, &hook.lock);
	}
	pthread_mutex_unlock(&hook.lock);
	clock_gettime(CLOCK_MONOTONIC, when);
	when->tv_sec += 20;
	return true;
}

/* 1 if thread tid sleeps in a futex call on addr, 0 if not, -1 if Linux does not say. */
static int asleep_on(pid_t tid, const void *addr)
{
	char path[64], line[512];
	unsigned long nr, arg;
	FILE *f;
	int on;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	on = fgets(line, sizeof(line), f) && sscanf(line, "%lu %lx", &nr, &arg) == 2 &&
	     arg == (unsigned long)addr;
	fclose(f);
	return on;
}

static void unblock_none(void *arg)
{
}

/*
 * A stop request that comes after the writer has decided how long its retry
 * wait is, and before it sleeps: the wait must still end by stop_by, not at
 * the backend's retry deadline. The writer is held in deadline() and then
 * by s->lock, which the test holds: it is asleep on the lock in sink_wait()
 * (Linux tells which futex a thread sleeps on), past the place where it
 * looked at stopping, when the request is made.
 */
static void test_stop_before_retry_wait(void **state)
{
	struct sw_sink_opts o = opts_seq();
	bool swapped = false;
	struct sw_sink *s;
	struct closer c;
	double took;
	int i;

	s = open_refused_tcp(&o);
	/* the idle writer sleeps under s->lock's condition: it reads ops again after waking */
	while (!swapped) {
		pthread_mutex_lock(&s->lock);
		if (atomic_load(&s->waiting)) {
			hook.ops = *s->ops;
			hook.ops.deadline = deadline_held;
			s->ops = &hook.ops;
			swapped = true;
		}
		pthread_mutex_unlock(&s->lock);
		usleep(1000);
	}
	submit_seqs(s, 1, 1);
	pthread_mutex_lock(&hook.lock);
	while (hook.stage < 1)
		pthread_cond_wait(&hook.cond, &hook.lock);
	pthread_mutex_unlock(&hook.lock);

	pthread_mutex_lock(&s->lock);
	pthread_mutex_lock(&hook.lock);
	hook.stage = 2;
	pthread_cond_broadcast(&hook.cond);
	pthread_mutex_unlock(&hook.lock);
	for (i = 0; i < 2000 && asleep_on(hook.tid, &s->lock) == 0; i++)
		usleep(1000);
	if (asleep_on(hook.tid, &s->lock) != 1)
		usleep(200000); /* cannot tell: most likely there by now */
	/* the request sw_sink_close() makes, at that moment */
	clock_gettime(CLOCK_MONOTONIC, &s->stop_by);
	sw_timespec_add_ms(&s->stop_by, SW_SINK_DRAIN_MS);
	atomic_store(&s->stopping, true);
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);

	took = close_within(&c, s, 8, unblock_none, NULL);
	assert_true(took < SW_SINK_DRAIN_MS / 1000.0 + 3);
	assert_int_equal(c.err, -ETIMEDOUT);
	assert_int_equal(c.st.dropped, 1);
	assert_int_equal(c.st.written, 0);
}

/* A syslog sink that has not connected yet sleeps until a record comes (it spun). */
static void test_syslog_idle_no_spin(void **state)
{
	struct sw_sink_opts o = opts_seq();
	struct sw_sink *s;
	double cpu;

	s = open_refused_tcp(&o); /* nothing must try to connect while idle either */
	cpu = cpu_seconds();
	usleep(1000000);
	cpu = cpu_seconds() - cpu;
	if (cpu > 0.3)
		fail_msg("an idle syslog sink used %.2f s of CPU in 1 s", cpu);
	assert_int_equal(sw_sink_close(s), 0);
}

static double mono_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/*
 * A receiver on one connection that reads at most chunk bytes every
 * pause_us, for paced_us after it accepted (0: until the end), then as fast
 * as it can.
 */
struct paced_reader {
	pthread_t thread;
	int lfd, fd;
	size_t chunk;
	useconds_t pause_us;
	double paced_s;
	struct bytes got;
};

static void *paced_reader_run(void *arg)
{
	struct paced_reader *pr = arg;
	char *buf = malloc(65536);
	double t0 = 0;
	bool paced = true;
	ssize_t n;

	assert_non_null(buf);
	pr->fd = accept(pr->lfd, NULL, NULL);
	if (pr->paced_s)
		t0 = mono_now();
	while (pr->fd >= 0 && (n = recv(pr->fd, buf, paced ? pr->chunk : 65536, 0)) > 0) {
		bytes_add(&pr->got, buf, n);
		if (pr->paced_s && mono_now() - t0 >= pr->paced_s)
			paced = false;
		if (paced)
			usleep(pr->pause_us);
	}
	free(buf);
	return NULL;
}

static void paced_reader_start(struct paced_reader *pr, int lfd, size_t chunk, useconds_t pause_us,
			       double paced_s)
{
	struct timeval tv = { 10, 0 };

	memset(pr, 0, sizeof(*pr));
	pr->lfd = lfd;
	pr->fd = -1;
	pr->chunk = chunk;
	pr->pause_us = pause_us;
	pr->paced_s = paced_s;
	setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)); /* bounds accept() */
	assert_int_equal(pthread_create(&pr->thread, NULL, paced_reader_run, pr), 0);
}

/* Connections waiting in lfd's backlog, not accepted (lfd is made non-blocking). */
static int pending_conns(int lfd)
{
	int n = 0, c;

	fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);
	while ((c = accept(lfd, NULL, NULL)) >= 0) {
		close(c);
		n++;
	}
	return n;
}

/* Waits for the reader to end; it had one connection, never made again. Closes both. */
static void paced_reader_stop(struct paced_reader *pr)
{
	pthread_join(pr->thread, NULL);
	assert_true(pr->fd >= 0);
	close(pr->fd);
	assert_int_equal(pending_conns(pr->lfd), 0);
	close(pr->lfd);
}

/* The TCP sink's send buffer: SO_SNDBUF 256 KiB, capped at wmem_max, doubled by the kernel. */
static size_t tcp_sndbuf(void)
{
	unsigned long max = 262144;
	FILE *f = fopen("/proc/sys/net/core/wmem_max", "r");

	if (f) {
		if (fscanf(f, "%lu", &max) != 1 || max > 262144)
			max = 262144;
		fclose(f);
	}
	return 2 * max;
}

/*
 * A live receiver that reads slowly but steadily (2.5 KB every 50 ms, never
 * a second without reading) while a burst fills the send buffer, for 4 s,
 * then fast (so that the test does not take 15 s). Its kernel acknowledges
 * what it reads in steps of some 90 KB (a window update), here every ~1.8 s,
 * and a blocked sender is woken only once a third of the buffer (170 KB) is
 * free: judged by a blocking send's 1 s time-out it looked dead, and its
 * connection was reset with ~2,000 records it would have taken. Judged by
 * its progress, it gets every record, on one connection.
 */
static void test_syslog_tcp_slow_reader(void **state)
{
	struct sw_sink_opts o = opts_seq();
	struct paced_reader pr;
	struct seq_check chk;
	struct fixed_log log;
	struct sw_sink_stats st;
	struct receiver rx;
	struct sw_sink *s;
	int i;
	const int n = 3000; /* ~690 KB */

	signal(SIGPIPE, SIG_IGN);
	receiver_start(&rx, SOCK_STREAM);
	paced_reader_start(&pr, rx.lfd, 2500, 50000, 4.0);
	s = sink_open(rx.spec, &o);
	submit_samples(s, 1, n);
	/* every record taken by the kernel (or dropped) before the stop: the drain is not the point */
	for (i = 0; i < 3000; i++) {
		sw_sink_stats(s, &st);
		if (st.written + st.dropped >= (unsigned long long)n)
			break;
		usleep(10000);
	}
	assert_int_equal(sw_sink_close_stats(s, &st), 0);
	paced_reader_stop(&pr);
	if (st.dropped || st.errors || st.reconnects)
		fail_msg("%llu written, %llu dropped, %llu errors, %llu reconnects", st.written,
			 st.dropped, st.errors, st.reconnects);

	if (pr.got.len < tcp_sndbuf() + 65536)
		fail_msg("%zu bytes did not fill the %zu-byte send buffer: the test proves nothing",
			 pr.got.len, tcp_sndbuf());
	seq_check_start(&chk, 1, &log);
	assert_int_equal(check_frames(&chk, &pr.got), n);
	seq_check_end(&chk, n + 1);
	free(pr.got.buf);
	assert_int_equal(log.records, n);
	assert_int_equal(log.lost_lines, 0);
	assert_int_equal(st.written, n);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.errors, 0);
	assert_int_equal(st.reconnects, 0);
}

/*
 * A receiver that accepts and never reads, a burst of ~7 MB queued, then the
 * stop. It used to be: the send timed out, the connection was reset and a
 * new one made, which only filled fresh buffers (~600 KB) that the receiver
 * never read, and every record written that way moved the give-up time on:
 * the exit waited 1.1 s more per connection. Now the sink gives up on the
 * receiver 2 s after its last progress (SW_SINK_DRAIN_MS), within the
 * drain's cap (SW_SINK_DRAIN_MAX_MS, 3 s; asserted with 2 s of slack): the
 * connection is reset, what it did not acknowledge counted as dropped, and
 * none is made again. Every record is either written (acknowledged by the
 * receiver's kernel: the test reads them there afterwards) or dropped.
 */
/* A receiver that accepts every connection and reads nothing (until the test does). */
struct hoarder {
	pthread_t thread;
	int lfd, n;
	int fd[16];
	atomic_bool stop;
};

static void *hoarder_run(void *arg)
{
	struct hoarder *h = arg;
	int c;

	while (!atomic_load(&h->stop) && h->n < 16) {
		c = accept(h->lfd, NULL, NULL); /* lfd's SO_RCVTIMEO: 100 ms */
		if (c >= 0)
			h->fd[h->n++] = c;
	}
	return NULL;
}

static void never_read_close(bool receiver_leaves)
{
	struct sw_sink_opts o = opts_seq();
	struct seq_check chk;
	struct fixed_log log;
	struct hoarder h = { 0 };
	struct bytes got = { 0 };
	struct timeval tv = { 0, 100000 };
	struct receiver rx;
	struct sw_sink *s;
	struct closer c;
	char buf[65536];
	double took, t0;
	ssize_t got_n;
	const int n = 30000;

	signal(SIGPIPE, SIG_IGN);
	o.queue_len = n;
	receiver_start(&rx, SOCK_STREAM);
	setsockopt(rx.lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	h.lfd = rx.lfd;
	assert_int_equal(pthread_create(&h.thread, NULL, hoarder_run, &h), 0);
	s = sink_open(rx.spec, &o);
	submit_samples(s, 1, n);
	/* stopped at once: the connection fills and stalls while the sink stops */
	if (receiver_leaves) {
		c.s = s;
		t0 = mono_now();
		assert_int_equal(pthread_create(&c.thread, NULL, closer_run, &c), 0);
		while (!h.n)
			usleep(10000);
		usleep(300000);
		close(h.fd[0]); /* with unread data: a reset, while the sink stops */
		h.fd[0] = -1;
		pthread_join(c.thread, NULL);
		took = mono_now() - t0;
	} else {
		took = close_within(&c, s, 20, unblock_none, NULL);
	}
	if (took >= SW_SINK_DRAIN_MAX_MS / 1000.0 + 2)
		fail_msg("closing took %.2f s (drain cap %d ms)", took, SW_SINK_DRAIN_MAX_MS);
	assert_int_equal(c.err, -ETIMEDOUT);
	assert_int_equal(c.st.reconnects, 0);
	/* given up on at the drain's end: no send failed; or the one that found it gone */
	assert_true(c.st.errors <= (receiver_leaves ? 1u : 0u));
	assert_true(c.st.dropped > 0);
	assert_int_equal(c.st.written + c.st.dropped, n); /* no lost record was written */

	atomic_store(&h.stop, true);
	pthread_join(h.thread, NULL);
	assert_int_equal(pending_conns(rx.lfd), 0);
	close(rx.lfd);
	assert_int_equal(h.n, 1); /* no second connection */
	if (receiver_leaves)
		return;
	/* what the receiver's kernel acknowledged is still there to read: the written ones */
	while ((got_n = recv(h.fd[0], buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		bytes_add(&got, buf, got_n);
	close(h.fd[0]);
	seq_check_start(&chk, 1, &log);
	assert_int_equal(check_frames(&chk, &got), c.st.written);
	free(got.buf);
	assert_int_equal(log.lost_lines, 0);
}

static void test_syslog_tcp_never_read_close_bounded(void **state)
{
	never_read_close(false);
}

/*
 * The same receiver goes away (a reset) while the sink stops: the sink
 * connected again at once and filled a fresh connection; now no connection
 * is made once one has failed during the stop, and its records are dropped.
 */
static void test_syslog_tcp_no_reconnect_when_stopping(void **state)
{
	never_read_close(true);
}

/*
 * A receiver that takes records steadily (64 KB every 50 ms), stopped with a
 * backlog it would need ~10 s to take: each record written used to move the
 * give-up time on, so the close waited for all of it. The drain of a syslog
 * sink is capped at SW_SINK_DRAIN_MAX_MS, progress or not; the connection is
 * then reset (no error counted), what its receiver had not acknowledged
 * counted dropped, so every record counted as written reaches the receiver,
 * and the rest are dropped.
 */
static void test_syslog_tcp_drain_capped(void **state)
{
	struct sw_sink_opts o = opts_seq();
	struct paced_reader pr;
	struct seq_check chk;
	struct fixed_log log;
	struct receiver rx;
	struct sw_sink *s;
	struct closer c;
	unsigned long long got;
	double took;
	const int n = 60000; /* ~14 MB */

	signal(SIGPIPE, SIG_IGN);
	o.queue_len = n;
	receiver_start(&rx, SOCK_STREAM);
	paced_reader_start(&pr, rx.lfd, 65536, 50000, 0);
	s = sink_open(rx.spec, &o);
	submit_samples(s, 1, n);
	took = close_within(&c, s, 30, unblock_none, NULL);
	paced_reader_stop(&pr);
	if (took >= SW_SINK_DRAIN_MAX_MS / 1000.0 + 2)
		fail_msg("closing took %.2f s (drain cap %d ms)", took, SW_SINK_DRAIN_MAX_MS);
	assert_int_equal(c.err, -ETIMEDOUT);
	assert_int_equal(c.st.errors, 0);
	assert_int_equal(c.st.reconnects, 0);
	assert_true(c.st.dropped > 0);
	assert_true(c.st.written > 0);
	assert_int_equal(c.st.written + c.st.dropped, n);
	/*
	 * Records 1..written at least, whole, in order (a frame cut by the cap
	 * at the end does not count). Perhaps a few more: the kernel may still
	 * send some as the reader makes room between the sink's look at the
	 * send queue and its reset, and those were counted dropped. Never
	 * fewer: a record counted written was acknowledged.
	 */
	seq_check_start(&chk, 1, &log);
	got = check_frames(&chk, &pr.got);
	if (got < c.st.written || got > n)
		fail_msg("%llu whole records arrived, %llu counted written", got,
			 (unsigned long long)c.st.written);
	free(pr.got.buf);
	assert_int_equal(log.lost_lines, 0);
}

/*
 * SIGHUP reopens the connection on purpose: that is not a reconnect after a
 * failure, and is not counted as one (400 HUPs made 399 reconnects). A
 * receiver that had gone when the HUP came is still counted.
 */
static void test_syslog_tcp_reopen_not_reconnect(void **state)
{
	struct sw_sink_opts o = opts_seq();
	struct timeval tv = { 5, 0 };
	char msg[2048], want[64];
	struct sw_sink_stats st;
	struct receiver rx;
	struct sw_sink *s;
	int c, i, prev = -1;

	signal(SIGPIPE, SIG_IGN);
	receiver_start(&rx, SOCK_STREAM);
	setsockopt(rx.lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)); /* bounds accept() */
	s = sink_open(rx.spec, &o);
	for (i = 1; i <= 5; i++) {
		if (i > 1)
			sw_sink_reopen(s);
		submit_samples(s, i, i);
		c = accept_timed(rx.lfd, &tv); /* each reopen is a new connection */
		assert_true(c >= 0);
		assert_true(read_frame(c, msg, sizeof(msg)) > 0);
		snprintf(want, sizeof(want), "] {\"seq\":%d}", i);
		assert_string_equal(msg + strlen(msg) - strlen(want), want);
		if (prev >= 0)
			close(prev); /* the receiver lets go of the old one once it has the new one */
		prev = c;
		if (i == 4) {
			sw_sink_stats(s, &st);
			assert_int_equal(st.reconnects, 0); /* after 3 reopens */
			close(c); /* this receiver goes away before the next HUP */
			prev = -1;
			usleep(100000);
		}
	}
	assert_int_equal(sw_sink_close_stats(s, &st), 0);
	close(prev);
	close(rx.lfd);
	assert_int_equal(st.written, 5);
	assert_int_equal(st.errors, 0);
	assert_int_equal(st.reconnects, 1); /* the connection whose receiver had gone */
}

static void test_syslog_unix(void **state)
{
	struct sw_sink_opts o = opts_seq();
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char spec[PATH_MAX + 16], buf[2048], want[128];
	struct sw_record r = sample();
	struct sw_sink *s;
	ssize_t n;
	int fd;

	tpath(sun.sun_path, sizeof(sun.sun_path), "log.sock");
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	snprintf(spec, sizeof(spec), "syslog+unix:%s", sun.sun_path);
	o.app_name = "sw test"; /* the space is not allowed and becomes '_' */
	s = sink_open(spec, &o);
	sw_sink_submit(s, &r);
	assert_int_equal(sw_sink_close(s), 0);
	n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_true(!strncmp(buf, "<30>Nov ", 8));
	snprintf(want, sizeof(want), " sw_test[%d]: {\"seq\":812}", getpid());
	assert_string_equal(buf + n - strlen(want), want);
	close(fd);

	/* not a socket: refused at open */
	assert_int_equal(sw_sink_open("syslog+unix:/dev/null", &o, &s), -ENOTSOCK);
}

/* Reads one NUL-terminated message from a stream socket; its length, or -1. */
static int read_nul_message(int fd, char *msg, size_t size)
{
	size_t len = 0;
	char c;

	for (;;) {
		if (recv(fd, &c, 1, MSG_WAITALL) != 1)
			return -1;
		if (!c)
			break;
		assert_true(len + 1 < size);
		msg[len++] = c;
	}
	msg[len] = '\0';
	return len;
}

/*
 * A stream listener at the path (syslog-ng's unix-stream(), /dev/log in some
 * containers): a datagram socket is refused there (EPROTOTYPE), so the sink
 * connects a stream and ends each message with a NUL, as syslog(3) does. A
 * receiver that goes away is noticed, and the records after it go to the
 * one that takes its place.
 */
static void test_syslog_unix_stream(void **state)
{
	struct sw_sink_opts o = opts_seq();
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { 5, 0 };
	char spec[PATH_MAX + 16], msg[2048], want[128];
	struct sw_sink_stats st;
	struct sw_sink *s;
	int lfd, c, i, round;

	tpath(sun.sun_path, sizeof(sun.sun_path), "stream.sock");
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)); /* bounds accept() */
	snprintf(spec, sizeof(spec), "syslog+unix:%s", sun.sun_path);
	s = sink_open(spec, &o);
	for (round = 0; round < 2; round++) {
		submit_samples(s, 3 * round + 1, 3 * round + 3);
		c = accept_timed(lfd, &tv);
		if (c < 0) {
			sw_sink_close_stats(s, &st);
			fail_msg("no stream connection in round %d (%llu written, %llu dropped, "
				 "%llu errors)",
				 round, st.written, st.dropped, st.errors);
		}
		for (i = 1; i <= 3; i++) {
			assert_true(read_nul_message(c, msg, sizeof(msg)) > 0);
			assert_true(!strncmp(msg, "<30>Nov ", 8));
			snprintf(want, sizeof(want), " sockwatch[%d]: {\"seq\":%d}", getpid(),
				 3 * round + i);
			assert_string_equal(msg + strlen(msg) - strlen(want), want);
		}
		if (!round)
			close(c); /* the receiver restarts */
	}
	assert_int_equal(sw_sink_close_stats(s, &st), 0);
	assert_int_equal(recv(c, msg, 1, 0), 0); /* nothing else, then the end */
	close(c);
	close(lfd);
	assert_int_equal(st.written, 6);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.errors, 0);
	assert_int_equal(st.reconnects, 1);
}

int main(void)
{
	const char *only = getenv("SW_TEST_FILTER"); /* e.g. "test_syslog_tcp_*" */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_good),
		cmocka_unit_test(test_spec_bad),
		cmocka_unit_test(test_spec_unix_path_len),
		cmocka_unit_test(test_open_bad_spec),
		cmocka_unit_test_setup_teardown(test_specs_clash, setup_tmpdir, teardown_tmpdir),
		cmocka_unit_test(test_syslog_5424),
		cmocka_unit_test(test_syslog_5424_v6_and_lost),
		cmocka_unit_test(test_syslog_5424_owner),
		cmocka_unit_test(test_syslog_5424_long_where),
		cmocka_unit_test(test_sd_escape),
		cmocka_unit_test(test_syslog_local),
		cmocka_unit_test(test_octet_prefix),
		cmocka_unit_test_setup_teardown(test_queue_full_lost_record, setup_tmpdir,
						teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_queue_capacity_in_chunks, setup_tmpdir,
						teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_queue_reuses_chunks, setup_tmpdir,
						teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_lost_record_at_close, setup_tmpdir,
						teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_file_rotation, setup_tmpdir, teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_file_rotation_keep, setup_tmpdir,
						teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_file_rotation_install_fails, setup_tmpdir,
						teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_file_rotation_install_backoff, setup_tmpdir,
						teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_file_rotation_interval, setup_tmpdir,
						teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_file_rotation_rename_fails, setup_tmpdir,
						teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_file_rotation_reopen_fails, setup_tmpdir,
						teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_file_rotation_path_deleted, setup_tmpdir,
						teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_file_rotation_path_replaced, setup_tmpdir,
						teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_file_rotation_truncated, setup_tmpdir,
						teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_file_second_writer, setup_tmpdir,
						teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_file_nofollow, setup_tmpdir, teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_file_mode_append, setup_tmpdir,
						teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_file_foreign_cut_line, setup_tmpdir,
						teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_file_reopen, setup_tmpdir, teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_file_open_fails_one_error, setup_tmpdir,
						teardown_tmpdir),
		cmocka_unit_test(test_file_dev_full),
		cmocka_unit_test_setup_teardown(test_file_partial_write, setup_tmpdir,
						teardown_fsize),
		cmocka_unit_test_setup_teardown(test_file_partial_write_reopen, setup_tmpdir,
						teardown_fsize),
		cmocka_unit_test_setup_teardown(test_file_partial_write_reopen_later, setup_tmpdir,
						teardown_fsize),
		cmocka_unit_test_setup_teardown(test_file_lost_before_next, setup_tmpdir,
						teardown_fsize),
		cmocka_unit_test_setup_teardown(test_file_lost_before_next_rotating, setup_tmpdir,
						teardown_fsize),
		cmocka_unit_test_setup_teardown(test_file_fifo_stalled_close, setup_tmpdir,
						teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_file_fifo_reader_gone, setup_tmpdir,
						teardown_tmpdir),
		cmocka_unit_test(test_stdout_epipe),
		cmocka_unit_test_setup_teardown(test_stdout_nonblocking, setup_tmpdir,
						teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_close_during_flush, setup_tmpdir,
						teardown_tmpdir),
		cmocka_unit_test(test_stdout_stalled_counts),
		cmocka_unit_test(test_stdout_stalled_exact),
		cmocka_unit_test(test_stdout_tty_hangup_gone),
		cmocka_unit_test(test_stdout_tty_stalled_exact),
		cmocka_unit_test(test_write_all_cancel_exact),
		cmocka_unit_test(test_syslog_udp),
		cmocka_unit_test(test_syslog_tcp_reconnect),
		cmocka_unit_test(test_syslog_tcp_in_flight_lost),
		cmocka_unit_test(test_syslog_tcp_by_name),
		cmocka_unit_test(test_syslog_tcp_slow_reader),
		cmocka_unit_test(test_syslog_tcp_never_read_close_bounded),
		cmocka_unit_test(test_syslog_tcp_no_reconnect_when_stopping),
		cmocka_unit_test(test_syslog_tcp_drain_capped),
		cmocka_unit_test(test_syslog_tcp_reopen_not_reconnect),
		cmocka_unit_test(test_close_bounded_when_receiver_down),
		cmocka_unit_test(test_syslog_idle_no_spin),
		cmocka_unit_test(test_stop_before_retry_wait),
		cmocka_unit_test_setup_teardown(test_syslog_unix, setup_tmpdir, teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_syslog_unix_stream, setup_tmpdir,
						teardown_tmpdir),
	};

	if (only)
		cmocka_set_test_filter(only);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
