// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Process enrichment from /proc/PID (ppid, exe, command line, cgroup, container id), cached by pid and start time. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "procinfo.h"

#define CACHE_SLOTS 128
#define CONTAINER_ID_LEN 64

struct sw_proc_cache {
	struct {
		bool used;
		struct sw_procinfo pi;
	} slot[CACHE_SLOTS];
	struct sw_procinfo tmp;
};

int sw_parse_stat(const char *stat, __u32 *ppid, __u64 *start_time)
{
	const char *p = strrchr(stat, ')');
	unsigned long long v[19];
	char state;

	/* After "pid (comm)": state, then ppid (field 4) ... starttime (field 22). */
	if (!p)
		return -EINVAL;
	if (sscanf(p + 1,
		   " %c %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu"
		   " %llu %llu %llu %llu",
		   &state, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9],
		   &v[10], &v[11], &v[12], &v[13], &v[14], &v[15], &v[16], &v[17], &v[18]) != 20)
		return -EINVAL;
	*ppid = (__u32)v[0];
	*start_time = v[18];
	return 0;
}

size_t sw_cmdline_join(const char *raw, size_t n, char *out, size_t size)
{
	size_t len;

	if (!size)
		return 0;
	while (n && raw[n - 1] == '\0')
		n--;
	len = n < size - 1 ? n : size - 1;
	for (size_t i = 0; i < len; i++)
		out[i] = raw[i] ? raw[i] : ' ';
	out[len] = '\0';
	return len;
}

static void copy_path(char *out, size_t size, const char *s, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

int sw_cgroup_pick(const char *content, char *out, size_t size)
{
	const char *line = content, *first = NULL, *first_end = NULL, *end, *path;

	for (; *line; line = *end ? end + 1 : end) {
		end = strchrnul(line, '\n');
		/* "hierarchy-ID:controllers:path"; the path may itself hold ':'. */
		path = memchr(line, ':', end - line);
		if (!path)
			continue;
		path = memchr(path + 1, ':', end - path - 1);
		if (!path)
			continue;
		path++;
		if (!strncmp(line, "0::", 3)) {
			copy_path(out, size, path, end - path);
			return 0;
		}
		if (!first) {
			first = path;
			first_end = end;
		}
	}
	if (!first)
		return -ENOENT;
	copy_path(out, size, first, first_end - first);
	return 0;
}

int sw_container_id(const char *cgroup, char *out, size_t size)
{
	static const char *const runtimes[] = { "docker", "containerd", "crio",
						"libpod", "kubepods",	"podman" };
	const char *found = NULL;
	bool known = false;
	size_t run = 0;

	for (size_t i = 0; i < sizeof(runtimes) / sizeof(runtimes[0]); i++)
		known |= strstr(cgroup, runtimes[i]) != NULL;
	if (!known)
		return -ENOENT;
	/* The last run of exactly 64 hex digits (pod UIDs are shorter runs). */
	for (const char *p = cgroup;; p++) {
		if (*p && isxdigit((unsigned char)*p)) {
			run++;
			continue;
		}
		if (run == CONTAINER_ID_LEN)
			found = p - run;
		run = 0;
		if (!*p)
			break;
	}
	if (!found || size <= CONTAINER_ID_LEN)
		return -ENOENT;
	memcpy(out, found, CONTAINER_ID_LEN);
	out[CONTAINER_ID_LEN] = '\0';
	return 0;
}

/* Reads a small /proc file whole; returns bytes read or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	ssize_t n, total = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((size_t)total < size - 1) {
		n = read(fd, buf + total, size - 1 - total);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		total += n;
	}
	close(fd);
	buf[total] = '\0';
	return total;
}

int sw_file_id_of(const char *path, struct sw_file_id *id)
{
	struct statx stx;

	memset(id, 0, sizeof(*id));
	if (statx(AT_FDCWD, path, 0, STATX_INO | STATX_MNT_ID, &stx))
		return -errno;
	if (!(stx.stx_mask & STATX_INO))
		return -ENODATA;
	id->ino = stx.stx_ino;
	id->dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
	/* before 5.8 no mount id: 0 on both sides of a comparison */
	id->mnt_id = stx.stx_mask & STATX_MNT_ID ? stx.stx_mnt_id : 0;
	return 0;
}

static void set_unknown(struct sw_procinfo *pi, __u32 pid)
{
	memset(pi, 0, sizeof(*pi));
	pi->pid = pid;
}

/* Start time only: the cache key's second half. -errno if the process is gone. */
static int read_start(__u32 pid, __u32 *ppid, __u64 *start)
{
	char path[64], buf[1024];

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	if (read_small(path, buf, sizeof(buf)) < 0)
		return -ESRCH;
	return sw_parse_stat(buf, ppid, start);
}

void sw_procinfo_read(__u32 pid, struct sw_procinfo *pi)
{
	char path[64], buf[4096];
	__u64 start;
	__u32 ppid;
	ssize_t n;

	set_unknown(pi, pid);
	if (!pid || read_start(pid, &pi->ppid, &pi->start_time))
		return;
	pi->found = true;

	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	n = read_small(path, buf, sizeof(pi->comm));
	if (n > 0) {
		copy_path(pi->comm, sizeof(pi->comm), buf, strcspn(buf, "\n"));
		pi->have |= SW_PI_COMM;
	}
	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n > 0) {
		copy_path(pi->exe, sizeof(pi->exe), buf, n);
		sw_file_id_of(path, &pi->exe_id);
		pi->have |= SW_PI_EXE;
	}
	snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
	n = read_small(path, buf, sizeof(buf));
	if (n > 0) {
		sw_cmdline_join(buf, n, pi->cmdline, sizeof(pi->cmdline));
		pi->have |= SW_PI_CMDLINE;
	}
	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	if (read_small(path, buf, sizeof(buf)) > 0 &&
	    !sw_cgroup_pick(buf, pi->cgroup, sizeof(pi->cgroup))) {
		pi->have |= SW_PI_CGROUP;
		if (!sw_container_id(pi->cgroup, pi->container, sizeof(pi->container)))
			pi->have |= SW_PI_CONTAINER;
	}
	/* the pid taken by another process while we read: none of it is the one asked for */
	if (read_start(pid, &ppid, &start) || start != pi->start_time)
		set_unknown(pi, pid);
}

struct sw_proc_cache *sw_proc_cache_new(void)
{
	return calloc(1, sizeof(struct sw_proc_cache));
}

void sw_proc_cache_free(struct sw_proc_cache *c)
{
	free(c);
}

/* Whether the process still runs the program its cached entry was read from. */
static bool same_exe(const struct sw_procinfo *pi)
{
	struct sw_file_id now;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%u/exe", pi->pid);
	sw_file_id_of(path, &now);
	return now.ino == pi->exe_id.ino && now.dev == pi->exe_id.dev &&
	       now.mnt_id == pi->exe_id.mnt_id;
}

bool sw_proc_other(__u64 start, const struct sw_proc_when *when)
{
	if (!when)
		return false;
	if (when->start)
		return start != when->start;
	return when->alive && start > when->alive;
}

const struct sw_procinfo *sw_proc_cache_get(struct sw_proc_cache *c, __u32 pid)
{
	return sw_proc_cache_get_as(c, pid, NULL);
}

const struct sw_procinfo *sw_proc_cache_get_as(struct sw_proc_cache *c, __u32 pid,
					       const struct sw_proc_when *when)
{
	unsigned int i = pid % CACHE_SLOTS;
	__u64 start;
	__u32 ppid;

	if (!pid || read_start(pid, &ppid, &start) || sw_proc_other(start, when)) {
		set_unknown(&c->tmp, pid);
		return &c->tmp;
	}
	if (c->slot[i].used && c->slot[i].pi.pid == pid && c->slot[i].pi.start_time == start &&
	    same_exe(&c->slot[i].pi)) {
		/* The parent may have exited since: ppid is read fresh. */
		c->slot[i].pi.ppid = ppid;
		return &c->slot[i].pi;
	}
	sw_procinfo_read(pid, &c->slot[i].pi);
	c->slot[i].used = c->slot[i].pi.found && c->slot[i].pi.start_time == start;
	return &c->slot[i].pi;
}

int sw_parse_timens_offsets(const char *content, __s64 *boot_off, __s64 *mono_off)
{
	const char *line = content;
	char name[16];
	long long sec;
	long nsec;

	*boot_off = *mono_off = 0;
	for (; *line; line = strchrnul(line, '\n'), line += *line == '\n') {
		if (sscanf(line, "%15s %lld %ld", name, &sec, &nsec) != 3)
			return -EINVAL;
		if (!strcmp(name, "boottime"))
			*boot_off = (__s64)sec * 1000000000 + nsec;
		else if (!strcmp(name, "monotonic"))
			*mono_off = (__s64)sec * 1000000000 + nsec;
	}
	return 0;
}

__u64 sw_ticks_of(__u64 ns, bool mono, long hz, __s64 boot_off, __s64 mono_off,
		  __s64 boot_minus_mono)
{
	__s64 t;

	if (!ns || hz <= 0)
		return 0;
	/*
	 * /proc/PID/stat gives a start time on the boot clock, shifted by the
	 * reader's time namespace's boottime offset. A monotonic time on the
	 * boot clock: plus the time suspended since boot, which is the
	 * reader's CLOCK_BOOTTIME - CLOCK_MONOTONIC, less its namespace's two
	 * offsets (the boottime one then comes back).
	 */
	t = (__s64)ns + (mono ? boot_minus_mono + mono_off : boot_off);
	return t > 0 ? (__u64)t / (1000000000 / hz) : 0;
}

/* USER_HZ, the reader's time namespace's offsets and its boot - monotonic, once. */
static void clocks(long *hz, __s64 *boot_off, __s64 *mono_off)
{
	static __s64 boot, mono;
	static long tck;
	char buf[256];

	if (!tck) {
		tck = sysconf(_SC_CLK_TCK);
		if (tck <= 0)
			tck = 100;
		if (read_small("/proc/self/timens_offsets", buf, sizeof(buf)) < 0 ||
		    sw_parse_timens_offsets(buf, &boot, &mono))
			boot = mono = 0;
	}
	*hz = tck;
	*boot_off = boot;
	*mono_off = mono;
}

static __s64 ns_of(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (__s64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

__u64 sw_ticks_of_boot_ns(__u64 ns)
{
	__s64 boot, mono;
	long hz;

	clocks(&hz, &boot, &mono);
	return sw_ticks_of(ns, false, hz, boot, mono, 0);
}

__u64 sw_ticks_of_mono_ns(__u64 ns)
{
	__s64 boot, mono, m;
	long hz;

	clocks(&hz, &boot, &mono);
	/* the monotonic clock first: an error makes the time later, never earlier */
	m = ns_of(CLOCK_MONOTONIC);
	return sw_ticks_of(ns, true, hz, boot, mono, ns_of(CLOCK_BOOTTIME) - m);
}
