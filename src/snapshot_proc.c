// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Owners of sockets from /proc/<pid>/fd (socket:[inode] links), with comm and effective uid. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snapshot_proc.h"

/* What is known about the process being walked; comm and uid are read at its first socket. */
struct proc_ctx {
	int procfd;
	const char *pid_name;
	__u32 pid;
	bool read;
	bool gone; /* its status could not be read: exited meanwhile, holds nothing */
	__u32 euid;
	char comm[SW_COMM_LEN];
};

int sw_proc_socket_inode(const char *link, __u64 *inode)
{
	static const char prefix[] = "socket:[";
	unsigned long long v = 0;
	const char *p;

	if (strncmp(link, prefix, sizeof(prefix) - 1))
		return -EINVAL;
	p = link + sizeof(prefix) - 1;
	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (~0ULL - 9) / 10)
			return -EINVAL;
		v = v * 10 + (unsigned long long)(*p - '0');
	}
	if (p[0] != ']' || p[1])
		return -EINVAL;
	*inode = v;
	return 0;
}

/* A decimal number after spaces or tabs; advances *p past it. */
static int parse_num(const char **p, unsigned long long *v)
{
	const char *s = *p + strspn(*p, " \t");

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (*v = 0; *s >= '0' && *s <= '9'; s++) {
		if (*v > 0xffffffffULL)
			return -EINVAL;
		*v = *v * 10 + (unsigned long long)(*s - '0');
	}
	*p = s;
	return 0;
}

int sw_proc_status_euid(const char *status, __u32 *euid)
{
	const char *line = status, *p;
	unsigned long long real, eff;

	while (line) {
		if (!strncmp(line, "Uid:", 4)) {
			p = line + 4;
			if (parse_num(&p, &real) || parse_num(&p, &eff) || eff > 0xffffffffULL)
				return -EINVAL;
			*euid = (__u32)eff;
			return 0;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return -ENOENT;
}

static int cmp_inode(const void *a, const void *b)
{
	const struct sw_inode_cookie *x = a, *y = b;

	return x->inode < y->inode ? -1 : x->inode > y->inode;
}

void sw_inode_map_sort(struct sw_inode_cookie *map, size_t n)
{
	qsort(map, n, sizeof(*map), cmp_inode);
}

void sw_proc_owners_free(struct sw_proc_owners *o)
{
	free(o->v);
	free(o->unknown);
	memset(o, 0, sizeof(*o));
}

/* Reads procroot/<pid>/name into buf (NUL-terminated); bytes read or -errno. */
static ssize_t read_small(int procfd, const char *pid, const char *name, char *buf, size_t size)
{
	char path[300];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", pid, name);
	fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

/*
 * comm and effective uid of the process, once. A process whose status
 * cannot be read (or gives no uid) has exited since its descriptors were
 * listed, or is not ours to read: it is marked gone, and owns nothing. (Its
 * records had comm "" and uid 0, a uid taken for known: a `user root` rule
 * of `sockwatch listen` matched a listener of a process nobody could name.)
 */
static bool proc_read(struct proc_ctx *p)
{
	char buf[4096];
	ssize_t n;

	if (p->read)
		return !p->gone;
	p->read = true;
	n = read_small(p->procfd, p->pid_name, "comm", buf, SW_COMM_LEN + 1);
	if (n > 0) {
		/* The kernel ends comm with a newline; comm itself may hold one too. */
		if (buf[n - 1] == '\n')
			buf[--n] = '\0';
		memcpy(p->comm, buf, (size_t)n < SW_COMM_LEN - 1 ? (size_t)n : SW_COMM_LEN - 1);
	}
	p->gone = read_small(p->procfd, p->pid_name, "status", buf, sizeof(buf)) <= 0 ||
		  sw_proc_status_euid(buf, &p->euid);
	return !p->gone;
}

/* Appends a record for (p, fd) to the vector *v of *n (room for *cap). */
static int owners_push(struct sw_snap_owner **v, size_t *n, size_t *cap, const struct proc_ctx *p,
		       __u32 fd, __u64 cookie)
{
	struct sw_snap_owner *r;

	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 1024;

		r = realloc(*v, ncap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		*v = r;
		*cap = ncap;
	}
	r = &(*v)[(*n)++];
	memset(r, 0, sizeof(*r));
	r->cookie = cookie;
	r->pid = p->pid;
	r->uid = p->euid;
	r->fd = fd;
	memcpy(r->comm, p->comm, sizeof(r->comm));
	return 0;
}

/*
 * The first of the entries for inode, or NULL. Several sockets may share one
 * inode: an MPTCP socket's TCP subflows all carry the MPTCP socket's.
 */
static const struct sw_inode_cookie *map_find(const struct sw_inode_cookie *map, size_t n,
					      __u64 inode)
{
	struct sw_inode_cookie k = { .inode = inode };
	const struct sw_inode_cookie *hit;

	hit = bsearch(&k, map, n, sizeof(*map), cmp_inode);
	while (hit && hit > map && hit[-1].inode == inode)
		hit--;
	return hit;
}

/* The descriptors of one process. */
static int walk_fds(struct proc_ctx *p, const struct sw_inode_cookie *map, size_t n,
		    struct sw_proc_owners *out)
{
	const struct sw_inode_cookie *hit;
	char path[300], link[64];
	struct dirent *d;
	__u64 inode;
	ssize_t len;
	__u32 fdnum;
	DIR *dir;
	int fd, e = 0;

	snprintf(path, sizeof(path), "%s/fd", p->pid_name);
	fd = openat(p->procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0; /* exited, or not ours to read */
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return 0;
	}
	while (!e && (d = readdir(dir))) {
		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		len = readlinkat(fd, d->d_name, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		if (sw_proc_socket_inode(link, &inode))
			continue;
		hit = map_find(map, n, inode);
		fdnum = (__u32)strtoul(d->d_name, NULL, 10);
		if (!hit) {
			if (out->want_unknown)
				e = owners_push(&out->unknown, &out->nunknown, &out->ucap, p, fdnum,
						0);
			continue;
		}
		if (!proc_read(p))
			break;
		for (; !e && hit < map + n && hit->inode == inode; hit++)
			e = owners_push(&out->v, &out->n, &out->cap, p, fdnum, hit->cookie);
	}
	closedir(dir);
	return e;
}

int sw_proc_owners(const char *procroot, const struct sw_inode_cookie *map, size_t n,
		   struct sw_proc_owners *out)
{
	struct dirent *d;
	DIR *dir;
	int procfd, e = 0;

	procfd = open(procroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		return -errno;
	dir = fdopendir(procfd);
	if (!dir) {
		e = -errno;
		close(procfd);
		return e;
	}
	while (!e && (d = readdir(dir))) {
		struct proc_ctx p = { .procfd = procfd, .pid_name = d->d_name };
		char *end;

		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		p.pid = (__u32)strtoul(d->d_name, &end, 10);
		if (*end)
			continue;
		e = walk_fds(&p, map, n, out);
	}
	closedir(dir);
	return e;
}
