/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Process enrichment from /proc/PID (ppid, exe, command line, cgroup, container id), cached by pid and start time. */
#ifndef SW_PROCINFO_H
#define SW_PROCINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define SW_EXE_MAX 512
#define SW_CMDLINE_MAX 1024
#define SW_CGROUP_MAX 512
#define SW_CONTAINER_MAX 72

/* A file as statx() names it: inode and device, and the mount it was reached through. */
struct sw_file_id {
	__u64 ino; /* 0: unknown */
	__u64 dev; /* st_dev form (makedev) */
	__u32 mnt_id; /* STATX_MNT_ID */
};

/* statx() of path (following links) into id; -errno. */
int sw_file_id_of(const char *path, struct sw_file_id *id);

/* sw_procinfo.have: which strings were read (a process may call itself "-" or ""). */
#define SW_PI_COMM 0x01
#define SW_PI_EXE 0x02
#define SW_PI_CMDLINE 0x04
#define SW_PI_CGROUP 0x08
#define SW_PI_CONTAINER 0x10

/*
 * What /proc said about one process. Strings the process no longer has (it
 * exited, or the field is unreadable) are empty and their SW_PI_* bit is
 * clear in have; found is false when the process was gone before anything
 * could be read.
 */
struct sw_procinfo {
	__u32 pid;
	__u32 ppid; /* 0 if unknown */
	__u64 start_time; /* field 22 of /proc/PID/stat, clock ticks since boot */
	bool found;
	unsigned int have; /* SW_PI_* */
	char comm[16]; /* from /proc/PID/comm */
	char exe[SW_EXE_MAX]; /* readlink of /proc/PID/exe */
	struct sw_file_id exe_id; /* the file /proc/PID/exe is (statx), right after the readlink */
	char cmdline[SW_CMDLINE_MAX]; /* argv joined by spaces, raw bytes (escape when printing) */
	char cgroup[SW_CGROUP_MAX]; /* cgroup v2 path ("0::" line), else the first line's path */
	char container[SW_CONTAINER_MAX]; /* container id from the cgroup path */
};

/* The string s of pi (one of its fields) if bit says it was read, else NULL. */
static inline const char *sw_pi_str(const struct sw_procinfo *pi, unsigned int bit, const char *s)
{
	return pi->have & bit ? s : NULL;
}

/* Reads /proc/PID now. Never fails: a process that is gone gives found = false and have = 0. */
void sw_procinfo_read(__u32 pid, struct sw_procinfo *out);

/* A small cache of sw_procinfo keyed by pid and start time, so a reused pid is read again. */
struct sw_proc_cache;

struct sw_proc_cache *sw_proc_cache_new(void);
void sw_proc_cache_free(struct sw_proc_cache *c);
/*
 * Info for pid, read now unless an entry with the same pid and start time
 * exists whose executable is still the one /proc/PID/exe is (a process that
 * exec()s keeps its pid and start time: it is read again). The pointer stays
 * valid until the next call. pid 0 gives found = false and have = 0.
 */
const struct sw_procinfo *sw_proc_cache_get(struct sw_proc_cache *c, __u32 pid);

/*
 * What is known of the process the kernel saw act as pid, to tell it from
 * another process that got the pid once it had exited: its start time, or
 * else a time it was alive at (it started no later). Both in clock ticks
 * since boot as /proc/PID/stat's field 22 gives them (0: unknown).
 */
struct sw_proc_when {
	__u64 start;
	__u64 alive;
};

/*
 * The same for the process the kernel saw act (when: NULL, no check): a
 * process at /proc/PID that is another one (w's start is not its start, or
 * it started after w's alive) gives what an exited process gives, found =
 * false and have = 0.
 */
const struct sw_procinfo *sw_proc_cache_get_as(struct sw_proc_cache *c, __u32 pid,
					       const struct sw_proc_when *when);
/* Whether a process that started at start (ticks) is another than the one when describes. */
bool sw_proc_other(__u64 start, const struct sw_proc_when *when);

/*
 * Kernel times as clock ticks since boot, as /proc/PID/stat shows them to
 * this process: a boot-clock time (a task's start_boottime) and a
 * monotonic one (bpf_ktime_get_ns(), a record's ts_ns). 0 stays 0.
 */
__u64 sw_ticks_of_boot_ns(__u64 ns);
__u64 sw_ticks_of_mono_ns(__u64 ns);
/*
 * The same with the clocks given: hz (USER_HZ), this process's time namespace's
 * boottime and monotonic offsets (ns), and boot_minus_mono, CLOCK_BOOTTIME
 * minus CLOCK_MONOTONIC now as this process reads them (unit-tested).
 */
__u64 sw_ticks_of(__u64 ns, bool mono, long hz, __s64 boot_off, __s64 mono_off,
		  __s64 boot_minus_mono);
/* "boottime S N" and "monotonic S N" of /proc/self/timens_offsets content, in ns; -EINVAL. */
int sw_parse_timens_offsets(const char *content, __s64 *boot_off, __s64 *mono_off);

/* Parsing helpers (unit-tested). */

/* ppid (field 4) and start time (field 22) from /proc/PID/stat; comm may hold ')' and spaces. */
int sw_parse_stat(const char *stat, __u32 *ppid, __u64 *start_time);
/* /proc/PID/cmdline bytes: NULs between arguments become spaces, trailing NULs go. Returns length. */
size_t sw_cmdline_join(const char *raw, size_t n, char *out, size_t size);
/* Picks the cgroup path from /proc/PID/cgroup content: the "0::" line, else the first line. */
int sw_cgroup_pick(const char *content, char *out, size_t size);
/*
 * Container id (the last run of exactly 64 hex digits) from a docker,
 * containerd (cri-containerd), cri-o, podman (libpod) or kubepods cgroup
 * path. -ENOENT if the path does not name a container runtime or has no id.
 */
int sw_container_id(const char *cgroup, char *out, size_t size);

#endif /* SW_PROCINFO_H */
