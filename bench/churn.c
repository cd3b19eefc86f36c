// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* churn: loopback TCP connect/accept/close generator that measures connections per second. */

/*
 * One server thread accepts, reads the client's bytes and closes; one client
 * thread connects, writes, waits for the server's FIN and closes. Every
 * connection is a full three-way handshake and four-way close.
 *
 * The server closes first on purpose: the side that sends the first FIN keeps
 * the 4-tuple in TIME_WAIT. Were it the client, every ephemeral port would sit
 * in TIME_WAIT for 60 s and a long run at 15k+/s would exhaust the ~28k ports
 * (or depend on net.ipv4.tcp_tw_reuse and make connect() scan for a reusable
 * port, which would be measured too). With the server closing first, the
 * TIME_WAIT sockets belong to the listening port; a new SYN from a reused
 * client port is accepted over them (RFC 6191 timestamps), and the client port
 * is free again as soon as its LAST_ACK completes.
 *
 * Exit status: 0 ok, 1 runtime failure, 2 usage error.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4, unshare, CLONE_NEWNET */
#endif
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NSEC_PER_SEC 1000000000LL
#define IO_TIMEOUT_SEC 5 /* no single socket call may block longer than this */
#define WAIT_START_SEC 60 /* --wait-start gives up without a SIGUSR1 after this */
#define MAX_COUNT 1000000000ULL
#define MAX_DURATION 86400.0
#define MAX_RATE 10000000.0
#define MAX_BYTES (1ULL << 30)
#define CHUNK 65536
#define PROGRESS_MS 50 /* --progress sample interval */

struct opts {
	unsigned long long count; /* 0: run for duration */
	double duration;
	double rate; /* 0: as fast as possible */
	unsigned int port; /* 0: ephemeral */
	unsigned long long bytes;
	bool ipv6;
	bool netns;
	bool json;
	const char *wait_start;
	const char *progress; /* --progress FILE: "<realtime ns> <connections>" lines */
};

struct churn {
	const struct opts *o;
	int lfd;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	unsigned int port;
	unsigned long netns_ino;
	atomic_bool stop; /* set by whoever finishes or fails first */
	atomic_bool client_done; /* the client thread returned */
	unsigned long long completed; /* client: full cycles */
	atomic_ullong progress; /* completed, published for the --progress samples */
	unsigned long long accepted; /* server: accepted connections */
	int client_err;
	const char *client_what;
	int server_err;
	const char *server_what;
	struct timespec t0, t1;
};

static char buf[CHUNK];

static long long ts_ns(const struct timespec *ts)
{
	return (long long)ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
}

static struct timespec ns_ts(long long ns)
{
	struct timespec ts = { .tv_sec = ns / NSEC_PER_SEC, .tv_nsec = ns % NSEC_PER_SEC };

	return ts;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts_ns(&ts);
}

/* Start of paced connection i: absolute from the run's start, so no drift. */
static long long slot_ns(long long start, double rate, unsigned long long i)
{
	return start + (long long)(i * NSEC_PER_SEC / rate + 0.5);
}

static void sleep_until(long long ns)
{
	struct timespec ts = ns_ts(ns);

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static int set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_SEC };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return -errno;
	return 0;
}

/* Wake a server blocked in accept(): shutdown of a listener makes accept fail. */
static void stop_all(struct churn *c)
{
	atomic_store(&c->stop, true);
	shutdown(c->lfd, SHUT_RDWR);
}

static int write_all(int fd, unsigned long long n)
{
	while (n) {
		size_t len = n < CHUNK ? n : CHUNK;
		ssize_t r = write(fd, buf, len);

		if (r < 0)
			return -errno;
		n -= r;
	}
	return 0;
}

/* Read exactly n bytes; -EPIPE if the peer closed early. */
static int read_exact(int fd, unsigned long long n)
{
	while (n) {
		size_t len = n < CHUNK ? n : CHUNK;
		ssize_t r = read(fd, buf, len);

		if (r < 0)
			return -errno;
		if (r == 0)
			return -EPIPE;
		n -= r;
	}
	return 0;
}

/* Wait for the peer's FIN; -EPROTO if it sent data instead. */
static int read_eof(int fd)
{
	char b;
	ssize_t r = read(fd, &b, 1);

	if (r < 0)
		return -errno;
	return r == 0 ? 0 : -EPROTO;
}

/* One full cycle on the client side: connect, write, wait for FIN, close. */
static int client_once(struct churn *c, const char **what)
{
	int fd, err;

	*what = "socket";
	fd = socket(c->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = set_timeouts(fd);
	if (err)
		goto out_close;
	*what = "connect";
	if (connect(fd, (struct sockaddr *)&c->addr, c->addrlen)) {
		err = -errno;
		goto out_close;
	}
	*what = "write";
	err = write_all(fd, c->o->bytes);
	if (err)
		goto out_close;
	*what = "waiting for the server to close";
	err = read_eof(fd);
out_close:
	close(fd);
	return err;
}

static void *client_main(void *arg)
{
	struct churn *c = arg;
	const struct opts *o = c->o;
	long long start = ts_ns(&c->t0);
	long long end = start + (long long)(o->duration * NSEC_PER_SEC);
	unsigned long long started = 0;
	int err = 0;

	while (!atomic_load(&c->stop)) {
		if (o->count ? c->completed >= o->count : now_ns() >= end)
			break;
		if (o->rate > 0) {
			long long deadline = slot_ns(start, o->rate, started);

			if (!o->count && deadline >= end)
				break;
			sleep_until(deadline);
		}
		started++;
		err = client_once(c, &c->client_what);
		if (err)
			break;
		c->completed++;
		atomic_store_explicit(&c->progress, c->completed, memory_order_relaxed);
	}
	/* A paced run lasts until the end of its last slot, so rate = count / elapsed. */
	if (o->rate > 0 && !err && !atomic_load(&c->stop))
		sleep_until(slot_ns(start, o->rate, started));
	clock_gettime(CLOCK_MONOTONIC, &c->t1);
	c->client_err = err;
	atomic_store(&c->client_done, true);
	stop_all(c);
	return NULL;
}

static void *server_main(void *arg)
{
	struct churn *c = arg;
	int err = 0;

	for (;;) {
		int fd = accept4(c->lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			err = -errno;
			if (atomic_load(&c->stop)) {
				err = 0;
				break;
			}
			if (err == -EAGAIN || err == -EINTR || err == -ECONNABORTED) {
				err = 0;
				continue;
			}
			c->server_what = "accept";
			break;
		}
		c->accepted++;
		err = set_timeouts(fd);
		if (!err) {
			c->server_what = "read";
			err = read_exact(fd, c->o->bytes);
		}
		/* The server sends the first FIN: see the comment at the top. */
		close(fd);
		if (err)
			break;
	}
	c->server_err = err;
	if (err)
		stop_all(c);
	return NULL;
}

static int lo_up(void)
{
	struct ifreq ifr = { 0 };
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		err = -errno;
		goto out;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr))
		err = -errno;
out:
	close(fd);
	return err;
}

static int enter_netns(unsigned long *ino)
{
	struct stat st;
	int err;

	if (unshare(CLONE_NEWNET))
		return -errno;
	err = lo_up();
	if (err)
		return err;
	if (stat("/proc/self/ns/net", &st))
		return -errno;
	*ino = st.st_ino;
	return 0;
}

static int setup_listener(struct churn *c)
{
	const struct opts *o = c->o;
	struct sockaddr_in *sin = (struct sockaddr_in *)&c->addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&c->addr;
	int one = 1, err;

	memset(&c->addr, 0, sizeof(c->addr));
	if (o->ipv6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_loopback;
		sin6->sin6_port = htons(o->port);
		c->addrlen = sizeof(*sin6);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sin->sin_port = htons(o->port);
		c->addrlen = sizeof(*sin);
	}
	c->lfd = socket(c->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->lfd < 0)
		return -errno;
	if (setsockopt(c->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		return -errno;
	err = set_timeouts(c->lfd);
	if (err)
		return err;
	if (bind(c->lfd, (struct sockaddr *)&c->addr, c->addrlen))
		return -errno;
	if (listen(c->lfd, 128))
		return -errno;
	/* Learn the port the kernel chose for port 0; connect to exactly that. */
	if (getsockname(c->lfd, (struct sockaddr *)&c->addr, &c->addrlen))
		return -errno;
	c->port = ntohs(o->ipv6 ? sin6->sin6_port : sin->sin_port);
	return 0;
}

/*
 * Tell the driver script where we are ("<netns inode> <port>") through a file
 * renamed into place, so it never reads half a line, then wait for SIGUSR1.
 * SIGUSR1 is blocked before the file appears so an early signal is not lost.
 */
static int wait_start(const struct churn *c, const char *path)
{
	struct timespec timeout = { .tv_sec = WAIT_START_SEC };
	char tmp[PATH_MAX];
	sigset_t set;
	FILE *f;
	int sig;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, "%lu %u\n", c->netns_ino, c->port);
	if (fclose(f))
		return -errno;
	if (rename(tmp, path))
		return -errno;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sig = sigtimedwait(&set, NULL, &timeout);
	if (sig < 0)
		return errno == EAGAIN ? -ETIMEDOUT : -errno;
	return sig == SIGUSR1 ? 0 : -ECANCELED;
}

/* One --progress sample: wall-clock time (so a driver script can compare) and the count. */
static void put_progress(struct churn *c, FILE *f)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	fprintf(f, "%lld %llu\n", ts_ns(&now),
		atomic_load_explicit(&c->progress, memory_order_relaxed));
	fflush(f);
}

/*
 * Main thread: wait for the client to finish, turning SIGINT/SIGTERM into a
 * stop; with --progress, sample the connection count every PROGRESS_MS.
 */
static void supervise(struct churn *c, FILE *progress)
{
	long long next = now_ns();
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	while (!atomic_load(&c->client_done)) {
		long long left;
		struct timespec tick;

		if (progress && now_ns() >= next) {
			put_progress(c, progress);
			next += PROGRESS_MS * 1000000LL;
		}
		left = progress ? next - now_ns() : 100 * 1000000LL;
		tick = ns_ts(left > 0 ? left : 0);
		/* Let the client finish its cycle; the 5 s socket timeouts bound that. */
		if (sigtimedwait(&set, NULL, &tick) > 0)
			atomic_store(&c->stop, true);
	}
	if (progress)
		put_progress(c, progress);
}

/* One renderer for both formats: each field is printed by one call. */
static void put_field(bool json, bool *first, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void put_field(bool json, bool *first, const char *key, const char *fmt, ...)
{
	va_list ap;

	if (json)
		printf("%s\"%s\":", *first ? "{" : ",", key);
	else
		printf("%s%s=", *first ? "" : " ", key);
	*first = false;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

static void print_result(const struct churn *c)
{
	const struct opts *o = c->o;
	double elapsed = (ts_ns(&c->t1) - ts_ns(&c->t0)) / (double)NSEC_PER_SEC;
	struct rusage ru;
	bool first = true;
	double cpu;

	getrusage(RUSAGE_SELF, &ru);
	cpu = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	      (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;

	put_field(o->json, &first, "connections", "%llu", c->completed);
	put_field(o->json, &first, "elapsed_s", "%.3f", elapsed);
	put_field(o->json, &first, "conn_per_s", "%.1f", elapsed > 0 ? c->completed / elapsed : 0);
	put_field(o->json, &first, "port", "%u", c->port);
	put_field(o->json, &first, "family", o->json ? "\"%s\"" : "%s", o->ipv6 ? "ipv6" : "ipv4");
	put_field(o->json, &first, "bytes", "%llu", o->bytes);
	put_field(o->json, &first, "target_rate", "%.1f", o->rate);
	put_field(o->json, &first, "cpu_s", "%.3f", cpu);
	if (o->netns)
		put_field(o->json, &first, "netns", "%lu", c->netns_ino);
	printf(o->json ? "}\n" : "\n");
	fflush(stdout);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: churn [--count N | --duration SECS] [--rate R] [--port P] [-6]\n"
		"             [--bytes N] [--netns] [--wait-start FILE] [--progress FILE]\n"
		"             [--json]\n"
		"\n"
		"  --count N         make exactly N connections\n"
		"  --duration SECS   run for SECS seconds (default 5)\n"
		"  --rate R          R connections per second (default: as fast as possible)\n"
		"  --port P          listen on port P (default: an ephemeral port)\n"
		"  -6                use ::1 instead of 127.0.0.1\n"
		"  --bytes N         client writes N bytes per connection (default 0)\n"
		"  --netns           run in a new network namespace; report its inode\n"
		"  --wait-start FILE write \"<netns inode> <port>\" to FILE, start on SIGUSR1\n"
		"  --progress FILE   every 50 ms, append \"<wall-clock ns> <connections>\" to FILE\n"
		"  --json            print the result as one JSON object\n"
		"\n"
		"exit status: 0 ok, 1 runtime failure, 2 usage error\n");
}

static int parse_ull(const char *name, const char *s, unsigned long long min,
		     unsigned long long max, unsigned long long *out)
{
	char *end;

	errno = 0;
	if (*s == '-' || *s == '\0')
		goto bad;
	*out = strtoull(s, &end, 10);
	if (errno || *end || *out < min || *out > max)
		goto bad;
	return 0;
bad:
	fprintf(stderr, "churn: %s must be an integer in [%llu, %llu], got '%s'\n", name, min, max,
		s);
	return -EINVAL;
}

static int parse_double(const char *name, const char *s, double min, double max, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (*s == '\0' || errno || *end || !(*out >= min && *out <= max)) {
		fprintf(stderr, "churn: %s must be a number in [%g, %g], got '%s'\n", name, min,
			max, s);
		return -EINVAL;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	enum {
		OPT_COUNT = 256,
		OPT_DURATION,
		OPT_RATE,
		OPT_PORT,
		OPT_BYTES,
		OPT_NETNS,
		OPT_JSON,
		OPT_WAIT_START,
		OPT_PROGRESS
	};
	static const struct option longopts[] = {
		{ "count", required_argument, NULL, OPT_COUNT },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "rate", required_argument, NULL, OPT_RATE },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "bytes", required_argument, NULL, OPT_BYTES },
		{ "netns", no_argument, NULL, OPT_NETNS },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "wait-start", required_argument, NULL, OPT_WAIT_START },
		{ "progress", required_argument, NULL, OPT_PROGRESS },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool have_duration = false;
	unsigned long long v;
	int opt, err = 0;

	o->duration = 5;
	while ((opt = getopt_long(argc, argv, "6h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_COUNT:
			err = parse_ull("--count", optarg, 1, MAX_COUNT, &o->count);
			break;
		case OPT_DURATION:
			err = parse_double("--duration", optarg, 0.001, MAX_DURATION, &o->duration);
			have_duration = true;
			break;
		case OPT_RATE:
			err = parse_double("--rate", optarg, 1, MAX_RATE, &o->rate);
			break;
		case OPT_PORT:
			err = parse_ull("--port", optarg, 1, 65535, &v);
			o->port = v;
			break;
		case OPT_BYTES:
			err = parse_ull("--bytes", optarg, 0, MAX_BYTES, &o->bytes);
			break;
		case '6':
			o->ipv6 = true;
			break;
		case OPT_NETNS:
			o->netns = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_WAIT_START:
			o->wait_start = optarg;
			break;
		case OPT_PROGRESS:
			o->progress = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
		if (err)
			return err;
	}
	if (optind < argc) {
		fprintf(stderr, "churn: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (o->count && have_duration) {
		fprintf(stderr, "churn: --count and --duration are mutually exclusive\n");
		return -EINVAL;
	}
	return 0;
}

static int run(struct churn *c, FILE *progress)
{
	pthread_t server, client;
	int err;

	err = pthread_create(&server, NULL, server_main, c);
	if (err)
		return -err;
	clock_gettime(CLOCK_MONOTONIC, &c->t0);
	err = pthread_create(&client, NULL, client_main, c);
	if (err) {
		stop_all(c);
		pthread_join(server, NULL);
		return -err;
	}
	supervise(c, progress);
	pthread_join(client, NULL);
	pthread_join(server, NULL);
	if (c->client_err) {
		fprintf(stderr, "churn: client: %s: %s\n", c->client_what,
			strerror(-c->client_err));
		return c->client_err;
	}
	if (c->server_err) {
		fprintf(stderr, "churn: server: %s: %s\n", c->server_what,
			strerror(-c->server_err));
		return c->server_err;
	}
	if (c->accepted != c->completed) {
		fprintf(stderr, "churn: server accepted %llu but client completed %llu\n",
			c->accepted, c->completed);
		return -EPROTO;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct churn c = { .o = &o, .lfd = -1 };
	FILE *progress = NULL;
	sigset_t set;
	int err;

	if (parse_args(argc, argv, &o))
		return 2;

	/* Only the main thread takes signals, and only through sigtimedwait(). */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* Before any thread exists: unshare() changes only the calling thread. */
	if (o.netns) {
		err = enter_netns(&c.netns_ino);
		if (err) {
			fprintf(stderr, "churn: new network namespace: %s\n", strerror(-err));
			return 1;
		}
	}
	err = setup_listener(&c);
	if (err) {
		fprintf(stderr, "churn: listen on %s port %u: %s\n", o.ipv6 ? "::1" : "127.0.0.1",
			o.port, strerror(-err));
		goto out;
	}
	if (o.progress) {
		progress = fopen(o.progress, "we");
		if (!progress) {
			err = -errno;
			fprintf(stderr, "churn: --progress %s: %s\n", o.progress, strerror(-err));
			goto out;
		}
	}
	if (o.wait_start) {
		err = wait_start(&c, o.wait_start);
		if (err) {
			fprintf(stderr, "churn: waiting for SIGUSR1: %s\n", strerror(-err));
			goto out;
		}
	}
	err = run(&c, progress);
	print_result(&c);
out:
	if (progress)
		fclose(progress);
	if (c.lfd >= 0)
		close(c.lfd);
	return err ? 1 : 0;
}
