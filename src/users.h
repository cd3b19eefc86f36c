/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* uid to user-name lookups with a small thread-safe cache. */
#ifndef SW_USERS_H
#define SW_USERS_H

#include <stddef.h>
#include <linux/types.h>

/* Writes the user name of uid into buf; the decimal uid if it has no name. Returns its length. */
size_t sw_user_name(__u32 uid, char *buf, size_t size);

#endif /* SW_USERS_H */
