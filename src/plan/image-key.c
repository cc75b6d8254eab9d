/* SPDX-License-Identifier: MIT */
/*
 * The key of a finished image (image-key.h): a list of named components,
 * so that a miss can say which input changed.
 */
#include "plan/image-key.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "fs/tree.h"
#include "plan/build.h"
#include "store/store.h"

#define KEY_NAMES_CHUNK (64u << 10)

struct key_names {
	struct key_names *next;
	size_t used, size;
	char buf[];
};

void image_key_release(struct image_key *k)
{
	while (k->names) {
		struct key_names *next = k->names->next;
		free(k->names);
		k->names = next;
	}
	free(k->c);
	memset(k, 0, sizeof(*k));
}

/* Room for @cap components in all: a tree knows its count up front. */
static int reserve(struct image_key *k, size_t cap)
{
	struct key_component *c;

	if (cap <= k->cap)
		return 0;
	if (!(c = realloc(k->c, cap * sizeof(*c))))
		return -ENOMEM;
	k->c = c;
	k->cap = cap;
	return 0;
}

static char *name_dup(struct image_key *k, const char *name)
{
	size_t len = strlen(name) + 1;
	struct key_names *ch = k->names;

	if (!ch || ch->size - ch->used < len) {
		size_t size = len > KEY_NAMES_CHUNK ? len : KEY_NAMES_CHUNK;
		if (!(ch = malloc(sizeof(*ch) + size)))
			return NULL;
		ch->next = k->names;
		ch->used = 0;
		ch->size = size;
		k->names = ch;
	}
	char *n = memcpy(ch->buf + ch->used, name, len);
	ch->used += len;
	return n;
}

int image_key_add_hash(struct image_key *k, const char *name, const uint8_t hash[SHA256_LEN])
{
	if (k->n == k->cap && reserve(k, k->cap ? 2 * k->cap : 32))
		return -ENOMEM;
	/* One line per component in the explain record: no newline in a name. */
	char *n = name_dup(k, name);
	if (!n)
		return -ENOMEM;
	for (char *p = n; *p; p++)
		if (*p == '\n')
			*p = ' ';
	k->c[k->n].name = n;
	memcpy(k->c[k->n].hash, hash, SHA256_LEN);
	k->n++;
	return 0;
}

int image_key_add(struct image_key *k, const char *name, const void *data, size_t len)
{
	uint8_t h[SHA256_LEN];
	int r = sha256_buf(data, len, h);

	return r ? r : image_key_add_hash(k, name, h);
}

int image_key_none(struct build *b, struct image *img, struct image_key *k, struct diag *d)
{
	(void)b, (void)img, (void)k, (void)d;
	return 0;
}

/* ---- trees ---- */

/* Bytes [off, off+len) of @fd, hashed. */
static int hash_range(int fd, uint64_t off, uint64_t len, uint8_t out[SHA256_LEN])
{
	struct sha256_ctx c;
	uint8_t buf[1 << 16];
	int r = sha256_init(&c);

	while (!r && len) {
		size_t want = len < sizeof(buf) ? (size_t)len : sizeof(buf);
		ssize_t got = pread(fd, buf, want, (off_t)off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			r = got < 0 ? -errno : -EIO;
			break;
		}
		r = sha256_update(&c, buf, (size_t)got);
		off += (uint64_t)got;
		len -= (uint64_t)got;
	}
	if (!r)
		r = sha256_final(&c, out);
	sha256_release(&c);
	return r;
}

/*
 * Hashes of ranges of one store blob (the members of a decoded archive
 * layer), kept in an ac/ record per blob: a file's identity is the hash
 * of its bytes wherever they are (a blob, kiln's spill file on the build
 * that decoded the layer, an input file), so every build of the same
 * tree has the same key, and a warm build reads no member twice.
 */
struct range {
	uint64_t off, size;
	uint8_t hash[SHA256_LEN];
};

struct blob_ranges {
	char hex[2 * SHA256_LEN + 1];
	struct range *v;
	size_t n, nsorted, cap;
	bool dirty;
};

struct key_ctx {
	struct build *b;
	struct image_key *k;
	struct blob_ranges *blobs;
	size_t nblobs;
};

static int range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return (x->size > y->size) - (x->size < y->size);
}

static void ranges_key(const char *hex, uint8_t out[SHA256_LEN])
{
	char k[96];
	int n = snprintf(k, sizeof(k), "kiln blob ranges%c%s", 0, hex);

	sha256_buf(k, (size_t)n, out);
}

static struct blob_ranges *blob_get(struct key_ctx *x, const char *hex)
{
	uint8_t key[SHA256_LEN];
	void *buf = NULL;
	size_t len = 0;
	struct diag q = { 0 };

	for (size_t i = 0; i < x->nblobs; i++)
		if (!strcmp(x->blobs[i].hex, hex))
			return &x->blobs[i];
	struct blob_ranges *nb = realloc(x->blobs, (x->nblobs + 1) * sizeof(*nb));
	if (!nb)
		return NULL;
	x->blobs = nb;
	nb = &x->blobs[x->nblobs++];
	memset(nb, 0, sizeof(*nb));
	snprintf(nb->hex, sizeof(nb->hex), "%s", hex);
	ranges_key(hex, key);
	if (!store_ac_get(x->b->store, key, &buf, &len, &q) && len % sizeof(struct range) == 0 &&
	    len) {
		nb->v = buf;
		nb->n = nb->nsorted = nb->cap = len / sizeof(struct range);
		qsort(nb->v, nb->n, sizeof(*nb->v), range_cmp);
	} else {
		free(buf);
	}
	return nb;
}

static bool range_find(const struct blob_ranges *br, uint64_t off, uint64_t size,
		       uint8_t out[SHA256_LEN])
{
	struct range want = { .off = off, .size = size };
	const struct range *f =
		br->nsorted ? bsearch(&want, br->v, br->nsorted, sizeof(want), range_cmp) : NULL;

	for (size_t i = br->nsorted; !f && i < br->n; i++)
		if (br->v[i].off == off && br->v[i].size == size)
			f = &br->v[i];
	if (f)
		memcpy(out, f->hash, SHA256_LEN);
	return f;
}

static void blobs_release(struct key_ctx *x)
{
	for (size_t i = 0; i < x->nblobs; i++) {
		struct blob_ranges *br = &x->blobs[i];
		if (br->dirty) {
			/* Best effort: a failure only costs re-reading next time. */
			uint8_t key[SHA256_LEN];
			struct diag q = { 0 };
			ranges_key(br->hex, key);
			store_ac_put(x->b->store, key, br->v, br->n * sizeof(*br->v), &q);
		}
		free(br->v);
	}
	free(x->blobs);
}

/* What @size bytes at @off of @sp are, read as seldom as possible. */
static int range_id(struct key_ctx *x, const char *sp, uint64_t off, uint64_t size,
		    uint8_t out[SHA256_LEN], struct diag *d)
{
	struct blob_ranges *br = NULL;
	struct stat st;
	uint8_t h[SHA256_LEN];
	int fd, r;

	if (!size) {
		memset(out, 0, SHA256_LEN);
		return 0;
	}
	if (!sp)
		return diag_fail(d, -EINVAL, "a file of %llu bytes has no source",
				 (unsigned long long)size);
	if (x->b->store) {
		const char *root = store_root(x->b->store);
		size_t rl = strlen(root), sl = strlen(sp);
		if (!strncmp(sp, root, rl) && !strncmp(sp + rl, "/cas/", 5) && sl >= 64 &&
		    !strchr(sp + sl - 64, '/')) {
			br = blob_get(x, sp + sl - 64);
			if (!br)
				return diag_fail(d, -ENOMEM, "out of memory");
			if (range_find(br, off, size, out))
				return 0;
		}
	}
	fd = open(sp, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return diag_fail(d, -errno, "%s: %s", sp, strerror(errno));
	if (fstat(fd, &st)) {
		r = diag_fail(d, -errno, "%s: %s", sp, strerror(errno));
	} else if (!br && !off && S_ISREG(st.st_mode) && (uint64_t)st.st_size == size) {
		r = store_file_hash(x->b->store, fd, sp, h, NULL, d);
	} else {
		r = hash_range(fd, off, size, h);
		if (r)
			diag_fail(d, r, "%s: %s", sp, strerror(-r));
	}
	close(fd);
	if (r)
		return r;
	memcpy(out, h, SHA256_LEN);
	if (br) {
		if (br->n == br->cap) {
			size_t cap = br->cap ? 2 * br->cap : 64;
			struct range *v = realloc(br->v, cap * sizeof(*v));
			if (!v)
				return 0; /* not remembered: read again next time */
			br->v = v;
			br->cap = cap;
		}
		br->v[br->n].off = off;
		br->v[br->n].size = size;
		memcpy(br->v[br->n].hash, h, SHA256_LEN);
		br->n++;
		br->dirty = true;
	}
	return 0;
}

static int content_id(struct key_ctx *x, const struct tree_node *n, uint8_t out[SHA256_LEN],
		      struct diag *d)
{
	char buf[TREE_SRC_PATH_MAX];

	return range_id(x, tree_node_src_path(n, buf, sizeof(buf)), n->src_off, n->size, out, d);
}

static int node_path(const struct tree_node *n, char *buf, size_t size)
{
	if (!n->parent)
		return snprintf(buf, size, "/") >= (int)size ? -ENAMETOOLONG : 0;
	int r = node_path(n->parent, buf, size);
	size_t l = strlen(buf);
	if (r)
		return r;
	if (snprintf(buf + l, size - l, "%s%s", l > 1 ? "/" : "", n->name) >= (int)(size - l))
		return -ENAMETOOLONG;
	return 0;
}

static int hash_node(struct key_ctx *x, const struct tree_node *n, struct diag *d)
{
	char path[TREE_SRC_PATH_MAX + 8], name[TREE_SRC_PATH_MAX + 16];
	uint8_t content[SHA256_LEN], h[SHA256_LEN];
	struct sha256_ctx c;
	/* Fixed-width fields in a fixed order, no padding hashed. */
	uint64_t m[9] = { n->size, (uint64_t)n->mtime, n->mode, n->uid, n->gid, n->rdev_major,
			  n->rdev_minor, n->mtime_ns, n->nxattrs };
	int r;

	if ((r = node_path(n, path, sizeof(path))))
		return diag_fail(d, r, "path too long in a tree");
	memset(content, 0, sizeof(content));
	if (n->hardlink) {
		/* Another name for a node: its identity is the target's path. */
		char t[TREE_SRC_PATH_MAX + 8];
		if ((r = node_path(n->hardlink, t, sizeof(t))) ||
		    (r = sha256_buf(t, strlen(t), content)))
			return r;
	} else if (S_ISREG(n->mode) && (r = content_id(x, n, content, d))) {
		return r;
	}
	if ((r = sha256_init(&c)))
		return r;
	r = sha256_update(&c, &m, sizeof(m));
	if (!r)
		r = sha256_update(&c, content, sizeof(content));
	if (!r && n->link)
		r = sha256_update(&c, n->link, strlen(n->link) + 1);
	for (unsigned i = 0; !r && i < n->nxattrs; i++) {
		r = sha256_update(&c, n->xattrs[i].name, strlen(n->xattrs[i].name) + 1);
		if (!r)
			r = sha256_update(&c, &n->xattrs[i].len, sizeof(n->xattrs[i].len));
		if (!r)
			r = sha256_update(&c, n->xattrs[i].value, n->xattrs[i].len);
	}
	if (!r)
		r = sha256_final(&c, h);
	sha256_release(&c);
	if (r)
		return r;
	snprintf(name, sizeof(name), "file %s", path);
	if ((r = image_key_add_hash(x->k, name, h)))
		return r;
	for (uint32_t i = 0; i < n->nkids; i++)
		if ((r = hash_node(x, n->kids[i], d)))
			return r;
	return 0;
}

/* Paths of the host files in @n's subtree that range_id hashes whole
 * (not ranges of decoded layers in the store's cas/). */
struct paths {
	char **v;
	size_t n, cap;
};

static int collect(struct key_ctx *x, const struct tree_node *n, struct paths *p)
{
	char buf[TREE_SRC_PATH_MAX];
	const char *sp, *root = store_root(x->b->store);
	size_t rl = strlen(root);

	if (S_ISREG(n->mode) && !n->hardlink && n->size && !n->src_off &&
	    (sp = tree_node_src_path(n, buf, sizeof(buf))) &&
	    (strncmp(sp, root, rl) || strncmp(sp + rl, "/cas/", 5))) {
		if (p->n == p->cap) {
			size_t cap = p->cap ? 2 * p->cap : 256;
			char **v = realloc(p->v, cap * sizeof(*v));
			if (!v)
				return -ENOMEM;
			p->v = v;
			p->cap = cap;
		}
		if (!(p->v[p->n] = strdup(sp)))
			return -ENOMEM;
		p->n++;
	}
	for (uint32_t i = 0; i < n->nkids; i++)
		if (collect(x, n->kids[i], p))
			return -ENOMEM;
	return 0;
}

int image_key_tree(struct build *b, struct image_key *k, const struct tree *t, struct diag *d)
{
	struct key_ctx x = { .b = b, .k = k };
	struct paths p = { 0 };
	int r;

	/* Input files are hashed on -j threads first; the walk below, in
	 * tree order, then finds them in the stat index. */
	if (b->store && b->jobs > 1 && t && t->root && !collect(&x, t->root, &p))
		store_file_hash_many(b->store, (const char *const *)p.v, p.n, b->jobs, d);
	for (size_t i = 0; i < p.n; i++)
		free(p.v[i]);
	free(p.v);
	/* One component per node (nnodes leaves out the root). */
	r = t && t->root ? reserve(k, k->n + t->nnodes + 1) : 0;
	if (!r && t && t->root)
		r = hash_node(&x, t->root, d);

	blobs_release(&x);
	return r;
}

int image_key_file(struct build *b, struct image_key *k, const char *name, const char *path,
		   uint64_t off, uint64_t len, struct diag *d)
{
	struct key_ctx x = { .b = b, .k = k };
	uint8_t h[SHA256_LEN];
	int r = range_id(&x, path, off, len, h, d);

	blobs_release(&x);
	return r ? r : image_key_add_hash(k, name, h);
}

/* ---- config values ---- */

static int hash_section(struct image_key *k, cfg_t *sec, const char *prefix)
{
	char name[512];
	int r = 0;

	for (unsigned i = 0; !r && sec->opts[i].name; i++) {
		cfg_opt_t *o = &sec->opts[i];
		if (o->type == CFGT_SEC) {
			for (unsigned j = 0; !r && j < cfg_opt_size(o); j++) {
				cfg_t *sub = cfg_opt_getnsec(o, j);
				const char *title = cfg_title(sub);
				if (title)
					snprintf(name, sizeof(name), "%s%s[%s].", prefix, o->name, title);
				else
					snprintf(name, sizeof(name), "%s%s.", prefix, o->name);
				r = hash_section(k, sub, name);
			}
			continue;
		}
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		if (!f)
			return -ENOMEM;
		cfg_opt_print(o, f);
		if (fclose(f)) {
			free(text);
			return -ENOMEM;
		}
		snprintf(name, sizeof(name), "option %s%s", prefix, o->name);
		r = image_key_add(k, name, text, len);
		free(text);
	}
	return r;
}

/* ---- the whole key ---- */

/* A child's identity: its own key, or (no key, a hook that may change
 * it, an input) the hash of the file a parent reads. */
static int child_id(struct build *b, struct image *c, uint8_t out[SHA256_LEN], struct diag *d)
{
	int fd, r;

	if (c->keyed && !c->exec_post) {
		memcpy(out, c->key, SHA256_LEN);
		return 0;
	}
	fd = open(c->outfile, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return diag_fail(d, -errno, "%s: %s", c->outfile, strerror(errno));
	r = store_file_hash(b->store, fd, c->outfile, out, NULL, d);
	close(fd);
	return r;
}

static int add_layout(struct image_key *k, const struct image *img)
{
	struct sha256_ctx c;
	uint8_t h[SHA256_LEN];
	uint64_t v[5] = { img->size, img->file_size, img->placed, img->placed_offset, img->nparts };
	int r = sha256_init(&c);

	if (!r)
		r = sha256_update(&c, v, sizeof(v));
	for (unsigned i = 0; !r && i < img->nparts; i++) {
		const struct partition *p = &img->parts[i];
		uint64_t pv[6] = { p->offset, p->size, p->index, p->logical, p->is_extended,
				   p->imageoffset };
		r = sha256_update(&c, pv, sizeof(pv));
		if (!r)
			r = sha256_update(&c, &p->uuid, sizeof(p->uuid));
		if (!r)
			r = sha256_update(&c, &p->type_uuid, sizeof(p->type_uuid));
	}
	if (!r)
		r = sha256_final(&c, h);
	sha256_release(&c);
	return r ? r : image_key_add_hash(k, "layout", h);
}

int image_key_compute(struct build *b, struct image *img, struct image_key *k,
		      uint8_t ret_key[SHA256_LEN], struct diag *d)
{
	char name[512], fmt[32];
	cfg_t *sec;
	int r;

	if (!img->handler->key)
		return -EOPNOTSUPP;
	snprintf(fmt, sizeof(fmt), "%d", KILN_IMAGE_FORMAT);
	if ((r = image_key_add(k, "kiln image format", fmt, strlen(fmt))) ||
	    (r = image_key_add(k, "type", img->handler->type, strlen(img->handler->type))) ||
	    (r = image_key_add(k, "mode", b->genimage_mode ? "genimage" : "kiln",
			       b->genimage_mode ? 8 : 4)) ||
	    (r = image_key_add(k, "seed", img->seed.b, sizeof(img->seed.b))) ||
	    (r = image_key_add(k, "epoch (SOURCE_DATE_EPOCH)", &b->epoch, sizeof(b->epoch))))
		goto fail;
	sec = b->cfg ? cfg_gettsec(b->cfg, "image", img->name) : NULL;
	if (!sec)
		return diag_fail(d, -ENOENT, "no config section");
	if ((r = hash_section(k, sec, "")) || (r = add_layout(k, img)))
		goto fail;
	for (unsigned i = 0; i < img->ndeps; i++) {
		struct image *c = img->deps[i].img;
		uint8_t h[SHA256_LEN];
		if (!c)
			continue;
		if ((r = child_id(b, c, h, d)))
			return r;
		snprintf(name, sizeof(name), "%s '%s'", c->input_only ? "input" : "child", c->name);
		if ((r = image_key_add_hash(k, name, h)))
			goto fail;
	}
	if ((r = img->handler->key(b, img, k, d)))
		return r;
	/* The key: every component's name and hash, in order. */
	struct sha256_ctx c;
	if ((r = sha256_init(&c)))
		goto fail;
	for (size_t i = 0; !r && i < k->n; i++) {
		r = sha256_update(&c, k->c[i].name, strlen(k->c[i].name) + 1);
		if (!r)
			r = sha256_update(&c, k->c[i].hash, SHA256_LEN);
	}
	if (!r)
		r = sha256_final(&c, ret_key);
	sha256_release(&c);
fail:
	return r ? diag_fail(d, r, "%s", strerror(-r)) : 0;
}

/* ---- explain ---- */

char *image_key_serialise(const struct image_key *k, size_t *ret_len)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	char hex[2 * SHA256_LEN + 1];

	if (!f)
		return NULL;
	for (size_t i = 0; i < k->n; i++) {
		hex_encode(k->c[i].hash, SHA256_LEN, hex);
		fprintf(f, "%s %s\n", hex, k->c[i].name);
	}
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	*ret_len = len;
	return text;
}

/* Bytes for image_key_write(), gathered into writes of 64 KiB. */
struct key_out {
	struct store_writer *w;
	size_t used;
	char buf[1 << 16];
};

static int out_flush(struct key_out *o, struct diag *d)
{
	int r = o->used ? store_writer_write(o->w, o->buf, o->used, d) : 0;

	o->used = 0;
	return r;
}

static int out_put(struct key_out *o, const void *p, size_t len, struct diag *d)
{
	int r = 0;

	if (o->used + len > sizeof(o->buf))
		r = out_flush(o, d);
	if (!r && len > sizeof(o->buf))
		return store_writer_write(o->w, p, len, d);
	if (!r) {
		memcpy(o->buf + o->used, p, len);
		o->used += len;
	}
	return r;
}

int image_key_write(const struct image_key *k, struct store_writer *w, struct diag *d)
{
	/* Streamed: a tree's record is ~110 bytes per path, too much to
	 * hold whole next to the tree at the end of a build. */
	struct key_out *o = malloc(sizeof(*o));
	char hex[2 * SHA256_LEN + 2];
	int r = 0;

	if (!o)
		return diag_fail(d, -ENOMEM, "out of memory");
	o->w = w;
	o->used = 0;
	for (size_t i = 0; !r && i < k->n; i++) {
		hex_encode(k->c[i].hash, SHA256_LEN, hex);
		hex[2 * SHA256_LEN] = ' ';
		r = out_put(o, hex, sizeof(hex) - 1, d);
		if (!r)
			r = out_put(o, k->c[i].name, strlen(k->c[i].name), d);
		if (!r)
			r = out_put(o, "\n", 1, d);
	}
	if (!r)
		r = out_flush(o, d);
	free(o);
	return r;
}

struct line {
	const char *name;
	size_t nlen;
	const char *hex;
};

static int line_cmp(const void *a, const void *b)
{
	const struct line *x = a, *y = b;
	size_t n = x->nlen < y->nlen ? x->nlen : y->nlen;
	int c = memcmp(x->name, y->name, n);

	return c ? c : (x->nlen > y->nlen) - (x->nlen < y->nlen);
}

static size_t parse_lines(const char *s, size_t len, struct line *v, size_t max)
{
	size_t n = 0;
	const char *end = s + len;

	while (s < end && n < max) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl)
			break;
		if (nl - s > 2 * SHA256_LEN + 1 && s[2 * SHA256_LEN] == ' ') {
			v[n].hex = s;
			v[n].name = s + 2 * SHA256_LEN + 1;
			v[n].nlen = (size_t)(nl - v[n].name);
			n++;
		}
		s = nl + 1;
	}
	return n;
}

static void note(char *buf, size_t size, unsigned *shown, unsigned *more, const char *what,
		 const char *name, size_t nlen)
{
	size_t l = strlen(buf);

	if (*shown >= 4) {
		(*more)++;
		return;
	}
	snprintf(buf + l, size - l, "%s%s: %.*s", l ? "; " : "", what, (int)nlen, name);
	(*shown)++;
}

void image_key_diff(const struct image_key *now, const char *before, size_t before_len, char *buf,
		    size_t bufsize)
{
	size_t cur_len = 0, na, nb, i = 0, j = 0;
	char *cur = image_key_serialise(now, &cur_len);
	struct line *a = NULL, *bl = NULL;
	unsigned shown = 0, more = 0;

	buf[0] = 0;
	if (!cur)
		goto out;
	a = calloc(before_len / (2 * SHA256_LEN + 2) + 1, sizeof(*a));
	bl = calloc(now->n + 1, sizeof(*bl));
	if (!a || !bl)
		goto out;
	na = parse_lines(before, before_len, a, before_len / (2 * SHA256_LEN + 2) + 1);
	nb = parse_lines(cur, cur_len, bl, now->n + 1);
	qsort(a, na, sizeof(*a), line_cmp);
	qsort(bl, nb, sizeof(*bl), line_cmp);
	while (i < na || j < nb) {
		int c = i == na ? 1 : j == nb ? -1 : line_cmp(&a[i], &bl[j]);
		if (c < 0) {
			note(buf, bufsize, &shown, &more, "gone", a[i].name, a[i].nlen);
			i++;
		} else if (c > 0) {
			note(buf, bufsize, &shown, &more, "new", bl[j].name, bl[j].nlen);
			j++;
		} else {
			if (memcmp(a[i].hex, bl[j].hex, 2 * SHA256_LEN))
				note(buf, bufsize, &shown, &more, "changed", a[i].name, a[i].nlen);
			i++, j++;
		}
	}
	if (more) {
		size_t l = strlen(buf);
		snprintf(buf + l, bufsize - l, " (and %u more)", more);
	}
out:
	free(a);
	free(bl);
	free(cur);
}
