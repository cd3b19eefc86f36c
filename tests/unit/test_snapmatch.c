// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests: raw_tp events (keyed by socket address) finding sock_diag snapshot rows (keyed by cookie) by endpoints. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "conntab.h"
#include "snapmatch.h"

#define NETNS 4026531840u
#define PTR(n) (0xffff888000000000ULL + (n)*0x1000)

static struct sw_snap_sock snap(__u64 cookie, __u8 state, __u16 lport, __u16 rport, bool full)
{
	struct sw_snap_sock r = {
		.cookie = cookie,
		.state = state,
		.lport = lport,
		.rport = rport,
		.family = SW_AF_INET,
		.netns = NETNS,
		.flags = full ? SW_SNAP_F_FULL : 0,
	};

	r.laddr[0] = 10;
	r.laddr[3] = 1;
	if (state != SW_TCP_LISTEN) {
		r.raddr[0] = 10;
		r.raddr[3] = 2;
	}
	return r;
}

/* An event for the socket at address ptr with r's endpoints. */
static struct sw_event ev_for(const struct sw_snap_sock *r, __u64 ptr, __u8 kind, __u8 oldstate,
			      __u8 newstate)
{
	struct sw_event e = {
		.kind = kind,
		.cookie = ptr,
		.oldstate = oldstate,
		.newstate = newstate,
		.family = r->family,
		.lport = r->lport,
		.rport = r->rport,
		.netns = r->netns,
		.flags = SW_F_KEY_IS_PTR,
	};

	memcpy(e.laddr, r->laddr, sizeof(e.laddr));
	memcpy(e.raddr, r->raddr, sizeof(e.raddr));
	return e;
}

struct fixture {
	struct sw_conntab t;
	struct sw_snapmatch m;
	struct sw_snap_sock s[6];
};

static int setup(void **state)
{
	static struct fixture f;

	f.s[0] = snap(11, SW_TCP_ESTABLISHED, 1000, 80, true);
	f.s[1] = snap(12, SW_TCP_LISTEN, 80, 0, true);
	f.s[2] = snap(13, SW_TCP_TIME_WAIT, 1001, 80, false);
	/* Two SO_REUSEPORT listeners: the same endpoints. */
	f.s[3] = snap(14, SW_TCP_LISTEN, 443, 0, true);
	f.s[4] = snap(15, SW_TCP_LISTEN, 443, 0, true);
	f.s[5] = snap(16, SW_TCP_SYN_SENT, 1002, 22, true);
	assert_int_equal(sw_conntab_init(&f.t, 3000000000ULL), 0);
	for (int i = 0; i < 6; i++)
		assert_int_equal(sw_conntab_add_snapshot(&f.t, f.s[i].cookie, &f.s[i], 1), 1);
	assert_int_equal(sw_snapmatch_build(&f.m, f.s, 6), 0);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	sw_snapmatch_free(&f->m);
	sw_conntab_free(&f->t);
	return 0;
}

/* Adopt, then apply, as the live view does. */
static int feed(struct fixture *f, const struct sw_event *e)
{
	int a = sw_snapmatch_adopt(&f->m, &f->t, e);

	assert_true(sw_conntab_apply(&f->t, e, 2) >= 0);
	return a;
}

static void test_find(void **state)
{
	struct fixture *f = *state;
	struct sw_endpoints ep;
	size_t first;

	/* The TIME_WAIT socket is not indexed: it never gets events. */
	assert_int_equal(f->m.n, 5);
	sw_endpoints_of_snap(&f->s[3], &ep);
	assert_int_equal(sw_snapmatch_find(&f->m, &ep, &first), 2);
	assert_true((f->m.v[first].cookie == 14 && f->m.v[first + 1].cookie == 15) ||
		    (f->m.v[first].cookie == 15 && f->m.v[first + 1].cookie == 14));
	sw_endpoints_of_snap(&f->s[2], &ep);
	assert_int_equal(sw_snapmatch_find(&f->m, &ep, &first), 0);
	sw_endpoints_of_snap(&f->s[0], &ep);
	ep.netns++;
	assert_int_equal(sw_snapmatch_find(&f->m, &ep, &first), 0);
}

/* A pre-existing connection's close: one row, closed, never a stale ESTABLISHED one. */
static void test_state_then_close(void **state)
{
	struct fixture *f = *state;
	struct sw_event e =
		ev_for(&f->s[0], PTR(1), SW_EV_STATE, SW_TCP_ESTABLISHED, SW_TCP_FIN_WAIT1);
	struct sw_conn *c;
	__u32 rows = f->t.count;

	assert_int_equal(feed(f, &e), 1);
	assert_null(sw_conntab_find(&f->t, 11));
	c = sw_conntab_find(&f->t, PTR(1));
	assert_non_null(c);
	assert_int_equal(c->state, SW_TCP_FIN_WAIT1);
	assert_true(c->flags & SW_CONN_SNAP);
	e = ev_for(&f->s[0], PTR(1), SW_EV_CLOSE, SW_TCP_FIN_WAIT2, SW_TCP_CLOSE);
	assert_int_equal(feed(f, &e), 0); /* known by address now */
	assert_true(sw_conntab_find(&f->t, PTR(1))->flags & SW_CONN_GHOST);
	assert_int_equal(f->t.count, rows);
}

/* A pre-existing connection still connecting, and a pre-existing listener closing. */
static void test_connect_and_unlisten(void **state)
{
	struct fixture *f = *state;
	struct sw_event e =
		ev_for(&f->s[5], PTR(2), SW_EV_CONNECT, SW_TCP_SYN_SENT, SW_TCP_ESTABLISHED);
	__u32 rows = f->t.count;

	assert_int_equal(feed(f, &e), 1);
	assert_int_equal(sw_conntab_find(&f->t, PTR(2))->state, SW_TCP_ESTABLISHED);
	e = ev_for(&f->s[1], PTR(3), SW_EV_UNLISTEN, SW_TCP_LISTEN, SW_TCP_CLOSE);
	assert_int_equal(feed(f, &e), 1);
	assert_null(sw_conntab_find(&f->t, 12));
	assert_true(sw_conntab_find(&f->t, PTR(3))->flags & SW_CONN_GHOST);
	assert_int_equal(f->t.count, rows);
}

/* A socket born after start with the endpoints of a snapshot row is its own row. */
static void test_births_are_not_adopted(void **state)
{
	struct fixture *f = *state;
	struct sw_event e = ev_for(&f->s[1], PTR(4), SW_EV_LISTEN, SW_TCP_CLOSE, SW_TCP_LISTEN);
	__u32 rows = f->t.count;

	/* A second listener on the port (SO_REUSEPORT): a new row, the old one stays. */
	assert_int_equal(feed(f, &e), 0);
	assert_non_null(sw_conntab_find(&f->t, 12));
	assert_non_null(sw_conntab_find(&f->t, PTR(4)));
	/* CLOSE->SYN_SENT (with --states) is a birth too. */
	e = ev_for(&f->s[0], PTR(5), SW_EV_STATE, SW_TCP_CLOSE, SW_TCP_SYN_SENT);
	assert_int_equal(sw_snapmatch_adopt(&f->m, &f->t, &e), 0);
	/* Cookie 0 (not known yet) and the TIME_WAIT row's endpoints: nothing. */
	e = ev_for(&f->s[0], 0, SW_EV_STATE, SW_TCP_ESTABLISHED, SW_TCP_FIN_WAIT1);
	assert_int_equal(sw_snapmatch_adopt(&f->m, &f->t, &e), 0);
	e = ev_for(&f->s[2], PTR(6), SW_EV_STATE, SW_TCP_ESTABLISHED, SW_TCP_FIN_WAIT1);
	assert_int_equal(sw_snapmatch_adopt(&f->m, &f->t, &e), 0);
	assert_non_null(sw_conntab_find(&f->t, 11));
	assert_non_null(sw_conntab_find(&f->t, 13));
	assert_int_equal(f->t.count, rows + 1);
}

/* Two listeners with the same endpoints: each close takes one of them. */
static void test_reuseport(void **state)
{
	struct fixture *f = *state;
	struct sw_event e = ev_for(&f->s[3], PTR(7), SW_EV_UNLISTEN, SW_TCP_LISTEN, SW_TCP_CLOSE);
	struct sw_conn_stats st;

	assert_int_equal(feed(f, &e), 1);
	e.cookie = PTR(8);
	assert_int_equal(feed(f, &e), 1);
	assert_null(sw_conntab_find(&f->t, 14));
	assert_null(sw_conntab_find(&f->t, 15));
	e.cookie = PTR(9);
	assert_int_equal(sw_snapmatch_adopt(&f->m, &f->t, &e), 0);
	sw_conntab_stats(&f->t, NULL, NULL, &st);
	assert_int_equal(st.listeners, 1); /* port 80's */
}

static void test_rekey_errors(void **state)
{
	struct fixture *f = *state;
	struct sw_conn *c = sw_conntab_find(&f->t, 11);

	assert_int_equal(sw_conntab_rekey(&f->t, c, 12), -EEXIST);
	/* A closed socket is never taken over. */
	assert_int_equal(sw_conntab_rekey(&f->t, sw_conntab_find(&f->t, 13), PTR(1)), -EINVAL);
	assert_int_equal(sw_conntab_rekey(&f->t, c, PTR(1)), 0);
	assert_ptr_equal(sw_conntab_find(&f->t, PTR(1)), c);
	assert_null(sw_conntab_find(&f->t, 11));
	assert_int_equal(c->key, PTR(1));
}

/*
 * A connection born after attach that the dump also saw: its birth makes a
 * row keyed by address, the dump a row keyed by cookie. Once established,
 * the snapshot row with its 4-tuple is dropped; after its close and ghost
 * time nothing is left.
 */
static void test_born_during_snapshot(void **state)
{
	struct fixture *f = *state;
	struct sw_event e = ev_for(&f->s[0], PTR(10), SW_EV_STATE, SW_TCP_CLOSE, SW_TCP_SYN_SENT);
	__u32 rows = f->t.count;

	e.lport = 0; /* not chosen yet at SYN_SENT */
	assert_int_equal(sw_snapmatch_apply(&f->m, &f->t, &e, 2), 1);
	assert_non_null(sw_conntab_find(&f->t, 11));
	e = ev_for(&f->s[0], PTR(10), SW_EV_STATE, SW_TCP_SYN_SENT, SW_TCP_ESTABLISHED);
	assert_int_equal(sw_snapmatch_apply(&f->m, &f->t, &e, 2), 1);
	assert_null(sw_conntab_find(&f->t, 11));
	assert_int_equal(sw_conntab_find(&f->t, PTR(10))->state, SW_TCP_ESTABLISHED);
	assert_int_equal(f->t.count, rows);
	e = ev_for(&f->s[0], PTR(10), SW_EV_CLOSE, SW_TCP_ESTABLISHED, SW_TCP_CLOSE);
	assert_int_equal(sw_snapmatch_apply(&f->m, &f->t, &e, 2), 1);
	assert_true(sw_conntab_find(&f->t, PTR(10))->flags & SW_CONN_GHOST);
	/* it, and the fixture's TIME_WAIT row */
	assert_int_equal(sw_conntab_expire(&f->t, 2 + 3000000000ULL, NULL), 2);
	assert_int_equal(f->t.count, rows - 2);
	assert_null(sw_conntab_find(&f->t, PTR(10)));
}

/*
 * A bound connect() whose 4-tuple is in use fails after its SYN_SENT
 * transition: that proves nothing, the live socket's row stays.
 */
static void test_syn_sent_drops_nothing(void **state)
{
	struct fixture *f = *state;
	struct sw_event e = ev_for(&f->s[0], PTR(11), SW_EV_STATE, SW_TCP_CLOSE, SW_TCP_SYN_SENT);

	assert_int_equal(sw_snapmatch_apply(&f->m, &f->t, &e, 2), 1);
	e = ev_for(&f->s[0], PTR(11), SW_EV_STATE, SW_TCP_SYN_SENT, SW_TCP_CLOSE);
	assert_int_equal(sw_snapmatch_apply(&f->m, &f->t, &e, 2), 1);
	assert_int_equal(sw_conntab_find(&f->t, 11)->state, SW_TCP_ESTABLISHED);
	assert_false(sw_conntab_find(&f->t, 11)->flags & SW_CONN_GHOST);
}

/*
 * Listeners: one born while the snapshot ran, whose listen() succeeded,
 * drops a snapshot row with its endpoints; a failed listen(), or one born
 * after the snapshot (another of an SO_REUSEPORT group), drops none.
 */
static void test_listener_born_during_snapshot(void **state)
{
	struct fixture *f = *state;
	struct sw_event up = ev_for(&f->s[1], PTR(12), SW_EV_STATE, SW_TCP_CLOSE, SW_TCP_LISTEN);
	struct sw_event down = ev_for(&f->s[1], PTR(12), SW_EV_STATE, SW_TCP_LISTEN, SW_TCP_CLOSE);
	struct sw_event l = ev_for(&f->s[1], PTR(13), SW_EV_LISTEN, SW_TCP_CLOSE, SW_TCP_LISTEN);
	__u32 rows = f->t.count;

	f->m.until_ns = 100;
	/* listen() on port 80 failing: the port is the live listener's (the
	 * transition carries no birth today; with one it is no proof either) */
	up.birth_ns = 50;
	assert_int_equal(sw_snapmatch_apply(&f->m, &f->t, &up, 2), 1);
	assert_int_equal(sw_snapmatch_apply(&f->m, &f->t, &down, 2), 1);
	assert_non_null(sw_conntab_find(&f->t, 12));
	assert_int_equal(f->t.count, rows);
	/* born after the snapshot ended: not one of its rows */
	l.birth_ns = 100;
	assert_int_equal(sw_snapmatch_apply(&f->m, &f->t, &l, 200), 1);
	assert_non_null(sw_conntab_find(&f->t, 12));
	assert_int_equal(f->t.count, rows + 1);
	/* born while it ran, its transition first, then its listen event */
	l.birth_ns = 50;
	l.cookie = up.cookie = PTR(14);
	assert_int_equal(sw_snapmatch_apply(&f->m, &f->t, &up, 2), 1);
	assert_non_null(sw_conntab_find(&f->t, 12));
	assert_int_equal(sw_snapmatch_apply(&f->m, &f->t, &l, 2), 1);
	assert_null(sw_conntab_find(&f->t, 12));
	assert_int_equal(f->t.count, rows + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_find, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_then_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_and_unlisten, setup, teardown),
		cmocka_unit_test_setup_teardown(test_births_are_not_adopted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reuseport, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rekey_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_born_during_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syn_sent_drops_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listener_born_during_snapshot, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
