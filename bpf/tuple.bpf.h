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

/* A dual-stack socket with an IPv4 peer is an IPv4 connection. */
static __always_inline bool sw_is_v4_in_v6(const __u8 *laddr, const __u8 *raddr)
{
	return sw_is_mapped_v4(raddr) && (sw_is_mapped_v4(laddr) || sw_is_zero6(laddr));
}

/*
 * Fills family (SW_AF_*), 16-byte addresses (v4 in the first 4 bytes), host-order
 * ports and the netns inode of any socket kind (full, TIME_WAIT, request).
 */
static __always_inline void sw_read_endpoints(struct sock_common *skc, __u8 *family, __u8 *laddr,
					      __u8 *raddr, __u16 *lport, __u16 *rport, __u32 *netns)
{
	*lport = BPF_CORE_READ(skc, skc_num);
	*rport = bpf_ntohs(BPF_CORE_READ(skc, skc_dport));
	*netns = BPF_CORE_READ(skc, skc_net.net, ns.inum);
	if (BPF_CORE_READ(skc, skc_family) == SW_AF_INET) {
		*family = SW_AF_INET;
		BPF_CORE_READ_INTO((__u32 *)laddr, skc, skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)raddr, skc, skc_daddr);
		return;
	}
	*family = SW_AF_INET6;
	BPF_CORE_READ_INTO((struct in6_addr *)laddr, skc, skc_v6_rcv_saddr);
	BPF_CORE_READ_INTO((struct in6_addr *)raddr, skc, skc_v6_daddr);
	if (sw_is_v4_in_v6(laddr, raddr)) {
		*family = SW_AF_INET;
		__builtin_memcpy(laddr, laddr + 12, 4);
		__builtin_memcpy(raddr, raddr + 12, 4);
		__builtin_memset(laddr + 4, 0, 12);
		__builtin_memset(raddr + 4, 0, 12);
	}
}

#endif /* SW_TUPLE_BPF_H */
