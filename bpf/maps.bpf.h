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
