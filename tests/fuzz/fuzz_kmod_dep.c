/* SPDX-License-Identifier: MIT */
/* Fuzz target: kernel module dependency files (fs/kmod-dep.h). The input
 * is read as modules.dep, modules.softdep, modules.alias and
 * modules.builtin at once and as an ELF module's .modinfo; what parses
 * is closed over every module it names and written out again. The
 * modules.dep written must read back to itself: same closure, same
 * bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fs/kmod-dep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void written(struct kmod_db *db)
{
	int (*const w[])(struct kmod_db *, char **, size_t *) = {
		kmod_write_softdep, kmod_write_alias, kmod_write_dep_bin, kmod_write_alias_bin,
	};
	for (unsigned i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		char *s;
		size_t len;
		if (!w[i](db, &s, &len))
			free(s);
	}
}

/* Close @db over all its modules; 0 when it could. */
static int close_all(struct kmod_db *db)
{
	const char **names = calloc(db->n + 1, sizeof(*names));
	unsigned miss;
	const char *dep;
	int r;

	if (!names)
		return -1;
	(void)kmod_db_find(db, "");
	for (unsigned i = 0; i < db->n; i++)
		names[i] = db->mods[i].name;
	r = kmod_db_closure(db, names, db->n, &miss, &dep);
	free(names);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *t = (const char *)data;
	struct kmod_db db, again;
	char *s1 = NULL, *s2 = NULL;
	size_t l1, l2, off, len;
	unsigned line;

	if (!kmod_modinfo_section(data, size, &off, &len)) {
		kmod_db_init(&db);
		struct kmod_mod *m;
		if (!kmod_db_add(&db, "m.ko", &m))
			(void)kmod_modinfo_apply(m, t + off, len);
		kmod_db_release(&db);
	}
	kmod_db_init(&db);
	kmod_db_init(&again);
	if (kmod_parse_dep(&db, t, size, &line))
		goto out;
	(void)kmod_parse_softdep(&db, t, size, &line);
	(void)kmod_parse_alias(&db, t, size, &line);
	(void)kmod_parse_builtin(&db, t, size, &line);
	if (close_all(&db) || kmod_write_dep(&db, &s1, &l1))
		goto out;
	written(&db);
	/* Read back: the same modules, the same lines. */
	if (kmod_parse_dep(&again, s1, l1, &line) || close_all(&again) ||
	    kmod_write_dep(&again, &s2, &l2))
		abort();
	if (l1 != l2 || memcmp(s1, s2, l1))
		abort();
out:
	free(s1);
	free(s2);
	kmod_db_release(&db);
	kmod_db_release(&again);
	return 0;
}
