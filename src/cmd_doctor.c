// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `sockwatch doctor`: what this kernel allows, by really loading and attaching, and what auto picks. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "abi.h"
#include "cli.h"
#include "preflight.h"
#include "snapshot_diag.h"
#include "snapshot_iter.h"
#include "strbuf.h"

/* One line of the report: a feature, whether it works, and why (or where). */
struct check {
	const char *key; /* JSON key */
	const char *title; /* text label */
	bool ok;
	char detail[600];
};

enum {
	C_KERNEL,
	C_BTF,
	C_CAPS,
	C_RINGBUF,
	C_TP_BTF,
	C_RAW_TP,
	C_SYSCALL_TP,
	C_COMPAT,
	C_FENTRY,
	C_KPROBE,
	C_SWEEP,
	C_URING,
	C_ITER,
	C_SOCK_DIAG,
	C_NETNS,
	C_CGROUP2,
	C_MAX,
};

static int no_records(const struct sw_record *r, void *ctx)
{
	return 0;
}

/* Really opens a tracer in one configuration; 0 or -errno with the reason in why. */
static int try_open(enum sw_attach_mode mode, enum sw_state_hook hook, char *why, size_t n,
		    struct sw_tracer **keep)
{
	struct sw_tracer_opts o = { .attach = mode, .state_hook = hook };
	struct sw_tracer *t;
	int e;

	e = sw_tracer_open(&o, no_records, NULL, &t, why, n);
	if (e)
		return e;
	if (keep)
		*keep = t;
	else
		sw_tracer_close(t);
	return 0;
}

static void cgroup2_check(struct check *c)
{
	static const char *const paths[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
	struct statfs st;

	for (size_t i = 0; i < 2; i++) {
		if (!statfs(paths[i], &st) && st.f_type == CGROUP2_SUPER_MAGIC) {
			c->ok = true;
			snprintf(c->detail, sizeof(c->detail), "%s", paths[i]);
			return;
		}
	}
	snprintf(c->detail, sizeof(c->detail), "not mounted (cgroup ids in events are still set)");
}

/* The snapshot's iterators, really loaded and attached. */
static void iter_check(struct check *c)
{
	struct sw_snap_iter *it;
	char why[256];

	c->ok = !sw_snap_iter_open(&it, why, sizeof(why));
	if (c->ok) {
		sw_snap_iter_close(it);
		snprintf(c->detail, sizeof(c->detail), "tcp and task_file iterators attached");
	} else {
		snprintf(c->detail, sizeof(c->detail),
			 "%s: the snapshot uses netlink sock_diag + /proc instead", why);
	}
}

/* The snapshot's fallback: one inet_diag dump of our own namespace. */
static void sock_diag_check(struct check *c)
{
	struct sw_diag_socks d = {};
	int fd, e;

	fd = sw_diag_open();
	e = fd < 0 ? fd : sw_diag_dump(fd, 0, &d);
	if (fd >= 0)
		close(fd);
	c->ok = !e;
	if (c->ok)
		snprintf(c->detail, sizeof(c->detail),
			 "inet_diag dumps (tcp, IPv4 and IPv6): %zu socket%s here", d.n,
			 d.n == 1 ? "" : "s");
	else
		snprintf(c->detail, sizeof(c->detail), "inet_diag dump failed: %s", strerror(-e));
	sw_diag_socks_free(&d);
}

/*
 * Whether the snapshot can enter the other network namespaces: setns()
 * needs CAP_SYS_ADMIN, which CAP_BPF + CAP_PERFMON do not give. Events come
 * from every namespace all the same: only what existed at start is missing.
 */
static void netns_check(struct check *c, bool admin)
{
	c->ok = admin;
	if (admin)
		snprintf(c->detail, sizeof(c->detail),
			 "CAP_SYS_ADMIN: the snapshot enters every network namespace");
	else
		snprintf(c->detail, sizeof(c->detail),
			 "no CAP_SYS_ADMIN: the snapshot cannot enter other network namespaces "
			 "(setns), so their existing sockets are missing from top's first table "
			 "and listen's baseline, and listen --learn refuses where there are any; "
			 "events are traced in every namespace all the same");
}

/*
 * The ring buffer map type. Creating a map needs the privileges too:
 * without them the kernel's EPERM says nothing about its version.
 */
static void ringbuf_check(struct check *c, bool privileged)
{
	int e;

	if (!privileged) {
		snprintf(c->detail, sizeof(c->detail), "not probed: missing privileges");
		return;
	}
	e = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL);
	c->ok = e == 1;
	if (c->ok)
		snprintf(c->detail, sizeof(c->detail), "BPF_MAP_TYPE_RINGBUF");
	else if (!e)
		snprintf(c->detail, sizeof(c->detail), "unavailable (kernel < 5.8?)");
	else
		snprintf(c->detail, sizeof(c->detail), "cannot probe: %s", strerror(-e));
}

static void run_checks(struct check *c, enum sw_attach_mode *chosen, enum sw_accept_exit *ax,
		       char *rejected, size_t rn)
{
	struct utsname u;
	struct sw_tracer *t = NULL;
	char why[512], twhy[256];
	unsigned int abis;

	uname(&u);
	c[C_KERNEL].ok = true;
	snprintf(c[C_KERNEL].detail, sizeof(c[C_KERNEL].detail), "%s %s", u.release, u.machine);

	/* read and parsed, as the tracer does before it loads anything */
	c[C_BTF].ok = !sw_btf_check(why, sizeof(why));
	snprintf(c[C_BTF].detail, sizeof(c[C_BTF].detail), "%s",
		 c[C_BTF].ok ? SW_VMLINUX_BTF : why);

	bool admin = sw_has_cap(CAP_SYS_ADMIN), bpf = sw_has_cap(CAP_BPF),
	     perfmon = sw_has_cap(CAP_PERFMON);
	c[C_CAPS].ok = admin || (bpf && perfmon);
	snprintf(c[C_CAPS].detail, sizeof(c[C_CAPS].detail),
		 "CAP_SYS_ADMIN %s, CAP_BPF %s, CAP_PERFMON %s%s", admin ? "yes" : "no",
		 bpf ? "yes" : "no", perfmon ? "yes" : "no",
		 c[C_CAPS].ok	? "" :
		 geteuid() == 0 ? " (root without them, as in an unprivileged container: grant "
				  "CAP_BPF and CAP_PERFMON)" :
				  " (run as root, or grant CAP_BPF and CAP_PERFMON)");

	abis = sw_compat_abis();
	c[C_COMPAT].ok = abis != 0;
	if (abis)
		snprintf(c[C_COMPAT].detail, sizeof(c[C_COMPAT].detail),
			 "%s%s: their syscalls skip the syscall tracepoints, so the tracepoint "
			 "and kprobe modes hook accept and listen exits on sys_exit (5.15+; "
			 "before, their accepts have no process there)",
			 sw_compat_abis_name(abis), sw_compat_abis_note(abis));
	else
		snprintf(c[C_COMPAT].detail, sizeof(c[C_COMPAT].detail),
			 "none: the kernel runs 64-bit syscalls only");

	ringbuf_check(&c[C_RINGBUF], c[C_CAPS].ok);

	if (!c[C_CAPS].ok || !c[C_BTF].ok) {
		for (int i = C_TP_BTF; i <= C_URING; i++) {
			if (i == C_COMPAT)
				continue; /* known without privileges: the answer stands */
			snprintf(c[i].detail, sizeof(c[i].detail), "not probed: %s",
				 c[C_CAPS].ok ? "no BTF" : "missing privileges");
		}
	} else {
		/* Each probe loads and attaches the real programs, then detaches. */
		c[C_TP_BTF].ok = !try_open(SW_ATTACH_TRACEPOINT, SW_STATE_HOOK_TP_BTF,
					   c[C_TP_BTF].detail, sizeof(c[C_TP_BTF].detail), NULL);
		c[C_RAW_TP].ok = !try_open(SW_ATTACH_TRACEPOINT, SW_STATE_HOOK_RAW_TP,
					   c[C_RAW_TP].detail, sizeof(c[C_RAW_TP].detail), NULL);
		c[C_SYSCALL_TP].ok = sw_tracefs_ready(twhy, sizeof(twhy)) == 0;
		if (c[C_SYSCALL_TP].ok)
			snprintf(c[C_SYSCALL_TP].detail, sizeof(c[C_SYSCALL_TP].detail),
				 "sys_exit_accept4/accept via tracefs at " SW_TRACEFS);
		else
			snprintf(c[C_SYSCALL_TP].detail, sizeof(c[C_SYSCALL_TP].detail),
				 "%s; accept exits are hooked on sys_exit instead", twhy);
		c[C_FENTRY].ok = !try_open(SW_ATTACH_FENTRY, SW_STATE_HOOK_AUTO, c[C_FENTRY].detail,
					   sizeof(c[C_FENTRY].detail), NULL);
		c[C_KPROBE].ok = !try_open(SW_ATTACH_KPROBE, SW_STATE_HOOK_AUTO, c[C_KPROBE].detail,
					   sizeof(c[C_KPROBE].detail), NULL);
		if (c[C_TP_BTF].ok)
			snprintf(c[C_TP_BTF].detail, sizeof(c[C_TP_BTF].detail),
				 "inet_sock_set_state attached");
		if (c[C_RAW_TP].ok)
			snprintf(c[C_RAW_TP].detail, sizeof(c[C_RAW_TP].detail),
				 "inet_sock_set_state attached");
		if (c[C_FENTRY].ok)
			snprintf(c[C_FENTRY].detail, sizeof(c[C_FENTRY].detail),
				 "fentry tcp_connect, fexit inet_csk_accept attached");
		if (c[C_KPROBE].ok)
			snprintf(c[C_KPROBE].detail, sizeof(c[C_KPROBE].detail),
				 "kprobe tcp_connect attached");
		/* What auto picks, and why the better modes were rejected. */
		if (!try_open(SW_ATTACH_AUTO, SW_STATE_HOOK_AUTO, why, sizeof(why), &t)) {
			*chosen = sw_tracer_mode(t);
			*ax = sw_tracer_accept_exit(t);
			snprintf(rejected, rn, "%s", sw_tracer_rejected(t));
			c[C_SWEEP].ok = !sw_tracer_no_sweep_why(t);
			if (c[C_SWEEP].ok)
				snprintf(c[C_SWEEP].detail, sizeof(c[C_SWEEP].detail),
					 "%s: closes the kernel never delivers are inferred",
					 sw_tracer_sweep_how(t));
			else
				snprintf(c[C_SWEEP].detail, sizeof(c[C_SWEEP].detail), "%s",
					 sw_tracer_no_sweep_why(t));
			c[C_URING].ok = !sw_tracer_uring_why(t);
			if (!c[C_URING].ok)
				snprintf(c[C_URING].detail, sizeof(c[C_URING].detail), "%s",
					 sw_tracer_uring_why(t));
			else if (*chosen != SW_ATTACH_FENTRY)
				snprintf(c[C_URING].detail, sizeof(c[C_URING].detail),
					 "tp_btf io_uring_submit_req, io_uring_complete: fd -> "
					 "file -> socket");
			else
				snprintf(c[C_URING].detail, sizeof(c[C_URING].detail),
					 "seen by fexit inet_csk_accept (mode fentry)");
			sw_tracer_close(t);
		} else {
			snprintf(rejected, rn, "%s", why);
			snprintf(c[C_SWEEP].detail, sizeof(c[C_SWEEP].detail),
				 "not probed: no mode runs");
			snprintf(c[C_URING].detail, sizeof(c[C_URING].detail),
				 "not probed: no mode runs");
		}
	}
	if (c[C_CAPS].ok && c[C_BTF].ok)
		iter_check(&c[C_ITER]);
	else
		snprintf(c[C_ITER].detail, sizeof(c[C_ITER].detail), "not probed: %s",
			 c[C_CAPS].ok ? "no BTF" : "missing privileges");
	sock_diag_check(&c[C_SOCK_DIAG]);
	netns_check(&c[C_NETNS], admin);
	cgroup2_check(&c[C_CGROUP2]);
}

static void print_json_str(const char *s)
{
	char mem[1024];
	struct sw_buf b;

	sw_buf_init(&b, mem, sizeof(mem));
	sw_buf_json_str(&b, s, strlen(s));
	fputs(mem, stdout);
}

static const char doctor_usage[] =
	"usage: sockwatch doctor [--json]\n"
	"\n"
	"Checks what this kernel allows by loading and attaching sockwatch's programs\n"
	"(and detaching them again), and says which attach mode 'auto' picks and why.\n"
	"Exits 0 if sockwatch can run here, 3 without privileges, 4 if the kernel\n"
	"cannot run it.\n";

/* The report on stdout, text or JSON; returns ret, the verdict's exit code. */
static int print_report(const struct check *c, enum sw_attach_mode chosen, enum sw_accept_exit ax,
			const char *rejected, bool json, int ret)
{
	const char *blocked;

	if (json) {
		printf("{\"can_run\":%s,\"mode\":\"%s\",\"accept_exit\":\"%s\",\"snapshot\":\"%s\"",
		       ret ? "false" : "true", ret ? "none" : sw_attach_mode_name(chosen),
		       ret			       ? "none" :
		       ax == SW_ACCEPT_EXIT_SYSCALL_TP ? "syscall_tracepoints" :
		       ax == SW_ACCEPT_EXIT_SYS_EXIT   ? "sys_exit" :
							 "none",
		       c[C_ITER].ok ? "iter" : "diag");
		for (int i = 0; i < C_MAX; i++) {
			printf(",\"%s\":{\"ok\":%s,\"detail\":", c[i].key,
			       c[i].ok ? "true" : "false");
			print_json_str(c[i].detail);
			putchar('}');
		}
		fputs(",\"rejected\":", stdout);
		print_json_str(rejected);
		puts("}");
		return ret;
	}
	for (int i = 0; i < C_MAX; i++)
		printf("%-21s %-4s %s\n", c[i].title,
		       i == C_KERNEL ? "" :
		       c[i].ok	     ? "yes" :
				       "no",
		       c[i].detail);
	printf("\nhooks with --attach auto:\n");
	if (ret) {
		printf("  none: %s\n", ret == SW_EXIT_PERM ? "missing privileges" :
				       !c[C_BTF].ok	   ? "no usable kernel BTF" :
							     rejected);
		printf("\nverdict: sockwatch cannot run here\n");
		return ret;
	}
	printf("  %-16s %s inet_sock_set_state (listen, connect, close, every transition)\n",
	       "state changes", c[C_TP_BTF].ok ? "tp_btf" : "raw_tp");
	blocked = ax == SW_ACCEPT_EXIT_SYSCALL_TP ?
			  " (+ accept syscall exit for acceptors blocked before start)" :
		  ax == SW_ACCEPT_EXIT_SYS_EXIT ?
			  " (+ accept exit via sys_exit for acceptors blocked before start)" :
			  "";
	if (chosen == SW_ATTACH_FENTRY) {
		printf("  %-16s fentry tcp_connect\n", "connect");
		printf("  %-16s fexit inet_csk_accept%s\n", "accept", blocked);
	} else {
		/* kprobe mode hooks no accept function: see accept_fn_hook() in src/tracer.c */
		if (chosen == SW_ATTACH_KPROBE)
			printf("  %-16s kprobe tcp_connect\n", "connect");
		else
			printf("  %-16s CLOSE->SYN_SENT transition (runs in the caller's "
			       "context)\n",
			       "connect");
		if (ax == SW_ACCEPT_EXIT_SYS_EXIT)
			printf("  %-16s sys_exit, accept/accept4 by number (64-bit, 32-bit, x32): "
			       "fd -> file -> socket\n",
			       "accept");
		else
			printf("  %-16s sys_exit_accept4/accept: fd -> file -> socket\n", "accept");
		/* no hook on that path: see kernel_accepted() in bpf/sockwatch.bpf.c */
		printf("  %-16s inside the kernel (nfsd, ksmbd, SMC): told from the socket at its "
		       "close or by the sweep (inferred, no owner)\n",
		       "");
	}
	printf("  %-16s %s\n", "snapshot",
	       c[C_ITER].ok ? "bpf_iter tcp (per netns) + task_file (owners)" :
			      "netlink sock_diag (per netns) + /proc/<pid>/fd (owners)");
	if (*rejected)
		printf("  %-16s %s\n", "rejected", rejected);
	printf("\nverdict: sockwatch can run here (mode %s)\n", sw_attach_mode_name(chosen));
	return ret;
}

int cmd_doctor(int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
					      { "help", no_argument, NULL, 'h' },
					      {} };
	struct check c[C_MAX] = {
		[C_KERNEL] = { .key = "kernel", .title = "kernel" },
		[C_BTF] = { .key = "btf", .title = "BTF" },
		[C_CAPS] = { .key = "capabilities", .title = "capabilities" },
		[C_RINGBUF] = { .key = "ringbuf", .title = "ring buffer" },
		[C_TP_BTF] = { .key = "tp_btf", .title = "tp_btf" },
		[C_RAW_TP] = { .key = "raw_tp", .title = "raw_tp" },
		[C_SYSCALL_TP] = { .key = "syscall_tracepoints", .title = "syscall tracepoints" },
		[C_COMPAT] = { .key = "compat_syscalls", .title = "32-bit syscalls" },
		[C_FENTRY] = { .key = "fentry", .title = "fentry/fexit" },
		[C_KPROBE] = { .key = "kprobe", .title = "kprobe" },
		[C_SWEEP] = { .key = "sweep", .title = "socket-map sweep" },
		[C_URING] = { .key = "io_uring_accepts", .title = "io_uring accepts" },
		[C_ITER] = { .key = "bpf_iter", .title = "bpf_iter" },
		[C_SOCK_DIAG] = { .key = "sock_diag", .title = "sock_diag" },
		[C_NETNS] = { .key = "netns_snapshot", .title = "other netns" },
		[C_CGROUP2] = { .key = "cgroup2", .title = "cgroup v2" },
	};
	enum sw_attach_mode chosen = SW_ATTACH_AUTO;
	enum sw_accept_exit ax = SW_ACCEPT_EXIT_NONE;
	char rejected[1024] = "";
	bool json = false;
	int opt, ret;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt == 'j') {
			json = true;
		} else if (opt == 'h') {
			fputs(doctor_usage, stdout);
			return SW_EXIT_OK;
		} else {
			return sw_opt_error("doctor", opt, argv, opts);
		}
	}
	if (optind < argc) {
		sw_err("unexpected argument '%s' (see 'sockwatch doctor --help')", argv[optind]);
		return SW_EXIT_USAGE;
	}
	/* Out of file descriptors, every probe would fail and read as a refusal: say that. */
	if (sw_check_nofile(rejected, sizeof(rejected))) {
		sw_err("%s", rejected);
		return SW_EXIT_FAILURE;
	}
	run_checks(c, &chosen, &ax, rejected, sizeof(rejected));

	if (!c[C_CAPS].ok)
		ret = SW_EXIT_PERM;
	else if (chosen == SW_ATTACH_AUTO)
		ret = SW_EXIT_KERNEL;
	else
		ret = SW_EXIT_OK;

	ret = print_report(c, chosen, ax, rejected, json, ret);
	return sw_stdout_end("the report", ret);
}
