// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* uid to user-name lookups with a small thread-safe cache. */
#include <pthread.h>
#include <stdbool.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "users.h"

#define CACHE_SLOTS 64
#define NAME_MAX_LEN 64

static struct {
	pthread_mutex_t lock;
	struct {
		__u32 uid;
		int used;
		char name[NAME_MAX_LEN];
	} slot[CACHE_SLOTS];
} cache = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* The last answer on this thread, read without the lock: one user makes most events. */
static _Thread_local struct {
	bool used;
	__u32 uid;
	size_t len;
	char name[NAME_MAX_LEN];
} last;

static void remember(__u32 uid, const char *name)
{
	size_t len = strlen(name);

	if (len >= NAME_MAX_LEN)
		return;
	memcpy(last.name, name, len + 1);
	last.len = len;
	last.uid = uid;
	last.used = true;
}

/*
 * sw_user_name() past this thread's last answer: the shared cache, then the
 * user database. The whole name is cached, whatever buf can take.
 */
static __attribute__((noinline)) size_t lookup(__u32 uid, char *buf, size_t size)
{
	unsigned int i = uid % CACHE_SLOTS;
	struct passwd pw, *res = NULL;
	char tmp[1024], name[NAME_MAX_LEN];
	bool hit;

	pthread_mutex_lock(&cache.lock);
	hit = cache.slot[i].used && cache.slot[i].uid == uid;
	if (hit)
		memcpy(name, cache.slot[i].name, sizeof(name));
	pthread_mutex_unlock(&cache.lock);

	if (!hit) {
		if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) || !res ||
		    strlen(res->pw_name) >= NAME_MAX_LEN)
			snprintf(name, sizeof(name), "%u", uid);
		else
			snprintf(name, sizeof(name), "%s", res->pw_name);
		pthread_mutex_lock(&cache.lock);
		cache.slot[i].uid = uid;
		cache.slot[i].used = 1;
		memcpy(cache.slot[i].name, name, sizeof(name));
		pthread_mutex_unlock(&cache.lock);
	}
	remember(uid, name);
	snprintf(buf, size, "%s", name);
	return size ? strlen(buf) : 0;
}

size_t sw_user_name(__u32 uid, char *buf, size_t size)
{
	if (!last.used || last.uid != uid || last.len >= size)
		return lookup(uid, buf, size);
	/* the whole entry when buf can take it: a fixed-size copy, no memcpy call */
	if (size >= sizeof(last.name))
		memcpy(buf, last.name, sizeof(last.name));
	else
		memcpy(buf, last.name, last.len + 1);
	return last.len;
}
