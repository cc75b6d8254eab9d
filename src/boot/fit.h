/* SPDX-License-Identifier: MIT */
#ifndef KILN_BOOT_FIT_H
#define KILN_BOOT_FIT_H

/*
 * FIT (U-Boot's Flattened Image Tree): an FDT with /images/NAME nodes
 * (data, type, arch, os, compression, load, entry, hash-N { algo, value })
 * and /configurations (default, NAME { kernel, fdt, ramdisk, ... }).
 *
 * kiln writes what U-Boot 2023.01 demands (measured, see
 * docs/formats/uboot.md): FDT version 17, root `description` and
 * `timestamp`, hash nodes named hash*, crc32 values big-endian, no '@'
 * in node names. Optional external data (mkimage -E): each image's
 * `data` moves after the FDT (4-byte aligned), replaced by
 * `data-offset` (from the 4-aligned end of the FDT) and `data-size`.
 *
 * Flow: build a dt_node tree (its_parse, or the config's structured
 * form), fit_check() it, fit_plan() the size, fit_write() the bytes.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;
struct dt_node;
struct sink;

#define FIT_MAX_HASHES 8

/* Whether U-Boot 2023.01 knows a FIT value of that kind. */
bool fit_type_known(const char *s);
bool fit_arch_known(const char *s);
bool fit_os_known(const char *s);
bool fit_comp_known(const char *s);
/* Length of a hash value for @algo (crc32 4, sha1 20, sha256 32), 0 if
 * kiln cannot compute it. */
unsigned fit_hash_len(const char *algo);

/*
 * fit_check - validate a FIT description before anything is written:
 * root description; /images with at least one image, each with data,
 * a known type (and arch/os/compression when given); kernels with arch,
 * os, load and entry; ramdisks with arch and os; hash* nodes with a
 * computable algo; no other subnode carrying `algo` (U-Boot would skip
 * its check silently); no '@' in any node name; configurations whose
 * default exists and whose references name images. @what prefixes
 * messages (a file name). Returns 0 or -EINVAL with a diag.
 */
int fit_check(const struct dt_node *root, const char *what, struct diag *d);

/*
 * fit_check_opts - fit_check, but a kernel's load and entry are required
 * only when @need_addrs: mkimage accepts a kernel without them (U-Boot then
 * refuses to boot it), so genimage mode does too.
 */
int fit_check_opts(const struct dt_node *root, const char *what, bool need_addrs,
		   struct diag *d);

/* Sets root `timestamp` (@epoch) and drops stale hash values. */
int fit_finalize(struct dt_node *root, int64_t epoch);

struct fit_layout {
	bool external;
	uint64_t fdt_size;  /* the FDT blob */
	uint64_t total;     /* whole file */
};

/* fit_plan - compute the layout of @root (fit_finalize'd). 0 or -errno. */
int fit_plan(const struct dt_node *root, bool external, struct fit_layout *ret,
	     struct diag *d);

/*
 * fit_write - write the FIT for @root with layout @l to @out (offset
 * 0), reading file-backed values, computing every hash. Returns 0;
 * -EIO when an input changed size since planning; sink or libfdt
 * errors (-ENOSPC, -EINVAL).
 */
int fit_write(const struct dt_node *root, const struct fit_layout *l, struct sink *out,
	      struct diag *d);

/* ---- decoding (kiln inspect) ---- */

struct fit_hash_info {
	char name[64], algo[16];
	bool known, ok;
	char stored[2 * 32 + 1], computed[2 * 32 + 1];
};

struct fit_image_info {
	const char *name, *desc, *type, *arch, *os, *comp;
	bool external, data_ok; /* data present and inside the file */
	uint64_t data_off, data_len; /* file offset of the data */
	bool has_load, has_entry;
	uint64_t load, entry;
	unsigned nhash;
	struct fit_hash_info hash[FIT_MAX_HASHES];
};

struct fit_conf_info {
	const char *name, *desc, *kernel, *fdt, *ramdisk;
	bool is_default;
	unsigned bad_refs;  /* references to images that do not exist */
	char bad_ref[80];   /* the first one */
};

struct fit_summary {
	const char *desc, *default_conf;
	bool has_timestamp, default_ok;
	uint32_t timestamp, version;
	uint64_t fdt_size;
	unsigned nimages, nconfs, bad_hashes, bad_data, bad_refs, unknown_algos;
};

/* True if @buf starts with the FDT magic. */
bool fdt_magic_ok(const void *buf, size_t len);

/*
 * fit_inspect - decode and verify a FIT in @buf (the whole file).
 * Calls @img for each image and @conf for each configuration (strings
 * point into @buf, valid during the call). Never reads outside @buf.
 * Returns 0 with *ret filled (check its bad_* counters), -EINVAL when
 * @buf is not a structurally valid FDT or has no /images.
 */
int fit_inspect(const uint8_t *buf, size_t len,
		void (*img)(void *ud, const struct fit_image_info *i),
		void (*conf)(void *ud, const struct fit_conf_info *c), void *ud,
		struct fit_summary *ret);

#endif
