// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Cheap checks, before the whole object is loaded, that the kernel accepts an attach mode's hooks. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "btf_scan.h"
#include "modeprobe.h"
#include "preflight.h"

#define INSN(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define MOV_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define MOV_REG(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* fentry/tcp_connect: return 0. */
static const struct bpf_insn fentry_insns[] = {
	MOV_IMM(BPF_REG_0, 0),
	EXIT(),
};

/* fexit/inet_csk_accept: bpf_get_func_ret(ctx, &ret) (5.17+), as sw_fexit_accept does there. */
static const struct bpf_insn fexit_insns[] = {
	MOV_REG(BPF_REG_6, BPF_REG_1), /* r6 = ctx */
	INSN(BPF_ST | BPF_MEM | BPF_DW, BPF_REG_10, 0, -8, 0), /* u64 ret = 0 on the stack */
	MOV_REG(BPF_REG_2, BPF_REG_10), /* r2 = &ret */
	INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -8),
	MOV_REG(BPF_REG_1, BPF_REG_6), /* r1 = ctx */
	INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_func_ret),
	MOV_IMM(BPF_REG_0, 0), /* return 0 */
	EXIT(),
};

/* fexit/inet_csk_accept before bpf_get_func_ret: the return value after (sk, flags, err, kern). */
static const struct bpf_insn fexit_args_insns[] = {
	INSN(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_0, BPF_REG_1, 32, 0), /* r0 = ctx[4] */
	MOV_IMM(BPF_REG_0, 0), /* return 0 */
	EXIT(),
};

/* One tracing program on the function with BTF id id: load, attach, release. 0 or -errno. */
static int try_tracing(__s32 id, enum bpf_attach_type type, const struct bpf_insn *insns, size_t n,
		       const char **stage)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = type, .attach_btf_id = id);
	int prog, link, e;

	*stage = "load";
	prog = bpf_prog_load(BPF_PROG_TYPE_TRACING, "sw_probe", "Dual BSD/GPL", insns, n, &opts);
	if (prog < 0)
		return -errno;
	*stage = "attach";
	link = bpf_raw_tracepoint_open(NULL, prog);
	e = link < 0 ? -errno : 0;
	if (link >= 0)
		close(link);
	close(prog);
	return e;
}

/*
 * BTF ids of kernel functions. libbpf 1.1 copies the 5 MiB of vmlinux BTF
 * into fresh memory and indexes every type: ~70 ms here, mostly page faults,
 * as much as the refused load the probe is there to avoid. One walk over the
 * mapped file takes a few ms; libbpf remains the fallback.
 */
static int find_funcs(const char *const *names, __s32 *ids, size_t n)
{
	struct btf *btf;
	int e;

	e = sw_vmlinux_find_funcs(names, ids, n);
	if (e != -EINVAL)
		return e;
	btf = btf__load_vmlinux_btf();
	if (!btf)
		return -errno;
	for (size_t i = 0; i < n; i++) {
		__s32 id = btf__find_by_name_kind(btf, names[i], BTF_KIND_FUNC);

		ids[i] = id > 0 ? id : 0;
	}
	btf__free(btf);
	return 0;
}

/*
 * Why try_tracing() failed, into why; returns -ENOTSUP (or -ENOMEM, which
 * says nothing, or -EMFILE/-ENFILE: out of file descriptors, not refused).
 */
static int refused(int e, const char *stage, const char *kind, const char *func, char *why,
		   size_t whylen)
{
	if (e == -ENOMEM)
		return e;
	/* no descriptor for the probe: no verdict on the kernel */
	if (sw_fd_exhausted(e))
		return sw_fd_limit_error(e, why, whylen);
	if (e == -EPERM)
		/* Refused before the verifier ran (lockdown, no trampolines). */
		snprintf(why, whylen, "kernel refused to %s an %s program on %s (EPERM)", stage,
			 kind, func);
	else
		snprintf(why, whylen, "kernel refused to %s an %s program on %s: %s", stage, kind,
			 func, strerror(-e));
	return -ENOTSUP;
}

/*
 * An fentry program on tcp_connect and an fexit program on inet_csk_accept
 * that reads the return value as sw_fexit_accept does: with
 * bpf_get_func_ret() (5.17), or where the verifier does not know that
 * helper, after the four arguments that function has up to 6.9.
 */
static int probe_fentry(char *why, size_t whylen)
{
	static const char *const funcs[] = { "tcp_connect", "inet_csk_accept" };
	__s32 ids[2];
	const char *stage;
	int e;

	e = find_funcs(funcs, ids, 2);
	if (e)
		return e; /* not the kernel's answer: let the full load tell */
	for (size_t i = 0; i < 2; i++) {
		if (!ids[i]) {
			snprintf(why, whylen, "kernel BTF has no function %s", funcs[i]);
			return -ENOTSUP;
		}
	}
	e = try_tracing(ids[0], BPF_TRACE_FENTRY, fentry_insns,
			sizeof(fentry_insns) / sizeof(fentry_insns[0]), &stage);
	if (e)
		return refused(e, stage, "fentry", funcs[0], why, whylen);
	e = try_tracing(ids[1], BPF_TRACE_FEXIT, fexit_insns,
			sizeof(fexit_insns) / sizeof(fexit_insns[0]), &stage);
	if (e == -EINVAL && !strcmp(stage, "load"))
		e = try_tracing(ids[1], BPF_TRACE_FEXIT, fexit_args_insns,
				sizeof(fexit_args_insns) / sizeof(fexit_args_insns[0]), &stage);
	if (e)
		return refused(e, stage, "fexit", funcs[1], why, whylen);
	return 0;
}

#define EVENT_SOURCES "/sys/bus/event_source/devices"

bool sw_kprobe_pmu_missing(void)
{
	/* no sysfs here (a bare container) says nothing about the kernel */
	return !access(EVENT_SOURCES, F_OK) && access(EVENT_SOURCES "/kprobe", F_OK) &&
	       errno == ENOENT;
}

/*
 * libbpf attaches a kprobe through perf_event_open() with the kprobe PMU's
 * type, or where there is none by writing to tracefs's kprobe_events: with
 * neither, no kprobe can be placed (CONFIG_KPROBES or CONFIG_KPROBE_EVENTS
 * is off).
 */
static int probe_kprobe(char *why, size_t whylen)
{
	static const char *const events[] = { SW_TRACEFS "/kprobe_events",
					      "/sys/kernel/debug/tracing/kprobe_events" };

	if (!access(EVENT_SOURCES "/kprobe/type", R_OK))
		return 0;
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		if (!access(events[i], F_OK))
			return 0;
	snprintf(why, whylen,
		 "kernel has no kprobes (CONFIG_KPROBES not set?): no kprobe PMU and no "
		 "kprobe_events in tracefs, so kprobe/tcp_connect cannot be attached");
	return -ENOTSUP;
}

int sw_probe_mode(enum sw_attach_mode mode, char *why, size_t whylen)
{
	switch (mode) {
	case SW_ATTACH_FENTRY:
		return probe_fentry(why, whylen);
	case SW_ATTACH_KPROBE:
		return probe_kprobe(why, whylen);
	default:
		return 0;
	}
}
