/* SPDX-License-Identifier: MIT */
#ifndef KILN_PLAN_IMAGE_H
#define KILN_PLAN_IMAGE_H

/*
 * The build model. A config is parsed into images (one per `image NAME`
 * section, plus implicit `file` images for inputs that name no section);
 * images depend on other images (partitions, files in a FAT, FIT
 * payloads). The planner then, children first:
 *
 *   parse     handler reads its own `TYPE { ... }` section (no I/O)
 *   setup     handler fixes every size, offset and id (the plan); may
 *             read input metadata (stat, tree scan) but writes nothing
 *   generate  handler writes the image onto a sink
 *
 * `kiln plan` stops after setup and prints; `kiln build` generates.
 */

#include <confuse.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/ids.h"
#include "base/size.h"

struct build;
struct diag;
struct image;
struct image_key;
struct sink;
struct tree;

/* A byte range [start, end) inside an image that is not really its
 * content (genimage `holes`): other partitions may overlap it. */
struct hole {
	uint64_t start, end;
};

/* A `partition NAME { }` of an hdimage (or a `flash` image). */
struct partition {
	char *name;
	unsigned line;            /* config line, for messages */
	const char *file;         /* its config file (an include()d one), NULL: the image's */
	uint64_t offset, size, align;
	bool offset_set, size_set;
	struct size_spec size_spec; /* as written (percent resolved in setup) */
	uint8_t mbr_type;
	bool mbr_type_set;
	char *type_uuid_str;      /* as written: UUID or shortcut */
	struct uuid type_uuid;
	struct uuid uuid;
	bool uuid_set;
	bool bootable, read_only, hidden, no_automount;
	bool in_partition_table;
	bool autoresize, fill, sparse, forced_primary;
	bool logical;             /* set by layout: lives in the EBR chain */
	bool is_extended;         /* the synthetic extended container */
	char *image;              /* name of the image placed here, or NULL */
	struct image *child;      /* resolved */
	uint64_t imageoffset;     /* skip this many bytes of the child */
	struct hole *holes;       /* ranges of the child left untouched */
	unsigned nholes;
	uint32_t index;           /* partition number in the table (1-based), 0 if raw */
};

struct image_handler {
	const char *type;         /* section name inside `image { }` */
	cfg_opt_t *opts;          /* schema of that section (CFG_END-terminated) */
	/* Reads its section into img->priv. May call image_depend(). */
	int (*parse)(struct build *b, struct image *img, cfg_t *sec, struct diag *d);
	/* Fixes img->size and the whole layout. Children are set up. */
	int (*setup)(struct build *b, struct image *img, struct diag *d);
	/* Optional: called by generate, after the dependencies are written and
	 * before the output is created, for types whose size depends on their
	 * inputs' bytes (android-sparse): reads them and fixes img->size
	 * (setup set an upper bound). */
	int (*presize)(struct build *b, struct image *img, struct diag *d);
	/* Writes the image. @out is exactly img->size bytes, all zero/hole. */
	int (*generate)(struct build *b, struct image *img, struct sink *out, struct diag *d);
	/* Optional: extra lines for `kiln plan` (one call per line). */
	void (*describe)(const struct image *img, void (*line)(void *ud, const char *text),
			 void *ud);
	void (*release)(struct image *img);
	/* Optional: the files the image will hold, for `kiln ls`, called
	 * with its dependencies set up and itself not (a listing must not
	 * depend on the files fitting). NULL: the type holds no file tree
	 * (a disk, an env, a FIT) and ls refuses it. Caller frees the tree. */
	int (*content)(struct build *b, struct image *img, struct tree **ret, struct diag *d);
	/* Optional: add to @k whatever decides the image's bytes beyond its
	 * config section, planned layout, settings and dependencies, which
	 * plan/image-key.c hashes itself (image_key_tree() for a file tree;
	 * image_key_none() when there is nothing more). NULL: the handler
	 * reads something the key could not see, so its images are always
	 * built and never taken from the build cache. */
	int (*key)(struct build *b, struct image *img, struct image_key *k, struct diag *d);
	/* Images of this type are disks that get a .bmap by default. */
	bool is_disk;
};

struct image {
	char *name;               /* section title: output file name */
	const struct image_handler *handler;
	const char *cfgfile;      /* file and line of the section */
	unsigned line;
	bool implicit;            /* an input file that names no section */
	bool input_only;          /* read, never written (file images without copy) */

	/* Common options (genimage's image-level keys). */
	struct size_spec size_spec;
	bool size_set;
	const char *size_file;     /* where `size` was written, for messages */
	unsigned size_line;
	uint64_t size;            /* fixed by setup */
	/* Length of the output file when shorter than size (genimage mode:
	 * genimage ends a disk file after its last data); 0 = size. */
	uint64_t file_size;
	char *mountpoint, *srcpath, *exec_pre, *exec_post;
	char *name_opt;           /* `name` (volume names, flash) */
	char *flashtype;          /* `flashtype` for flash images */
	char **trees;             /* kiln: `tree = NAME | { ... }` */
	unsigned ntrees;
	bool empty, temporary;
	bool keep_owner;          /* srcpath/rootpath: keep the source's uid/gid */

	char *outfile;            /* where it is written (or read, if implicit) */
	struct seed seed;         /* id derivation key for this image */

	struct partition *parts;
	unsigned nparts;

	struct image_dep {
		char *name;
		struct image *img;
	} *deps;
	unsigned ndeps;

	/* Placement by a parent, for writers that record it (FAT's
	 * hidden-sectors): byte offset of this image in its parent disk. */
	uint64_t placed_offset;
	bool placed;

	struct hole *holes;       /* file images: genimage `holes` */
	unsigned nholes;

	/* Build cache (plan/image-key.h): set once the image is generated
	 * with a key; parents then use the key as the child's identity. */
	uint8_t key[32];
	bool keyed;
	bool from_store;          /* this run copied it out of the store */

	void *priv;               /* handler state */
	int mark;                 /* planner: 0 new, 1 visiting, 2 done */
};

/* The handler table (plan/handlers.c), NULL-terminated. */
extern const struct image_handler *const image_handlers[];
const struct image_handler *image_handler_find(const char *type);

/*
 * image_depend - declare that @img needs image or input file @name.
 * The planner resolves it after all sections are parsed: to the image
 * section of that name, or else to an implicit `file` image at
 * inputpath/@name. Returns 0 or -ENOMEM.
 */
int image_depend(struct image *img, const char *name);

/* The resolved dependency of @img named @name; NULL if unknown. */
struct image *image_dep(const struct image *img, const char *name);

/*
 * image_content_tree - the files an image holds: its `tree` list (trees
 * issue), else `srcpath`, else rootpath/`mountpoint` (other images'
 * mountpoints below it left as empty directories), else nothing when
 * `empty`; the root image of rootpath otherwise. The tree is finished
 * (sorted, link counts). Caller frees with tree_free().
 */
int image_content_tree(struct build *b, struct image *img, struct tree **ret, struct diag *d);

/* genimage `holes = { "(START;END)", ... }` of section @sec (at most 64;
 * plan/load.c). */
int cfg_get_holes(cfg_t *sec, const char *key, struct hole **ret, unsigned *ret_n,
		  struct diag *d);

/* Add "image 'NAME'" context to a diag: "FILE:LINE: image 'NAME': ...",
 * keeping a FILE:LINE the message already starts with. */
void image_diag_prefix(const struct image *img, struct diag *d);

#endif
