/* SPDX-License-Identifier: MIT */
/*
 * Decoding independent archive layers at the same time (-j N, with the
 * store): before the images are set up, every archive or .deb a used
 * tree reads and the store does not hold yet is decompressed by a thread
 * of its own, into a scratch tree and a spill file of its own, and its
 * decoded layer is kept in the store. Setup then composes the trees as
 * in any warm build, from the store, in plan order: the bytes are those
 * of a serial build. A layer whose read fails here is left alone; the
 * composition reads it again and reports the error where it belongs.
 *
 * Only the reads run in threads: hashing the archives (the stat index),
 * creating and removing the spill files (the undo log) and storing the
 * results happen in the main thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/diag.h"
#include "fs/spill.h"
#include "fs/tree-archive.h"
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
		.kind = l->src == LAYER_DEB ? TREE_ARCHIVE_DEB : TREE_ARCHIVE_AUTO, .dest = "",
		.policy = TREE_CONFLICT_REPLACE, .layer = (uint32_t)li, .spill = &j->spill,
		.region = &j->region, .name = j->host, .include = (const char *const *)l->include,
		.ninclude = l->ninclude, .subdir = l->subdir, .log = &j->logs[0],
		.threads = j->b->jobs,
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
	spill_release(&j->spill);
}

/* Add layer @l to the job of its file, or start one. */
static int add_layer(struct build *b, struct pf_job **v, unsigned *n, struct tree_layer *l,
		     char *host, const struct stat *st)
{
	struct pf_job *j = NULL;

	for (unsigned i = 0; i < *n && !j; i++)
		if ((*v)[i].st.st_dev == st->st_dev && (*v)[i].st.st_ino == st->st_ino &&
		    (*v)[i].layers[0]->src == l->src)
			j = &(*v)[i];
	if (!j) {
		struct pf_job *nv = realloc(*v, (*n + 1) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		*v = nv;
		j = &nv[(*n)++];
		*j = (struct pf_job){ .b = b, .host = host, .st = *st };
		host = NULL;
		if (spill_init(&j->spill, b->paths.tmppath))
			return -ENOMEM;
	}
	free(host);
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

/* The archive layers of used trees that the store cannot give. */
static int collect(struct build *b, struct pf_job **v, unsigned *n, struct diag *d)
{
	struct trees_state *ts = b->trees;
	int r;

	for (unsigned i = 0; i < ts->ndefs; i++) {
		struct tree_def *def = &ts->defs[i];
		if (!trees_def_used(b, def))
			continue;
		for (unsigned k = 0; k < def->nlayers; k++) {
			struct tree_layer *l = &def->layers[k];
			struct stat st;
			char *host;
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
	}
	return 0;
}

struct pool {
	pthread_mutex_t lock;
	struct pf_job *v;
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
		decode(&p->v[i]);
	}
}

int trees_prefetch(struct build *b, struct diag *d)
{
	struct pool p = { .lock = PTHREAD_MUTEX_INITIALIZER };
	pthread_t tid[64];
	unsigned nt = 0;
	int r;

	if (!b->trees || !b->store || b->jobs < 2 || b->archive_nocache)
		return 0;
	r = collect(b, &p.v, &p.n, d);
	/* One file alone gains nothing from a thread: composition reads it. */
	for (unsigned i = 0; !r && p.n > 1 && i < p.n; i++)
		r = spill_open(&p.v[i].spill, d);
	if (!r && p.n > 1) {
		/* The main thread is one of the readers. */
		while (nt + 1 < b->jobs && nt + 1 < p.n && nt < 64 &&
		       !pthread_create(&tid[nt], NULL, worker, &p))
			nt++;
		worker(&p);
		for (unsigned i = 0; i < nt; i++)
			pthread_join(tid[i], NULL);
	}
	for (unsigned i = 0; !r && p.n > 1 && i < p.n; i++) {
		struct pf_job *j = &p.v[i];
		struct stat now;
		/* Stored under the hash of the file that was hashed: only
		 * when it is still that file. */
		if (j->r || !j->logs[0] || stat(j->host, &now) ||
		    !store_same_file(&now, trees_cache_stat(j->layers[0])))
			continue;
		diag_note(d, "%s: reading archive (at the same time as %u other%s)", j->host,
			  p.n - 1, p.n > 2 ? "s" : "");
		for (unsigned k = 0; k < j->n; k++)
			if (j->logs[k])
				trees_cache_put(b, j->layers[k], j->logs[k], j->spill.fd, j->host, d);
	}
	for (unsigned i = 0; i < p.n; i++)
		job_release(&p.v[i]);
	free(p.v);
	pthread_mutex_destroy(&p.lock);
	return r;
}
