/* SPDX-License-Identifier: MIT */
/*
 * `bootscript`: a legacy U-Boot script image, byte for byte what
 * `mkimage -A ARCH -O linux -T script -C none [-n NAME] -d FILE` makes
 * (mkimage too stamps SOURCE_DATE_EPOCH), from inline `script` text or
 * a `file`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/hash.h"
#include "boot/legacy.h"
#include "config/cfgutil.h"
#include "io/sink.h"
#include "plan/bootutil.h"
#include "plan/build.h"
#include "plan/image-key.h"
#include "plan/image.h"

/* U-Boot loads scripts into RAM: anything near this is a mistake. */
#define SCRIPT_MAX (1u << 20)

struct bootscript_priv {
	char *script;   /* inline text */
	char *file;     /* or a file */
	char *name;
	int arch;
	bool expand;
	uint8_t *bytes; /* the whole image (setup) */
	size_t script_len;
};

static cfg_opt_t bootscript_opts[] = {
	CFG_STR("script", NULL, CFGF_NONE),
	CFG_STR("file", NULL, CFGF_NONE),
	CFG_STR("arch", "arm64", CFGF_NONE),
	CFG_STR("description", "", CFGF_NONE),
	CFG_BOOL("expand", cfg_false, CFGF_NONE),
	CFG_END()
};

static int bootscript_parse(struct build *b, struct image *img, cfg_t *sec, struct diag *d)
{
	struct bootscript_priv *p = calloc(1, sizeof(*p));
	const char *arch = cfg_getstr(sec, "arch"), *file = cfg_getstr(sec, "file");

	if (!p)
		return diag_fail(d, -ENOMEM, "out of memory");
	img->priv = p;
	p->arch = legacy_arch_code(arch);
	p->expand = cfg_getbool(sec, "expand");
	if (p->arch < 0)
		return cfg_fail(sec, "arch", arch, -EINVAL, d,
				"not an architecture U-Boot knows (e.g. arm, arm64, riscv, x86_64)");
	/* mkimage cuts a long name silently; kiln cuts it too, but says so. */
	if (strlen(cfg_getstr(sec, "description")) > LEGACY_NAME_LEN)
		diag_warn(d, "%s:%d: description = \"%s\": longer than the %d bytes a legacy header holds: cut to \"%.*s\"",
			  sec->filename, sec->line, cfg_getstr(sec, "description"), LEGACY_NAME_LEN,
			  LEGACY_NAME_LEN, cfg_getstr(sec, "description"));
	if (cfg_dup_str(sec, "script", &p->script) || cfg_dup_str(sec, "description", &p->name))
		return diag_fail(d, -ENOMEM, "out of memory");
	if (!!p->script == !!file)
		return diag_fail(d, -EINVAL, "%s:%d: bootscript: give exactly one of script = \"...\" and file = \"...\"",
				 sec->filename, sec->line);
	if (file && !(p->file = boot_input_path(b, file)))
		return diag_fail(d, -ENOMEM, "out of memory");
	return 0;
}

static int bootscript_setup(struct build *b, struct image *img, struct diag *d)
{
	struct bootscript_priv *p = img->priv;
	struct legacy_hdr h = { 0 };
	uint8_t *text = NULL;
	size_t len;
	int r;

	if (p->file) {
		r = boot_read_file(p->file, SCRIPT_MAX, &text, &len, d);
		if (r)
			return r;
	} else {
		len = strlen(p->script);
		text = (uint8_t *)strdup(p->script);
		if (!text)
			return diag_fail(d, -ENOMEM, "out of memory");
	}
	if (p->expand) {
		char *x = NULL;
		r = boot_expand(b, (const char *)text, len, p->file ? p->file : "script", NULL, &x,
				&len, d);
		free(text);
		if (r)
			return r;
		text = (uint8_t *)x;
	}
	if (img->size_set && img->size < LEGACY_HDR_LEN + LEGACY_SCRIPT_PREFIX + len) {
		free(text);
		return diag_fail(d, -ENOSPC, "script image needs %zu bytes, size is %llu",
				 LEGACY_HDR_LEN + LEGACY_SCRIPT_PREFIX + len,
				 (unsigned long long)img->size);
	}
	if (!img->size_set)
		img->size = LEGACY_HDR_LEN + LEGACY_SCRIPT_PREFIX + len;
	p->bytes = calloc(1, img->size);
	if (!p->bytes) {
		free(text);
		return diag_fail(d, -ENOMEM, "out of memory");
	}
	p->script_len = len;
	legacy_script_prefix((uint32_t)len, p->bytes + LEGACY_HDR_LEN);
	memcpy(p->bytes + LEGACY_HDR_LEN + LEGACY_SCRIPT_PREFIX, text, len);
	free(text);
	h.time = (uint32_t)b->epoch;
	h.size = (uint32_t)(LEGACY_SCRIPT_PREFIX + len);
	h.dcrc = crc32_ieee(0, p->bytes + LEGACY_HDR_LEN, h.size);
	h.os = LEGACY_OS_LINUX;
	h.arch = (uint8_t)p->arch;
	h.type = LEGACY_TYPE_SCRIPT;
	h.comp = LEGACY_COMP_NONE;
	snprintf(h.name, sizeof(h.name), "%s", p->name);
	legacy_encode_header(&h, p->bytes);
	return 0;
}

static int bootscript_generate(struct build *b, struct image *img, struct sink *out,
			       struct diag *d)
{
	struct bootscript_priv *p = img->priv;

	(void)b;
	(void)d;
	return sink_pwrite(out, p->bytes, img->size, 0);
}

/* Setup laid out every byte (the file read, variables expanded): they
 * are the key. */
static int bootscript_key(struct build *b, struct image *img, struct image_key *k, struct diag *d)
{
	const struct bootscript_priv *p = img->priv;

	(void)b;
	(void)d;
	return image_key_add(k, "content", p->bytes, img->size);
}

static void bootscript_describe(const struct image *img, void (*line)(void *, const char *),
				void *ud)
{
	const struct bootscript_priv *p = img->priv;
	char s[160];

	snprintf(s, sizeof(s), "legacy script image: %s, %s, %llu script bytes",
		 legacy_arch_name((unsigned)p->arch), p->file ? p->file : "inline",
		 (unsigned long long)p->script_len);
	line(ud, s);
}

static void bootscript_release(struct image *img)
{
	struct bootscript_priv *p = img->priv;

	if (!p)
		return;
	free(p->script);
	free(p->file);
	free(p->name);
	free(p->bytes);
	free(p);
	img->priv = NULL;
}

const struct image_handler bootscript_handler = {
	.type = "bootscript",
	.opts = bootscript_opts,
	.parse = bootscript_parse,
	.setup = bootscript_setup,
	.generate = bootscript_generate,
	.describe = bootscript_describe,
	.release = bootscript_release,
	.key = bootscript_key,
};
