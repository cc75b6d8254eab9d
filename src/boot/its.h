/* SPDX-License-Identifier: MIT */
#ifndef KILN_BOOT_ITS_H
#define KILN_BOOT_ITS_H

/*
 * The device-tree source subset that FIT image sources (.its) use, parsed
 * natively (no dtc): "/dts-v1/;", nodes (repeated nodes merge, as dtc
 * does), labels, "&label { }" amendments, properties with string,
 * <cell> (several cells, decimal/hex/octal), [byte string] and
 * /incbin/("file") values, comma-joined pieces, // and / * * / comments.
 * Not supported (clear error): expressions, references as values,
 * /bits/, /memreserve/, /delete-node/, /incbin/ with offset/length.
 */

#include <stddef.h>
#include <stdint.h>

struct diag;
struct dt_node;

/*
 * Resolve /incbin/("@name") to a file: set *ret_path (malloc'd) and
 * *ret_len. Returns 0 or -errno with a diag (no file/line: the parser
 * adds them).
 */
typedef int (*its_resolve_fn)(void *ud, const char *name, char **ret_path, uint64_t *ret_len,
			      struct diag *d);

/*
 * its_parse - parse @len bytes of @text (named @fname in messages) into
 * a tree. /incbin/ becomes a file-backed property through @resolve
 * (must be given when the source uses /incbin/). Errors: -EINVAL with
 * "FILE:LINE: what" (syntax, unsupported construct, limits), -ENOMEM,
 * or the resolver's error.
 */
int its_parse(const char *text, size_t len, const char *fname, its_resolve_fn resolve,
	      void *ud, struct dt_node **ret, struct diag *d);

#endif
