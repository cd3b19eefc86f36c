// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The tracer: loads and attaches the BPF programs, consumes the ring buffer, reports loss. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "abi.h"
#include "modeprobe.h"
#include "preflight.h"
#include "sockwatch.h"
#include "sockwatch.skel.h"
#include "sweep.skel.h"
#include "tracer.h"

#define LOSS_CHECK_NS (100 * 1000 * 1000ULL)
#define OWNERS_SLACK_NS (1000 * 1000 * 1000ULL)
#define LOG_CAP 16384
#define MAX_PROGS 12

/*
 * Reading in batches (opts.batch_ms). EAGER: the kernel wakes the reader for
 * the first record it has not seen. LAZY (records flow): records come without
 * a wake-up and the reader drains the ring buffer every batch_ms. SETTLE: the
 * first empty batch has switched the kernel back to waking; one more timed
 * drain collects a record submitted lazily while the switch was under way.
 */
enum batch_state { BATCH_EAGER, BATCH_LAZY, BATCH_SETTLE };

/*
 * A backlog of a quarter of the ring buffer wakes a lazy reader at once: a
 * safety valve for bursts, not the usual cadence. At an eighth, full-speed
 * churn crossed it every ~25 ms, twice as often as the batch timer, and the
 * tracer used ~25 % more CPU per connection (docs/benchmarks.md).
 */
#define WAKE_BACKLOG_SHIFT 2
#define WAKE_MIN_SHIFT 12

struct sw_tracer {
	struct sockwatch *skel;
	struct ring_buffer *rb;
	struct bpf_link **links;
	size_t nlinks;
	struct bpf_program *progs[MAX_PROGS]; /* attached, for recursion_misses */
	size_t nprogs;
	sw_record_fn fn;
	void *ctx;
	struct sw_tracer_opts opts;
	enum sw_attach_mode mode;
	enum sw_state_hook state_hook;
	enum sw_accept_exit accept_exit;
	char syscall_tp_why[384]; /* why the exits are on sys_exit, not the syscall tracepoints */
	char uring_why[512]; /* why io_uring accepts are not seen ("": they are) */
	int ncpus;
	__u64 seq;
	__u64 rb_drops_reported; /* ring-buffer drops already reported */
	__u64 skipped_reported; /* skipped kernel runs already reported */
	__u64 last_loss_check;
	__u64 delivered;
	__u64 by_kind[SW_EV_KIND_MAX];
	__u64 seeds; /* socks entries inserted from user space (sw_tracer_seed_sock) */
	__u64 user_deletes; /* socks entries deleted from user space (inferred closes) */
	/* socket-map evictions: at least this many, by the last sweep's count (see
	 * note_evictions()), and how many of them lost records reported */
	__u64 evictions_seen;
	__u64 evictions_reported;
	struct sweep *sweep; /* socket-map sweep (NULL: the kernel refused it) */
	struct bpf_link *sweep_link; /* its iterator, where it runs as one */
	__u64 last_sweep;
	/* opts.owners_pending: owner-less records stamped before this pass
	 * the comm filter (UINT64_MAX until sw_tracer_owners_seeded()) */
	__u64 owners_until;
	enum batch_state batch; /* with opts.batch_ms: how records are being read */
	/* wall_offset() read once per poll rather than twice per record: it moves
	 * only when the clock is set, and a batch spans 50 ms at most */
	__s64 wall_off;
	int stop_ret;
	char rejected[512];
};

/* libbpf output goes to a buffer while probing; shown only with -v or on failure. */
static struct {
	char buf[LOG_CAP];
	size_t len;
	bool verbose;
} libbpf_log;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[1024];
	va_list ap2;
	int n;

	if (level == LIBBPF_DEBUG && !libbpf_log.verbose)
		return 0;
	va_copy(ap2, ap);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	/* -v shows whole messages: a verifier log is one message of any size. */
	if (n >= 0 && libbpf_log.verbose)
		vfprintf(stderr, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return 0;
	if (libbpf_log.len + strlen(line) < LOG_CAP) {
		memcpy(libbpf_log.buf + libbpf_log.len, line, strlen(line) + 1);
		libbpf_log.len += strlen(line);
	}
	return 0;
}

void sw_libbpf_log_init(bool verbose)
{
	libbpf_log.verbose = verbose;
	libbpf_set_print(libbpf_print);
}

static void log_reset(void)
{
	libbpf_log.len = 0;
	libbpf_log.buf[0] = '\0';
}

/* Name of the program the last failed load complained about, from libbpf's log. */
static const char *log_failed_prog(char *name, size_t size)
{
	static const char *const marks[] = { "': BPF program load failed", "': failed to load" };
	const char *p = NULL, *end;
	size_t n;

	for (size_t i = 0; i < 2 && !p; i++) {
		end = strstr(libbpf_log.buf, marks[i]);
		if (!end)
			continue;
		/* Walk back to the "prog '" that opens this name. */
		for (p = end; p > libbpf_log.buf && p[-1] != '\''; p--)
			;
		if (p == libbpf_log.buf)
			p = NULL;
	}
	if (!p)
		return NULL;
	n = strcspn(p, "'");
	if (n == 0 || n >= size)
		return NULL;
	memcpy(name, p, n);
	name[n] = '\0';
	return name;
}

static __u64 now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* CLOCK_REALTIME - CLOCK_MONOTONIC now, in nanoseconds. */
static __s64 wall_offset(void)
{
	struct timespec m, r;

	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &r);
	return (__s64)(r.tv_sec * 1000000000ULL + r.tv_nsec) -
	       (__s64)(m.tv_sec * 1000000000ULL + m.tv_nsec);
}

static void mono_to_wall_off(__u64 mono_ns, __s64 off, struct timespec *wall)
{
	__u64 w = mono_ns + off;

	wall->tv_sec = w / 1000000000ULL;
	wall->tv_nsec = w % 1000000000ULL;
}

void sw_mono_to_wall(__u64 mono_ns, struct timespec *wall)
{
	mono_to_wall_off(mono_ns, wall_offset(), wall);
}

const char *sw_attach_mode_name(enum sw_attach_mode m)
{
	switch (m) {
	case SW_ATTACH_AUTO:
		return "auto";
	case SW_ATTACH_FENTRY:
		return "fentry";
	case SW_ATTACH_KPROBE:
		return "kprobe";
	case SW_ATTACH_TRACEPOINT:
		return "tracepoint";
	}
	return "unknown";
}

int sw_attach_mode_parse(const char *s, enum sw_attach_mode *m)
{
	for (int i = SW_ATTACH_AUTO; i <= SW_ATTACH_TRACEPOINT; i++) {
		if (!strcmp(s, sw_attach_mode_name(i))) {
			*m = i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *sw_accept_exit_name(enum sw_accept_exit a)
{
	switch (a) {
	case SW_ACCEPT_EXIT_SYSCALL_TP:
		return "accept syscall exit";
	case SW_ACCEPT_EXIT_SYS_EXIT:
		return "accept exit via sys_exit";
	case SW_ACCEPT_EXIT_NONE:
		return "none";
	default:
		return "auto";
	}
}

const char *sw_state_hook_name(enum sw_state_hook h)
{
	switch (h) {
	case SW_STATE_HOOK_TP_BTF:
		return "tp_btf";
	case SW_STATE_HOOK_RAW_TP:
		return "raw_tp";
	default:
		return "auto";
	}
}

static void emit_record(struct sw_tracer *t, struct sw_record *r)
{
	int ret;

	r->seq = ++t->seq;
	t->delivered++;
	t->by_kind[r->ev.kind < SW_EV_KIND_MAX ? r->ev.kind : 0]++;
	ret = t->fn(r, t->ctx);
	if (ret && !t->stop_ret)
		t->stop_ret = ret;
}

/*
 * Whether mode hooks the accept function itself: fentry mode's fexit on
 * inet_csk_accept. kprobe mode does not: a kretprobe holds one of a fixed
 * pool of instances (max(10, 2 x CPUs); libbpf cannot raise it for kprobes
 * made through the kprobe PMU) from the function's entry to its return,
 * so callers sleeping in accept() use them up and every other entry is
 * missed without a trace (the kernel counts them in nmissed, which no BPF
 * counter reports). kprobe mode takes its accepts as tracepoint mode does:
 * the syscall exits, io_uring's completions, and the socket for accepts
 * inside the kernel.
 */
static bool accept_fn_hook(enum sw_attach_mode mode)
{
	return mode == SW_ATTACH_FENTRY;
}

/*
 * Events lost because the kernel skipped a program that was already running
 * on that CPU. A skipped primary state program is not a loss when the twin
 * caught the run (counted in SW_CNT_NESTED); skips of the twin and of the
 * "pre" counter are not losses either: the primary handled those runs.
 */
/*
 * Runs of the programs whose skipped runs lose an event, as the kernel
 * counted them. Read before the NESTED counter that the caller subtracts:
 * a nested run bumps the primary's misses before the twin counts it, so in
 * that order one in flight is at worst not yet subtracted from either.
 */
static __u64 recursion_misses(struct sw_tracer *t)
{
	__u64 n = 0;

	for (size_t i = 0; i < t->nprogs; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		struct bpf_program *p = t->progs[i];

		/* Only skipped runs that lose an event count: the state
		 * primaries (less what the twins caught) and, where they are
		 * the accept hook (all modes but fentry), the accept syscall
		 * exits. A skipped connect hook only costs the owner; a
		 * skipped fexit has the syscall exit behind it. */
		if (p != t->skel->progs.sw_state_btf_main &&
		    p != t->skel->progs.sw_state_raw_main &&
		    !(!accept_fn_hook(t->mode) &&
		      (p == t->skel->progs.sw_exit_accept4 || p == t->skel->progs.sw_exit_accept)))
			continue;
		if (!bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len))
			n += info.recursion_misses;
	}
	return n;
}

/* What of misses the twins did not catch. */
static __u64 recursion_lost(__u64 misses, __u64 nested)
{
	return misses > nested ? misses - nested : 0;
}

static int read_counters(struct sw_tracer *t, __u64 out[SW_CNT_MAX])
{
	int fd = bpf_map__fd(t->skel->maps.counters);
	__u64 vals[t->ncpus];

	for (__u32 k = 0; k < SW_CNT_MAX; k++) {
		out[k] = 0;
		if (bpf_map_lookup_elem(fd, &k, vals))
			return -errno;
		for (int c = 0; c < t->ncpus; c++)
			out[k] += vals[c];
	}
	return 0;
}

static void emit_lost(struct sw_tracer *t, __u64 now, __u64 n, const char *where)
{
	struct sw_record r = {};

	r.ev.kind = SW_EV_LOST;
	r.ev.ts_ns = now;
	r.lost = n;
	r.lost_where = where;
	sw_mono_to_wall(now, &r.wall);
	emit_record(t, &r);
}

/*
 * The sweep shares the tracer's maps; it is optional: without it, a close the
 * kernel never delivers stays unknown. One walk of the socket map, loaded as
 * a raw_tp program run with BPF_PROG_TEST_RUN (bpf_for_each_map_elem, 5.13),
 * else (iter) as a map-element iterator on it (5.9), run by reading it.
 */
static int sweep_load(struct sw_tracer *t, bool iter)
{
	LIBBPF_OPTS(bpf_iter_attach_opts, io);
	union bpf_iter_link_info li = {};
	struct sweep *w;
	int e;

	w = sweep__open();
	if (!w)
		return -errno;
	/* As the tracer's programs: sweep_open() runs before the mode is chosen. */
	w->rodata->key_by_ptr = t->skel->rodata->key_by_ptr;
	w->rodata->filter_port = t->opts.port;
	w->rodata->filter_pid = t->opts.pid;
	bpf_program__set_autoload(w->progs.sw_sweep, !iter);
	bpf_program__set_autoload(w->progs.sw_sweep_iter, iter);
	e = bpf_map__reuse_fd(w->maps.events, bpf_map__fd(t->skel->maps.events));
	e = e ?: bpf_map__reuse_fd(w->maps.socks, bpf_map__fd(t->skel->maps.socks));
	e = e ?: bpf_map__reuse_fd(w->maps.counters, bpf_map__fd(t->skel->maps.counters));
	e = e ?: bpf_map__reuse_fd(w->maps.listen_starts, bpf_map__fd(t->skel->maps.listen_starts));
	e = e ?: bpf_map__reuse_fd(w->maps.accepts, bpf_map__fd(t->skel->maps.accepts));
	e = e ?: bpf_map__reuse_fd(w->maps.accept_claims, bpf_map__fd(t->skel->maps.accept_claims));
	e = e ?: sweep__load(w);
	if (!e && iter) {
		li.map.map_fd = bpf_map__fd(t->skel->maps.socks);
		io.link_info = &li;
		io.link_info_len = sizeof(li);
		t->sweep_link = bpf_program__attach_iter(w->progs.sw_sweep_iter, &io);
		if (!t->sweep_link)
			e = -errno;
	}
	if (e) {
		sweep__destroy(w);
		return e < 0 ? e : -e;
	}
	t->sweep = w;
	return 0;
}

/* 0 with or without a sweep (the kernel may refuse both walks); -EMFILE/-ENFILE when out of fds. */
static int sweep_open(struct sw_tracer *t)
{
	int e = sweep_load(t, false);

	if (e && !sw_fd_exhausted(e))
		e = sweep_load(t, true);
	if (!e)
		t->last_sweep = now_mono();
	return sw_fd_exhausted(e) ? e : 0;
}

static void sweep_close(struct sw_tracer *t)
{
	bpf_link__destroy(t->sweep_link);
	t->sweep_link = NULL;
	sweep__destroy(t->sweep);
	t->sweep = NULL;
}

/*
 * Evictions from the socket map, from what went in and out of it around a
 * count of its entries: every entry inserted before the count (inserts)
 * and neither deleted by its end (deletes) nor evicted was counted, so
 * inserts + seeds - deletes - user deletes - counted is at least the
 * evictions so far, and exactly them when nothing ran meanwhile (at exit,
 * the programs detached). Only ever raised.
 */
static void note_evictions(struct sw_tracer *t, __u64 inserts, __u64 deletes, __u64 counted)
{
	__u64 in = inserts + t->seeds, out = deletes + t->user_deletes + counted;

	if (in > out && in - out > t->evictions_seen)
		t->evictions_seen = in - out;
}

/* Entries in the socket map, walked from user space (a syscall each). */
static __u64 count_entries(struct sw_tracer *t)
{
	int fd = bpf_map__fd(t->skel->maps.socks);
	__u64 key, next, n = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		n++;
		key = next;
		prev = &key;
	}
	return n;
}

/*
 * One pass of the sweep; its records arrive through the ring buffer. It
 * also counts the map's entries (bss swept), which gives the evictions.
 */
static void sweep_run(struct sw_tracer *t)
{
	LIBBPF_OPTS(bpf_test_run_opts, ro);
	__u64 args[1] = {}, before[SW_CNT_MAX], after[SW_CNT_MAX];
	bool counted = !read_counters(t, before);
	char buf[64];
	int fd;

	t->sweep->bss->swept = 0;
	if (t->sweep_link) {
		/* the iterator writes nothing: it only has to run to the end */
		fd = bpf_iter_create(bpf_link__fd(t->sweep_link));
		if (fd < 0)
			return;
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	} else {
		t->sweep->bss->walk_accepts =
			__atomic_load_n(&t->skel->bss->accepts_live, __ATOMIC_SEQ_CST) != 0;
		ro.ctx_in = args;
		ro.ctx_size_in = sizeof(args);
		if (bpf_prog_test_run_opts(bpf_program__fd(t->sweep->progs.sw_sweep), &ro))
			return;
		/* the accepts entries it removed (left by closes never delivered) */
		__atomic_fetch_sub(&t->skel->bss->accepts_live,
				   __atomic_exchange_n(&t->sweep->bss->accepts_dropped, 0,
						       __ATOMIC_SEQ_CST),
				   __ATOMIC_SEQ_CST);
	}
	if (counted && !read_counters(t, after))
		note_evictions(t, before[SW_CNT_SOCK_INSERTS], after[SW_CNT_SOCK_DELETES],
			       t->sweep->bss->swept);
}

/*
 * Turns new losses into in-band lost records: "ringbuf" (records that did
 * not fit, exact), "kernel" (runs the kernel skipped; counted before any
 * filter, so an upper bound for a filtered run) and "socket-map" (entries
 * evicted from the full socket map: no record is missing, but the later
 * records of those sockets have no owner, flagged SW_F_NO_ENTRY; found by
 * the sweep's count, so every 2 s, and exact at exit).
 */
static void check_loss(struct sw_tracer *t, bool force)
{
	__u64 now = now_mono(), cnt[SW_CNT_MAX], skipped, misses;

	if (!force && now - t->last_loss_check < LOSS_CHECK_NS)
		return;
	t->last_loss_check = now;
	if (t->sweep && now - t->last_sweep >= SW_SWEEP_INTERVAL_NS) {
		t->last_sweep = now;
		sweep_run(t);
	}
	misses = recursion_misses(t);
	if (read_counters(t, cnt))
		return;
	if (cnt[SW_CNT_RB_DROPS] > t->rb_drops_reported) {
		emit_lost(t, now, cnt[SW_CNT_RB_DROPS] - t->rb_drops_reported, "ringbuf");
		t->rb_drops_reported = cnt[SW_CNT_RB_DROPS];
	}
	skipped = recursion_lost(misses, cnt[SW_CNT_NESTED]);
	if (skipped > t->skipped_reported) {
		emit_lost(t, now, skipped - t->skipped_reported, "kernel");
		t->skipped_reported = skipped;
	}
	if (t->evictions_seen > t->evictions_reported) {
		emit_lost(t, now, t->evictions_seen - t->evictions_reported, SW_LOST_SOCKET_MAP);
		t->evictions_reported = t->evictions_seen;
	}
}

static int on_sample(void *ctx, void *data, size_t size)
{
	struct sw_tracer *t = ctx;
	struct sw_record r = {};

	if (sw_event_decode(data, size, &r.ev))
		return 0;
	/* The sweep leaves the entry of a close it inferred for us to delete
	 * (an inferred accept's socket lives on). */
	if ((r.ev.flags & SW_F_INFERRED) &&
	    (r.ev.kind == SW_EV_CLOSE || r.ev.kind == SW_EV_UNLISTEN)) {
		if (!bpf_map_delete_elem(bpf_map__fd(t->skel->maps.socks), &r.ev.cookie))
			t->user_deletes++;
		if (r.ev.kind == SW_EV_UNLISTEN)
			bpf_map_delete_elem(bpf_map__fd(t->skel->maps.listen_starts), &r.ev.cookie);
		/* the sweep leaves these records' port and pid filters to us */
		if ((t->opts.port && r.ev.lport != t->opts.port && r.ev.rport != t->opts.port) ||
		    (t->opts.pid && r.ev.pid != t->opts.pid))
			return 0;
	}
	/* the sweep's records, of the kinds the caller reads */
	if (t->opts.kinds && (r.ev.kind >= 32 || !(t->opts.kinds & (1u << r.ev.kind))))
		return 0;
	/* owner-less until seeded: the caller judges by its row's owner */
	if (t->opts.comm && !(!r.ev.pid && r.ev.ts_ns < t->owners_until) &&
	    strncmp(r.ev.comm, t->opts.comm, SW_COMM_LEN - 1))
		return 0;
	mono_to_wall_off(r.ev.ts_ns, t->wall_off, &r.wall);
	emit_record(t, &r);
	return t->stop_ret ? t->stop_ret : 0;
}

/*
 * Destroys every link; with read, reads the ring buffer after each. A
 * link's destruction waits until no run of its program is in flight (an
 * RCU grace period: 40-55 ms a link on the build machines), while the
 * programs still attached go on recording: at full speed the four slow
 * links of a tracepoint-mode tracer took ~200 ms in all, in which ~2 MB of
 * records filled the ring of `events` and the rest was lost.
 */
static void links_destroy(struct sw_tracer *t, bool read)
{
	for (size_t i = 0; i < t->nlinks; i++) {
		bpf_link__destroy(t->links[i]);
		if (read && t->rb && !t->stop_ret)
			ring_buffer__consume(t->rb);
	}
	t->nlinks = 0;
}

void sw_tracer_detach(struct sw_tracer *t)
{
	links_destroy(t, true);
}

/* Detaches, and forgets which programs were attached (a mode that failed to load). */
static void detach_all(struct sw_tracer *t)
{
	links_destroy(t, false);
	free(t->links);
	t->links = NULL;
	t->nlinks = 0;
	t->nprogs = 0;
}

static int attach_prog(struct sw_tracer *t, struct bpf_program *p, char *err, size_t errlen)
{
	struct bpf_link *l, **nl;
	int e;

	l = bpf_program__attach(p);
	if (!l) {
		e = -errno;
		if (sw_fd_exhausted(e))
			return sw_fd_limit_error(e, err, errlen);
		/*
		 * Without a kprobe PMU libbpf falls back to tracefs's kprobe_events:
		 * ENOENT as root, EACCES without (tracefs is root's), when the
		 * kernel has no kprobes at all. Either way: no kprobes, exit 4.
		 */
		if (bpf_program__type(p) == BPF_PROG_TYPE_KPROBE &&
		    (e == -ENOENT || sw_kprobe_pmu_missing())) {
			snprintf(
				err, errlen,
				"kernel has no kprobes (CONFIG_KPROBES not set?): cannot attach %s "
				"(%s)",
				bpf_program__name(p), bpf_program__section_name(p));
			return -ENOTSUP;
		}
		snprintf(err, errlen, "kernel refused to attach %s (%s): %s", bpf_program__name(p),
			 bpf_program__section_name(p), strerror(-e));
		return e == -ENOENT ? -ENOTSUP : e;
	}
	nl = realloc(t->links, (t->nlinks + 1) * sizeof(*nl));
	if (!nl) {
		bpf_link__destroy(l);
		return -ENOMEM;
	}
	t->links = nl;
	t->links[t->nlinks++] = l;
	if (t->opts.verbose)
		fprintf(stderr, "sockwatch: attached %s (%s)\n", bpf_program__name(p),
			bpf_program__section_name(p));
	return 0;
}

/* Which io_uring accept programs a load includes (see try_mode_uring()). */
enum uring_progs {
	URING_NONE,
	URING_CQE, /* io_uring_complete(ctx, req, cqe): after 6.12 */
	URING_ARGS, /* io_uring_complete(ctx, req, user_data, res, cflags, ...): 6.12 */
	URING_SQE_ARGS, /* the same with io_uring_submit_sqe(req, ...): 6.1 */
};

/*
 * The programs a mode uses, in attach order. The mode's own hooks come first,
 * so that when the kernel refuses one (no kprobes, say) nothing else has been
 * attached and detached again for nothing. The state chain keeps its order:
 * pre, main, twin.
 */
static size_t mode_progs(struct sockwatch *s, enum sw_attach_mode mode, enum sw_state_hook hook,
			 enum sw_accept_exit ax, enum uring_progs uring, struct bpf_program **out)
{
	size_t n = 0;

	if (mode == SW_ATTACH_FENTRY) {
		out[n++] = s->progs.sw_fentry_tcp_connect;
		out[n++] = s->progs.sw_fexit_accept;
	} else if (mode == SW_ATTACH_KPROBE) {
		out[n++] = s->progs.sw_kprobe_tcp_connect;
	}
	if (ax == SW_ACCEPT_EXIT_SYSCALL_TP) {
		out[n++] = s->progs.sw_exit_accept4;
		out[n++] = s->progs.sw_exit_accept;
		out[n++] = s->progs.sw_enter_listen;
		out[n++] = s->progs.sw_exit_listen;
	} else if (ax == SW_ACCEPT_EXIT_SYS_EXIT) {
		out[n++] = hook == SW_STATE_HOOK_TP_BTF ? s->progs.sw_sys_exit_btf :
							  s->progs.sw_sys_exit_raw;
	}
	if (uring != URING_NONE) {
		out[n++] = uring == URING_SQE_ARGS ? s->progs.sw_uring_submit_sqe :
						     s->progs.sw_uring_submit;
		out[n++] = uring == URING_CQE ? s->progs.sw_uring_complete :
						s->progs.sw_uring_complete_args;
	}
	if (hook == SW_STATE_HOOK_TP_BTF) {
		out[n++] = s->progs.sw_state_btf_pre;
		out[n++] = s->progs.sw_state_btf_main;
		out[n++] = s->progs.sw_state_btf_twin;
	} else {
		out[n++] = s->progs.sw_state_raw_pre;
		out[n++] = s->progs.sw_state_raw_main;
		out[n++] = s->progs.sw_state_raw_twin;
	}
	return n;
}

/*
 * What reads the loaded object's records: the ring-buffer consumer, the
 * socket-map sweep and the reader's wake-up threshold. Made before the
 * programs are attached: on a busy machine records flow from the first
 * attach on, and loading the sweep's program took long enough for them to
 * fill the ring buffer before anything read it.
 */
static int reader_open(struct sw_tracer *t, char *err, size_t errlen)
{
	int e;

	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), on_sample, t, NULL);
	if (!t->rb) {
		e = -errno;
		if (sw_fd_exhausted(e))
			return sw_fd_limit_error(e, err, errlen);
		snprintf(err, errlen, "cannot set up the ring buffer: %s", strerror(-e));
		return e;
	}
	e = sweep_open(t);
	if (e)
		return sw_fd_limit_error(e, err, errlen);
	if (t->opts.batch_ms) {
		unsigned int shift = WAKE_MIN_SHIFT;
		__u32 size = bpf_map__max_entries(t->skel->maps.events);

		while (shift < 31 && (1u << (shift + WAKE_BACKLOG_SHIFT)) < size)
			shift++;
		t->skel->bss->rb_wake_shift = shift;
	}
	return 0;
}

static void reader_close(struct sw_tracer *t)
{
	ring_buffer__free(t->rb);
	t->rb = NULL;
	sweep_close(t);
}

/* How the BPF side tells that a listen() call is under way: the same hooks see its exit. */
static __u8 listen_exit_for(enum sw_accept_exit ax)
{
	switch (ax) {
	case SW_ACCEPT_EXIT_SYSCALL_TP:
		return SW_LISTEN_EXIT_SYSCALL_TP;
	case SW_ACCEPT_EXIT_SYS_EXIT:
		return SW_LISTEN_EXIT_SYS_EXIT;
	default:
		return SW_LISTEN_EXIT_NONE;
	}
}

/* The networks whose connect attempts are reported, into the LPM trie (v4 as ::ffff:0:0/96). */
static int fill_connect_nets(struct sockwatch *s, const struct sw_tracer_opts *o, char *err,
			     size_t errlen)
{
	__u8 one = 1;

	for (size_t i = 0; i < o->nconnect_nets; i++) {
		const struct sw_net *n = &o->connect_nets[i];
		struct sw_net_key k = { .prefixlen = n->plen };

		if (n->family == SW_AF_INET) {
			k.prefixlen += 96;
			k.addr[10] = 0xff;
			k.addr[11] = 0xff;
			memcpy(k.addr + 12, n->addr, 4);
		} else {
			memcpy(k.addr, n->addr, sizeof(k.addr));
		}
		if (bpf_map__update_elem(s->maps.connect_nets, &k, sizeof(k), &one, sizeof(one),
					 BPF_ANY)) {
			int e = -errno;

			snprintf(err, errlen, "cannot fill the connect_nets map: %s", strerror(-e));
			return e;
		}
	}
	return 0;
}

/* One attempt at a mode: open, configure, load, set up the reader, attach. */
static int try_mode(struct sw_tracer *t, enum sw_attach_mode mode, enum sw_state_hook hook,
		    enum sw_accept_exit ax, enum uring_progs uring, char *err, size_t errlen)
{
	const struct sw_tracer_opts *o = &t->opts;
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	struct bpf_program *progs[MAX_PROGS], *p;
	struct sockwatch *s;
	char name[128];
	size_t n;
	int e;

	log_reset();
	/*
	 * For a type vmlinux lacks (mptcp_sock without MPTCP, say), libbpf looks
	 * through the modules' BTF, and listing those needs CAP_SYS_ADMIN: with
	 * CAP_BPF alone the whole load would fail. Our types are vmlinux's, so
	 * there CO-RE is pinned to vmlinux's BTF, which never searches modules.
	 */
	if (!sw_has_cap(CAP_SYS_ADMIN))
		oo.btf_custom_path = SW_VMLINUX_BTF;
	s = sockwatch__open_opts(&oo);
	if (!s) {
		e = -errno;
		snprintf(err, errlen, "cannot open BPF object: %s", strerror(-e));
		return e;
	}
	s->rodata->filter_family = o->family;
	s->rodata->filter_port = o->port;
	s->rodata->filter_netns = o->netns;
	s->rodata->filter_pid = o->pid;
	s->rodata->emit_states = o->states;
	s->rodata->emit_connect_start = o->nconnect_nets > 0;
	s->rodata->emit_kinds = o->kinds ? o->kinds : ~0u;
	s->rodata->remote_nets_only = o->remote_nets_only && o->nconnect_nets > 0;
	s->rodata->accept_fn_hook = accept_fn_hook(mode);
	s->rodata->listen_exit = listen_exit_for(ax);
	s->rodata->key_by_ptr = hook == SW_STATE_HOOK_RAW_TP;
	bpf_object__for_each_program(p, s->obj) bpf_program__set_autoload(p, false);
	n = mode_progs(s, mode, hook, ax, uring, progs);
	for (size_t i = 0; i < n; i++)
		bpf_program__set_autoload(progs[i], true);
	if (o->ringbuf_bytes)
		bpf_map__set_max_entries(s->maps.events, o->ringbuf_bytes);
	if (o->max_sockets)
		bpf_map__set_max_entries(s->maps.socks, o->max_sockets);
	if (o->nconnect_nets)
		bpf_map__set_max_entries(s->maps.connect_nets, o->nconnect_nets);

	e = sockwatch__load(s);
	if (e) {
		const char *prog = log_failed_prog(name, sizeof(name));

		e = e < 0 ? e : -e;
		if (sw_fd_exhausted(e))
			sw_fd_limit_error(e, err, errlen); /* not the kernel's refusal */
		else if (e == -EPERM && prog)
			snprintf(err, errlen, "kernel refused program %s (EPERM)", prog);
		else if (prog)
			snprintf(err, errlen, "kernel refused program %s: %s", prog, strerror(-e));
		else
			snprintf(err, errlen, "kernel refused the BPF object: %s", strerror(-e));
		sockwatch__destroy(s);
		/* The kernel's EPERM here is a refusal, not a missing privilege
		 * (sw_preflight checked those): report it as unsupported. */
		return e == -EPERM ? -ENOTSUP : e;
	}
	t->skel = s;
	/* before the first attach: no owner-less event may be filtered out */
	s->bss->owners_pending = o->owners_pending;
	e = fill_connect_nets(s, o, err, errlen);
	if (e)
		goto fail;
	e = reader_open(t, err, errlen);
	if (e)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		e = attach_prog(t, progs[i], err, errlen);
		if (e)
			goto fail;
		t->progs[t->nprogs++] = progs[i];
	}
	return 0;
fail:
	detach_all(t);
	reader_close(t);
	sockwatch__destroy(s);
	t->skel = NULL;
	return e;
}

static void note_rejected(struct sw_tracer *t, const char *what, const char *why)
{
	size_t n = strlen(t->rejected);

	snprintf(t->rejected + n, sizeof(t->rejected) - n, "%s%s: %s", n ? "; " : "", what, why);
}

/* Whether the BPF side can tell a listen() call on sys_exit (bpf_task_pt_regs, 5.15). */
static bool sys_exit_tells_listen(void)
{
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_task_pt_regs, NULL) > 0;
}

/*
 * How to hook the accept and listen syscalls' exits in mode: the syscall
 * tracepoints, or the sys_exit raw tracepoint, which runs a program on
 * every syscall (and costs no more measurably: docs/attach-modes.md).
 * sys_exit where tracefs cannot give the syscall tracepoints (as a user
 * with CAP_BPF and CAP_PERFMON but not root, tracefs is not readable), and
 * where the exits are the accept hook (tracepoint and kprobe modes) and the
 * kernel runs 32-bit or x32 programs: the syscall tracepoints skip their
 * calls, so their accepts would have no process (fentry mode's fexit sees
 * them). Only from 5.15 on, where sys_exit can still tell a failed
 * listen() apart.
 * SW_ACCEPT_EXIT_NONE with err set when the forced choice is impossible.
 */
static enum sw_accept_exit accept_exit_for(struct sw_tracer *t, enum sw_attach_mode mode, char *err,
					   size_t errlen)
{
	char why[256];
	unsigned int abis;

	t->syscall_tp_why[0] = '\0';
	if (t->opts.accept_exit == SW_ACCEPT_EXIT_SYS_EXIT)
		return SW_ACCEPT_EXIT_SYS_EXIT;
	if (sw_tracefs_ready(why, sizeof(why))) {
		snprintf(t->syscall_tp_why, sizeof(t->syscall_tp_why),
			 "the syscall tracepoints are unavailable: %s", why);
		if (t->opts.accept_exit == SW_ACCEPT_EXIT_SYSCALL_TP) {
			snprintf(err, errlen, "syscall tracepoints unavailable: %s", why);
			return SW_ACCEPT_EXIT_NONE;
		}
		return SW_ACCEPT_EXIT_SYS_EXIT;
	}
	if (t->opts.accept_exit == SW_ACCEPT_EXIT_SYSCALL_TP || accept_fn_hook(mode))
		return SW_ACCEPT_EXIT_SYSCALL_TP;
	abis = sw_compat_abis();
	if (!abis || !sys_exit_tells_listen())
		return SW_ACCEPT_EXIT_SYSCALL_TP;
	snprintf(t->syscall_tp_why, sizeof(t->syscall_tp_why),
		 "the kernel runs %s programs%s, whose syscalls the syscall tracepoints skip",
		 sw_compat_abis_name(abis), sw_compat_abis_note(abis));
	return SW_ACCEPT_EXIT_SYS_EXIT;
}

/* Whether err names program prog (not only a program whose name starts so). */
static bool err_names(const char *err, const char *prog)
{
	size_t n = strlen(prog);

	for (const char *p = strstr(err, prog); p; p = strstr(p + 1, prog))
		if (p[n] != '_' && (p[n] < 'a' || p[n] > 'z'))
			return true;
	return false;
}

/*
 * try_mode(), with the io_uring accept programs where the mode needs them:
 * every mode but fentry (whose fexit on the accept function sees io_uring's
 * accepts), on tp_btf. Their tracepoints changed twice: io_uring_submit_sqe
 * became io_uring_submit_req after 6.1, io_uring_complete's arguments one
 * struct io_uring_cqe * after 6.12. Only the kernel says which it has (the
 * verifier refuses a program whose arguments do not match), so the forms
 * are tried newest first, a whole load each, skipping those a refusal rules
 * out; a kernel that refuses all runs the mode without them, and says so.
 */
static int try_mode_uring(struct sw_tracer *t, enum sw_attach_mode mode, enum sw_state_hook hook,
			  enum sw_accept_exit ax, char *err, size_t errlen)
{
	enum uring_progs forms[] = { URING_CQE, URING_ARGS, URING_SQE_ARGS };
	bool no_submit_req = false;
	int e = -ENOTSUP;
	size_t n;

	t->uring_why[0] = '\0';
	if (accept_fn_hook(mode))
		return try_mode(t, mode, hook, ax, URING_NONE, err, errlen);
	if (hook != SW_STATE_HOOK_TP_BTF) {
		snprintf(t->uring_why, sizeof(t->uring_why),
			 "their programs need tp_btf, and the state hook is raw_tp");
		return try_mode(t, mode, hook, ax, URING_NONE, err, errlen);
	}
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		if (no_submit_req && forms[i] != URING_SQE_ARGS)
			continue;
		e = try_mode(t, mode, hook, ax, forms[i], err, errlen);
		if (!e)
			t->uring_why[0] = '\0'; /* what an earlier form's refusal said */
		if (!e || sw_fd_exhausted(e) || !strstr(err, "sw_uring_"))
			return e;
		n = strlen(t->uring_why);
		snprintf(t->uring_why + n, sizeof(t->uring_why) - n, "%s%s", n ? "; " : "", err);
		if (err_names(err, "sw_uring_submit"))
			no_submit_req = true;
		if (err_names(err, "sw_uring_submit_sqe"))
			break; /* the last form's submission hook */
	}
	if (t->opts.verbose)
		fprintf(stderr, "sockwatch: accepts through io_uring will not be seen: %s\n",
			t->uring_why);
	return try_mode(t, mode, hook, ax, URING_NONE, err, errlen);
}

/* Tries the state hook (tp_btf, then raw_tp) for one connect/accept mode. */
static int try_hooks(struct sw_tracer *t, enum sw_attach_mode mode, char *err, size_t errlen)
{
	enum sw_state_hook hooks[2] = { SW_STATE_HOOK_TP_BTF, SW_STATE_HOOK_RAW_TP };
	/* The accept-syscall exit is the accept hook of the tracepoint and kprobe
	 * modes, and a fallback in fentry mode for acceptors blocked before we
	 * attached. */
	enum sw_accept_exit ax = accept_exit_for(t, mode, err, errlen);
	int nh = 2, e = -ENOTSUP;

	if (ax == SW_ACCEPT_EXIT_NONE)
		return -ENOENT;
	if (t->opts.state_hook != SW_STATE_HOOK_AUTO) {
		hooks[0] = t->opts.state_hook;
		nh = 1;
	}
	for (int i = 0; i < nh; i++) {
		e = try_mode_uring(t, mode, hooks[i], ax, err, errlen);
		if (!e) {
			t->mode = mode;
			t->state_hook = hooks[i];
			t->accept_exit = ax;
			return 0;
		}
		/* Only a refused tp_btf program is a reason to try raw_tp. */
		if (sw_fd_exhausted(e) ||
		    (!strstr(err, "sw_state_btf") && !strstr(err, "sw_sys_exit_btf")))
			break;
	}
	return e;
}

int sw_tracer_open(const struct sw_tracer_opts *o, sw_record_fn fn, void *ctx,
		   struct sw_tracer **out, char *err, size_t errlen)
{
	enum sw_attach_mode order[] = { SW_ATTACH_FENTRY, SW_ATTACH_KPROBE, SW_ATTACH_TRACEPOINT };
	struct sw_tracer *t;
	char why[512];
	int e = -ENOTSUP;

	e = sw_preflight(err, errlen);
	if (e)
		return e;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->opts = *o;
	t->owners_until = o->owners_pending ? UINT64_MAX : 0;
	t->fn = fn;
	t->ctx = ctx;
	t->ncpus = libbpf_num_possible_cpus();
	if (t->ncpus <= 0) {
		snprintf(err, errlen, "cannot count possible CPUs");
		e = -ENODEV;
		goto out_free;
	}
	sw_libbpf_log_init(o->verbose);

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (o->attach != SW_ATTACH_AUTO && o->attach != order[i])
			continue;
		/* auto: a mode the kernel refuses cheaply is not loaded whole. A
		 * forced mode is always loaded, so that its error names the program. */
		e = o->attach == SW_ATTACH_AUTO ? sw_probe_mode(order[i], why, sizeof(why)) : 0;
		if (e != -ENOTSUP && !sw_fd_exhausted(e))
			e = try_hooks(t, order[i], why, sizeof(why));
		if (!e)
			break;
		/* out of file descriptors: no verdict on this mode or the next */
		if (sw_fd_exhausted(e)) {
			sw_fd_limit_error(e, err, errlen);
			goto out_free;
		}
		note_rejected(t, sw_attach_mode_name(order[i]), why);
		if (o->verbose)
			fprintf(stderr, "sockwatch: %s mode not available: %s\n",
				sw_attach_mode_name(order[i]), why);
	}
	if (e) {
		snprintf(err, errlen, "%s", o->attach == SW_ATTACH_AUTO ? t->rejected : why);
		goto out_free;
	}

	t->last_loss_check = now_mono();
	*out = t;
	return 0;

out_free:
	free(t);
	return e;
}

static void set_lazy(struct sw_tracer *t, bool lazy)
{
	/* seq_cst: the store is visible before the drain that follows it */
	__atomic_store_n(&t->skel->bss->rb_lazy, lazy, __ATOMIC_SEQ_CST);
}

/* Reads one batch: waits (on the timer while lazy), then drains what is there. */
static int poll_batch(struct sw_tracer *t, int timeout_ms)
{
	__u64 before = t->delivered;
	int e, c;

	/* Records submitted without a wake-up leave epoll asleep: drain anyway. */
	e = ring_buffer__poll(t->rb, sw_tracer_wait_ms(t, timeout_ms));
	c = t->stop_ret ? 0 : ring_buffer__consume(t->rb);
	if (e >= 0 && c < 0)
		e = c;
	if (t->delivered != before) {
		if (t->batch != BATCH_LAZY)
			set_lazy(t, true);
		t->batch = BATCH_LAZY;
	} else if (t->batch == BATCH_LAZY) {
		set_lazy(t, false);
		t->batch = BATCH_SETTLE;
	} else {
		t->batch = BATCH_EAGER;
	}
	return e;
}

int sw_tracer_wait_ms(const struct sw_tracer *t, int timeout_ms)
{
	if (t->opts.batch_ms && t->batch != BATCH_EAGER &&
	    (timeout_ms < 0 || timeout_ms > (int)t->opts.batch_ms))
		return t->opts.batch_ms;
	return timeout_ms;
}

int sw_tracer_poll(struct sw_tracer *t, int timeout_ms)
{
	__u64 before = t->delivered;
	int e;

	t->wall_off = wall_offset();
	if (t->opts.batch_ms)
		e = poll_batch(t, timeout_ms);
	else
		e = ring_buffer__poll(t->rb, timeout_ms);
	check_loss(t, false);
	if (t->stop_ret) {
		e = t->stop_ret;
		t->stop_ret = 0;
		return e < 0 ? e : (int)(t->delivered - before);
	}
	if (e < 0 && e != -EINTR)
		return e;
	return (int)(t->delivered - before);
}

int sw_tracer_unseed_sock(struct sw_tracer *t, __u64 key, const struct sw_sock *s)
{
	int fd = bpf_map__fd(t->skel->maps.socks);
	struct sw_sock cur;

	if (bpf_map_lookup_elem(fd, &key, &cur))
		return -errno;
	/* the kernel's entry of a later life of the key has a birth and its owner */
	if (cur.birth_ns != s->birth_ns || cur.pid != s->pid || cur.skptr != s->skptr)
		return -EEXIST;
	if (bpf_map_delete_elem(fd, &key))
		return -errno;
	t->user_deletes++;
	return 0;
}

void sw_tracer_owners_seeded(struct sw_tracer *t)
{
	if (!t->opts.owners_pending)
		return;
	__atomic_store_n(&t->skel->bss->owners_pending, 0, __ATOMIC_SEQ_CST);
	/* a record stamped just after the store may have read the flag before it */
	t->owners_until = now_mono() + OWNERS_SLACK_NS;
}

int sw_tracer_tick_ms(const struct sw_tracer *t)
{
	__u64 now = now_mono(), due;

	if (!t->sweep)
		return -1;
	/* check_loss() sweeps once both its own and the sweep's interval passed */
	due = t->last_sweep + SW_SWEEP_INTERVAL_NS;
	if (due < t->last_loss_check + LOSS_CHECK_NS)
		due = t->last_loss_check + LOSS_CHECK_NS;
	if (due <= now)
		return 0;
	/* rounded up: a wait that ends before the sweep is due would spin */
	return (int)((due - now + 999999) / 1000000);
}

int sw_tracer_drain(struct sw_tracer *t)
{
	__u64 before = t->delivered;
	int e;

	t->wall_off = wall_offset();
	e = ring_buffer__consume(t->rb);
	check_loss(t, true);
	t->stop_ret = 0;
	if (e < 0 && e != -EINTR)
		return e;
	return (int)(t->delivered - before);
}

int sw_tracer_final_drain(struct sw_tracer *t)
{
	/*
	 * No sweep comes after this one: a close the kernel never delivered is
	 * reported now, not lost with the map. Two passes, as two periodic ones:
	 * an entry is reported only if its socket is gone at both (a CLOSE
	 * transition running during the first has removed its entry by the
	 * second: the kernel runs the tracepoint before it stores the state).
	 */
	if (t->sweep) {
		sweep_run(t);
		sweep_run(t);
		t->last_sweep = now_mono();
	} else {
		__u64 cnt[SW_CNT_MAX];

		/* the evictions in-band all the same, counted from here */
		if (!read_counters(t, cnt))
			note_evictions(t, cnt[SW_CNT_SOCK_INSERTS], cnt[SW_CNT_SOCK_DELETES],
				       count_entries(t));
	}
	return sw_tracer_drain(t);
}

void sw_tracer_counters(struct sw_tracer *t, struct sw_counters *c)
{
	__u64 cnt[SW_CNT_MAX] = {}, misses;

	memset(c, 0, sizeof(*c));
	misses = recursion_misses(t); /* first: see there */
	read_counters(t, cnt);
	c->events = cnt[SW_CNT_EVENTS];
	c->rb_drops = cnt[SW_CNT_RB_DROPS];
	c->sock_inserts = cnt[SW_CNT_SOCK_INSERTS];
	c->sock_deletes = cnt[SW_CNT_SOCK_DELETES];
	c->sock_update_fail = cnt[SW_CNT_SOCK_UPDATE_FAIL];
	c->filtered = cnt[SW_CNT_FILTERED];
	c->nested = cnt[SW_CNT_NESTED];
	c->inferred = cnt[SW_CNT_INFERRED];
	c->recursion_misses = recursion_lost(misses, c->nested);
	c->delivered = t->delivered;
	memcpy(c->by_kind, t->by_kind, sizeof(c->by_kind));
}

void sw_tracer_counters_full(struct sw_tracer *t, struct sw_counters *c)
{
	struct sw_counters before;
	__u64 live;

	/* inserts - deletes - live is exact only if nothing changed during the
	 * walk; retry a few times, then settle for a lower bound. */
	for (int tries = 0; tries < 4; tries++) {
		sw_tracer_counters(t, &before);
		live = count_entries(t);
		sw_tracer_counters(t, c);
		if (before.sock_inserts == c->sock_inserts &&
		    before.sock_deletes == c->sock_deletes)
			break;
	}
	c->sock_live = live;
	/* Seeded entries are live without a kernel insert, and the entries of
	 * inferred closes go without a kernel delete: neither is an eviction. */
	if (before.sock_inserts + t->seeds > c->sock_deletes + t->user_deletes + live)
		c->evictions =
			before.sock_inserts + t->seeds - c->sock_deletes - t->user_deletes - live;
}

__u64 sw_tracer_accepts_live(const struct sw_tracer *t)
{
	return __atomic_load_n(&t->skel->bss->accepts_live, __ATOMIC_SEQ_CST);
}

void sw_tracer_test_maps(struct sw_tracer *t, struct sw_tracer_test_maps *m)
{
	m->socks = bpf_map__fd(t->skel->maps.socks);
	m->accepts = bpf_map__fd(t->skel->maps.accepts);
	m->accept_claims = bpf_map__fd(t->skel->maps.accept_claims);
	m->accepts_live = &t->skel->bss->accepts_live;
}

enum sw_attach_mode sw_tracer_mode(const struct sw_tracer *t)
{
	return t->mode;
}

enum sw_state_hook sw_tracer_state_hook(const struct sw_tracer *t)
{
	return t->state_hook;
}

const char *sw_tracer_rejected(const struct sw_tracer *t)
{
	return t->rejected;
}

enum sw_accept_exit sw_tracer_accept_exit(const struct sw_tracer *t)
{
	return t->accept_exit;
}

const char *sw_tracer_sweep_how(const struct sw_tracer *t)
{
	if (!t->sweep)
		return NULL;
	return t->sweep_link ? "a map-element iterator" : "bpf_for_each_map_elem";
}

const char *sw_tracer_no_sweep_why(const struct sw_tracer *t)
{
	if (t->sweep)
		return NULL;
	return "the kernel refused both its programs (bpf_for_each_map_elem needs 5.13, a "
	       "map-element iterator 5.9)";
}

const char *sw_tracer_failed_listen_why(const struct sw_tracer *t)
{
	if (t->accept_exit == SW_ACCEPT_EXIT_SYSCALL_TP)
		return NULL;
	if (t->accept_exit == SW_ACCEPT_EXIT_SYS_EXIT && sys_exit_tells_listen())
		return NULL;
	return "listen() is hooked on sys_exit, where telling a listen() call apart needs "
	       "bpf_task_pt_regs (5.15)";
}

const char *sw_tracer_uring_why(const struct sw_tracer *t)
{
	return t->uring_why[0] ? t->uring_why : NULL;
}

int sw_tracer_uring_entries(const struct sw_tracer *t, __u64 user_data)
{
	int fd = bpf_map__fd(t->skel->maps.uring_accepts);
	struct sw_uring_key k, next, *prev = NULL;
	struct sw_uring_req r;
	__u64 rk, rnext, *rprev = NULL;
	int n = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		n += next.user_data == user_data;
		k = next;
		prev = &k;
	}
	if (errno != ENOENT)
		return -errno;
	fd = bpf_map__fd(t->skel->maps.uring_reqs);
	while (!bpf_map_get_next_key(fd, rprev, &rnext)) {
		if (!bpf_map_lookup_elem(fd, &rnext, &r))
			n += r.key.user_data == user_data;
		rk = rnext;
		rprev = &rk;
	}
	return errno == ENOENT ? n : -errno;
}

const char *sw_tracer_syscall_tp_why(const struct sw_tracer *t)
{
	return t->syscall_tp_why;
}

size_t sw_tracer_prog_ids(const struct sw_tracer *t, __u32 *ids, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < t->nprogs && k < n; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (!bpf_obj_get_info_by_fd(bpf_program__fd(t->progs[i]), &info, &len))
			ids[k++] = info.id;
	}
	return k;
}

void sw_tracer_close(struct sw_tracer *t)
{
	if (!t)
		return;
	detach_all(t);
	reader_close(t);
	sockwatch__destroy(t->skel);
	free(t);
}

int sw_tracer_epoll_fd(const struct sw_tracer *t)
{
	return ring_buffer__epoll_fd(t->rb);
}

int sw_tracer_seed_sock(struct sw_tracer *t, __u64 key, const struct sw_sock *s)
{
	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.socks), &key, s, BPF_NOEXIST))
		return -errno;
	t->seeds++;
	return 0;
}
