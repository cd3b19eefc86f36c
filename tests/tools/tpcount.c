// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tpcount [--canary] [NETNS_INODE]: attaches the oracle (with --canary: and
 * waits until canary connections show the kernel delivers transitions), says
 * "tpcount: attached" on
 * stderr, and on SIGINT/SIGTERM prints the transitions BPF programs received
 * ("OLD>NEW COUNT" lines, then "total N misses M first T last T", T in
 * CLOCK_MONOTONIC seconds). Used by
 * scripts/kernel-skip-repro.sh.
 */
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/types.h>

#include "sockwatch.h"
#include "event.h"
#include "tpcount.h"

int main(int argc, char **argv)
{
	struct tpcount *t;
	unsigned long ns = 0;
	sigset_t set;
	char *end;
	__u64 first, last;
	bool canary = false;
	int sig, e;

	if (argc > 1 && !strcmp(argv[1], "--canary")) {
		canary = true;
		argc--;
		argv++;
	}
	if (argc > 2 || (argc == 2 && !strcmp(argv[1], "--help"))) {
		fprintf(stderr, "usage: tpcount [--canary] [NETNS_INODE]\n");
		return 2;
	}
	if (argc == 2) {
		errno = 0;
		ns = strtoul(argv[1], &end, 10);
		if (errno || *end || ns > 0xffffffffUL) {
			fprintf(stderr, "tpcount: bad namespace inode '%s'\n", argv[1]);
			return 2;
		}
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	e = tpcount_open((__u32)ns, &t);
	if (e) {
		fprintf(stderr, "tpcount: cannot attach: %s\n", strerror(-e));
		return 1;
	}
	if (getenv("TPCOUNT_PORT"))
		tpcount_set_port(t, (__u16)atoi(getenv("TPCOUNT_PORT")));
	if (canary) {
		int n = 0, ms = tpcount_wait_delivery(t, 5000, &n);

		if (ms < 0) {
			fprintf(stderr, "tpcount: canary: %s\n", strerror(-ms));
			tpcount_close(t);
			return 1;
		}
		fprintf(stderr, "tpcount: delivery seen after %d ms (%d canary connections)\n", ms,
			n);
	}
	fprintf(stderr, "tpcount: attached\n");
	sigwait(&set, &sig);
	for (int o = 0; o < SW_TCP_STATE_MAX; o++)
		for (int n = 0; n < SW_TCP_STATE_MAX; n++) {
			__u64 c = tpcount_get(t, o, n);

			if (c)
				printf("%s>%s %llu\n", sw_state_name(o), sw_state_name(n),
				       (unsigned long long)c);
		}
	tpcount_span(t, &first, &last);
	printf("total %llu misses %llu first %llu.%09llu last %llu.%09llu\n",
	       (unsigned long long)tpcount_get(t, -1, -1), (unsigned long long)tpcount_misses(t),
	       (unsigned long long)(first / 1000000000ULL),
	       (unsigned long long)(first % 1000000000ULL),
	       (unsigned long long)(last / 1000000000ULL),
	       (unsigned long long)(last % 1000000000ULL));
	tpcount_print_port(t);
	tpcount_close(t);
	return 0;
}
