/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which syscall the current task is in, by its number and ABI, and the TCP
 * socket behind one of its file descriptors: what the accept and listen
 * exits, and the listen transition, need to know. Needs tuple.bpf.h
 * (SW_READ) and IPPROTO_MPTCP_NUM.
 */
#ifndef SW_SYSCALL_BPF_H
#define SW_SYSCALL_BPF_H

#define SW_NR_ACCEPT 43 /* x86_64, and x32 with SW_X32_BIT */
#define SW_NR_ACCEPT4 288
#define SW_NR_LISTEN 50
#define SW_X32_BIT 0x40000000
#define SW_NR32_SOCKETCALL 102 /* i386: socketcall(call, args) */
#define SW_NR32_LISTEN 363
#define SW_NR32_ACCEPT4 364 /* i386 has no accept() of its own: socketcall's */
#define SW_SOCKETCALL_LISTEN 4 /* socketcall's call numbers */
#define SW_SOCKETCALL_ACCEPT 5
#define SW_SOCKETCALL_ACCEPT4 18
#define SW_TS_COMPAT 0x0002 /* x86 thread_info.status: in a 32-bit syscall */
#define SW_PF_KTHREAD 0x00200000 /* task_struct.flags: a kernel thread */
#define SW_PF_IO_WORKER 0x00000010 /* task_struct.flags: an io_uring worker thread */
#define SW_ENOSYS 38

/* Whether the current task is in a 32-bit syscall. */
static __always_inline bool compat_syscall(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	if (!bpf_core_field_exists(task->thread_info.status))
		return false;
	return BPF_CORE_READ(task, thread_info.status) & SW_TS_COMPAT;
}

/*
 * The number alone does not say which call a syscall is: 43 is accept()
 * natively and times() for a 32-bit task (TS_COMPAT); x32 calls are native
 * numbers with SW_X32_BIT; a 32-bit program's accept() is usually
 * socketcall(SYS_ACCEPT, args).
 */
enum { CALL_OTHER, CALL_ACCEPT, CALL_LISTEN };

/* Which call a syscall was (an accept's descriptor is its result). */
static __always_inline int sys_exit_call(bool btf, struct pt_regs *regs)
{
	long nr = SW_READ(btf, regs, orig_ax), call;

	switch (nr) {
	case SW_NR_ACCEPT:
	case SW_NR_ACCEPT4:
		return compat_syscall() ? CALL_OTHER : CALL_ACCEPT;
	case SW_NR_LISTEN:
		return compat_syscall() ? CALL_OTHER : CALL_LISTEN;
	case SW_X32_BIT | SW_NR_ACCEPT:
	case SW_X32_BIT | SW_NR_ACCEPT4:
		return CALL_ACCEPT;
	case SW_X32_BIT | SW_NR_LISTEN:
		return CALL_LISTEN;
	case SW_NR32_ACCEPT4:
		return compat_syscall() ? CALL_ACCEPT : CALL_OTHER;
	case SW_NR32_LISTEN:
		return compat_syscall() ? CALL_LISTEN : CALL_OTHER;
	case SW_NR32_SOCKETCALL: /* getuid() natively */
		if (!compat_syscall())
			return CALL_OTHER;
		call = (__u32)SW_READ(btf, regs, bx);
		if (call == SW_SOCKETCALL_ACCEPT || call == SW_SOCKETCALL_ACCEPT4)
			return CALL_ACCEPT;
		return call == SW_SOCKETCALL_LISTEN ? CALL_LISTEN : CALL_OTHER;
	default:
		return CALL_OTHER;
	}
}

/*
 * Whether the syscall the registers name is still running, from the task's
 * saved registers: on x86 every syscall entry (64-bit and x32 through
 * entry_SYSCALL_64, ia32 through int 0x80, sysenter and syscall32, FRED's
 * too) stores -ENOSYS as ax, and the handler's return value replaces it
 * when it returns, before the exit work: the sys_exit tracepoint, then
 * task_work (io_uring's among it) and signals, on the way back to user
 * space with orig_ax still naming the call. A call that itself returns
 * -ENOSYS (one a seccomp filter fails) is told apart by its exit
 * (on_listen_syscall_exit()). An io_uring worker thread's registers are a
 * copy of its creator's with ax 0. Only the low 32 bits: a 32-bit call's
 * result is an int.
 */
static __always_inline bool syscall_running(struct pt_regs *regs)
{
	return (int)BPF_CORE_READ(regs, ax) == -SW_ENOSYS;
}

/*
 * The TCP socket behind what accept() returned. An MPTCP connection's file
 * holds the MPTCP socket, which the state tracepoint never sees as TCP:
 * its first subflow is the listener's TCP child that the connection's
 * events are about (the fexit on inet_csk_accept sees that child
 * directly).
 */
static __always_inline struct sock *tcp_of_accepted(struct sock *sk)
{
	if (!sk || !bpf_core_field_exists(((struct mptcp_sock *)0)->first))
		return sk;
	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_MPTCP_NUM)
		return sk;
	return BPF_CORE_READ((struct mptcp_sock *)sk, first);
}

/* The TCP socket behind a socket's file, or NULL. */
static __always_inline struct sock *tcp_of_file(struct file *file)
{
	struct socket *sock = BPF_CORE_READ(file, private_data);

	if (!sock)
		return 0;
	return tcp_of_accepted(BPF_CORE_READ(sock, sk));
}

/* The TCP socket behind file descriptor fd of the current task, or NULL. */
static __always_inline struct sock *tcp_of_fd(long fd)
{
	struct task_struct *task;
	struct file **fds;
	struct file *file = 0;
	unsigned int max;

	if (fd < 0)
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	max = BPF_CORE_READ(task, files, fdt, max_fds);
	if ((unsigned long)fd >= max)
		return 0;
	fds = BPF_CORE_READ(task, files, fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return 0;
	return tcp_of_file(file);
}

#endif /* SW_SYSCALL_BPF_H */
