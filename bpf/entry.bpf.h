/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A record's start, and what a per-socket entry (struct sw_sock) gives it:
 * its owner and its endpoints. Needs maps.bpf.h (the ring buffer, count(),
 * listen_starts).
 */
#ifndef SW_ENTRY_BPF_H
#define SW_ENTRY_BPF_H

/*
 * Reserves a record, zeroed, with its time, key, kind, states and flags;
 * NULL if the ring buffer is full (counted as a drop).
 */
static __always_inline struct sw_event *sw_record_new(__u64 key, __u8 kind, __u8 oldstate,
						      __u8 newstate, __u8 flags)
{
	struct sw_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count(SW_CNT_RB_DROPS);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->cookie = key;
	e->kind = kind;
	e->oldstate = oldstate;
	e->newstate = newstate;
	e->flags = flags;
	return e;
}

/* The owner, into the event's owner fields and the owner bits of its flags. */
static __always_inline void sw_entry_owner(struct sw_event *e, const struct sw_sock *o)
{
	e->pid = o->pid;
	e->tid = o->tid;
	e->uid = o->uid;
	e->cgroup_id = o->cgroup_id;
	__builtin_memcpy(e->comm, o->comm, sizeof(e->comm));
	e->flags = (e->flags & ~SW_F_OWNER_MASK) | o->owner_src;
}

/* What the entry o knows beyond the endpoints: owner, birth and closer. */
static __always_inline void sw_entry_fill(struct sw_event *e, const struct sw_sock *o)
{
	sw_entry_owner(e, o);
	e->birth_ns = o->birth_ns;
	e->closer = o->closer;
	if (e->kind == SW_EV_LISTEN) {
		__u64 key = e->cookie; /* a key in the ring buffer: refused before 6.x */
		__u64 *start = bpf_map_lookup_elem(&listen_starts, &key);

		e->exe_ino = o->exe_ino;
		e->exe_mnt_id = o->exe_mnt_id;
		if (start)
			e->owner_start_ns = *start;
	}
}

/* Family, ports, netns and addresses from o (any struct with those fields) into event e. */
#define SW_COPY_ENDPOINTS(e, o)                                               \
	do {                                                                  \
		(e)->family = (o)->family;                                    \
		(e)->lport = (o)->lport;                                      \
		(e)->rport = (o)->rport;                                      \
		(e)->netns = (o)->netns;                                      \
		__builtin_memcpy((e)->laddr, (o)->laddr, sizeof((e)->laddr)); \
		__builtin_memcpy((e)->raddr, (o)->raddr, sizeof((e)->raddr)); \
	} while (0)

#endif /* SW_ENTRY_BPF_H */
