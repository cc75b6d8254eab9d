/* SPDX-License-Identifier: MIT */
/* squashfs through mksquashfs, for lzo (see squashfs-mksquashfs.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "fs/squashfs/squashfs.h"
#include "fs/tree.h"
#include "plan/build.h"
#include "plan/image.h"
#include "plan/squashfs-mksquashfs.h"
#include "plan/tooltype.h"

struct pseudo {
	FILE *f;
	const struct squashfs_opts *o;
	uint32_t uid, gid;          /* the one owner of every node */
	uint32_t root_mode, root_time;
	struct diag *d;
};

static bool is_special(const struct tree_node *n)
{
	uint32_t t = n->mode & S_IFMT;

	return t == S_IFCHR || t == S_IFBLK || t == S_IFIFO || t == S_IFSOCK;
}

/* mksquashfs 4.5 cannot modify a directory below which the pseudo file
 * creates something: it ignores one of the two with a message and exits
 * 0, so kiln must never write both. */
static bool has_special_below(const struct tree_node *n)
{
	for (uint32_t i = 0; i < n->nkids; i++) {
		const struct tree_node *k = n->kids[i]->hardlink ? n->kids[i]->hardlink : n->kids[i];

		if (is_special(k) || (tree_is_dir(k) && has_special_below(k)))
			return true;
	}
	return false;
}

/* The name as mksquashfs's pseudo file reads it: blanks, quotes and
 * backslashes escaped. */
static void put_name(FILE *f, const char *path)
{
	for (const char *c = path; *c; c++) {
		if (strchr(" \t\\\"'", *c))
			fputc('\\', f);
		fputc(*c, f);
	}
}

static uint32_t node_time(const struct squashfs_opts *o, const struct tree_node *t)
{
	int64_t m = o->all_time_set ? o->all_time : t->mtime;

	return m < 0 ? 0 : m > UINT32_MAX ? UINT32_MAX : (uint32_t)m;
}

/* The materialised tree gives names, data, file modes and times; the
 * pseudo file what the files cannot: nodes that cannot be created
 * rootless, and directory modes without owner rwx (materialised with
 * it, so they stay removable). Owners: one for all, by -force-uid/gid. */
static int pseudo_node(struct tree_node *n, void *ud)
{
	struct pseudo *ps = ud;
	const struct tree_node *t = n->hardlink ? n->hardlink : n;
	const struct squashfs_opts *o = ps->o;
	uint32_t uid = o->force_uid_set ? o->force_uid : t->uid;
	uint32_t gid = o->force_gid_set ? o->force_gid : t->gid;
	unsigned mode = t->mode & 07777;
	char type = 0, *path = tree_path(n);
	int r = 0;

	if (!path)
		return diag_fail(ps->d, -ENOMEM, "out of memory");
	if (t->nxattrs && !o->no_xattrs) {
		r = diag_fail(ps->d, -EINVAL,
			      "/%s: extended attributes: compression \"lzo\" runs mksquashfs, which cannot set them rootless (add -no-xattrs to extraargs or use another compression)",
			      path);
		goto out;
	}
	if (uid != ps->uid || gid != ps->gid) {
		r = diag_fail(ps->d, -EINVAL,
			      "/%s: owner %u:%u, / is %u:%u: compression \"lzo\" runs mksquashfs, which takes one owner for all files rootless",
			      path, uid, gid, ps->uid, ps->gid);
		goto out;
	}
	if (!n->parent) {
		ps->root_mode = mode;
		ps->root_time = node_time(o, t);
		goto out;
	}
	if (n->hardlink) /* the same inode, made by link() */
		goto out;
	if (strchr(path, '\n')) {
		r = diag_fail(ps->d, -EINVAL, "/%s: a name with a newline cannot go into mksquashfs's pseudo file",
			      path);
		goto out;
	}
	switch (t->mode & S_IFMT) {
	case S_IFCHR: type = 'C'; break;
	case S_IFBLK: type = 'B'; break;
	case S_IFIFO:
	case S_IFSOCK: type = 'I'; break;
	case S_IFDIR:
		if ((mode & 0700) == 0700)
			goto out;
		if (has_special_below(t)) {
			r = diag_fail(ps->d, -EINVAL,
				      "/%s: mode %o without owner rwx on a directory holding device nodes, FIFOs or sockets: compression \"lzo\" runs mksquashfs 4.5, which cannot set both",
				      path, mode);
			goto out;
		}
		type = 'M';
		break;
	default:
		goto out;
	}
	put_name(ps->f, path);
	fprintf(ps->f, " %c %u %o %u %u", type, node_time(o, t), mode, uid, gid);
	if (type == 'C' || type == 'B')
		fprintf(ps->f, " %u %u", t->rdev_major, t->rdev_minor);
	else if (type == 'I')
		fprintf(ps->f, " %c", (t->mode & S_IFMT) == S_IFIFO ? 'f' : 's');
	fputc('\n', ps->f);
out:
	free(path);
	return r;
}

static int push_u32(char ***argv, unsigned *n, const char *opt, unsigned long v, bool octal)
{
	char s[24];

	snprintf(s, sizeof(s), octal ? "%lo" : "%lu", v);
	return tool_push2(argv, n, opt, s);
}

static int make_argv(struct build *b, struct tooljob *j, const struct squashfs_opts *o,
		     const struct pseudo *ps, const char *pf, char ***argv, unsigned *n)
{
	int r = tool_push(argv, n, tool_path(b, "mksquashfs", "mksquashfs"));

	if (!r)
		r = tool_push2(argv, n, j->root, j->out);
	if (!r)
		r = tool_push2(argv, n, "-noappend", "-no-progress");
	if (!r)
		r = tool_push2(argv, n, "-quiet", "-no-xattrs");
	if (!r)
		r = tool_push2(argv, n, "-comp", "lzo");
	if (!r)
		r = push_u32(argv, n, "-b", o->block_size, false);
	if (!r && o->level)
		r = push_u32(argv, n, "-Xcompression-level", o->level, false);
	if (!r)
		r = push_u32(argv, n, "-mkfs-time", o->mkfs_time, false);
	if (!r)
		r = push_u32(argv, n, "-root-time", ps->root_time, false);
	if (!r)
		r = push_u32(argv, n, "-root-mode", ps->root_mode, true);
	if (!r)
		r = push_u32(argv, n, "-force-uid", ps->uid, false);
	if (!r)
		r = push_u32(argv, n, "-force-gid", ps->gid, false);
	if (!r && o->all_time_set)
		r = push_u32(argv, n, "-all-time", o->all_time, false);
	if (!r && o->no_fragments)
		r = tool_push(argv, n, "-no-fragments");
	if (!r && o->no_duplicates)
		r = tool_push(argv, n, "-no-duplicates");
	if (!r)
		r = tool_push(argv, n, o->exportable ? "-exports" : "-no-exports");
	if (!r)
		r = tool_push2(argv, n, "-pf", pf);
	return r;
}

extern char **environ;

/* *ret: environ without the variables starting with @prefix (the
 * strings are environ's). */
static int env_without(char ***ret, const char *prefix)
{
	size_t n = 0, k = 0, len = strlen(prefix);
	char **e;

	while (environ[n])
		n++;
	e = calloc(n + 1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], prefix, len))
			e[k++] = environ[i];
	*ret = e;
	return 0;
}

int squashfs_mksquashfs(struct build *b, struct image *img, struct tooljob *j,
			const struct squashfs_opts *o, struct diag *d)
{
	struct pseudo ps = { .o = o, .d = d };
	struct tree *t = NULL;
	char **argv = NULL, **envp = NULL, *pf = NULL;
	unsigned n = 0;
	int r;

	r = tooljob_start(b, img, j, true, TOOL_DT_CALLER, d);
	if (r)
		return r;
	if ((r = image_content_tree(b, img, &t, d)))
		return r;
	ps.uid = o->force_uid_set ? o->force_uid : t->root->uid;
	ps.gid = o->force_gid_set ? o->force_gid : t->root->gid;
	pf = tool_join(j->dir, "pseudo");
	if (!pf || tooljob_track(j, pf)) {
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto out;
	}
	ps.f = fopen(pf, "we");
	if (!ps.f) {
		r = diag_fail(d, -errno, "%s: %s", pf, strerror(errno));
		goto out;
	}
	r = tree_walk(t, pseudo_node, &ps);
	if (fclose(ps.f) && !r)
		r = diag_fail(d, -errno, "%s: %s", pf, strerror(errno));
	if (r)
		goto out;
	r = make_argv(b, j, o, &ps, pf, &argv, &n);
	if (r) {
		r = diag_fail(d, r, "out of memory");
		goto out;
	}
	/* mksquashfs refuses SOURCE_DATE_EPOCH next to -mkfs-time; the
	 * times it would set are all given above. */
	r = env_without(&envp, "SOURCE_DATE_EPOCH=");
	if (r) {
		r = diag_fail(d, r, "out of memory");
		goto out;
	}
	r = tool_run(img, argv, envp, d);
	if (!r)
		r = tooljob_finish(img, j, d);
out:
	free(envp);
	tool_argv_free(argv, n);
	free(pf);
	tree_free(t);
	return r;
}
