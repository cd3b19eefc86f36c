/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Reading a fuzz input as a stream of fields: what is past its end reads as zeros. */
#ifndef SW_FUZZ_H
#define SW_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <linux/types.h>

#include "sockwatch.h"

struct fz_in {
	const uint8_t *p;
	size_t n;
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void fz_take(struct fz_in *in, void *out, size_t len)
{
	size_t k = len < in->n ? len : in->n;

	memcpy(out, in->p, k);
	memset((char *)out + k, 0, len - k);
	in->p += k;
	in->n -= k;
}

static inline uint8_t fz_u8(struct fz_in *in)
{
	uint8_t v;

	fz_take(in, &v, sizeof(v));
	return v;
}

static inline uint16_t fz_u16(struct fz_in *in)
{
	uint16_t v;

	fz_take(in, &v, sizeof(v));
	return v;
}

static inline uint32_t fz_u32(struct fz_in *in)
{
	uint32_t v;

	fz_take(in, &v, sizeof(v));
	return v;
}

static inline uint64_t fz_u64(struct fz_in *in)
{
	uint64_t v;

	fz_take(in, &v, sizeof(v));
	return v;
}

/*
 * A string of up to size - 1 bytes (any but NUL): its length (16 bits, modulo
 * size) comes first, then its bytes. Always NUL-terminated; returns its length.
 */
static inline size_t fz_cstr(struct fz_in *in, char *out, size_t size)
{
	size_t len = fz_u16(in) % size;

	if (len > in->n)
		len = in->n;
	memcpy(out, in->p, len);
	out[len] = '\0';
	in->p += len;
	in->n -= len;
	return strlen(out);
}

/* Makes a kernel record from any bytes one that sw_event_decode() accepts. */
static inline void fz_fix_event(struct sw_event *e)
{
	e->kind = 1 + e->kind % (SW_EV_KIND_MAX - 1);
	e->family = e->family & 1 ? SW_AF_INET6 : SW_AF_INET;
	e->oldstate %= SW_TCP_STATE_MAX;
	e->newstate %= SW_TCP_STATE_MAX;
	e->comm[SW_COMM_LEN - 1] = '\0';
}

#endif /* SW_FUZZ_H */
