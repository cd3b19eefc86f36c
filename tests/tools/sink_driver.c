// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Test driver for tests/cli/test_sink_rsyslog.sh: pushes synthetic records through one sink on command. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sink_int.h"

/*
 * usage: sink_driver SPEC [QUEUE_LEN [EXPECT_FILE]]
 * Commands on stdin, one reply line each on stdout:
 *   send FIRST END PACE_US   submit seq FIRST..END-1 -> "sent N dropped D"
 *   wait-written N           wait up to 20 s for N written lines -> "written W"
 *   stats                    -> "written W dropped D errors E reconnects R"
 *   close                    close (drain) and print the final stats line
 * EXPECT_FILE gets the RFC 5424 line of every record the sink accepted.
 */

static const unsigned int kinds[] = { SW_EV_CONNECT, SW_EV_LISTEN, SW_EV_ACCEPT, SW_EV_CLOSE,
				      SW_EV_CONNECT_FAILED };

static int fmt(const struct sw_record *r, void *ctx, char *buf, size_t size)
{
	int n;

	(void)ctx;
	if (r->ev.kind == SW_EV_LOST)
		n = snprintf(buf, size, "{\"seq\":%llu,\"event\":\"lost\",\"lost\":%llu}",
			     (unsigned long long)r->seq, (unsigned long long)r->lost);
	else
		n = snprintf(buf, size, "{\"seq\":%llu,\"event\":\"%s\"}",
			     (unsigned long long)r->seq, sw_kind_name(r->ev.kind));
	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

static struct sw_record make(unsigned long long seq)
{
	struct sw_record r;

	memset(&r, 0, sizeof(r));
	r.seq = seq;
	r.ev.kind = kinds[seq % 5];
	r.wall.tv_sec = 1795684738 + seq / 1000;
	r.wall.tv_nsec = (seq % 1000) * 1000000L;
	if (seq % 2) {
		r.ev.family = SW_AF_INET6;
		r.ev.laddr[15] = 1;
		r.ev.raddr[15] = 1;
	} else {
		r.ev.family = SW_AF_INET;
		memcpy(r.ev.laddr, (__u8[]){ 127, 0, 0, 1 }, 4);
		memcpy(r.ev.raddr, (__u8[]){ 127, 0, 0, 1 }, 4);
	}
	r.ev.lport = 40000 + seq % 1000;
	r.ev.rport = 8080;
	r.ev.flags = SW_OWNER_CURRENT;
	r.ev.pid = 1000 + seq;
	strcpy(r.ev.comm, seq % 7 ? "curl" : "we\"ird] \\x");
	return r;
}

static void print_stats(struct sw_sink_stats *st)
{
	printf("written %llu dropped %llu errors %llu reconnects %llu\n", st->written, st->dropped,
	       st->errors, st->reconnects);
}

int main(int argc, char **argv)
{
	struct sw_sink_opts o = { .format = fmt };
	struct sw_syslog_id id = { .app_name = SW_SINK_APP_NAME };
	unsigned long long a, b, n, seq, dropped;
	char cmd[256], host[256] = "", line[SW_SINK_LINE_MAX + 1024], msg[256];
	struct sw_sink_stats st;
	struct sw_sink *s;
	struct sw_record r;
	FILE *expect = NULL;
	int err, i, len;

	if (argc < 2) {
		fprintf(stderr, "usage: %s SPEC [QUEUE_LEN [EXPECT_FILE]]\n", argv[0]);
		return 2;
	}
	if (argc > 2)
		o.queue_len = strtoul(argv[2], NULL, 10);
	if (argc > 3 && !(expect = fopen(argv[3], "w"))) {
		perror(argv[3]);
		return 1;
	}
	gethostname(host, sizeof(host) - 1);
	id.hostname = host;
	id.procid = getpid();
	err = sw_sink_open(argv[1], &o, &s);
	if (err) {
		fprintf(stderr, "sink_driver: %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (fgets(cmd, sizeof(cmd), stdin)) {
		if (sscanf(cmd, "send %llu %llu %llu", &a, &b, &n) == 3) {
			dropped = 0;
			for (seq = a; seq < b; seq++) {
				r = make(seq);
				if (sw_sink_submit(s, &r)) {
					dropped++;
				} else if (expect) {
					len = fmt(&r, NULL, msg, sizeof(msg));
					sw_syslog_format_5424(&id, &r, msg, len, line,
							      sizeof(line));
					fprintf(expect, "%s\n", line);
				}
				if (n)
					usleep(n);
			}
			if (expect)
				fflush(expect);
			printf("sent %llu dropped %llu\n", b - a, dropped);
		} else if (sscanf(cmd, "wait-written %llu", &n) == 1) {
			for (i = 0; i < 2000; i++) {
				sw_sink_stats(s, &st);
				if (st.written >= n)
					break;
				usleep(10000);
			}
			printf("written %llu\n", st.written);
		} else if (!strncmp(cmd, "stats", 5)) {
			sw_sink_stats(s, &st);
			print_stats(&st);
		} else if (!strncmp(cmd, "close", 5)) {
			break;
		} else {
			printf("error unknown command\n");
		}
	}
	err = sw_sink_close_stats(s, &st);
	print_stats(&st);
	if (expect)
		fclose(expect);
	return err ? 1 : 0;
}
