// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Socket ids for output: the cookie, or a keyed hash in place of a kernel address. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

#include "sockid.h"
#include "sockwatch.h"

static __u64 rotl(__u64 x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static __u64 load_le64(const __u8 *p)
{
	__u64 v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

#define SIPROUND(v0, v1, v2, v3)   \
	do {                       \
		v0 += v1;          \
		v1 = rotl(v1, 13); \
		v1 ^= v0;          \
		v0 = rotl(v0, 32); \
		v2 += v3;          \
		v3 = rotl(v3, 16); \
		v3 ^= v2;          \
		v0 += v3;          \
		v3 = rotl(v3, 21); \
		v3 ^= v0;          \
		v2 += v1;          \
		v1 = rotl(v1, 17); \
		v1 ^= v2;          \
		v2 = rotl(v2, 32); \
	} while (0)

__u64 sw_siphash24(const __u8 key[16], const void *msg, size_t len)
{
	const __u8 *m = msg;
	__u64 k0 = load_le64(key), k1 = load_le64(key + 8);
	__u64 v0 = k0 ^ 0x736f6d6570736575ULL, v1 = k1 ^ 0x646f72616e646f6dULL;
	__u64 v2 = k0 ^ 0x6c7967656e657261ULL, v3 = k1 ^ 0x7465646279746573ULL;
	__u64 b = (__u64)len << 56, w;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		w = load_le64(m + i);
		v3 ^= w;
		SIPROUND(v0, v1, v2, v3);
		SIPROUND(v0, v1, v2, v3);
		v0 ^= w;
	}
	for (size_t j = 0; i + j < len; j++)
		b |= (__u64)m[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	for (int r = 0; r < 4; r++)
		SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

static __u8 hash_key[16];
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

/*
 * getrandom(2) (3.17), else /dev/urandom; failing both (no /dev in a
 * container, say) the clock and pid, which still keep the address out of
 * sight though they are guessable.
 */
static void key_init(void)
{
	size_t got = 0;
	ssize_t n;
	int fd;

	while (got < sizeof(hash_key)) {
		n = getrandom(hash_key + got, sizeof(hash_key) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	if (got == sizeof(hash_key))
		return;
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, hash_key, sizeof(hash_key));
		close(fd);
		if (n == (ssize_t)sizeof(hash_key))
			return;
	}
	struct timespec ts;
	__u64 seed[2];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	seed[0] = (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	seed[1] = ((__u64)getpid() << 32) ^ (__u64)(unsigned long)&ts;
	memcpy(hash_key, seed, sizeof(hash_key));
}

__u64 sw_sockid_of_addr(__u64 addr, __u64 birth_ns)
{
	__u8 msg[16];

	pthread_once(&key_once, key_init);
	for (int i = 0; i < 8; i++) {
		msg[i] = addr >> (8 * i);
		msg[8 + i] = birth_ns >> (8 * i);
	}
	return sw_siphash24(hash_key, msg, sizeof(msg));
}

__u64 sw_event_sockid(const struct sw_event *e)
{
	if (!(e->flags & SW_F_KEY_IS_PTR) || !e->cookie)
		return e->cookie;
	return sw_sockid_of_addr(e->cookie, e->birth_ns);
}
