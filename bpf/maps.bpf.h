/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Maps the tracer's objects share: bpf/sockwatch.bpf.c creates them and
 * bpf/sweep.bpf.c reuses them (bpf_map__reuse_fd), so both declare them here.
 */
#ifndef SW_MAPS_BPF_H
#define SW_MAPS_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SW_RINGBUF_BYTES);
} events SEC(".maps");

/* Per-socket state by socket cookie (by socket pointer in the raw_tp fallback). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SW_MAX_SOCKETS);
	__type(key, __u64);
	__type(value, struct sw_sock);
} socks SEC(".maps");

/*
 * Accepted sockets by pointer: one accept event per socket whichever hooks
 * fire, even when accept() returns the child before its own ESTABLISHED
 * transition (it is queued first) and so before it has its final cookie.
 * Removed at the socket's CLOSE, so a reused pointer starts clean; and
 * since that CLOSE can reach no BPF program at all (docs/attach-modes.md,
 * "Known issue"), each entry carries its socket's tag (accept_tag,
 * sw_accept_tag()): one left by an earlier socket at the address is no
 * entry of the socket there now (accept_ours(), accept_stale_drop()), and
 * the sweep removes those whose socket is gone (bpf/sweep.bpf.c).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SW_MAX_SOCKETS);
	__type(key, __u64);
	__type(value, struct sw_sock);
} accepts SEC(".maps");

/*
 * Who reports an accept, claimed by one map insert that only one caller can
 * win: the accept hook, or the child's SYN_RECV->ESTABLISHED transition when
 * accept() dequeued it before that transition ran. Keyed by socket pointer,
 * removed at CLOSE; the value is the claimant's socket's tag
 * (sw_accept_tag()), so that a claim an earlier socket at the address left
 * (its CLOSE never delivered) is known as such (accept_stale_drop()).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SW_MAX_SOCKETS);
	__type(key, __u64);
	__type(value, __u32);
} accept_claims SEC(".maps");

/*
 * What tells the socket at ptr from an earlier one at the same address in
 * the accept maps: its skc_hash, the hash of its 4-tuple and netns that the
 * kernel stores when it puts a listener's child in the established table,
 * before the child can be queued for accept(), and leaves alone until the
 * socket is freed (unhashing at CLOSE does not clear it). One load from the
 * socket, taken only where an accept map entry is made or found, never on
 * a normal accept's path. Two sockets at one address with the same 4-tuple
 * (or a 1 in 2^32 collision) look alike: as before the tag.
 */
static __always_inline __u32 sw_accept_tag(__u64 ptr)
{
	return BPF_CORE_READ((struct sock *)(unsigned long)ptr, __sk_common.skc_hash);
}

/* The networks whose connect attempts are reported (emit_connect_start); sized at load. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sw_net_key);
	__type(value, __u8);
} connect_nets SEC(".maps");

/*
 * When the process that made a listener started (its thread group
 * leader's start_boottime), by the listener's key: for its listen record,
 * which may come from its transition, its listen() exit, its close or the
 * sweep (sw_entry_fill()). Made at CLOSE->LISTEN, removed at LISTEN->CLOSE
 * (or with the entry of an unlisten the sweep inferred). A map of its own,
 * not a field of struct sw_sock: that would make every connection's entry
 * larger.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u64);
} listen_starts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SW_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &which);

	if (v)
		*v += 1;
}

#endif /* SW_MAPS_BPF_H */
