/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Reading a socket's family, addresses, ports and netns with CO-RE, v4-mapped v6 reported as v4. */
#ifndef SW_TUPLE_BPF_H
#define SW_TUPLE_BPF_H

static __always_inline bool sw_is_mapped_v4(const __u8 *a)
{
	return ((const __u32 *)a)[0] == 0 && ((const __u32 *)a)[1] == 0 &&
	       ((const __u32 *)a)[2] == bpf_htonl(0x0000ffff);
}

static __always_inline bool sw_is_zero6(const __u8 *a)
{
	return ((const __u32 *)a)[0] == 0 && ((const __u32 *)a)[1] == 0 &&
	       ((const __u32 *)a)[2] == 0 && ((const __u32 *)a)[3] == 0;
}

/*
 * A dual-stack socket with an IPv4 peer is an IPv4 connection, and one bound
 * to a v4-mapped address without a peer (a listener) serves IPv4 only: an
 * IPv4 socket (::ffff:0.0.0.0 is 0.0.0.0, every IPv4 interface). As
 * sw_addr_v4_in_v6() in src/addr.c.
 */
static __always_inline bool sw_is_v4_in_v6(const __u8 *laddr, const __u8 *raddr)
{
	if (sw_is_mapped_v4(raddr))
		return sw_is_mapped_v4(laddr) || sw_is_zero6(laddr);
	return sw_is_mapped_v4(laddr) && sw_is_zero6(raddr);
}

/*
 * One field of a kernel object. With btf (a constant) p is a pointer whose
 * type the verifier knows (tp_btf, fentry and iterator arguments): a plain
 * load, which the verifier turns into a fault-safe one (~2 ns on the bench
 * VM). Otherwise (raw_tp, kprobe, a pointer read from memory) a CO-RE
 * bpf_probe_read_kernel() helper call (~6 ns there, with hot caches). Both
 * read the field at its CO-RE-relocated offset.
 */
#define SW_READ(btf, p, field) ((btf) ? (p)->field : BPF_CORE_READ(p, field))

/* The four 32-bit words of an IPv6 address field of sock_common into dst. */
#define SW_READ_IN6(btf, skc, field, dst)                                         \
	do {                                                                      \
		if (btf) {                                                        \
			((__u32 *)(dst))[0] = (skc)->field.in6_u.u6_addr32[0];    \
			((__u32 *)(dst))[1] = (skc)->field.in6_u.u6_addr32[1];    \
			((__u32 *)(dst))[2] = (skc)->field.in6_u.u6_addr32[2];    \
			((__u32 *)(dst))[3] = (skc)->field.in6_u.u6_addr32[3];    \
		} else {                                                          \
			BPF_CORE_READ_INTO((struct in6_addr *)(dst), skc, field); \
		}                                                                 \
	} while (0)

/* The inode number of skc's network namespace. */
static __always_inline __u32 sw_read_netns(bool btf, struct sock_common *skc)
{
	struct net *net = SW_READ(btf, skc, skc_net.net);

	return SW_READ(btf, net, ns.inum);
}

/*
 * Fills family (SW_AF_*), 16-byte addresses (v4 in the first 4 bytes), host-order
 * ports and the netns inode of any socket kind (full, TIME_WAIT, request).
 * btf: see SW_READ.
 */
static __always_inline void sw_read_endpoints(bool btf, struct sock_common *skc, __u8 *family,
					      __u8 *laddr, __u8 *raddr, __u16 *lport, __u16 *rport,
					      __u32 *netns)
{
	*lport = SW_READ(btf, skc, skc_num);
	*rport = bpf_ntohs(SW_READ(btf, skc, skc_dport));
	*netns = sw_read_netns(btf, skc);
	if (SW_READ(btf, skc, skc_family) == SW_AF_INET) {
		*family = SW_AF_INET;
		*(__u32 *)laddr = SW_READ(btf, skc, skc_rcv_saddr);
		*(__u32 *)raddr = SW_READ(btf, skc, skc_daddr);
		return;
	}
	*family = SW_AF_INET6;
	SW_READ_IN6(btf, skc, skc_v6_rcv_saddr, laddr);
	SW_READ_IN6(btf, skc, skc_v6_daddr, raddr);
	if (sw_is_v4_in_v6(laddr, raddr)) {
		*family = SW_AF_INET;
		__builtin_memcpy(laddr, laddr + 12, 4);
		__builtin_memcpy(raddr, raddr + 12, 4);
		__builtin_memset(laddr + 4, 0, 12);
		__builtin_memset(raddr + 4, 0, 12);
	}
}

/*
 * Whether sk, a listener's child, was accepted inside the kernel: the
 * listener was a kernel socket (sock_create_kern(): nfsd, ksmbd, RDS, SMC's
 * listening socket), whose mark a child inherits (it is made as a copy of
 * its listener), and a struct socket now holds the child (kernel_accept()
 * grafted it). A process's listener makes children without the mark, so
 * its accepts never count, whatever the timing. Not MPTCP's subflows:
 * MPTCP listens with a kernel socket too, but the process accepts.
 */
static __always_inline bool sw_accepted_by_kernel(struct sock *sk)
{
	if (!bpf_core_field_exists(sk->sk_kern_sock) ||
	    !BPF_CORE_READ_BITFIELD_PROBED(sk, sk_kern_sock))
		return false;
	if (!BPF_CORE_READ(sk, sk_socket))
		return false;
	return !bpf_core_field_exists(((struct tcp_sock *)0)->is_mptcp) ||
	       !BPF_CORE_READ_BITFIELD_PROBED((struct tcp_sock *)sk, is_mptcp);
}

#endif /* SW_TUPLE_BPF_H */
