/* SPDX-License-Identifier: MIT */
#ifndef KILN_FS_KMOD_DEP_H
#define KILN_FS_KMOD_DEP_H

/*
 * Kernel modules by name: the dependency data of one kernel's
 * lib/modules/VERSION/ (what depmod computes and modprobe reads), the
 * closure of a set of names, and the files that describe a subset of
 * the modules again — modules.dep, modules.softdep, modules.alias and
 * the binary indexes kmod's modprobe looks names up in
 * (modules.dep.bin, modules.alias.bin).
 *
 * The data comes either from the kernel's own modules.dep (with
 * modules.softdep and modules.alias when present) or, for kernels
 * packaged without them (Debian runs depmod in the postinst), from each
 * module's .modinfo ELF section: "depends=" (modpost's list of the
 * modules whose symbols it uses), "softdep=" and "alias=".
 *
 * Module names are normalised as the kernel does: '-' becomes '_'.
 * No I/O: callers hand in file contents.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kmod_mod {
	char *name;            /* normalised, e.g. "sdhci_iproc" */
	char *path;            /* relative to lib/modules/VERSION/ */
	char **deps;           /* direct dependencies (names) */
	char **pre, **post;    /* soft dependencies (names or aliases, as written) */
	char **aliases;        /* patterns (fnmatch), e.g. "fs-ext4", "of:N*T*Cfoo" */
	unsigned ndeps, npre, npost, naliases;
	bool deps_known;       /* from modules.dep or .modinfo */
	bool picked;           /* in the closure (kmod_db_closure) */
	unsigned mark;         /* scratch for walks */
};

struct kmod_db {
	struct kmod_mod *mods; /* sorted by name after kmod_db_finish() */
	unsigned n, cap;
	char **builtin;        /* names of modules built into the kernel */
	unsigned nbuiltin;
	bool sorted;
};

/* Limits on what a kernel's files may hold (a real kernel: ~6,000
 * modules, ~40,000 aliases). */
#define KMOD_MAX_MODULES 200000u
#define KMOD_MAX_LIST 65536u      /* names in one line or field */
#define KMOD_MAX_NAME 4096u

void kmod_db_init(struct kmod_db *db);
void kmod_db_release(struct kmod_db *db);

/* kmod_name - the normalised module name of a file path or name
 * ("kernel/fs/ext4/ext4.ko.xz" → "ext4", "sdhci-iproc" → "sdhci_iproc")
 * into @out (@outsz bytes). 0, or -EINVAL (empty) / -ENAMETOOLONG. */
int kmod_name(const char *path_or_name, char *out, size_t outsz);

/* kmod_alias_norm - @alias as kmod compares it: '-' read as '_' except
 * inside a [...] bracket expression. 0, -EINVAL (unbalanced brackets),
 * -ENAMETOOLONG. */
int kmod_alias_norm(const char *alias, char *out, size_t outsz);

/* kmod_is_module_path - true for a file name ending in .ko, .ko.xz,
 * .ko.gz or .ko.zst. */
bool kmod_is_module_path(const char *path);

/*
 * kmod_db_add - add module file @path (relative to the version
 * directory). Of two files with one name, the first added stays (as
 * depmod keeps one). *ret (may be NULL) is the new entry, valid until
 * the next addition or lookup (lookups sort the modules).
 * 0, -EINVAL (not a module file name), -E2BIG, -ENOMEM.
 */
int kmod_db_add(struct kmod_db *db, const char *path, struct kmod_mod **ret);

/*
 * kmod_modinfo_section - the .modinfo section of ELF module @elf (32 or
 * 64 bit, either byte order): *ret_off and *ret_len within @elf.
 * 0, or -EINVAL (not ELF, truncated, no .modinfo).
 */
int kmod_modinfo_section(const uint8_t *elf, size_t len, size_t *ret_off, size_t *ret_len);

/*
 * kmod_modinfo_apply - read "depends=", "softdep=" and "alias=" from
 * the .modinfo strings @info (@len bytes, NUL-separated) into @m.
 * 0, -E2BIG, -ENOMEM.
 */
int kmod_modinfo_apply(struct kmod_mod *m, const char *info, size_t len);

/*
 * Text files of a version directory. Each adds to @db; on a malformed
 * line *ret_line (may be NULL) is its 1-based number and -EINVAL is
 * returned. Lines naming unknown modules are ignored (softdep, alias),
 * except in modules.dep, whose lines add the module files they name.
 *
 *   modules.dep      "PATH: DEP-PATH ..." (every dependency, transitive)
 *   modules.softdep  "softdep NAME pre: A B post: C", '#' comments
 *   modules.alias    "alias PATTERN NAME", '#' comments
 *   modules.builtin  one PATH per line
 */
int kmod_parse_dep(struct kmod_db *db, const char *text, size_t len, unsigned *ret_line);
int kmod_parse_softdep(struct kmod_db *db, const char *text, size_t len, unsigned *ret_line);
int kmod_parse_alias(struct kmod_db *db, const char *text, size_t len, unsigned *ret_line);
int kmod_parse_builtin(struct kmod_db *db, const char *text, size_t len, unsigned *ret_line);

/* kmod_db_find - the module named @name (normalised here); NULL. Sorts
 * the modules by name on first use after an addition. */
struct kmod_mod *kmod_db_find(struct kmod_db *db, const char *name);

/* kmod_db_is_builtin - true when @name is built into the kernel. */
bool kmod_db_is_builtin(const struct kmod_db *db, const char *name);

/*
 * kmod_db_resolve - the modules @name means, as modprobe resolves it: the
 * module of that name, else every module with an alias matching it.
 * Returns how many were marked (m->mark set to @mark), 0 when none.
 */
unsigned kmod_db_resolve(struct kmod_db *db, const char *name, unsigned mark);

/*
 * kmod_db_closure - mark (m->picked) the modules @names ask for, their
 * dependencies, and their soft dependencies (pre and post, pulled in as
 * modprobe loads them) with theirs, transitively. A cycle is walked
 * once. A name that is neither a module, an alias nor built in stops
 * with -ENOENT and *ret_missing = its index in @names; a dependency
 * missing from the kernel gives -ENOENT with *ret_missing = @nnames and
 * *ret_dep its name (a soft dependency that resolves to nothing is
 * skipped, as modprobe skips it). -ENOMEM.
 */
int kmod_db_closure(struct kmod_db *db, const char *const *names, unsigned nnames,
		    unsigned *ret_missing, const char **ret_dep);

/*
 * kmod_write_dep - modules.dep of the picked modules: one line per
 * module in path order, its dependencies (transitive, soft ones not
 * included) ordered as depmod orders them: a module before the modules
 * it needs, so loading from the end of the line forwards works.
 * kmod_write_softdep / kmod_write_alias: modules.softdep (soft
 * dependencies as the picked modules they resolved to) and
 * modules.alias of the picked modules.
 * kmod_write_dep_bin / kmod_write_alias_bin: the same as kmod's binary
 * index (modules.dep.bin, modules.alias.bin; version 2, big-endian,
 * what libkmod's index.c reads). Each returns a malloc'd buffer in *ret
 * (*ret_len bytes): 0, -ENOMEM, -EOVERFLOW.
 */
int kmod_write_dep(struct kmod_db *db, char **ret, size_t *ret_len);
int kmod_write_softdep(struct kmod_db *db, char **ret, size_t *ret_len);
int kmod_write_alias(struct kmod_db *db, char **ret, size_t *ret_len);
int kmod_write_dep_bin(struct kmod_db *db, char **ret, size_t *ret_len);
int kmod_write_alias_bin(struct kmod_db *db, char **ret, size_t *ret_len);

/* For kmod-index.c. kmod_picked: the picked modules in path order
 * (malloc'd array), every module's mark cleared. kmod_dep_line: @m's
 * modules.dep line without '\n' (malloc'd); @mark must differ from every
 * module's mark. */
int kmod_picked(struct kmod_db *db, struct kmod_mod ***ret, unsigned *ret_n);
int kmod_dep_line(struct kmod_db *db, struct kmod_mod *m, unsigned mark, char **ret);

#endif
