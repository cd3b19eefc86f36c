// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Kernel side of sockwatch: TCP state transitions, connect and accept hooks to one ring buffer. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>

#include "sockwatch.h"
#include "tuple.bpf.h"
#include "maps.bpf.h"
#include "entry.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define IPPROTO_TCP_NUM 6
#define EEXIST 17 /* errno values, as the kernel numbers them (vmlinux.h has none) */
#define ENOTCONN 107
#define IPPROTO_MPTCP_NUM 262

#include "syscall.bpf.h"

/* Settings written by the loader between open and load. */
const volatile __u8 filter_family = 0; /* 0 any, SW_AF_INET or SW_AF_INET6 */
const volatile __u16 filter_port = 0; /* local or remote port, 0 = any */
const volatile __u32 filter_netns = 0; /* netns inode, 0 = any */
const volatile __u32 filter_pid = 0; /* owner tgid, 0 = any */
const volatile bool emit_states = false; /* one SW_EV_STATE per transition */
/* One SW_EV_STATE at CLOSE->SYN_SENT, with its owner, for a peer in connect_nets: a
 * connect() the moment it starts (listen's deny remote rules; emit_states gives every
 * one, with its owner as well). */
const volatile bool emit_connect_start = false;
/*
 * The record kinds the consumer reads (bit 1 << SW_EV_*): all of them for
 * events and top; listen reads listen and unlisten records alone (and,
 * with deny rules, the connects it checks). The others are dropped before
 * they take ring-buffer space: a listen that falls behind must not lose a
 * listener to a flood of connections it never reads. All-ones is tested
 * first, a constant the verifier prunes with the branch.
 */
const volatile __u32 emit_kinds = ~0u;
/* connect, connect_failed and accept records only for peers in connect_nets (listen's
 * deny rules: what it alerts on). */
const volatile bool remote_nets_only = false;
const volatile bool key_by_ptr = false; /* raw_tp fallback: no socket cookie helper */
/* fexit inet_csk_accept attached (fentry mode). Not in kprobe mode: a kretprobe's
 * instances run out while callers sleep in accept(), and its misses are silent. */
const volatile bool accept_fn_hook = false;
const volatile __u8 listen_exit = SW_LISTEN_EXIT_NONE; /* see in_listen_syscall() */

/*
 * Reader wake-ups, written by user space through the mmapped .bss. With
 * rb_lazy 0 a record is submitted with flags 0: the kernel wakes the reader
 * when the record is the first it has not consumed. While records flow, a
 * reader that drains the ring buffer on a timer sets rb_lazy: records are
 * then submitted without a wake-up, except listen and unlisten (reported at
 * once) and the record that takes the unread backlog across a multiple of
 * 1 << rb_wake_shift bytes, so that a burst does not wait for the timer.
 */
__u32 rb_lazy;
__u32 rb_wake_shift;

/* What one record takes in the ring buffer: its 8-byte header, rounded up to 8. */
#define RB_REC_BYTES ((sizeof(struct sw_event) + 8 + 7) & ~7UL)

static __always_inline __u64 wake_flags(__u8 kind)
{
	__u32 shift = *(volatile __u32 *)&rb_wake_shift;
	__u64 avail;

	if (!*(volatile __u32 *)&rb_lazy)
		return 0;
	if (kind == SW_EV_LISTEN || kind == SW_EV_UNLISTEN)
		return BPF_RB_FORCE_WAKEUP;
	avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	if (shift && shift < 64 && avail >= RB_REC_BYTES &&
	    avail >> shift != (avail - RB_REC_BYTES) >> shift)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/* The accept maps, accepts and accept_claims: in maps.bpf.h (the sweep removes leftovers). */

/*
 * Entries the accept hooks have put in the accepts map and CLOSE has not
 * removed yet (an entry the LRU evicts is never subtracted: that only keeps
 * the look-ups on; one a CLOSE never delivered left is, when a hook or the
 * sweep removes it: accept_stale_drop(), bpf/sweep.bpf.c). Almost always 0: accept() seldom dequeues a child
 * before its ESTABLISHED transition. While it is 0 no socket has an entry
 * in accepts or accept_claims, and the transitions and hooks skip their
 * look-ups and deletes there: each is a cold hash bucket, and two of them
 * were on every connection's path.
 *
 * The hook adds one (a fully ordered atomic) before its insert, and looks
 * for the socket's entry after a fence; the child's transition makes that
 * entry, then a fence, then reads this count (child_enter(),
 * accept_listed()). So at least one of them sees the other, as with the
 * map look-up this count stands in for.
 */
__u64 accepts_live;

/*
 * The listener a listen() syscall made, from its CLOSE->LISTEN transition to
 * the call's exit, by task: the exit reports it (or, the call failed,
 * nothing). With the syscall tracepoints, sys_enter_listen makes the task's
 * entry (key 0: no listener yet), which also tells the transition that the
 * task is in a listen() syscall; on sys_exit, the transition makes it.
 * nvcsw: the task's voluntary context switches then (listen_call_failed()).
 */
struct listen_call {
	__u64 key;
	__u64 nvcsw;
};

/* key of a task's entry on sys_exit: its listen() returned -ENOSYS (on_listen_syscall_exit()) */
#define LISTEN_CALL_RETURNED (~0ULL)

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct listen_call);
} listen_calls SEC(".maps");

/*
 * Is the current task inside a listen() syscall whose exit a program of
 * ours will see? With the syscall tracepoints (native calls only),
 * sys_enter_listen left the task an entry; on sys_exit (every ABI), the
 * task's saved registers say (bpf_task_pt_regs, 5.15+; before, never):
 * listen() by number, and still running (syscall_running()). The syscall
 * number alone is not enough: io_uring's task_work runs after the call's
 * exit with it still there, and an IORING_OP_LISTEN run from it has no exit
 * to report it. Nor are the io_uring listen run elsewhere and the kernel's
 * own.
 */
static __always_inline bool in_listen_syscall(void)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct task_struct *task;
	struct listen_call *c;
	struct pt_regs *regs;

	if (listen_exit == SW_LISTEN_EXIT_SYSCALL_TP)
		return bpf_map_lookup_elem(&listen_calls, &id) != 0;
	if (listen_exit != SW_LISTEN_EXIT_SYS_EXIT ||
	    !bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_task_pt_regs))
		return false;
	task = bpf_get_current_task_btf();
	if (BPF_CORE_READ(task, flags) & SW_PF_KTHREAD)
		return false;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if (sys_exit_call(false, regs) != CALL_LISTEN || !syscall_running(regs))
		return false;
	c = bpf_map_lookup_elem(&listen_calls, &id);
	return !c || c->key != LISTEN_CALL_RETURNED;
}

static __always_inline __u64 current_nvcsw(void)
{
	return BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), nvcsw);
}

/* The listen() syscall the task is in made the listener key: its exit reports it. */
static __always_inline void listen_call_made(__u64 key)
{
	struct listen_call c = { .key = key, .nvcsw = current_nvcsw() };
	__u64 id = bpf_get_current_pid_tgid();

	bpf_map_update_elem(&listen_calls, &id, &c, BPF_ANY);
}

/*
 * Whether a listener's LISTEN->CLOSE, never reported, is the failure of the
 * listen() syscall that made it (the port it was bound to taken, or none
 * free): inside that call, which left the task an entry with this listener,
 * and with no sleep since: the kernel goes back to CLOSE right after trying
 * for the port. Anything else closes a listener that did listen.
 */
static __always_inline bool listen_call_failed(__u64 key)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct listen_call *c;

	if (!in_listen_syscall())
		return false;
	c = bpf_map_lookup_elem(&listen_calls, &id);
	return c && c->key == key && c->nvcsw == current_nvcsw();
}

/* Cache-line aligned: a CPU's line is written on every transition, and must
 * not be shared with another CPU's or with the read-mostly globals above. */
struct sw_cpu_state cpu_state[SW_MAX_CPUS] SEC(".bss") __attribute__((aligned(64)));

/*
 * A full memory barrier between this CPU's stores and its later loads (x86:
 * a locked add), on a line of this CPU's own. The accept handshake needs one
 * on each side: the hook stores its accepts entry and then looks for the
 * socket's entry, the child's transition stores the socket's entry and then
 * looks at the accepts map; without barriers both could miss the other.
 */
__u64 fence_spare; /* for CPUs beyond cpu_state */

static __always_inline void fence(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	/* adding 0 would not do: clang turns an atomic add of 0 whose result
	 * is unused into another atomic operation, one 5.10 refuses */
	if (cpu < SW_MAX_CPUS)
		__sync_fetch_and_add(&cpu_state[cpu].fence, 1);
	else
		__sync_fetch_and_add(&fence_spare, 1);
}

static __always_inline bool accepts_maybe(void)
{
	return *(volatile __u64 *)&accepts_live != 0;
}

/* Claims the report of the accept of the socket at ptr: false if claimed already. */
static __always_inline bool claim_accept(__u64 ptr)
{
	__u32 tag = sw_accept_tag(ptr);

	return bpf_map_update_elem(&accept_claims, &ptr, &tag, BPF_NOEXIST) == 0;
}

/* Key of a socket in the socks map, for hooks that only have an untyped pointer. */
static __always_inline __u64 sk_key_read(struct sock *sk)
{
	if (key_by_ptr)
		return (__u64)(unsigned long)sk;
	/* The state tracepoint ran bpf_get_socket_cookie() on this socket before. */
	return BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
}

/*
 * The current task as the owner. Its uid is the effective one, of the
 * credentials the kernel checks what the task does against (task->cred):
 * what the snapshot gives a socket's holder, so that a listener reported
 * live and in a baseline (or learned) has one uid, also for a process
 * that dropped privileges with setresuid(0, N, 0), whose real uid stays 0.
 * Read with plain loads from the task (5.11+), which costs less than the
 * helper that gives the real uid; before, with probe reads.
 */
static __always_inline void owner_from_current(struct sw_sock *o)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct task_struct *task;
	unsigned int flags;

	o->pid = pid_tgid >> 32;
	o->tid = (__u32)pid_tgid;
	o->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(o->comm, sizeof(o->comm));
	o->owner_src = SW_OWNER_CURRENT;
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf)) {
		task = bpf_get_current_task_btf();
		o->uid = task->cred->euid.val;
		flags = task->flags;
	} else {
		task = (struct task_struct *)bpf_get_current_task();
		o->uid = BPF_CORE_READ(task, cred, euid.val);
		flags = BPF_CORE_READ(task, flags);
	}
	/* An io_uring worker of the process (iou-wrk-N, iou-sqp-N) did it for
	 * the process: name the process, not the worker. */
	if (flags & SW_PF_IO_WORKER)
		BPF_CORE_READ_STR_INTO(&o->comm, task, group_leader, comm);
}

/*
 * When the process of the task making the listener key started, for its
 * listen record (listen_starts): user space reads /proc/PID for that
 * record's owner only if /proc/PID started then, not a process that got the
 * pid once the owner had exited. The thread group leader's: /proc/PID/stat
 * gives it for PID.
 */
static __always_inline void owner_start_note(__u64 key)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 start;

	if (!bpf_core_field_exists(task->start_boottime))
		return;
	start = BPF_CORE_READ(task, group_leader, start_boottime);
	bpf_map_update_elem(&listen_starts, &key, &start, BPF_ANY);
}

/*
 * The executable of the task making a listener, as an inode on a mount (what
 * statx() of /proc/PID/exe gives): user space checks that the path it reads
 * later still names that file, not a program exec'd since or one that only
 * looks like it (a bind mount in another mount namespace). A kernel thread
 * has none: 0.
 */
static __always_inline void exe_from_current(struct sw_sock *o)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);
	unsigned long mnt;

	if (!exe)
		return;
	o->exe_ino = BPF_CORE_READ(exe, f_inode, i_ino);
	mnt = (unsigned long)BPF_CORE_READ(exe, f_path.mnt);
	if (mnt)
		o->exe_mnt_id = BPF_CORE_READ(
			(struct mount *)(mnt - bpf_core_field_offset(struct mount, mnt)), mnt_id);
}

/*
 * What an event takes from the socket itself, read by emit()'s caller: with
 * plain loads in the tp_btf programs, with probe reads elsewhere (btf in
 * the functions below, see SW_READ). Endpoints only when the socket's entry
 * does not remember them; statistics only for connect and close.
 */
struct sk_now {
	__u64 bytes_sent; /* payload, each byte once */
	__u64 bytes_retrans;
	__u64 bytes_received; /* payload, the peer's FIN not counted */
	__u32 srtt_us;
	__u32 netns;
	__u16 lport;
	__u16 rport;
	__u16 error; /* connect_failed: connect_error() */
	__u8 family; /* 0: endpoints not read */
	__u8 pad;
	__u8 laddr[SW_ADDR_LEN];
	__u8 raddr[SW_ADDR_LEN];
};

/* Addresses, ports, family and netns of sk into n; v4-mapped v6 becomes v4. */
static __always_inline void read_tuple(bool btf, struct sock *sk, struct sk_now *n)
{
	sw_read_endpoints(btf, &sk->__sk_common, &n->family, n->laddr, n->raddr, &n->lport,
			  &n->rport, &n->netns);
	/* At CLOSE the port is already released (skc_num is 0), but the
	 * source port of the socket's last binding stays in inet_sport (a
	 * probe read: the verifier knows sk as a struct sock only). */
	if (!n->lport)
		n->lport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
}

/* Byte counts and RTT of tp for a connect or close event. */
#define READ_STATS(btf, tp, sk, n)                                                              \
	do {                                                                                    \
		__u64 sent = SW_READ(btf, tp, bytes_sent);                                      \
		__u64 retrans = SW_READ(btf, tp, bytes_retrans);                                \
		__u64 rcvd = SW_READ(btf, tp, bytes_received);                                  \
		unsigned long skflags = SW_READ(btf, sk, __sk_common.skc_flags);                \
                                                                                                \
		(n)->srtt_us = SW_READ(btf, tp, srtt_us) >> 3;                                  \
		/* Payload only: bytes_sent counts retransmissions again, and              \
		 * bytes_received counts the peer's FIN as one byte (tcp_fin()             \
		 * marks the socket SOCK_DONE when it takes that FIN). */    \
		(n)->bytes_sent = sent - retrans;                                               \
		(n)->bytes_retrans = retrans;                                                   \
		if (skflags & (1UL << bpf_core_enum_value(enum sock_flags, SOCK_DONE)) && rcvd) \
			rcvd--;                                                                 \
		(n)->bytes_received = rcvd;                                                     \
	} while (0)

/*
 * Byte counts and RTT for a connect or close event. A typed struct sock
 * pointer does not let the verifier accept loads from the tcp_sock around
 * it: bpf_skc_to_tcp_sock() (5.9) gives a typed tcp_sock pointer; before
 * it, probe reads.
 */
static __always_inline void read_stats(bool btf, struct sock *sk, struct sk_now *n)
{
	if (btf && bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_skc_to_tcp_sock)) {
		struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);

		if (tp)
			READ_STATS(true, tp, sk, n);
		return;
	}
	READ_STATS(false, (struct tcp_sock *)sk, sk, n);
}

/* The family an event for sk will report (v4-mapped v6 counts as v4). */
static __always_inline __u8 sk_report_family(bool btf, struct sock *sk)
{
	__u32 l[4], r[4]; /* words: the verifier wants aligned stack accesses */

	if (SW_READ(btf, sk, __sk_common.skc_family) == SW_AF_INET)
		return SW_AF_INET;
	SW_READ_IN6(btf, &sk->__sk_common, skc_v6_rcv_saddr, l);
	SW_READ_IN6(btf, &sk->__sk_common, skc_v6_daddr, r);
	return sw_is_v4_in_v6((__u8 *)l, (__u8 *)r) ? SW_AF_INET : SW_AF_INET6;
}

/* True if a socket with these properties may produce events at all. */
static __always_inline bool sock_wanted(bool btf, struct sock *sk)
{
	if (filter_netns && sw_read_netns(btf, &sk->__sk_common) != filter_netns)
		return false;
	if (filter_family && sk_report_family(btf, sk) != filter_family)
		return false;
	return true;
}

/*
 * Set by the live view from before attach until it has seeded the owners of
 * the sockets older than the tracer (src/live.c): until then their events
 * carry no owner (pid 0), and the pid filter lets those through for user
 * space to judge by the row's owner. Read only on the way to dropping a
 * record for its pid.
 */
__u32 owners_pending;

/* The port and pid filters, on what a record would carry. */
static __always_inline bool event_wanted(__u16 lport, __u16 rport, __u32 pid)
{
	if (filter_port && lport != filter_port && rport != filter_port)
		return false;
	if (filter_pid && pid != filter_pid && (pid || !*(volatile __u32 *)&owners_pending))
		return false;
	return true;
}

#define EMIT(kind, oldstate, newstate, flags)                                   \
	((__u32)(kind) | ((__u32)(oldstate) << 8) | ((__u32)(newstate) << 16) | \
	 ((__u32)(flags) << 24))

/* Whether a peer is in one of the networks of connect_nets (v4 as ::ffff:a.b.c.d). */
static __always_inline bool peer_listed(__u8 family, const __u8 *raddr)
{
	struct sw_net_key k = { .prefixlen = 8 * SW_ADDR_LEN };

	if (family == SW_AF_INET) {
		k.addr[10] = 0xff;
		k.addr[11] = 0xff;
		__builtin_memcpy(k.addr + 12, raddr, 4);
	} else {
		__builtin_memcpy(k.addr, raddr, SW_ADDR_LEN);
	}
	return bpf_map_lookup_elem(&connect_nets, &k) != 0;
}

/*
 * Whether the consumer reads records of this kind (emit_kinds) with the
 * peer of owner or now (remote_nets_only). The peer is read only where it
 * is looked up: with both settings at their defaults, what is left after
 * the verifier pruned the branches is two loads.
 */
static __always_inline bool kind_wanted(__u8 kind, const struct sw_sock *owner,
					const struct sk_now *now)
{
	if (emit_kinds != ~0u && (kind >= 32 || !(emit_kinds & (1u << kind))))
		return false;
	if (!remote_nets_only ||
	    (kind != SW_EV_CONNECT && kind != SW_EV_CONNECT_FAILED && kind != SW_EV_ACCEPT))
		return true;
	if (owner && owner->family)
		return peer_listed(owner->family, owner->raddr);
	return peer_listed(now->family, now->raddr);
}

/* A compiler barrier: the loads before it are made before the loads after it. */
#define SW_BARRIER() asm volatile("" ::: "memory")

/*
 * Whether the socket-map entry s still belongs to the socket at ptr: read
 * after what was read from s, it says those reads were of that socket's
 * entry. An LRU hash map gives an element freed by a delete (the socket's
 * CLOSE) to the next insert at once, RCU or not, so a pointer from a
 * look-up can come to hold another socket's entry at any moment; every
 * creator of an entry sets skptr (CLOSE->LISTEN, CLOSE->SYN_SENT,
 * child_enter(), accept_adopt(), and user space's seeds from the
 * snapshot's iterators; seeds from sock_diag, which has no socket
 * addresses, have 0: sockets some process holds already, which an accept
 * hardly ever finds, and then takes for no entry). The
 * socket at ptr cannot get another entry while a hook that holds it runs,
 * so a match means nothing was reused in between. x86 keeps loads in
 * order; the barrier keeps the compiler from moving them.
 */
static __always_inline bool entry_is(const struct sw_sock *s, __u64 ptr)
{
	SW_BARRIER();
	return *(volatile __u64 *)&s->skptr == ptr;
}

/* emit_rec(): the record was made from an entry that is no longer the socket's (entry_is()) */
#define SW_EMIT_GONE (-2)

/*
 * Reserve, fill and submit one record; what is EMIT(kind, old, new, flags).
 * owner may be NULL (unknown owner). The endpoints come from owner when it
 * remembers them, else from now (the caller read them); now's statistics
 * go into connect and close records, its error into connect_failed. A real
 * function, not inlined: it is called from many places and inlining each
 * copy overflows the BPF stack. It touches no socket, so one copy serves
 * hooks with typed and with untyped socket pointers.
 * skptr (accepts reported from the socket's entry, else 0): owner is that
 * socket's entry, which can be freed and given to another socket under us
 * (entry_is()); checked once the record is filled, the record is
 * discarded if it no longer is, and SW_EMIT_GONE returned: the caller
 * makes the record again without the entry.
 * Returns 0, or -1 when the record was filtered out or lost.
 */
static __noinline int emit_rec(__u64 key, __u32 what, const struct sw_sock *owner,
			       const struct sk_now *now, __u64 skptr)
{
	__u8 kind = what & 0xff, oldstate = (what >> 8) & 0xff, newstate = (what >> 16) & 0xff;
	__u8 flags = what >> 24;
	bool ends = owner && owner->family; /* endpoints from owner, else from now */
	struct sw_event *e;

	/* filtered out before it takes ring-buffer space (or a drop if it is full) */
	if (!kind_wanted(kind, owner, now) ||
	    !event_wanted(ends ? owner->lport : now->lport, ends ? owner->rport : now->rport,
			  owner ? owner->pid : 0)) {
		/* judged by another socket's entry: judged again */
		if (skptr && owner && !entry_is(owner, skptr))
			return SW_EMIT_GONE;
		count(SW_CNT_FILTERED);
		return -1;
	}
	e = sw_record_new(key, kind, oldstate, newstate,
			  flags | (key_by_ptr ? SW_F_KEY_IS_PTR : 0));
	if (!e)
		return -1;
	if (ends)
		SW_COPY_ENDPOINTS(e, owner);
	else
		SW_COPY_ENDPOINTS(e, now);
	if (owner)
		sw_entry_fill(e, owner);
	/*
	 * An accept from an entry whose CLOSE transition marked it before
	 * reserving its close (a reset racing accept()): read after our own
	 * reserve, which the ring buffer's lock orders after the close's, so
	 * an accept that follows its close in the stream always sees the
	 * mark. It takes the form of one reset before accept() took it: state
	 * CLOSE, no entry (its close is its end), no latency. One load on the
	 * accept's path, from the entry it was filled from.
	 */
	if (kind == SW_EV_ACCEPT && owner && *(volatile __u8 *)&owner->closing) {
		e->newstate = SW_TCP_CLOSE;
		e->flags |= SW_F_NO_ENTRY;
		flags |= SW_F_NO_ENTRY;
	}
	if (kind == SW_EV_CONNECT || kind == SW_EV_ACCEPT) {
		/* from the SYN sent, or the SYN received; unknown if not seen */
		__u64 start = 0;

		if (owner && kind == SW_EV_CONNECT)
			start = owner->start_ns;
		else if (owner && !(flags & (SW_F_INFERRED | SW_F_NO_ENTRY)))
			start = owner->birth_ns;
		if (start)
			e->latency_ns = e->ts_ns - start;
		else
			e->flags |= SW_F_NO_LATENCY;
	}
	/* after the last read of owner: all of it was the socket's, or none is sent */
	if (skptr && owner && !entry_is(owner, skptr)) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		return SW_EMIT_GONE;
	}
	if (kind == SW_EV_CLOSE || kind == SW_EV_CONNECT) {
		e->srtt_us = now->srtt_us;
		e->bytes_sent = now->bytes_sent;
		e->bytes_retrans = now->bytes_retrans;
		e->bytes_received = now->bytes_received;
	}
	if (kind == SW_EV_CONNECT_FAILED)
		e->error = now->error;
	bpf_ringbuf_submit(e, wake_flags(kind));
	count(SW_CNT_EVENTS);
	return 0;
}

static __always_inline int emit(__u64 key, __u32 what, const struct sw_sock *owner,
				const struct sk_now *now)
{
	return emit_rec(key, what, owner, now, 0);
}

/* The endpoints, kept in the entry for a close the sweep may have to infer. */
static __always_inline void remember_endpoints(bool btf, struct sock *sk, struct sw_sock *s)
{
	sw_read_endpoints(btf, &sk->__sk_common, &s->family, s->laddr, s->raddr, &s->lport,
			  &s->rport, &s->netns);
}

/*
 * Makes (or remakes) the entry of a socket from s, filled in by the caller;
 * false if it could not be made. The caller goes on with its copy: no
 * look-up of the entry just made.
 */
static __always_inline bool sock_create(__u64 key, const struct sw_sock *s)
{
	long err;

	/* Count only real insertions so that inserts - deletes - live = evictions. */
	err = bpf_map_update_elem(&socks, &key, s, BPF_NOEXIST);
	if (err == -17 /* EEXIST: a socket reborn (e.g. connect after a failed one) */)
		err = bpf_map_update_elem(&socks, &key, s, BPF_EXIST);
	else if (!err)
		count(SW_CNT_SOCK_INSERTS);
	if (err) {
		count(SW_CNT_SOCK_UPDATE_FAIL);
		return false;
	}
	return true;
}

static __always_inline void sock_delete(__u64 key)
{
	if (!bpf_map_delete_elem(&socks, &key))
		count(SW_CNT_SOCK_DELETES);
}

/*
 * Which end sent the first FIN, from the state a socket closes from: the
 * FIN_WAIT1 side (then FIN_WAIT2, CLOSING, TIME_WAIT) was first, the
 * CLOSE_WAIT side (then LAST_ACK) was second. From any other state the
 * close was a reset or an abort, told by sk_err at the transition: a reset
 * that came in set ECONNRESET (remote); this host's own abort (close() with
 * unread data or SO_LINGER 0, connect(AF_UNSPEC), a listener closed with
 * connections not yet accepted) moves to CLOSE before it sets anything,
 * so 0 (local), as does an abort by ss -K (ECONNABORTED). A timeout
 * (ETIMEDOUT) or any other error leaves it unknown.
 */
static __always_inline __u8 closer_at_close(bool btf, struct sock *sk, int oldstate)
{
	switch (oldstate) {
	case SW_TCP_FIN_WAIT1:
	case SW_TCP_FIN_WAIT2:
	case SW_TCP_CLOSING:
	case SW_TCP_TIME_WAIT:
		return SW_CLOSER_LOCAL;
	case SW_TCP_CLOSE_WAIT:
	case SW_TCP_LAST_ACK:
		return SW_CLOSER_REMOTE;
	default:
		switch (SW_READ(btf, sk, sk_err)) {
		case 104: /* ECONNRESET */
			return SW_CLOSER_REMOTE;
		case 0:
		case 103: /* ECONNABORTED */
			return SW_CLOSER_LOCAL;
		default:
			return SW_CLOSER_UNKNOWN;
		}
	}
}

/*
 * Whether a transition out of oldstate ends a connect() attempt: from
 * SYN_SENT, or from SYN_RECV when the entry was made at SYN_SENT. That is a
 * simultaneous open (SYN_SENT->SYN_RECV->ESTABLISHED), e.g. a socket that
 * connects to its own address and port; a listener's child in SYN_RECV
 * never has an entry with a connect start.
 */
static __always_inline bool connect_attempt(int oldstate, const struct sw_sock *s)
{
	/* a listener's entry holds exe_ino where start_ns is (a stale one, in raw_tp
	 * mode, at an address a listener's child now has) */
	return oldstate == SW_TCP_SYN_SENT ||
	       (oldstate == SW_TCP_SYN_RECV && s && s->start_ns && !(s->sweep & SW_SWEEP_LISTENER));
}

/* inet_sock before 6.6: its flags were bitfields (see connect_deferred()) */
struct inet_sock___bits {
	__u8 defer_connect : 1;
} __attribute__((preserve_access_index));

/* INET_FLAGS_DEFER_CONNECT (6.6 on): an anonymous enum, which CO-RE cannot relocate */
#define SW_INET_FLAGS_DEFER_CONNECT 19

/*
 * Whether connect() took a local port but deferred its SYN to the first
 * write (TCP_FASTOPEN_CONNECT with a cookie): inet_sock's defer_connect,
 * a bitfield until 6.6 and a bit of inet_flags since. Probe reads: only
 * on the way out of a connect attempt that sent nothing.
 */
static __always_inline bool connect_deferred(struct sock *sk)
{
	struct inet_sock___bits *old = (void *)sk;
	struct inet_sock *inet = (void *)sk;

	if (bpf_core_field_exists(old->defer_connect))
		return BPF_CORE_READ_BITFIELD_PROBED(old, defer_connect);
	if (bpf_core_field_exists(inet->inet_flags))
		return (BPF_CORE_READ(inet, inet_flags) >> SW_INET_FLAGS_DEFER_CONNECT) & 1;
	return false;
}

/*
 * The errno of a connect attempt that ends (SYN_SENT or a simultaneous
 * open's SYN_RECV -> CLOSE): the socket's error (refused, timed out, reset,
 * unreachable). Without one, from SYN_SENT with nothing sent by this
 * attempt (no SYN queued: sk_wmem_queued 0) and no SYN deferred, it is
 * connect() failing in inet_hash_connect(), between SYN_SENT and
 * tcp_connect(): no free local port, or, for a socket bound to its port,
 * its 4-tuple taken (EADDRNOTAVAIL; also a bind-bucket allocation failing,
 * ENOMEM, which cannot be told apart). Nothing else leaves SYN_SENT before
 * the SYN without an error: connect() holds the socket's lock from SYN_SENT
 * until the SYN is queued, and a deferred one is told by its flag. Then
 * now->lport is the port the socket holds: 0, or the one it was bound to
 * (read_tuple()'s inet_sport is stale there: the kernel leaves the port of
 * an earlier attempt in it, whose failure released the port). Else the
 * socket's error, or 0: the owner closed it first (or disconnected it),
 * its SYN queued, and the close runs before anything frees that SYN.
 * Read at this transition only, none at SYN_SENT: a connect pays nothing.
 */
static __always_inline __u16 connect_error(bool btf, struct sock *sk, int oldstate,
					   struct sk_now *now)
{
	__u16 err = SW_READ(btf, sk, sk_err);

	if (err || oldstate != SW_TCP_SYN_SENT || SW_READ(btf, sk, sk_wmem_queued) ||
	    connect_deferred(sk))
		return err;
	now->lport = SW_READ(btf, sk, __sk_common.skc_num);
	return SW_EADDRNOTAVAIL;
}

/*
 * A step of a connection's close before CLOSE that a kernel-accepted child
 * makes while the kernel's struct socket still holds it (see
 * kernel_accepted()): this end's FIN (FIN_WAIT1, LAST_ACK) is sent from the
 * holder's release, before the socket is orphaned, and the peer's
 * (CLOSE_WAIT) comes while it holds it.
 */
static __always_inline bool close_step(int oldstate, int newstate)
{
	return (newstate == SW_TCP_FIN_WAIT1 && oldstate != SW_TCP_SYN_RECV) ||
	       newstate == SW_TCP_CLOSE_WAIT || newstate == SW_TCP_LAST_ACK;
}

/*
 * Transitions that make events or per-socket state; without --states the
 * others (LISTEN->SYN_RECV, FIN_WAIT1, FIN_WAIT2, CLOSE_WAIT, LAST_ACK,
 * CLOSING, TIME_WAIT: half of a connection's ten) need no work at all,
 * except SYN_RECV->FIN_WAIT1 (see child_enter()) and, without an accept
 * function hook, the close steps of a child accepted inside the kernel
 * (kernel_accepted()).
 */
static __always_inline bool state_has_work(int oldstate, int newstate)
{
	return emit_states || newstate == SW_TCP_LISTEN || newstate == SW_TCP_SYN_SENT ||
	       newstate == SW_TCP_ESTABLISHED || newstate == SW_TCP_CLOSE ||
	       (newstate == SW_TCP_FIN_WAIT1 && oldstate == SW_TCP_SYN_RECV) ||
	       (!accept_fn_hook && close_step(oldstate, newstate));
}

/*
 * Tracepoint and kprobe modes: an accept done inside the kernel
 * (kernel_accept(): nfsd, ksmbd, SMC, RDS) passes no syscall exit, so no
 * hook reports it. A listener's child still without an accept that
 * sw_accepted_by_kernel() finds was accepted that way: reported when seen,
 * by the transitions of its close (close_step(), CLOSE) or by the
 * socket-map sweep (bpf/sweep.bpf.c) while it lives; with no owner, flagged
 * inferred. fentry mode's fexit on the accept function sees these accepts
 * itself (its children's entries lack SW_SOCK_F_WATCH_KACCEPT).
 */
static __always_inline void kernel_accepted(bool btf, struct sock *sk, __u64 key, struct sw_sock *s,
					    int state, struct sk_now *now)
{
	if (!(s->flags & SW_SOCK_F_WATCH_KACCEPT) || s->accept_hook || !sw_accepted_by_kernel(sk))
		return;
	s->accept_hook = SW_ACCEPT_HOOK_NONE_KERNEL;
	if (!s->family)
		read_tuple(btf, sk, now);
	emit(key, EMIT(SW_EV_ACCEPT, 0, state, SW_F_INFERRED), s, now);
}

/* The owner in from (task, uid, cgroup, name, and where it came from) into o. */
static __always_inline void owner_copy(struct sw_sock *o, const struct sw_sock *from)
{
	o->pid = from->pid;
	o->tid = from->tid;
	o->uid = from->uid;
	o->cgroup_id = from->cgroup_id;
	__builtin_memcpy(o->comm, from->comm, sizeof(o->comm));
	o->owner_src = from->owner_src;
}

/*
 * Whether acc, found in the accepts map under ptr, is the entry of the
 * socket at ptr now: made for it (its tag, read before the check) and not
 * freed and given to another socket's entry since (entry_is()). An entry an
 * earlier socket at that address left, its CLOSE never delivered, is not:
 * callers take it for none. Read after whatever the caller took from acc.
 */
static __always_inline bool accept_ours(const struct sw_sock *acc, __u64 ptr)
{
	__u32 tag = *(volatile __u32 *)&acc->accept_tag;

	return entry_is(acc, ptr) && tag == sw_accept_tag(ptr);
}

/* The accepts entry of the socket at ptr (accept_ours()), or NULL. */
static __always_inline struct sw_sock *accept_entry(__u64 ptr)
{
	struct sw_sock *acc;

	if (!accepts_maybe())
		return 0;
	acc = bpf_map_lookup_elem(&accepts, &ptr);
	return acc && accept_ours(acc, ptr) ? acc : 0;
}

/*
 * Removes what an earlier socket at ptr left in the accept maps (its CLOSE
 * transition reached no BPF program: docs/attach-modes.md, "Known issue"):
 * entries whose tag is not tag, the socket's there now. Only the accept
 * hooks call it, before they make entries of their own there: no party of
 * this socket claims before the hook's accepts entry exists (each finds it
 * first, accept_owner()), and a transition that finds a stale entry takes
 * it for none but leaves it, so that its delete can never hit an entry the
 * hook made meanwhile. The socket's own CLOSE deletes whatever is there.
 * accepts_live goes down with the delete that succeeds.
 */
static __always_inline void accept_stale_drop(__u64 ptr, __u32 tag)
{
	struct sw_sock *acc = bpf_map_lookup_elem(&accepts, &ptr);
	__u32 *claim;

	if (acc && *(volatile __u32 *)&acc->accept_tag != tag &&
	    !bpf_map_delete_elem(&accepts, &ptr))
		__sync_fetch_and_add(&accepts_live, -1);
	claim = bpf_map_lookup_elem(&accept_claims, &ptr);
	if (claim && *(volatile __u32 *)claim != tag)
		bpf_map_delete_elem(&accept_claims, &ptr);
}

/*
 * The owner an accept hook left in the accepts map for the socket at ptr
 * into o, a local copy (the accepting task, carried), with the hook; false
 * if there is none. The hook may delete its accepts entry meanwhile
 * (accept_adopt(), on_accept()) and another accept's insert take the
 * element (see entry_is(); accepts entries carry skptr as well): checked
 * after the copy, which is undone if it was another socket's, or an
 * earlier socket's at this address (accept_ours()).
 */
static __always_inline bool accept_owner(__u64 ptr, struct sw_sock *o)
{
	struct sw_sock *acc = bpf_map_lookup_elem(&accepts, &ptr);

	if (!acc)
		return false;
	owner_copy(o, acc);
	o->accept_hook = acc->accept_hook;
	if (accept_ours(acc, ptr)) {
		o->owner_src = SW_OWNER_SOCKET;
		return true;
	}
	o->pid = o->tid = o->uid = 0;
	o->cgroup_id = 0;
	__builtin_memset(o->comm, 0, sizeof(o->comm));
	o->owner_src = SW_OWNER_NONE;
	o->accept_hook = 0;
	return false;
}

/*
 * A listener's child gets its entry at its first transition out of
 * SYN_RECV, in softirq: its owner is whoever accepts it. That is
 * ESTABLISHED as a rule. With TCP Fast Open the child is queued for
 * accept() at the SYN, and the server may have read the SYN's data,
 * answered and closed it (SYN_RECV->FIN_WAIT1) or the peer reset it
 * (->CLOSE) before the handshake ends: those transitions make the entry
 * then. The entry is made here, not at LISTEN->SYN_RECV: until 6.x the
 * kernel replaced the child's cookie with the request socket's right
 * after that transition, so only now is the key final.
 * The accepts map is read after the entry is made, as the accept hooks do
 * it the other way round (accept_listed()): one of the two sees the other,
 * and if both do, accept_claims lets one report, from the entry. Returns
 * whether the entry was made.
 */
static __always_inline bool child_enter(bool btf, struct sock *sk, __u64 key, int newstate,
					struct sw_sock *cur, struct sk_now *now)
{
	__u64 ptr = (__u64)(unsigned long)sk;
	struct sw_sock *s;

	cur->birth_ns = bpf_ktime_get_ns();
	cur->skptr = ptr;
	if (!accept_fn_hook)
		cur->flags = SW_SOCK_F_WATCH_KACCEPT;
	remember_endpoints(btf, sk, cur);
	/* at CLOSE the port is released already: see read_tuple() */
	if (!cur->lport)
		cur->lport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	if (!sock_create(key, cur))
		return false;
	/* the entry before the accepts map: see accept_listed() */
	fence();
	if (!accepts_maybe() || !accept_owner(ptr, cur))
		return true;
	/* accept() dequeued it before this transition: take its owner over,
	 * and report the accept unless the hook did. From cur, which is the
	 * entry as made with that owner: no close of this socket runs while
	 * its own transition does. */
	s = bpf_map_lookup_elem(&socks, &key);
	if (s && entry_is(s, ptr))
		owner_copy(s, cur);
	if (!claim_accept(ptr))
		return true;
	/* the hook's mark only once claimed: a hook that finds it knows the
	 * accept reported (accept_listed()) */
	if (s && entry_is(s, ptr))
		s->accept_hook = cur->accept_hook;
	emit(key, EMIT(SW_EV_ACCEPT, 0, newstate, cur->accept_hook << SW_F_ACCEPT_HOOK_SHIFT), cur,
	     now);
	return true;
}

/* Whether the peer now holds is in one of the networks of connect_nets. */
static __always_inline bool connect_net_listed(const struct sk_now *now)
{
	return peer_listed(now->family, now->raddr);
}

/*
 * --states: the record of a transition other than to LISTEN or SYN_SENT
 * (on_set_state() emits those with the owner they take from current),
 * emitted before the event the transition causes. s is the socket's entry.
 * A close without one has the owner its unlisten or close record will
 * have: the task closing a listener (still marked entry none, as that
 * unlisten is), or the accepting task an accept hook left in the accepts
 * map. That owner goes into cur, which the close path fills the same way
 * again.
 */
static __always_inline void emit_state(bool btf, struct sock *sk, __u64 key, int oldstate,
				       int newstate, const struct sw_sock *s, struct sw_sock *cur,
				       struct sk_now *now)
{
	const struct sw_sock *o = s;
	__u8 flags = s ? 0 : SW_F_NO_ENTRY;

	if (!s || !s->family)
		read_tuple(btf, sk, now);
	if (!s && newstate == SW_TCP_CLOSE) {
		if (oldstate == SW_TCP_LISTEN) {
			owner_from_current(cur);
		} else if (accepts_maybe() && accept_owner((__u64)(unsigned long)sk, cur)) {
			flags = 0;
		}
		if (cur->owner_src)
			o = cur;
	}
	emit(key, EMIT(SW_EV_STATE, oldstate, newstate, flags), o, now);
}

/* btf: whether sk is a typed pointer (tp_btf), see SW_READ. */
static __always_inline void on_set_state(bool btf, struct sock *sk, __u64 key, int oldstate,
					 int newstate)
{
	struct sw_sock *s;
	struct sw_sock cur = {};
	struct sk_now now = {};

	/* A close step has work only on a child accepted inside the kernel
	 * (rare): told from the socket first, before anything else. */
	if (!emit_states && close_step(oldstate, newstate) && !sw_accepted_by_kernel(sk))
		return;
	if (SW_READ(btf, sk, sk_protocol) != IPPROTO_TCP_NUM)
		return;
	if (!sock_wanted(btf, sk))
		return;

	/* LISTEN and SYN_SENT make the entry whatever is there: no look-up.
	 * Their state records come from the switch, with the owner they take
	 * from current (the listen() or connect() caller), before the events
	 * the transitions cause, as here. */
	if (newstate == SW_TCP_LISTEN || newstate == SW_TCP_SYN_SENT) {
		s = 0;
	} else {
		s = bpf_map_lookup_elem(&socks, &key);
		if (emit_states)
			emit_state(btf, sk, key, oldstate, newstate, s, &cur, &now);
	}

	switch (newstate) {
	case SW_TCP_LISTEN:
		/* listen() runs in the caller's context: the owner is current. */
		cur.birth_ns = bpf_ktime_get_ns();
		cur.skptr = (__u64)(unsigned long)sk;
		owner_from_current(&cur);
		exe_from_current(&cur);
		owner_start_note(key);
		cur.sweep = SW_SWEEP_LISTENER;
		cur.flags = SW_SOCK_F_NO_ACCEPT_MAPS;
		remember_endpoints(btf, sk, &cur);
		if (emit_states)
			emit(key, EMIT(SW_EV_STATE, oldstate, newstate, 0), &cur, &now);
		/* The port comes after this transition, or the call fails
		 * there: listen()'s exit reports it (the exit knows both),
		 * found by task, not through the call's descriptor (an AF_SMC
		 * socket's leads to SMC's socket, not to this one SMC listens
		 * with). Without a port yet, nothing else could. */
		if (in_listen_syscall()) {
			cur.flags |= SW_SOCK_F_LISTEN_PENDING;
			listen_call_made(key);
		} else if (!cur.lport) {
			cur.flags |= SW_SOCK_F_LISTEN_PENDING;
		}
		if (sock_create(key, &cur) && !(cur.flags & SW_SOCK_F_LISTEN_PENDING))
			emit(key, EMIT(SW_EV_LISTEN, oldstate, newstate, 0), &cur, &now);
		return;
	case SW_TCP_SYN_SENT:
		/* The owner is the connect() caller, in every mode: this runs in
		 * its context (connect(), or a sendmsg() with MSG_FASTOPEN). The
		 * tcp_connect hook can run elsewhere: after a deferred
		 * TCP_FASTOPEN_CONNECT, in whichever task writes first; and not at
		 * all if connect() fails before it (no local port left). */
		cur.birth_ns = bpf_ktime_get_ns();
		cur.start_ns = cur.birth_ns;
		cur.skptr = (__u64)(unsigned long)sk;
		owner_from_current(&cur);
		cur.flags = SW_SOCK_F_NO_ACCEPT_MAPS;
		sock_create(key, &cur);
		if (emit_states || emit_connect_start) {
			/* the peer is set; the local port is chosen after this transition */
			read_tuple(btf, sk, &now);
			if (!emit_states && !connect_net_listed(&now))
				return;
			emit(key, EMIT(SW_EV_STATE, oldstate, newstate, 0), &cur, &now);
		}
		return;
	case SW_TCP_ESTABLISHED:
		/* a listener's child: see child_enter() */
		if (oldstate == SW_TCP_SYN_RECV && !s) {
			child_enter(btf, sk, key, newstate, &cur, &now);
			return;
		}
		if (!connect_attempt(oldstate, s))
			return;
		if (s)
			remember_endpoints(btf, sk, s);
		else
			read_tuple(btf, sk, &now);
		read_stats(btf, sk, &now);
		emit(key, EMIT(SW_EV_CONNECT, oldstate, newstate, s ? 0 : SW_F_NO_ENTRY), s, &now);
		return;
	case SW_TCP_FIN_WAIT1:
		/* TCP Fast Open: the server closed its child before the handshake ended */
		if (oldstate == SW_TCP_SYN_RECV) {
			if (!s)
				child_enter(btf, sk, key, newstate, &cur, &now);
			return;
		}
		/* fallthrough */
	case SW_TCP_CLOSE_WAIT:
	case SW_TCP_LAST_ACK:
		if (s)
			kernel_accepted(btf, sk, key, s, newstate, &now);
		return;
	case SW_TCP_CLOSE:
		/* TCP Fast Open: a child reset after accept(), before the handshake ended */
		if (oldstate == SW_TCP_SYN_RECV && !s && accepts_maybe()) {
			__u64 ptr = (__u64)(unsigned long)sk;

			if (accept_entry(ptr) && child_enter(btf, sk, key, newstate, &cur, &now))
				s = bpf_map_lookup_elem(&socks, &key);
		}
		/*
		 * No entry: an accept hook may be adopting the socket this
		 * moment (accept_adopt()), which makes the entry, then a
		 * barrier, then looks whether the port is released, as it was
		 * before this program ran. The look-up above may have come
		 * before the release was visible: look again after a barrier,
		 * so that one of the two sees the other. Only for a close
		 * without an entry (a socket older than the tracer, or
		 * evicted), never a traced connection's.
		 */
		if (!s && oldstate != SW_TCP_LISTEN && oldstate != SW_TCP_SYN_SENT &&
		    oldstate != SW_TCP_SYN_RECV) {
			fence();
			s = bpf_map_lookup_elem(&socks, &key);
		}
		break;
	default:
		return;
	}

	/* newstate == CLOSE: a reused pointer must start clean in the accept maps */
	if ((!s || !(s->flags & SW_SOCK_F_NO_ACCEPT_MAPS)) && accepts_maybe()) {
		__u64 ptr = (__u64)(unsigned long)sk;

		/* no entry, but an accept hook left the owner (accept_listed()) */
		if (!s) {
			accept_owner(ptr, &cur);
		} else if (!s->accept_hook && accept_owner(ptr, &cur) && claim_accept(ptr)) {
			/*
			 * A hook is taking the socket (accept() dequeued it in
			 * SYN_RECV) and nobody reported it: its first transition
			 * read the accepts map before the hook's entry was in it,
			 * and the hook, which read SYN_RECV, leaves it to that
			 * transition, or finds its entry gone once this close has
			 * run (accept_listed()). Reported here, before the close.
			 */
			owner_copy(s, &cur);
			s->accept_hook = cur.accept_hook;
			if (!s->family)
				read_tuple(btf, sk, &now);
			emit(key,
			     EMIT(SW_EV_ACCEPT, 0, oldstate,
				  cur.accept_hook << SW_F_ACCEPT_HOOK_SHIFT),
			     s, &now);
		}
		if (!bpf_map_delete_elem(&accepts, &ptr))
			__sync_fetch_and_add(&accepts_live, -1);
		bpf_map_delete_elem(&accept_claims, &ptr);
	}
	if (!s || !s->family)
		read_tuple(btf, sk, &now);
	if (oldstate == SW_TCP_LISTEN) {
		if (s && (s->flags & SW_SOCK_F_LISTEN_PENDING)) {
			/* Never reported. Inside the listen() that made it, that
			 * call failed (its port taken, or none free): it never
			 * listened (listen_call_failed()). Elsewhere no listen()
			 * exit came (io_uring, the kernel's own listen, a 32-bit
			 * call): it listened if it got a port, so report both
			 * now; else nothing. */
			read_tuple(btf, sk, &now);
			if (now.lport && !listen_call_failed(key)) {
				s->family = 0; /* the endpoints from now, with the port */
				emit(key, EMIT(SW_EV_LISTEN, SW_TCP_CLOSE, SW_TCP_LISTEN, 0), s,
				     &now);
				emit(key, EMIT(SW_EV_UNLISTEN, oldstate, newstate, 0), s, &now);
			}
		} else if (s) {
			emit(key, EMIT(SW_EV_UNLISTEN, oldstate, newstate, 0), s, &now);
		} else {
			owner_from_current(&cur);
			emit(key, EMIT(SW_EV_UNLISTEN, oldstate, newstate, SW_F_NO_ENTRY), &cur,
			     &now);
		}
		bpf_map_delete_elem(&listen_starts, &key);
	} else if (connect_attempt(oldstate, s)) {
		now.error = connect_error(btf, sk, oldstate, &now);
		emit(key, EMIT(SW_EV_CONNECT_FAILED, oldstate, newstate, s ? 0 : SW_F_NO_ENTRY), s,
		     &now);
	} else if (oldstate == SW_TCP_SYN_RECV && !s) {
		/* A listener's child that dies before its handshake completes (a
		 * duplicate from a retransmitted ACK that lost the race to the
		 * original, or a reset): no connection existed, so no close. */
	} else if (oldstate != SW_TCP_CLOSE) {
		read_stats(btf, sk, &now);
		if (s) {
			/* reset or aborted while the kernel held it */
			kernel_accepted(btf, sk, key, s, oldstate, &now);
			s->closer = closer_at_close(btf, sk, oldstate);
			/* before the close's reserve: an accept racing it (emit()) */
			*(volatile __u8 *)&s->closing = SW_SOCK_CLOSING;
			emit(key, EMIT(SW_EV_CLOSE, oldstate, newstate, 0), s, &now);
		} else {
			/* No entry (none made, or evicted): no owner, unless its
			 * accept left one, but which end closed; no birth. */
			cur.closer = closer_at_close(btf, sk, oldstate);
			emit(key,
			     EMIT(SW_EV_CLOSE, oldstate, newstate,
				  cur.owner_src ? 0 : SW_F_NO_ENTRY),
			     &cur, &now);
		}
	}
	sock_delete(key);
}

/*
 * Every BPF program on a tracepoint has a per-CPU recursion guard: if an
 * interrupt arrives while the program runs in process context and the
 * softirq on its way out changes another socket's state, the kernel skips
 * the nested run of that program (it only counts it in recursion_misses).
 *
 * So three programs are attached, in this order, on the same tracepoint:
 * - "pre" only counts invocations on this CPU (inv);
 * - the primary notes which invocation it handles (last = inv), then
 *   handles it;
 * - the twin handles an invocation only if the primary did not note it:
 *   then the primary was skipped, being mid-run (anywhere, even before it
 *   could note anything) in the invocation this one interrupted.
 * A nested run never finds the primary and the twin both busy: they run
 * one after the other, and softirqs do not nest. If "pre" itself is
 * interrupted, the nested run's primary is free and handles it. Nothing
 * falls through; what the kernel still skips is counted and reported.
 *
 * Nor is anything taken twice, whichever instruction the interrupt lands
 * on: the twin reads inv before last, and takes its invocation only if no
 * one has noted inv or later (a run nested after it read inv noted a later
 * one); and what it takes, it also notes in took, which only twins write,
 * in softirq, where no transition interrupts them. The primary's "last =
 * inv" is a load and a store: a nested run between them, taken by the twin,
 * is overwritten in last by the older value, but stays in took.
 */
/* cpu_state: declared with the accept handshake's fence, above. */

/*
 * A listener's child has no cookie of its own yet at LISTEN->SYN_RECV (until
 * 6.x it even still carries its listener's, replaced right after), so that
 * transition is keyed 0: "not known yet".
 */
static __always_inline __u64 state_key(struct sock *sk, int oldstate, int newstate, bool btf)
{
	if (key_by_ptr || !btf)
		return (__u64)(unsigned long)sk;
	if (oldstate == SW_TCP_LISTEN && newstate == SW_TCP_SYN_RECV)
		return 0;
	return bpf_get_socket_cookie(sk);
}

enum { ROLE_PRE, ROLE_PRIMARY, ROLE_TWIN };

static __always_inline void state_run(int role, struct sock *sk, int oldstate, int newstate,
				      bool btf)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct sw_cpu_state *c;

	if (cpu >= SW_MAX_CPUS) { /* no nesting guard there: the primary does it all */
		if (role == ROLE_PRIMARY && state_has_work(oldstate, newstate))
			on_set_state(btf, sk, state_key(sk, oldstate, newstate, btf), oldstate,
				     newstate);
		return;
	}
	c = &cpu_state[cpu];
	if (role == ROLE_PRE) {
		c->inv++;
		return;
	}
	if (role == ROLE_TWIN) {
		__u64 inv = *(volatile __u64 *)&c->inv;

		if (*(volatile __u64 *)&c->last >= inv || *(volatile __u64 *)&c->took >= inv)
			return;
		count(SW_CNT_NESTED);
		*(volatile __u64 *)&c->took = inv;
	}
	*(volatile __u64 *)&c->last = *(volatile __u64 *)&c->inv;
	/* after noting the run: the twin must not take it for a skipped one */
	if (state_has_work(oldstate, newstate))
		on_set_state(btf, sk, state_key(sk, oldstate, newstate, btf), oldstate, newstate);
}

#define STATE_PROGS(name, role)                                                        \
	SEC("tp_btf/inet_sock_set_state")                                              \
	int BPF_PROG(sw_state_btf_##name, struct sock *sk, int oldstate, int newstate) \
	{                                                                              \
		state_run(role, sk, oldstate, newstate, true);                         \
		return 0;                                                              \
	}                                                                              \
	SEC("raw_tp/inet_sock_set_state")                                              \
	int BPF_PROG(sw_state_raw_##name, struct sock *sk, int oldstate, int newstate) \
	{                                                                              \
		state_run(role, sk, oldstate, newstate, false);                        \
		return 0;                                                              \
	}

/* Attached in this order by the loader. */
STATE_PROGS(pre, ROLE_PRE)
STATE_PROGS(main, ROLE_PRIMARY)
STATE_PROGS(twin, ROLE_TWIN)

/*
 * fentry/kprobe modes: an owner for a connecting socket's entry that has
 * none. CLOSE->SYN_SENT gives every entry it makes its owner, the connect()
 * caller, in every mode; this hook may run in another task (a deferred
 * TCP_FASTOPEN_CONNECT sends its SYN from the first write, whoever makes
 * it), so it never replaces one.
 */
static __always_inline void on_tcp_connect(__u64 key)
{
	struct sw_sock *s = bpf_map_lookup_elem(&socks, &key);

	if (!s || s->owner_src != SW_OWNER_NONE)
		return;
	owner_from_current(s);
	s->owner_src = SW_OWNER_CURRENT;
}

SEC("fentry/tcp_connect")
int BPF_PROG(sw_fentry_tcp_connect, struct sock *sk)
{
	on_tcp_connect(key_by_ptr ? (__u64)(unsigned long)sk : bpf_get_socket_cookie(sk));
	return 0;
}

SEC("kprobe/tcp_connect")
int BPF_KPROBE(sw_kprobe_tcp_connect, struct sock *sk)
{
	on_tcp_connect(sk_key_read(sk));
	return 0;
}

/*
 * The entry of an accepted socket that has none and will get none from a
 * transition (accept_listed()), from cur: the accepting task, the endpoints,
 * no birth (its SYN came before we attached: no latency or duration).
 * Once it is made, the accept maps are not needed for this socket: their
 * entries go, and accepts_live with them. Returns 0; -EEXIST if it could
 * not be made (one was made meanwhile, or no room); -ENOTCONN if the
 * socket turned out closed, its entry removed again: the accept takes the
 * form of one reset before accept() took it.
 *
 * Closed means any of: its CLOSE transition deleted our accepts entry (it
 * ran after we made it); its port is released (the kernel does that before
 * the transition's program runs, so a close whose program deleted the
 * socket's entry before we looked is seen here); its state is CLOSE. All
 * read after the entry is made and a barrier: a CLOSE transition that
 * finds no entry looks again after a barrier (on_set_state()), so either
 * it finds ours and reports the close from it (with the owner, and the
 * mark emit() reads), or we see the port released. Nothing stays behind
 * for the sweep to report as a second close.
 */
static __always_inline int accept_adopt(struct sock *sk, __u64 key, __u64 ptr, struct sw_sock *cur)
{
	bool closed;

	cur->skptr = ptr;
	cur->flags = SW_SOCK_F_NO_ACCEPT_MAPS;
	/* not over an entry made meanwhile, which knows more */
	if (bpf_map_update_elem(&socks, &key, cur, BPF_NOEXIST))
		return -EEXIST;
	count(SW_CNT_SOCK_INSERTS);
	/* the entry before the checks: see on_set_state()'s CLOSE without one */
	fence();
	/* the entry first: another hook that finds it stops there */
	closed = bpf_map_delete_elem(&accepts, &ptr) != 0;
	if (!closed)
		__sync_fetch_and_add(&accepts_live, -1);
	bpf_map_delete_elem(&accept_claims, &ptr);
	if (closed || !BPF_CORE_READ(sk, __sk_common.skc_num) ||
	    BPF_CORE_READ(sk, __sk_common.skc_state) == SW_TCP_CLOSE) {
		sock_delete(key);
		return -ENOTCONN;
	}
	return 0;
}

/*
 * Whether sk has closed or is closing: its state is CLOSE, or its port is
 * released (the kernel releases it before the CLOSE transition's program
 * runs, and stores the state after it).
 */
static __always_inline bool sk_closing(struct sock *sk)
{
	return !BPF_CORE_READ(sk, __sk_common.skc_num) ||
	       BPF_CORE_READ(sk, __sk_common.skc_state) == SW_TCP_CLOSE;
}

/*
 * An MPTCP connection's first subflow reset before accept() took it: MPTCP
 * disconnected the subflow (tcp_disconnect()), which zeroes its peer port,
 * and the accept would report port 0 (its close, earlier, had the real
 * one). The MPTCP socket kept a copy of the subflow's endpoints, made when
 * the listener cloned it (mptcp_copy_inaddrs()): they are taken from there.
 * Anything else is left as it is.
 */
static __always_inline void mptcp_peer(struct sock *sk, struct sk_now *now)
{
	struct mptcp_subflow_context *sf;
	struct sk_now m = {};
	struct sock *msk;

	if (!bpf_core_field_exists(struct tcp_sock, is_mptcp) ||
	    !bpf_core_type_exists(struct mptcp_subflow_context) ||
	    !BPF_CORE_READ((struct tcp_sock *)sk, is_mptcp))
		return;
	sf = BPF_CORE_READ((struct inet_connection_sock *)sk, icsk_ulp_data);
	msk = sf ? BPF_CORE_READ(sf, conn) : 0;
	if (!msk || BPF_CORE_READ(msk, sk_protocol) != IPPROTO_MPTCP_NUM)
		return;
	read_tuple(false, msk, &m);
	if (m.rport)
		*now = m;
}

/*
 * The accept of sk, by the task in own, reported without an entry: its
 * entry went while we ran (freed and given to another socket: entry_is()),
 * or it closed before a transition made one. Closed (its CLOSE deleted the
 * entry, and its close came first in the stream), it takes the form of one
 * reset before accept() took it: state CLOSE, no entry, no latency.
 * Otherwise its entry was evicted from a full map: no entry, its state now.
 */
static __always_inline void accept_gone(struct sock *sk, __u64 key, __u8 hook,
					const struct sw_sock *own, struct sk_now *now)
{
	__u8 state = SW_TCP_CLOSE;

	if (!sk_closing(sk))
		state = BPF_CORE_READ(sk, __sk_common.skc_state);
	__builtin_memset(now, 0, sizeof(*now));
	if (!own->family) {
		read_tuple(false, sk, now);
		if (!now->rport)
			mptcp_peer(sk, now);
	}
	emit(key, EMIT(SW_EV_ACCEPT, 0, state, (hook << SW_F_ACCEPT_HOOK_SHIFT) | SW_F_NO_ENTRY),
	     own, now);
}

/*
 * Reports the accept of sk from its entry s, found under key: the record
 * comes from the entry, where a close that runs meanwhile leaves its mark
 * (emit()). With set, the entry takes own's owner (the accepting task) and
 * the hook, the mark later hooks stop at, and more_flags; without, it has
 * them (accept_adopt() made it from own).
 *
 * The entry can be freed by the socket's close and given to another socket
 * at any moment (entry_is()). So what is read from it is checked after it
 * is read, and the record once it is filled (emit_rec(): sent only if the
 * entry was this socket's all along, else made again without it,
 * accept_gone()); and the entry is written only after a check, with stores
 * alone, the owner made beforehand. What stays open is the few
 * instructions between that check and the stores: an interrupt there whose
 * softirq closes the socket and gives its element to a new one puts this
 * owner and hook into the new socket's entry.
 */
static __always_inline void accept_report(struct sock *sk, __u64 key, __u64 ptr, struct sw_sock *s,
					  __u8 hook, __u8 state, const struct sw_sock *own,
					  struct sk_now *now, __u8 more_flags, bool set)
{
	if (!s->family)
		read_tuple(false, sk, now);
	if (set) {
		if (!entry_is(s, ptr))
			goto gone;
		owner_copy(s, own);
		s->flags |= more_flags;
		s->accept_hook = hook;
	}
	if (emit_rec(key, EMIT(SW_EV_ACCEPT, 0, state, hook << SW_F_ACCEPT_HOOK_SHIFT), s, now,
		     ptr) != SW_EMIT_GONE)
		return;
gone:
	accept_gone(sk, key, hook, own, now);
}

/*
 * The rest of on_accept() for a socket that had no entry, once its owner is
 * in accepts. The child's transition (child_enter()) makes its entry and
 * then reads the accepts map; this reads the socket's entry after our
 * accepts entry, each after a barrier. So if no entry is seen here while
 * the child is still in SYN_RECV, its transition is to come (or under way)
 * and will find the owner and report the accept from the entry it makes,
 * with that entry's birth: reporting here, from a copy without one, gave
 * an accept whose socket id (keyed by address, the id hashes the birth in)
 * matched neither its close nor, the address reused, was unique. With the
 * entry seen, one of the two reports it, whoever claims it.
 */
static __always_inline void accept_listed(struct sock *sk, __u64 ptr, __u8 hook, __u8 state,
					  struct sw_sock *cur, struct sk_now *now)
{
	struct sw_sock *s;
	int err = -EEXIST;
	__u64 key;

	fence();
	/* in cookie mode 0 until the transition has started: it makes the cookie */
	key = sk_key_read(sk);
	s = key ? bpf_map_lookup_elem(&socks, &key) : 0;
	if (!s && state == SW_TCP_SYN_RECV) {
		/*
		 * Unless it has closed since we read SYN_RECV: then its
		 * transitions all ran in between, and its close deleted the
		 * entry the first made. A close that came after our accepts
		 * entry deleted it too, and reported the accept if nobody
		 * had (on_set_state()); one that came before saw nothing of
		 * us, nor did the first transition, which came earlier
		 * still: reported here, as reset before accept(). Whether
		 * our accepts entry is still there tells which.
		 */
		if (sk_closing(sk) && bpf_map_lookup_elem(&accepts, &ptr) && claim_accept(ptr))
			accept_gone(sk, key, hook, cur, now);
		return;
	}
	if (!claim_accept(ptr))
		return;
	/*
	 * Claimed, but the accept may have been reported all the same: by the
	 * socket's first transition or its close (on_set_state()), each of
	 * which marks the entry once it has claimed; the close deletes the
	 * claims after. Then the mark is there, or, the entry gone since (the
	 * close freed it, maybe for another socket), our accepts entry is
	 * gone too: a close that ran after we made it deleted it, and had
	 * the entry we found.
	 */
	if (s) {
		bool seen = s->accept_hook;

		if (!entry_is(s, ptr)) {
			seen = !bpf_map_lookup_elem(&accepts, &ptr);
			s = 0;
		}
		if (seen) {
			bpf_map_delete_elem(&accept_claims, &ptr);
			return;
		}
	}
	/* Past SYN_RECV with no entry: accepted from a queue filled before we
	 * attached (its transition ran before), its entry gone with a reset
	 * racing us (its CLOSE transition deleted it), or the map refused the
	 * entry. No entry is coming: make it, for the close and the sweep. */
	if (!s && key) {
		remember_endpoints(false, sk, cur);
		/* the port released by a close racing us: see read_tuple() */
		if (!cur->lport)
			cur->lport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
		err = accept_adopt(sk, key, ptr, cur);
		/* reported from the entry, where a close that takes it over
		 * meanwhile leaves its mark (emit()); gone already: closed */
		s = bpf_map_lookup_elem(&socks, &key);
		if (s && !entry_is(s, ptr))
			s = 0;
		if (err == -ENOTCONN || (!err && !s)) {
			emit(key,
			     EMIT(SW_EV_ACCEPT, 0, SW_TCP_CLOSE,
				  (hook << SW_F_ACCEPT_HOOK_SHIFT) | SW_F_NO_ENTRY),
			     cur, now);
			return;
		}
		/* else made meanwhile (the live view seeds entries), or no room */
	}
	if (s) {
		/* ours (err 0) has the owner and hook already */
		accept_report(sk, key, ptr, s, hook, state, cur, now, 0, err != 0);
		return;
	}
	/* No key for an entry (cookie mode: no transition of this socket has
	 * made its cookie since we attached), or no room: the owner stays in
	 * the accepts map, for its close (on_set_state()) to report. */
	if (!cur->family)
		read_tuple(false, sk, now);
	emit(key, EMIT(SW_EV_ACCEPT, 0, state, hook << SW_F_ACCEPT_HOOK_SHIFT), cur, now);
}

/*
 * One accept event per socket, whichever hook sees it first: the fexit on
 * inet_csk_accept (fentry mode), or the accept syscalls' exit and io_uring's
 * completions (the other modes' accept hooks; in fentry mode the exits are a
 * fallback for threads that were blocked in accept() before we attached).
 */
static __always_inline void on_accept(struct sock *sk, __u8 hook)
{
	__u64 key, ptr = (__u64)(unsigned long)sk;
	struct sw_sock cur = {}, *s;
	struct sk_now now = {};
	__u8 state;

	if (!sk)
		return;
	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP_NUM)
		return;
	if (!sock_wanted(false, sk))
		return;
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	/*
	 * The usual case: the child's SYN_RECV->ESTABLISHED transition made its
	 * entry before accept() returned it. That transition reports the
	 * accept only if a hook left its owner in the accepts map (still there:
	 * entries go at CLOSE; see accept_listed()). Otherwise the first hook
	 * reports it here and marks the entry, without touching the accepts
	 * maps at all: the transition, if still reading them, finds nothing.
	 * The entry counts only if it is still this socket's after what was
	 * read from it (entry_is()): one that its close freed and another
	 * socket took since is none, and the socket closed (or the entry was
	 * evicted).
	 */
	key = sk_key_read(sk);
	s = key ? bpf_map_lookup_elem(&socks, &key) : 0;
	if (s) {
		bool seen = s->accept_hook;

		if (entry_is(s, ptr)) {
			struct sw_sock *acc;

			if (seen)
				return;
			/* read only while an accepts entry lives anywhere */
			acc = accepts_maybe() ? bpf_map_lookup_elem(&accepts, &ptr) : 0;
			if (acc) {
				if (accept_ours(acc, ptr))
					return;
				/* an earlier socket's, at this address */
				accept_stale_drop(ptr, sw_accept_tag(ptr));
			}
			owner_from_current(&cur);
			accept_report(sk, key, ptr, s, hook, state, &cur, &now,
				      SW_SOCK_F_NO_ACCEPT_MAPS, true);
			return;
		}
	}
	/*
	 * A socket that has closed (or is closing), with no entry: reported by
	 * one hook, the accept function's where the mode has one, else the
	 * syscall exit. The fexit ran before this exit, in this task, and may
	 * have reported it from its entry, which the close has deleted since:
	 * nothing else tells this exit so. (A thread that was in accept()
	 * before we attached passes no fexit: such an accept, reset while it
	 * was taken, is not reported.)
	 */
	if (accept_fn_hook && hook == SW_ACCEPT_HOOK_SYSCALL && sk_closing(sk))
		return;
	owner_from_current(&cur);
	cur.accept_hook = hook;
	/* an accepts entry names its socket too: see accept_owner() */
	cur.skptr = ptr;
	if (state == SW_TCP_CLOSE) {
		/*
		 * Reset (or aborted) before accept() took it: its CLOSE transition
		 * has run, so nothing would ever remove entries keyed by its
		 * address from the accept maps, and the next socket at that
		 * address would find them (taking this owner, its own accept
		 * lost). Reported without them.
		 */
		read_tuple(false, sk, &now);
		if (!now.rport)
			mptcp_peer(sk, &now);
		emit(key,
		     EMIT(SW_EV_ACCEPT, 0, state, (hook << SW_F_ACCEPT_HOOK_SHIFT) | SW_F_NO_ENTRY),
		     &cur, &now);
		return;
	}
	/* The first hook to see this socket reports it; later ones stop here.
	 * Not at an entry an earlier socket at this address left. */
	cur.accept_tag = sw_accept_tag(ptr);
	if (accepts_maybe())
		accept_stale_drop(ptr, cur.accept_tag);
	__sync_fetch_and_add(&accepts_live, 1);
	if (bpf_map_update_elem(&accepts, &ptr, &cur, BPF_NOEXIST)) {
		__sync_fetch_and_add(&accepts_live, -1);
		return;
	}
	accept_listed(sk, ptr, hook, state, &cur, &now);
	/*
	 * Closed while we ran (a reset racing accept()): its CLOSE transition
	 * may have looked for our entries before we made them. Whoever
	 * deletes the accepts entry takes it off the count.
	 */
	if (BPF_CORE_READ(sk, __sk_common.skc_state) == SW_TCP_CLOSE) {
		if (!bpf_map_delete_elem(&accepts, &ptr))
			__sync_fetch_and_add(&accepts_live, -1);
		bpf_map_delete_elem(&accept_claims, &ptr);
	}
}

/*
 * The return value, whatever the arity: inet_csk_accept() takes (sk, flags,
 * err, kern) up to 6.9 and (sk, arg) from 6.10. bpf_get_func_ret() (5.17)
 * reads it from either; before it, the arity is (sk, flags, err, kern)
 * throughout (4.11 to 6.9), and an fexit program finds the return value
 * right after the arguments. Only the branch the kernel can take is kept:
 * the other is dead once CO-RE has resolved the helper's existence, and the
 * verifier never sees it.
 */
SEC("fexit/inet_csk_accept")
int sw_fexit_accept(__u64 *ctx)
{
	__u64 ret = 0;

	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_func_ret))
		bpf_get_func_ret(ctx, &ret);
	else
		ret = ctx[4];
	on_accept((struct sock *)(unsigned long)ret, SW_ACCEPT_HOOK_FEXIT);
	return 0;
}

static __always_inline void on_accept_syscall_exit(long fd)
{
	on_accept(tcp_of_fd(fd), SW_ACCEPT_HOOK_SYSCALL);
}

/*
 * listen() returned ret: the listener its transition left for it is
 * reported now (its port assigned after that transition, if there was no
 * bind() before), unless the call failed: it never listened, and is back in
 * CLOSE (its entry gone with it). A listener still in LISTEN did listen,
 * whatever the call says.
 */
static __always_inline void on_listen_syscall_exit(long ret)
{
	struct listen_call *c, returned = { .key = LISTEN_CALL_RETURNED };
	__u64 id = bpf_get_current_pid_tgid(), key;
	struct sk_now now = {};
	struct sw_sock *s;
	struct sock *sk;

	c = bpf_map_lookup_elem(&listen_calls, &id);
	key = c ? c->key : 0;
	/*
	 * On sys_exit the transition tells a call under way by -ENOSYS in the
	 * registers (in_listen_syscall()). A listen() that returns -ENOSYS
	 * (one a seccomp filter fails) leaves them so for the task_work that
	 * runs next: the entry says the call has returned, until the task's
	 * next listen() exit.
	 */
	if (listen_exit == SW_LISTEN_EXIT_SYS_EXIT && (int)ret == -SW_ENOSYS)
		bpf_map_update_elem(&listen_calls, &id, &returned, BPF_ANY);
	else if (c)
		bpf_map_delete_elem(&listen_calls, &id);
	if (!key || key == LISTEN_CALL_RETURNED)
		return;
	s = bpf_map_lookup_elem(&socks, &key);
	if (!s || !(s->flags & SW_SOCK_F_LISTEN_PENDING))
		return;
	sk = (struct sock *)(unsigned long)s->skptr;
	if (BPF_CORE_READ(sk, __sk_common.skc_state) != SW_TCP_LISTEN)
		return;
	s->flags &= ~SW_SOCK_F_LISTEN_PENDING;
	remember_endpoints(false, sk, s);
	emit(key, EMIT(SW_EV_LISTEN, SW_TCP_CLOSE, SW_TCP_LISTEN, 0), s, &now);
}

SEC("tracepoint/syscalls/sys_enter_listen")
int sw_enter_listen(struct trace_event_raw_sys_enter *ctx)
{
	struct listen_call none = {};
	__u64 id = bpf_get_current_pid_tgid();

	bpf_map_update_elem(&listen_calls, &id, &none, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_listen")
int sw_exit_listen(struct trace_event_raw_sys_exit *ctx)
{
	on_listen_syscall_exit(ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int sw_exit_accept4(struct trace_event_raw_sys_exit *ctx)
{
	on_accept_syscall_exit(ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int sw_exit_accept(struct trace_event_raw_sys_exit *ctx)
{
	on_accept_syscall_exit(ctx->ret);
	return 0;
}

/*
 * The same exits on the sys_exit raw tracepoint, which every syscall of
 * every task passes, in every ABI. Used where the syscall tracepoints cannot
 * be resolved (their ids are read from tracefs, which is mode 0700 for
 * root, so CAP_BPF + CAP_PERFMON alone cannot), and in the tracepoint and
 * kprobe modes where the kernel runs 32-bit or x32 programs: the syscall
 * tracepoints skip their calls, and they accept and listen too. sys_exit_call() (syscall.bpf.h)
 * tells which call it was.
 */
static __always_inline void on_sys_exit(bool btf, struct pt_regs *regs, long ret)
{
	switch (sys_exit_call(btf, regs)) {
	case CALL_ACCEPT:
		on_accept_syscall_exit(ret);
		break;
	case CALL_LISTEN:
		on_listen_syscall_exit(ret);
		break;
	}
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sw_sys_exit_btf, struct pt_regs *regs, long ret)
{
	on_sys_exit(true, regs, ret);
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(sw_sys_exit_raw, struct pt_regs *regs, long ret)
{
	on_sys_exit(false, regs, ret);
	return 0;
}

/* io_uring: the same accepts, from their completions */
#include "uring.bpf.h"
