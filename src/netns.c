// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Finding every network namespace (threads', sockets', `ip netns` mounts) and running code inside one. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sys/syscall.h>

#include "netns.h"

/* Not in every libc's headers; the numbers are the same on every architecture. */
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

__u32 sw_self_netns(void)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st))
		return 0;
	return (__u32)st.st_ino;
}

bool sw_netns_known(const struct sw_netns_set *s, __u64 ino)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].ino == ino && s->v[i].visit != SW_NETNS_FAILED &&
		    s->v[i].visit != SW_NETNS_REPLACED)
			return true;
	return false;
}

static struct sw_netns_ref *netns_find(struct sw_netns_set *s, __u64 ino)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].ino == ino)
			return &s->v[i];
	return NULL;
}

/* Appends (ino, fd, path), path "" for none; the set owns fd from then on, even on failure. */
static struct sw_netns_ref *netns_push(struct sw_netns_set *s, const struct stat *st, int fd,
				       const char *path)
{
	struct sw_netns_ref *nv, *r;

	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 16;

		nv = realloc(s->v, ncap * sizeof(*nv));
		if (!nv) {
			if (fd >= 0)
				close(fd);
			return NULL;
		}
		s->v = nv;
		s->cap = ncap;
	}
	r = &s->v[s->n++];
	memset(r, 0, sizeof(*r));
	r->ino = st->st_ino;
	r->dev = st->st_dev;
	r->fd = fd;
	snprintf(r->path, sizeof(r->path), "%s", path);
	return r;
}

/* One more process living in r, if it is not one of those kept and there is room. */
static void netns_add_holder(struct sw_netns_ref *r, __u32 pid, __u32 tid)
{
	if (r->nholders == SW_NETNS_HOLDERS)
		return;
	for (unsigned int i = 0; i < r->nholders; i++)
		if (r->holders[i].pid == pid)
			return; /* its threads exit with it: another process is a better way in */
	r->holders[r->nholders++] = (struct sw_netns_holder){ pid, tid };
}

/*
 * The namespace at path: a mount (pid 0) or thread tid of process pid.
 * Returns 0 or -errno.
 */
static int netns_add(struct sw_netns_set *s, const char *path, __u32 pid, __u32 tid)
{
	struct sw_netns_ref *r;
	struct stat st;

	if (strlen(path) >= sizeof(s->v[0].path))
		return -ENAMETOOLONG; /* cannot happen: never left out silently */
	if (stat(path, &st))
		return 0; /* the process exited or the mount went away */
	/* Not a namespace: a file left under /run/netns whose mount is gone. */
	if (s->n && (__u64)st.st_dev != s->nsfs_dev)
		return 0;
	if (!s->n)
		s->nsfs_dev = st.st_dev;
	r = netns_find(s, st.st_ino);
	if (!r) {
		r = netns_push(s, &st, -1, pid ? "" : path);
		if (!r)
			return -ENOMEM;
	}
	if (pid)
		netns_add_holder(r, pid, tid);
	return 0;
}

/* The mounts under one of the directories `ip netns` uses. */
static int netns_add_dir(struct sw_netns_set *s, const char *dirpath)
{
	char path[SW_NETNS_PATH_MAX];
	struct dirent *d;
	DIR *dir;
	int e = 0;

	dir = opendir(dirpath);
	if (!dir)
		return 0;
	while (!e && (d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dirpath, d->d_name);
		e = netns_add(s, path, 0, 0);
	}
	closedir(dir);
	return e;
}

static void holder_path(const struct sw_netns_holder *h, char *buf, size_t size)
{
	if (h->pid == h->tid)
		snprintf(buf, size, "/proc/%u/ns/net", h->pid);
	else
		snprintf(buf, size, "/proc/%u/task/%u/ns/net", h->pid, h->tid);
}

/*
 * The namespaces of a process's threads: a thread may have entered another
 * one (setns), which /proc/<pid>/ns/net, the leader's, does not show.
 */
static int netns_add_tasks(struct sw_netns_set *s, const char *name)
{
	char path[SW_NETNS_PATH_MAX];
	struct dirent *d;
	__u32 pid, tid;
	DIR *dir;
	int e;

	pid = (__u32)strtoul(name, NULL, 10);
	snprintf(path, sizeof(path), "/proc/%u/ns/net", pid);
	e = netns_add(s, path, pid, pid);
	if (e)
		return e;
	snprintf(path, sizeof(path), "/proc/%u/task", pid);
	dir = opendir(path);
	if (!dir)
		return 0; /* exited */
	while (!e && (d = readdir(dir))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		tid = (__u32)strtoul(d->d_name, NULL, 10);
		if (tid == pid)
			continue;
		snprintf(path, sizeof(path), "/proc/%u/task/%u/ns/net", pid, tid);
		e = netns_add(s, path, pid, tid);
	}
	closedir(dir);
	return e;
}

int sw_netns_collect(struct sw_netns_set *s)
{
	struct dirent *d;
	DIR *dir;
	int e;

	memset(s, 0, sizeof(*s));
	e = netns_add(s, "/proc/self/ns/net", 0, 0);
	if (e)
		return e;
	if (!s->n)
		return -ENOENT;
	/* Mounts first: the way in that stays while the processes in a
	 * namespace come and go (`ip netns exec` runs). */
	e = netns_add_dir(s, "/run/netns");
	if (!e)
		e = netns_add_dir(s, "/var/run/netns");
	if (e)
		return e;
	dir = opendir("/proc");
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		e = netns_add_tasks(s, d->d_name);
		if (e)
			break;
	}
	closedir(dir);
	return e;
}

/*
 * Whether pid's fd is a TCP or MPTCP socket, asked without taking a copy of
 * it: sockfs names a socket's protocol in an extended attribute. A copy
 * (pidfd_getfd) would cost three syscalls for each of the host's other
 * sockets, and moves the socket's cgroup v1 net_cls/net_prio marks to ours.
 */
static bool tcp_socket_fd(__u32 pid, __u32 fd)
{
	char path[64], name[32];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/fd/%u", pid, fd);
	n = getxattr(path, "system.sockprotoname", name, sizeof(name) - 1);
	if (n <= 0)
		return false;
	name[n] = '\0';
	return !strcmp(name, "TCP") || !strcmp(name, "TCPv6") || !strcmp(name, "MPTCP") ||
	       !strcmp(name, "MPTCPv6");
}

int sw_netns_add_socket(struct sw_netns_set *s, __u32 pid, __u32 fd)
{
	char where[SW_NETNS_PATH_MAX];
	struct sw_netns_ref *failed;
	int pidfd, sfd, nsfd;
	struct stat st;

	/* A namespace that only others hold lists no TCP socket. */
	if (!tcp_socket_fd(pid, fd))
		return 0;
	pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (pidfd < 0)
		return 0;
	sfd = (int)syscall(SYS_pidfd_getfd, pidfd, (int)fd, 0);
	close(pidfd);
	if (sfd < 0)
		return 0;
	nsfd = ioctl(sfd, SIOCGSKNS);
	close(sfd);
	if (nsfd < 0)
		return 0;
	if (fcntl(nsfd, F_SETFD, FD_CLOEXEC) || fstat(nsfd, &st) || sw_netns_known(s, st.st_ino)) {
		close(nsfd);
		return 0;
	}
	/* Alive after all: its visit failed, and this fd is a way in that holds. */
	failed = netns_find(s, st.st_ino);
	if (failed)
		failed->visit = SW_NETNS_REPLACED;
	snprintf(where, sizeof(where), "socket of pid %u fd %u", pid, fd);
	return netns_push(s, &st, nsfd, where) ? 1 : -ENOMEM;
}

void sw_netns_set_free(struct sw_netns_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].fd >= 0)
			close(s->v[i].fd);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/*
 * Opens path if it is still a way into ns (a pid may since name a process
 * elsewhere). Returns the fd, or -errno (-ESRCH: another namespace).
 */
static int netns_open_checked(const struct sw_netns_ref *ns, const char *path)
{
	struct stat st;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		e = -errno;
		close(fd);
		return e;
	}
	if ((__u64)st.st_dev != ns->dev || (__u64)st.st_ino != ns->ino) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}

/* An fd of ns from its first way in that still opens it; -errno of the first that failed. */
static int netns_open(const struct sw_netns_ref *ns)
{
	char path[SW_NETNS_PATH_MAX];
	int fd, first = 0;

	if (ns->path[0]) {
		fd = netns_open_checked(ns, ns->path);
		if (fd >= 0)
			return fd;
		first = fd;
	}
	for (unsigned int i = 0; i < ns->nholders; i++) {
		holder_path(&ns->holders[i], path, sizeof(path));
		fd = netns_open_checked(ns, path);
		if (fd >= 0)
			return fd;
		if (!first)
			first = fd;
	}
	return first ? first : -ENOENT;
}

void sw_netns_where(const struct sw_netns_ref *ns, char *buf, size_t size)
{
	if (ns->path[0] || !ns->nholders)
		snprintf(buf, size, "%s", ns->path);
	else
		holder_path(&ns->holders[0], buf, size);
}

int sw_netns_run(const struct sw_netns_ref *ns, int home, int (*fn)(void *ctx), void *ctx)
{
	int nsfd = ns->fd, e;

	if (nsfd < 0) {
		nsfd = netns_open(ns);
		if (nsfd < 0)
			return nsfd;
	}
	if (setns(nsfd, CLONE_NEWNET)) {
		e = -errno;
		if (nsfd != ns->fd)
			close(nsfd);
		return e;
	}
	if (nsfd != ns->fd)
		close(nsfd);
	e = fn(ctx);
	if (setns(home, CLONE_NEWNET))
		return -errno; /* cannot happen with our own namespace's fd */
	return e;
}
