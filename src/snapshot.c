// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Snapshot of the TCP sockets that already exist, in every network namespace, with their owners. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "snapshot.h"
#include "snapshot.skel.h"

/* One network namespace to visit: its inode and a path that opens it. */
struct netns_ref {
	__u64 ino;
	char path[64];
};

struct netns_set {
	struct netns_ref *v;
	size_t n, cap;
};

struct bytes {
	char *p;
	size_t len, cap;
};

__u32 sw_self_netns(void)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st))
		return 0;
	return (__u32)st.st_ino;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int netns_add(struct netns_set *s, const char *path)
{
	struct netns_ref *nv;
	struct stat st;

	if (stat(path, &st))
		return 0; /* the process exited or the mount went away */
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].ino == st.st_ino)
			return 0;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		nv = realloc(s->v, s->cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		s->v = nv;
	}
	s->v[s->n].ino = st.st_ino;
	snprintf(s->v[s->n].path, sizeof(s->v[s->n].path), "%s", path);
	s->n++;
	return 0;
}

/*
 * Every network namespace that a process lives in or that `ip netns` keeps
 * mounted. The first entry is our own.
 */
static int netns_collect(struct netns_set *s)
{
	static const char *const dirs[] = { "/run/netns", "/var/run/netns" };
	char path[64 + 256];
	struct dirent *d;
	DIR *dir;
	int e;

	e = netns_add(s, "/proc/self/ns/net");
	if (e)
		return e;
	dir = opendir("/proc");
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", d->d_name);
		if (strlen(path) >= sizeof(s->v[0].path))
			continue;
		e = netns_add(s, path);
		if (e)
			break;
	}
	closedir(dir);
	for (size_t i = 0; i < 2 && !e; i++) {
		dir = opendir(dirs[i]);
		if (!dir)
			continue;
		while (!e && (d = readdir(dir))) {
			if (d->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dirs[i], d->d_name);
			if (strlen(path) < sizeof(s->v[0].path))
				e = netns_add(s, path);
		}
		closedir(dir);
	}
	return e;
}

/* Reads an iterator to its end, appending to b. */
static int read_iter(int fd, struct bytes *b)
{
	ssize_t n;
	char *np;

	for (;;) {
		if (b->cap - b->len < 65536) {
			b->cap = b->cap ? b->cap * 2 : 262144;
			np = realloc(b->p, b->cap);
			if (!np)
				return -ENOMEM;
			b->p = np;
		}
		n = read(fd, b->p + b->len, b->cap - b->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		b->len += n;
	}
}

/*
 * The tcp iterator lists the sockets of the network namespace its file was
 * created in (it is the /proc/net/tcp machinery), so the file is created
 * after entering the namespace; reading it needs no namespace.
 */
static int iter_in_netns(struct bpf_link *link, const char *path, int home, struct bytes *out)
{
	int nsfd, fd, e;

	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return -errno;
	if (setns(nsfd, CLONE_NEWNET)) {
		e = -errno;
		close(nsfd);
		return e;
	}
	close(nsfd);
	fd = bpf_iter_create(bpf_link__fd(link));
	e = fd < 0 ? -errno : 0;
	if (setns(home, CLONE_NEWNET))
		return -errno; /* cannot happen with our own namespace's fd */
	if (e)
		return e;
	e = read_iter(fd, out);
	close(fd);
	return e;
}

int sw_snapshot_take(struct sw_snapshot *s, sw_snapshot_step_fn step, void *ctx, char *err,
		     size_t errlen)
{
	struct netns_set ns = {};
	struct bytes socks = {}, owners = {};
	struct snapshot *skel;
	struct bpf_link *tcp = NULL, *task = NULL;
	int home = -1, fd, e;

	memset(s, 0, sizeof(*s));
	skel = snapshot__open_and_load();
	if (!skel) {
		e = -errno;
		snprintf(err, errlen, "cannot load the snapshot iterators: %s", strerror(-e));
		return e;
	}
	tcp = bpf_program__attach_iter(skel->progs.sw_snap_tcp, NULL);
	task = tcp ? bpf_program__attach_iter(skel->progs.sw_snap_owner, NULL) : NULL;
	if (!task) {
		e = -errno;
		snprintf(err, errlen, "kernel refused the tcp/task_file iterators: %s",
			 strerror(-e));
		goto out;
	}
	e = netns_collect(&ns);
	if (e) {
		snprintf(err, errlen, "cannot list network namespaces: %s", strerror(-e));
		goto out;
	}
	home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home < 0) {
		e = -errno;
		snprintf(err, errlen, "cannot open /proc/self/ns/net: %s", strerror(-e));
		goto out;
	}
	s->host_netns = ns.v[0].ino;
	for (size_t i = 0; i < ns.n; i++) {
		e = iter_in_netns(tcp, ns.v[i].path, home, &socks);
		if (e == -ENOMEM)
			goto out_nomem;
		if (e)
			s->netns_failed++; /* gone meanwhile, or not ours to enter */
		else
			s->nnetns++;
		if (step)
			step(ctx);
	}
	/* Owners after sockets: a socket seen above is owned by a fd seen here
	 * unless it was closed or passed in between. */
	fd = bpf_iter_create(bpf_link__fd(task));
	if (fd < 0) {
		e = -errno;
		snprintf(err, errlen, "cannot start the task_file iterator: %s", strerror(-e));
		goto out;
	}
	e = read_iter(fd, &owners);
	close(fd);
	if (e == -ENOMEM)
		goto out_nomem;
	if (e) {
		snprintf(err, errlen, "reading the task_file iterator failed: %s", strerror(-e));
		goto out;
	}
	if (step)
		step(ctx);
	s->socks = (struct sw_snap_sock *)socks.p;
	s->nsocks = socks.len / sizeof(struct sw_snap_sock);
	s->owners = (struct sw_snap_owner *)owners.p;
	s->nowners = owners.len / sizeof(struct sw_snap_owner);
	socks.p = owners.p = NULL;
	s->taken_ns = now_ns();
	e = 0;
	goto out;
out_nomem:
	snprintf(err, errlen, "out of memory reading the snapshot");
out:
	if (home >= 0)
		close(home);
	free(socks.p);
	free(owners.p);
	free(ns.v);
	bpf_link__destroy(task);
	bpf_link__destroy(tcp);
	snapshot__destroy(skel);
	return e;
}

void sw_snapshot_free(struct sw_snapshot *s)
{
	free(s->socks);
	free(s->owners);
	memset(s, 0, sizeof(*s));
}
