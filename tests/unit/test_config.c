/* SPDX-License-Identifier: MIT */
/* Config parsing: every value and section knows its real line. The oracle
 * is the config text itself: the line named for a section holds its name,
 * the line named for a value holds that value (or, for a string written
 * over several lines, its first line). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/diag.h"
#include "config/config.h"
#include "config/suggest.h"
#include "plan/image.h"
#include "t.h"

static char dir[] = "/tmp/kiln-test-config-XXXXXX";

static const char main_cfg[] =
	"# one\n"
	"# two\n"
	"// three\n"
	"/* four\n"
	"   five */\n"
	"include(\"inc.cfg\")\n"
	"image d.img { # trailing\n"
	"\t/* a */ size = 64M\n"
	"\thdimage {\n"
	"\t\t# c\n"
	"\t\t// c\n"
	"\t\tpartition-table-type = \"gpt\"\n"
	"\t}\n"
	"\tpartition boot {\n"
	"\t\t/* multi\n"
	"\t\t   line */\n"
	"\t\timage = \"b.vfat\"\n"
	"\t\tholes = {\n"
	"\t\t\t\"(0;1)\",\n"
	"\t\t\t\"(2;3)\"\n"
	"\t\t}\n"
	"\t}\n"
	"}\n"
	"# c\n"
	"tree t {\n"
	"\t# c\n"
	"\tuser u {\n"
	"\t\tgecos = \"first\n"
	"second\"\n"
	"\t\tshell = '/bin/sh'\n"
	"\t}\n"
	"}\n";

static const char inc_cfg[] = "// inc\n"
			      "/* inc\n"
			      "*/\n"
			      "image b.vfat {\n"
			      "\t# c\n"
			      "\tvfat { label = \"BOOT\" }\n"
			      "\tsize = 16M\n"
			      "}\n";

static void put(const char *name, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	CHECK(f != NULL);
	fputs(text, f);
	fclose(f);
}

/* Line @n (1-based) of the file @file names (main or included). */
static const char *line_of(const char *file, unsigned n, char *buf, size_t sz)
{
	const char *t = strstr(file, "inc.cfg") ? inc_cfg : main_cfg, *e;

	while (n-- > 1 && t) {
		t = strchr(t, '\n');
		if (t)
			t++;
	}
	if (!t)
		return "";
	e = strchr(t, '\n');
	snprintf(buf, sz, "%.*s", (int)(e ? e - t : (long)strlen(t)), t);
	return buf;
}

static unsigned checked;

static void walk(cfg_t *sec)
{
	char buf[256], first[128];

	for (cfg_opt_t *o = sec->opts; o && o->name; o++) {
		/* Skip what was not written: defaults, and single sections
		 * libconfuse creates by itself. */
		if (!strcmp(o->name, SCHEMA_MARK) || o->type == CFGT_FUNC ||
		    !(o->flags & (o->type == CFGT_SEC ? CFGF_MULTI : CFGF_MODIFIED)))
			continue;
		for (unsigned i = 0; i < o->nvalues; i++) {
			if (o->type == CFGT_SEC) {
				cfg_t *s = o->values[i]->section;
				const char *l = line_of(s->filename, (unsigned)s->line, buf, sizeof(buf));
				if (!strstr(l, o->name) || (s->title && !strstr(l, s->title))) {
					fprintf(stderr, "section %s %s: line %d is '%s'\n", o->name,
						s->title ? s->title : "", s->line, l);
					CHECK(0);
				}
				checked++;
				walk(s);
				continue;
			}
			const char *file;
			unsigned line;
			config_where(sec, o->name, i, &file, &line);
			const char *l = line_of(file, line, buf, sizeof(buf));
			if (o->type == CFGT_STR) {
				snprintf(first, sizeof(first), "%s", cfg_opt_getnstr(o, i));
				first[strcspn(first, "\n")] = 0;
			} else {
				snprintf(first, sizeof(first), "%s", o->name);
			}
			if (!strstr(l, first)) {
				fprintf(stderr, "%s[%u]: %s:%u is '%s', wanted '%s'\n", o->name, i, file,
					line, l, first);
				CHECK(0);
			}
			checked++;
		}
	}
}

static void test_lines(void)
{
	struct config_type types[32];
	struct schema_set sch = { 0 };
	struct diag d = { 0 };
	char path[256], cwd[4096];
	size_t n = 0;
	cfg_t *cfg;

	CHECK(mkdtemp(dir) != NULL);
	put("main.cfg", main_cfg);
	put("inc.cfg", inc_cfg);
	for (; image_handlers[n]; n++) {
		types[n].name = image_handlers[n]->type;
		types[n].opts = image_handlers[n]->opts;
	}
	CHECK(schema_build(&sch, types, n) == 0);
	snprintf(path, sizeof(path), "%s/main.cfg", dir);
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK(chdir(dir) == 0); /* include("inc.cfg") is relative */
	CHECK(config_parse(&sch, path, NULL, NULL, &cfg, &d) == 0);
	if (d.err)
		fprintf(stderr, "%s\n", d.msg);
	walk(cfg);
	/* sections d.img, hdimage, partition, b.vfat, vfat, tree, user and
	 * values size, partition-table-type, image, 2 holes, label, size,
	 * gecos, shell: 16 (defaults never written are skipped) */
	CHECK(checked == 16);
	config_free(cfg);

	/* A syntax error after comments, in the included file. */
	put("inc.cfg", "# a\n# b\n/* c\n*/\nimage x {\n\tsize = }\n");
	diag_clear(&d);
	CHECK(config_parse(&sch, path, NULL, NULL, &cfg, &d) == -EINVAL);
	CHECK(strstr(d.msg, "inc.cfg:6: image 'x': ") != NULL);
	unlink("main.cfg");
	unlink("inc.cfg");
	CHECK(chdir(cwd) == 0);
	rmdir(dir);
	schema_release(&sch);
}

static void test_suggest(void)
{
	static const char *const names[] = { "partition-table-type", "partition-type", "size",
					     "align", NULL };
	struct suggest s;

	suggest_init(&s, "partiton-table-type");
	for (unsigned i = 0; names[i]; i++)
		suggest_try(&s, names[i]);
	CHECK_STR(suggest_best(&s), "partition-table-type");
	suggest_init(&s, "sizr");
	for (unsigned i = 0; names[i]; i++)
		suggest_try(&s, names[i]);
	CHECK_STR(suggest_best(&s), "size");
	suggest_init(&s, "algin"); /* two letters swapped: one edit */
	for (unsigned i = 0; names[i]; i++)
		suggest_try(&s, names[i]);
	CHECK_STR(suggest_best(&s), "align");
	suggest_init(&s, "frobnicate");
	for (unsigned i = 0; names[i]; i++)
		suggest_try(&s, names[i]);
	CHECK(suggest_best(&s) == NULL);
}

int main(void)
{
	T_RUN(test_lines);
	T_RUN(test_suggest);
	return T_DONE();
}
