// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The snapshot's owner records indexed by socket key: every holder of a socket in one look-up. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "snapowners.h"

static int cmp_u32(__u32 a, __u32 b)
{
	return a < b ? -1 : a > b;
}

static int cmp_ent(const void *pa, const void *pb)
{
	const struct sw_snapowners_ent *a = pa, *b = pb;

	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	if (a->o->pid != b->o->pid)
		return cmp_u32(a->o->pid, b->o->pid);
	return cmp_u32(a->o->fd, b->o->fd);
}

int sw_snapowners_build(struct sw_snapowners *ix, const struct sw_snap_owner *owners, size_t n,
			bool by_ptr)
{
	memset(ix, 0, sizeof(*ix));
	ix->v = malloc((n ? n : 1) * sizeof(*ix->v));
	if (!ix->v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		ix->v[i].key = by_ptr ? owners[i].skptr : owners[i].cookie;
		ix->v[i].o = &owners[i];
	}
	ix->n = n;
	qsort(ix->v, n, sizeof(*ix->v), cmp_ent);
	return 0;
}

void sw_snapowners_free(struct sw_snapowners *ix)
{
	free(ix->v);
	memset(ix, 0, sizeof(*ix));
}

size_t sw_snapowners_find(const struct sw_snapowners *ix, __u64 key,
			  const struct sw_snapowners_ent **first)
{
	size_t lo = 0, hi = ix->n, end;

	/* The first entry not below key, then the run of equal ones. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ix->v[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < ix->n && ix->v[end].key == key; end++)
		;
	*first = end > lo ? &ix->v[lo] : NULL;
	return end - lo;
}
