// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Fuzz target: output specs (-o/--output). Any string is accepted or refused
 * with a one-line reason that is safe for a terminal; an accepted one has a known type and a
 * NUL-terminated path or host, and parses again to the same result.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fuzz.h"
#include "sink_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sw_sink_spec a, b;
	char *spec = malloc(size + 1), err[512];
	const char *why = 0;
	size_t at = 0;
	int rc;

	if (!spec)
		abort();
	memcpy(spec, data, size);
	spec[size] = '\0';
	memset(&a, 0x55, sizeof(a));
	err[0] = '\0';
	rc = sw_sink_spec_parse(spec, &a, err, sizeof(err));
	if (rc < 0) {
		if (rc != -EINVAL || !err[0])
			fz_fail("sink spec", "a refusal without -EINVAL and a reason", err,
				strlen(err), 0);
		if (!fz_term_safe(err, strlen(err), &why, &at))
			fz_fail("sink spec reason", why, err, strlen(err), at);
	} else {
		if (!memchr(a.path, 0, sizeof(a.path)) || !memchr(a.host, 0, sizeof(a.host)))
			fz_fail("sink spec", "path or host not terminated", spec, size, 0);
		memset(&b, 0x55, sizeof(b));
		if (sw_sink_spec_parse(spec, &b, err, sizeof(err)) < 0 || a.type != b.type ||
		    a.port != b.port || strcmp(a.path, b.path) || strcmp(a.host, b.host))
			fz_fail("sink spec", "the same spec parses differently", spec, size, 0);
	}
	free(spec);
	return 0;
}
