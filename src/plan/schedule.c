/* SPDX-License-Identifier: MIT */
/*
 * Parallel generation (-j N): images whose children are committed are
 * written at the same time, each by a thread of its own, while the main
 * thread does everything that touches shared state — exec hooks, the
 * store, the undo log, the CLI's callbacks — one image at a time, and
 * commits outputs in plan order. So the undo log, the explain lines and
 * the warnings come in the same order as in a serial build, and the
 * outputs are the same bytes (docs/architecture.md, "Threads").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "io/undo.h"
#include "plan/build.h"
#include "plan/generate.h"
#include "plan/inplace.h"

/* Handlers whose generate was audited for running outside the main
 * thread: they read their plan, their committed children and input
 * files through their own descriptors, and write their own sink only
 * (no undo log, store, exec hooks, shared buffers or shared cursors).
 * Any other type is written by the main thread, in turn. */
static const char *const threadable[] = {
	"ext2", "ext3", "ext4", "vfat", "hdimage", "cpio", "file", "fit", "tar", "squashfs", "erofs",
};

bool gen_threadable(const struct image *img)
{
	/* A disk writing partitions in place generates them, and keeps them
	 * in the store, from its own generate: main thread only. */
	if (inplace_writes_into(img))
		return false;
	for (size_t i = 0; i < sizeof(threadable) / sizeof(threadable[0]); i++)
		if (!strcmp(img->handler->type, threadable[i]))
			return true;
	return false;
}

enum state { S_WAIT, S_RUN, S_WRITTEN, S_DONE, S_SKIP };

struct sched {
	struct build *b;
	pthread_mutex_t lock;   /* guards state, running, failures */
	pthread_cond_t cond;    /* a writer ended */
	struct gen_job *jobs;   /* by plan index */
	enum state *state;
	unsigned running, failures;
};

static void keep_msg(struct gen_job *j, bool note, const char *msg)
{
	struct gen_msg *v = realloc(j->msgs, (j->nmsgs + 1) * sizeof(*v));

	/* Out of memory: the message is lost, the build goes on. */
	if (!v)
		return;
	j->msgs = v;
	v[j->nmsgs].note = note;
	if ((v[j->nmsgs].text = strdup(msg)))
		j->nmsgs++;
}

static void on_warn(void *ud, const char *msg)
{
	keep_msg(ud, false, msg);
}

static void on_note(void *ud, const char *msg)
{
	keep_msg(ud, true, msg);
}

/* Pass an image's kept warnings and notes on, in plan order. */
static void replay(struct gen_job *j, struct diag *d)
{
	for (unsigned i = 0; d && i < j->nmsgs; i++) {
		void (*fn)(void *, const char *) = j->msgs[i].note ? d->note : d->warn;
		if (fn)
			fn(d->userdata, j->msgs[i].text);
	}
	for (unsigned i = 0; i < j->nmsgs; i++)
		free(j->msgs[i].text);
	j->nmsgs = 0;
}

static unsigned index_of(const struct sched *s, const struct image *img)
{
	unsigned i = 0;

	while (i < s->b->nimages && s->b->images[i] != img)
		i++;
	return i;
}

static enum state get(struct sched *s, unsigned i)
{
	enum state v;

	pthread_mutex_lock(&s->lock);
	v = s->state[i];
	pthread_mutex_unlock(&s->lock);
	return v;
}

static unsigned running(struct sched *s)
{
	unsigned v;

	pthread_mutex_lock(&s->lock);
	v = s->running;
	pthread_mutex_unlock(&s->lock);
	return v;
}

/* Image @i is written (or failed): wake the main thread. */
static void written(struct sched *s, unsigned i, bool thread)
{
	pthread_mutex_lock(&s->lock);
	s->state[i] = S_WRITTEN;
	s->failures += s->jobs[i].r != 0;
	s->running -= thread;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static void *writer(void *ud)
{
	struct gen_job *j = ud;
	struct sched *s = j->sched;

	j->r = gen_write(j, &j->d);
	written(s, index_of(s, j->img), true);
	return NULL;
}

/*
 * What an interruption would stop, for the CLI's one line: the images
 * being written by threads, else @j's (which the main thread is about to
 * prepare or finish; an exec hook sets its own text while it runs).
 */
static void activity(struct sched *s, const struct gen_job *j)
{
	const struct image *first = NULL;
	unsigned n = 0;

	pthread_mutex_lock(&s->lock);
	for (unsigned i = 0; i < s->b->nimages; i++) {
		if (s->state[i] != S_RUN)
			continue;
		if (!n++)
			first = s->jobs[i].img;
	}
	pthread_mutex_unlock(&s->lock);
	if (!first && j)
		first = j->img;
	if (n > 1)
		undo_activity("writing %s and %u other image%s", first->outfile, n - 1,
			      n > 2 ? "s" : "");
	else if (first)
		undo_activity("writing %s", first->outfile);
}

static bool ready(struct sched *s, const struct image *img)
{
	for (unsigned i = 0; i < img->ndeps; i++) {
		enum state c = get(s, index_of(s, img->deps[i].img));
		if (c != S_DONE && c != S_SKIP)
			return false;
	}
	return true;
}

/* Start image @i: prepare it here, write it in a thread when it may. */
static void launch(struct sched *s, unsigned i)
{
	struct gen_job *j = &s->jobs[i];

	activity(s, j);
	j->r = gen_defer(j, &j->d);
	if (j->r == 0) {
		/* Written by its disk: done as far as the others go. */
		pthread_mutex_lock(&s->lock);
		s->state[i] = S_SKIP;
		pthread_mutex_unlock(&s->lock);
		return;
	}
	j->r = j->r < 0 ? j->r : gen_prepare(j, &j->d);
	if (!j->r && j->write && gen_threadable(j->img)) {
		pthread_mutex_lock(&s->lock);
		s->state[i] = S_RUN;
		s->running++;
		pthread_mutex_unlock(&s->lock);
		if (!pthread_create(&j->tid, NULL, writer, j)) {
			j->threaded = true;
			return;
		}
		pthread_mutex_lock(&s->lock);
		s->running--; /* no thread: written here */
		pthread_mutex_unlock(&s->lock);
	}
	if (!j->r)
		j->r = gen_write(j, &j->d);
	written(s, i, false);
}

/*
 * The main loop: commit what is written, in plan order; start what is
 * ready (children committed), up to b->jobs writers at a time; wait for
 * a writer. The first failure stops new starts; the running writers are
 * waited for, and the failure of the earliest image in plan order is
 * reported (the caller rolls everything back).
 */
static int run(struct sched *s, unsigned n, struct diag *d)
{
	struct build *b = s->b;
	unsigned next = 0;
	bool failed = false;

	while (!failed && next < n) {
		enum state st = get(s, next);
		struct gen_job *j = &s->jobs[next];
		if (st == S_SKIP || st == S_WRITTEN) {
			if (j->threaded)
				pthread_join(j->tid, NULL);
			j->threaded = false;
			if (st == S_WRITTEN && !j->r)
				activity(s, j);
			if (st == S_WRITTEN && !j->r && !(j->r = gen_finish(j, &j->d))) {
				replay(j, d);
				gen_job_release(j);
				st = S_DONE;
			}
			if (j->r)
				break;
			pthread_mutex_lock(&s->lock);
			s->state[next++] = st;
			pthread_mutex_unlock(&s->lock);
			continue;
		}
		for (unsigned i = next; i < n && running(s) < b->jobs; i++)
			if (get(s, i) == S_WAIT && ready(s, s->jobs[i].img))
				launch(s, i);
		activity(s, NULL);
		pthread_mutex_lock(&s->lock);
		while (!s->failures && s->state[next] != S_WRITTEN && s->running)
			pthread_cond_wait(&s->cond, &s->lock);
		failed = s->failures;
		pthread_mutex_unlock(&s->lock);
	}
	pthread_mutex_lock(&s->lock);
	while (s->running)
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
	for (unsigned i = 0; i < n; i++) {
		if (s->jobs[i].threaded)
			pthread_join(s->jobs[i].tid, NULL);
		s->jobs[i].threaded = false;
	}
	for (unsigned i = 0; i < n; i++) {
		struct gen_job *j = &s->jobs[i];
		if (!j->r)
			continue;
		replay(j, d);
		if (d) {
			memcpy(d->msg, j->d.msg, sizeof(d->msg));
			d->err = j->d.err ? j->d.err : j->r;
		}
		return j->r;
	}
	return 0;
}

int build_schedule(struct build *b, struct diag *d)
{
	unsigned n = b->nimages;
	struct sched s = { .b = b };
	int r;

	s.jobs = calloc(n + 1, sizeof(*s.jobs));
	s.state = calloc(n + 1, sizeof(*s.state));
	if (!s.jobs || !s.state || pthread_mutex_init(&s.lock, NULL)) {
		free(s.jobs);
		free(s.state);
		return diag_fail(d, -ENOMEM, "out of memory");
	}
	if (pthread_cond_init(&s.cond, NULL)) {
		pthread_mutex_destroy(&s.lock);
		free(s.jobs);
		free(s.state);
		return diag_fail(d, -ENOMEM, "out of memory");
	}
	for (unsigned i = 0; i < n; i++) {
		struct image *img = b->images[i];
		struct gen_job *j = &s.jobs[i];
		*j = (struct gen_job){ .b = b, .img = img, .sched = &s, .quiet = true };
		j->d.warn = on_warn;
		j->d.note = d && d->note ? on_note : NULL;
		j->d.userdata = j;
		if (!img->handler->generate || img->input_only)
			s.state[i] = S_SKIP; /* an input, not an output */
	}
	r = run(&s, n, d);
	for (unsigned i = 0; i < n; i++) {
		replay(&s.jobs[i], NULL);
		gen_job_release(&s.jobs[i]);
	}
	pthread_cond_destroy(&s.cond);
	pthread_mutex_destroy(&s.lock);
	free(s.jobs);
	free(s.state);
	return r;
}
