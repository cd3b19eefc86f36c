/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Types and constants shared by the BPF programs and user space (plain __u types only). */
#ifndef SOCKWATCH_H
#define SOCKWATCH_H

#define SW_COMM_LEN 16
#define SW_ADDR_LEN 16

/* Address families as the kernel numbers them (AF_INET, AF_INET6). */
#define SW_AF_INET 2
#define SW_AF_INET6 10

/* TCP states, numbered as in the kernel's include/net/tcp_states.h. */
enum sw_tcp_state {
	SW_TCP_ESTABLISHED = 1,
	SW_TCP_SYN_SENT,
	SW_TCP_SYN_RECV,
	SW_TCP_FIN_WAIT1,
	SW_TCP_FIN_WAIT2,
	SW_TCP_TIME_WAIT,
	SW_TCP_CLOSE,
	SW_TCP_CLOSE_WAIT,
	SW_TCP_LAST_ACK,
	SW_TCP_LISTEN,
	SW_TCP_CLOSING,
	SW_TCP_NEW_SYN_RECV,
	SW_TCP_STATE_MAX,
};

/*
 * Event kinds. The kernel emits LISTEN..STATE; SNAPSHOT and LOST are made by
 * user space (sockets that existed at start, in-band loss records).
 */
enum sw_event_kind {
	SW_EV_NONE = 0,
	SW_EV_LISTEN,
	SW_EV_UNLISTEN,
	SW_EV_CONNECT,
	SW_EV_CONNECT_FAILED,
	SW_EV_ACCEPT,
	SW_EV_CLOSE,
	SW_EV_STATE,
	SW_EV_SNAPSHOT,
	SW_EV_LOST,
	SW_EV_KIND_MAX,
};

/* Which end started the close of a connection. */
enum sw_closer {
	SW_CLOSER_UNKNOWN = 0,
	SW_CLOSER_LOCAL,
	SW_CLOSER_REMOTE,
};

/*
 * connect_failed's errno when connect() found no free local port
 * (EADDRNOTAVAIL, as the kernel numbers it; reason "no_local_port"): the
 * socket has no error of its own then, so the BPF side sets it.
 */
#define SW_EADDRNOTAVAIL 99

/* Where the owner (pid, comm, ...) of an event came from. */
enum sw_owner_src {
	SW_OWNER_NONE = 0, /* not known: the socket predates the tracer */
	SW_OWNER_CURRENT, /* the task that ran the hook (process context) */
	SW_OWNER_SOCKET, /* carried from an earlier hook in the socket's map entry */
};

/* Hook families for connect/accept ownership (see docs/attach-modes.md). */
enum sw_attach_mode {
	SW_ATTACH_AUTO = 0,
	SW_ATTACH_FENTRY,
	SW_ATTACH_KPROBE,
	SW_ATTACH_TRACEPOINT,
};

/* Per-CPU counters kept by the BPF programs (index into the counters map). */
enum sw_counter {
	SW_CNT_EVENTS = 0, /* records successfully reserved */
	SW_CNT_RB_DROPS, /* ring buffer full: record lost */
	SW_CNT_SOCK_INSERTS, /* per-socket entries created */
	SW_CNT_SOCK_DELETES, /* per-socket entries removed at close */
	SW_CNT_SOCK_UPDATE_FAIL, /* per-socket entry could not be created */
	SW_CNT_FILTERED, /* events suppressed by in-kernel filters */
	SW_CNT_NESTED, /* state changes caught by the twin program (nested run) */
	SW_CNT_INFERRED, /* closes the sweep inferred: the kernel never ran our CLOSE hook */
	SW_CNT_MAX,
};

/* Flags of sw_event.flags. */
#define SW_F_OWNER_MASK 0x03 /* enum sw_owner_src */
#define SW_F_KEY_IS_PTR 0x04 /* cookie unavailable (raw_tp): cookie holds sk pointer */
#define SW_F_ACCEPT_HOOK_MASK \
	0x18 /* for accept: which hook saw it (1 fexit, 3 syscall exit or io_uring; 2 unused) */
#define SW_F_ACCEPT_HOOK_SHIFT 3
#define SW_F_INFERRED \
	0x20 /* close/unlisten inferred by the socket-map sweep, not seen at the transition;
	      * accept: done inside the kernel, told from the socket (no hook saw it) */
/*
 * Made without the socket's entry in the socket map (so without the owner,
 * birth and history it keeps): the socket predates the tracer and was not
 * seeded from the snapshot, or its entry was evicted because the map was
 * full (SW_MAX_SOCKETS, --max-sockets; evictions are reported in-band as
 * lost records "socket-map"). JSON "entry":"none".
 */
#define SW_F_NO_ENTRY 0x40
/*
 * connect, accept: latency_ns was not measured, its start (the SYN sent, the
 * SYN received) not seen: a connection older than the tracer, or made
 * without the socket's entry. Told by this flag, not by latency_ns 0, which a
 * measured latency can round to in microseconds. The consumer leaves
 * latency_us out.
 */
#define SW_F_NO_LATENCY 0x80

/*
 * One ring-buffer record. Fixed size so that one reserve never fails for
 * lack of a size class and the consumer decodes without a length field.
 * Times are CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns).
 */
struct sw_event {
	__u64 ts_ns; /* when the hook ran */
	__u64 cookie; /* socket cookie: stable id of the socket */
	__u64 cgroup_id; /* cgroup v2 id of the owner (0 if unknown) */
	__u64 birth_ns; /* when the socket was first seen (0 if unknown) */
	union {
		__u64 latency_ns; /* connect: SYN_SENT to ESTABLISHED; accept: handshake done to accept
				   * (unless SW_F_NO_LATENCY) */
		__u64 exe_ino; /* listen: inode of the owner's executable then (0 if unknown) */
	};
	__u64 bytes_sent; /* close: payload bytes sent (each byte once) */
	__u64 bytes_received; /* close: payload bytes received in order */
	union {
		__u64 bytes_retrans; /* close: payload bytes retransmitted */
		/*
		 * listen: when the owner's process started (its thread group
		 * leader's start_boottime, ns on the boot clock; 0 if unknown):
		 * /proc/PID is that process only if it started then.
		 */
		__u64 owner_start_ns;
	};
	__u32 pid; /* owner tgid (0 if unknown) */
	__u32 tid; /* owner thread id */
	__u32 uid; /* owner uid */
	__u32 netns; /* network namespace inode */
	union {
		__u32 srtt_us; /* smoothed RTT in microseconds (close, connect) */
		__u32 exe_mnt_id; /* listen: mount id of that executable (statx STATX_MNT_ID) */
	};
	__u16 lport; /* local port, host order */
	__u16 rport; /* remote port, host order */
	__u16 error; /* connect_failed: errno (ECONNREFUSED, ETIMEDOUT, ...) */
	__u8 kind; /* enum sw_event_kind */
	__u8 family; /* SW_AF_INET or SW_AF_INET6 (mapped v6 reported as v4) */
	__u8 oldstate; /* enum sw_tcp_state */
	__u8 newstate;
	__u8 closer; /* enum sw_closer */
	__u8 flags; /* SW_F_* */
	__u8 laddr[SW_ADDR_LEN]; /* v4 in the first 4 bytes, network order */
	__u8 raddr[SW_ADDR_LEN];
	char comm[SW_COMM_LEN];
};

/* Per-CPU bookkeeping of the state-program chain (see bpf/sockwatch.bpf.c), a cache line each. */
#define SW_MAX_CPUS 1024
struct sw_cpu_state {
	__u64 inv; /* invocations of the state tracepoint on this CPU */
	__u64 last; /* the invocation the primary or the twin took */
	__u64 took; /* the invocation the twin last took (see state_run()) */
	__u64 fence; /* locked adds on it order this CPU's stores before its loads */
	__u8 pad[32];
};

/*
 * A key of the connect_nets LPM trie (the networks whose connect attempts are
 * reported, see sw_tracer_opts.connect_nets): IPv4 as ::ffff:a.b.c.d, its
 * prefix length counted from the start of the 16 bytes.
 */
struct sw_net_key {
	__u32 prefixlen;
	__u8 addr[SW_ADDR_LEN];
};

/* Sizes of the BPF maps. */
#define SW_RINGBUF_BYTES (8u << 20)
#define SW_MAX_SOCKETS 65536 /* entries of the socket map by default (--max-sockets) */
#define SW_MAX_SOCKETS_MIN 256
#define SW_MAX_SOCKETS_MAX (4u << 20) /* about 700 MiB of preallocated entries */

/*
 * The multishot io_uring accepts that tracepoint mode remembers (see
 * bpf/uring.bpf.h): their later completions carry no request, only the ring
 * and user_data, so they are found by those.
 */
#define SW_URING_MAX_ARMED 4096 /* entries of uring_accepts and of uring_reqs */
#define SW_URING_PORTS 4 /* listener ports kept per kind of accept (more: any port) */

/* What an accept's result is: a descriptor, or a slot of the ring's fixed files. */
enum sw_uring_kind {
	SW_URING_FD = 0,
	SW_URING_FIXED = 1,
	SW_URING_KINDS = 2,
};

/* A ring (its struct io_ring_ctx) and a user_data: the key of uring_accepts. */
struct sw_uring_key {
	__u64 ctx;
	__u64 user_data;
};

/* The multishot accepts armed under one key, of each kind. */
struct sw_uring_armed {
	__u32 refs[SW_URING_KINDS]; /* submissions seen whose last completion has not come */
	/* the local ports of their listeners (0: unused), a completion's socket must have one */
	__u16 ports[SW_URING_KINDS][SW_URING_PORTS];
	/* a listener whose port was not read, or one more than SW_URING_PORTS: any port */
	__u8 any_port[SW_URING_KINDS];
	__u8 pad[6];
};

/* One armed submission, keyed by its request (struct io_kiocb): what it counts in. */
struct sw_uring_req {
	struct sw_uring_key key;
	__u32 kind; /* enum sw_uring_kind */
	__u32 pad;
};

/* Which hook saw an accept (bits SW_F_ACCEPT_HOOK_MASK of sw_event.flags). */
#define SW_ACCEPT_HOOK_FEXIT 1
/* 2 was kprobe mode's kretprobe on inet_csk_accept, whose misses were silent */
#define SW_ACCEPT_HOOK_SYSCALL 3
/*
 * sw_sock.accept_hook only, never in a record: no hook saw the accept, it was
 * told from the socket (a kernel listener's child that the kernel grafted:
 * kernel_accept()), and reported flagged SW_F_INFERRED.
 */
#define SW_ACCEPT_HOOK_NONE_KERNEL 4

/*
 * What the BPF side remembers about one socket between hooks, keyed by socket
 * cookie in an LRU hash: who owns it (the connecting, listening or accepting
 * task) and when it was born. Passive-side transitions run in softirq where
 * the current task is not the owner, so ownership travels here.
 */
struct sw_sock {
	__u64 birth_ns; /* first seen (SYN_SENT, SYN_RECV or LISTEN) */
	union {
		__u64 start_ns; /* SYN_SENT: connect latency starts here */
		__u64 exe_ino; /* a listener (SW_SWEEP_LISTENER): sw_event.exe_ino */
	};
	__u64 cgroup_id;
	__u32 pid;
	__u32 tid;
	__u32 uid;
	__u8 owner_src; /* enum sw_owner_src */
	__u8 closer; /* enum sw_closer */
	__u8 accept_hook; /* which hook saw the accept (SW_ACCEPT_HOOK_*), 0 = none yet */
	__u8 sweep; /* SW_SWEEP_* */
	char comm[SW_COMM_LEN];
	/* For the sweep (bpf/sweep.bpf.c): where the socket lives and what it
	 * was, to report a close the kernel never delivered to our hooks. */
	/* kernel address of the socket (0: unknown, not swept); set by every
	 * creator of an entry: a hook checks that an entry it looked up is still
	 * its socket's (bpf/sockwatch.bpf.c entry_is()) */
	__u64 skptr;
	__u32 netns;
	__u16 lport; /* host order */
	__u16 rport;
	__u8 family; /* SW_AF_*, 0 until the endpoints are known */
	__u8 flags; /* SW_SOCK_F_* */
	/*
	 * SW_SOCK_CLOSING once the socket's CLOSE transition is about to
	 * report its close: set before that record is reserved in the ring
	 * buffer. An accept reported from the entry reads it after reserving
	 * its own, so one that comes after the close in the stream always sees
	 * it, and takes the form of an accept reset before accept() took it
	 * (bpf/sockwatch.bpf.c emit()). A byte of its own, written by nothing
	 * else: in flags, an accept hook's concurrent |= could undo it.
	 */
	__u8 closing;
	__u8 pad;
	union {
		__u32 exe_mnt_id; /* a listener: sw_event.exe_mnt_id */
		/*
		 * An entry of the accepts map (bpf/sockwatch.bpf.c): the
		 * skc_hash of the socket it was made for, which tells it from
		 * a later socket at the same address (sw_accept_tag()).
		 */
		__u32 accept_tag;
	};
	__u8 laddr[SW_ADDR_LEN];
	__u8 raddr[SW_ADDR_LEN];
};

/* Marks the sweep keeps in sw_sock.sweep. */
#define SW_SWEEP_LISTENER 0x01 /* a listening socket: its end is an unlisten */
#define SW_SWEEP_SUSPECT 0x02 /* found gone once; reported if still gone at the next sweep */
#define SW_SWEEP_REPORTED 0x04 /* inferred close sent; user space deletes the entry */
#define SW_SWEEP_KACCEPT 0x08 /* found accepted inside the kernel once; reported if still so next */
#define SW_SWEEP_INTERVAL_NS (2000ULL * 1000 * 1000)

/*
 * sw_sock.flags: the socket has no entry in the accepts and accept_claims
 * maps (a connecting socket, a listener, or a child whose accept was
 * reported without them), so its close need not delete any.
 */
#define SW_SOCK_F_NO_ACCEPT_MAPS 0x01
/*
 * sw_sock.flags: a listener not reported at its CLOSE->LISTEN transition.
 * The kernel makes that transition before it takes the port: listen()
 * without bind() picks one right after, and a listen() whose bound port
 * another listener holds (two SO_REUSEADDR sockets) fails there and goes
 * back to CLOSE. So a listener made inside a listen() syscall whose exit is
 * hooked (and one with no port yet anywhere) waits for that exit, which
 * knows the port and whether the call succeeded.
 */
#define SW_SOCK_F_LISTEN_PENDING 0x02
/*
 * sw_sock.flags: a listener's child (made by its first transition out of
 * SYN_RECV) in the tracepoint and kprobe modes, where no hook sees accepts
 * done inside the kernel: its entry is watched for one (bpf/sockwatch.bpf.c
 * kernel_accepted()).
 */
#define SW_SOCK_F_WATCH_KACCEPT 0x04
/* sw_sock.closing */
#define SW_SOCK_CLOSING 1

/* How the BPF side tells that a listen() syscall is under way (rodata listen_exit). */
#define SW_LISTEN_EXIT_NONE 0 /* its exit is not hooked */
#define SW_LISTEN_EXIT_SYSCALL_TP 1 /* syscalls/sys_enter_listen left the task's entry */
#define SW_LISTEN_EXIT_SYS_EXIT 2 /* the task's saved syscall number (5.15+) */

/*
 * Snapshot records (bpf/snapshot.bpf.c): the iter/tcp program writes one
 * sw_snap_sock per socket of the iterating netns, the iter/task_file program
 * one sw_snap_owner per file descriptor that refers to a TCP socket.
 */
#define SW_SNAP_F_FULL 0x01 /* a full socket (not TIME_WAIT or a request socket) */

struct sw_snap_sock {
	__u64 cookie; /* socket cookie (same value the tracer keys by) */
	__u64 skptr; /* kernel address of the socket (raw_tp fallback key) */
	__u64 bytes_sent; /* payload bytes sent (full sockets only) */
	__u64 bytes_received; /* payload bytes received (full sockets only) */
	__u32 netns; /* network namespace inode */
	__u32 uid; /* socket owner uid (full sockets only) */
	__u16 lport; /* host order */
	__u16 rport;
	__u8 family; /* SW_AF_INET or SW_AF_INET6 (mapped v6 reported as v4) */
	__u8 state; /* enum sw_tcp_state */
	__u8 flags; /* SW_SNAP_F_* */
	__u8 pad;
	__u8 laddr[SW_ADDR_LEN];
	__u8 raddr[SW_ADDR_LEN];
};

struct sw_snap_owner {
	__u64 cookie;
	__u64 skptr;
	__u32 pid; /* tgid of the process holding the descriptor */
	__u32 uid; /* its effective uid */
	__u32 fd;
	__u32 netns; /* inode of the socket's network namespace (iterators only) */
	char comm[SW_COMM_LEN];
};

#endif /* SOCKWATCH_H */
