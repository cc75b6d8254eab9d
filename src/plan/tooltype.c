/* SPDX-License-Identifier: MIT */
/*
 * Shared by the types that run an external tool (plan/tooltype.h). The
 * tree is materialised under tmppath because these tools read a
 * directory; what cannot be created rootless (device nodes, owners) goes
 * into a genext2fs-style device table for the tools that take one. Every
 * path created is in the undo log, so an interruption removes them.
 */
#include "plan/tooltype.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/size.h"
#include "config/cfgutil.h"
#include "config/config.h"
#include "fs/tree.h"
#include "io/copy.h"
#include "io/sink.h"
#include "io/undo.h"
#include "plan/build.h"
#include "plan/exec.h"
#include "plan/image.h"

extern char **environ;

static void tooljob_clean(struct tooljob *j);

const char *tool_path(struct build *b, const char *opt, const char *dflt)
{
	cfg_t *cs = b->cfg ? cfg_getsec(b->cfg, "config") : NULL;
	const char *v = NULL;

	if (cs && opt)
		v = cfg_getstr(cs, opt);
	return v && *v ? v : dflt;
}

int tool_push(char ***argv, unsigned *n, const char *word)
{
	char **v = realloc(*argv, (*n + 2) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	*argv = v;
	if (!(v[*n] = strdup(word)))
		return -ENOMEM;
	v[++*n] = NULL;
	return 0;
}

void tool_argv_free(char **argv, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		free(argv[i]);
	free(argv);
}

int tool_split(const char *s, char ***argv, unsigned *n)
{
	size_t len = s ? strlen(s) : 0;
	char *w = malloc(len + 1);
	int r = 0;

	if (!w)
		return -ENOMEM;
	while (s && *s && !r) {
		size_t k = 0;
		bool any = false;

		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		while (*s && *s != ' ' && *s != '\t' && *s != '\n') {
			char q = *s;
			any = true;
			if (q == '\'' || q == '"') {
				const char *e = strchr(s + 1, q);
				if (!e) {
					r = -EINVAL;
					break;
				}
				memcpy(w + k, s + 1, (size_t)(e - s - 1));
				k += (size_t)(e - s - 1);
				s = e + 1;
			} else {
				w[k++] = *s++;
			}
		}
		w[k] = 0;
		if (any && !r)
			r = tool_push(argv, n, w);
	}
	free(w);
	return r;
}

int tool_split_cfg(cfg_t *sec, const char *key, char ***argv, unsigned *n, struct diag *d)
{
	const char *s = cfg_getstr(sec, key);
	int r;

	*argv = NULL;
	*n = 0;
	r = tool_split(s, argv, n);
	if (!r)
		return 0;
	tool_argv_free(*argv, *n);
	*argv = NULL;
	*n = 0;
	return r == -EINVAL ? cfg_fail(sec, key, s, r, d, "unterminated quote")
			    : diag_fail(d, r, "out of memory");
}

char *tool_join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s/%s", a, b);
	return s;
}

int tooljob_track(struct tooljob *j, const char *path)
{
	int id;

	if (j->nundo == j->capundo) {
		unsigned cap = j->capundo ? 2 * j->capundo : 64;
		int *v = realloc(j->undo_ids, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		j->undo_ids = v;
		j->capundo = cap;
	}
	id = undo_unlink(path);
	if (id < 0)
		return id;
	j->undo_ids[j->nundo++] = id;
	return 0;
}

/* A materialisation walk: @buf holds the host path of the node. */
struct mat {
	struct tooljob *j;
	FILE *dt;
	bool dt_root;
	bool skip_special;  /* TOOL_DT_CALLER */
	char buf[TREE_SRC_PATH_MAX];
	size_t rootlen;
	bool links;   /* second pass: hard links only */
	struct diag *d;
};

int tool_copy_file(const char *src, uint64_t off, uint64_t left, const char *dst, struct diag *d)
{
	int in = -1, out, r = 0;

	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0)
		return diag_fail(d, -errno, "%s: cannot create: %s", dst, strerror(errno));
	if (left && !src)
		r = diag_fail(d, -EIO, "%s: no data source", dst);
	if (!r && left && (in = open(src, O_RDONLY | O_CLOEXEC)) < 0)
		r = diag_fail(d, -errno, "%s: %s", src, strerror(errno));
	if (!r && left && (r = io_copy_range(out, 0, in, off, left, true)))
		diag_fail(d, r, "copying %s to %s: %s", src, dst,
			  r == -EIO ? "changed while reading" : strerror(-r));
	if (in >= 0)
		close(in);
	if (close(out) && !r)
		r = diag_fail(d, -errno, "%s: %s", dst, strerror(errno));
	return r;
}

static int copy_data(const struct tree_node *n, const char *dst, struct diag *d)
{
	char sp[TREE_SRC_PATH_MAX];

	return tool_copy_file(tree_node_src_path(n, sp, sizeof(sp)), n->src_off, n->size, dst, d);
}

static void node_path(const struct tree_node *n, char *buf, size_t size, size_t rootlen)
{
	const struct tree_node *c[512];
	unsigned k = 0;
	size_t o = rootlen;

	for (; n && n->parent && k < 512; n = n->parent)
		c[k++] = n;
	buf[o] = 0;
	while (k--)
		o += (size_t)snprintf(buf + o, o < size ? size - o : 0, "/%s", c[k]->name);
}

static int dt_line(struct mat *m, const struct tree_node *n, const char *rel)
{
	char type;

	if (!m->dt || (!*rel && !m->dt_root))
		return 0;
	/* The tool squashes owners to 0:0 (-U) and reads modes from the
	 * files: a root-owned file or directory (one whose mode survived
	 * materialising) needs no line. Only lines can break on blanks. */
	if ((S_ISREG(n->mode) || (S_ISDIR(n->mode) && (n->mode & 0700) == 0700)) && !n->uid &&
	    !n->gid)
		return 0;
	if (strpbrk(rel, " \t\n"))
		return diag_fail(m->d, -EINVAL,
				 "%s: a name with blanks cannot go into the tool's device table", rel);
	switch (n->mode & S_IFMT) {
	case S_IFDIR: type = 'd'; break;
	case S_IFCHR: type = 'c'; break;
	case S_IFBLK: type = 'b'; break;
	case S_IFIFO: type = 'p'; break;
	case S_IFREG: type = 'f'; break;
	default: return 0; /* symlinks: mode and owner are not in the table */
	}
	m->j->dt_lines++;
	fprintf(m->dt, "%s\t%c\t%o\t%u\t%u\t%u\t%u\t-\t-\t-\n", *rel ? rel : "/", type,
		n->mode & 07777, n->uid, n->gid, n->rdev_major, n->rdev_minor);
	return 0;
}

static int mat_node(struct mat *m, const struct tree_node *n)
{
	char *p = m->buf;
	const char *rel = p + m->rootlen;
	struct timespec ts[2] = { { (time_t)n->mtime, (long)n->mtime_ns },
				  { (time_t)n->mtime, (long)n->mtime_ns } };
	int r = 0;

	/* Tools that read owners from the files (genisoimage) can take one
	 * owner for all: note whether there is one. */
	if (!m->links && (n->uid != m->j->uid || n->gid != m->j->gid))
		m->j->mixed_owner = true;
	node_path(n, p, sizeof(m->buf), m->rootlen);
	if (strlen(p) >= sizeof(m->buf) - 1)
		return diag_fail(m->d, -ENAMETOOLONG, "%s: path too long", rel);
	if (m->links != !!n->hardlink && !S_ISDIR(n->mode))
		return 0;
	if (n->hardlink) {
		char t[TREE_SRC_PATH_MAX];
		memcpy(t, p, m->rootlen);
		node_path(n->hardlink, t, sizeof(t), m->rootlen);
		if (link(t, p))
			return diag_fail(m->d, -errno, "%s: cannot link: %s", p, strerror(errno));
		return tooljob_track(m->j, p);
	}
	switch (n->mode & S_IFMT) {
	case S_IFDIR:
		if (!m->links && n->parent) {
			if (mkdir(p, 0700))
				return diag_fail(m->d, -errno, "%s: %s", p, strerror(errno));
			if ((r = tooljob_track(m->j, p)))
				return r;
		}
		if (!m->links && (r = dt_line(m, n, rel)))
			return r;
		for (uint32_t i = 0; i < n->nkids && !r; i++)
			r = mat_node(m, n->kids[i]);
		node_path(n, p, sizeof(m->buf), m->rootlen);
		/* Owner keeps write access: the directory must be removable. */
		if (!r && m->links && (chmod(p, (n->mode & 07777) | 0700) ||
				       utimensat(AT_FDCWD, p, ts, 0)))
			r = diag_fail(m->d, -errno, "%s: %s", p, strerror(errno));
		return r;
	case S_IFREG:
		r = copy_data(n, p, m->d);
		if (!r)
			r = tooljob_track(m->j, p);
		if (!r && chmod(p, n->mode & 07777))
			r = diag_fail(m->d, -errno, "%s: %s", p, strerror(errno));
		break;
	case S_IFLNK:
		if (symlink(n->link ? n->link : "", p))
			return diag_fail(m->d, -errno, "%s: %s", p, strerror(errno));
		r = tooljob_track(m->j, p);
		break;
	default:
		/* Devices, fifos, sockets: only the device table can hold them. */
		if (m->skip_special)
			return 0;
		if (!m->dt)
			return diag_fail(m->d, -EPERM,
					 "%s: device nodes cannot be created rootless and this tool takes no device table",
					 rel);
		return dt_line(m, n, rel);
	}
	if (!r)
		r = dt_line(m, n, rel);
	if (!r && utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW))
		r = diag_fail(m->d, -errno, "%s: %s", p, strerror(errno));
	return r;
}

int tooljob_start(struct build *b, struct image *img, struct tooljob *j, bool tree,
		  enum tool_devtable devtable, struct diag *d)
{
	struct tree *t = NULL;
	struct mat *m = NULL;
	char *tmpl;
	int r;

	memset(j, 0, sizeof(*j));
	j->fd = -1;
	if ((r = mkdir_p(b->paths.tmppath, d)))
		return r;
	tmpl = tool_join(b->paths.tmppath, "kiln-tool.XXXXXX");
	if (!tmpl)
		return diag_fail(d, -ENOMEM, "out of memory");
	if (!mkdtemp(tmpl)) {
		r = diag_fail(d, -errno, "%s: %s", tmpl, strerror(errno));
		free(tmpl);
		return r;
	}
	j->dir = tmpl;
	if ((r = tooljob_track(j, j->dir)))
		goto nomem;
	j->out = tool_join(j->dir, "out");
	if (!j->out || (r = tooljob_track(j, j->out)))
		goto nomem;
	if (!tree)
		return 0;
	j->root = tool_join(j->dir, "root");
	if (!j->root || (r = tooljob_track(j, j->root)))
		goto nomem;
	if (mkdir(j->root, 0755))
		return diag_fail(d, -errno, "%s: %s", j->root, strerror(errno));
	if ((r = image_content_tree(b, img, &t, d)))
		return r;
	m = calloc(1, sizeof(*m));
	if (!m)
		goto nomem;
	m->j = j;
	m->d = d;
	m->dt_root = devtable == TOOL_DT_ALL;
	m->skip_special = devtable == TOOL_DT_CALLER;
	if (devtable == TOOL_DT_ALL || devtable == TOOL_DT_NO_ROOT) {
		j->devtable = tool_join(j->dir, "devtable");
		if (!j->devtable || (r = tooljob_track(j, j->devtable)))
			goto nomem;
		m->dt = fopen(j->devtable, "we");
		if (!m->dt) {
			r = diag_fail(d, -errno, "%s: %s", j->devtable, strerror(errno));
			goto out;
		}
	}
	m->rootlen = strlen(j->root);
	if (m->rootlen >= sizeof(m->buf) / 2) {
		r = diag_fail(d, -ENAMETOOLONG, "%s: path too long", j->root);
		goto out;
	}
	memcpy(m->buf, j->root, m->rootlen + 1);
	j->uid = t->root->uid;
	j->gid = t->root->gid;
	r = mat_node(m, t->root);
	m->links = true;
	if (!r)
		r = mat_node(m, t->root);
	if (m->dt && fclose(m->dt) && !r)
		r = diag_fail(d, -errno, "%s: %s", j->devtable, strerror(errno));
	m->dt = NULL;
	goto out;
nomem:
	r = diag_fail(d, r && r != -ENOMEM ? r : -ENOMEM, "out of memory");
out:
	if (m && m->dt)
		fclose(m->dt);
	free(m);
	tree_free(t);
	return r;
}

int tool_run(struct image *img, char *const argv[], char *const envp[], struct diag *d)
{
	pid_t pid;
	int st, r;

	/* Own process group, in the undo log: an interruption stops it. */
	r = undo_spawn(&pid, argv[0], true, argv, envp ? envp : environ);
	if (r)
		return diag_fail(d, r, "cannot run %s: %s", argv[0], strerror(-r));
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			r = -errno;
			undo_set_child(0);
			return diag_fail(d, r, "%s: waitpid: %s", argv[0],
					 strerror(-r));
		}
	}
	undo_set_child(0);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	/* posix_spawnp reports a missing tool as exit status 127. */
	if (WIFEXITED(st))
		return diag_fail(d, -ECHILD, "%s exited with status %d%s", argv[0], WEXITSTATUS(st),
				 WEXITSTATUS(st) == 127 ? " (not found?)" : "");
	return diag_fail(d, -ECHILD, "%s killed by signal %d", argv[0],
			 WTERMSIG(st));
}

int tooljob_take(struct image *img, struct tooljob *j, struct diag *d)
{
	struct stat st;

	j->fd = open(j->out, O_RDONLY | O_CLOEXEC);
	if (j->fd < 0)
		return diag_fail(d, -errno, "the tool wrote no image (%s: %s)",
				 j->out, strerror(errno));
	if (fstat(j->fd, &st))
		return diag_fail(d, -errno, "%s: %s", j->out, strerror(errno));
	j->bytes = (uint64_t)st.st_size;
	/* The open output outlives its name: nothing stays in tmppath. */
	tooljob_clean(j);
	return 0;
}

int tooljob_copy(struct tooljob *j, struct sink *out, struct diag *d)
{
	if (j->fd < 0)
		return diag_fail(d, -EINVAL, "internal: tool image generated before presize");
	return sink_copy_fd(out, 0, j->fd, 0, j->bytes, "tool output", d);
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)f;
	if (flag == FTW_DP)
		rmdir(p);
	else
		unlink(p);
	return 0;
}

static void tooljob_clean(struct tooljob *j)
{
	sigset_t old;

	if (!j->dir)
		return;
	nftw(j->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	undo_block(&old);
	for (unsigned i = 0; i < j->nundo; i++)
		undo_forget(j->undo_ids[i]);
	undo_unblock(&old);
	j->nundo = 0;
	free(j->dir);
	j->dir = NULL;
}

void tooljob_done(struct tooljob *j)
{
	tooljob_clean(j);
	if (j->fd >= 0)
		close(j->fd);
	free(j->undo_ids);
	free(j->dir);
	free(j->root);
	free(j->devtable);
	free(j->out);
	memset(j, 0, sizeof(*j));
	j->fd = -1;
}

int tooljob_prepare(struct image *img, struct tooljob *j, struct diag *d)
{
	int fd;

	if (!img->size_set)
		return 0;
	fd = open(j->out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return diag_fail(d, -errno, "%s: %s", j->out, strerror(errno));
	if (ftruncate(fd, (off_t)img->size)) {
		int e = errno;
		close(fd);
		return diag_fail(d, -e, "%s: %s", j->out, strerror(e));
	}
	close(fd);
	return 0;
}

int tooljob_finish(struct image *img, struct tooljob *j, struct diag *d)
{
	int r = tooljob_take(img, j, d);

	if (r)
		return r;
	if (img->size_set && j->bytes > img->size)
		return diag_fail(d, -E2BIG, "the tool wrote %llu bytes, size is %llu",
				 (unsigned long long)j->bytes,
				 (unsigned long long)img->size);
	if (!img->size_set)
		img->size = j->bytes;
	return 0;
}

static int flash_key(cfg_t *fs, const char *key, uint64_t *ret, struct diag *d)
{
	const char *v = cfg_getstr(fs, key);
	struct size_spec s;
	struct diag tmp = { 0 };
	const char *file;
	unsigned line;

	*ret = 0;
	if (!v || !*v)
		return 0;
	if (!size_parse(v, 0, &s, &tmp) && s.bytes <= INT32_MAX) {
		*ret = s.bytes;
		return 0;
	}
	config_where(fs, key, 0, &file, &line);
	return diag_fail(d, -EINVAL, "%s:%u: flash '%s': %s = \"%s\": %s", file, line,
			 cfg_title(fs), key, v, tmp.msg[0] ? tmp.msg : "too large");
}

int tool_flash(struct build *b, struct image *img, struct tool_flash *f, struct diag *d)
{
	cfg_t *fs;
	int r;

	memset(f, 0, sizeof(*f));
	if (!img->flashtype)
		return diag_fail(d, -EINVAL,
				 "no flashtype given (flashtype = \"NAME\" of a flash NAME { } section)");
	fs = b->cfg ? cfg_gettsec(b->cfg, "flash", img->flashtype) : NULL;
	if (!fs)
		return diag_fail(d, -EINVAL, "flashtype = \"%s\": no flash section of that name",
				 img->flashtype);
	if ((r = flash_key(fs, "pebsize", &f->pebsize, d)) ||
	    (r = flash_key(fs, "lebsize", &f->lebsize, d)) ||
	    (r = flash_key(fs, "minimum-io-unit-size", &f->min_io, d)) ||
	    (r = flash_key(fs, "vid-header-offset", &f->vid_hdr_offs, d)) ||
	    (r = flash_key(fs, "sub-page-size", &f->subpage, d)))
		return r;
	return 0;
}

int tooljob_generate(struct build *b, struct image *img, struct sink *out, struct diag *d)
{
	struct tooljob *j = img->priv;
	int r = tooljob_copy(j, out, d);

	(void)b;
	tooljob_done(j);
	return r;
}

int tool_push2(char ***argv, unsigned *n, const char *a, const char *b)
{
	int r = tool_push(argv, n, a);

	return r ? r : tool_push(argv, n, b);
}

int tool_push_tree(char ***argv, unsigned *n, const struct tooljob *j, bool empty)
{
	int r = empty ? 0 : tool_push2(argv, n, "-d", j->root);

	if (!r && j->dt_lines)
		r = tool_push2(argv, n, "-D", j->devtable);
	if (!r && !empty)
		r = tool_push(argv, n, "-U");
	return r;
}

int tooljob_run(struct build *b, struct image *img, struct tooljob *j, char *const argv[],
		tool_fix_fn *fix, struct diag *d)
{
	int r = tool_run(img, argv, NULL, d);

	if (!r && fix)
		r = fix(b, img, j->out, d);
	return r ? r : tooljob_finish(img, j, d);
}

void tooljob_abort(struct image *img, struct tooljob *j, struct diag *d)
{
	tooljob_done(j);
	/* presize errors get no image context from the planner */
	image_diag_prefix(img, d);
}

int tooljob_run_file(struct build *b, struct image *img, struct tooljob *j, char *const argv[],
		     tool_fix_fn *fix, struct diag *d)
{
	int r = tooljob_run(b, img, j, argv, fix, d);

	/* As genimage: the file is what the tool wrote, even under a size. */
	if (!r && j->bytes < img->size)
		img->file_size = j->bytes;
	return r;
}

int tool_push_tail(char ***argv, unsigned *n, int r, const char *extraargs, const char *last,
		   struct diag *d)
{
	if (!r && tool_split(extraargs, argv, n) == -EINVAL)
		return diag_fail(d, -EINVAL, "extraargs: unterminated quote");
	if (!r && last)
		r = tool_push(argv, n, last);
	return r ? diag_fail(d, -ENOMEM, "out of memory") : 0;
}

void *tooljob_release(struct image *img)
{
	struct tooljob *j = img->priv;

	if (j)
		tooljob_done(j);
	img->priv = NULL;
	return j;
}

int tool_priv_parse(struct build *b, struct image *img, cfg_t *sec, struct diag *d)
{
	struct tool_priv *p = calloc(1, sizeof(*p));
	const char *l = cfg_getstr(sec, "label"), *x = cfg_getstr(sec, "extraargs");

	(void)b;
	if (!p)
		return diag_fail(d, -ENOMEM, "out of memory");
	img->priv = p;
	p->j.fd = -1;
	p->label = l ? strdup(l) : NULL;
	p->extraargs = strdup(x ? x : "");
	if ((l && !p->label) || !p->extraargs)
		return diag_fail(d, -ENOMEM, "out of memory");
	return 0;
}

void tool_priv_release(struct image *img)
{
	struct tool_priv *p = tooljob_release(img);

	if (p) {
		free(p->label);
		free(p->extraargs);
	}
	free(p);
}
