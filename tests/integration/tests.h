/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The integration tests, each returning 0 on success. */
#ifndef SW_TESTS_H
#define SW_TESTS_H

int t_ipv4_flow(void);
int t_ipv6_flow(void);
int t_mapped_flow(void);
int t_mptcp_flow(void);
int t_connect_refused(void);
int t_connect_timeout_aborted(void);
int t_self_connect(void);
int t_reset_close(void);
int t_destroyed_close(void);
int t_accept_after_reset(void);
int t_listen_unlisten(void);
int t_listen_autobind(void);
int t_listen_conflict(void);
int t_uring_accepts(void);
int t_uring_accepts_direct(void);
int t_uring_listen(void);
int t_uring_tw_listen(void);
int t_uring_tw_listen_enosys(void);
int t_uring_tw_forged(void);
int t_kernel_accept(void);
int t_kernel_accept_held(void);
int t_kernel_listen_conflict(void);
int t_tfo_flow(void);
int t_tfo_abort(void);
int t_listen_autobind_sys_exit(void);
int t_listen_ia32(void);
int t_accept_ia32(void);
int t_abi_probe_sandboxed(void);
int t_blocked_acceptors(void);
int t_blocked_acceptors_sys_exit(void);
int t_churn_exact(void);
int t_churn_exact_batched(void);
int t_loss_is_reported(void);
int t_filter_takes_no_ring_space(void);
int t_filters(void);
int t_nothing_left_attached(void);
int t_raw_tp_fallback(void);
int t_state_transitions(void);
int t_connect_starts(void);
int t_listen_kinds(void);
int t_sweep_infers_close(void);
int t_sweep_at_exit(void);
int t_sweep_filtered(void);
int t_socket_map_evictions(void);
int t_auto_mode(void);
int t_auto_without_fentry(void);
int t_snapshot_owners(void);
int t_netns_ways_in(void);
int t_live_request_socket(void);
int t_live_resync(void);

#endif /* SW_TESTS_H */
