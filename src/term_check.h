/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Whether the terminal can carry the live view, asked before anything is attached. */
#ifndef SW_TERM_CHECK_H
#define SW_TERM_CHECK_H

#include <stddef.h>

/*
 * Whether the live view can draw on this terminal (stdout): TERM set, a type
 * the terminfo database has, and able to move the cursor (not dumb). ncurses'
 * initscr() would find out only after the tracer attached and the snapshot
 * was taken, and then exit(1) with its own message. Returns 0, or -ENOTTY
 * with one line in err that names the cause and what to do.
 */
int sw_term_check(char *err, size_t errlen);

#endif /* SW_TERM_CHECK_H */
