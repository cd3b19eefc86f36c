// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Integration test: --attach auto picks the first mode the kernel really accepts, and its cheap probes agree with full loads. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/audit.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>

#include "harness.h"
#include "modeprobe.h"
#include "tests.h"

static int no_records(const struct sw_record *r, void *ctx)
{
	return 0;
}

/* Whether the whole object loads and attaches in mode (forced, so no probe is involved). */
static bool mode_loads(enum sw_attach_mode mode, char *why, size_t n)
{
	struct sw_tracer_opts o = { .attach = mode };
	struct sw_tracer *t;

	if (sw_tracer_open(&o, no_records, NULL, &t, why, n))
		return false;
	sw_tracer_close(t);
	return true;
}

int t_auto_mode(void)
{
	static const enum sw_attach_mode modes[] = { SW_ATTACH_FENTRY, SW_ATTACH_KPROBE };
	enum sw_attach_mode best = SW_ATTACH_TRACEPOINT;
	struct sw_tracer_opts o = { .attach = SW_ATTACH_AUTO };
	struct sw_tracer *t;
	char why[512], pwhy[512];

	for (int i = 1; i >= 0; i--) {
		bool loads = mode_loads(modes[i], why, sizeof(why));
		int probe = sw_probe_mode(modes[i], pwhy, sizeof(pwhy));

		printf("# %s: full load %s%s%s; probe %s%s\n", sw_attach_mode_name(modes[i]),
		       loads ? "accepted" : "refused", loads ? "" : ": ", loads ? "" : why,
		       probe ? "refused: " : "accepted", probe ? pwhy : "");
		/* A probe may pass a mode whose full load fails later (auto then moves
		 * on), but it must never turn down a mode that loads. */
		CHECK(!loads || !probe, "the %s probe refused a mode that loads: %s",
		      sw_attach_mode_name(modes[i]), pwhy);
		if (loads)
			best = modes[i];
	}
	CHECK(sw_tracer_open(&o, no_records, NULL, &t, why, sizeof(why)) == 0, "auto: %s", why);
	printf("# auto chose %s%s%s\n", sw_attach_mode_name(sw_tracer_mode(t)),
	       *sw_tracer_rejected(t) ? ", rejected " : "", sw_tracer_rejected(t));
	if (sw_tracer_mode(t) != best) {
		test_fail(__FILE__, __LINE__, "mode",
			  "auto chose %s, the best mode that loads is %s",
			  sw_attach_mode_name(sw_tracer_mode(t)), sw_attach_mode_name(best));
		sw_tracer_close(t);
		return -1;
	}
	sw_tracer_close(t);
	return 0;
}

/* Makes bpf(cmd, ...) fail with EPERM in this process from now on (x86_64). */
static int deny_bpf_cmd(unsigned int cmd)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_bpf, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, cmd, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};

	return seccomp_filter(f, sizeof(f) / sizeof(f[0]));
}

/* In a child whose fentry attach is refused: the mode auto picks (exit code), 100+ on error. */
static int auto_without_fentry(void *arg)
{
	struct sw_tracer_opts o = { .attach = SW_ATTACH_AUTO };
	struct sw_tracer *t;
	char why[512];
	int mode;

	/* The fentry probe attaches with BPF_RAW_TRACEPOINT_OPEN; the other
	 * modes' programs attach through links and perf events. */
	if (deny_bpf_cmd(BPF_RAW_TRACEPOINT_OPEN))
		return 100;
	if (!sw_probe_mode(SW_ATTACH_FENTRY, why, sizeof(why)))
		return 101;
	printf("# fentry refused in the child: %s\n", why);
	if (sw_tracer_open(&o, no_records, NULL, &t, why, sizeof(why))) {
		printf("# auto: %s\n", why);
		return 102;
	}
	mode = sw_tracer_mode(t);
	printf("# auto chose %s, rejected %s\n", sw_attach_mode_name(mode), sw_tracer_rejected(t));
	fflush(stdout);
	sw_tracer_close(t);
	return mode;
}

int t_auto_without_fentry(void)
{
	enum sw_attach_mode want;
	char why[512];
	int got;

	/* The child refuses fentry by refusing BPF_RAW_TRACEPOINT_OPEN, which
	 * libbpf also attaches raw_tp programs with: where tp_btf does not load
	 * (before 5.12) every mode needs it, so the child can pick none. */
	if (sw_tracer_state_hook(H.tracer) == SW_STATE_HOOK_RAW_TP)
		return test_skip("fentry cannot be refused alone here: the raw_tp state hook "
				 "this kernel needs attaches the same way");
	want = mode_loads(SW_ATTACH_KPROBE, why, sizeof(why)) ? SW_ATTACH_KPROBE :
								SW_ATTACH_TRACEPOINT;
	fflush(stdout);
	got = reap(spawn("sw_nofentry", auto_without_fentry, NULL));
	CHECK(got == (int)want, "auto picked %d, want %s (child status %d)", got,
	      sw_attach_mode_name(want), got);
	return 0;
}
