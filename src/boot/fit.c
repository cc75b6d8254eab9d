/* SPDX-License-Identifier: MIT */
/* FIT: validation, layout and writing (libfdt sequential write), and
 * decoding for kiln inspect (libfdt read-only API). */
#include "boot/fit.h"

#include <errno.h>
#include <fcntl.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/endian.h"
#include "base/hash.h"
#include "boot/dtree.h"
#include "io/sink.h"

/* ---- what U-Boot 2023.01 knows (common/image.c tables) ---- */

static const char *const fit_types[] = {
	"aisimage", "atmelimage", "copro", "filesystem", "firmware", "firmware_ivt", "flat_dt",
	"fpga", "gpimage", "imx8image", "imx8mimage", "imximage", "kernel", "kernel_noload",
	"kwbimage", "lpc32xximage", "mtk_image", "multi", "mxsimage", "omapimage", "pblimage",
	"pmmc", "ramdisk", "rkimage", "rksd", "rkspi", "script", "socfpgaimage",
	"socfpgaimage_v1", "standalone", "stm32image", "sunxi_egon", "tee", "ublimage",
	"vybridimage", "x86_setup", "zynqimage", "zynqmpbif", "zynqmpimage", "fdt_legacy", NULL,
};
static const char *const fit_archs[] = {
	"alpha", "arc", "arm", "arm64", "avr32", "blackfin", "ia64", "m68k", "microblaze",
	"mips", "mips64", "nds32", "nios2", "openrisc", "powerpc", "ppc", "riscv", "s390",
	"sandbox", "sh", "sparc", "sparc64", "x86", "x86_64", "xtensa", NULL,
};
static const char *const fit_oss[] = {
	"4_4bsd", "arm-trusted-firmware", "artos", "dell", "efi", "elf", "esix", "freebsd",
	"integrity", "irix", "linux", "lynxos", "ncr", "netbsd", "openbsd", "openrtos",
	"opensbi", "ose", "plan9", "psos", "qnx", "rtems", "sco", "solaris", "svr4", "tee",
	"u-boot", "unity", "vxworks", NULL,
};
static const char *const fit_comps[] = {
	"none", "gzip", "bzip2", "lzma", "lzo", "lz4", "zstd", NULL,
};

static bool in_list(const char *const *l, const char *s)
{
	for (; s && *l; l++)
		if (!strcmp(*l, s))
			return true;
	return false;
}

bool fit_type_known(const char *s) { return in_list(fit_types, s); }
bool fit_arch_known(const char *s) { return in_list(fit_archs, s); }
bool fit_os_known(const char *s) { return in_list(fit_oss, s); }
bool fit_comp_known(const char *s) { return in_list(fit_comps, s); }

unsigned fit_hash_len(const char *algo)
{
	if (!algo)
		return 0;
	if (!strcmp(algo, "crc32"))
		return 4;
	if (!strcmp(algo, "sha1"))
		return SHA1_LEN;
	if (!strcmp(algo, "sha256"))
		return SHA256_LEN;
	return 0;
}

static int hash_compute(const char *algo, const uint8_t *data, size_t len, uint8_t *out)
{
	if (!strcmp(algo, "crc32")) {
		put_be32(out, crc32_ieee(0, data, len)); /* FIT stores it big-endian */
		return 0;
	}
	if (!strcmp(algo, "sha1"))
		return sha1_buf(data, len, out);
	if (!strcmp(algo, "sha256"))
		return sha256_buf(data, len, out);
	return -EINVAL;
}

/* ---- validation ---- */

static void node_path(const struct dt_node *n, char *out, size_t len)
{
	const struct dt_node *chain[DT_MAX_DEPTH + 2];
	unsigned k = 0;
	size_t pos = 0;

	for (; n && n->parent && k < DT_MAX_DEPTH + 2; n = n->parent)
		chain[k++] = n;
	out[0] = 0;
	if (!k)
		snprintf(out, len, "/");
	while (k-- && pos < len) {
		int w = snprintf(out + pos, len - pos, "/%s", chain[k]->name);
		pos += w > 0 ? (size_t)w : 0;
	}
}

static int check_names(const struct dt_node *n, const char *what, struct diag *d)
{
	if (strchr(n->name, '@')) {
		char path[512];
		node_path(n, path, sizeof(path));
		return diag_fail(d, -EINVAL,
				 "%s: node %s: '@' in a node name; U-Boot with FIT signature support rejects unit addresses (\"Bad FIT kernel image format! (err=-99)\"): use names like kernel-1, hash-1, conf-1",
				 what, path);
	}
	for (unsigned i = 0; i < n->nkids; i++) {
		int r = check_names(n->kids[i], what, d);
		if (r)
			return r;
	}
	return 0;
}

static int need_str(const struct dt_node *n, const char *prop, const char *why, const char *what,
		    struct diag *d)
{
	char path[512];

	if (dt_str(n, prop))
		return 0;
	node_path(n, path, sizeof(path));
	return diag_fail(d, -EINVAL, "%s: %s: %s %s", what, path,
			 dt_prop_find(n, prop) ? "property is not a string:" : "missing", prop);
	(void)why;
}

static int check_value(const struct dt_node *n, const char *prop, bool (*known)(const char *),
		       const char *examples, const char *what, struct diag *d)
{
	const char *v = dt_str(n, prop);
	char path[512];

	if (!dt_prop_find(n, prop))
		return 0;
	node_path(n, path, sizeof(path));
	if (!v)
		return diag_fail(d, -EINVAL, "%s: %s: %s is not a string", what, path, prop);
	if (!known(v))
		return diag_fail(d, -EINVAL, "%s: %s: %s = \"%s\" is not one U-Boot knows (e.g. %s)",
				 what, path, prop, v, examples);
	return 0;
}

static int check_addr(const struct dt_node *n, const char *prop, const char *what,
		      struct diag *d)
{
	const struct dt_prop *p = dt_prop_find(n, prop);
	char path[512];

	node_path(n, path, sizeof(path));
	if (!p)
		return diag_fail(d, -EINVAL,
				 "%s: %s: a kernel needs %s (U-Boot: \"Can't get image load address!\")",
				 what, path, prop);
	if (p->file || (p->len != 4 && p->len != 8))
		return diag_fail(d, -EINVAL, "%s: %s: %s must be one or two cells", what, path,
				 prop);
	return 0;
}

static int check_image(const struct dt_node *im, const char *what, bool need_addrs,
		       struct diag *d)
{
	char path[512];
	const char *type;
	int r;

	node_path(im, path, sizeof(path));
	if (!dt_prop_find(im, "data"))
		return diag_fail(d, -EINVAL, "%s: %s: no data", what, path);
	if ((r = need_str(im, "type", NULL, what, d)) ||
	    (r = check_value(im, "type", fit_type_known, "kernel, ramdisk, flat_dt, firmware", what, d)) ||
	    (r = check_value(im, "arch", fit_arch_known, "arm, arm64, riscv, x86_64", what, d)) ||
	    (r = check_value(im, "os", fit_os_known, "linux, u-boot, efi", what, d)) ||
	    (r = check_value(im, "compression", fit_comp_known, "none, gzip, lz4, zstd", what, d)))
		return r;
	type = dt_str(im, "type");
	if (!strcmp(type, "kernel")) {
		if ((r = need_str(im, "arch", NULL, what, d)) || (r = need_str(im, "os", NULL, what, d)))
			return r;
		if (need_addrs &&
		    ((r = check_addr(im, "load", what, d)) || (r = check_addr(im, "entry", what, d))))
			return r;
	}
	if (!strcmp(type, "ramdisk")) {
		if (!dt_str(im, "os"))
			return diag_fail(d, -EINVAL,
					 "%s: %s: a ramdisk needs os (U-Boot: \"Ramdisk image is corrupt or invalid\"), e.g. os = \"linux\"",
					 what, path);
		if ((r = need_str(im, "arch", NULL, what, d)))
			return r;
	}
	for (unsigned i = 0; i < im->nkids; i++) {
		const struct dt_node *h = im->kids[i];
		char hp[512];
		node_path(h, hp, sizeof(hp));
		if (!strncmp(h->name, "hash", 4)) {
			const char *algo = dt_str(h, "algo");
			if (!algo)
				return diag_fail(d, -EINVAL, "%s: %s: missing algo", what, hp);
			if (!fit_hash_len(algo))
				return diag_fail(d, -EINVAL,
						 "%s: %s: algo = \"%s\": kiln computes crc32, sha1 and sha256",
						 what, hp, algo);
		} else if (!strncmp(h->name, "signature", 9)) {
			return diag_fail(d, -EINVAL, "%s: %s: signing is not supported by kiln", what, hp);
		} else if (dt_prop_find(h, "algo")) {
			return diag_fail(d, -EINVAL,
					 "%s: %s: has algo but its name does not start with \"hash\": U-Boot would not check it at all",
					 what, hp);
		}
	}
	return 0;
}

static const char *const conf_refs[] = { "kernel", "fdt", "ramdisk", "loadables", "firmware",
					 "fpga", "standalone", "setup", NULL };

static int check_conf(const struct dt_node *c, const struct dt_node *images, const char *what,
		      struct diag *d)
{
	char path[512];

	node_path(c, path, sizeof(path));
	for (unsigned k = 0; conf_refs[k]; k++) {
		const struct dt_prop *p = dt_prop_find(c, conf_refs[k]);
		size_t off = 0;
		if (!p)
			continue;
		if (p->file || !p->len || p->val[p->len - 1])
			return diag_fail(d, -EINVAL, "%s: %s: %s is not a string list", what, path,
					 conf_refs[k]);
		while (off < p->len) {
			const char *s = (const char *)p->val + off;
			if (!*s)
				return diag_fail(d, -EINVAL, "%s: %s: %s holds an empty name", what,
						 path, conf_refs[k]);
			if (!dt_child((struct dt_node *)images, s, false))
				return diag_fail(d, -EINVAL,
						 "%s: %s: %s = \"%s\": no such image in /images",
						 what, path, conf_refs[k], s);
			off += strlen(s) + 1;
		}
	}
	return 0;
}

int fit_check(const struct dt_node *root, const char *what, struct diag *d)
{
	return fit_check_opts(root, what, true, d);
}

int fit_check_opts(const struct dt_node *root, const char *what, bool need_addrs,
		   struct diag *d)
{
	const struct dt_node *images = dt_child((struct dt_node *)root, "images", false);
	const struct dt_node *confs = dt_child((struct dt_node *)root, "configurations", false);
	int r;

	if ((r = check_names(root, what, d)))
		return r;
	if (!dt_str(root, "description"))
		return diag_fail(d, -EINVAL,
				 "%s: the root node needs description = \"...\" (U-Boot: \"Bad FIT kernel image format! (err=-42)\")",
				 what);
	if (!images || !images->nkids)
		return diag_fail(d, -EINVAL, "%s: no images (an /images node with at least one image)",
				 what);
	for (unsigned i = 0; i < images->nkids; i++)
		if ((r = check_image(images->kids[i], what, need_addrs, d)))
			return r;
	if (!confs)
		return 0;
	if (dt_prop_find(confs, "default")) {
		const char *def = dt_str(confs, "default");
		if (!def)
			return diag_fail(d, -EINVAL, "%s: /configurations: default is not a string",
					 what);
		if (!dt_child((struct dt_node *)confs, def, false))
			return diag_fail(d, -EINVAL,
					 "%s: /configurations: default = \"%s\": no such configuration",
					 what, def);
	} else if (confs->nkids) {
		return diag_fail(d, -EINVAL,
				 "%s: /configurations: no default (bootm without a configuration name would fail)",
				 what);
	}
	for (unsigned i = 0; i < confs->nkids; i++)
		if ((r = check_conf(confs->kids[i], images, what, d)))
			return r;
	return 0;
}

static void drop_values(struct dt_node *n, bool in_image)
{
	for (unsigned i = 0; i < n->nkids; i++) {
		struct dt_node *k = n->kids[i];
		if (in_image && !strncmp(k->name, "hash", 4))
			dt_del(k, "value");
	}
}

int fit_finalize(struct dt_node *root, int64_t epoch)
{
	struct dt_node *images = dt_child(root, "images", false);
	uint32_t t = epoch < 0 ? 0 : epoch > UINT32_MAX ? UINT32_MAX : (uint32_t)epoch;

	if (images)
		for (unsigned i = 0; i < images->nkids; i++)
			drop_values(images->kids[i], true);
	return dt_set_u32(root, "timestamp", t);
}

/* ---- writing ---- */

struct emit {
	void *fdt;
	bool measure, external;
	struct sink *out;
	uint64_t ext_base, ext_off; /* external data: start and running offset */
	uint64_t ext_end;           /* end of the last external data written */
	uint64_t deferred;          /* measure: value bytes left out of the blob */
	uint64_t ext_deferred;      /* measure: external data bytes */
	struct diag *d;
};

static uint64_t align4(uint64_t v)
{
	return (v + 3) & ~(uint64_t)3;
}

static int fdt_err(struct emit *e, int fe)
{
	if (fe == -FDT_ERR_NOSPACE)
		return -ENOSPC;
	return diag_fail(e->d, -EINVAL, "libfdt: %s", fdt_strerror(fe));
}

static int read_exact(const char *path, uint64_t len, uint8_t *buf, struct diag *d)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint64_t done = 0;
	int r = 0;

	if (fd < 0)
		return diag_fail(d, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) || (uint64_t)st.st_size != len) {
		close(fd);
		return diag_fail(d, -EIO, "%s: size changed since planning (%llu bytes planned)",
				 path, (unsigned long long)len);
	}
	while (done < len) {
		ssize_t n = pread(fd, buf + done, len - done > (1u << 30) ? (1u << 30) : len - done,
				  (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = diag_fail(d, n < 0 ? -errno : -EIO, "%s: read failed", path);
			break;
		}
		done += (uint64_t)n;
	}
	close(fd);
	return r;
}

/* Emit one property; for file-backed values read them in place.
 * *ret_data points at the value in the blob (not in measure mode). */
static int emit_prop(struct emit *e, const struct dt_prop *p, const uint8_t **ret_data)
{
	void *val;
	int fe;

	if (ret_data)
		*ret_data = NULL;
	if (!p->file)
		return (fe = fdt_property(e->fdt, p->name, p->val, (int)p->len)) ? fdt_err(e, fe) : 0;
	if (e->measure) {
		e->deferred += align4(p->len);
		return (fe = fdt_property(e->fdt, p->name, NULL, 0)) ? fdt_err(e, fe) : 0;
	}
	if (p->len > INT32_MAX)
		return diag_fail(e->d, -EFBIG, "%s: too large for an embedded FIT property", p->file);
	fe = fdt_property_placeholder(e->fdt, p->name, (int)p->len, &val);
	if (fe)
		return fdt_err(e, fe);
	if (ret_data)
		*ret_data = val;
	return read_exact(p->file, p->len, val, e->d);
}

static int emit_hash_node(struct emit *e, const struct dt_node *h, const uint8_t *data,
			  uint64_t len)
{
	const char *algo = dt_str(h, "algo");
	unsigned hl = fit_hash_len(algo);
	uint8_t v[SHA256_LEN];
	int fe, r;

	if ((fe = fdt_begin_node(e->fdt, h->name)))
		return fdt_err(e, fe);
	for (unsigned i = 0; i < h->nprops; i++)
		if (strcmp(h->props[i].name, "value") && (r = emit_prop(e, &h->props[i], NULL)))
			return r;
	memset(v, 0, sizeof(v));
	if (!e->measure && (r = hash_compute(algo, data, (size_t)len, v)))
		return diag_fail(e->d, r, "%s: hash failed", algo);
	if ((fe = fdt_property(e->fdt, "value", v, (int)hl)))
		return fdt_err(e, fe);
	for (unsigned i = 0; i < h->nkids; i++)
		return diag_fail(e->d, -EINVAL, "hash node %s has subnodes", h->name);
	return (fe = fdt_end_node(e->fdt)) ? fdt_err(e, fe) : 0;
}

static int emit_node(struct emit *e, const struct dt_node *n, int kind);

enum { K_OTHER, K_ROOT, K_IMAGES, K_IMAGE };

static int emit_image(struct emit *e, const struct dt_node *im)
{
	const struct dt_prop *dp = dt_prop_find(im, "data");
	const uint8_t *data = NULL;
	uint8_t *heap = NULL;
	uint64_t len = dp ? dp->len : 0;
	int fe, r = 0;

	if ((fe = fdt_begin_node(e->fdt, im->name)))
		return fdt_err(e, fe);
	for (unsigned i = 0; i < im->nprops && !r; i++) {
		const struct dt_prop *p = &im->props[i];
		if (p != dp) {
			if (!strcmp(p->name, "data-offset") || !strcmp(p->name, "data-size") ||
			    !strcmp(p->name, "data-position"))
				continue; /* stale layout of another FIT */
			r = emit_prop(e, p, NULL);
			continue;
		}
		if (!e->external) {
			if (e->measure) { /* sizing: no value bytes needed */
				e->deferred += align4(p->len);
				fe = fdt_property(e->fdt, p->name, NULL, 0);
				r = fe ? fdt_err(e, fe) : 0;
				continue;
			}
			r = emit_prop(e, p, &data);
			if (!p->file)
				data = p->val;
			continue;
		}
		/* External: data-size and data-offset here, bytes after the FDT. */
		if (len > UINT32_MAX)
			return diag_fail(e->d, -EFBIG, "image %s: data above 4 GiB", im->name);
		if ((fe = fdt_property_u32(e->fdt, "data-size", (uint32_t)len)) ||
		    (fe = fdt_property_u32(e->fdt, "data-offset", (uint32_t)e->ext_off)))
			return fdt_err(e, fe);
		if (e->measure) {
			e->ext_deferred += align4(len);
		} else if (p->file) {
			heap = malloc(len ? len : 1);
			if (!heap)
				return diag_fail(e->d, -ENOMEM, "out of memory");
			r = read_exact(p->file, len, heap, e->d);
			data = heap;
		} else {
			data = p->val;
		}
		if (!r && !e->measure)
			r = sink_pwrite(e->out, data, (size_t)len, e->ext_base + e->ext_off);
		e->ext_end = e->ext_base + e->ext_off + len;
		e->ext_off += align4(len);
	}
	for (unsigned i = 0; i < im->nkids && !r; i++) {
		const struct dt_node *k = im->kids[i];
		if (!strncmp(k->name, "hash", 4))
			r = emit_hash_node(e, k, data, len);
		else
			r = emit_node(e, k, K_OTHER);
	}
	free(heap);
	if (r)
		return r;
	return (fe = fdt_end_node(e->fdt)) ? fdt_err(e, fe) : 0;
}

static int emit_node(struct emit *e, const struct dt_node *n, int kind)
{
	int fe, r;

	if ((fe = fdt_begin_node(e->fdt, n->name)))
		return fdt_err(e, fe);
	for (unsigned i = 0; i < n->nprops; i++)
		if ((r = emit_prop(e, &n->props[i], NULL)))
			return r;
	for (unsigned i = 0; i < n->nkids; i++) {
		const struct dt_node *k = n->kids[i];
		if (kind == K_ROOT && !strcmp(k->name, "images"))
			r = emit_node(e, k, K_IMAGES);
		else if (kind == K_IMAGES)
			r = emit_image(e, k);
		else
			r = emit_node(e, k, K_OTHER);
		if (r)
			return r;
	}
	return (fe = fdt_end_node(e->fdt)) ? fdt_err(e, fe) : 0;
}

static int emit_all(struct emit *e, void *buf, size_t size, const struct dt_node *root)
{
	int fe, r;

	e->fdt = buf;
	if ((fe = fdt_create(buf, (int)size)) || (fe = fdt_finish_reservemap(buf)))
		return fdt_err(e, fe);
	if ((r = emit_node(e, root, K_ROOT)))
		return r;
	return (fe = fdt_finish(buf)) ? fdt_err(e, fe) : 0;
}

int fit_plan(const struct dt_node *root, bool external, struct fit_layout *ret, struct diag *d)
{
	size_t size = 65536;

	for (;;) {
		struct emit e = { .measure = true, .external = external, .d = d };
		void *buf = calloc(1, size);
		int r;

		if (!buf)
			return diag_fail(d, -ENOMEM, "out of memory");
		r = emit_all(&e, buf, size, root);
		if (r == -ENOSPC && size < (64u << 20)) {
			free(buf);
			size *= 2;
			continue;
		}
		if (!r) {
			ret->external = external;
			if (external) {
				ret->fdt_size = fdt_totalsize(buf) + e.deferred;
				ret->total = align4(ret->fdt_size) + e.ext_deferred;
			} else {
				ret->fdt_size = fdt_totalsize(buf) + e.deferred;
				ret->total = ret->fdt_size;
			}
			if (ret->fdt_size > INT32_MAX)
				r = diag_fail(d, -EFBIG,
					      "FIT of %llu bytes: too large for an FDT with embedded data (use external data)",
					      (unsigned long long)ret->fdt_size);
		} else if (r == -ENOSPC) {
			r = diag_fail(d, -EFBIG, "FIT structure larger than 64 MiB");
		}
		free(buf);
		return r;
	}
}

int fit_write(const struct dt_node *root, const struct fit_layout *l, struct sink *out,
	      struct diag *d)
{
	struct emit e = { .external = l->external, .out = out, .ext_base = align4(l->fdt_size),
			  .d = d };
	size_t size = (size_t)l->fdt_size + 8;
	void *buf = calloc(1, size);
	int r;

	if (!buf)
		return diag_fail(d, -ENOMEM, "out of memory");
	r = emit_all(&e, buf, size, root);
	if (r == -ENOSPC)
		r = diag_fail(d, -EIO, "FIT larger than planned (inputs changed?)");
	if (!r && fdt_totalsize(buf) != l->fdt_size)
		r = diag_fail(d, -EIO, "FIT came out %u bytes, planned %llu", fdt_totalsize(buf),
			      (unsigned long long)l->fdt_size);
	if (!r)
		r = sink_pwrite(out, buf, fdt_totalsize(buf), 0);
	/* The padding between the parts is zero, written as data: the FIT
	 * is one blob whose every byte a card must get. */
	if (!r && l->external && e.ext_base > l->fdt_size)
		r = sink_fill(out, l->fdt_size, e.ext_base - l->fdt_size, 0);
	if (!r && l->external && l->total > e.ext_end && e.ext_end)
		r = sink_fill(out, e.ext_end, l->total - e.ext_end, 0);
	free(buf);
	return r;
}

/* ---- decoding ---- */

bool fdt_magic_ok(const void *buf, size_t len)
{
	return len >= 4 && get_be32(buf) == FDT_MAGIC;
}

static const char *get_str(const void *fdt, int node, const char *name)
{
	int len;
	const char *s = fdt_getprop(fdt, node, name, &len);

	if (!s || len <= 0 || s[len - 1] || memchr(s, 0, (size_t)len - 1))
		return NULL;
	return s;
}

static bool get_addr(const void *fdt, int node, const char *name, uint64_t *ret)
{
	int len;
	const uint8_t *p = fdt_getprop(fdt, node, name, &len);

	if (!p || (len != 4 && len != 8))
		return false;
	*ret = len == 4 ? get_be32(p) : get_be64(p);
	return true;
}

static void inspect_image(const uint8_t *buf, size_t len, int node, uint64_t ext_base,
			  struct fit_image_info *ii, struct fit_summary *s)
{
	const void *fdt = buf;
	int dlen, child;
	const uint8_t *data = fdt_getprop(fdt, node, "data", &dlen);

	ii->name = fdt_get_name(fdt, node, NULL);
	ii->desc = get_str(fdt, node, "description");
	ii->type = get_str(fdt, node, "type");
	ii->arch = get_str(fdt, node, "arch");
	ii->os = get_str(fdt, node, "os");
	ii->comp = get_str(fdt, node, "compression");
	ii->has_load = get_addr(fdt, node, "load", &ii->load);
	ii->has_entry = get_addr(fdt, node, "entry", &ii->entry);
	if (data && dlen >= 0) {
		ii->data_ok = true;
		ii->data_off = (uint64_t)(data - buf);
		ii->data_len = (uint64_t)dlen;
	} else {
		int l1, l2;
		const uint8_t *po = fdt_getprop(fdt, node, "data-offset", &l1);
		const uint8_t *pz = fdt_getprop(fdt, node, "data-size", &l2);
		const uint8_t *pp = fdt_getprop(fdt, node, "data-position", &l1);
		if (pz && l2 == 4 && (po || pp)) {
			uint64_t off = pp ? get_be32(pp) : ext_base + get_be32(po);
			ii->external = true;
			ii->data_off = off;
			ii->data_len = get_be32(pz);
			ii->data_ok = off <= len && ii->data_len <= len - off;
		}
	}
	if (!ii->data_ok)
		s->bad_data++;
	fdt_for_each_subnode(child, fdt, node) {
		const char *hn = fdt_get_name(fdt, child, NULL);
		struct fit_hash_info *h;
		const char *algo;
		const uint8_t *val;
		int vl;
		uint8_t comp[SHA256_LEN];
		unsigned hl;

		if (!hn || strncmp(hn, "hash", 4) || ii->nhash >= FIT_MAX_HASHES)
			continue;
		h = &ii->hash[ii->nhash++];
		snprintf(h->name, sizeof(h->name), "%s", hn);
		algo = get_str(fdt, child, "algo");
		snprintf(h->algo, sizeof(h->algo), "%s", algo ? algo : "?");
		hl = fit_hash_len(algo);
		val = fdt_getprop(fdt, child, "value", &vl);
		if (!hl) {
			s->unknown_algos++;
			continue;
		}
		h->known = true;
		if (val && vl == (int)hl)
			hex_encode(val, hl, h->stored);
		else
			snprintf(h->stored, sizeof(h->stored), "%s", val ? "(wrong length)" : "(missing)");
		if (ii->data_ok && !hash_compute(algo, buf + ii->data_off, (size_t)ii->data_len, comp)) {
			hex_encode(comp, hl, h->computed);
			h->ok = val && vl == (int)hl && !memcmp(val, comp, hl);
		} else {
			snprintf(h->computed, sizeof(h->computed), "(no data)");
		}
		if (!h->ok)
			s->bad_hashes++;
	}
}

static int count_refs(const void *fdt, int images, int conf, const char *prop,
		      struct fit_conf_info *ci)
{
	int len, n = 0;
	const char *p = fdt_getprop(fdt, conf, prop, &len);

	if (!p || len <= 0)
		return 0;
	for (int off = 0; off < len;) {
		const char *s = p + off;
		size_t sl = strnlen(s, (size_t)(len - off));
		char name[48];
		snprintf(name, sizeof(name), "%.*s", (int)(sl < 47 ? sl : 47), s);
		if (fdt_subnode_offset_namelen(fdt, images, s, (int)sl) < 0) {
			if (!ci->bad_refs)
				snprintf(ci->bad_ref, sizeof(ci->bad_ref), "%s=%s", prop, name);
			ci->bad_refs++;
			n++;
		}
		off += (int)sl + 1;
	}
	return n;
}

int fit_inspect(const uint8_t *buf, size_t len,
		void (*img)(void *ud, const struct fit_image_info *i),
		void (*conf)(void *ud, const struct fit_conf_info *c), void *ud,
		struct fit_summary *ret)
{
	const void *fdt = buf;
	int images, confs, node, tl;
	const uint8_t *ts;
	uint64_t ext_base;

	memset(ret, 0, sizeof(*ret));
	/* Only version 17 blobs (what every FIT writer makes): libfdt
	 * 1.6's fdt_check_full crashes on some pre-16 layouts (fuzzing). */
	if (len < sizeof(struct fdt_header) || !fdt_magic_ok(buf, len) ||
	    fdt_totalsize(fdt) > len || fdt_check_header(fdt) || fdt_version(fdt) < 17 ||
	    fdt_check_full(fdt, fdt_totalsize(fdt)))
		return -EINVAL;
	ret->version = fdt_version(fdt);
	ret->fdt_size = fdt_totalsize(fdt);
	ext_base = align4(ret->fdt_size);
	ret->desc = get_str(fdt, 0, "description");
	ts = fdt_getprop(fdt, 0, "timestamp", &tl);
	if (ts && tl == 4) {
		ret->has_timestamp = true;
		ret->timestamp = get_be32(ts);
	}
	images = fdt_path_offset(fdt, "/images");
	if (images < 0)
		return -EINVAL;
	fdt_for_each_subnode(node, fdt, images) {
		struct fit_image_info ii;
		memset(&ii, 0, sizeof(ii));
		inspect_image(buf, len, node, ext_base, &ii, ret);
		ret->nimages++;
		if (img)
			img(ud, &ii);
	}
	confs = fdt_path_offset(fdt, "/configurations");
	if (confs < 0)
		return 0;
	ret->default_conf = get_str(fdt, confs, "default");
	ret->default_ok = ret->default_conf && fdt_subnode_offset(fdt, confs, ret->default_conf) >= 0;
	if (ret->default_conf && !ret->default_ok)
		ret->bad_refs++;
	fdt_for_each_subnode(node, fdt, confs) {
		struct fit_conf_info ci;
		memset(&ci, 0, sizeof(ci));
		ci.name = fdt_get_name(fdt, node, NULL);
		ci.desc = get_str(fdt, node, "description");
		ci.kernel = get_str(fdt, node, "kernel");
		ci.fdt = get_str(fdt, node, "fdt");
		ci.ramdisk = get_str(fdt, node, "ramdisk");
		ci.is_default = ret->default_conf && ci.name && !strcmp(ci.name, ret->default_conf);
		for (unsigned k = 0; conf_refs[k]; k++)
			ret->bad_refs += (unsigned)count_refs(fdt, images, node, conf_refs[k], &ci);
		ret->nconfs++;
		if (conf)
			conf(ud, &ci);
	}
	return 0;
}
