// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Gzip compression of a rotated file with zlib (the result is readable by zcat). */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include "sink_int.h"

int sw_gzip_file(const char *src, const char *dst)
{
	char buf[65536];
	int in, out, keep, err = 0;
	ssize_t n;
	gzFile gz;

	in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return -errno;
	unlink(dst); /* a partial result of an earlier, interrupted run */
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (out < 0) {
		err = -errno;
		goto out_in;
	}
	/* gzclose() closes out: keep a descriptor to fsync the result with */
	keep = fcntl(out, F_DUPFD_CLOEXEC, 0);
	gz = keep < 0 ? NULL : gzdopen(out, "wb6");
	if (!gz) {
		err = keep < 0 ? -errno : -ENOMEM;
		close(out);
		goto out_keep;
	}
	for (;;) {
		n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		if (gzwrite(gz, buf, n) != n) {
			err = -EIO;
			break;
		}
	}
	if (gzclose(gz) != Z_OK && !err) /* closes out */
		err = -EIO;
	/* on disk before the caller removes src */
	if (!err && fsync(keep))
		err = -errno;
out_keep:
	if (keep >= 0)
		close(keep);
	if (err)
		unlink(dst);
out_in:
	close(in);
	return err;
}
