// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A fixed set of sinks fed together: the -o options of one run. */
#include <errno.h>

#include "sink.h"

int sw_sink_set_open(struct sw_sink_set *set, const char *spec, const struct sw_sink_opts *o)
{
	int err;

	if (set->n >= SW_SINK_SET_MAX)
		return -E2BIG;
	err = sw_sink_open(spec, o, &set->sinks[set->n]);
	if (err)
		return err;
	set->n++;
	return 0;
}

unsigned int sw_sink_set_submit(struct sw_sink_set *set, const struct sw_record *r)
{
	unsigned int i, dropped = 0;

	for (i = 0; i < set->n; i++)
		if (sw_sink_submit(set->sinks[i], r))
			dropped++;
	return dropped;
}

void sw_sink_set_kick(struct sw_sink_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		sw_sink_kick(set->sinks[i]);
}

void sw_sink_set_reopen(struct sw_sink_set *set)
{
	unsigned int i;

	for (i = 0; i < set->n; i++)
		sw_sink_reopen(set->sinks[i]);
}

int sw_sink_set_close(struct sw_sink_set *set)
{
	unsigned int i;
	int err, ret = 0;

	for (i = 0; i < set->n; i++) {
		err = sw_sink_close(set->sinks[i]);
		if (err && !ret)
			ret = err;
		set->sinks[i] = NULL;
	}
	set->n = 0;
	return ret;
}
