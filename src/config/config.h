/* SPDX-License-Identifier: MIT */
#ifndef KILN_CONFIG_CONFIG_H
#define KILN_CONFIG_CONFIG_H

/*
 * Parsing a config (genimage's syntax, through libconfuse) so that it
 * cannot lie: every value and section knows the file and line it was
 * written on (libconfuse's own count is wrong after comments, and it
 * places keys at their section's closing brace); a file that ends inside
 * a section, string or comment is an error; a directory is an error; an
 * unknown option gets a "did you mean"; a `${NAME}` expanded from an
 * unset variable is warned about.
 */

#include <confuse.h>

#include "config/schema.h"

struct diag;

/*
 * config_parse - parse @path against @sch.
 * @includepath: ':'-separated directories for include("FILE") (genimage's
 * includepath), or NULL. @envp: the environment libconfuse expands
 * `${NAME}` from, for the unset-variable warnings; NULL = the process's.
 * On success *@ret is the tree (free with config_free) and each section's
 * cfg_t.line is the line it opens on.
 * Errors (-ENOENT, -EISDIR, -EFBIG, -EINVAL, -ENOMEM) say "FILE:LINE: why".
 */
int config_parse(const struct schema_set *sch, const char *path, const char *includepath,
		 char *const *envp, cfg_t **ret, struct diag *d);

/* config_free - free a tree from config_parse (NULL is a no-op). */
void config_free(cfg_t *cfg);

/*
 * config_where - file and line of value @idx of option @key in section
 * @sec (for a list, its @idx-th element), or of @sec itself when the
 * option was not written in the config.
 */
void config_where(cfg_t *sec, const char *key, unsigned idx, const char **ret_file,
		  unsigned *ret_line);

#endif
