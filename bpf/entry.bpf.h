/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What a per-socket entry (struct sw_sock) gives an event: its owner and its endpoints. */
#ifndef SW_ENTRY_BPF_H
#define SW_ENTRY_BPF_H

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
