// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Sink core: the bounded per-sink queue, the writer thread, lost records and counters. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sink_int.h"

void sw_timespec_add_ms(struct timespec *ts, long ms)
{
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

bool sw_timespec_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

void sw_sink_count_written(struct sw_sink *s, unsigned long long n)
{
	atomic_fetch_add_explicit(&s->written, n, memory_order_relaxed);
}

void sw_sink_count_error(struct sw_sink *s)
{
	atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
}

void sw_sink_count_write_error(struct sw_sink *s, int err)
{
	sw_sink_count_error(s);
	if (err == -EPIPE)
		atomic_fetch_add_explicit(&s->gone, 1, memory_order_relaxed);
}

void sw_sink_count_lost(struct sw_sink *s, unsigned long long records, unsigned long long relost)
{
	atomic_fetch_add_explicit(&s->dropped, records, memory_order_relaxed);
	s->writer_lost += records + relost;
}

void sw_sink_count_undelivered(struct sw_sink *s, unsigned long long lines,
			       unsigned long long records, unsigned long long relost)
{
	atomic_fetch_sub_explicit(&s->written, lines, memory_order_relaxed);
	sw_sink_count_lost(s, records, relost);
}

bool sw_sink_own_lost(const struct sw_sink *s, const struct sw_record *r)
{
	return r->ev.kind == SW_EV_LOST && r->lost_where == s->name;
}

void sw_sink_count_unwritten(struct sw_sink *s, const struct sw_record *r)
{
	if (sw_sink_own_lost(s, r))
		sw_sink_count_lost(s, 0, r->lost);
	else
		sw_sink_count_lost(s, 1, 0);
}

static bool queue_empty(struct sw_sink *s)
{
	return atomic_load(&s->head) == atomic_load(&s->tail);
}

static struct sw_slot *slot_at(struct sw_sink *s, __u64 i)
{
	return &s->chunks[i / SW_SLOT_CHUNK % s->nchunks][i % SW_SLOT_CHUNK];
}

/*
 * Producer, at the first slot of a chunk: memory for it. The one the writer
 * emptied last if there is one (still in the caches), else a new chunk. The
 * table entry's previous chunk is not reused in place: its slots were read
 * long ago, and nchunks chunks away it may be cold.
 */
static int chunk_start(struct sw_sink *s, __u64 tail)
{
	__u64 fh = atomic_load_explicit(&s->free_head, memory_order_relaxed);
	struct sw_slot *c;

	if (fh != atomic_load_explicit(&s->free_tail, memory_order_acquire)) {
		c = s->free_chunks[fh % s->nchunks];
		atomic_store_explicit(&s->free_head, fh + 1, memory_order_relaxed);
	} else {
		if (s->nalloc == s->nchunks)
			return -ENOBUFS; /* cannot happen: every chunk is in use */
		c = malloc(SW_SLOT_CHUNK * sizeof(*c));
		if (!c)
			return -ENOMEM;
		s->all_chunks[s->nalloc++] = c;
	}
	s->chunks[tail / SW_SLOT_CHUNK % s->nchunks] = c;
	return 0;
}

/* Writer, after reading the last slot of a chunk: its memory goes back to the producer. */
static void chunk_done(struct sw_sink *s, __u64 head)
{
	__u64 ft = atomic_load_explicit(&s->free_tail, memory_order_relaxed);

	s->free_chunks[ft % s->nchunks] = s->chunks[head / SW_SLOT_CHUNK % s->nchunks];
	atomic_store_explicit(&s->free_tail, ft + 1, memory_order_release);
}

int sw_sink_submit(struct sw_sink *s, const struct sw_record *r)
{
	__u64 tail = atomic_load_explicit(&s->tail, memory_order_relaxed);
	__u64 head = atomic_load_explicit(&s->head, memory_order_acquire);
	struct sw_slot *slot;

	s->next_seq = r->seq + 1;
	if (tail - head >= s->cap || (tail % SW_SLOT_CHUNK == 0 && chunk_start(s, tail))) {
		s->pending_lost++;
		atomic_fetch_add_explicit(&s->dropped, 1, memory_order_relaxed);
		return -ENOBUFS;
	}
	slot = slot_at(s, tail);
	slot->rec = *r;
	slot->lost_before = s->pending_lost;
	s->pending_lost = 0;
	atomic_store(&s->tail, tail + 1);
	/*
	 * Waking the writer for every record costs a futex call and a context
	 * switch per event: with batch_wakeups the consumer calls sw_sink_kick()
	 * after each batch instead, and only a queue filling up within one batch
	 * wakes the writer here.
	 */
	if (!s->opts.batch_wakeups || tail + 1 - head >= s->cap / 2)
		sw_sink_kick(s);
	return 0;
}

void sw_sink_kick(struct sw_sink *s)
{
	/* pairs with the writer's store of waiting before it checks the queue */
	if (atomic_load(&s->waiting) && !queue_empty(s)) {
		pthread_mutex_lock(&s->lock);
		pthread_cond_signal(&s->cond);
		pthread_mutex_unlock(&s->lock);
	}
}

void sw_sink_reopen(struct sw_sink *s)
{
	atomic_store(&s->reopen, 1);
}

/*
 * Sleeps until there is data (if want_data), a stop request, or the deadline.
 * A wait to retry an output that is not ready (!want_data) that starts while
 * stopping sleeps until its deadline, but no later than stop_by: ending it
 * at once made the writer spin until stop_by. That cap is decided here,
 * under the lock, where stopping is read: decided by the caller, a stop
 * requested just after it looked left the writer asleep until the backend's
 * deadline (a syslog retry, up to 5 s) instead of stop_by.
 */
static void sink_wait(struct sw_sink *s, bool want_data, const struct timespec *until)
{
	struct timespec stop_by;
	bool was_stopping;

	pthread_mutex_lock(&s->lock);
	was_stopping = atomic_load(&s->stopping);
	if (was_stopping && !want_data && (!until || sw_timespec_before(&s->stop_by, until))) {
		stop_by = s->stop_by; /* a copy: sw_sink_close() may change it while we wait */
		until = &stop_by;
	}
	atomic_store(&s->waiting, true);
	while (!(want_data && !queue_empty(s)) &&
	       !(atomic_load(&s->stopping) && (want_data || !was_stopping))) {
		if (!until) {
			pthread_cond_wait(&s->cond, &s->lock);
			continue;
		}
		if (pthread_cond_timedwait(&s->cond, &s->lock, until) == ETIMEDOUT)
			break;
	}
	atomic_store(&s->waiting, false);
	pthread_mutex_unlock(&s->lock);
}

/*
 * Formats and writes one record: 0, -EAGAIN (retry later), -ERESTART (write
 * the lost record, then this one again) or -errno (lost, counted).
 */
static int write_record(struct sw_sink *s, const struct sw_record *r)
{
	int len;

	len = s->opts.format(r, s->opts.format_ctx, s->line, sizeof(s->line));
	if (len < 0 || (size_t)len >= sizeof(s->line)) {
		sw_sink_count_error(s);
		sw_sink_count_unwritten(s, r);
		return -ENOSPC; /* whatever the formatter said: not one of the codes above */
	}
	return s->ops->write(s, r, s->line, len);
}

/*
 * Writes a lost record for lost and the losses counted since (writer_lost).
 * It carries the seq of the record it precedes (the global seq stays
 * gap-free: sinks never renumber) and that record's times.
 */
static int write_lost(struct sw_sink *s, __u64 lost, __u64 seq, const struct sw_record *next)
{
	struct sw_record r;
	int err;

	memset(&r, 0, sizeof(r));
	r.ev.kind = SW_EV_LOST;
	r.seq = seq;
	if (next) {
		r.ev.ts_ns = next->ev.ts_ns;
		r.wall = next->wall;
	} else {
		clock_gettime(CLOCK_REALTIME, &r.wall);
	}
	r.lost_where = s->name;
	do {
		/* -ERESTART: it was not taken, and more was lost: one lost record says both */
		r.lost = lost + s->writer_lost;
		s->writer_lost = 0;
		err = write_record(s, &r);
		lost = r.lost;
	} while (err == -ERESTART);
	/* on other errors the backend counted it: the count goes into the next lost record */
	if (err == -EAGAIN)
		s->writer_lost += lost;
	return err;
}

/* Writes the head slot (and the lost record before it); -EAGAIN keeps it queued. */
static int write_slot(struct sw_sink *s, struct sw_slot *slot)
{
	__u64 lost;
	int err;

	do {
		if (slot->lost_before + s->writer_lost) {
			lost = slot->lost_before;
			slot->lost_before = 0;
			err = write_lost(s, lost, slot->rec.seq, &slot->rec);
			if (err == -EAGAIN)
				return err;
		}
		/* -ERESTART: lines before this one were just lost, their lost record goes first */
		err = write_record(s, &slot->rec);
	} while (err == -ERESTART);
	return err;
}

static void discard_queue(struct sw_sink *s)
{
	__u64 head = atomic_load(&s->head), tail = atomic_load(&s->tail);

	if (tail == head)
		return;
	atomic_fetch_add(&s->dropped, tail - head);
	atomic_store(&s->head, tail);
	s->timed_out = true;
}

static bool past(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return !sw_timespec_before(&now, t);
}

bool sw_sink_giving_up(struct sw_sink *s)
{
	struct timespec stop_by;

	if (!atomic_load(&s->stopping))
		return false;
	pthread_mutex_lock(&s->lock);
	stop_by = s->stop_by;
	pthread_mutex_unlock(&s->lock);
	return past(&stop_by);
}

static void *sink_thread(void *arg)
{
	struct sw_sink *s = arg;
	struct timespec when, *until;
	struct sw_slot *slot;
	__u64 head;
	int err;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	for (;;) {
		if (atomic_exchange(&s->reopen, 0) && s->ops->reopen)
			s->ops->reopen(s);
		if (s->ops->tick)
			s->ops->tick(s);
		if (atomic_load(&s->stopping) && past(&s->stop_by)) {
			discard_queue(s);
			break;
		}
		head = atomic_load(&s->head);
		if (head == atomic_load(&s->tail)) {
			/*
			 * Flushed before a stop too: what the backend finds
			 * lost there (a receiver gone with records in
			 * flight) is announced by the last lost record.
			 */
			if (s->ops->flush)
				s->ops->flush(s);
			/*
			 * The flush can wait long (a slow reader): records
			 * submitted meanwhile, and then the stop, must not
			 * be left in the queue, neither written nor counted.
			 * Stop set means the last submit is done: the queue
			 * looked at after it is final.
			 */
			if (atomic_load(&s->stopping) && queue_empty(s))
				break;
			until = s->ops->deadline && s->ops->deadline(s, &when) ? &when : NULL;
			sink_wait(s, true, until);
			continue;
		}
		slot = slot_at(s, head);
		err = write_slot(s, slot);
		if (err == -EAGAIN) {
			if (s->ops->flush)
				s->ops->flush(s);
			until = s->ops->deadline && s->ops->deadline(s, &when) ? &when : NULL;
			sink_wait(s, false, until); /* no later than stop_by when stopping */
			continue;
		}
		if ((head + 1) % SW_SLOT_CHUNK == 0)
			chunk_done(s, head);
		atomic_store(&s->head, head + 1);
		/*
		 * While stopping, give up only on a sink that stops making
		 * progress, or (drain_max_ms) at the end of its whole drain.
		 */
		if (atomic_load(&s->stopping)) {
			pthread_mutex_lock(&s->lock);
			clock_gettime(CLOCK_MONOTONIC, &s->stop_by);
			sw_timespec_add_ms(&s->stop_by, SW_SINK_DRAIN_MS);
			if (s->ops->drain_max_ms && sw_timespec_before(&s->drain_end, &s->stop_by))
				s->stop_by = s->drain_end;
			pthread_mutex_unlock(&s->lock);
		}
	}

	/* drops nobody has heard of yet: one last lost record, numbered after the last record */
	if (s->pending_lost + s->writer_lost && !s->timed_out) {
		write_lost(s, s->pending_lost, s->next_seq, NULL); /* adds writer_lost */
		s->pending_lost = 0;
	}
	/*
	 * The last write is made here, where sw_sink_close() can cancel it if
	 * the output is stuck: the backend's close() only counts what is left.
	 */
	if (s->ops->flush)
		s->ops->flush(s);
	return NULL;
}

static const struct sw_sink_ops *ops_for(enum sw_sink_type type)
{
	switch (type) {
	case SW_SINK_STDOUT:
		return &sw_sink_stdout_ops;
	case SW_SINK_FILE:
		return &sw_sink_file_ops;
	default:
		return &sw_sink_syslog_ops;
	}
}

static void sink_free(struct sw_sink *s)
{
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	for (size_t i = 0; i < s->nalloc; i++)
		free(s->all_chunks[i]);
	free(s->all_chunks);
	free(s->free_chunks);
	free(s->chunks);
	free(s->name);
	free(s);
}

int sw_sink_open(const char *spec, const struct sw_sink_opts *o, struct sw_sink **out)
{
	pthread_condattr_t ca;
	struct sw_sink *s;
	int err;

	if (!o || !o->format)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&s->lock, NULL);

	err = sw_sink_spec_parse(spec, &s->spec, NULL, 0);
	if (err)
		goto out_free;
	s->opts = *o;
	if (!s->opts.queue_len)
		s->opts.queue_len = SW_SINK_QUEUE_LEN;
	if (!s->opts.rotate_keep)
		s->opts.rotate_keep = SW_SINK_ROTATE_KEEP;
	if (!s->opts.app_name || !*s->opts.app_name)
		s->opts.app_name = SW_SINK_APP_NAME;
	s->cap = s->opts.queue_len;
	/* one more chunk than the capacity needs: the queue may start mid-chunk */
	s->nchunks = (s->cap + SW_SLOT_CHUNK - 1) / SW_SLOT_CHUNK + 1;
	s->chunks = calloc(s->nchunks, sizeof(*s->chunks));
	s->free_chunks = calloc(s->nchunks, sizeof(*s->free_chunks));
	s->all_chunks = calloc(s->nchunks, sizeof(*s->all_chunks));
	s->name = strdup(spec);
	if (!s->chunks || !s->free_chunks || !s->all_chunks || !s->name) {
		err = -ENOMEM;
		goto out_free;
	}
	s->ops = ops_for(s->spec.type);
	err = s->ops->open(s);
	if (err)
		goto out_free;
	err = -pthread_create(&s->thread, NULL, sink_thread, s);
	if (err)
		goto out_close;
	*out = s;
	return 0;

out_close:
	s->ops->close(s);
out_free:
	sink_free(s);
	return err;
}

int sw_sink_close(struct sw_sink *s)
{
	return sw_sink_close_stats(s, NULL);
}

int sw_sink_close_stats(struct sw_sink *s, struct sw_sink_stats *final)
{
	struct timespec limit;
	int err;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	clock_gettime(CLOCK_MONOTONIC, &s->stop_by);
	s->drain_end = s->stop_by;
	sw_timespec_add_ms(&s->drain_end, s->ops->drain_max_ms);
	sw_timespec_add_ms(&s->stop_by, SW_SINK_DRAIN_MS);
	atomic_store(&s->stopping, true);
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);

	/* A writer still making progress is waited for; one stuck in write(2)
	 * on a stalled pipe, with nothing written for a while, is cancelled. */
	for (;;) {
		__u64 done = atomic_load(&s->head);

		clock_gettime(CLOCK_REALTIME, &limit);
		sw_timespec_add_ms(&limit, SW_SINK_DRAIN_MS + 1000);
		if (!pthread_timedjoin_np(s->thread, NULL, &limit))
			break;
		if (atomic_load(&s->head) != done)
			continue;
		pthread_cancel(s->thread);
		pthread_join(s->thread, NULL);
		s->timed_out = true;
		/* what is still queued is dropped; the backend's close() counts what it buffered */
		discard_queue(s);
		break;
	}
	err = s->timed_out ? -ETIMEDOUT : 0;
	s->ops->close(s);
	if (final)
		sw_sink_stats(s, final);
	sink_free(s);
	return err;
}

void sw_sink_stats(const struct sw_sink *s, struct sw_sink_stats *st)
{
	struct sw_sink *m = (struct sw_sink *)s; /* atomics are read-only here */

	st->written = atomic_load(&m->written);
	st->dropped = atomic_load(&m->dropped);
	st->errors = atomic_load(&m->errors);
	st->reconnects = atomic_load(&m->reconnects);
	st->rotations = atomic_load(&m->rotations);
	st->gone = atomic_load(&m->gone);
}

const char *sw_sink_name(const struct sw_sink *s)
{
	return s->name;
}
