// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The canary child: one loopback connection per request, in its own network namespace. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "canary.h"

#define CANARY_TIMEOUT_MS 2000

static int lo_up(void)
{
	struct ifreq ifr = {};
	int fd, e = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		e = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!e && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		e = -errno;
	close(fd);
	return e;
}

/* One connection: listener, connect, accept, close all three. */
static int one_connection(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int l, c = -1, s = -1, e = -1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		goto out;
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)))
		goto out;
	s = accept(l, NULL, NULL);
	if (s < 0)
		goto out;
	e = 0;
out:
	if (s >= 0)
		close(s);
	if (c >= 0)
		close(c);
	if (l >= 0)
		close(l);
	return e;
}

static void child(int cmd, int ack)
{
	struct stat st;
	__u32 ino = 0;
	char b;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_NAME, "sw_canary");
	if (!unshare(CLONE_NEWNET) && !lo_up() && !stat("/proc/self/ns/net", &st))
		ino = (__u32)st.st_ino;
	if (write(ack, &ino, sizeof(ino)) != sizeof(ino) || !ino)
		_exit(1);
	while (read(cmd, &b, 1) == 1) {
		/* b is the CPU to run on plus one, or 0 for any. */
		if (b) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET((unsigned char)b - 1, &set);
			sched_setaffinity(0, sizeof(set), &set);
		}
		b = one_connection() ? 'x' : 'k';
		if (write(ack, &b, 1) != 1)
			break;
	}
	_exit(0);
}

static int read_timed(int fd, void *buf, size_t n)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t r;

	r = poll(&p, 1, CANARY_TIMEOUT_MS);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	r = read(fd, buf, n);
	if (r < 0)
		return -errno;
	return (size_t)r == n ? 0 : -EIO;
}

int sw_canary_start(struct sw_canary *c)
{
	int to[2], from[2], e;

	memset(c, 0, sizeof(*c));
	if (pipe2(to, O_CLOEXEC))
		return -errno;
	if (pipe2(from, O_CLOEXEC)) {
		e = -errno;
		close(to[0]);
		close(to[1]);
		return e;
	}
	c->pid = fork();
	if (c->pid < 0) {
		e = -errno;
		close(to[0]);
		close(to[1]);
		close(from[0]);
		close(from[1]);
		return e;
	}
	if (c->pid == 0) {
		close(to[1]);
		close(from[0]);
		child(to[0], from[1]);
	}
	close(to[0]);
	close(from[1]);
	c->cmd = to[1];
	c->ack = from[0];
	e = read_timed(c->ack, &c->netns, sizeof(c->netns));
	if (!e && !c->netns)
		e = -EPERM;
	if (e) {
		sw_canary_stop(c);
		return e == -EIO ? -EPERM : e; /* the child could not make its namespace */
	}
	return 0;
}

int sw_canary_connect(struct sw_canary *c, int cpu)
{
	char b = cpu >= 0 && cpu < 255 ? (char)(cpu + 1) : 0;
	int e;

	if (write(c->cmd, &b, 1) != 1)
		return -errno;
	e = read_timed(c->ack, &b, 1);
	if (e)
		return e;
	return b == 'k' ? 0 : -ECONNREFUSED;
}

void sw_canary_stop(struct sw_canary *c)
{
	if (c->pid <= 0)
		return;
	close(c->cmd);
	close(c->ack);
	kill(c->pid, SIGKILL);
	waitpid(c->pid, NULL, 0);
	c->pid = 0;
}
