/* SPDX-License-Identifier: MIT */
/*
 * `qemu`: genimage's type, the concatenation of its partitions' images
 * as a virtual-machine disk. `format = qcow2` (the default) without
 * `extraargs` is written natively (flash/qcow2.h); any other format, or
 * extraargs, is handed to `qemu-img convert` as genimage does, spawned
 * with an argv array (no shell). Either way the size depends on the
 * inputs' bytes: setup plans an upper bound, presize (once the inputs
 * are written) fixes it, generate writes or copies the result.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/diag.h"
#include "config/cfgutil.h"
#include "flash/qcow2.h"
#include "io/sink.h"
#include "plan/build.h"
#include "plan/image.h"

#define QEMU_MAX_ARGS 64

extern char **environ;

struct qemu_priv {
	char *format, *extraargs;
	bool native;
	struct qcow2_input *in; /* one per partition with an image */
	unsigned nin;
	struct qcow2_plan plan;
	int out_fd;             /* qemu-img's result (unlinked), or -1 */
	uint64_t out_size;
	bool sized;
};

static cfg_opt_t qemu_cfg_opts[] = {
	CFG_STR("format", "qcow2", CFGF_NONE),
	CFG_STR("extraargs", "", CFGF_NONE),
	CFG_END()
};

static int qemu_parse(struct build *b, struct image *img, cfg_t *sec, struct diag *d)
{
	struct qemu_priv *p = calloc(1, sizeof(*p));
	const char *f = cfg_getstr(sec, "format");

	if (!p)
		return diag_fail(d, -ENOMEM, "out of memory");
	img->priv = p;
	p->out_fd = -1;
	if (!f || !*f || strspn(f, "abcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(f))
		return cfg_fail(sec, "format", f, -EINVAL, d, "not a qemu-img format name");
	if (cfg_dup_str(sec, "format", &p->format) || cfg_dup_str(sec, "extraargs", &p->extraargs))
		return diag_fail(d, -ENOMEM, "out of memory");
	p->native = !strcmp(f, "qcow2") && strspn(p->extraargs, " \t") == strlen(p->extraargs);
	return 0;
}

static int qemu_setup(struct build *b, struct image *img, struct diag *d)
{
	struct qemu_priv *p = img->priv;
	uint64_t total = 0;
	int r;

	for (unsigned i = 0; i < img->nparts; i++)
		if (img->parts[i].child) {
			total += (img->parts[i].child->size + 511) / 512 * 512;
			p->nin++;
		}
	if (!p->nin)
		return diag_fail(d, -EINVAL, "no partition given");
	p->in = calloc(p->nin, sizeof(*p->in));
	if (!p->in)
		return diag_fail(d, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < p->nin; i++)
		p->in[i].fd = -1;
	if (!p->native) {
		img->size = total; /* an estimate; presize runs qemu-img */
		return 0;
	}
	/* Upper bound: every cluster allocated. */
	struct qcow2_plan bound = { .virtual_size = total };
	struct qcow2_extent all = { 0, (total + QCOW2_CLUSTER - 1) / QCOW2_CLUSTER };

	bound.ext = &all;
	bound.next = 1;
	r = qcow2_layout(&bound, d);
	if (r)
		return r;
	img->size = bound.file_size;
	return 0;
}

static void close_inputs(struct qemu_priv *p)
{
	for (unsigned i = 0; i < p->nin; i++) {
		if (p->in[i].fd >= 0)
			close(p->in[i].fd);
		p->in[i].fd = -1;
	}
}

/* qemu-img convert EXTRAARGS -O FORMAT INPUTS... OUT, as genimage runs it. */
static int run_qemu_img(struct build *b, struct image *img, struct diag *d)
{
	struct qemu_priv *p = img->priv;
	char *argv[QEMU_MAX_ARGS + 8], *words = strdup(p->extraargs), *save = NULL, *w;
	char out[4096], msg[256] = "";
	unsigned n = 0;
	posix_spawn_file_actions_t fa;
	int r, status, logfd = -1;
	pid_t pid;
	ssize_t got;

	if (!words)
		return diag_fail(d, -ENOMEM, "out of memory");
	snprintf(out, sizeof(out), "%s/.%s.kiln-qemu-XXXXXX", b->paths.tmppath, img->name);
	argv[n++] = "qemu-img";
	argv[n++] = "convert";
	for (w = strtok_r(words, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (n >= QEMU_MAX_ARGS) {
			free(words);
			return diag_fail(d, -E2BIG, "extraargs: more than %d words", QEMU_MAX_ARGS - 2);
		}
		argv[n++] = w;
	}
	argv[n++] = "-O";
	argv[n++] = p->format;
	for (unsigned i = 0; i < img->nparts; i++)
		if (img->parts[i].child && n < QEMU_MAX_ARGS + 6)
			argv[n++] = img->parts[i].child->outfile;
	argv[n++] = out;
	argv[n] = NULL;

	mkdir(b->paths.tmppath, 0755);
	int ofd = mkstemp(out);

	if (ofd < 0) {
		r = diag_fail(d, -errno, "%s: %s", out, strerror(errno));
		free(words);
		return r;
	}
	close(ofd);
	/* The tool's output goes to an unnamed file: its first line
	 * becomes the error message. */
	logfd = open(b->paths.tmppath, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	posix_spawn_file_actions_init(&fa);
	if (logfd >= 0) {
		posix_spawn_file_actions_adddup2(&fa, logfd, 1);
		posix_spawn_file_actions_adddup2(&fa, logfd, 2);
	}
	r = posix_spawnp(&pid, "qemu-img", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	free(words);
	if (r) {
		r = diag_fail(d, -r, "qemu-img: %s", strerror(r));
		goto out;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			r = diag_fail(d, -errno, "qemu-img: %s", strerror(errno));
			goto out;
		}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		if (logfd >= 0 && (got = pread(logfd, msg, sizeof(msg) - 1, 0)) > 0) {
			msg[got] = 0;
			msg[strcspn(msg, "\n")] = 0;
		}
		r = diag_fail(d, -EIO, "qemu-img convert -O %s failed (%s %d)%s%s", p->format,
			      WIFEXITED(status) ? "exit" : "signal",
			      WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
			      *msg ? ": " : "", msg);
		goto out;
	}
	p->out_fd = open(out, O_RDONLY | O_CLOEXEC);
	if (p->out_fd < 0) {
		r = diag_fail(d, -errno, "%s: %s", out, strerror(errno));
		goto out;
	}
	struct stat st;

	if (fstat(p->out_fd, &st)) {
		r = diag_fail(d, -errno, "%s: %s", out, strerror(errno));
		goto out;
	}
	p->out_size = (uint64_t)st.st_size;
	r = 0;
out:
	unlink(out);
	if (logfd >= 0)
		close(logfd);
	return r;
}

static int qemu_presize(struct build *b, struct image *img, struct diag *d)
{
	struct qemu_priv *p = img->priv;
	uint64_t base = 0;
	unsigned k = 0;
	int r;

	if (p->sized)
		return 0;
	if (!p->native) {
		r = run_qemu_img(b, img, d);
		if (!r)
			img->size = p->out_size;
		goto out;
	}
	for (unsigned i = 0; i < img->nparts; i++) {
		struct image *c = img->parts[i].child;
		struct qcow2_input *in;
		struct stat st;

		if (!c)
			continue;
		in = &p->in[k++];
		in->what = c->outfile;
		in->fd = open(c->outfile, O_RDONLY | O_CLOEXEC);
		if (in->fd < 0 || fstat(in->fd, &st)) {
			r = diag_fail(d, -errno, "%s: %s", c->outfile, strerror(errno));
			goto out;
		}
		/* As qemu-img: each input counts whole 512-byte sectors. */
		in->base = base;
		in->size = (uint64_t)st.st_size;
		base += (in->size + 511) / 512 * 512;
	}
	r = qcow2_map(&p->plan, p->in, p->nin, d);
	if (!r)
		r = qcow2_layout(&p->plan, d);
	if (!r)
		img->size = p->plan.file_size;
out:
	if (r)
		image_diag_prefix(img, d);
	else
		p->sized = true;
	return r;
}

static int qemu_generate(struct build *b, struct image *img, struct sink *out, struct diag *d)
{
	struct qemu_priv *p = img->priv;
	int r;

	if (!p->sized)
		return diag_fail(d, -EINVAL, "internal: qemu image generated before presize");
	if (p->native)
		r = qcow2_write(&p->plan, p->in, p->nin, out, d);
	else
		r = sink_copy_fd(out, 0, p->out_fd, 0, p->out_size, "qemu-img output", d);
	close_inputs(p);
	return r;
}

static void qemu_describe(const struct image *img, void (*line)(void *, const char *), void *ud)
{
	const struct qemu_priv *p = img->priv;
	char s[256];

	if (!p->native)
		snprintf(s, sizeof(s), "%s through qemu-img convert of %u image(s) (size once written)",
			 p->format, p->nin);
	else if (!p->sized)
		snprintf(s, sizeof(s), "qcow2 v3 of %u image(s), 64 KiB clusters: at most %llu bytes (exact once the inputs are written)",
			 p->nin, (unsigned long long)img->size);
	else
		snprintf(s, sizeof(s), "qcow2 v3, 64 KiB clusters: virtual %llu bytes, %llu data clusters, %llu L2 tables, %llu bytes",
			 (unsigned long long)p->plan.virtual_size,
			 (unsigned long long)p->plan.data_clusters,
			 (unsigned long long)p->plan.l2_tables,
			 (unsigned long long)p->plan.file_size);
	line(ud, s);
}

static void qemu_release(struct image *img)
{
	struct qemu_priv *p = img->priv;

	if (!p)
		return;
	if (p->in)
		close_inputs(p);
	if (p->out_fd >= 0)
		close(p->out_fd);
	qcow2_plan_release(&p->plan);
	free(p->in);
	free(p->format);
	free(p->extraargs);
	free(p);
	img->priv = NULL;
}

const struct image_handler qemu_handler = {
	.type = "qemu",
	.opts = qemu_cfg_opts,
	.parse = qemu_parse,
	.setup = qemu_setup,
	.presize = qemu_presize,
	.generate = qemu_generate,
	.describe = qemu_describe,
	.release = qemu_release,
};
