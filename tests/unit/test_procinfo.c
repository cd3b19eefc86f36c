// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of the /proc helpers: stat fields, command lines, cgroup lines,
 * container ids, the cache across exec(), and the executable path check.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "exe_check.h"
#include "procinfo.h"

static __u64 mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#define ID64 "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899"

static void test_stat_plain(void **state)
{
	__u32 ppid = 0;
	__u64 start = 0;

	assert_int_equal(sw_parse_stat("1234 (nginx) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 "
				       "20 0 1 0 98765 1000000 200 18446744073709551615",
				       &ppid, &start),
			 0);
	assert_int_equal(ppid, 1);
	assert_int_equal(start, 98765);
}

static void test_stat_hostile_comm(void **state)
{
	__u32 ppid = 0;
	__u64 start = 0;

	/* A comm holding ") S 99 " must not shift the fields: the last ')' ends it. */
	assert_int_equal(
		sw_parse_stat("77 (a) S 99 (b) R 4242 77 77 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 "
			      "555 0 0",
			      &ppid, &start),
		0);
	assert_int_equal(ppid, 4242);
	assert_int_equal(start, 555);
	assert_int_equal(sw_parse_stat("77 (x S 1", &ppid, &start), -EINVAL);
	assert_int_equal(sw_parse_stat("77 (x) S 1 2", &ppid, &start), -EINVAL);
}

static void test_cmdline_nuls(void **state)
{
	static const char raw[] = "python3\0-c\0print(1)\0";
	char out[64];

	assert_int_equal(sw_cmdline_join(raw, sizeof(raw) - 1, out, sizeof(out)), 19);
	assert_string_equal(out, "python3 -c print(1)");
	/* Several trailing NULs (setproctitle) go, inner empty arguments stay as spaces. */
	assert_int_equal(sw_cmdline_join("a\0\0b\0\0\0", 7, out, sizeof(out)), 4);
	assert_memory_equal(out, "a  b", 5);
	/* Truncation keeps the NUL terminator inside the buffer. */
	assert_int_equal(sw_cmdline_join("abcdef", 6, out, 4), 3);
	assert_string_equal(out, "abc");
	assert_int_equal(sw_cmdline_join("", 0, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	/* Control bytes are kept raw: escaping is the renderer's job. */
	sw_cmdline_join("x\x1b[31m\0y", 8, out, sizeof(out));
	assert_string_equal(out, "x\x1b[31m y");
}

static void test_cgroup_pick(void **state)
{
	char out[256];

	assert_int_equal(sw_cgroup_pick("0::/system.slice/nginx.service\n", out, sizeof(out)), 0);
	assert_string_equal(out, "/system.slice/nginx.service");
	/* Hybrid: the v2 line wins even when it is not first. */
	assert_int_equal(sw_cgroup_pick("12:cpu,cpuacct:/docker/abc\n1:name=systemd:/x\n0::/y:z\n",
					out, sizeof(out)),
			 0);
	assert_string_equal(out, "/y:z");
	/* v1 only: the first line's path. */
	assert_int_equal(sw_cgroup_pick("12:memory:/docker/" ID64 "\n11:pids:/other\n", out,
					sizeof(out)),
			 0);
	assert_string_equal(out, "/docker/" ID64);
	assert_int_equal(sw_cgroup_pick("", out, sizeof(out)), -ENOENT);
	assert_int_equal(sw_cgroup_pick("garbage\n", out, sizeof(out)), -ENOENT);
}

static void expect_id(const char *cgroup, const char *id)
{
	char out[80] = "";

	if (!id) {
		assert_int_equal(sw_container_id(cgroup, out, sizeof(out)), -ENOENT);
		return;
	}
	assert_int_equal(sw_container_id(cgroup, out, sizeof(out)), 0);
	assert_string_equal(out, id);
}

static void test_container_ids(void **state)
{
	expect_id("/docker/" ID64, ID64);
	expect_id("/system.slice/docker-" ID64 ".scope", ID64);
	expect_id("/kubepods.slice/kubepods-besteffort.slice/"
		  "kubepods-besteffort-pod1d5b4c3a_2f6e_4b7d_9c8a_0123456789ab.slice/"
		  "cri-containerd-" ID64 ".scope",
		  ID64);
	expect_id("/kubepods/burstable/pod1d5b4c3a-2f6e-4b7d-9c8a-0123456789ab/" ID64, ID64);
	expect_id("/system.slice/containerd.service/kubepods-pod1.slice:cri-containerd:" ID64,
		  ID64);
	expect_id("/kubepods.slice/crio-" ID64 ".scope", ID64);
	expect_id("/machine.slice/libpod-" ID64 ".scope/container", ID64);
	expect_id("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID64 ".scope",
		  ID64);
	/* Not a container: no runtime in the path, or no 64-digit id. */
	expect_id("/system.slice/nginx.service", NULL);
	expect_id("/user.slice/" ID64, NULL);
	expect_id("/docker", NULL);
	expect_id("/kubepods/besteffort/pod1d5b4c3a-2f6e-4b7d-9c8a-0123456789ab", NULL);
	/* 65 hex digits is not an id. */
	expect_id("/docker/0" ID64, NULL);
}

static void test_read_self_and_gone(void **state)
{
	struct sw_proc_cache *c = sw_proc_cache_new();
	const struct sw_procinfo *pi;
	struct sw_procinfo gone;

	assert_non_null(c);
	pi = sw_proc_cache_get(c, getpid());
	assert_true(pi->found);
	assert_int_equal(pi->ppid, getppid());
	assert_true(pi->exe[0] == '/');
	assert_non_null(strstr(pi->cmdline, "test_procinfo"));
	/* Cached: same entry, same start time. */
	assert_ptr_equal(sw_proc_cache_get(c, getpid()), pi);
	assert_int_equal(pi->have & (SW_PI_COMM | SW_PI_EXE | SW_PI_CMDLINE | SW_PI_CGROUP),
			 SW_PI_COMM | SW_PI_EXE | SW_PI_CMDLINE | SW_PI_CGROUP);
	assert_ptr_equal(sw_pi_str(pi, SW_PI_EXE, pi->exe), pi->exe);
	/* pid 0 and a pid that cannot exist give no values, not a crash. */
	pi = sw_proc_cache_get(c, 0);
	assert_false(pi->found);
	assert_int_equal(pi->have, 0);
	assert_null(sw_pi_str(pi, SW_PI_EXE, pi->exe));
	sw_procinfo_read(0x3fffffff, &gone);
	assert_false(gone.found);
	assert_int_equal(gone.have, 0);
	assert_string_equal(gone.cmdline, "");
	assert_int_equal(gone.ppid, 0);
	sw_proc_cache_free(c);
}

/* A process that exec()s keeps its pid and start time: the cache reads it again. */
static void test_cache_after_exec(void **state)
{
	struct sw_proc_cache *c = sw_proc_cache_new();
	char path[64], now[PATH_MAX];
	const struct sw_procinfo *pi;
	int go[2], i;
	pid_t child;

	assert_non_null(c);
	assert_int_equal(pipe(go), 0);
	child = fork();
	assert_true(child >= 0);
	if (!child) {
		char b;

		close(go[1]);
		if (read(go[0], &b, 1) == 1)
			execl("/bin/sleep", "sleep", "30", (char *)NULL);
		_exit(127);
	}
	close(go[0]);
	pi = sw_proc_cache_get(c, child);
	assert_true(pi->found);
	assert_null(strstr(pi->exe, "sleep"));
	assert_int_equal(write(go[1], "x", 1), 1);
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)child);
	for (i = 0; i < 500; i++) {
		ssize_t n = readlink(path, now, sizeof(now) - 1);

		if (n > 0 && (now[n] = '\0', strstr(now, "sleep")))
			break;
		usleep(10000);
	}
	assert_true(i < 500);
	pi = sw_proc_cache_get(c, child);
	assert_non_null(strstr(pi->exe, "sleep"));
	assert_non_null(strstr(pi->cmdline, "sleep 30"));
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(go[1]);
	sw_proc_cache_free(c);
}

/* The process the kernel saw act, or another that got its pid once it had exited. */
static void test_proc_other(void **state)
{
	struct sw_proc_when start = { .start = 500 }, alive = { .alive = 500 }, none = {};

	assert_false(sw_proc_other(500, NULL));
	assert_false(sw_proc_other(500, &none));
	/* its start time known: only that very tick is it */
	assert_false(sw_proc_other(500, &start));
	assert_true(sw_proc_other(499, &start));
	assert_true(sw_proc_other(501, &start));
	/* only a time it was alive at: a process started after that is another */
	assert_false(sw_proc_other(1, &alive));
	assert_false(sw_proc_other(500, &alive));
	assert_true(sw_proc_other(501, &alive));
}

/* Kernel times in /proc/PID/stat's ticks, time namespace offsets included. */
static void test_ticks(void **state)
{
	__s64 boot, mono;

	/* USER_HZ 100: 10 ms a tick, rounded down as the kernel does */
	assert_int_equal(sw_ticks_of(12345678901ULL, false, 100, 0, 0, 0), 1234);
	assert_int_equal(sw_ticks_of(0, false, 100, 0, 0, 0), 0);
	/* a boottime offset moves what /proc shows; the monotonic one does not */
	assert_int_equal(sw_ticks_of(12345678901ULL, false, 100, 1000000000, 7, 0), 1334);
	/* monotonic: plus the time suspended since boot (boottime - monotonic, as the
	 * reader sees them, in which the two offsets are) and the monotonic offset */
	assert_int_equal(sw_ticks_of(1000000000ULL, true, 100, 0, 0, 50000000), 105);
	assert_int_equal(sw_ticks_of(1000000000ULL, true, 100, 3000000000LL, 1000000000LL,
				     50000000 + 3000000000LL - 1000000000LL),
			 405);
	assert_int_equal(sw_parse_timens_offsets("monotonic           1         0\n"
						 "boottime            3       500\n",
						 &boot, &mono),
			 0);
	assert_int_equal(boot, 3000000500LL);
	assert_int_equal(mono, 1000000000LL);
	assert_int_equal(sw_parse_timens_offsets("", &boot, &mono), 0);
	assert_int_equal(boot, 0);
	assert_int_equal(sw_parse_timens_offsets("boottime x\n", &boot, &mono), -EINVAL);
}

/* This very process by its start time, and as another one would be taken. */
static void test_cache_get_as(void **state)
{
	struct sw_proc_cache *c = sw_proc_cache_new();
	const struct sw_procinfo *pi;
	struct sw_proc_when w = {};
	__u64 start;

	assert_non_null(c);
	pi = sw_proc_cache_get(c, getpid());
	assert_true(pi->found);
	start = pi->start_time;
	w.start = start;
	assert_true(sw_proc_cache_get_as(c, getpid(), &w)->found);
	w.start = start + 1;
	pi = sw_proc_cache_get_as(c, getpid(), &w);
	assert_false(pi->found);
	assert_int_equal(pi->have, 0);
	assert_int_equal(pi->pid, getpid());
	w = (struct sw_proc_when){ .alive = sw_ticks_of_mono_ns(1000000000) }; /* 1 s after boot */
	assert_false(sw_proc_cache_get_as(c, getpid(), &w)->found);
	w.alive = sw_ticks_of_mono_ns(mono_now());
	assert_true(sw_proc_cache_get_as(c, getpid(), &w)->found);
	/* and the kernel's own clocks agree with /proc: this process started before now */
	assert_true(start <= w.alive);
	sw_proc_cache_free(c);
}

static void test_exe_check(void **state)
{
	struct sw_procinfo pi, other;

	sw_procinfo_read(getpid(), &pi);
	assert_int_equal(sw_exe_check(&pi, 0, 0), SW_EXE_OK);
	assert_string_equal(sw_exe_check_name(SW_EXE_OK), "ok");
	/* what the kernel saw: this very file, or another */
	assert_int_equal(sw_exe_check(&pi, pi.exe_id.ino, pi.exe_id.mnt_id), SW_EXE_OK);
	assert_int_equal(sw_exe_check(&pi, pi.exe_id.ino + 1, pi.exe_id.mnt_id), SW_EXE_CHANGED);
	assert_int_equal(sw_exe_check(&pi, pi.exe_id.ino, pi.exe_id.mnt_id + 1), SW_EXE_CHANGED);
	/* a path that names another file here, or none */
	other = pi;
	snprintf(other.exe, sizeof(other.exe), "/bin/sh");
	assert_int_equal(sw_exe_check(&other, 0, 0), SW_EXE_MISMATCH);
	other = pi;
	assert_true(strlen(pi.exe) + 11 <= sizeof(other.exe));
	strcat(other.exe, " (deleted)");
	assert_int_equal(sw_exe_check(&other, 0, 0), SW_EXE_MISMATCH);
	/* a path cut to fit: what a file at the shorter path is says nothing */
	other = pi;
	memset(other.exe, '/', sizeof(other.exe) - 1);
	other.exe[sizeof(other.exe) - 1] = '\0';
	assert_int_equal(sw_exe_check(&other, 0, 0), SW_EXE_MISMATCH);
	/* nothing to check */
	sw_procinfo_read(0, &other);
	assert_int_equal(sw_exe_check(&other, 5, 5), SW_EXE_UNKNOWN);
	assert_null(sw_exe_check_name(SW_EXE_UNKNOWN));
}

/* Copies src to dst (mode 0755); 0 or -1. */
static int copy_file(const char *src, const char *dst)
{
	char buf[65536];
	int in = open(src, O_RDONLY), out = open(dst, O_WRONLY | O_CREAT | O_EXCL, 0755);
	ssize_t n = 0;

	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n) {
			n = -1;
			break;
		}
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out))
		n = -1;
	return in < 0 || out < 0 || n < 0 ? -1 : 0;
}

/*
 * A process whose program was deleted: readlink of /proc/PID/exe gives
 * "PATH (deleted)". That is a mismatch even when a file of that very name
 * exists and is the same program (a hard link made before the delete).
 */
static void test_exe_check_deleted(void **state)
{
	char dir[] = "/tmp/sw_exe_XXXXXX", prog[64], named[80], path[64], now[PATH_MAX];
	struct sw_procinfo pi;
	struct sw_file_id id;
	pid_t child;
	int i;

	assert_non_null(mkdtemp(dir));
	snprintf(prog, sizeof(prog), "%s/prog", dir);
	snprintf(named, sizeof(named), "%s (deleted)", prog);
	assert_int_equal(copy_file("/bin/sleep", prog), 0);
	child = fork();
	assert_true(child >= 0);
	if (!child) {
		execl(prog, "prog", "30", (char *)NULL);
		_exit(127);
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)child);
	for (i = 0; i < 500; i++) {
		ssize_t n = readlink(path, now, sizeof(now) - 1);

		if (n > 0 && (now[n] = '\0', !strcmp(now, prog)))
			break;
		usleep(10000);
	}
	assert_true(i < 500);
	assert_int_equal(link(prog, named), 0);
	assert_int_equal(unlink(prog), 0);
	sw_procinfo_read(child, &pi);
	assert_string_equal(pi.exe, named);
	/* the path names the very file the process runs ... */
	assert_int_equal(sw_file_id_of(named, &id), 0);
	assert_true(id.ino == pi.exe_id.ino && id.dev == pi.exe_id.dev);
	/* ... but it is not the path the process was started from */
	assert_int_equal(sw_exe_check(&pi, 0, 0), SW_EXE_MISMATCH);
	assert_int_equal(sw_exe_check(&pi, pi.exe_id.ino, pi.exe_id.mnt_id), SW_EXE_MISMATCH);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	unlink(named);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat_plain),
		cmocka_unit_test(test_stat_hostile_comm),
		cmocka_unit_test(test_cmdline_nuls),
		cmocka_unit_test(test_cgroup_pick),
		cmocka_unit_test(test_container_ids),
		cmocka_unit_test(test_read_self_and_gone),
		cmocka_unit_test(test_cache_after_exec),
		cmocka_unit_test(test_proc_other),
		cmocka_unit_test(test_ticks),
		cmocka_unit_test(test_cache_get_as),
		cmocka_unit_test(test_exe_check),
		cmocka_unit_test(test_exe_check_deleted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
