// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Loader of the tpcount oracle. */
#include <errno.h>
#include <stdlib.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tpcount.h"
#include "tpcount.skel.h"

#define TPC_STATES 16

struct tpcount {
	struct tpcount_bpf *skel;
};

int tpcount_open(__u32 netns, struct tpcount **out)
{
	struct tpcount *t = calloc(1, sizeof(*t));
	int e;

	if (!t)
		return -ENOMEM;
	t->skel = tpcount_bpf__open();
	if (!t->skel) {
		e = -errno;
		goto fail;
	}
	t->skel->rodata->netns = netns;
	e = tpcount_bpf__load(t->skel);
	if (!e)
		e = tpcount_bpf__attach(t->skel);
	if (e) {
		e = e < 0 ? e : -e;
		goto fail;
	}
	*out = t;
	return 0;
fail:
	tpcount_bpf__destroy(t->skel);
	free(t);
	return e ? e : -EINVAL;
}

__u64 tpcount_get(const struct tpcount *t, int oldstate, int newstate)
{
	__u64 n = 0;

	for (int o = 0; o < TPC_STATES; o++)
		for (int s = 0; s < TPC_STATES; s++)
			if ((oldstate < 0 || o == oldstate) && (newstate < 0 || s == newstate))
				n += __atomic_load_n(&t->skel->bss->counts[o * TPC_STATES + s],
						     __ATOMIC_RELAXED);
	return n;
}

__u64 tpcount_misses(const struct tpcount *t)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(bpf_program__fd(t->skel->progs.tpcount), &info, &len))
		return 0;
	return info.recursion_misses;
}

void tpcount_span(const struct tpcount *t, __u64 *first, __u64 *last)
{
	*first = t->skel->bss->first_ns;
	*last = t->skel->bss->last_ns;
}

void tpcount_close(struct tpcount *t)
{
	if (!t)
		return;
	tpcount_bpf__destroy(t->skel);
	free(t);
}
