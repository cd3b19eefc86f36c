// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* TCP port to service name, from /etc/services (a file read, never a network lookup). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services.h"

#define SERVICES_PATH "/etc/services"

static char **names; /* 65536 entries, NULL where no name */
static bool tried;

static void table_free(char **t)
{
	if (!t)
		return;
	for (size_t i = 0; i < 65536; i++)
		free(t[i]);
	free(t);
}

/* "name port/proto aliases # comment": the first name for each tcp port wins. */
static void parse_line(char **t, char *line)
{
	char *save, *name, *pp, *proto, *end;
	unsigned long port;

	line[strcspn(line, "#\n")] = '\0';
	name = strtok_r(line, " \t", &save);
	pp = name ? strtok_r(NULL, " \t", &save) : NULL;
	if (!pp)
		return;
	proto = strchr(pp, '/');
	if (!proto || strcmp(proto + 1, "tcp"))
		return;
	*proto = '\0';
	errno = 0;
	port = strtoul(pp, &end, 10);
	if (errno || *end || end == pp || port > 65535 || t[port])
		return;
	t[port] = strndup(name, 32);
}

int sw_services_load(const char *path)
{
	char line[512], **t;
	FILE *f;

	tried = true;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	t = calloc(65536, sizeof(*t));
	if (!t) {
		fclose(f);
		return -ENOMEM;
	}
	while (fgets(line, sizeof(line), f))
		parse_line(t, line);
	fclose(f);
	table_free(names);
	names = t;
	return 0;
}

const char *sw_service_name(__u16 port)
{
	if (!tried)
		sw_services_load(SERVICES_PATH);
	return names ? names[port] : NULL;
}
