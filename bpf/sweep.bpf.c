// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The socket-map sweep: a walk (bpf_for_each_map_elem, 5.13) over the tracer's
 * per-socket map, run by the loader every SW_SWEEP_INTERVAL_NS through
 * BPF_PROG_TEST_RUN of an unattached raw_tp program; on older kernels (5.9 to
 * 5.12) the same walk as a map-element iterator, run by reading it. The
 * raw_tp walk comes first because some kernels that allow raw_tp refuse
 * iterators. An entry whose socket is
 * gone (its memory now holds another socket, or it is in CLOSE) lost its
 * CLOSE transition: on some kernels a transition occasionally never reaches
 * any BPF program (docs/attach-modes.md). Found gone at two sweeps in a row,
 * it becomes a close (or unlisten) record flagged SW_F_INFERRED, built from
 * what the entry remembers, and user space deletes the entry. The walk
 * also reports what no hook can see at all in some modes: a listener not
 * reported for want of its port, an accept done inside the kernel. The
 * raw_tp walk then removes what such a lost CLOSE left in the accepts map
 * (accepts_sweep_one()).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>

#include "sockwatch.h"
#include "maps.bpf.h"
#include "entry.bpf.h"
#include "tuple.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by the loader like the tracer's own. */
const volatile bool key_by_ptr = false;
const volatile __u16 filter_port = 0;
const volatile __u32 filter_pid = 0;

/* Entries the last walk visited (user space zeroes it before an iterator's walk). */
__u64 swept;

/*
 * Whether the socket an entry points to is still that socket and not closed;
 * *same tells whether it is still that socket at all (then *state is its
 * state). Sockets live in SLAB_TYPESAFE_BY_RCU memory: a freed one is reused
 * only by another socket, which starts with a new (zero) cookie. Keyed by
 * pointer (raw_tp), only the state can tell.
 */
static __always_inline bool still_open(const struct sw_sock *s, __u64 key, bool *same, __u8 *state)
{
	struct sock *sk = (struct sock *)(unsigned long)s->skptr;

	*state = BPF_CORE_READ(sk, __sk_common.skc_state);
	*same = key_by_ptr || BPF_CORE_READ(sk, __sk_common.skc_cookie.counter) == key;
	return *same && *state && *state != SW_TCP_CLOSE;
}

/*
 * One record about the entry s under key, unless the filters drop it (if
 * filter); true if sent.
 */
static __always_inline bool sweep_emit(__u64 key, const struct sw_sock *s, __u8 kind, __u8 oldstate,
				       __u8 newstate, __u8 flags, __u64 wake, bool filter)
{
	struct sw_event *e;

	if (filter && ((filter_port && s->lport != filter_port && s->rport != filter_port) ||
		       (filter_pid && s->pid != filter_pid)))
		return false;
	e = sw_record_new(key, kind, oldstate, newstate,
			  flags | (key_by_ptr ? SW_F_KEY_IS_PTR : 0));
	if (!e)
		return false;
	sw_entry_fill(e, s);
	SW_COPY_ENDPOINTS(e, s);
	bpf_ringbuf_submit(e, wake);
	count(SW_CNT_EVENTS);
	return true;
}

/*
 * A listener whose port was not known at its CLOSE->LISTEN transition and
 * whose listen() exit did not report it (a 32-bit caller, io_uring, the
 * kernel's own listen): reported here once the socket has its port.
 */
static __always_inline void listen_pending(__u64 key, struct sw_sock *s)
{
	struct sock *sk = (struct sock *)(unsigned long)s->skptr;
	bool same;
	__u8 state;
	__u16 port;

	/* A second's grace: a listen() exit in flight reports it itself. */
	if (bpf_ktime_get_ns() - s->birth_ns < 1000000000ULL)
		return;
	if (!still_open(s, key, &same, &state) || state != SW_TCP_LISTEN)
		return;
	port = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (!port)
		return;
	s->lport = port;
	s->flags &= ~SW_SOCK_F_LISTEN_PENDING;
	sweep_emit(key, s, SW_EV_LISTEN, SW_TCP_CLOSE, SW_TCP_LISTEN, 0, BPF_RB_FORCE_WAKEUP, true);
}

/*
 * A listener's child (tracepoint and kprobe modes) that no hook saw
 * accepted and that the kernel accepted (sw_accepted_by_kernel()): see
 * kernel_accepted() in sockwatch.bpf.c, which reports those whose close
 * comes first. Found so at two sweeps in a row: a process's accept() that
 * takes such a socket over (SMC hands it the TCP socket) reports it from its
 * exit, microseconds after the graft, and a sweep in between must not report
 * it as well.
 * Reported once, with no owner, flagged inferred; the entry stays.
 */
static __always_inline void kernel_accept(__u64 key, struct sw_sock *s)
{
	bool same;
	__u8 state;

	if (!still_open(s, key, &same, &state) ||
	    !sw_accepted_by_kernel((struct sock *)(unsigned long)s->skptr)) {
		s->sweep &= ~SW_SWEEP_KACCEPT;
		return;
	}
	if (!(s->sweep & SW_SWEEP_KACCEPT)) {
		s->sweep |= SW_SWEEP_KACCEPT;
		return;
	}
	s->accept_hook = SW_ACCEPT_HOOK_NONE_KERNEL;
	sweep_emit(key, s, SW_EV_ACCEPT, 0, state < SW_TCP_STATE_MAX ? state : 0, SW_F_INFERRED, 0,
		   true);
}

static long sweep_one(struct bpf_map *map, __u64 *key, struct sw_sock *s, void *ctx)
{
	bool same;
	__u8 state;

	if (key && s && s->skptr && (s->flags & SW_SOCK_F_WATCH_KACCEPT) && !s->accept_hook)
		kernel_accept(*key, s);

	if (key && s && s->skptr && (s->flags & SW_SOCK_F_LISTEN_PENDING)) {
		/* never reported, so never reported gone either */
		listen_pending(*key, s);
		return 0;
	}

	/* No endpoints yet (a connect not answered) or unknown address: nothing
	 * to report from. Already reported: user space is deleting it. */
	if (!key || !s || !s->skptr || !s->family || (s->sweep & SW_SWEEP_REPORTED))
		return 0;
	if (still_open(s, *key, &same, &state)) {
		s->sweep &= ~SW_SWEEP_SUSPECT;
		return 0;
	}
	if (!(s->sweep & SW_SWEEP_SUSPECT)) {
		s->sweep |= SW_SWEEP_SUSPECT;
		return 0;
	}
	/*
	 * User space deletes the entry when the record reaches it, so the flag
	 * goes on before the record does (never onto a freed entry), and off
	 * again if none went (the ring buffer full: the next sweep tries
	 * again). The port and pid filters are user space's here: a record
	 * they drop must still reach it, or the entry would stay for good.
	 */
	s->sweep |= SW_SWEEP_REPORTED;
	if (sweep_emit(*key, s, (s->sweep & SW_SWEEP_LISTENER) ? SW_EV_UNLISTEN : SW_EV_CLOSE,
		       same && state < SW_TCP_STATE_MAX ? state : 0, SW_TCP_CLOSE, SW_F_INFERRED, 0,
		       false))
		count(SW_CNT_INFERRED);
	else
		s->sweep &= ~SW_SWEEP_REPORTED;
	return 0;
}

/*
 * accepts entries this program deleted; user space takes them off the
 * tracer's accepts_live (sockwatch.bpf.c) after each run and zeroes this.
 */
__u64 accepts_dropped;
/* Set by user space before each run: the tracer's accepts_live is not 0
 * (else no entry is there, and the walk over the map's buckets is skipped). */
__u32 walk_accepts;

/*
 * One entry of the accepts map, under the address of its socket. Left
 * behind if that socket's CLOSE transition reached no BPF program
 * (docs/attach-modes.md, "Known issue"): then the socket there now is
 * another one (its tag, sw_accept_tag(), is not the entry's), or it is in
 * CLOSE (freed, and the memory not taken again; or closed). Such an entry
 * keeps accepts_live above 0, and with it the look-ups every connection
 * would skip; the next child at that address would take it for none
 * (sockwatch.bpf.c accept_ours()) and remove it, but the address may
 * never be used again by one. Found so at two sweeps in a row, it goes,
 * with the claim the same socket left: a hook that made its entry a moment
 * ago and is still checking whether its socket closed (accept_listed())
 * must find it there, and an element freed and taken by another insert
 * while this walk reads it must not be judged by a mix of both. An entry
 * of a live socket (one still queued, or whose cookie is not made yet,
 * which keeps it until the socket's close) always has its socket's tag.
 * Left open: a child that lands at the address in the instant between the
 * second look and the delete, its hook having replaced the stale entry with
 * its own, loses that entry (the delete is by key).
 */
static long accepts_sweep_one(struct bpf_map *map, __u64 *ptr, struct sw_sock *acc, void *ctx)
{
	struct sock *sk;
	__u32 tag, *claim;

	if (!ptr || !acc)
		return 0;
	sk = (struct sock *)(unsigned long)*ptr;
	tag = sw_accept_tag(*ptr);
	if (acc->accept_tag == tag && BPF_CORE_READ(sk, __sk_common.skc_state) != SW_TCP_CLOSE) {
		acc->sweep &= ~SW_SWEEP_SUSPECT;
		return 0;
	}
	if (!(acc->sweep & SW_SWEEP_SUSPECT)) {
		acc->sweep |= SW_SWEEP_SUSPECT;
		return 0;
	}
	tag = acc->accept_tag;
	if (bpf_map_delete_elem(&accepts, ptr))
		return 0;
	accepts_dropped++;
	claim = bpf_map_lookup_elem(&accept_claims, ptr);
	if (claim && *claim == tag)
		bpf_map_delete_elem(&accept_claims, ptr);
	return 0;
}

SEC("raw_tp")
int sw_sweep(void *ctx)
{
	swept = bpf_for_each_map_elem(&socks, sweep_one, NULL, 0);
	/* not in the iterator's walk (before 5.13): there the next child at
	 * the address removes what was left (sockwatch.bpf.c) */
	if (walk_accepts)
		bpf_for_each_map_elem(&accepts, accepts_sweep_one, NULL, 0);
	return 0;
}

/* The same walk for kernels without bpf_for_each_map_elem: attached to socks. */
SEC("iter/bpf_map_elem")
int sw_sweep_iter(struct bpf_iter__bpf_map_elem *ctx)
{
	__u64 *key = ctx->key;
	struct sw_sock *s = ctx->value;

	if (key && s) {
		swept++;
		sweep_one(ctx->map, key, s, NULL);
	}
	return 0;
}
