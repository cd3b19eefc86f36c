// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* sockwatch's entry point: the verb table. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "preflight.h"
#include "version.h" /* generated: SW_VERSION, from git describe (Makefile) */

struct cmd {
	const char *name;
	int (*func)(int argc, char **argv);
	const char *help;
};

static const struct cmd cmds[] = {
	{ "top", cmd_top, "live netstat view (the default); --once prints one table" },
	{ "events", cmd_events, "stream connection events (text or JSON lines)" },
	{ "listen", cmd_listen, "alert on new listeners and flagged remotes (baseline, rules)" },
	{ "doctor", cmd_doctor, "what this kernel allows and which attach mode auto picks" },
};

static void usage(FILE *f)
{
	fputs("usage: sockwatch [VERB] [options]\n\nverbs (default: top):\n", f);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].help);
	fputs("\n'sockwatch VERB --help' describes a verb's options;\n"
	      "'sockwatch --version' (or 'sockwatch version') prints the version.\n"
	      "exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 missing privileges,\n"
	      "            4 kernel unsupported (no BTF, programs refused), 5 alert\n",
	      f);
}

int main(int argc, char **argv)
{
	sw_std_fds();
	/* as many file descriptors as allowed: BPF objects take dozens while modes are tried */
	sw_raise_nofile();
	if (argc >= 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version"))) {
		printf("sockwatch %s\n", SW_VERSION);
		return SW_EXIT_OK;
	}
	/* `sockwatch` alone, or with options only, is the live view. */
	if (argc < 2 || (argv[1][0] == '-' && strcmp(argv[1], "-h") && strcmp(argv[1], "--help")))
		return cmd_top(argc, argv);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return SW_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].func(argc - 1, argv + 1);
	sw_err("unknown verb '%s' (see 'sockwatch --help')", argv[1]);
	return SW_EXIT_USAGE;
}
