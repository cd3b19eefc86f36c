/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* TCP port to service name, from /etc/services (a file read, never a network lookup). */
#ifndef SW_SERVICES_H
#define SW_SERVICES_H

#include <linux/types.h>

/* Loads the file at path; 0 or -errno. Later loads replace the table. */
int sw_services_load(const char *path);
/* The service name of a TCP port, or NULL. Loads /etc/services on first use. */
const char *sw_service_name(__u16 port);

#endif /* SW_SERVICES_H */
