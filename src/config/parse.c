/* SPDX-License-Identifier: MIT */
/*
 * Parsing through libconfuse without believing everything it says.
 *
 * libconfuse's callbacks carry no user pointer and its lexer is global,
 * so one parse runs at a time and its state lives in `st`. Three hooks:
 *
 * - every value option gets a parse callback that records the file and
 *   line of each value as it is read (libconfuse keeps no per-value
 *   line, and a section's own line ends up at its closing brace);
 * - every section gets a hidden list option with a default: libconfuse
 *   parses that default while opening the section, and its callback
 *   records the line the section opens on;
 * - the error function translates libconfuse's line (wrong after
 *   comments, see scan.h) and adds the image and a "did you mean".
 */
#include "config/config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "config/scan.h"
#include "config/suggest.h"

#define MAX_CONFIG_BYTES (16u << 20) /* a config is text a person wrote */
#define MAX_FILES 256                /* libconfuse nests at most 10; siblings add up */
#define SEC_LINE UINT_MAX            /* rec.idx of a section's own line */

struct rec {
	const void *key; /* cfg_opt_t * of a value, cfg_t * of a section */
	unsigned idx;
	const char *file;
	unsigned line;
};

static struct {
	cfg_t *root;
	struct diag *d;
	const char *includepath;
	struct scan *scans;
	size_t nscans;
	struct rec *recs;
	size_t nrecs, caprecs;
	int oom;
} st;

static void state_release(void)
{
	for (size_t i = 0; i < st.nscans; i++)
		scan_release(&st.scans[i]);
	free(st.scans);
	free(st.recs);
	memset(&st, 0, sizeof(st));
}

static const struct scan *scan_of(const char *file)
{
	for (size_t i = st.nscans; file && i-- > 0;)
		if (!strcmp(st.scans[i].file, file))
			return &st.scans[i];
	return NULL;
}

/* The real line of what libconfuse, in section @cfg, believes is its line. */
static unsigned true_line(const cfg_t *cfg)
{
	const struct scan *s = scan_of(cfg->filename);

	if (cfg->line < 0)
		return 0;
	return s ? scan_true_line(s, cfg->line) : (unsigned)cfg->line;
}

static void record(const void *key, unsigned idx, const cfg_t *cfg, int value)
{
	const struct scan *s = scan_of(cfg->filename);
	struct rec *r;

	if (st.nrecs == st.caprecs) {
		size_t n = st.caprecs ? st.caprecs * 2 : 256;
		r = realloc(st.recs, n * sizeof(*r));
		if (!r) {
			st.oom = 1;
			return;
		}
		st.recs = r;
		st.caprecs = n;
	}
	r = &st.recs[st.nrecs++];
	r->key = key;
	r->idx = idx;
	r->file = s ? s->file : NULL;
	r->line = true_line(cfg);
	if (value && s)
		r->line = scan_value_line(s, r->line);
}

/* Parse callback of every value option: libconfuse's own conversions
 * (strtol base 0, cfg_parse_boolean, strtod), plus recording. */
static int value_cb(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	char *end;

	if (!value)
		return -1;
	switch (opt->type) {
	case CFGT_INT:
		errno = 0;
		*(long *)result = strtol(value, &end, 0);
		if (*end || end == value) {
			cfg_error(cfg, "invalid integer value for option '%s'", opt->name);
			return -1;
		}
		if (errno == ERANGE) {
			cfg_error(cfg, "integer value for option '%s' is out of range", opt->name);
			return -1;
		}
		break;
	case CFGT_FLOAT:
		errno = 0;
		*(double *)result = strtod(value, &end);
		if (*end || end == value || errno == ERANGE) {
			cfg_error(cfg, "invalid floating point value for option '%s'", opt->name);
			return -1;
		}
		break;
	case CFGT_BOOL: {
		int b = cfg_parse_boolean(value);
		if (b == -1) {
			cfg_error(cfg, "invalid boolean value for option '%s'", opt->name);
			return -1;
		}
		*(int *)result = b;
		break;
	}
	case CFGT_STR:
		*(const char **)result = value;
		break;
	default:
		return -1;
	}
	/* cfg_setopt() has already made room: this is the last value. */
	if (opt->nvalues)
		record(opt, opt->nvalues - 1, cfg, 1);
	return 0;
}

static int mark_cb(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	(void)opt;
	*(const char **)result = value;
	record(cfg, SEC_LINE, cfg, 0);
	return 0;
}

static int include_func(cfg_t *cfg, cfg_opt_t *opt, int argc, const char **argv);

/* A private copy of @src with the hooks in; freed by opts_free. */
static cfg_opt_t *opts_hook(const cfg_opt_t *src, int mark)
{
	size_t n = 0, i;
	cfg_opt_t *v;

	while (src[n].name)
		n++;
	v = calloc(n + 2, sizeof(*v));
	if (!v)
		return NULL;
	memcpy(v, src, n * sizeof(*v));
	for (i = 0; i < n; i++) {
		if (v[i].type == CFGT_SEC && src[i].subopts) {
			/* (A free-form key = "value" section has none.) */
			v[i].subopts = opts_hook(src[i].subopts, 1);
			if (!v[i].subopts)
				goto fail;
		} else if (v[i].type == CFGT_FUNC) {
			if (!strcmp(v[i].name, "include"))
				v[i].func = include_func;
		} else if (v[i].type != CFGT_PTR && !v[i].parsecb) {
			v[i].parsecb = value_cb;
		}
	}
	if (mark) {
		cfg_opt_t m = CFG_STR_LIST(SCHEMA_MARK, "{x}", CFGF_NONE);
		m.parsecb = mark_cb;
		v[n++] = m;
	}
	v[n] = (cfg_opt_t)CFG_END();
	return v;
fail:
	while (i-- > 0)
		if (v[i].type == CFGT_SEC)
			free(v[i].subopts);
	free(v);
	return NULL;
}

static void opts_free(cfg_opt_t *v)
{
	for (size_t i = 0; v && v[i].name; i++)
		if (v[i].type == CFGT_SEC)
			opts_free(v[i].subopts);
	free(v);
}

/* ---- errors ---- */

/* The `image` section on the way from @c down to @target, if any. */
static int find_image(cfg_t *c, cfg_t *target, cfg_t **ret_image)
{
	if (c == target)
		return 1;
	for (cfg_opt_t *o = c->opts; o && o->name; o++) {
		if (o->type != CFGT_SEC)
			continue;
		for (unsigned i = 0; i < o->nvalues; i++) {
			cfg_t *sec = o->values[i]->section;
			if (sec && find_image(sec, target, ret_image)) {
				if (!strcmp(o->name, "image"))
					*ret_image = sec;
				return 1;
			}
		}
	}
	return 0;
}

static void errfunc(cfg_t *cfg, const char *fmt, va_list ap)
{
	char buf[1024], hint[160] = "", where[1200] = "";
	cfg_t *img = NULL;
	va_list aq;

	/* libconfuse looks a free-form key up (and complains) before it
	 * creates it: not an error in such a section (gpt-shortcuts). */
	if (cfg && (cfg->flags & CFGF_KEYSTRVAL) && !strcmp(fmt, "no such option '%s'"))
		return;
	va_copy(aq, ap);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (cfg && !strcmp(fmt, "no such option '%s'")) {
		const char *name = va_arg(aq, const char *);
		struct suggest s;

		suggest_init(&s, name);
		for (cfg_opt_t *o = cfg->opts; o && o->name; o++)
			if (strcmp(o->name, SCHEMA_MARK))
				suggest_try(&s, o->name);
		if (suggest_best(&s)) {
			snprintf(hint, sizeof(hint), "; did you mean '%s'?", suggest_best(&s));
		} else {
			/* A key of a section one level down, written one level
			 * too high (e.g. an hdimage key directly in `image`)? */
			for (cfg_opt_t *o = cfg->opts; o && o->name && !hint[0]; o++) {
				if (o->type != CFGT_SEC)
					continue;
				for (cfg_opt_t *k = o->subopts; k && k->name; k++)
					if (!strcmp(k->name, SCHEMA_MARK))
						continue;
					else if (!strcmp(k->name, name) ||
					    (suggest_try(&s, k->name), suggest_best(&s))) {
						snprintf(hint, sizeof(hint),
							 "; did you mean '%s' inside %s { }?",
							 suggest_best(&s) ? suggest_best(&s) : name,
							 o->name);
						break;
					}
			}
		}
	}
	va_end(aq);
	if (cfg && st.root)
		find_image(st.root, cfg, &img);
	if (cfg && cfg->filename)
		snprintf(where, sizeof(where), "%s:%u: ", cfg->filename, true_line(cfg));
	else if (cfg && cfg->line > 0 && st.root && st.root->filename)
		/* libconfuse names no file in a free-form section's errors */
		snprintf(where, sizeof(where), "%s:%u: ", st.root->filename, true_line(cfg));
	if (img && img->title)
		diag_fail(st.d, -EINVAL, "%simage '%s': %s%s", where, img->title, buf, hint);
	else
		diag_fail(st.d, -EINVAL, "%s%s%s", where, buf, hint);
}

/* ---- files ---- */

/* Read @path whole, at most MAX_CONFIG_BYTES; a directory is refused. A
 * pipe (kiln plan <(generate-config)) is read like a file. */
static int read_text(const char *path, char **ret, size_t *ret_len, struct diag *d)
{
	size_t len = 0, cap = 0;
	struct stat sb;
	char *buf = NULL;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return diag_fail(d, -errno, "%s: cannot read config: %s", path, strerror(errno));
	if (fstat(fd, &sb))
		r = diag_fail(d, -errno, "%s: %s", path, strerror(errno));
	else if (S_ISDIR(sb.st_mode))
		r = diag_fail(d, -EISDIR, "%s: is a directory, not a config file", path);
	while (!r) {
		ssize_t n;

		if (len == cap) {
			char *v;

			if (cap >= MAX_CONFIG_BYTES) {
				r = diag_fail(d, -EFBIG, "%s: larger than %u bytes; not a config file",
					      path, MAX_CONFIG_BYTES);
				break;
			}
			cap = cap ? cap * 2 : 16384;
			v = realloc(buf, cap + 1);
			if (!v) {
				r = diag_fail(d, -ENOMEM, "out of memory");
				break;
			}
			buf = v;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = diag_fail(d, -errno, "%s: %s", path, strerror(errno));
		else if (!n)
			break;
		else
			len += (size_t)n;
	}
	close(fd);
	if (r) {
		free(buf);
		return r;
	}
	if (!buf && !(buf = malloc(1)))
		return diag_fail(d, -ENOMEM, "out of memory");
	buf[len] = 0;
	*ret = buf;
	*ret_len = len;
	return 0;
}

/* Read and scan @path into st.scans. */
static int scan_file(const char *path, char **ret_text, size_t *ret_len, struct diag *d)
{
	struct scan *v;
	char *text = NULL;
	size_t len = 0;
	int r;

	if (st.nscans >= MAX_FILES)
		return diag_fail(d, -E2BIG, "%s: more than %d config files", path, MAX_FILES);
	r = read_text(path, &text, &len, d);
	if (r)
		return r;
	v = realloc(st.scans, (st.nscans + 1) * sizeof(*v));
	if (!v) {
		free(text);
		return diag_fail(d, -ENOMEM, "out of memory");
	}
	st.scans = v;
	r = scan_text(&st.scans[st.nscans], path, text, len, d);
	if (st.scans[st.nscans].file)
		st.nscans++; /* keep the line map even on error, for messages */
	if (r || !ret_text)
		free(text);
	else {
		*ret_text = text;
		*ret_len = len;
	}
	return r;
}

/* include("file"): relative to the includepath (genimage), else as given. */
static int include_func(cfg_t *cfg, cfg_opt_t *opt, int argc, const char **argv)
{
	char path[4096], at[1200];
	const char *found = NULL;
	struct stat sb;

	snprintf(at, sizeof(at), "%s:%u", cfg->filename ? cfg->filename : "?", true_line(cfg));
	if (argc != 1) {
		diag_fail(st.d, -EINVAL, "%s: include: expects one file name", at);
		return 1;
	}
	if (st.includepath && argv[0][0] != '/') {
		const char *p = st.includepath;
		while (*p && !found) {
			const char *e = strchr(p, ':');
			size_t l = e ? (size_t)(e - p) : strlen(p);
			snprintf(path, sizeof(path), "%.*s/%s", (int)l, p, argv[0]);
			if (!stat(path, &sb))
				found = path;
			p += l;
			if (*p)
				p++;
		}
	}
	if (!found && !stat(argv[0], &sb))
		found = argv[0];
	if (!found) {
		diag_fail(st.d, -ENOENT, "%s: include(\"%s\"): file not found%s%s", at, argv[0],
			  st.includepath ? " in includepath " : "",
			  st.includepath ? st.includepath : "");
		return 1;
	}
	if (scan_file(found, NULL, NULL, st.d)) {
		diag_prefix(st.d, "%s: include(\"%s\")", at, argv[0]);
		return 1;
	}
	const char *a[1] = { found };
	return cfg_include(cfg, opt, 1, a);
}

/*
 * libconfuse 3.3 leaves its include stack as it was when a parse error
 * happens inside an included file: the included files stay open, their
 * lexer buffers are lost (flex's yylex_destroy frees only the top one)
 * and the next parse in this process starts with a stale stack. Unwind
 * it as its end-of-file rule would. These are the lexer's own globals
 * (src/lexer.l), exported by the library.
 */
struct cfg_include_frame {
	FILE *fp;
	char *filename;
	unsigned int line;
};
extern struct cfg_include_frame cfg_include_stack[];
extern int cfg_include_stack_ptr;
void cfg_yypop_buffer_state(void);

static void unwind_includes(void)
{
	/* cfg_parse_fp() already popped the innermost include's buffer. */
	int popped = 1;

	while (cfg_include_stack_ptr > 0) {
		struct cfg_include_frame *f = &cfg_include_stack[--cfg_include_stack_ptr];
		if (!popped)
			cfg_yypop_buffer_state();
		popped = 0;
		fclose(f->fp);
		free(f->filename);
		f->fp = NULL;
		f->filename = NULL;
	}
}

/* ---- after the parse ---- */

/* Give every section the line it opens on (libconfuse leaves the line
 * of its closing brace). The latest record wins: a freed section's
 * address may be reused by a later one. */
struct sec_line {
	const void *sec;
	size_t seq; /* order of the record */
	unsigned line;
	const char *file; /* NULL: not scanned */
};

static int sec_line_cmp(const void *a, const void *b)
{
	const struct sec_line *x = a, *y = b;

	if (x->sec != y->sec)
		return (uintptr_t)x->sec < (uintptr_t)y->sec ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int fix_lines_in(cfg_t *c, const struct sec_line *v, size_t n)
{
	for (cfg_opt_t *o = c->opts; o && o->name; o++) {
		if (o->type != CFGT_SEC)
			continue;
		for (unsigned i = 0; i < o->nvalues; i++) {
			cfg_t *sec = o->values[i]->section;
			size_t lo = 0, hi = n;

			if (!sec)
				continue;
			/* The last record of @sec: first entry past it, minus one. */
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				if ((uintptr_t)v[mid].sec <= (uintptr_t)sec)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo && v[lo - 1].sec == sec) {
				sec->line = (int)v[lo - 1].line;
				/* A section opened in an include()d file inside
				 * another section: libconfuse gave it its parent's
				 * file name. */
				const char *f = v[lo - 1].file;
				if (f && (!sec->filename || strcmp(sec->filename, f))) {
					char *dup = strdup(f);
					if (!dup)
						return -ENOMEM;
					free(sec->filename);
					sec->filename = dup;
				}
			}
			if (fix_lines_in(sec, v, n))
				return -ENOMEM;
		}
	}
	return 0;
}

static int fix_section_lines(cfg_t *root)
{
	struct sec_line *v;
	size_t n = 0;

	v = malloc((st.nrecs ? st.nrecs : 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t k = 0; k < st.nrecs; k++)
		if (st.recs[k].idx == SEC_LINE)
			v[n++] = (struct sec_line){ st.recs[k].key, k, st.recs[k].line,
						    st.recs[k].file };
	qsort(v, n, sizeof(*v), sec_line_cmp);
	int r = fix_lines_in(root, v, n);
	free(v);
	return r;
}

static const char *env_get(char *const *envp, const char *name)
{
	size_t n = strlen(name);

	if (!envp)
		return getenv(name);
	for (; *envp; envp++)
		if (!strncmp(*envp, name, n) && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

static void warn_unset(char *const *envp, struct diag *d)
{
	for (size_t i = 0; i < st.nscans; i++)
		for (size_t k = 0; k < st.scans[i].nrefs; k++) {
			const struct scan_env_ref *r = &st.scans[i].refs[k];
			if (!r->has_default && !env_get(envp, r->name))
				diag_warn(d, "%s:%u: ${%s} is not set: it became an empty string "
					  "(write ${%s:-DEFAULT} to give a default)",
					  st.scans[i].file, r->line, r->name, r->name);
		}
}

/* The side tables outlive the parse (config_where), one config at a time. */
static struct {
	cfg_t *root;
	struct rec *recs;
	size_t nrecs;
	struct scan *scans;
	size_t nscans;
} kept;

static void kept_release(void)
{
	for (size_t i = 0; i < kept.nscans; i++)
		scan_release(&kept.scans[i]);
	free(kept.scans);
	free(kept.recs);
	memset(&kept, 0, sizeof(kept));
}

int config_parse(const struct schema_set *sch, const char *path, const char *includepath,
		 char *const *envp, cfg_t **ret, struct diag *d)
{
	cfg_opt_t *opts;
	cfg_t *cfg = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *fp;
	int r;

	*ret = NULL;
	state_release();
	st.d = d;
	st.includepath = includepath;
	r = scan_file(path, &text, &len, d);
	if (r)
		goto out;
	opts = opts_hook(sch->top_opts, 0);
	if (!opts) {
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto out;
	}
	cfg = cfg_init(opts, CFGF_NONE);
	opts_free(opts); /* cfg_init made its own copy */
	if (!cfg || !(cfg->filename = strdup(path))) {
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto out;
	}
	st.root = cfg;
	cfg_set_error_function(cfg, errfunc);
	/* fmemopen() wants at least one byte. */
	fp = len ? fmemopen(text, len, "r") : fmemopen((char *)"\n", 1, "r");
	if (!fp) {
		r = diag_fail(d, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	r = cfg_parse_fp(cfg, fp);
	if (r != CFG_SUCCESS)
		unwind_includes();
	fclose(fp);
	if (st.oom)
		r = diag_fail(d, -ENOMEM, "out of memory");
	else if (r != CFG_SUCCESS)
		r = diag_fail(d, -EINVAL, "%s: config parse error", path);
	if (r)
		goto out;
	if (fix_section_lines(cfg)) {
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto out;
	}
	warn_unset(envp, d);
	kept_release(); /* an earlier config's messages fall back to section lines */
	kept.root = cfg;
	kept.recs = st.recs;
	kept.nrecs = st.nrecs;
	kept.scans = st.scans;
	kept.nscans = st.nscans;
	st.recs = NULL;
	st.scans = NULL;
	st.nscans = 0;
	*ret = cfg;
	cfg = NULL;
out:
	if (cfg)
		cfg_free(cfg);
	free(text);
	state_release();
	return r;
}

void config_free(cfg_t *cfg)
{
	if (!cfg)
		return;
	if (cfg == kept.root)
		kept_release();
	cfg_free(cfg);
}

void config_where(cfg_t *sec, const char *key, unsigned idx, const char **ret_file,
		  unsigned *ret_line)
{
	*ret_file = sec->filename ? sec->filename : "?";
	*ret_line = sec->line > 0 ? (unsigned)sec->line : 0;
	for (cfg_opt_t *o = sec->opts; key && o && o->name; o++) {
		if (strcmp(o->name, key))
			continue;
		for (size_t k = kept.nrecs; k-- > 0;)
			if (kept.recs[k].key == o && kept.recs[k].idx == idx) {
				if (kept.recs[k].file)
					*ret_file = kept.recs[k].file;
				*ret_line = kept.recs[k].line;
				return;
			}
		return;
	}
}
