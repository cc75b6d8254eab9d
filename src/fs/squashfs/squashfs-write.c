/* SPDX-License-Identifier: MIT */
/*
 * squashfs writer: a kiln tree onto a sink through libsquashfs.
 *
 * libsquashfs gives the pieces (block processor, metadata writers,
 * tables); this file decides the order, which is what makes the image
 * reproducible:
 *
 *   1. inode numbers: every non-directory in sorted pre-order, then the
 *      directories in post-order (the root last, as mksquashfs does), so
 *      when a directory is written every entry it lists already has its
 *      inode reference, hard links to a later name included;
 *   2. file data in sorted pre-order through the block processor (its
 *      output order does not depend on the number of worker threads);
 *   3. inodes in number order, directories listed as they come;
 *   4. fragment, export, id and xattr tables, the superblock, padding.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqfs/block.h>
#include <sqfs/block_processor.h>
#include <sqfs/block_writer.h>
#include <sqfs/dir_writer.h>
#include <sqfs/error.h>
#include <sqfs/frag_table.h>
#include <sqfs/id_table.h>
#include <sqfs/inode.h>
#include <sqfs/meta_writer.h>
#include <sqfs/super.h>
#include <sqfs/xattr_writer.h>

#include "base/diag.h"
#include "fs/squashfs/squashfs-int.h"
#include "fs/squashfs/squashfs.h"
#include "fs/tree.h"
#include "io/sink.h"

#define SQ_DEVBLK 4096u   /* mksquashfs pads the image to this */
#define SQ_READ_BUF (64u * 1024)

struct sq_ino {
	struct tree_node *n;
	sqfs_inode_generic_t *inode; /* regular files: filled by the block processor */
	uint64_t ref;                /* (metadata block << 16) | offset */
};

struct sq {
	struct tree *t;
	const struct squashfs_opts *o;
	struct diag *d;
	struct sq_sink_file *file;
	sqfs_compressor_t *cmp, *uncmp;
	sqfs_block_writer_t *blkwr;
	sqfs_frag_table_t *frag;
	sqfs_block_processor_t *data;
	sqfs_id_table_t *ids;
	sqfs_xattr_writer_t *xwr;
	sqfs_meta_writer_t *im, *dm;
	sqfs_dir_writer_t *dirwr;
	sqfs_super_t super;
	struct sq_ino *ino;          /* by inode number - 1 */
	uint32_t nino, next;
	uint64_t xattrs_dropped;
	const char *dropped_name;
	uint8_t *buf;
};

static const char *const comp_names[SQUASHFS_COMP_MAX] = {
	[SQUASHFS_COMP_GZIP] = "gzip", [SQUASHFS_COMP_XZ] = "xz",
	[SQUASHFS_COMP_ZSTD] = "zstd", [SQUASHFS_COMP_LZ4] = "lz4",
	[SQUASHFS_COMP_LZMA] = "lzma", [SQUASHFS_COMP_LZO] = "lzo",
	[SQUASHFS_COMP_NONE] = "none",
};

static const SQFS_COMPRESSOR comp_ids[SQUASHFS_COMP_MAX] = {
	[SQUASHFS_COMP_GZIP] = SQFS_COMP_GZIP, [SQUASHFS_COMP_XZ] = SQFS_COMP_XZ,
	[SQUASHFS_COMP_ZSTD] = SQFS_COMP_ZSTD, [SQUASHFS_COMP_LZ4] = SQFS_COMP_LZ4,
	[SQUASHFS_COMP_LZMA] = SQFS_COMP_LZMA, [SQUASHFS_COMP_LZO] = SQFS_COMP_LZO,
	[SQUASHFS_COMP_NONE] = SQFS_COMP_GZIP,
};

int squashfs_comp_parse(const char *name, enum squashfs_comp *ret)
{
	for (int i = 0; i < SQUASHFS_COMP_MAX; i++)
		if (!strcasecmp(name, comp_names[i])) {
			*ret = (enum squashfs_comp)i;
			return 0;
		}
	return -EINVAL;
}

const char *squashfs_comp_name(enum squashfs_comp c)
{
	return c < SQUASHFS_COMP_MAX ? comp_names[c] : "?";
}

static int sq_errno(int sqfs_err)
{
	switch (sqfs_err) {
	case SQFS_ERROR_ALLOC:
		return -ENOMEM;
	case SQFS_ERROR_OVERFLOW:
		return -EOVERFLOW;
	case SQFS_ERROR_UNSUPPORTED:
		return -EOPNOTSUPP;
	case SQFS_ERROR_ARG_INVALID:
	case SQFS_ERROR_SUPER_BLOCK_SIZE:
		return -EINVAL;
	default:
		return -EIO;
	}
}

static const char *sq_strerror(int sqfs_err)
{
	switch (sqfs_err) {
	case SQFS_ERROR_ALLOC: return "out of memory";
	case SQFS_ERROR_IO: return "I/O error";
	case SQFS_ERROR_COMPRESSOR: return "compressor failed";
	case SQFS_ERROR_OVERFLOW: return "numeric overflow";
	case SQFS_ERROR_UNSUPPORTED: return "not supported";
	case SQFS_ERROR_ARG_INVALID: return "invalid argument";
	case SQFS_ERROR_SUPER_BLOCK_SIZE: return "invalid block size";
	default: return "internal error";
	}
}

/* Report a libsquashfs failure, preferring the sink's own errno. */
static int sq_fail(struct sq *s, int sqfs_err, const char *what)
{
	if (s->file && s->file->err)
		return diag_fail(s->d, s->file->err, "squashfs: %s: %s", what,
				 strerror(-s->file->err));
	return diag_fail(s->d, sq_errno(sqfs_err), "squashfs: %s: %s", what,
			 sq_strerror(sqfs_err));
}

static int comp_config(const struct squashfs_opts *o, sqfs_compressor_config_t *cfg)
{
	uint16_t flags = 0;
	int r;

	if (o->comp == SQUASHFS_COMP_LZ4 && o->lz4_hc)
		flags = SQFS_COMP_FLAG_LZ4_HC;
	r = sqfs_compressor_config_init(cfg, comp_ids[o->comp], o->block_size, flags);
	if (r)
		return r;
	if (!o->level)
		return 0;
	switch (o->comp) {
	case SQUASHFS_COMP_GZIP:
		cfg->level = o->level;
		return o->level > SQFS_GZIP_MAX_LEVEL ? SQFS_ERROR_ARG_INVALID : 0;
	case SQUASHFS_COMP_XZ:
	case SQUASHFS_COMP_LZMA:
		cfg->level = o->level;
		return o->level > SQFS_XZ_MAX_LEVEL ? SQFS_ERROR_ARG_INVALID : 0;
	case SQUASHFS_COMP_ZSTD:
		cfg->level = o->level;
		return o->level > SQFS_ZSTD_MAX_LEVEL ? SQFS_ERROR_ARG_INVALID : 0;
	default:
		return SQFS_ERROR_UNSUPPORTED;
	}
}

static int make_compressors(const struct squashfs_opts *o, sqfs_compressor_t **ret_cmp,
			    sqfs_compressor_t **ret_uncmp, struct diag *d)
{
	sqfs_compressor_config_t cfg;
	int r;

	*ret_cmp = *ret_uncmp = NULL;
	if (o->comp >= SQUASHFS_COMP_MAX)
		return diag_fail(d, -EINVAL, "squashfs: bad compressor");
	if (o->comp == SQUASHFS_COMP_NONE) {
		*ret_cmp = sq_null_compressor_new(o->block_size);
		*ret_uncmp = sq_null_compressor_new(o->block_size);
		if (*ret_cmp && *ret_uncmp)
			return 0;
		goto nomem;
	}
	r = comp_config(o, &cfg);
	if (r == SQFS_ERROR_UNSUPPORTED)
		return diag_fail(d, -EINVAL, "squashfs: compression %s takes no level",
				 comp_names[o->comp]);
	if (r == SQFS_ERROR_ARG_INVALID)
		return diag_fail(d, -EINVAL, "squashfs: level %u is out of range for %s",
				 o->level, comp_names[o->comp]);
	if (r)
		return diag_fail(d, sq_errno(r), "squashfs: %s with block size %u: %s",
				 comp_names[o->comp], o->block_size, sq_strerror(r));
	r = sqfs_compressor_create(&cfg, ret_cmp);
	if (r == SQFS_ERROR_UNSUPPORTED)
		return diag_fail(d, -EOPNOTSUPP,
				 "squashfs: compression %s is not built into this libsquashfs",
				 comp_names[o->comp]);
	if (r)
		return diag_fail(d, sq_errno(r), "squashfs: %s: %s", comp_names[o->comp],
				 sq_strerror(r));
	cfg.flags |= SQFS_COMP_FLAG_UNCOMPRESS;
	r = sqfs_compressor_create(&cfg, ret_uncmp);
	if (!r)
		return 0;
	sqfs_destroy(*ret_cmp);
	*ret_cmp = NULL;
	return diag_fail(d, sq_errno(r), "squashfs: %s: %s", comp_names[o->comp], sq_strerror(r));
nomem:
	sqfs_destroy(*ret_cmp);
	sqfs_destroy(*ret_uncmp);
	*ret_cmp = *ret_uncmp = NULL;
	return diag_fail(d, -ENOMEM, "out of memory");
}

int squashfs_comp_check(const struct squashfs_opts *o, struct diag *d)
{
	sqfs_compressor_t *c, *u;
	int r = make_compressors(o, &c, &u, d);

	sqfs_destroy(c);
	sqfs_destroy(u);
	return r;
}

/* ---- numbering ---- */

static int count_cb(struct tree_node *n, void *ud)
{
	struct sq *s = ud;

	if (!n->hardlink) {
		if (s->nino == UINT32_MAX - 1)
			return -EOVERFLOW;
		s->nino++;
	}
	return 0;
}

static int number_files_cb(struct tree_node *n, void *ud)
{
	struct sq *s = ud;

	if (!n->hardlink && !tree_is_dir(n)) {
		s->ino[s->next].n = n;
		n->priv = ++s->next;
	}
	return 0;
}

/* Post-order, by explicit recursion: a directory after its subdirectories. */
static void number_dirs(struct sq *s, struct tree_node *n)
{
	for (uint32_t i = 0; i < n->nkids; i++)
		if (tree_is_dir(n->kids[i]) && !n->kids[i]->hardlink)
			number_dirs(s, n->kids[i]);
	s->ino[s->next].n = n;
	n->priv = ++s->next;
}

static const struct tree_node *target(const struct tree_node *n)
{
	return n->hardlink ? n->hardlink : n;
}

/* ---- file data ---- */

static int add_file_data(struct sq *s, struct sq_ino *e)
{
	const struct tree_node *n = e->n;
	char pbuf[TREE_SRC_PATH_MAX];
	const char *path = n->size ? tree_node_src_path(n, pbuf, sizeof(pbuf)) : NULL;
	uint32_t flags = 0;
	uint64_t done = 0;
	int fd = -1, r;

	if (s->o->no_fragments)
		flags |= SQFS_BLK_DONT_FRAGMENT;
	if (s->o->no_duplicates)
		flags |= SQFS_BLK_DONT_DEDUPLICATE;
	if (n->size && !path) {
		char *p = tree_path(n);
		r = diag_fail(s->d, -EINVAL, "squashfs: /%s: no data source", p ? p : "?");
		free(p);
		return r;
	}
	if (path) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return diag_fail(s->d, -errno, "%s: %s", path, strerror(errno));
	}
	r = sqfs_block_processor_begin_file(s->data, &e->inode, NULL, flags);
	if (r) {
		r = sq_fail(s, r, "file data");
		goto out;
	}
	while (done < n->size && !s->file->err) {
		size_t want = n->size - done < SQ_READ_BUF ? (size_t)(n->size - done) : SQ_READ_BUF;
		ssize_t got = pread(fd, s->buf, want, (off_t)(n->src_off + done));
		if (got < 0) {
			r = diag_fail(s->d, -errno, "%s: %s", path, strerror(errno));
			goto end;
		}
		if (got == 0) {
			r = diag_fail(s->d, -EIO, "%s: changed while reading (shorter than %llu bytes)",
				      path, (unsigned long long)n->size);
			goto end;
		}
		r = sqfs_block_processor_append(s->data, s->buf, (size_t)got);
		if (r) {
			r = sq_fail(s, r, path);
			goto end;
		}
		done += (uint64_t)got;
	}
end:
	/* Always close the file: the processor must be drainable. */
	if (sqfs_block_processor_end_file(s->data) && !r)
		r = sq_fail(s, SQFS_ERROR_INTERNAL, path);
out:
	if (fd >= 0)
		close(fd);
	return r;
}

/* ---- inodes ---- */

static bool xattr_supported(const char *name)
{
	return !strncmp(name, "user.", 5) || !strncmp(name, "trusted.", 8) ||
	       !strncmp(name, "security.", 9);
}

static int node_xattrs(struct sq *s, const struct tree_node *n, uint32_t *ret)
{
	int r;

	*ret = 0xFFFFFFFF; /* none */
	if (s->o->no_xattrs || !n->nxattrs)
		return 0;
	r = sqfs_xattr_writer_begin(s->xwr, 0);
	for (uint16_t i = 0; !r && i < n->nxattrs; i++) {
		const struct tree_xattr *x = &n->xattrs[i];
		if (!xattr_supported(x->name)) {
			if (!s->xattrs_dropped++)
				s->dropped_name = x->name;
			continue;
		}
		r = sqfs_xattr_writer_add(s->xwr, x->name, x->value, x->len);
	}
	if (!r)
		r = sqfs_xattr_writer_end(s->xwr, ret);
	return r ? sq_fail(s, r, "extended attributes") : 0;
}

/* The kernel's "new" dev_t encoding, which squashfs stores. */
static int devno(struct sq *s, const struct tree_node *n, uint32_t *ret)
{
	if (n->rdev_major > 0xfff || n->rdev_minor > 0xfffff) {
		char *p = tree_path(n);
		int r = diag_fail(s->d, -EOVERFLOW,
				  "squashfs: /%s: device %u:%u does not fit (major < 4096, minor < 1048576)",
				  p ? p : "?", n->rdev_major, n->rdev_minor);
		free(p);
		return r;
	}
	*ret = (n->rdev_minor & 0xff) | (n->rdev_major << 8) | ((n->rdev_minor & ~0xffu) << 12);
	return 0;
}

static sqfs_inode_generic_t *dir_inode(struct sq *s, const struct tree_node *n, int *err)
{
	sqfs_inode_generic_t *inode;
	int r = sqfs_dir_writer_begin(s->dirwr, 0);

	for (uint32_t i = 0; !r && i < n->nkids; i++) {
		const struct tree_node *k = n->kids[i], *tg = target(k);
		r = sqfs_dir_writer_add_entry(s->dirwr, k->name, (uint32_t)tg->priv,
					      s->ino[tg->priv - 1].ref, (sqfs_u16)tg->mode);
	}
	if (!r)
		r = sqfs_dir_writer_end(s->dirwr);
	if (r) {
		*err = r;
		return NULL;
	}
	inode = sqfs_dir_writer_create_inode(s->dirwr, 0, 0xFFFFFFFF,
					     n->parent ? (uint32_t)n->parent->priv : s->nino + 1);
	if (!inode) {
		*err = SQFS_ERROR_ALLOC;
		return NULL;
	}
	if (inode->base.type == SQFS_INODE_DIR)
		inode->data.dir.nlink = n->nlink;
	else
		inode->data.dir_ext.nlink = n->nlink;
	return inode;
}

static sqfs_inode_generic_t *other_inode(struct sq *s, const struct tree_node *n, int *err)
{
	size_t extra = tree_is_symlink(n) ? strlen(n->link) : 0;
	sqfs_inode_generic_t *inode = calloc(1, sizeof(*inode) + extra);
	uint32_t dev = 0;

	if (!inode) {
		*err = SQFS_ERROR_ALLOC;
		return NULL;
	}
	inode->payload_bytes_available = inode->payload_bytes_used = (sqfs_u32)extra;
	switch (n->mode & 0170000) {
	case 0120000:
		inode->base.type = SQFS_INODE_SLINK;
		inode->data.slink.nlink = n->nlink;
		inode->data.slink.target_size = (sqfs_u32)extra;
		memcpy(inode->extra, n->link, extra);
		break;
	case 0060000:
	case 0020000:
		if (devno(s, n, &dev)) {
			free(inode);
			*err = 0; /* already in the diag */
			return NULL;
		}
		inode->base.type = (n->mode & 0170000) == 0060000 ? SQFS_INODE_BDEV : SQFS_INODE_CDEV;
		inode->data.dev.nlink = n->nlink;
		inode->data.dev.devno = dev;
		break;
	case 0010000:
		inode->base.type = SQFS_INODE_FIFO;
		inode->data.ipc.nlink = n->nlink;
		break;
	case 0140000:
		inode->base.type = SQFS_INODE_SOCKET;
		inode->data.ipc.nlink = n->nlink;
		break;
	default:
		free(inode);
		*err = SQFS_ERROR_UNSUPPORTED;
		return NULL;
	}
	return inode;
}

static uint32_t clamp_time(int64_t t)
{
	return t < 0 ? 0 : t > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

static int write_inode(struct sq *s, struct sq_ino *e)
{
	const struct tree_node *n = e->n;
	sqfs_inode_generic_t *inode;
	uint32_t xattr, uid, gid, offset;
	sqfs_u64 block;
	int r = 0;

	if (tree_is_dir(n)) {
		inode = dir_inode(s, n, &r);
	} else if (tree_is_reg(n)) {
		inode = e->inode;
		e->inode = NULL;
		if (!inode)
			r = SQFS_ERROR_INTERNAL;
		else if (n->nlink > 1 && inode->base.type == SQFS_INODE_FILE)
			r = sqfs_inode_make_extended(inode);
		if (inode)
			inode->data.file_ext.nlink = n->nlink;
	} else {
		inode = other_inode(s, n, &r);
	}
	if (!inode || r)
		goto fail;
	r = node_xattrs(s, n, &xattr);
	if (r) {
		free(inode);
		return r;
	}
	/* As mksquashfs: a file that needs nothing of the extended inode
	 * gets the basic one, whose format has no count of sparse bytes. */
	if (inode->base.type == SQFS_INODE_EXT_FILE && n->nlink == 1 && xattr == 0xFFFFFFFF) {
		inode->data.file_ext.sparse = 0;
		r = sqfs_inode_make_basic(inode);
		if (r)
			goto fail;
	}
	inode->base.mode = (sqfs_u16)n->mode;
	inode->base.mod_time = s->o->all_time_set ? s->o->all_time : clamp_time(n->mtime);
	inode->base.inode_number = (uint32_t)n->priv;
	uid = s->o->force_uid_set ? s->o->force_uid : n->uid;
	gid = s->o->force_gid_set ? s->o->force_gid : n->gid;
	if ((r = sqfs_inode_set_xattr_index(inode, xattr)) ||
	    (r = sqfs_id_table_id_to_index(s->ids, uid, &inode->base.uid_idx)) ||
	    (r = sqfs_id_table_id_to_index(s->ids, gid, &inode->base.gid_idx)))
		goto fail;
	sqfs_meta_writer_get_position(s->im, &block, &offset);
	e->ref = (block << 16) | offset;
	r = sqfs_meta_writer_write_inode(s->im, inode);
	free(inode);
	return r ? sq_fail(s, r, "inode table") : 0;
fail:
	free(inode);
	if (!r)
		return s->d && s->d->err ? s->d->err : -EIO;
	{
		char *p = tree_path(n);
		int e2 = sq_fail(s, r, p ? p : "inode");
		free(p);
		return e2;
	}
}

/* ---- setup, tables, teardown ---- */

static int sq_open(struct sq *s, struct sink *out)
{
	sqfs_block_processor_desc_t desc;
	int r;

	s->buf = malloc(SQ_READ_BUF);
	s->file = sq_sink_file_new(out);
	if (!s->buf || !s->file)
		return diag_fail(s->d, -ENOMEM, "out of memory");
	r = make_compressors(s->o, &s->cmp, &s->uncmp, s->d);
	if (r)
		return r;
	r = sqfs_super_init(&s->super, s->o->block_size, s->o->mkfs_time, comp_ids[s->o->comp]);
	if (r)
		return diag_fail(s->d, -EINVAL, "squashfs: block size %u: %s", s->o->block_size,
				 sq_strerror(r));
	r = sqfs_super_write(&s->super, &s->file->base);
	if (r)
		return sq_fail(s, r, "superblock");
	r = s->cmp->write_options(s->cmp, &s->file->base);
	if (r < 0)
		return sq_fail(s, r, "compressor options");
	if (r > 0)
		s->super.flags |= SQFS_FLAG_COMPRESSOR_OPTIONS;
	if (s->o->comp == SQUASHFS_COMP_NONE)
		s->super.flags |= SQFS_FLAG_UNCOMPRESSED_INODES | SQFS_FLAG_UNCOMPRESSED_DATA |
				  SQFS_FLAG_UNCOMPRESSED_FRAGMENTS | SQFS_FLAG_UNCOMPRESSED_XATTRS |
				  SQFS_FLAG_UNCOMPRESSED_IDS;
	if (s->o->no_fragments)
		s->super.flags |= SQFS_FLAG_NO_FRAGMENTS;
	s->blkwr = sqfs_block_writer_create(&s->file->base, SQ_DEVBLK, 0);
	s->frag = sqfs_frag_table_create(0);
	s->ids = sqfs_id_table_create(0);
	s->xwr = sqfs_xattr_writer_create(0);
	s->im = sqfs_meta_writer_create(&s->file->base, s->cmp, 0);
	s->dm = sqfs_meta_writer_create(&s->file->base, s->cmp, SQFS_META_WRITER_KEEP_IN_MEMORY);
	if (!s->blkwr || !s->frag || !s->ids || !s->xwr || !s->im || !s->dm)
		return diag_fail(s->d, -ENOMEM, "out of memory");
	s->dirwr = sqfs_dir_writer_create(s->dm, s->o->exportable ?
					  SQFS_DIR_WRITER_CREATE_EXPORT_TABLE : 0);
	if (!s->dirwr)
		return diag_fail(s->d, -ENOMEM, "out of memory");
	memset(&desc, 0, sizeof(desc));
	desc.size = sizeof(desc);
	desc.max_block_size = s->o->block_size;
	desc.num_workers = s->o->jobs ? s->o->jobs : 1;
	/* Blocks in flight bound the memory: 4 per worker, at most 1 MiB each. */
	desc.max_backlog = 4 * desc.num_workers;
	desc.cmp = s->cmp;
	desc.wr = s->blkwr;
	desc.tbl = s->frag;
	desc.file = &s->file->base;
	desc.uncmp = s->uncmp;
	r = sqfs_block_processor_create_ex(&desc, &s->data);
	if (r)
		return sq_fail(s, r, "block processor");
	return 0;
}

static void sq_close(struct sq *s)
{
	sqfs_destroy(s->data);
	sqfs_destroy(s->dirwr);
	sqfs_destroy(s->dm);
	sqfs_destroy(s->im);
	sqfs_destroy(s->xwr);
	sqfs_destroy(s->ids);
	sqfs_destroy(s->frag);
	sqfs_destroy(s->blkwr);
	sqfs_destroy(s->uncmp);
	sqfs_destroy(s->cmp);
	if (s->ino)
		for (uint32_t i = 0; i < s->nino; i++)
			free(s->ino[i].inode);
	free(s->ino);
	free(s->buf);
	sqfs_destroy(s->file);
}

static int write_tables(struct sq *s)
{
	const struct tree_node *root = s->t->root;
	int r;

	s->super.inode_count = s->nino;
	s->super.inode_table_start = s->file->size;
	for (uint32_t i = 0; i < s->nino; i++)
		if ((r = write_inode(s, &s->ino[i])))
			return r;
	if ((r = sqfs_meta_writer_flush(s->im)) || (r = sqfs_meta_writer_flush(s->dm)))
		return sq_fail(s, r, "metadata");
	s->super.root_inode_ref = s->ino[root->priv - 1].ref;
	s->super.directory_table_start = s->file->size;
	if ((r = sqfs_meta_write_write_to_file(s->dm)))
		return sq_fail(s, r, "directory table");
	if ((r = sqfs_frag_table_write(s->frag, &s->file->base, &s->super, s->cmp)))
		return sq_fail(s, r, "fragment table");
	if (s->o->exportable &&
	    (r = sqfs_dir_writer_write_export_table(s->dirwr, &s->file->base, s->cmp,
						    (uint32_t)root->priv,
						    s->ino[root->priv - 1].ref, &s->super)))
		return sq_fail(s, r, "export table");
	if ((r = sqfs_id_table_write(s->ids, &s->file->base, &s->super, s->cmp)))
		return sq_fail(s, r, "id table");
	if ((r = sqfs_xattr_writer_flush(s->xwr, &s->file->base, &s->super, s->cmp)))
		return sq_fail(s, r, "xattr table");
	s->super.bytes_used = s->file->size;
	if ((r = sqfs_super_write(&s->super, &s->file->base)))
		return sq_fail(s, r, "superblock");
	return 0;
}

int squashfs_write(struct tree *t, const struct squashfs_opts *o, struct sink *out,
		   uint64_t *ret_size, struct diag *d)
{
	struct sq s = { .t = t, .o = o, .d = d };
	uint64_t padded;
	int r, r2;

	r = tree_walk(t, count_cb, &s);
	if (r)
		return diag_fail(d, r, "squashfs: more than 2^32 inodes");
	s.ino = calloc(s.nino, sizeof(*s.ino));
	if (!s.ino) {
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto out;
	}
	tree_walk(t, number_files_cb, &s);
	number_dirs(&s, t->root);
	r = sq_open(&s, out);
	if (r)
		goto out;
	for (uint32_t i = 0; i < s.nino && !r && !s.file->err; i++)
		if (tree_is_reg(s.ino[i].n))
			r = add_file_data(&s, &s.ino[i]);
	/* Drain the processor even after an error, or its queued blocks leak. */
	r2 = sqfs_block_processor_finish(s.data);
	if (!r && r2)
		r = sq_fail(&s, r2, "file data");
	if (!r && s.file->err)
		r = sq_fail(&s, SQFS_ERROR_IO, "writing");
	if (r)
		goto out;
	r = write_tables(&s);
	if (!r && s.file->err)
		r = sq_fail(&s, SQFS_ERROR_IO, "writing");
	if (r)
		goto out;
	padded = (s.file->size + SQ_DEVBLK - 1) / SQ_DEVBLK * SQ_DEVBLK;
	if (padded > s.file->size) {
		r = sink_zero(out, s.file->size, padded - s.file->size);
		if (r) {
			r = diag_fail(d, r, "squashfs: padding: %s", strerror(-r));
			goto out;
		}
	}
	if (s.xattrs_dropped)
		diag_warn(d, "squashfs: %llu extended attribute(s) dropped (e.g. %s): squashfs keeps user.*, trusted.* and security.* only",
			  (unsigned long long)s.xattrs_dropped, s.dropped_name);
	*ret_size = padded;
out:
	sq_close(&s);
	return r;
}
