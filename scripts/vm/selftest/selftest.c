// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* VM selftest: check the kernel under test can load, attach and fire each BPF attach kind sockwatch uses. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "probe.skel.h"

enum kind { K_FENTRY, K_KPROBE, K_FEXIT, K_TP_BTF, K_NR };

struct probe {
	const char *name; /* what the line says */
	const char *mode; /* the --attach mode that needs it */
	struct probe_bpf *skel;
	int err; /* -errno of open/load/attach, 0 when attached */
};

static struct probe probes[K_NR] = {
	[K_FENTRY] = { "fentry/tcp_connect", "fentry" },
	[K_KPROBE] = { "kprobe/tcp_connect", "kprobe" },
	[K_FEXIT] = { "fexit/inet_csk_accept", "fentry" },
	[K_TP_BTF] = { "tp_btf/inet_sock_set_state", "tracepoint" },
};

static int passed, failed;

static void check(bool ok, const char *what, const char *detail)
{
	printf("%s %s%s%s\n", ok ? "ok  " : "FAIL", what, *detail ? ": " : "", detail);
	if (ok)
		passed++;
	else
		failed++;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level != LIBBPF_WARN)
		return 0;
	fputs("  ", stderr);
	return vfprintf(stderr, fmt, ap);
}

static struct bpf_program *kind_prog(struct probe_bpf *skel, enum kind k)
{
	switch (k) {
	case K_FENTRY:
		return skel->progs.fentry_tcp_connect;
	case K_KPROBE:
		return skel->progs.kprobe_tcp_connect;
	case K_FEXIT:
		return skel->progs.fexit_inet_csk_accept;
	default:
		return skel->progs.tp_btf_set_state;
	}
}

static __u64 kind_hits(struct probe_bpf *skel, enum kind k)
{
	switch (k) {
	case K_FENTRY:
		return skel->bss->fentry_hits;
	case K_KPROBE:
		return skel->bss->kprobe_hits;
	case K_FEXIT:
		return skel->bss->fexit_hits;
	default:
		return skel->bss->tp_btf_hits;
	}
}

/* One skeleton per kind, with only that program loaded, so one refusal does not hide the others. */
static int load_one(struct probe *p, enum kind k)
{
	struct bpf_link *link;
	int i, err;

	p->skel = probe_bpf__open();
	if (!p->skel)
		return -errno;
	p->skel->rodata->target_tgid = getpid();
	for (i = 0; i < K_NR; i++)
		bpf_program__set_autoload(kind_prog(p->skel, i), i == (int)k);
	err = probe_bpf__load(p->skel);
	if (err)
		goto out_destroy;
	link = bpf_program__attach(kind_prog(p->skel, k));
	if (!link) {
		err = -errno;
		goto out_destroy;
	}
	/* The skeleton owns links it knows about; this one lives until exit. */
	return 0;

out_destroy:
	probe_bpf__destroy(p->skel);
	p->skel = NULL;
	return err;
}

static int lo_up(void)
{
	struct ifreq ifr = { 0 };
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		err = -errno;
		goto out;
	}
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		err = -errno;
out:
	close(fd);
	return err;
}

/* Listen, connect and accept once on the loopback address of @family. */
static int loopback_connect(int family)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int lfd, cfd = -1, afd = -1, err = 0;

	ss.ss_family = family;
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*sin);
	} else {
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
		len = sizeof(struct sockaddr_in6);
	}
	lfd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return -errno;
	if (bind(lfd, (struct sockaddr *)&ss, len) || listen(lfd, 4) ||
	    getsockname(lfd, (struct sockaddr *)&ss, &len)) {
		err = -errno;
		goto out;
	}
	cfd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (cfd < 0 || connect(cfd, (struct sockaddr *)&ss, len)) {
		err = -errno;
		goto out;
	}
	afd = accept(lfd, NULL, NULL);
	if (afd < 0)
		err = -errno;
out:
	if (afd >= 0)
		close(afd);
	if (cfd >= 0)
		close(cfd);
	close(lfd);
	return err;
}

static bool mode_needs(const char *mode, const struct probe *p)
{
	return !mode || strcmp(mode, p->mode) == 0;
}

int main(int argc, char **argv)
{
	const char *mode = NULL;
	struct utsname uts;
	int i, err;

	if (argc == 3 && strcmp(argv[1], "--attach") == 0 &&
	    (!strcmp(argv[2], "fentry") || !strcmp(argv[2], "kprobe") ||
	     !strcmp(argv[2], "tracepoint"))) {
		mode = argv[2];
	} else if (argc != 1) {
		fprintf(stderr, "usage: %s [--attach fentry|kprobe|tracepoint]\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(libbpf_print);

	uname(&uts);
	printf("info kernel %s\n", uts.release);
	printf("info /sys/kernel/btf/vmlinux %s\n",
	       access("/sys/kernel/btf/vmlinux", R_OK) ? "missing" : "present");
	printf("info /sys/kernel/tracing/events/syscalls %s\n",
	       access("/sys/kernel/tracing/events/syscalls", F_OK) ? "missing" : "present");

	for (i = 0; i < K_NR; i++)
		probes[i].err = load_one(&probes[i], i);

	err = unshare(CLONE_NEWNET) ? -errno : 0;
	check(!err, "unshare(CLONE_NEWNET)", err ? strerror(-err) : "");
	err = err ?: lo_up();
	check(!err, "lo up in the new netns", err ? strerror(-err) : "");
	err = loopback_connect(AF_INET);
	check(!err, "tcp connect/accept 127.0.0.1", err ? strerror(-err) : "");
	err = loopback_connect(AF_INET6);
	check(!err, "tcp connect/accept ::1", err ? strerror(-err) : "");

	for (i = 0; i < K_NR; i++) {
		struct probe *p = &probes[i];
		bool need = mode_needs(mode, p);
		char detail[64];

		if (p->err) {
			snprintf(detail, sizeof(detail), "not attached, %s", strerror(-p->err));
			if (need)
				check(false, p->name, detail);
			else
				printf("skip %s: %s\n", p->name, detail);
			continue;
		}
		snprintf(detail, sizeof(detail), "attached, %llu hits",
			 (unsigned long long)kind_hits(p->skel, i));
		if (need)
			check(kind_hits(p->skel, i) > 0, p->name, detail);
		else
			printf("info %s: %s\n", p->name, detail);
	}
	for (i = 0; i < K_NR; i++)
		probe_bpf__destroy(probes[i].skel);

	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
