/* SPDX-License-Identifier: MIT */
#ifndef KILN_PLAN_BOOTUTIL_H
#define KILN_PLAN_BOOTUTIL_H

/* Small helpers shared by the boot-artifact handlers (img-ubootenv.c,
 * img-fit.c, img-bootscript.c, img-cpio.c). */

#include <stddef.h>
#include <stdint.h>

struct build;
struct diag;

/* @name relative to the inputpath (absolute names as they are);
 * malloc'd, NULL when out of memory. */
char *boot_input_path(struct build *b, const char *name);

/*
 * boot_read_file - read all of @path (at most @max bytes) into a malloc'd
 * buffer (one extra NUL byte after the data). Returns 0, -errno with a
 * diag naming the path, -EFBIG above @max.
 */
int boot_read_file(const char *path, uint64_t max, uint8_t **ret, size_t *ret_len,
		   struct diag *d);

/* Read @len bytes at @off of @path into @buf (short files: -EIO). */
int boot_read_range(const char *path, uint64_t off, void *buf, size_t len, struct diag *d);

/*
 * boot_expand - expand ${NAME} in @in from the top-level `vars`, then
 * the environment (b->envp); "$${" gives a literal "${" (as tree files'
 * `expand`); ${verity:IMAGE:roothash} as plan/vars.h says. With
 * @ret_pending, a root hash not known yet is planned (vars_expand_pending)
 * and counted there. Returns 0 with a malloc'd NUL-terminated *ret;
 * -ENOENT for an undefined name, -EINVAL for a malformed reference,
 * -ESRCH, -ENXIO, -EAGAIN for a bad root hash reference (diag names
 * @what and the reference), -E2BIG, -ENOMEM.
 */
int boot_expand(struct build *b, const char *in, size_t inlen, const char *what,
		unsigned *ret_pending, char **ret, size_t *ret_len, struct diag *d);

/*
 * boot_image_bytes - the bytes image @c will have, at setup time: read
 * from its file when it is an input, else produced by running its
 * generator into memory (it is set up already; children come first).
 * At most @max bytes. Returns 0 with a malloc'd buffer of c->size bytes.
 */
struct image;
int boot_image_bytes(struct build *b, struct image *c, uint64_t max, uint8_t **ret,
		     struct diag *d);

#endif
