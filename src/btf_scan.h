/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Finding kernel functions' BTF ids by walking raw vmlinux BTF once, without parsing and indexing all of it. */
#ifndef SW_BTF_SCAN_H
#define SW_BTF_SCAN_H

#include <stddef.h>
#include <linux/types.h>

/*
 * Sets ids[i] to the id of the first BTF_KIND_FUNC named names[i] in the raw
 * BTF data (0 if there is none), as btf__find_by_name_kind() would. Returns
 * 0, or -EINVAL for data this walk cannot read (not native-endian BTF, a
 * kind it does not know, truncated): parse it with libbpf then.
 */
int sw_btf_find_funcs(const void *data, size_t size, const char *const *names, __s32 *ids,
		      size_t n);
/*
 * The same in the running kernel's BTF, /sys/kernel/btf/vmlinux, mapped
 * where the kernel allows it (6.16+), else read. 0 or -errno.
 */
int sw_vmlinux_find_funcs(const char *const *names, __s32 *ids, size_t n);

#endif /* SW_BTF_SCAN_H */
