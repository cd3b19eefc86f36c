// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Benchmark probe for `sockwatch listen`: time from listen() returning to the alert line on sockwatch's stdout. */
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * usage: listen_probe latency COUNT PORT_BASE -- SOCKWATCH ARGS...
 *            starts SOCKWATCH ARGS (which must print JSON lines) with its stdout
 *            on a pipe, waits for its "watching listeners" line on stderr, then
 *            opens COUNT listeners on 127.0.0.1 one at a time; each is closed as
 *            soon as its "listen" line has been read. Prints p50/p99/max in us.
 *        listen_probe short COUNT PORT_BASE LIFE_US GAP_US
 *            opens COUNT listeners that each live LIFE_US, GAP_US apart.
 */

static unsigned long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000UL + ts.tv_nsec;
}

static int open_listener(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, fd;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 16)) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/* Line reader over a pipe. */
struct reader {
	int fd;
	char buf[1 << 16];
	size_t len;
};

/* Returns the next line (NUL-terminated, without newline) or NULL at EOF. */
static char *read_line(struct reader *r)
{
	static char line[1 << 16];
	char *nl;
	ssize_t n;

	for (;;) {
		nl = memchr(r->buf, '\n', r->len);
		if (nl) {
			size_t l = nl - r->buf;

			memcpy(line, r->buf, l);
			line[l] = '\0';
			memmove(r->buf, nl + 1, r->len - l - 1);
			r->len -= l + 1;
			return line;
		}
		if (r->len == sizeof(r->buf))
			r->len = 0; /* absurdly long line: drop it */
		n = read(r->fd, r->buf + r->len, sizeof(r->buf) - r->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
		r->len += n;
	}
}

static int cmp_u64(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

static int latency(int count, int base, char **argv)
{
	int out[2], err[2], status;
	struct reader *ro, *re;
	unsigned long *lat;
	char *line, want[64];
	pid_t pid;

	if (pipe(out) || pipe(err))
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (!pid) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(out[0]);
		close(err[0]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	ro = calloc(1, sizeof(*ro));
	re = calloc(1, sizeof(*re));
	lat = calloc(count, sizeof(*lat));
	if (!ro || !re || !lat)
		return 1;
	ro->fd = out[0];
	re->fd = err[0];
	while ((line = read_line(re)) && !strstr(line, "watching listeners"))
		;
	if (!line) {
		fprintf(stderr, "listen_probe: sockwatch exited before it was ready\n");
		return 1;
	}
	for (int i = 0; i < count; i++) {
		int fd = open_listener(base + i);
		unsigned long t0 = now_ns();

		if (fd < 0) {
			fprintf(stderr, "listen_probe: port %d: %s\n", base + i, strerror(-fd));
			return 1;
		}
		snprintf(want, sizeof(want), "\"lport\":%d,", base + i);
		while ((line = read_line(ro)))
			if (strstr(line, "\"event\":\"listen\"") && strstr(line, want))
				break;
		if (!line) {
			fprintf(stderr, "listen_probe: sockwatch output ended\n");
			return 1;
		}
		lat[i] = now_ns() - t0;
		close(fd);
	}
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	qsort(lat, count, sizeof(*lat), cmp_u64);
	printf("listeners %d  p50 %.1f us  p99 %.1f us  max %.1f us\n", count,
	       lat[count / 2] / 1000.0, lat[(count * 99) / 100] / 1000.0, lat[count - 1] / 1000.0);
	return 0;
}

static int short_lived(int count, int base, long life_us, long gap_us)
{
	for (int i = 0; i < count; i++) {
		int fd = open_listener(base + i);

		if (fd < 0) {
			fprintf(stderr, "listen_probe: port %d: %s\n", base + i, strerror(-fd));
			return 1;
		}
		usleep(life_us);
		close(fd);
		usleep(gap_us);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 6 && !strcmp(argv[1], "latency") && !strcmp(argv[4], "--"))
		return latency(atoi(argv[2]), atoi(argv[3]), argv + 5);
	if (argc == 6 && !strcmp(argv[1], "short"))
		return short_lived(atoi(argv[2]), atoi(argv[3]), atol(argv[4]), atol(argv[5]));
	fprintf(stderr, "usage: listen_probe latency COUNT PORT_BASE -- SOCKWATCH ARGS...\n"
			"       listen_probe short COUNT PORT_BASE LIFE_US GAP_US\n");
	return 2;
}
