/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The tracer: loads and attaches the BPF programs, consumes the ring buffer, reports loss. */
#ifndef SW_TRACER_H
#define SW_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "addr.h"
#include "event.h"

enum sw_state_hook {
	SW_STATE_HOOK_AUTO = 0,
	SW_STATE_HOOK_TP_BTF,
	SW_STATE_HOOK_RAW_TP,
};

/*
 * Where the accept syscalls' exit is hooked: the accept hook of the
 * tracepoint and kprobe modes, and in fentry mode the fallback for
 * acceptors blocked before the tracer attached.
 */
enum sw_accept_exit {
	SW_ACCEPT_EXIT_AUTO = 0, /* the syscall tracepoints if tracefs allows, else sys_exit */
	SW_ACCEPT_EXIT_SYSCALL_TP, /* syscalls/sys_exit_accept4 and sys_exit_accept */
	SW_ACCEPT_EXIT_SYS_EXIT, /* the sys_exit raw tracepoint, by syscall number */
	SW_ACCEPT_EXIT_NONE, /* no tracer (doctor), or the forced hook is impossible */
};

struct sw_tracer_opts {
	enum sw_attach_mode attach; /* SW_ATTACH_AUTO probes fentry, kprobe, tracepoint */
	enum sw_state_hook state_hook;
	enum sw_accept_exit accept_exit;
	unsigned int family; /* 0 any, SW_AF_INET, SW_AF_INET6 (kernel filter) */
	__u16 port; /* local or remote port (kernel filter) */
	__u32 netns; /* netns inode (kernel filter) */
	__u32 pid; /* owner tgid (kernel filter) */
	const char *comm; /* exact process name (user-space filter) */
	bool states; /* emit every transition as SW_EV_STATE */
	/* Emit CLOSE->SYN_SENT as SW_EV_STATE, with its owner, for peers in these networks. */
	const struct sw_net *connect_nets;
	size_t nconnect_nets;
	/*
	 * The record kinds the caller reads (bits 1 << SW_EV_*; 0: all). The
	 * kernel side drops the others before they take ring-buffer space.
	 */
	__u32 kinds;
	/* connect, connect_failed and accept records only for peers in connect_nets */
	bool remote_nets_only;
	bool verbose; /* libbpf and attach details on stderr */
	__u32 ringbuf_bytes; /* ring buffer size (power of 2 pages); 0 = SW_RINGBUF_BYTES */
	__u32 max_sockets; /* entries of the socket map; 0 = SW_MAX_SOCKETS */
	/*
	 * 0: the kernel wakes the reader for every record it has not seen yet.
	 * Else, while records flow, they are read in batches at most batch_ms
	 * apart (listen and unlisten, and a large backlog, still wake at once).
	 */
	unsigned int batch_ms;
	/*
	 * The caller seeds the owners of sockets older than the tracer
	 * (sw_tracer_seed_sock) and says when it is done
	 * (sw_tracer_owners_seeded). Until then their events carry no owner:
	 * the pid and comm filters let owner-less events through, for the
	 * caller to judge by what it knows of the socket.
	 */
	bool owners_pending;
};

/* Called for every record in delivery order; a non-zero return stops the poll. */
typedef int (*sw_record_fn)(const struct sw_record *r, void *ctx);

struct sw_counters {
	__u64 events; /* records the kernel wrote */
	__u64 rb_drops; /* records lost because the ring buffer was full */
	__u64 sock_inserts;
	__u64 sock_deletes;
	__u64 sock_update_fail;
	__u64 filtered; /* suppressed by kernel filters */
	__u64 nested; /* nested state changes the twin program caught */
	__u64 recursion_misses; /* events lost to runs the kernel skipped */
	__u64 inferred; /* closes the sweep inferred (the kernel never ran our CLOSE hook) */
	__u64 sock_live; /* entries in the socks map now (only from sw_tracer_counters_full) */
	__u64 evictions; /* LRU evictions: inserts - deletes - live */
	__u64 delivered; /* records handed to the callback (incl. lost records) */
	__u64 by_kind[SW_EV_KIND_MAX];
};

struct sw_tracer;

/*
 * Sends libbpf's messages to a buffer instead of stderr (shown as they come
 * with verbose). sw_tracer_open() does it; a verb that loads BPF programs
 * without a tracer (the snapshot's iterators) calls it first.
 */
void sw_libbpf_log_init(bool verbose);
/*
 * Opens, loads and attaches. On failure returns -errno and writes one line
 * naming the cause (capability, BTF, which program the kernel refused) to err.
 */
int sw_tracer_open(const struct sw_tracer_opts *o, sw_record_fn fn, void *ctx,
		   struct sw_tracer **out, char *err, size_t errlen);
/*
 * Waits up to timeout_ms for records and delivers them; returns records
 * delivered or -errno. With batch_ms, waits at most batch_ms while records
 * flow: call it again at once.
 */
int sw_tracer_poll(struct sw_tracer *t, int timeout_ms);
/*
 * How long sw_tracer_poll(t, timeout_ms) would wait for records: timeout_ms,
 * or batch_ms while records flow (they come without a wake-up then). A
 * caller that waits on sw_tracer_epoll_fd() together with descriptors of
 * its own waits this long, then calls sw_tracer_poll(t, 0): the same batches.
 */
int sw_tracer_wait_ms(const struct sw_tracer *t, int timeout_ms);
/*
 * Milliseconds until sw_tracer_poll() has work to do with no record waiting
 * (the socket-map sweep: closes the kernel never delivered), 0 if it is due,
 * -1 if there is none. A caller that waits on sw_tracer_epoll_fd() itself
 * waits no longer than this, then calls sw_tracer_poll() anyway.
 */
int sw_tracer_tick_ms(const struct sw_tracer *t);
/* Delivers everything already in the ring buffer without waiting. */
int sw_tracer_drain(struct sw_tracer *t);
/*
 * Stops recording: detaches every program, delivering what they record
 * meanwhile (a detach takes a while). The maps, the ring buffer and the
 * counters stay, for sw_tracer_final_drain() and the summary.
 */
void sw_tracer_detach(struct sw_tracer *t);
/*
 * The last drain, after sw_tracer_detach() (so that nothing recorded stays
 * behind): first reports the closes the kernel never delivered that the
 * periodic sweep has not caught up with yet.
 */
int sw_tracer_final_drain(struct sw_tracer *t);
/* Cheap counters (no map walk). */
void sw_tracer_counters(struct sw_tracer *t, struct sw_counters *c);
/* Counters including live entries and evictions (walks the socks map). */
void sw_tracer_counters_full(struct sw_tracer *t, struct sw_counters *c);
/*
 * Entries the accept hooks keep in the BPF accepts map now (accepts_live in
 * bpf/sockwatch.bpf.c): 0 once every socket accepted so far has its entry
 * or has closed. For tests.
 */
__u64 sw_tracer_accepts_live(const struct sw_tracer *t);
/*
 * FOR TESTS ONLY: the kernel side's accept maps and per-socket map, and the
 * live count of the accepts map (accepts_live, in the mmapped .bss), so that
 * a test can plant what a CLOSE transition the kernel never delivered
 * leaves behind. Owned by t: valid until sw_tracer_close(). Nothing else may
 * write there.
 */
struct sw_tracer_test_maps {
	int socks; /* key __u64, value struct sw_sock */
	int accepts; /* key: socket address (__u64), value struct sw_sock */
	int accept_claims; /* key: socket address (__u64), value __u32 (the socket's tag) */
	__u64 *accepts_live;
};
void sw_tracer_test_maps(struct sw_tracer *t, struct sw_tracer_test_maps *m);
enum sw_attach_mode sw_tracer_mode(const struct sw_tracer *t);
enum sw_state_hook sw_tracer_state_hook(const struct sw_tracer *t);
/* Why better modes were not used, e.g. "fentry: kernel refused program ... (EPERM)". */
const char *sw_tracer_rejected(const struct sw_tracer *t);
/* How the accept syscalls' exit is hooked: always one of the two hooks once open. */
enum sw_accept_exit sw_tracer_accept_exit(const struct sw_tracer *t);
/*
 * Why a listen() that fails after its socket went to LISTEN (its bound port
 * taken) shows as a listen and an unlisten, or NULL when it gives nothing.
 */
const char *sw_tracer_failed_listen_why(const struct sw_tracer *t);
/*
 * Why accepts made through io_uring are not seen (tracepoint or kprobe mode
 * on a kernel that refused the io_uring programs, or with the raw_tp state
 * hook), or NULL when they are.
 */
const char *sw_tracer_uring_why(const struct sw_tracer *t);
/* Why the syscall exits are hooked on sys_exit ("" if on the syscall tracepoints, or if
 * sys_exit was asked for). */
/*
 * How many entries the io_uring accept maps hold for user_data (armed
 * multishot accepts and their submissions), or -errno: for tests, which
 * check that nothing stays once the rings are gone.
 */
int sw_tracer_uring_entries(const struct sw_tracer *t, __u64 user_data);
const char *sw_tracer_syscall_tp_why(const struct sw_tracer *t);
/* Why the tracer runs without its socket-map sweep (closes the kernel never
 * delivered then go unnoticed), or NULL when it has one. */
const char *sw_tracer_no_sweep_why(const struct sw_tracer *t);
/* How the sweep walks the socket map ("bpf_for_each_map_elem", 5.13, or "a
 * map-element iterator", 5.9), or NULL without one. */
const char *sw_tracer_sweep_how(const struct sw_tracer *t);
/* IDs of the BPF programs this tracer attached; returns how many (at most n). */
size_t sw_tracer_prog_ids(const struct sw_tracer *t, __u32 *ids, size_t n);
void sw_tracer_close(struct sw_tracer *t);

const char *sw_attach_mode_name(enum sw_attach_mode m);
int sw_attach_mode_parse(const char *s, enum sw_attach_mode *m);
const char *sw_state_hook_name(enum sw_state_hook h);
/* "accept syscall exit", "accept exit via sys_exit" or "none". */
const char *sw_accept_exit_name(enum sw_accept_exit a);

/* Realtime clock for a CLOCK_MONOTONIC nanosecond timestamp. */
void sw_mono_to_wall(__u64 mono_ns, struct timespec *wall);

/*
 * With opts.owners_pending: the seeding is done, owner-less events are
 * filtered again (those already recorded still pass the comm filter).
 */
void sw_tracer_owners_seeded(struct sw_tracer *t);
/*
 * Deletes the entry sw_tracer_seed_sock(t, key, s) made, if it is still that
 * one (not the kernel's, of a later life of the key): for a socket found
 * closed after it was seeded, whose close could not delete it. -EEXIST if
 * the entry is another one, -ENOENT if there is none.
 */
int sw_tracer_unseed_sock(struct sw_tracer *t, __u64 key, const struct sw_sock *s);
/* An fd that polls readable when records are waiting (for the caller's own epoll loop). */
int sw_tracer_epoll_fd(const struct sw_tracer *t);
/*
 * Records the owner of a socket that existed before the tracer (from a
 * snapshot), so that its later events carry pid and comm. Never overwrites
 * what the kernel side already knows: -EEXIST then.
 */
int sw_tracer_seed_sock(struct sw_tracer *t, __u64 key, const struct sw_sock *s);

#endif /* SW_TRACER_H */
