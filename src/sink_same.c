// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Whether two -o outputs of one run are one destination (docs/sinks.md, "One output, once"). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sink_int.h"

static bool spec_is_stdout(const char *spec)
{
	return !strcmp(spec, "stdout") || !strcmp(spec, "-");
}

static const char *file_path(const char *spec)
{
	return strncmp(spec, "file:", 5) ? NULL : spec + 5;
}

/* Appends the n bytes at s to out (len bytes used of size); -ENAMETOOLONG if they do not fit. */
static int append(char *out, size_t size, size_t *len, const char *s, size_t n)
{
	if (*len + n >= size)
		return -ENAMETOOLONG;
	memcpy(out + *len, s, n);
	*len += n;
	out[*len] = '\0';
	return 0;
}

/*
 * path made absolute (relative to the working directory, if that can be
 * read), without "." components and repeated or trailing '/'. ".." is kept:
 * after a symlink it is not the lexical parent.
 */
static int normalise(const char *path, char *out, size_t size)
{
	char cwd[PATH_MAX];
	const char *p = path, *end;
	size_t len = 0;
	int err = 0;

	out[0] = '\0';
	if (*path != '/' && getcwd(cwd, sizeof(cwd)))
		err = normalise(cwd, out, size);
	else if (*path == '/')
		err = append(out, size, &len, "/", 1);
	len = strlen(out);
	while (!err && *p) {
		end = strchrnul(p, '/');
		if (end - p && !(end - p == 1 && *p == '.')) {
			if (len && out[len - 1] != '/')
				err = append(out, size, &len, "/", 1);
			if (!err)
				err = append(out, size, &len, p, end - p);
		}
		p = *end ? end + 1 : end;
	}
	return err;
}

/* The same output by name (see sw_sink_specs_clash()). */
static bool same_spec(const char *a, const char *b)
{
	char na[PATH_MAX], nb[PATH_MAX];
	const char *pa = file_path(a), *pb = file_path(b);

	if (!strcmp(a, b) || (spec_is_stdout(a) && spec_is_stdout(b)))
		return true;
	if (!pa || !pb || normalise(pa, na, sizeof(na)) || normalise(pb, nb, sizeof(nb)))
		return false;
	return !strcmp(na, nb);
}

/* The file spec writes to now: stdout's, or a file: output's if it exists. */
static int spec_file(const char *spec, struct stat *st)
{
	const char *path = file_path(spec);

	if (spec_is_stdout(spec))
		return fstat(STDOUT_FILENO, st) ? -errno : 0;
	if (path)
		return stat(path, st) ? -errno : 0;
	return -ENOENT;
}

bool sw_sink_specs_clash(const char *const *specs, unsigned int n, bool by_file,
			 unsigned int *earlier, unsigned int *later)
{
	struct stat *st = NULL;
	bool *have = NULL, found = false;
	unsigned int i, j;

	if (by_file) {
		st = calloc(n ? n : 1, sizeof(*st));
		have = calloc(n ? n : 1, sizeof(*have));
		/* out of memory: the check by name still runs */
		for (i = 0; st && have && i < n; i++)
			have[i] = !spec_file(specs[i], &st[i]);
	}
	for (j = 1; j < n && !found; j++) {
		for (i = 0; i < j && !found; i++) {
			found = same_spec(specs[i], specs[j]) ||
				(have && have[i] && have[j] && st[i].st_dev == st[j].st_dev &&
				 st[i].st_ino == st[j].st_ino);
			if (found) {
				*earlier = i;
				*later = j;
			}
		}
	}
	free(st);
	free(have);
	return found;
}
