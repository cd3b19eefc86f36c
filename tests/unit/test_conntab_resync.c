// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of the live view's resync: the table against a snapshot taken again after lost events. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "conntab.h"
#include "conntab_ev.h"
#include "conntab_resync.h"
#include "snapshot.h"

#define SEC 1000000000ULL
#define GHOST (3 * SEC)
#define NETNS TEST_NETNS
#define OTHER_NETNS 4026532000u

static struct sw_snap_sock snap(__u64 cookie, __u8 state, __u16 lport, __u16 rport, bool full)
{
	struct sw_snap_sock r = {
		.cookie = cookie,
		.skptr = 0xffff888000000000ULL + cookie * 0x1000,
		.state = state,
		.lport = lport,
		.rport = rport,
		.family = SW_AF_INET,
		.netns = NETNS,
		.flags = full ? SW_SNAP_F_FULL : 0,
		.bytes_sent = 10,
		.bytes_received = 20,
		.uid = 1000,
	};

	r.laddr[0] = 127;
	r.laddr[3] = 1;
	r.raddr[0] = 127;
	r.raddr[3] = 1;
	return r;
}

/* An established connection the table knows from its events. */
static void open_conn(struct sw_conntab *t, __u64 key, __u16 lport, __u16 rport, __u32 netns)
{
	struct sw_event e =
		ev(SW_EV_CONNECT, key, SW_TCP_SYN_SENT, SW_TCP_ESTABLISHED, lport, rport);

	e.netns = netns;
	assert_int_equal(sw_conntab_apply(t, &e, SEC), 1);
}

static const __u64 *touched_keys;
static size_t ntouched;

static bool touched(__u64 key, void *ctx)
{
	for (size_t i = 0; i < ntouched; i++)
		if (touched_keys[i] == key)
			return true;
	return false;
}

static int setup(void **state)
{
	static struct sw_conntab t;

	assert_int_equal(sw_conntab_init(&t, GHOST), 0);
	touched_keys = NULL;
	ntouched = 0;
	*state = &t;
	return 0;
}

static int teardown(void **state)
{
	sw_conntab_free(*state);
	return 0;
}

static bool live(const struct sw_conntab *t, __u64 key)
{
	const struct sw_conn *c = sw_conntab_find(t, key);

	return c && !(c->flags & SW_CONN_GHOST);
}

/*
 * The table after events were lost, and the kernel's truth: a connection
 * and a listener whose closes were lost close (ghosts, as a close makes
 * them: the listener's an unlisten); one whose socket went to TIME_WAIT
 * (the snapshot lists only that) closes too; one the snapshot has goes on,
 * another takes its new state; a socket the table lacks is added with its
 * owner; rows an event touched meanwhile, and rows of a namespace the
 * snapshot could not enter, are left alone.
 */
static void test_resync_cookie_keys(void **state)
{
	static const __u64 touched_now[] = { 6, 8 };
	static __u64 failed[] = { OTHER_NETNS };
	struct sw_conntab *t = *state;
	struct sw_event e = ev(SW_EV_LISTEN, 2, SW_TCP_CLOSE, SW_TCP_LISTEN, 8080, 0);
	struct sw_snap_sock socks[] = {
		snap(1, SW_TCP_ESTABLISHED, 40001, 80, true), /* known: still there */
		snap(4, SW_TCP_CLOSE_WAIT, 40004, 80, true), /* known: the peer closed since */
		snap(5, SW_TCP_TIME_WAIT, 40005, 80, false), /* known: closed, left TIME_WAIT */
		snap(7, SW_TCP_ESTABLISHED, 40007, 443, true), /* not known: its events were lost */
		snap(8, SW_TCP_ESTABLISHED, 40008, 443, true), /* not known, but its event came */
		snap(9, SW_TCP_TIME_WAIT, 40009, 443, false), /* not known, TIME_WAIT: not added */
	};
	struct sw_snap_owner owners[] = {
		{ .cookie = 7, .pid = 700, .uid = 1000, .comm = "curl" },
		{ .cookie = 1, .pid = 999, .comm = "other" },
	};
	struct sw_snapshot s = {
		.socks = socks,
		.nsocks = sizeof(socks) / sizeof(socks[0]),
		.owners = owners,
		.nowners = 2,
		.source = SW_SNAP_ITER,
		.netns_failed = 1,
		.failed_inos = failed,
		.nfailed_inos = 1,
	};
	struct sw_resync_opts o = { .touched = touched };
	struct sw_resync_stats st;
	struct sw_conn_stats cs;
	const struct sw_conn *c;

	open_conn(t, 1, 40001, 80, NETNS);
	assert_int_equal(sw_conntab_apply(t, &e, SEC), 1); /* listener 2, closed: lost */
	open_conn(t, 3, 40003, 80, NETNS); /* closed: lost */
	open_conn(t, 4, 40004, 80, NETNS);
	open_conn(t, 5, 40005, 80, NETNS);
	open_conn(t, 6, 40006, 80, NETNS); /* opened during the snapshot, after it looked */
	open_conn(t, 10, 40010, 80, OTHER_NETNS); /* a namespace the snapshot did not enter */
	touched_keys = touched_now;
	ntouched = 2;

	assert_int_equal(sw_conntab_resync(t, &s, &o, 5 * SEC, &st), 0);
	assert_int_equal(st.closed, 3);
	assert_int_equal(st.added, 1);
	assert_int_equal(st.updated, 1);

	assert_true(live(t, 1));
	assert_int_equal(sw_conntab_find(t, 1)->pid, 42); /* its own owner, not the snapshot's */
	c = sw_conntab_find(t, 2);
	assert_true(c->flags & SW_CONN_GHOST);
	assert_int_equal(c->kind, SW_EV_UNLISTEN);
	assert_int_equal(c->closed_ns, 5 * SEC);
	c = sw_conntab_find(t, 3);
	assert_true(c->flags & SW_CONN_GHOST);
	assert_int_equal(c->kind, SW_EV_CLOSE);
	assert_int_equal(c->state, SW_TCP_CLOSE);
	assert_int_equal(sw_conntab_find(t, 4)->state, SW_TCP_CLOSE_WAIT);
	assert_true(sw_conntab_find(t, 5)->flags & SW_CONN_GHOST);
	assert_true(live(t, 6));
	assert_true(live(t, 10));
	c = sw_conntab_find(t, 7);
	assert_non_null(c);
	assert_true(live(t, 7));
	assert_true(c->flags & SW_CONN_SNAP);
	assert_int_equal(c->state, SW_TCP_ESTABLISHED);
	assert_int_equal(c->pid, 700);
	assert_string_equal(c->comm, "curl");
	assert_int_equal(c->nowners, 1);
	assert_int_equal(c->bytes_sent, 10);
	assert_null(sw_conntab_find(t, 8)); /* its event makes its row */
	assert_null(sw_conntab_find(t, 9));

	sw_conntab_stats(t, NULL, NULL, &cs);
	assert_int_equal(cs.live, 5); /* 1, 4, 6, 10, 7 */
	assert_int_equal(cs.ghosts, 3);
	assert_int_equal(cs.listeners, 0);
	/* The inferred closes expire as closes do. */
	assert_int_equal(sw_conntab_expire(t, 5 * SEC + GHOST, NULL), 3);

	/* Nothing left to do: a second resync changes nothing. */
	assert_int_equal(sw_conntab_resync(t, &s, &o, 6 * SEC, &st), 0);
	assert_int_equal(st.closed + st.added + st.updated, 0);
}

/*
 * A listener whose listen event was lost (LISTEN by its transition alone)
 * that the snapshot lists is confirmed; one that it does not list never
 * listened as far as anyone can tell: dropped, as a failed listen() is.
 * A socket whose key is a ghost's (connect() again on a socket whose
 * connect failed, the events lost) gets a row of its own.
 */
static void test_resync_unconfirmed_and_reborn(void **state)
{
	struct sw_conntab *t = *state;
	struct sw_event l1 = ev(SW_EV_STATE, 1, SW_TCP_CLOSE, SW_TCP_LISTEN, 8081, 0);
	struct sw_event l2 = ev(SW_EV_STATE, 2, SW_TCP_CLOSE, SW_TCP_LISTEN, 8082, 0);
	struct sw_event f = ev(SW_EV_CONNECT_FAILED, 3, SW_TCP_SYN_SENT, SW_TCP_CLOSE, 40003, 81);
	struct sw_snap_sock socks[] = {
		snap(1, SW_TCP_LISTEN, 8081, 0, true),
		snap(3, SW_TCP_ESTABLISHED, 40003, 82, true),
	};
	struct sw_snapshot s = { .socks = socks, .nsocks = 2, .source = SW_SNAP_ITER };
	struct sw_resync_opts o = {};
	struct sw_resync_stats st;
	const struct sw_conn *c;

	assert_int_equal(sw_conntab_apply(t, &l1, SEC), 1);
	assert_int_equal(sw_conntab_apply(t, &l2, SEC), 1);
	assert_int_equal(sw_conntab_apply(t, &f, SEC), 1);
	assert_true(sw_conntab_find(t, 1)->flags & SW_CONN_UNCONFIRMED);

	assert_int_equal(sw_conntab_resync(t, &s, &o, 2 * SEC, &st), 0);
	c = sw_conntab_find(t, 1);
	assert_true(live(t, 1));
	assert_false(c->flags & SW_CONN_UNCONFIRMED);
	assert_null(sw_conntab_find(t, 2));
	c = sw_conntab_find(t, 3);
	assert_true(live(t, 3));
	assert_int_equal(c->rport, 82);
	assert_int_equal(t->nghosts, 1); /* the failed connect's ghost stays for its time */
	assert_int_equal(st.added, 1);
	assert_int_equal(st.updated, 1);
}

/*
 * A request socket the start-up snapshot listed whose child's events were
 * lost: the child has its cookie (and is listed as a full socket), so its
 * row becomes the connection's. A TIME_WAIT row stays as it is.
 */
static void test_resync_request_socket(void **state)
{
	struct sw_conntab *t = *state;
	struct sw_snap_sock req = snap(1, SW_TCP_NEW_SYN_RECV, 80, 40001, false);
	struct sw_snap_sock tw = snap(2, SW_TCP_TIME_WAIT, 80, 40002, false);
	struct sw_snap_sock socks[] = {
		snap(1, SW_TCP_ESTABLISHED, 80, 40001, true),
		snap(2, SW_TCP_ESTABLISHED, 80, 40002, true), /* cannot be: left alone */
	};
	struct sw_snapshot s = { .socks = socks, .nsocks = 2, .source = SW_SNAP_ITER };
	struct sw_resync_opts o = {};
	struct sw_resync_stats st;
	const struct sw_conn *c;

	assert_int_equal(sw_conntab_add_snapshot(t, 1, &req, SEC), 1);
	assert_int_equal(sw_conntab_add_snapshot(t, 2, &tw, SEC), 1);
	assert_int_equal(sw_conntab_resync(t, &s, &o, 2 * SEC, &st), 0);
	c = sw_conntab_find(t, 1);
	assert_true(live(t, 1));
	assert_false(c->flags & SW_CONN_MINI);
	assert_int_equal(c->state, SW_TCP_ESTABLISHED);
	c = sw_conntab_find(t, 2);
	assert_true(c->flags & SW_CONN_MINI);
	assert_int_equal(c->state, SW_TCP_TIME_WAIT);
	assert_int_equal(st.added, 1);
}

/*
 * Keyed by socket address (raw_tp): with an iterator snapshot rows are
 * found by address and added rows are keyed so; with a sock_diag snapshot
 * (no addresses) a row keyed by address is found by its endpoints, and a
 * socket a live row has the endpoints of is not added again.
 */
static void test_resync_address_keys(void **state)
{
	struct sw_conntab *t = *state;
	struct sw_snap_sock socks[] = {
		snap(1, SW_TCP_ESTABLISHED, 40001, 80, true),
		snap(2, SW_TCP_ESTABLISHED, 40002, 80, true),
	};
	struct sw_snapshot s = { .socks = socks, .nsocks = 2, .source = SW_SNAP_ITER };
	struct sw_resync_opts o = { .key_by_ptr = true };
	struct sw_resync_stats st;
	__u64 a1 = socks[0].skptr, gone = 0xffff888000777000ULL;
	struct sw_event e = ev(SW_EV_CONNECT, a1, SW_TCP_SYN_SENT, SW_TCP_ESTABLISHED, 40001, 80);
	struct sw_event g = ev(SW_EV_CONNECT, gone, SW_TCP_SYN_SENT, SW_TCP_ESTABLISHED, 40099, 80);

	e.flags |= SW_F_KEY_IS_PTR;
	g.flags |= SW_F_KEY_IS_PTR;
	assert_int_equal(sw_conntab_apply(t, &e, SEC), 1);
	assert_int_equal(sw_conntab_apply(t, &g, SEC), 1);
	assert_int_equal(sw_conntab_resync(t, &s, &o, 2 * SEC, &st), 0);
	assert_true(live(t, a1));
	assert_true(sw_conntab_find(t, gone)->flags & SW_CONN_GHOST);
	assert_true(live(t, socks[1].skptr));
	assert_true(sw_conntab_find(t, socks[1].skptr)->flags & SW_CONN_KEY_ADDR);
	assert_null(sw_conntab_find(t, 2)); /* never by cookie */
	assert_int_equal(st.closed, 1);
	assert_int_equal(st.added, 1);

	/* The same table against sock_diag's view: cookies only. */
	s.source = SW_SNAP_DIAG;
	socks[1].lport = 40003; /* another socket than the row added above */
	assert_int_equal(sw_conntab_resync(t, &s, &o, 3 * SEC, &st), 0);
	assert_true(live(t, a1)); /* found by its endpoints */
	assert_null(sw_conntab_find(t, 1)); /* and so not added again */
	assert_true(sw_conntab_find(t, socks[1].skptr)->flags & SW_CONN_GHOST);
	assert_true(live(t, 2)); /* added, by cookie */
	assert_int_equal(st.closed, 1);
	assert_int_equal(st.added, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_resync_cookie_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resync_unconfirmed_and_reborn, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_resync_request_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resync_address_keys, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
