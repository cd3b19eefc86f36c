// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The file sink: O_APPEND writes, size/interval rotation with background gzip, SIGHUP reopen. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sink_int.h"

#define FILE_FLAGS (O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC)
#define FILE_MODE 0640
#define GZ_NICE 10
#define DEFER_MS 200 /* a rotation put off (gzip busy, or it failed) is retried after */
#define FOLLOW_RETRY_MS 200 /* opening a PATH that went away, again after a failure */
#define GZ_RETRY_MIN_MS 1000 /* compressing PATH.1 again after a failure: 1 s, doubling */
#define GZ_RETRY_MAX_MS (5 * 60 * 1000)

/*
 * Rotation: PATH is renamed to PATH.1 and a new PATH is opened at once; the
 * compressor thread then writes PATH.1.gz.tmp, shifts PATH.N.gz to
 * PATH.N+1.gz (keeping rotate_keep of them) and renames the result to
 * PATH.1.gz. While PATH.1 is still being compressed the next rotation waits
 * (PATH grows past rotate_size meanwhile): writing never waits for gzip. If
 * compressing or installing fails, PATH.1 is compressed again at a rotation
 * due after a delay that doubles up to GZ_RETRY_MAX_MS: a failure that lasts
 * must not have the whole file compressed again and again.
 */
enum gz_state {
	GZ_IDLE,
	GZ_QUEUED, /* PATH.1 exists and waits for the compressor */
	GZ_RUNNING,
	GZ_FAILED, /* PATH.1 exists; retried at the first rotation after gz_retry_at */
};

struct file_sink {
	struct sw_fdbuf out;
	unsigned long long size; /* file size plus buffered bytes */
	dev_t dev; /* the file open now: a cut line is completed in it only */
	ino_t ino;
	bool rotating; /* rotation enabled (regular file and a size or interval) */
	struct timespec opened; /* CLOCK_MONOTONIC, for rotate_interval */
	struct timespec defer_until;
	bool rotate_failed; /* the last rotation failed (flush, rename, reopen): retried at defer_until */
	bool open_failed; /* the last open, made for a line with seq open_seq, failed with open_err */
	__u64 open_seq;
	int open_err;
	bool follow_failed; /* PATH went away and could not be opened again: retried at follow_at */
	struct timespec follow_at;
	struct file_sink *next_open; /* open_files */

	pthread_t gz_thread;
	pthread_mutex_t gz_lock; /* gz_state and the rotated file names */
	pthread_cond_t gz_cond;
	enum gz_state gz_state;
	bool gz_stop;
	long gz_backoff_ms; /* delay after the last failure, 0 after a success */
	struct timespec gz_retry_at; /* GZ_FAILED: CLOCK_MONOTONIC */
	char rot1[PATH_MAX + 8]; /* PATH.1 */
	char tmp[PATH_MAX + 16]; /* PATH.1.gz.tmp */
};

static void gz_name(const struct sw_sink *s, unsigned int i, char *buf, size_t size)
{
	snprintf(buf, size, "%s.%u.gz", s->spec.path, i);
}

/* Makes the renames in PATH's directory durable. */
static int sync_dir(const struct sw_sink *s)
{
	char dir[PATH_MAX];
	char *slash;
	int fd, err = 0;

	snprintf(dir, sizeof(dir), "%s", s->spec.path);
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd))
		err = -errno;
	close(fd);
	return err;
}

/*
 * Under gz_lock: PATH.N.gz -> PATH.N+1.gz, tmp -> PATH.1.gz, drop PATH.1.
 * PATH.1 goes only once its compressed copy is installed and on disk; if the
 * install fails, PATH.1 stays (to be compressed again) and -errno.
 */
static int gz_install(struct sw_sink *s, struct file_sink *f)
{
	char from[PATH_MAX + 16], to[PATH_MAX + 16], first[PATH_MAX + 16];
	struct stat st;
	unsigned int i;
	int err;

	gz_name(s, 1, first, sizeof(first));
	/* no PATH.1.gz (first rotation, or an install that failed): no shift, no gap */
	i = lstat(first, &st) ? 1 : s->opts.rotate_keep;
	for (; i > 1; i--) {
		gz_name(s, i - 1, from, sizeof(from));
		gz_name(s, i, to, sizeof(to));
		if (rename(from, to) && errno != ENOENT)
			sw_sink_count_error(s);
	}
	if (rename(f->tmp, first)) {
		err = -errno;
		unlink(f->tmp);
		return err;
	}
	if (sync_dir(s))
		sw_sink_count_error(s); /* PATH.1 stays: a crash must not lose it */
	else if (unlink(f->rot1))
		sw_sink_count_error(s);
	return 0;
}

static void *gz_thread(void *arg)
{
	struct sw_sink *s = arg;
	struct file_sink *f = s->priv;
	int err;

	/* raising one's own nice value needs no privilege; failure is harmless */
	setpriority(PRIO_PROCESS, syscall(SYS_gettid), GZ_NICE);
	pthread_mutex_lock(&f->gz_lock);
	for (;;) {
		while (f->gz_state != GZ_QUEUED && !f->gz_stop)
			pthread_cond_wait(&f->gz_cond, &f->gz_lock);
		if (f->gz_state != GZ_QUEUED)
			break;
		f->gz_state = GZ_RUNNING;
		pthread_mutex_unlock(&f->gz_lock);
		err = sw_gzip_file(f->rot1, f->tmp);
		pthread_mutex_lock(&f->gz_lock);
		if (!err)
			err = gz_install(s, f);
		if (err) {
			/* PATH.1 is still there: a later rotation retries, not renames over it */
			sw_sink_count_error(s);
			f->gz_backoff_ms = f->gz_backoff_ms ? f->gz_backoff_ms * 2 :
							      GZ_RETRY_MIN_MS;
			if (f->gz_backoff_ms > GZ_RETRY_MAX_MS)
				f->gz_backoff_ms = GZ_RETRY_MAX_MS;
			clock_gettime(CLOCK_MONOTONIC, &f->gz_retry_at);
			sw_timespec_add_ms(&f->gz_retry_at, f->gz_backoff_ms);
			f->gz_state = GZ_FAILED;
			continue;
		}
		f->gz_backoff_ms = 0;
		f->gz_state = GZ_IDLE;
	}
	pthread_mutex_unlock(&f->gz_lock);
	return NULL;
}

/*
 * A file an earlier run left ending mid-line (a disk full at its exit, a
 * crash): one newline, so that our first line is not glued to that tail
 * (which stays one broken line). Best effort: a file we cannot read back
 * is left as it is.
 */
static void end_foreign_line(const char *path, int fd, const struct stat *st)
{
	char last;
	int rfd;

	if (!S_ISREG(st->st_mode) || st->st_size <= 0)
		return;
	/* O_NONBLOCK: PATH may have become a FIFO since fd was opened */
	rfd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (rfd < 0)
		return;
	if (pread(rfd, &last, 1, st->st_size - 1) == 1 && last != '\n' && write(fd, "\n", 1) != 1)
		last = '\n'; /* nothing more to do about it */
	close(rfd);
}

/*
 * Opens PATH for writing. A FIFO with no reader blocks open(2) until one
 * comes. The first open (wait) may: it runs in the caller's thread before
 * anything is attached, like `cat > fifo`, and a signal interrupts it
 * (EINTR). A reopen on the writer thread must not: it cannot be cancelled
 * there (sw_sink_close() would wait forever), so O_NONBLOCK makes that
 * ENXIO, an ordinary open failure, retried at the next write. Once the file
 * is open, a FIFO keeps (or gets) O_NONBLOCK, on a file description that is
 * ours alone: the writer waits for its reader in poll(2), where cancelling
 * it loses no count (SW_FD_NONBLOCK). Anything else is written blocking.
 */
static int open_path(const char *path, bool wait)
{
	struct stat st;
	int fd, fl, err;

	fd = open(path, FILE_FLAGS | (wait ? 0 : O_NONBLOCK), FILE_MODE);
	if (fd < 0)
		return -errno;
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fl = !fstat(fd, &st) && S_ISFIFO(st.st_mode) ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	if (fl < 0 || fcntl(fd, F_SETFL, fl)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/*
 * The file sinks of this process, and the file each has open (dev, ino):
 * under open_files_lock, which also guards every file_sink's dev and ino
 * while it is listed.
 */
static pthread_mutex_t open_files_lock = PTHREAD_MUTEX_INITIALIZER;
static struct file_sink *open_files;

static void set_file(struct file_sink *f, const struct stat *st)
{
	pthread_mutex_lock(&open_files_lock);
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	pthread_mutex_unlock(&open_files_lock);
}

static void list_open(struct file_sink *f, bool add)
{
	struct file_sink **p;

	pthread_mutex_lock(&open_files_lock);
	if (add) {
		f->next_open = open_files;
		open_files = f;
	} else {
		for (p = &open_files; *p; p = &(*p)->next_open) {
			if (*p == f) {
				*p = f->next_open;
				break;
			}
		}
	}
	pthread_mutex_unlock(&open_files_lock);
}

/* Whether a file sink of this process has this file open. */
static bool open_here(const struct stat *st)
{
	struct file_sink *f;
	bool found = false;

	pthread_mutex_lock(&open_files_lock);
	for (f = open_files; f && !found; f = f->next_open)
		found = f->dev == st->st_dev && f->ino == st->st_ino;
	pthread_mutex_unlock(&open_files_lock);
	return found;
}

/*
 * One writer per file: a second sockwatch rotating the same PATH renames,
 * compresses and removes the file the first one is still writing, and the
 * records both count as written go missing. Each regular file opened as
 * PATH (at the start, at a rotation, at SIGHUP) is locked with
 * flock(LOCK_EX | LOCK_NB), and -EBUSY if another process holds it; the
 * lock goes with the descriptor, so a rotated file's goes when it is
 * closed. flock() also refuses a second descriptor of this process: one
 * file given twice to `sockwatch events` (a hard link, a symlinked
 * directory) is not refused here but by its check by device and inode,
 * which names both outputs. A file system that cannot lock is written
 * unlocked.
 */
static int lock_file(int fd, const struct stat *st)
{
	if (!S_ISREG(st->st_mode) || !flock(fd, LOCK_EX | LOCK_NB))
		return 0;
	if (errno != EWOULDBLOCK)
		return 0;
	return open_here(st) ? 0 : -EBUSY;
}

/*
 * (Re)opens PATH. *lost (if not NULL): whether the rest of a cut line was
 * dropped because PATH is now another file (counted as lost).
 */
static int file_reopen_fd(struct sw_sink *s, struct file_sink *f, bool wait, bool *lost)
{
	struct stat st;
	bool dropped = false;
	int fd, err;

	fd = open_path(s->spec.path, wait);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st))
		memset(&st, 0, sizeof(st));
	/* before a byte is written to it (end_foreign_line() writes one) */
	err = lock_file(fd, &st);
	if (err) {
		close(fd);
		return err;
	}
	if (f->out.fd >= 0)
		close(f->out.fd);
	f->out.fd = fd;
	f->out.kind = S_ISFIFO(st.st_mode) ? SW_FD_NONBLOCK : SW_FD_BLOCKING;
	/* the rest of a cut line belongs to the file that has its head */
	if (f->out.cut && (st.st_dev != f->dev || st.st_ino != f->ino || !st.st_ino))
		dropped = sw_fdbuf_discard(s, &f->out);
	if (lost)
		*lost = dropped;
	if (!f->out.cut) {
		end_foreign_line(s->spec.path, fd, &st);
		if (fstat(fd, &st))
			memset(&st, 0, sizeof(st));
	}
	set_file(f, &st);
	f->size = st.st_size + f->out.len;
	return 0;
}

/* After a failed write, believe the file system about the size. */
static void resync_size(struct file_sink *f)
{
	struct stat st;

	if (f->out.fd >= 0 && !fstat(f->out.fd, &st))
		f->size = st.st_size + f->out.len;
}

/*
 * With rotation on, PATH is sockwatch's own name: a PATH deleted, moved
 * away or replaced by another file is noticed before lines are written
 * (each flush, and before a rotation), and PATH is opened, or created,
 * again instead of writing on into a file that nobody reads or renaming a
 * file that is not ours: counted in reconnects. Lines written to a deleted
 * file between its deletion and this check are gone with it (counted as
 * written: no one can tell them from the lines written before it). Without
 * rotation PATH is left to whoever renamed it, who sends SIGHUP (logrotate's
 * create mode).
 *
 * If PATH cannot be opened again, a file that was moved (it still has a
 * name) is written on, and PATH is tried again FOLLOW_RETRY_MS later; a
 * deleted one is closed and its buffered lines dropped, and then PATH is
 * tried at each record as after a failed SIGHUP reopen (file_write()).
 * Returns 0 when the file open is still PATH or stays open, 1 when another
 * file is open now, -ERESTART when lines were lost on the way or no file is
 * open any more: the record at hand is written again, after its lost
 * record.
 */
static int follow_path(struct sw_sink *s, struct file_sink *f)
{
	struct timespec now;
	struct stat st;
	bool lost;
	int err;

	if (!f->rotating || f->out.fd < 0)
		return 0;
	if (!lstat(s->spec.path, &st)) {
		if (st.st_dev == f->dev && st.st_ino == f->ino)
			return 0;
	} else if (errno != ENOENT && errno != ENOTDIR) {
		return 0; /* nothing known (EACCES, ENOMEM): the file open stays */
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (f->follow_failed && sw_timespec_before(&now, &f->follow_at))
		return 0;
	err = file_reopen_fd(s, f, false, &lost);
	if (!err) {
		f->follow_failed = false;
		f->rotate_failed = false;
		f->opened = now; /* a new file: its rotation interval starts now */
		atomic_fetch_add(&s->reconnects, 1);
		return lost ? -ERESTART : 1;
	}
	sw_sink_count_error(s);
	if (!fstat(f->out.fd, &st) && st.st_nlink) {
		f->follow_failed = true;
		f->follow_at = now;
		sw_timespec_add_ms(&f->follow_at, FOLLOW_RETRY_MS);
		return 0;
	}
	sw_fdbuf_discard(s, &f->out);
	close(f->out.fd);
	f->out.fd = -1;
	f->follow_failed = false;
	return -ERESTART;
}

static void defer_rotation(struct file_sink *f, const struct timespec *now)
{
	f->defer_until = *now;
	sw_timespec_add_ms(&f->defer_until, DEFER_MS);
}

/*
 * Rotates PATH before a line of need bytes (0: the interval is up). Put off
 * while the last rotation compresses, and after a rotation that failed (a
 * write, the rename or the reopen): not tried again before defer_until, or
 * every record (size) or every wake-up (interval) would pay for another
 * attempt. The file grows meanwhile. -ERESTART if lines were lost before it
 * (the flush, or a PATH that went away: follow_path()).
 */
static int rotate(struct sw_sink *s, struct file_sink *f, size_t need)
{
	struct timespec now;
	bool lost;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (f->out.fd < 0)
		return 0; /* reopened at the next record first */
	if (f->rotate_failed && sw_timespec_before(&now, &f->defer_until))
		return 0;
	pthread_mutex_lock(&f->gz_lock);
	if (f->gz_state != GZ_IDLE) {
		if (f->gz_state == GZ_FAILED && !sw_timespec_before(&now, &f->gz_retry_at)) {
			f->gz_state = GZ_QUEUED;
			pthread_cond_signal(&f->gz_cond);
		}
		/* no busy loop while gzip runs */
		defer_rotation(f, &now);
		pthread_mutex_unlock(&f->gz_lock);
		return 0;
	}
	pthread_mutex_unlock(&f->gz_lock); /* only this thread leaves GZ_IDLE */

	/* PATH deleted, moved or replaced: what is open now is not the file to rename */
	err = follow_path(s, f);
	if (err || f->follow_failed)
		return err < 0 ? err : 0;
	/*
	 * The size counted is what was written, but PATH may have been
	 * truncated since (logrotate's copytruncate): believe the file
	 * system before renaming a file that is nearly empty.
	 */
	resync_size(f);
	if (need ? !f->size || f->size + need <= s->opts.rotate_size : !f->size) {
		if (!need)
			f->opened = now; /* nothing to rotate: an empty file stays */
		return 0;
	}

	/*
	 * A file whose last lines could not be written (disk full) is not
	 * rotated: a line cut there is completed in it once there is room.
	 */
	if (sw_fdbuf_flush(s, &f->out, &lost)) {
		resync_size(f);
		err = lost ? -ERESTART : 0;
		goto failed;
	}
	err = 0;
	if (rename(s->spec.path, f->rot1)) {
		sw_sink_count_error(s); /* PATH.1 is in the way (a directory, say) */
		goto failed;
	}
	if (file_reopen_fd(s, f, false, NULL)) {
		/*
		 * Keep writing to the old file under its old name, unless
		 * another writer has created PATH meanwhile: never renamed
		 * over (follow_path() sees then that PATH is not ours).
		 */
		sw_sink_count_error(s);
		renameat2(AT_FDCWD, f->rot1, AT_FDCWD, s->spec.path, RENAME_NOREPLACE);
		goto failed;
	}
	f->rotate_failed = false;
	f->opened = now;
	pthread_mutex_lock(&f->gz_lock);
	f->gz_state = GZ_QUEUED;
	pthread_cond_signal(&f->gz_cond);
	pthread_mutex_unlock(&f->gz_lock);
	atomic_fetch_add(&s->rotations, 1);
	return 0;

failed:
	f->rotate_failed = true;
	defer_rotation(f, &now);
	return err;
}

static int file_write(struct sw_sink *s, const struct sw_record *r, const char *line, size_t len)
{
	struct file_sink *f = s->priv;
	bool lost;
	int err;

	if (f->out.fd < 0) {
		/*
		 * One open attempt, and error, per record: a lost record goes
		 * out with the seq of the record after it, and when the open
		 * failed for it that record is dropped without trying again.
		 */
		if (f->open_failed && f->open_seq == r->seq) {
			sw_sink_count_unwritten(s, r);
			return f->open_err;
		}
		err = file_reopen_fd(s, f, false, &lost);
		f->open_failed = err;
		if (err) {
			f->open_seq = r->seq;
			f->open_err = err;
			sw_sink_count_error(s);
			sw_sink_count_unwritten(s, r);
			return err;
		}
		/* the rest of a cut line was dropped: its lost record goes before r */
		if (lost)
			return -ERESTART;
	}
	if (f->rotating && s->opts.rotate_size && f->size &&
	    f->size + len + 1 > s->opts.rotate_size) {
		err = rotate(s, f, len + 1);
		if (err)
			return err;
	}
	/* the buffer is full: sw_fdbuf_add() writes it first, to PATH if that is still the file */
	if (f->out.len + len + 1 > sizeof(f->out.buf) || f->out.lines == SW_FDBUF_LINES) {
		err = follow_path(s, f);
		if (err < 0)
			return err;
	}
	err = sw_fdbuf_add(s, &f->out, r, line, len);
	if (err) {
		resync_size(f);
		return err;
	}
	f->size += len + 1;
	return 0;
}

static void file_flush(struct sw_sink *s)
{
	struct file_sink *f = s->priv;

	if (f->out.len)
		follow_path(s, f); /* what it lost goes before the next line */
	if (sw_fdbuf_flush(s, &f->out, NULL))
		resync_size(f);
}

static bool file_deadline(struct sw_sink *s, struct timespec *when)
{
	struct file_sink *f = s->priv;

	if (!f->rotating || !s->opts.rotate_interval)
		return false;
	*when = f->opened;
	when->tv_sec += s->opts.rotate_interval;
	if (sw_timespec_before(when, &f->defer_until))
		*when = f->defer_until;
	return true;
}

static void file_tick(struct sw_sink *s)
{
	struct file_sink *f = s->priv;
	struct timespec due, now;

	if (!file_deadline(s, &due))
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (sw_timespec_before(&now, &due))
		return;
	if (!f->size)
		f->opened = now; /* nothing to rotate: an empty file stays */
	else
		rotate(s, f, 0);
}

static void file_reopen(struct sw_sink *s)
{
	struct file_sink *f = s->priv;

	sw_fdbuf_flush(s, &f->out, NULL);
	if (f->out.fd >= 0)
		close(f->out.fd);
	f->out.fd = -1;
	if (file_reopen_fd(s, f, false, NULL))
		sw_sink_count_error(s); /* retried at the next write */
}

static int file_open(struct sw_sink *s)
{
	struct file_sink *f;
	struct stat st;
	int err;

	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->out.fd = -1;
	s->priv = f;
	err = file_reopen_fd(s, f, true, NULL);
	if (err)
		goto out_free;
	list_open(f, true);
	clock_gettime(CLOCK_MONOTONIC, &f->opened);
	fstat(f->out.fd, &st);
	f->rotating = S_ISREG(st.st_mode) && (s->opts.rotate_size || s->opts.rotate_interval);
	if (!f->rotating)
		return 0;

	snprintf(f->rot1, sizeof(f->rot1), "%s.1", s->spec.path);
	snprintf(f->tmp, sizeof(f->tmp), "%s.1.gz.tmp", s->spec.path);
	/* PATH.1 left by a run that stopped before compressing it */
	if (!lstat(f->rot1, &st) && S_ISREG(st.st_mode))
		f->gz_state = GZ_QUEUED;
	pthread_mutex_init(&f->gz_lock, NULL);
	pthread_cond_init(&f->gz_cond, NULL);
	err = -pthread_create(&f->gz_thread, NULL, gz_thread, s);
	if (err)
		goto out_close;
	return 0;

out_close:
	pthread_cond_destroy(&f->gz_cond);
	pthread_mutex_destroy(&f->gz_lock);
	list_open(f, false);
	close(f->out.fd);
out_free:
	free(f);
	s->priv = NULL;
	return err;
}

static void file_close(struct sw_sink *s)
{
	struct file_sink *f = s->priv;

	/*
	 * The writer has flushed, unless it was cancelled in write(2) on a
	 * stalled FIFO: never write from here, count what is left as lost.
	 */
	sw_fdbuf_discard(s, &f->out);
	list_open(f, false);
	if (f->out.fd >= 0)
		close(f->out.fd);
	if (f->rotating) {
		/* the compressor finishes what is queued, then stops */
		pthread_mutex_lock(&f->gz_lock);
		f->gz_stop = true;
		pthread_cond_signal(&f->gz_cond);
		pthread_mutex_unlock(&f->gz_lock);
		pthread_join(f->gz_thread, NULL);
		pthread_cond_destroy(&f->gz_cond);
		pthread_mutex_destroy(&f->gz_lock);
	}
	free(f);
	s->priv = NULL;
}

const struct sw_sink_ops sw_sink_file_ops = {
	.open = file_open,
	.write = file_write,
	.flush = file_flush,
	.reopen = file_reopen,
	.tick = file_tick,
	.deadline = file_deadline,
	.close = file_close,
};
