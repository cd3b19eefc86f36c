// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Whether the terminal can carry the live view, asked before anything is attached. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <curses.h>
#include <term.h> /* its macros (lines, tab, ...) are why this is a file of its own */

#include "term_check.h"

int sw_term_check(char *err, size_t errlen)
{
	const char *term = getenv("TERM");
	const char *fix =
		"set TERM to the terminal's type (e.g. TERM=xterm-256color) or use --once";
	const char *cup;
	int e = 0;

	if (!term || !*term) {
		snprintf(err, errlen,
			 "the live view needs the terminal's type, and TERM is not set: %s", fix);
		return -ENOTTY;
	}
	if (setupterm(NULL, STDOUT_FILENO, &e) != OK) {
		if (e == -1)
			snprintf(err, errlen,
				 "the live view cannot find the terminfo database (for TERM '%s'): "
				 "install it (ncurses-base) or use --once",
				 term);
		else if (e == 1)
			snprintf(err, errlen,
				 "the live view cannot use TERM '%s', a hardcopy terminal: %s",
				 term, fix);
		else
			snprintf(err, errlen,
				 "the live view cannot use TERM '%s', a type the terminfo database "
				 "does not have: %s",
				 term, fix);
		return -ENOTTY;
	}
	/* A terminal that cannot move the cursor (dumb) gets one run-on line. */
	cup = tigetstr("cup");
	e = !cup || cup == (const char *)-1;
	del_curterm(cur_term);
	if (e) {
		snprintf(err, errlen,
			 "the live view cannot use TERM '%s', a terminal that cannot move the "
			 "cursor: %s",
			 term, fix);
		return -ENOTTY;
	}
	return 0;
}
