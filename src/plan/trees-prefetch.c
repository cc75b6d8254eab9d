/* SPDX-License-Identifier: MIT */
/*
 * Decoding independent archive layers at the same time (-j N, with the
 * store): before the images are set up, every archive, .deb or locked
 * package a used tree reads and the store does not hold decoded yet is
 * decompressed by a thread of its own, into a scratch tree and a spill
 * file of its own, and its decoded layer is kept in the store. The
 * largest files start first: the kernel's package is most of a cold
 * build, and the small ones fill the other threads meanwhile. Setup then composes the trees as
 * in any warm build, from the store, in plan order: the bytes are those
 * of a serial build. A layer whose read fails here is left alone; the
 * composition reads it again and reports the error where it belongs.
 *
 * Only the reads run in threads: hashing the archives (the stat index),
 * opening and verifying the packages' store blobs, creating and removing
 * the spill files (the undo log) and storing the results happen in the
 * main thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "fs/spill.h"
#include "fs/tree-archive.h"
#include "fs/xz-read.h"
#include "plan/build.h"
#include "plan/trees-def.h"
#include "plan/trees.h"
#include "store/store.h"

/* One archive file: its first layer, and the others reading it. */
struct pf_job {
	struct build *b;
	char *host;
	struct stat st;
	struct tree_layer **layers;
	struct tree_archive_log **logs;
	unsigned n;
	struct spill spill;
	struct spill_region region;
	int r;
	/* A locked package (the layers are package layers): its SHA-256,
	 * its store blob open as @fd (-1 until opened), its name. */
	bool pkg;
	uint8_t sha[SHA256_LEN];
	int fd;
	char *label;
	uint64_t xz_memlimit; /* its share of the xz decoders' budget */
};

static void *decode(void *ud)
{
	struct pf_job *j = ud;
	struct tree_layer *l = j->layers[0];
	struct tree_archive_sibling *sib = calloc(j->n, sizeof(*sib));
	struct tree *t = NULL;
	int li;

	j->r = -ENOMEM;
	if (!sib || tree_new(&t, j->b->epoch) || (li = tree_add_layer(t, j->host)) < 0)
		goto out;
	for (unsigned i = 1; i < j->n; i++)
		sib[i - 1] = (struct tree_archive_sibling){
			.include = (const char *const *)j->layers[i]->include,
			.ninclude = j->layers[i]->ninclude, .subdir = j->layers[i]->subdir,
			.log = &j->logs[i],
		};
	/* The log does not depend on dest, policy or follow-symlinks
	 * (tree-archive.h): an empty tree that keeps every member. */
	struct tree_archive_opts o = {
		.kind = j->pkg || l->src == LAYER_DEB ? TREE_ARCHIVE_DEB : TREE_ARCHIVE_AUTO,
		.dest = "", .policy = TREE_CONFLICT_REPLACE, .layer = (uint32_t)li,
		.spill = &j->spill, .region = &j->region, .name = j->pkg ? j->label : j->host,
		.include = (const char *const *)l->include,
		.ninclude = l->ninclude, .subdir = l->subdir, .log = &j->logs[0],
		.threads = j->b->jobs, .xz_memlimit = j->xz_memlimit,
		.siblings = sib, .nsiblings = j->n - 1,
	};
	j->r = tree_add_archive(t, j->host, &o, NULL);
out:
	tree_free(t);
	free(sib);
	return NULL;
}

static void job_release(struct pf_job *j)
{
	for (unsigned i = 0; i < j->n; i++)
		tree_archive_log_free(j->logs[i]);
	free(j->logs);
	free(j->layers);
	free(j->host);
	free(j->label);
	if (j->fd >= 0)
		close(j->fd);
	spill_release(&j->spill);
}

/* A new job in *v; NULL when out of memory. */
static struct pf_job *new_job(struct build *b, struct pf_job **v, unsigned *n)
{
	struct pf_job *nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return NULL;
	*v = nv;
	nv[*n] = (struct pf_job){ .b = b, .fd = -1 };
	if (spill_init(&nv[*n].spill, b->paths.tmppath))
		return NULL;
	return &nv[(*n)++];
}

/* Add layer @l to job @j. */
static int job_add(struct pf_job *j, struct tree_layer *l)
{
	struct tree_layer **nl = realloc(j->layers, (j->n + 1) * sizeof(*nl));
	if (nl)
		j->layers = nl;
	struct tree_archive_log **ng = realloc(j->logs, (j->n + 1) * sizeof(*ng));
	if (ng)
		j->logs = ng;
	if (!nl || !ng)
		return -ENOMEM;
	j->layers[j->n] = l;
	j->logs[j->n++] = NULL;
	return 0;
}

/* Add layer @l to the job of its file, or start one. */
static int add_layer(struct build *b, struct pf_job **v, unsigned *n, struct tree_layer *l,
		     char *host, const struct stat *st)
{
	struct pf_job *j = NULL;

	for (unsigned i = 0; i < *n && !j; i++)
		if (!(*v)[i].pkg && (*v)[i].st.st_dev == st->st_dev &&
		    (*v)[i].st.st_ino == st->st_ino && (*v)[i].layers[0]->src == l->src)
			j = &(*v)[i];
	if (!j) {
		if (!(j = new_job(b, v, n))) {
			free(host);
			return -ENOMEM;
		}
		j->host = host;
		j->st = *st;
		host = NULL;
	}
	free(host);
	return job_add(j, l);
}

/* Add package @p of package layer @l to the job of its .deb, or start one. */
static int add_pkg(struct build *b, struct pf_job **v, unsigned *n, struct tree_layer *l,
		   const struct pkg_locked *p)
{
	struct pf_job *j = NULL;

	for (unsigned i = 0; i < *n && !j; i++)
		if ((*v)[i].pkg && !memcmp((*v)[i].sha, p->sha256, SHA256_LEN))
			j = &(*v)[i];
	if (!j) {
		char label[600];
		if (!(j = new_job(b, v, n)))
			return -ENOMEM;
		j->pkg = true;
		memcpy(j->sha, p->sha256, SHA256_LEN);
		trees_pkg_label(b->trees, p, label, sizeof(label));
		if (!(j->label = strdup(label)))
			return -ENOMEM;
	}
	return job_add(j, l);
}

/* The packages of package layer @l whose decoded form the store lacks. */
static int collect_pkg(struct build *b, struct tree_def *def, struct tree_layer *l,
		       struct pf_job **v, unsigned *n, struct diag *d)
{
	struct trees_state *ts = b->trees;
	const struct pkg_lock_layer *y = trees_pkg_prefetch_layer(b, ts, def, l);
	char label[600];

	for (unsigned i = 0; y && i < y->npkgs; i++) {
		const struct pkg_locked *p = &y->pkgs[i];
		struct pkg_decoded *dec = &l->pkg_dec[i];
		if (dec->log || trees_pkg_is_file(ts, p->sha256))
			continue;
		trees_pkg_label(ts, p, label, sizeof(label));
		trees_cache_pkg_load(b, l, p->sha256, label, &dec->log, &dec->path, d);
		if (!dec->log && add_pkg(b, v, n, l, p))
			return diag_fail(d, -ENOMEM, "out of memory");
	}
	return 0;
}

/* Each job holds two descriptors (its file, its spill file) until the
 * reads end: at most this many jobs, the largest; composition reads the
 * others, as without -j. */
#define PF_MAX_JOBS 128

/* The size of each package's store blob (an absent one sorts last and
 * is left to composition). */
static void size_pkgs(struct build *b, struct pf_job *v, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		char *blob = v[i].pkg ? store_blob_path(b->store, v[i].sha) : NULL;
		if (v[i].pkg && (!blob || stat(blob, &v[i].st)))
			v[i].r = -ENOENT;
		free(blob);
	}
}

/* Open and verify each package's blob, as composition would: a job
 * whose blob is missing or corrupt is left to composition. */
static void open_pkgs(struct build *b, struct pf_job *v, unsigned n)
{
	char fdpath[64];

	for (unsigned i = 0; i < n; i++) {
		struct pf_job *j = &v[i];
		struct diag q = { 0 };
		if (!j->pkg || j->r)
			continue;
		if (store_open_blob(b->store, j->sha, true, &j->fd, &q)) {
			j->r = -ENOENT;
			continue;
		}
		/* Through its descriptor, as trees_pkg_compose reads it. */
		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", j->fd);
		j->host = access(fdpath, R_OK) ? store_blob_path(b->store, j->sha) : strdup(fdpath);
		if (!j->host)
			j->r = -ENOMEM;
	}
}

/* Largest first: the longest read starts at once. */
static int by_size(const void *a, const void *b)
{
	const struct pf_job *x = a, *y = b;

	return (x->st.st_size < y->st.st_size) - (x->st.st_size > y->st.st_size);
}

/* The archive layers of used trees that the store cannot give. */
static int collect(struct build *b, struct pf_job **v, unsigned *n, struct diag *d)
{
	struct trees_state *ts = b->trees;
	int r;

	struct tree_def *def = NULL;
	unsigned k;
	for (struct tree_layer *l; (l = trees_next_used_layer(b, ts, &def, &k));) {
		struct stat st;
		char *host;
		if (l->src == LAYER_PKG && (r = collect_pkg(b, def, l, v, n, d)))
			return r;
		if ((l->src != LAYER_ARCHIVE && l->src != LAYER_DEB) || l->log)
			continue;
		if (!(host = trees_resolve(b, l->src_path, NULL)))
			return diag_fail(d, -ENOMEM, "out of memory");
		/* Hashes it and loads its decoded layer when stored. */
		r = trees_cache_load(b, l, host, d);
		if (r || l->log || stat(host, &st) || !S_ISREG(st.st_mode)) {
			free(host);
			if (r)
				return r;
			continue;
		}
		if (add_layer(b, v, n, l, host, &st))
			return diag_fail(d, -ENOMEM, "out of memory");
	}
	return 0;
}

enum { JOB_READING, JOB_READ, JOB_STORED };

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t cv;  /* a job is done */
	struct pf_job *v;
	uint8_t *state; /* of each job: JOB_READING, JOB_READ, JOB_STORED */
	unsigned n, next;
};

/* Take the next file to read until none is left. */
static void *worker(void *ud)
{
	struct pool *p = ud;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		unsigned i = p->next++;
		pthread_mutex_unlock(&p->lock);
		if (i >= p->n)
			return NULL;
		if (!p->v[i].r)
			decode(&p->v[i]);
		pthread_mutex_lock(&p->lock);
		p->state[i] = JOB_READ;
		pthread_cond_signal(&p->cv);
		pthread_mutex_unlock(&p->lock);
	}
}

/* Keep job @j's decoded layers in the store (main thread). */
static void store_job(struct build *b, struct pf_job *j, unsigned n, struct diag *d)
{
	struct stat now;

	/* Stored under the hash of the file that was hashed: only when it
	 * is still that file (a store blob is). */
	if (j->r || !j->logs[0] ||
	    (!j->pkg &&
	     (stat(j->host, &now) || !store_same_file(&now, trees_cache_stat(j->layers[0])))))
		return;
	const char *what = j->pkg ? j->label : j->host;
	diag_note(d, "%s: reading archive (at the same time as %u other%s)", what, n - 1,
		  n > 2 ? "s" : "");
	for (unsigned k = 0; k < j->n; k++) {
		if (!j->logs[k])
			continue;
		if (j->pkg)
			trees_cache_pkg_save(b, j->spill.fd, j->layers[k], j->sha, j->logs[k], what, d);
		else
			trees_cache_put(b, j->layers[k], j->logs[k], j->spill.fd, j->host, d);
	}
}

/* Read every job on up to b->jobs threads; the main thread stores each
 * read as it ends (hashing, writing, fsyncing the decoded layers of the
 * small packages while the kernel's is still decoding). */
static void run_pool(struct build *b, struct pool *p, struct diag *d)
{
	pthread_t tid[64];
	unsigned nt = 0, stored = 0, most = b->jobs < p->n ? b->jobs : p->n;

	/* Up to @most archives decode at once, each on up to b->jobs xz
	 * threads: they share one memory budget, or 64 CPUs could hold
	 * 64 x 512 MiB of xz blocks. */
	most = most < 64 ? most : 64;
	for (unsigned i = 0; i < p->n; i++)
		p->v[i].xz_memlimit = XZ_READ_MEMLIMIT_THREADS / (most ? most : 1);
	while (nt < b->jobs && nt < p->n && nt < 64 &&
	       !pthread_create(&tid[nt], NULL, worker, p))
		nt++;
	if (!nt)
		worker(p);
	pthread_mutex_lock(&p->lock);
	while (stored < p->n) {
		unsigned i;
		for (i = 0; i < p->n && p->state[i] != JOB_READ; i++)
			;
		if (i == p->n) {
			pthread_cond_wait(&p->cv, &p->lock);
			continue;
		}
		p->state[i] = JOB_STORED;
		pthread_mutex_unlock(&p->lock);
		store_job(b, &p->v[i], p->n, d);
		stored++;
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < nt; i++)
		pthread_join(tid[i], NULL);
}

int trees_prefetch(struct build *b, struct diag *d)
{
	struct pool p = { .lock = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
	int r;

	if (!b->trees || !b->store || b->jobs < 2 || b->archive_nocache)
		return 0;
	r = collect(b, &p.v, &p.n, d);
	/* One file alone gains nothing from a thread: composition reads it. */
	if (!r && p.n > 1) {
		size_pkgs(b, p.v, p.n);
		qsort(p.v, p.n, sizeof(*p.v), by_size);
		while (p.n > PF_MAX_JOBS)
			job_release(&p.v[--p.n]);
		open_pkgs(b, p.v, p.n);
		if (!(p.state = calloc(p.n, sizeof(*p.state))))
			r = diag_fail(d, -ENOMEM, "out of memory");
	}
	for (unsigned i = 0; !r && p.n > 1 && i < p.n; i++)
		if (!p.v[i].r)
			r = spill_open(&p.v[i].spill, d);
	if (!r && p.n > 1)
		run_pool(b, &p, d);
	for (unsigned i = 0; i < p.n; i++)
		job_release(&p.v[i]);
	free(p.v);
	free(p.state);
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.lock);
	return r;
}
