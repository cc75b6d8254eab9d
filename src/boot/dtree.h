/* SPDX-License-Identifier: MIT */
#ifndef KILN_BOOT_DTREE_H
#define KILN_BOOT_DTREE_H

/*
 * A device tree in memory, as the FIT writer needs it: nodes with
 * ordered properties and children. A property's value is either bytes
 * or a reference to bytes elsewhere (a file region), so a 30 MiB kernel
 * is not read before the FIT is written.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;

/* Limits on user-controlled quantities (an .its or a config). */
#define DT_MAX_DEPTH 32
#define DT_MAX_NODES 4096
#define DT_MAX_NAME 256
#define DT_MAX_VALUE (1u << 20) /* inline values; file data is separate */

struct dt_prop {
	char *name;
	uint8_t *val;       /* inline value (NULL when file) */
	uint64_t len;       /* value bytes (file: planned length) */
	char *file;         /* data read from this file at generate */
	unsigned line;      /* source line (0 = made by kiln) */
};

struct dt_node {
	char *name;         /* "" for the root */
	char *label;
	unsigned line;
	struct dt_node *parent;
	struct dt_prop *props;
	unsigned nprops, capprops;
	struct dt_node **kids;
	unsigned nkids, capkids;
};

struct dt_node *dt_node_new(const char *name, unsigned line);
void dt_node_free(struct dt_node *n);

/* Child named @name (NULL if none); with @create, make it. */
struct dt_node *dt_child(struct dt_node *n, const char *name, bool create);
/* Property named @name, or NULL. */
struct dt_prop *dt_prop_find(const struct dt_node *n, const char *name);

/* Set (replace or append) an inline property. 0 or -ENOMEM. */
int dt_set(struct dt_node *n, const char *name, const void *val, size_t len);
int dt_set_str(struct dt_node *n, const char *name, const char *s);
int dt_set_u32(struct dt_node *n, const char *name, uint32_t v);
/* Make @name a file-backed property of @len bytes. */
int dt_set_file(struct dt_node *n, const char *name, const char *path, uint64_t len);
/* Remove a property (no-op if absent). */
void dt_del(struct dt_node *n, const char *name);

/* A property that is one NUL-terminated printable string; else NULL. */
const char *dt_str(const struct dt_node *n, const char *name);
/* Count of nodes below and including @n. */
unsigned dt_count(const struct dt_node *n);

#endif
