// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Name lookups for the syslog sinks that a stop does not wait for: getaddrinfo() on a thread. */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "sink_int.h"

#define POLL_MS 50 /* how often a waiting writer looks whether it must give up */

/*
 * One lookup, shared by the writer waiting for it and the thread doing it;
 * whichever of the two is done last frees it. A writer that gives up leaves
 * it to the thread, which finishes whenever the resolver returns.
 */
struct lookup {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* CLOCK_MONOTONIC */
	int refs;
	bool done;
	int rc;
	struct addrinfo *res;
	struct addrinfo hints;
	char *host;
	char *port;
};

static void lookup_put(struct lookup *l)
{
	bool last;

	pthread_mutex_lock(&l->lock);
	last = !--l->refs;
	pthread_mutex_unlock(&l->lock);
	if (!last)
		return;
	if (l->res)
		freeaddrinfo(l->res);
	pthread_cond_destroy(&l->cond);
	pthread_mutex_destroy(&l->lock);
	free(l->host);
	free(l->port);
	free(l);
}

static void *lookup_run(void *arg)
{
	struct lookup *l = arg;
	struct addrinfo *res = NULL;
	int rc;

	rc = getaddrinfo(l->host, l->port, &l->hints, &res);
	pthread_mutex_lock(&l->lock);
	l->rc = rc;
	l->res = rc ? NULL : res;
	l->done = true;
	pthread_cond_signal(&l->cond);
	pthread_mutex_unlock(&l->lock);
	lookup_put(l);
	return NULL;
}

static struct lookup *lookup_new(const char *host, const char *port, const struct addrinfo *hints)
{
	struct lookup *l = calloc(1, sizeof(*l));
	pthread_condattr_t ca;

	if (!l)
		return NULL;
	l->host = strdup(host);
	l->port = strdup(port);
	if (!l->host || !l->port) {
		free(l->host);
		free(l->port);
		free(l);
		return NULL;
	}
	l->hints = *hints;
	l->refs = 2;
	pthread_mutex_init(&l->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&l->cond, &ca);
	pthread_condattr_destroy(&ca);
	return l;
}

int sw_sink_resolve(struct sw_sink *s, const char *host, const char *port,
		    const struct addrinfo *hints, struct addrinfo **res)
{
	struct addrinfo numeric = *hints;
	struct timespec until;
	pthread_attr_t attr;
	struct lookup *l;
	pthread_t t;
	int rc;

	/* an address needs no resolver: no thread */
	numeric.ai_flags |= AI_NUMERICHOST;
	rc = getaddrinfo(host, port, &numeric, res);
	if (rc != EAI_NONAME)
		return rc ? -EHOSTUNREACH : 0;

	l = lookup_new(host, port, hints);
	if (!l)
		return -ENOMEM;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, lookup_run, l);
	pthread_attr_destroy(&attr);
	if (rc) {
		l->refs = 1;
		lookup_put(l);
		return -rc;
	}
	pthread_mutex_lock(&l->lock);
	while (!l->done && !sw_sink_giving_up(s)) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		sw_timespec_add_ms(&until, POLL_MS);
		pthread_cond_timedwait(&l->cond, &l->lock, &until);
	}
	if (l->done) {
		rc = l->rc ? -EHOSTUNREACH : 0;
		*res = l->res;
		l->res = NULL; /* the caller's now */
	} else {
		rc = -ETIMEDOUT; /* the thread finishes alone */
	}
	pthread_mutex_unlock(&l->lock);
	lookup_put(l);
	return rc;
}
