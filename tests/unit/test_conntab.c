// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of the live view's connection table: events, ghosts, expiry, snapshot reconciliation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "conn_format.h"
#include "conntab.h"
#include "conntab_ev.h"
#include "sockid.h"
#include "textwidth.h"

#define SEC 1000000000ULL
#define GHOST (3 * SEC)

static struct sw_snap_sock snap(__u64 cookie, __u8 state, __u16 lport, __u16 rport, bool full)
{
	struct sw_snap_sock r = {
		.cookie = cookie,
		.state = state,
		.lport = lport,
		.rport = rport,
		.family = SW_AF_INET,
		.netns = 4026531840u,
		.flags = full ? SW_SNAP_F_FULL : 0,
		.bytes_sent = 10,
		.bytes_received = 20,
	};

	r.laddr[0] = 10;
	r.raddr[0] = 10;
	return r;
}

static int setup(void **state)
{
	static struct sw_conntab t;

	assert_int_equal(sw_conntab_init(&t, GHOST), 0);
	*state = &t;
	return 0;
}

static int teardown(void **state)
{
	sw_conntab_free(*state);
	return 0;
}

static void test_insert_update_close_expire(void **state)
{
	struct sw_conntab *t = *state;
	struct sw_event e = ev(SW_EV_STATE, 7, SW_TCP_CLOSE, SW_TCP_SYN_SENT, 0, 80);
	struct sw_conn *c;
	__u64 next;

	assert_int_equal(sw_conntab_apply(t, &e, 1 * SEC), 1);
	c = sw_conntab_find(t, 7);
	assert_non_null(c);
	assert_int_equal(c->state, SW_TCP_SYN_SENT);
	assert_int_equal(c->pid, 42);
	assert_string_equal(c->comm, "client");

	e = ev(SW_EV_CONNECT, 7, SW_TCP_SYN_SENT, SW_TCP_ESTABLISHED, 5555, 80);
	assert_int_equal(sw_conntab_apply(t, &e, 2 * SEC), 1);
	c = sw_conntab_find(t, 7);
	assert_int_equal(c->state, SW_TCP_ESTABLISHED);
	assert_int_equal(c->lport, 5555);
	assert_int_equal(c->first_ns, 1 * SEC);
	assert_int_equal(t->new_conns, 1);

	/* A state event without an owner keeps the one we have. */
	e = ev(SW_EV_STATE, 7, SW_TCP_ESTABLISHED, SW_TCP_FIN_WAIT1, 5555, 80);
	e.flags = SW_OWNER_NONE;
	e.pid = 0;
	assert_int_equal(sw_conntab_apply(t, &e, 3 * SEC), 1);
	c = sw_conntab_find(t, 7);
	assert_int_equal(c->state, SW_TCP_FIN_WAIT1);
	assert_int_equal(c->pid, 42);

	e = ev(SW_EV_CLOSE, 7, SW_TCP_FIN_WAIT1, SW_TCP_CLOSE, 5555, 80);
	e.bytes_sent = 100;
	e.bytes_received = 200;
	assert_int_equal(sw_conntab_apply(t, &e, 4 * SEC), 1);
	c = sw_conntab_find(t, 7);
	assert_true(c->flags & SW_CONN_GHOST);
	assert_true(c->flags & SW_CONN_BYTES);
	assert_int_equal(c->bytes_received, 200);
	assert_false(sw_conn_is_current(c));
	assert_int_equal(t->nghosts, 1);

	assert_int_equal(sw_conntab_expire(t, 4 * SEC + GHOST - 1, &next), 0);
	assert_int_equal(next, 4 * SEC + GHOST);
	assert_int_equal(sw_conntab_expire(t, 4 * SEC + GHOST, &next), 1);
	assert_int_equal(next, 0);
	assert_null(sw_conntab_find(t, 7));
	assert_int_equal(t->count, 0);
	assert_int_equal(t->nghosts, 0);
}

/* The snapshot saw a socket; the close queued during the snapshot comes after it. */
static void test_snapshot_then_close(void **state)
{
	struct sw_conntab *t = *state;
	struct sw_snap_sock r = snap(9, SW_TCP_ESTABLISHED, 22, 40000, true);
	struct sw_snap_owner o = { .cookie = 9, .pid = 100, .comm = "sshd" };
	struct sw_event e = ev(SW_EV_CLOSE, 9, SW_TCP_ESTABLISHED, SW_TCP_CLOSE, 22, 40000);
	struct sw_conn *c;

	assert_int_equal(sw_conntab_add_snapshot(t, 9, &r, SEC), 1);
	assert_int_equal(sw_conntab_add_owner(t, 9, &o, false), 1);
	c = sw_conntab_find(t, 9);
	assert_string_equal(c->comm, "sshd");
	assert_true(c->flags & SW_CONN_SNAP);
	assert_true(sw_conn_is_current(c));

	assert_int_equal(sw_conntab_apply(t, &e, 2 * SEC), 1);
	c = sw_conntab_find(t, 9);
	assert_true(c->flags & SW_CONN_GHOST);
	assert_false(sw_conn_is_current(c));
	/* A snapshot row for the same socket (e.g. a second netns pass) cannot revive it. */
	assert_int_equal(sw_conntab_add_snapshot(t, 9, &r, 3 * SEC), 0);
	assert_true(sw_conntab_find(t, 9)->flags & SW_CONN_GHOST);
	assert_int_equal(t->new_conns, 0);
}

/*
 * Payload bytes received, as close events count them: a socket that has taken
 * its peer's FIN (CLOSE_WAIT, LAST_ACK, CLOSING) had it counted as a byte.
 */
static void test_snapshot_bytes_without_fin(void **state)
{
	static const struct {
		__u8 state;
		__u64 kernel, payload;
	} cases[] = {
		{ SW_TCP_ESTABLISHED, 20, 20 }, { SW_TCP_FIN_WAIT1, 20, 20 },
		{ SW_TCP_FIN_WAIT2, 20, 20 },	{ SW_TCP_CLOSE_WAIT, 21, 20 },
		{ SW_TCP_LAST_ACK, 21, 20 },	{ SW_TCP_CLOSING, 21, 20 },
		{ SW_TCP_CLOSE_WAIT, 0, 0 },
	};
	struct sw_conntab *t = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sw_snap_sock r = snap(100 + i, cases[i].state, 22, 40000 + i, true);

		r.bytes_received = cases[i].kernel;
		assert_int_equal(sw_conntab_add_snapshot(t, 100 + i, &r, SEC), 1);
		assert_int_equal(sw_conntab_find(t, 100 + i)->bytes_received, cases[i].payload);
		assert_int_equal(sw_conntab_find(t, 100 + i)->bytes_sent, 10);
	}
}

/* A socket opened during the snapshot (not in it) comes from its events. */
static void test_event_not_in_snapshot(void **state)
{
	struct sw_conntab *t = *state;
	struct sw_snap_sock r = snap(1, SW_TCP_LISTEN, 80, 0, true);
	struct sw_event e = ev(SW_EV_LISTEN, 2, SW_TCP_CLOSE, SW_TCP_LISTEN, 8080, 0);
	struct sw_conn_stats s;

	assert_int_equal(sw_conntab_add_snapshot(t, 1, &r, SEC), 1);
	assert_int_equal(sw_conntab_apply(t, &e, SEC), 1);
	assert_non_null(sw_conntab_find(t, 2));
	assert_int_equal(sw_conntab_find(t, 2)->state, SW_TCP_LISTEN);
	sw_conntab_stats(t, NULL, NULL, &s);
	assert_int_equal(s.listeners, 2);
	assert_int_equal(s.live, 2);
}

/* Opened and closed before the snapshot looked: a ghost, never a live row. */
static void test_close_during_snapshot_never_resurrects(void **state)
{
	struct sw_conntab *t = *state;
	struct sw_event e1 = ev(SW_EV_CONNECT, 5, SW_TCP_SYN_SENT, SW_TCP_ESTABLISHED, 6000, 80);
	struct sw_event e2 = ev(SW_EV_CLOSE, 5, SW_TCP_ESTABLISHED, SW_TCP_CLOSE, 6000, 80);
	struct sw_event st = ev(SW_EV_STATE, 5, SW_TCP_ESTABLISHED, SW_TCP_CLOSE, 6000, 80);
	struct sw_conn *c;

	/* Snapshot did not see cookie 5; its queued events apply afterwards. */
	assert_int_equal(sw_conntab_apply(t, &e1, SEC), 1);
	assert_int_equal(sw_conntab_apply(t, &st, SEC), 1);
	assert_true(sw_conntab_find(t, 5)->flags & SW_CONN_GHOST);
	assert_int_equal(sw_conntab_apply(t, &e2, SEC), 1);
	c = sw_conntab_find(t, 5);
	assert_non_null(c);
	assert_true(c->flags & SW_CONN_GHOST);
	assert_int_equal(c->state, SW_TCP_CLOSE);

	/* Only a close with no other event: still seen, as a ghost. */
	e2.cookie = 6;
	assert_int_equal(sw_conntab_apply(t, &e2, SEC), 1);
	assert_true(sw_conntab_find(t, 6)->flags & SW_CONN_GHOST);
	assert_int_equal(t->new_conns, 2);
}

/* TIME_WAIT from the snapshot: listed by --once, dimmed live, deaf to the full socket's close. */
static void test_snapshot_time_wait(void **state)
{
	struct sw_conntab *t = *state;
	struct sw_snap_sock r = snap(3, SW_TCP_TIME_WAIT, 5000, 80, false);
	struct sw_event e = ev(SW_EV_CLOSE, 3, SW_TCP_FIN_WAIT2, SW_TCP_CLOSE, 5000, 80);
	struct sw_conn *c;

	assert_int_equal(sw_conntab_add_snapshot(t, 3, &r, SEC), 1);
	c = sw_conntab_find(t, 3);
	assert_true(c->flags & SW_CONN_MINI);
	assert_true(c->flags & SW_CONN_GHOST);
	assert_true(sw_conn_is_current(c));
	assert_int_equal(sw_conntab_apply(t, &e, SEC), 0);
	assert_int_equal(sw_conntab_find(t, 3)->state, SW_TCP_TIME_WAIT);
}

/*
 * A request socket (NEW_SYN_RECV) from the snapshot: the kernel gives its
 * child the request's cookie, so the child's events are the connection's.
 * Its ESTABLISHED transition makes the row live (no longer a ghost, still a
 * snapshot row), the accept gives it its owner, the close ends it, and the
 * request row's own expiry does not take the live row away.
 */
static void test_snapshot_request_becomes_connection(void **state)
{
	struct sw_conntab *t = *state;
	struct sw_snap_sock r = snap(4, SW_TCP_NEW_SYN_RECV, 80, 40000, false);
	struct sw_event up = ev(SW_EV_STATE, 4, SW_TCP_SYN_RECV, SW_TCP_ESTABLISHED, 80, 40000);
	struct sw_event a = ev(SW_EV_ACCEPT, 4, 0, SW_TCP_ESTABLISHED, 80, 40000);
	struct sw_event cl = ev(SW_EV_CLOSE, 4, SW_TCP_LAST_ACK, SW_TCP_CLOSE, 80, 40000);
	struct sw_conn *c;

	up.flags = cl.flags = SW_OWNER_NONE;
	up.pid = cl.pid = 0;
	a.pid = 700;
	strcpy(a.comm, "server");
	assert_int_equal(sw_conntab_add_snapshot(t, 4, &r, SEC), 1);
	c = sw_conntab_find(t, 4);
	assert_true(c->flags & SW_CONN_MINI);
	assert_int_equal(t->nghosts, 1);

	assert_int_equal(sw_conntab_apply(t, &up, SEC), 1);
	c = sw_conntab_find(t, 4);
	assert_int_equal(c->state, SW_TCP_ESTABLISHED);
	assert_false(c->flags & (SW_CONN_MINI | SW_CONN_GHOST));
	assert_true(c->flags & SW_CONN_SNAP);
	assert_true(sw_conn_is_current(c));
	assert_int_equal(t->nghosts, 0);
	assert_int_equal(t->new_conns, 0); /* it existed when the view started */

	assert_int_equal(sw_conntab_apply(t, &a, 2 * SEC), 1);
	c = sw_conntab_find(t, 4);
	assert_int_equal(c->pid, 700);
	assert_string_equal(c->comm, "server");
	assert_int_equal(c->state, SW_TCP_ESTABLISHED);

	/* the request row's time is up, the connection's row stays */
	assert_int_equal(sw_conntab_expire(t, SEC + GHOST, NULL), 0);
	assert_non_null(sw_conntab_find(t, 4));

	cl.bytes_sent = 5;
	assert_int_equal(sw_conntab_apply(t, &cl, 5 * SEC), 1);
	c = sw_conntab_find(t, 4);
	assert_true(c->flags & SW_CONN_GHOST);
	assert_false(c->flags & SW_CONN_MINI);
	assert_int_equal(c->state, SW_TCP_CLOSE);
	assert_int_equal(c->bytes_sent, 5);
	assert_int_equal(c->pid, 700);
	assert_false(sw_conn_is_current(c));
	assert_int_equal(sw_conntab_expire(t, 5 * SEC + GHOST, NULL), 1);
	assert_int_equal(t->count, 0);
}

/*
 * The same when the first event of the child is its accept, or its close,
 * or its transition to CLOSE: each replaces the request row. A TIME_WAIT row
 * stays deaf to all of them.
 */
static void test_snapshot_request_other_events(void **state)
{
	struct sw_conntab *t = *state;
	struct sw_snap_sock req = snap(5, SW_TCP_NEW_SYN_RECV, 80, 40001, false);
	struct sw_snap_sock tw = snap(8, SW_TCP_TIME_WAIT, 80, 40002, false);
	struct sw_event a = ev(SW_EV_ACCEPT, 5, 0, SW_TCP_ESTABLISHED, 80, 40001);
	struct sw_event e;
	struct sw_conn *c;

	a.pid = 700;
	assert_int_equal(sw_conntab_add_snapshot(t, 5, &req, SEC), 1);
	assert_int_equal(sw_conntab_add_snapshot(t, 8, &tw, SEC), 1);
	assert_int_equal(sw_conntab_apply(t, &a, SEC), 1);
	c = sw_conntab_find(t, 5);
	assert_int_equal(c->state, SW_TCP_ESTABLISHED);
	assert_int_equal(c->pid, 700);
	assert_false(c->flags & (SW_CONN_MINI | SW_CONN_GHOST));

	req = snap(6, SW_TCP_NEW_SYN_RECV, 80, 40003, false);
	assert_int_equal(sw_conntab_add_snapshot(t, 6, &req, SEC), 1);
	e = ev(SW_EV_CLOSE, 6, SW_TCP_ESTABLISHED, SW_TCP_CLOSE, 80, 40003);
	e.bytes_received = 9;
	assert_int_equal(sw_conntab_apply(t, &e, SEC), 1);
	c = sw_conntab_find(t, 6);
	assert_true(c->flags & SW_CONN_GHOST);
	assert_false(c->flags & SW_CONN_MINI);
	assert_int_equal(c->bytes_received, 9);
	assert_false(sw_conn_is_current(c));

	req = snap(7, SW_TCP_NEW_SYN_RECV, 80, 40004, false);
	assert_int_equal(sw_conntab_add_snapshot(t, 7, &req, SEC), 1);
	e = ev(SW_EV_STATE, 7, SW_TCP_SYN_RECV, SW_TCP_CLOSE, 80, 40004);
	assert_int_equal(sw_conntab_apply(t, &e, SEC), 1);
	c = sw_conntab_find(t, 7);
	assert_true(c->flags & SW_CONN_GHOST);
	assert_false(c->flags & SW_CONN_MINI);
	assert_int_equal(c->state, SW_TCP_CLOSE);

	/* TIME_WAIT: none of them is its own */
	a.cookie = 8;
	assert_int_equal(sw_conntab_apply(t, &a, SEC), 0);
	e = ev(SW_EV_STATE, 8, SW_TCP_FIN_WAIT2, SW_TCP_CLOSE, 80, 40002);
	assert_int_equal(sw_conntab_apply(t, &e, SEC), 0);
	e = ev(SW_EV_STATE, 8, SW_TCP_ESTABLISHED, SW_TCP_FIN_WAIT1, 80, 40002);
	assert_int_equal(sw_conntab_apply(t, &e, SEC), 0);
	c = sw_conntab_find(t, 8);
	assert_int_equal(c->state, SW_TCP_TIME_WAIT);
	assert_true(c->flags & SW_CONN_MINI);
	assert_int_equal(c->pid, 0);
}

/*
 * A failed connect, then connect() again on the same socket: a new attempt,
 * a new row (its own remote, no local port yet, new), and the failed one
 * stays a ghost for its time.
 */
static void test_reconnect_same_socket(void **state)
{
	struct sw_conntab *t = *state;
	struct sw_event f = ev(SW_EV_CONNECT_FAILED, 8, SW_TCP_SYN_SENT, SW_TCP_CLOSE, 7000, 81);
	struct sw_event s = ev(SW_EV_STATE, 8, SW_TCP_CLOSE, SW_TCP_SYN_SENT, 0, 80);
	struct sw_conn *c;

	assert_int_equal(sw_conntab_apply(t, &f, SEC), 1);
	assert_int_equal(t->nghosts, 1);
	assert_int_equal(sw_conntab_apply(t, &s, 2 * SEC), 1);
	c = sw_conntab_find(t, 8);
	assert_false(c->flags & SW_CONN_GHOST);
	assert_int_equal(c->state, SW_TCP_SYN_SENT);
	assert_int_equal(c->lport, 0);
	assert_int_equal(c->rport, 80);
	assert_int_equal(c->first_ns, 2 * SEC);
	assert_int_equal(t->new_conns, 2);
	assert_int_equal(t->count, 2);
	assert_int_equal(t->nghosts, 1);
	assert_int_equal(sw_conntab_expire(t, SEC + GHOST, NULL), 1);
	assert_int_equal(t->count, 1);
	assert_int_equal(t->nghosts, 0);
	assert_int_equal(sw_conntab_find(t, 8)->state, SW_TCP_SYN_SENT);
}

/* How many rows of the table are ghosts (found by key or not); the last of them in *g. */
static int ghosts_besides(struct sw_conntab *t, const struct sw_conn **g)
{
	const struct sw_conn **v;
	long n = sw_conntab_view(t, NULL, NULL, SW_SORT_LOCAL, false, &v);
	int found = 0;

	for (long i = 0; i < n; i++) {
		if (v[i]->flags & SW_CONN_GHOST) {
			*g = v[i];
			found++;
		}
	}
	return found;
}

/*
 * raw_tp keys rows by socket address, and the kernel reuses a freed socket's
 * address at once. A new connect() there is a new row: its own remote, no
 * bytes, owner or snapshot mark of the old one, born now, counted as new;
 * the old connection stays a ghost, with its bytes, until its time is up.
 */
static void test_reused_address_new_row(void **state)
{
	struct sw_conntab *t = *state;
	const __u64 addr = 0xffff888000001000ULL;
	struct sw_snap_sock r = snap(0, SW_TCP_ESTABLISHED, 51000, 443, true);
	struct sw_snap_owner o = { .pid = 700, .comm = "old" };
	struct sw_event cl = ev(SW_EV_CLOSE, addr, SW_TCP_ESTABLISHED, SW_TCP_CLOSE, 51000, 443);
	struct sw_event syn = ev(SW_EV_STATE, addr, SW_TCP_CLOSE, SW_TCP_SYN_SENT, 0, 25);
	const struct sw_conn *g = NULL;
	struct sw_conn *c;

	/* the old socket, from an iterator snapshot (keyed by address too) */
	assert_int_equal(sw_conntab_add_snapshot(t, addr, &r, SEC), 1);
	assert_int_equal(sw_conntab_add_owner(t, addr, &o, false), 1);
	cl.flags = SW_OWNER_NONE | SW_F_KEY_IS_PTR;
	cl.pid = 0;
	cl.bytes_sent = 123456789;
	cl.bytes_received = 987654321;
	assert_int_equal(sw_conntab_apply(t, &cl, 2 * SEC), 1);
	syn.flags = SW_OWNER_NONE | SW_F_KEY_IS_PTR;
	syn.pid = 0;
	syn.raddr[3] = 77;
	syn.birth_ns = 2 * SEC;
	assert_int_equal(sw_conntab_apply(t, &syn, 2 * SEC + 1000), 1);

	c = sw_conntab_find(t, addr);
	assert_non_null(c);
	assert_false(c->flags & (SW_CONN_GHOST | SW_CONN_SNAP | SW_CONN_BYTES | SW_CONN_OWNER));
	assert_int_equal(c->state, SW_TCP_SYN_SENT);
	assert_int_equal(c->rport, 25);
	assert_int_equal(c->raddr[3], 77);
	assert_int_equal(c->lport, 0);
	assert_int_equal(c->first_ns, 2 * SEC + 1000);
	assert_int_equal(c->bytes_sent, 0);
	assert_int_equal(t->new_conns, 1);

	assert_int_equal(ghosts_besides(t, &g), 1);
	assert_int_equal(g->rport, 443);
	assert_int_equal(g->bytes_sent, 123456789);
	assert_int_equal(g->pid, 700);
	assert_int_equal(t->count, 2);

	/* the old ghost expires on time; the new row stays */
	assert_int_equal(sw_conntab_expire(t, 2 * SEC + GHOST, NULL), 1);
	assert_int_equal(t->count, 1);
	c = sw_conntab_find(t, addr);
	assert_non_null(c);
	assert_int_equal(c->rport, 25);
	/* and it closes on its own */
	cl.rport = 25;
	cl.lport = 52000;
	cl.birth_ns = 2 * SEC;
	assert_int_equal(sw_conntab_apply(t, &cl, 3 * SEC), 1);
	assert_true(sw_conntab_find(t, addr)->flags & SW_CONN_GHOST);
	assert_int_equal(sw_conntab_expire(t, 3 * SEC + GHOST, NULL), 1);
	assert_int_equal(t->count, 0);
}

/*
 * A listener's child keyed by address (raw_tp), born where a closed socket
 * was: LISTEN->SYN_RECV is its birth, a new row.
 */
static void test_reused_address_child(void **state)
{
	struct sw_conntab *t = *state;
	const __u64 addr = 0xffff888000004000ULL;
	struct sw_event cl = ev(SW_EV_CLOSE, addr, SW_TCP_ESTABLISHED, SW_TCP_CLOSE, 51000, 443);
	struct sw_event born = ev(SW_EV_STATE, addr, SW_TCP_LISTEN, SW_TCP_SYN_RECV, 80, 40000);
	const struct sw_conn *g = NULL;

	cl.flags |= SW_F_KEY_IS_PTR;
	born.flags = SW_OWNER_NONE | SW_F_KEY_IS_PTR;
	assert_int_equal(sw_conntab_apply(t, &cl, SEC), 1);
	assert_int_equal(sw_conntab_apply(t, &born, SEC), 1);
	assert_int_equal(sw_conntab_find(t, addr)->state, SW_TCP_SYN_RECV);
	assert_int_equal(sw_conntab_find(t, addr)->lport, 80);
	assert_false(sw_conntab_find(t, addr)->flags & SW_CONN_OWNER);
	assert_int_equal(ghosts_besides(t, &g), 1);
	assert_int_equal(g->lport, 51000);
}

/*
 * Events that do not open a socket (close, accept, listen) for a ghost are
 * its own unless their birth says otherwise: listen()'s exit racing a close
 * of its listener by another thread sends the listen last.
 */
static void test_ghost_events_by_birth(void **state)
{
	struct sw_conntab *t = *state;
	struct sw_event l = ev(SW_EV_LISTEN, 20, SW_TCP_CLOSE, SW_TCP_LISTEN, 8080, 0);
	struct sw_event u = ev(SW_EV_UNLISTEN, 20, SW_TCP_LISTEN, SW_TCP_CLOSE, 8080, 0);
	struct sw_event f = ev(SW_EV_CONNECT_FAILED, 21, SW_TCP_SYN_SENT, SW_TCP_CLOSE, 7000, 81);
	struct sw_event c2 = ev(SW_EV_CLOSE, 21, SW_TCP_ESTABLISHED, SW_TCP_CLOSE, 7001, 82);

	l.birth_ns = u.birth_ns = 5;
	assert_int_equal(sw_conntab_apply(t, &l, SEC), 1);
	assert_int_equal(sw_conntab_apply(t, &u, SEC), 1);
	/* the late listen: same birth, stays closed */
	assert_int_equal(sw_conntab_apply(t, &l, SEC), 0);
	assert_true(sw_conntab_find(t, 20)->flags & SW_CONN_GHOST);
	assert_int_equal(t->count, 1);
	/* another birth (its own transition filtered out): a new listener */
	l.birth_ns = 6;
	assert_int_equal(sw_conntab_apply(t, &l, SEC), 1);
	assert_false(sw_conntab_find(t, 20)->flags & SW_CONN_GHOST);
	assert_int_equal(t->count, 2);

	/* a close with another birth than the ghost's: another ghost */
	f.birth_ns = 7;
	c2.birth_ns = 8;
	assert_int_equal(sw_conntab_apply(t, &f, SEC), 1);
	assert_int_equal(sw_conntab_apply(t, &c2, SEC), 1);
	assert_int_equal(sw_conntab_find(t, 21)->rport, 82);
	assert_int_equal(t->count, 4);
	/* with the same birth, or none, it refreshes the ghost */
	c2.birth_ns = 0;
	assert_int_equal(sw_conntab_apply(t, &c2, 2 * SEC), 1);
	assert_int_equal(t->count, 4);
	assert_int_equal(sw_conntab_find(t, 21)->closed_ns, 2 * SEC);
}

/* Ghosts out of the hash survive its growth, are never found, and expire. */
static void test_detached_ghost_and_rehash(void **state)
{
	struct sw_conntab *t = *state;
	struct sw_event up = ev(SW_EV_STATE, 99, SW_TCP_CLOSE, SW_TCP_LISTEN, 1, 0);
	struct sw_event down = ev(SW_EV_STATE, 99, SW_TCP_LISTEN, SW_TCP_CLOSE, 1, 0);
	struct sw_event f = ev(SW_EV_CONNECT_FAILED, 30, SW_TCP_SYN_SENT, SW_TCP_CLOSE, 7000, 81);
	struct sw_event s = ev(SW_EV_STATE, 30, SW_TCP_CLOSE, SW_TCP_SYN_SENT, 0, 80);

	/* the ghost in slot 1, its key's new row in slot 0 (freed by a failed listen) */
	assert_int_equal(sw_conntab_apply(t, &up, SEC), 1);
	assert_int_equal(sw_conntab_apply(t, &f, SEC), 1);
	assert_int_equal(sw_conntab_apply(t, &down, SEC), 1);
	assert_int_equal(sw_conntab_apply(t, &s, SEC), 1);
	assert_ptr_equal(sw_conntab_find(t, 30), &t->rows[0]);
	for (__u64 k = 1000; k < 4000; k++) {
		struct sw_event e = ev(SW_EV_LISTEN, k, SW_TCP_CLOSE, SW_TCP_LISTEN, 1, 0);

		assert_int_equal(sw_conntab_apply(t, &e, SEC), 1);
	}
	assert_true(t->nbuckets > 1024);
	assert_int_equal(sw_conntab_find(t, 30)->state, SW_TCP_SYN_SENT);
	assert_int_equal(t->count, 3002);
	assert_int_equal(sw_conntab_expire(t, SEC + GHOST, NULL), 1);
	assert_int_equal(t->count, 3001);
	assert_int_equal(t->nghosts, 0);
	assert_int_equal(sw_conntab_find(t, 30)->state, SW_TCP_SYN_SENT);
}

/* An accept inferred after its socket's close (the sweep racing the close) never reopens it. */
static void test_inferred_accept_after_close(void **state)
{
	struct sw_conntab *t = *state;
	struct sw_event a = ev(SW_EV_ACCEPT, 9, 0, SW_TCP_ESTABLISHED, 2049, 700);
	struct sw_event c = ev(SW_EV_CLOSE, 9, SW_TCP_LAST_ACK, SW_TCP_CLOSE, 2049, 700);

	a.flags |= SW_F_INFERRED;
	assert_int_equal(sw_conntab_apply(t, &c, SEC), 1);
	assert_int_equal(t->nghosts, 1);
	assert_int_equal(sw_conntab_apply(t, &a, SEC + 1), 0);
	assert_true(sw_conntab_find(t, 9)->flags & SW_CONN_GHOST);
	assert_int_equal(t->nghosts, 1);
	/* in order, it opens the row as any accept does */
	a.cookie = 10;
	assert_int_equal(sw_conntab_apply(t, &a, SEC), 1);
	assert_int_equal(sw_conntab_find(t, 10)->state, SW_TCP_ESTABLISHED);
}

/*
 * listen() failing inside the call (its port taken: two SO_REUSEADDR sockets
 * on one port): the kernel side reports the CLOSE->LISTEN and LISTEN->CLOSE
 * transitions and nothing else. It never listened: no row, live or ghost,
 * however often it is done.
 */
static void test_failed_listen_leaves_no_row(void **state)
{
	struct sw_conntab *t = *state;

	for (__u64 k = 1; k <= 3000; k++) {
		struct sw_event up = ev(SW_EV_STATE, k, SW_TCP_CLOSE, SW_TCP_LISTEN, 8080, 0);
		struct sw_event down = ev(SW_EV_STATE, k, SW_TCP_LISTEN, SW_TCP_CLOSE, 8080, 0);

		assert_int_equal(sw_conntab_apply(t, &up, k * SEC), 1);
		assert_int_equal(sw_conntab_find(t, k)->state, SW_TCP_LISTEN);
		assert_int_equal(sw_conntab_apply(t, &down, k * SEC), 1);
		assert_null(sw_conntab_find(t, k));
	}
	assert_int_equal(t->count, 0);
	assert_int_equal(t->nghosts, 0);
	assert_int_equal(t->new_conns, 0);
}

/*
 * A listener whose listen() succeeded (its listen event came) and that then
 * closes: the transition makes it a ghost, shown as a listener, and the
 * unlisten that follows only refreshes it.
 */
static void test_listener_closed_by_transition(void **state)
{
	struct sw_conntab *t = *state;
	struct sw_event up = ev(SW_EV_STATE, 4, SW_TCP_CLOSE, SW_TCP_LISTEN, 0, 0);
	struct sw_event l = ev(SW_EV_LISTEN, 4, SW_TCP_CLOSE, SW_TCP_LISTEN, 8080, 0);
	struct sw_event down = ev(SW_EV_STATE, 4, SW_TCP_LISTEN, SW_TCP_CLOSE, 8080, 0);
	struct sw_event u = ev(SW_EV_UNLISTEN, 4, SW_TCP_LISTEN, SW_TCP_CLOSE, 8080, 0);
	struct sw_conn *c;

	assert_int_equal(sw_conntab_apply(t, &up, SEC), 1);
	assert_int_equal(sw_conntab_apply(t, &l, SEC), 1);
	assert_int_equal(sw_conntab_find(t, 4)->lport, 8080);
	assert_int_equal(sw_conntab_apply(t, &down, 2 * SEC), 1);
	c = sw_conntab_find(t, 4);
	assert_non_null(c);
	assert_true(c->flags & SW_CONN_GHOST);
	assert_int_equal(c->kind, SW_EV_UNLISTEN);
	assert_int_equal(sw_conntab_apply(t, &u, 2 * SEC + 5), 1);
	c = sw_conntab_find(t, 4);
	assert_true(c->flags & SW_CONN_GHOST);
	assert_int_equal(c->closed_ns, 2 * SEC + 5);
	assert_int_equal(t->nghosts, 1);
	assert_int_equal(sw_conntab_expire(t, 2 * SEC + 5 + GHOST, NULL), 1);
	assert_int_equal(t->count, 0);
}

/*
 * A listener without a listen event that did listen (io_uring, the kernel's
 * own listen): at its close the kernel side sends the transition, then its
 * listen and unlisten. One ghost, of a listener.
 */
static void test_unreported_listener_closes(void **state)
{
	struct sw_conntab *t = *state;
	struct sw_event up = ev(SW_EV_STATE, 6, SW_TCP_CLOSE, SW_TCP_LISTEN, 0, 0);
	struct sw_event down = ev(SW_EV_STATE, 6, SW_TCP_LISTEN, SW_TCP_CLOSE, 0, 0);
	struct sw_event l = ev(SW_EV_LISTEN, 6, SW_TCP_CLOSE, SW_TCP_LISTEN, 9090, 0);
	struct sw_event u = ev(SW_EV_UNLISTEN, 6, SW_TCP_LISTEN, SW_TCP_CLOSE, 9090, 0);
	struct sw_conn *c;

	assert_int_equal(sw_conntab_apply(t, &up, SEC), 1);
	assert_int_equal(sw_conntab_apply(t, &down, 2 * SEC), 1);
	assert_int_equal(sw_conntab_apply(t, &l, 2 * SEC), 1);
	assert_int_equal(sw_conntab_apply(t, &u, 2 * SEC), 1);
	c = sw_conntab_find(t, 6);
	assert_non_null(c);
	assert_true(c->flags & SW_CONN_GHOST);
	assert_int_equal(c->kind, SW_EV_UNLISTEN);
	assert_int_equal(c->lport, 9090);
	assert_int_equal(t->count, 1);
	assert_int_equal(t->nghosts, 1);
}

/*
 * raw_tp keys a listener's child by address from LISTEN->SYN_RECV on; one that
 * dies in SYN_RECV (a duplicate that lost the race, a reset) gets no close
 * event. Its row must not stay SYN_RECV: a ghost that expires.
 */
static void test_child_dies_in_syn_recv(void **state)
{
	struct sw_conntab *t = *state;
	const __u64 addr = 0xffff888000003000ULL;
	struct sw_event born = ev(SW_EV_STATE, addr, SW_TCP_LISTEN, SW_TCP_SYN_RECV, 80, 40000);
	struct sw_event dies = ev(SW_EV_STATE, addr, SW_TCP_SYN_RECV, SW_TCP_CLOSE, 80, 40000);

	born.flags = dies.flags = SW_OWNER_NONE | SW_F_KEY_IS_PTR;
	assert_int_equal(sw_conntab_apply(t, &born, SEC), 1);
	assert_int_equal(sw_conntab_find(t, addr)->state, SW_TCP_SYN_RECV);
	assert_int_equal(sw_conntab_apply(t, &dies, SEC), 1);
	assert_true(sw_conntab_find(t, addr)->flags & SW_CONN_GHOST);
	assert_int_equal(sw_conntab_expire(t, SEC + GHOST, NULL), 1);
	assert_null(sw_conntab_find(t, addr));
	assert_int_equal(t->count, 0);
}

/*
 * on_accept() reads the socket's state, then sends its event; a reset
 * handled in between sends the close first. The late accept (ESTABLISHED, as
 * it read) must not bring the row back: no close would ever come again.
 * Only its owner is applied, and the ghost expires.
 */
static void test_accept_after_close(void **state)
{
	struct sw_conntab *t = *state;
	struct sw_event up = ev(SW_EV_STATE, 12, SW_TCP_SYN_RECV, SW_TCP_ESTABLISHED, 80, 40000);
	struct sw_event rst = ev(SW_EV_CLOSE, 12, SW_TCP_ESTABLISHED, SW_TCP_CLOSE, 80, 40000);
	struct sw_event a = ev(SW_EV_ACCEPT, 12, 0, SW_TCP_ESTABLISHED, 80, 40000);
	struct sw_conn *c;

	up.flags = rst.flags = SW_OWNER_NONE;
	up.pid = rst.pid = 0;
	a.pid = 600;
	strcpy(a.comm, "server");
	assert_int_equal(sw_conntab_apply(t, &up, SEC), 1);
	assert_int_equal(sw_conntab_apply(t, &rst, SEC), 1);
	assert_int_equal(sw_conntab_apply(t, &a, SEC + 1), 1);
	c = sw_conntab_find(t, 12);
	assert_true(c->flags & SW_CONN_GHOST);
	assert_int_equal(c->state, SW_TCP_CLOSE);
	assert_int_equal(c->pid, 600);
	assert_string_equal(c->comm, "server");
	assert_int_equal(t->nghosts, 1);
	/* the same again changes nothing */
	assert_int_equal(sw_conntab_apply(t, &a, SEC + 2), 0);
	/* an accept that read CLOSE (reset before accept() took it) likewise */
	a.newstate = SW_TCP_CLOSE;
	a.pid = 601;
	assert_int_equal(sw_conntab_apply(t, &a, SEC + 3), 1);
	assert_int_equal(sw_conntab_find(t, 12)->pid, 601);
	assert_int_equal(sw_conntab_expire(t, SEC + GHOST, NULL), 1);
	assert_null(sw_conntab_find(t, 12));
	assert_int_equal(t->count, 0);
}

static void test_owners_counted_once_per_process(void **state)
{
	struct sw_conntab *t = *state;
	struct sw_snap_sock r = snap(11, SW_TCP_LISTEN, 80, 0, true);
	struct sw_snap_owner a = { .cookie = 11, .pid = 1, .comm = "a" };
	struct sw_snap_owner b = { .cookie = 11, .pid = 2, .comm = "b" };

	sw_conntab_add_snapshot(t, 11, &r, SEC);
	sw_conntab_add_owner(t, 11, &a, false);
	sw_conntab_add_owner(t, 11, &a, false);
	sw_conntab_add_owner(t, 11, &b, false);
	sw_conntab_add_owner(t, 11, &b, false);
	assert_int_equal(sw_conntab_find(t, 11)->nowners, 2);
	assert_int_equal(sw_conntab_find(t, 11)->pid, 1);
}

/*
 * A socket shared by several processes is shown as the holder the user's
 * filter selects (shown), whichever the snapshot listed first; every holder
 * is still counted once.
 */
static void test_shown_owner_among_holders(void **state)
{
	struct sw_conntab *t = *state;
	struct sw_snap_sock r = snap(12, SW_TCP_LISTEN, 80, 0, true);
	struct sw_snap_owner master = { .cookie = 12, .pid = 1, .uid = 0, .comm = "master" };
	struct sw_snap_owner w1 = { .cookie = 12, .pid = 2, .uid = 33, .comm = "worker" };
	struct sw_snap_owner w2 = { .cookie = 12, .pid = 3, .uid = 33, .comm = "worker" };
	struct sw_conn *c;

	sw_conntab_add_snapshot(t, 12, &r, SEC);
	assert_int_equal(sw_conntab_add_owner(t, 12, &master, false), 1);
	assert_int_equal(sw_conntab_add_owner(t, 12, &w1, false), 1);
	assert_int_equal(sw_conntab_add_owner(t, 12, &w2, true), 1);
	assert_int_equal(sw_conntab_add_owner(t, 12, &w2, true), 1); /* its second fd */
	c = sw_conntab_find(t, 12);
	assert_int_equal(c->pid, 3);
	assert_int_equal(c->uid, 33);
	assert_string_equal(c->comm, "worker");
	assert_int_equal(c->nowners, 3);
}

static void test_many_rows_and_sorted_view(void **state)
{
	struct sw_conntab *t = *state;
	const struct sw_conn **v;
	long n;

	for (__u64 k = 1; k <= 5000; k++) {
		struct sw_event e = ev(SW_EV_LISTEN, k, SW_TCP_CLOSE, SW_TCP_LISTEN,
				       (__u16)(10000 + (k * 7919) % 5000), 0);

		assert_int_equal(sw_conntab_apply(t, &e, k), 1);
	}
	for (__u64 k = 1; k <= 5000; k += 2) {
		struct sw_event e = ev(SW_EV_UNLISTEN, k, SW_TCP_LISTEN, SW_TCP_CLOSE, 1, 0);

		sw_conntab_apply(t, &e, 10000);
	}
	assert_int_equal(sw_conntab_expire(t, 10000 + GHOST, NULL), 2500);
	assert_int_equal(t->count, 2500);
	for (__u64 k = 2; k <= 5000; k += 2)
		assert_non_null(sw_conntab_find(t, k));
	n = sw_conntab_view(t, NULL, NULL, SW_SORT_LOCAL, false, &v);
	assert_int_equal(n, 2500);
	for (long i = 1; i < n; i++)
		assert_true(v[i - 1]->lport <= v[i]->lport);
	n = sw_conntab_view(t, NULL, NULL, SW_SORT_LOCAL, true, &v);
	for (long i = 1; i < n; i++)
		assert_true(v[i - 1]->lport >= v[i]->lport);
}

/*
 * AGE, oldest first: sockets from the snapshot existed before the tracer, so
 * they come before sockets born after it, even those born before the
 * snapshot rows were made (their birth, from the kernel, is earlier than the
 * snapshot rows' first sight).
 */
static void test_age_sort_snapshot_oldest(void **state)
{
	struct sw_conntab *t = *state;
	struct sw_snap_sock r = snap(1, SW_TCP_ESTABLISHED, 22, 5000, true);
	struct sw_event e = ev(SW_EV_STATE, 2, SW_TCP_CLOSE, SW_TCP_SYN_SENT, 0, 80);
	struct sw_event late = ev(SW_EV_STATE, 3, SW_TCP_CLOSE, SW_TCP_SYN_SENT, 0, 81);
	const struct sw_conn **v;

	e.birth_ns = 9 * SEC; /* queued: born between attach and reconcile */
	assert_int_equal(sw_conntab_add_snapshot(t, 1, &r, 10 * SEC), 1);
	assert_int_equal(sw_conntab_apply(t, &e, 10 * SEC), 1);
	assert_int_equal(sw_conntab_apply(t, &late, 11 * SEC), 1); /* no birth: first seen */
	assert_int_equal(sw_conntab_view(t, NULL, NULL, SW_SORT_AGE, false, &v), 3);
	assert_int_equal(v[0]->key, 1);
	assert_int_equal(v[1]->key, 2);
	assert_int_equal(v[2]->key, 3);
	assert_int_equal(sw_conntab_view(t, NULL, NULL, SW_SORT_AGE, true, &v), 3);
	assert_int_equal(v[0]->key, 3);
	assert_int_equal(v[2]->key, 1);
}

/*
 * Rows keyed by socket address (raw_tp) show the keyed hash of the address
 * and the socket's birth as their cookie, as events do, never the address;
 * rows keyed by cookie show the cookie.
 */
static void test_address_key_not_shown(void **state)
{
	struct sw_conntab *t = *state;
	struct sw_conn_fmt f = { .fmt = SW_FMT_JSON };
	const __u64 addr = 0xffff8881034a5600ULL;
	struct sw_event e = ev(SW_EV_CONNECT, addr, SW_TCP_SYN_SENT, SW_TCP_ESTABLISHED, 40000, 80);
	char line[1024], want[64], text[32];
	const struct sw_conn *c;

	e.flags |= SW_F_KEY_IS_PTR;
	e.birth_ns = 5 * SEC;
	assert_int_equal(sw_conntab_apply(t, &e, SEC), 1);
	c = sw_conntab_find(t, addr);
	assert_non_null(c);
	assert_true(c->flags & SW_CONN_KEY_ADDR);
	assert_true(sw_conn_format(c, &f, line, sizeof(line)) > 0);
	snprintf(want, sizeof(want), "\"cookie\":%llu",
		 (unsigned long long)sw_sockid_of_addr(addr, 5 * SEC));
	snprintf(text, sizeof(text), "%llu", (unsigned long long)addr);
	assert_non_null(strstr(line, want));
	assert_null(strstr(line, text));

	e = ev(SW_EV_CONNECT, 77, SW_TCP_SYN_SENT, SW_TCP_ESTABLISHED, 40001, 80);
	assert_int_equal(sw_conntab_apply(t, &e, SEC), 1);
	c = sw_conntab_find(t, 77);
	assert_non_null(c);
	assert_false(c->flags & SW_CONN_KEY_ADDR);
	assert_true(sw_conn_format(c, &f, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "\"cookie\":77"));
}

/* top --once --json: a listener's row has no remote end, as a listen record has none. */
static void test_listener_row_no_remote(void **state)
{
	struct sw_conntab *t = *state;
	struct sw_conn_fmt f = { .fmt = SW_FMT_JSON };
	struct sw_event e = ev(SW_EV_LISTEN, 93, SW_TCP_CLOSE, SW_TCP_LISTEN, 8080, 0);
	char line[1024];

	memset(e.raddr, 0, sizeof(e.raddr));
	assert_int_equal(sw_conntab_apply(t, &e, SEC), 1);
	assert_true(sw_conn_format(sw_conntab_find(t, 93), &f, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "\"state\":\"LISTEN\",\"laddr\":\"127.0.0.1\",\"lport\":8080,"
				     "\"pid\":42,"));
	assert_null(strstr(line, "raddr"));
	assert_null(strstr(line, "rport"));
	e = ev(SW_EV_CONNECT, 94, SW_TCP_SYN_SENT, SW_TCP_ESTABLISHED, 40000, 8080);
	assert_int_equal(sw_conntab_apply(t, &e, SEC), 1);
	assert_true(sw_conn_format(sw_conntab_find(t, 94), &f, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "\"lport\":40000,\"raddr\":\"127.0.0.1\",\"rport\":8080,"));
}

/* A process name cannot pass for more columns: escaped, and quoted if it holds a space. */
static void test_text_owner_quoted(void **state)
{
	struct sw_conntab *t = *state;
	struct sw_conn_fmt f = { .fmt = SW_FMT_TEXT };
	struct sw_event e = ev(SW_EV_CONNECT, 91, SW_TCP_SYN_SENT, SW_TCP_ESTABLISHED, 40000, 80);
	const struct sw_conn *c;
	char line[1024];

	e.pid = 4242;
	e.flags = (e.flags & ~SW_F_OWNER_MASK) | SW_OWNER_SOCKET;
	memcpy(e.comm, "x 0.0.0.0:22\x1b", 14);
	assert_int_equal(sw_conntab_apply(t, &e, SEC), 1);
	c = sw_conntab_find(t, 91);
	assert_non_null(c);
	assert_true(sw_conn_format(c, &f, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, " 4242/\"x 0.0.0.0:22\\x1b\" "));
	memcpy(e.comm, "nginx\0", 6);
	e.cookie = 92;
	assert_int_equal(sw_conntab_apply(t, &e, SEC), 1);
	assert_true(sw_conn_format(sw_conntab_find(t, 92), &f, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, " 4242/nginx "));
}

/* The terminal column where the netns inode starts in a text row (-1: not there). */
static long netns_column(const char *line, const char *ino)
{
	const char *at = strstr(line, ino);

	return at ? (long)sw_text_width(line, (size_t)(at - line)) : -1;
}

/*
 * Text columns are padded to terminal cells, not bytes: after a process name
 * of wide characters (15 bytes, 10 cells) the next columns start where they
 * do after an ASCII name. In the live view an escaped name longer than its
 * column is cut there, whole escapes only and marked, and pushes nothing;
 * --once keeps it whole.
 */
static void test_text_columns_by_cells(void **state)
{
	static const char *const names[] = {
		"nginx",
		"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x83\x97\xe3\x83\xad", /* 日本語プロ */
		"\x1b[2J\x1b]0;pwn\x07",
	};
	struct sw_conntab *t = *state;
	struct sw_conn_fmt f = { .fmt = SW_FMT_TEXT, .netns_col = true, .host_netns = 1 };
	long col[2][3];
	char line[1024];

	for (int live = 0; live < 2; live++) {
		f.live = live;
		for (int i = 0; i < 3; i++) {
			struct sw_event e = ev(SW_EV_CONNECT, 100 + i, SW_TCP_SYN_SENT,
					       SW_TCP_ESTABLISHED, 40000, 80);

			e.pid = 4242;
			e.flags = (e.flags & ~SW_F_OWNER_MASK) | SW_OWNER_SOCKET;
			memset(e.comm, 0, sizeof(e.comm));
			memcpy(e.comm, names[i], strlen(names[i]));
			if (!live)
				assert_true(sw_conntab_apply(t, &e, SEC) >= 0);
			assert_true(sw_conn_format(sw_conntab_find(t, 100 + i), &f, line,
						   sizeof(line)) > 0);
			col[live][i] = netns_column(line, "4026531840");
			if (i == 2 && live) /* cut: whole escapes, then the mark */
				assert_non_null(strstr(line, " 4242/\\x1b[2J\\x1b]0;pwn+ "));
			if (i == 2 && !live)
				assert_non_null(strstr(line, " 4242/\\x1b[2J\\x1b]0;pwn\\x07 "));
		}
		assert_true(col[live][0] > 0);
		assert_int_equal(col[live][1], col[live][0]);
	}
	assert_int_equal(col[1][2], col[1][0]);
	assert_true(col[0][2] > col[0][0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_address_key_not_shown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_owner_quoted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_columns_by_cells, setup, teardown),
		cmocka_unit_test_setup_teardown(test_insert_update_close_expire, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_then_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_bytes_without_fin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event_not_in_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_during_snapshot_never_resurrects, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_time_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_request_becomes_connection, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_request_other_events, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reconnect_same_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reused_address_new_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reused_address_child, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ghost_events_by_birth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_detached_ghost_and_rehash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inferred_accept_after_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_listen_leaves_no_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listener_closed_by_transition, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unreported_listener_closes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_child_dies_in_syn_recv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accept_after_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owners_counted_once_per_process, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_shown_owner_among_holders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_rows_and_sorted_view, setup, teardown),
		cmocka_unit_test_setup_teardown(test_age_sort_snapshot_oldest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listener_row_no_remote, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
