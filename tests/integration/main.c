// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Runs the integration tests against the real kernel and prints TAP plus a summary line. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "harness.h"
#include "tests.h"

static const struct itest tests[] = {
	{ "ipv4 connect/accept/close with pids, bytes, closer", t_ipv4_flow },
	{ "ipv6 connect/accept/close with pids, bytes, closer", t_ipv6_flow },
	{ "ipv4-mapped ipv6 gives exactly one ipv4 event", t_mapped_flow },
	{ "MPTCP connect/accept/close: the accept found through the first subflow", t_mptcp_flow },
	{ "MPTCP reset before accept: the accept has the peer's port",
	  t_mptcp_reset_before_accept },
	{ "TCP Fast Open: 64 connections accepted at the SYN, exact owners and bytes", t_tfo_flow },
	{ "TCP Fast Open, the server resetting what it accepted: every accept and close",
	  t_tfo_abort },
	{ "TCP_FASTOPEN_CONNECT, the SYN from a child's write or none: the connect() caller's",
	  t_tfo_deferred_owner },
	{ "refused connect gives connect_failed", t_connect_refused },
	{ "timed-out and aborted connects give connect_failed with the reason",
	  t_connect_timeout_aborted },
	{ "no local port left: connect_failed no_local_port (errno 99), the caller's",
	  t_connect_no_local_port },
	{ "no local port left for a retried connect, or a bound one's 4-tuple taken: "
	  "no_local_port, errno 99, its port",
	  t_connect_no_local_port_retry },
	{ "a socket connected to itself (simultaneous open) gives one connect", t_self_connect },
	{ "an abortive close (SO_LINGER 0): local closer, the peer remote", t_reset_close },
	{ "a connection destroyed by this host (ss -K): local closer", t_destroyed_close },
	{ "a connection reset before accept: one accept, nothing left behind",
	  t_accept_after_reset },
	{ "4000 connections reset while accept() takes them: each accept exact, once",
	  t_accept_reset_race },
	{ "4000 connections reset while accept() takes them, raw_tp state hook: the same",
	  t_accept_reset_race_raw_tp },
	{ "stale accept map entries (their CLOSE never delivered): the next child there accepted once",
	  t_accept_stale },
	{ "stale accept map entries, raw_tp state hook: the same", t_accept_stale_raw_tp },
	{ "stale accept map entries, each child taken in SYN_RECV (Fast Open, handshake held)",
	  t_accept_stale_syn_recv },
	{ "stale accept map entries where no child comes again: removed by the sweep",
	  t_accept_stale_swept },
	{ "listen and unlisten on six bind addresses", t_listen_unlisten },
	{ "listen() without bind(): the listen event has the port the kernel picked",
	  t_listen_autobind },
	{ "a listen() that fails (its bound port taken) gives no event", t_listen_conflict },
	{ "both with the syscall exits on sys_exit (no tracefs)", t_listen_autobind_sys_exit },
	{ "32-bit listen() calls: reported with their port, a failed one not at all",
	  t_listen_ia32 },
	{ "32-bit accept() calls (accept4, socketcall): the program's, once each", t_accept_ia32 },
	{ "the 32-bit probe in a sandbox refusing foreign calls assumes they run",
	  t_abi_probe_sandboxed },
	{ "accepts through io_uring (a worker thread's, multishot): the process's, once each",
	  t_uring_accepts },
	{ "the same into the ring's fixed files (a slot, no descriptor): found in its table",
	  t_uring_accepts_direct },
	{ "two multishot io_uring accepts, one user_data, one cancelled: the other's all owned",
	  t_uring_shared_cancel },
	{ "a fixed-file and a plain multishot io_uring accept, one user_data: each reported",
	  t_uring_shared_fixed },
	{ "a process exiting with io_uring accepts armed: nothing left in the uring maps",
	  t_uring_shared_exit },
	{ "a listener opened through io_uring alone: reported at once, owned by the process",
	  t_uring_listen },
	{ "io_uring listen and shutdown run from task_work after listen() calls: reported at once",
	  t_uring_tw_listen },
	{ "the same after listen() calls a seccomp filter fails with ENOSYS",
	  t_uring_tw_listen_enosys },
	{ "the same under registers a tracer forged to say listen(): nothing hidden",
	  t_uring_tw_forged },
	{ "accepts inside the kernel (SMC's worker), ended before accept(): once each, first",
	  t_kernel_accept },
	{ "an accept inside the kernel waiting for accept(): reported while it lives, once",
	  t_kernel_accept_held },
	{ "a listen() on an AF_SMC socket that fails inside the kernel gives no event",
	  t_kernel_listen_conflict },
	{ "25 threads blocked in accept before start", t_blocked_acceptors },
	{ "25 threads blocked in accept, accept exits on sys_exit (no tracefs)",
	  t_blocked_acceptors_sys_exit },
	{ "16+ processes blocked in accept(): accept(2), io_uring, 32-bit accept4 elsewhere "
	  "still owned, once each",
	  t_accepts_past_blocked },
	{ "16+ processes blocked in accept(): accepts inside the kernel still once each",
	  t_kernel_accept_past_blocked },
	{ "16+ processes blocked in accept(): connections reset before accept still accepted once",
	  t_accept_after_reset_past_blocked },
	{ "connections queued before start: accepts and closes owned, no latency or duration",
	  t_queued_before_start },
	{ "connections queued before start, raw_tp state hook: the accept makes the entry",
	  t_queued_before_start_raw_tp },
	{ "2000 connections: exact counts, none lost, none twice", t_churn_exact },
	{ "2000 connections read in timed batches: exact, idle tracer woken",
	  t_churn_exact_batched },
	{ "a close the kernel never delivered is inferred by the sweep", t_sweep_infers_close },
	{ "a close the kernel never delivered is inferred at exit", t_sweep_at_exit },
	{ "inferred closes under a port filter: one kept, both entries gone", t_sweep_filtered },
	{ "ring buffer overflow is reported as lost records", t_loss_is_reported },
	{ "a full socket map: owner-less closes marked, evictions reported in-band",
	  t_socket_map_evictions },
	{ "records the port filter drops take no ring-buffer space", t_filter_takes_no_ring_space },
	{ "port, family and comm filters", t_filters },
	{ "closing the tracer leaves nothing attached", t_nothing_left_attached },
	{ "raw_tp state hook fallback", t_raw_tp_fallback },
	{ "--states gives every transition in order", t_state_transitions },
	{ "--states: CLOSE->LISTEN and CLOSE->SYN_SENT owned by the caller, through a pid filter",
	  t_state_first_owner },
	{ "--states: a listener older than the tracer, its LISTEN->CLOSE owned by the closer",
	  t_state_unlisten_owner },
	{ "connect attempts to listed networks: owned, with their peer", t_connect_starts },
	{ "listen's record kinds only: connections it does not read take no ring-buffer space",
	  t_listen_kinds },
	{ "auto picks the first mode the kernel accepts (probes agree)", t_auto_mode },
	{ "auto without fentry picks kprobe where kprobes load", t_auto_without_fentry },
	{ "snapshot, both sources: an MPTCP listener and connection, every subflow owned",
	  t_snapshot_owners },
	{ "snapshot: a namespace is entered only through a way in that still opens it",
	  t_netns_ways_in },
	{ "live view: a connection in SYN_RECV at start shows ESTABLISHED, owned, then closed",
	  t_live_request_socket },
	{ "live view after lost events: closed sockets' rows close, a missed listener appears",
	  t_live_resync },
};

/* The failed test's events, as diagnosis. */
static void dump_events(void)
{
	int shown = 0;

	for (size_t i = 0; i < H.all.n && shown < 40; i++) {
		if (H.all.v[i].ev.netns != H.netns)
			continue;
		show_record(&H.all.v[i]);
		shown++;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "attach", required_argument, NULL, 'a' },
					      { "only", required_argument, NULL, 'o' },
					      { "verbose", no_argument, NULL, 'v' },
					      { "repeat", required_argument, NULL, 'r' },
					      {} };
	struct sw_tracer_opts o = {};
	const char *only = NULL;
	int passed = 0, failed = 0, skipped = 0, opt, n = 0;
	long repeat = 1;
	char err[768], *end;

	while ((opt = getopt_long(argc, argv, "a:o:vr:", opts, NULL)) != -1) {
		if (opt == 'a' && sw_attach_mode_parse(optarg, &H.attach) == 0)
			continue;
		if (opt == 'o') {
			only = optarg;
			continue;
		}
		if (opt == 'v') {
			o.verbose = true; /* libbpf's messages, the verifier's log included */
			continue;
		}
		/* for chasing a rare failure: the selection N times, stopping at a failure */
		if (opt == 'r') {
			errno = 0;
			repeat = strtol(optarg, &end, 10);
			if (!errno && *optarg && !*end && repeat >= 1 && repeat <= 100000)
				continue;
		}
		fprintf(stderr,
			"usage: itest [--attach auto|fentry|kprobe|tracepoint] [--only SUBSTR] "
			"[--repeat N] [--verbose]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	prctl(PR_SET_NAME, "sw_itest");
	o.attach = H.attach;
	if (sw_tracer_open(&o, evlist_collect, &H.all, &H.tracer, err, sizeof(err))) {
		printf("Bail out! tracer: %s\n0 passed, 1 failed\n", err);
		return 1;
	}
	printf("# attach mode %s, state hook %s\n", sw_attach_mode_name(sw_tracer_mode(H.tracer)),
	       sw_state_hook_name(sw_tracer_state_hook(H.tracer)));
	if (H.attach != SW_ATTACH_AUTO && sw_tracer_mode(H.tracer) != H.attach) {
		printf("Bail out! asked for %s\n0 passed, 1 failed\n",
		       sw_attach_mode_name(H.attach));
		return 1;
	}
	for (size_t k = 0; k < sizeof(tests) / sizeof(tests[0]) * repeat && !(failed && repeat > 1);
	     k++) {
		size_t i = k % (sizeof(tests) / sizeof(tests[0]));

		if (only && !strstr(tests[i].name, only))
			continue;
		n++;
		H.why[0] = '\0';
		suite_reset();
		/* Each test runs in a child so that its namespace and threads stay its own. */
		int rc = tests[i].fn();

		if (rc == TEST_SKIP) {
			skipped++;
			printf("ok %d - %s # SKIP %s\n", n, tests[i].name, H.why);
		} else if (rc == 0) {
			passed++;
			printf("ok %d - %s\n", n, tests[i].name);
		} else {
			failed++;
			printf("not ok %d - %s\n#   %s\n", n, tests[i].name, H.why);
			dump_events();
		}
	}
	printf("1..%d\n", n);
	sw_tracer_close(H.tracer);
	evlist_free(&H.all);
	if (skipped)
		printf("%d passed, %d failed (%d skipped: this kernel lacks what they test)\n",
		       passed, failed, skipped);
	else
		printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
