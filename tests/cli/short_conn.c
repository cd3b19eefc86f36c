// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Test helper: one loopback connection opened and closed as fast as possible; prints its duration in ms. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int one = 1, srv, c, s;
	double t0, t1;

	if (argc != 2)
		return 2;
	a.sin_port = htons(atoi(argv[1]));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	srv = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(srv, (struct sockaddr *)&a, sizeof(a)) || listen(srv, 8))
		return 1;
	t0 = now_ms();
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (struct sockaddr *)&a, sizeof(a)))
		return 1;
	s = accept(srv, NULL, NULL);
	close(c);
	close(s);
	t1 = now_ms();
	close(srv);
	printf("%.3f\n", t1 - t0);
	return 0;
}
