// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Finding every network namespace (process namespaces and `ip netns` mounts) and running code inside one. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "netns.h"

__u32 sw_self_netns(void)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st))
		return 0;
	return (__u32)st.st_ino;
}

static int netns_add(struct sw_netns_set *s, const char *path)
{
	struct sw_netns_ref *nv;
	struct stat st;

	if (strlen(path) >= sizeof(s->v[0].path))
		return -ENAMETOOLONG; /* cannot happen: never left out silently */
	if (stat(path, &st))
		return 0; /* the process exited or the mount went away */
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].ino == st.st_ino)
			return 0;
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 16;

		nv = realloc(s->v, ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		s->v = nv;
		s->cap = ncap;
	}
	s->v[s->n].ino = st.st_ino;
	snprintf(s->v[s->n].path, sizeof(s->v[s->n].path), "%s", path);
	s->n++;
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
		e = netns_add(s, path);
	}
	closedir(dir);
	return e;
}

int sw_netns_collect(struct sw_netns_set *s)
{
	char path[SW_NETNS_PATH_MAX];
	struct dirent *d;
	DIR *dir;
	int e;

	memset(s, 0, sizeof(*s));
	e = netns_add(s, "/proc/self/ns/net");
	if (e)
		return e;
	if (!s->n)
		return -ENOENT;
	dir = opendir("/proc");
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", d->d_name);
		e = netns_add(s, path);
		if (e)
			break;
	}
	closedir(dir);
	if (!e)
		e = netns_add_dir(s, "/run/netns");
	if (!e)
		e = netns_add_dir(s, "/var/run/netns");
	return e;
}

void sw_netns_set_free(struct sw_netns_set *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

int sw_netns_run(const char *path, int home, int (*fn)(void *ctx), void *ctx)
{
	int nsfd, e;

	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return -errno;
	if (setns(nsfd, CLONE_NEWNET)) {
		e = -errno;
		close(nsfd);
		return e;
	}
	close(nsfd);
	e = fn(ctx);
	if (setns(home, CLONE_NEWNET))
		return -errno; /* cannot happen with our own namespace's fd */
	return e;
}
