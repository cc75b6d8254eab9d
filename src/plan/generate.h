/* SPDX-License-Identifier: MIT */
#ifndef KILN_PLAN_GENERATE_H
#define KILN_PLAN_GENERATE_H

/*
 * Generating one image, in three phases, so that the scheduler
 * (schedule.c) can run the middle one in a thread of its own. Internal
 * to plan/build.c and plan/schedule.c.
 *
 * Threading rules (docs/architecture.md, "Threads"): gen_prepare and
 * gen_finish run in the main thread, one image at a time, because they
 * touch the undo log, the store, exec hooks and the CLI's callbacks;
 * gen_write runs the handler's generate, which reads the image's plan
 * and committed children and writes only its own sink.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/diag.h"
#include "plan/image-key.h"

struct build;
struct image;
struct sink;

/* A warning or note raised while an image was generated, kept to be
 * passed on in plan order. */
struct gen_msg {
	bool note;
	char *text;
};

struct gen_job {
	struct build *b;
	struct image *img;
	struct sink *out;       /* written, or copied from the store; not committed */
	bool write;             /* gen_write must run the handler */
	bool keyed;
	/* Parallel builds: the interrupt text is the scheduler's (what the
	 * writers write); the phases set it only around exec hooks. */
	bool quiet;
	struct image_key k;
	char why[1024];
	uint64_t done;          /* progress */
	/* Parallel builds: the job's own diag, whose warnings and notes
	 * are kept in msgs until the image is finished. */
	struct diag d;
	struct gen_msg *msgs;
	unsigned nmsgs;
	int r;                  /* gen_write's result */
	pthread_t tid;
	bool threaded;
	void *sched;
};

/* An image written in place by its disk's generate (plan/inplace.h) is
 * keyed here and not generated on its own: 0. 1 when it is generated as
 * usual; -errno (diag prefixed). Main thread. */
int gen_defer(struct gen_job *j, struct diag *d);
/* Exec-pre, presize, the store; creates the output's sink when the image
 * must be written (j->write). 0 or -errno (diag prefixed). */
int gen_prepare(struct gen_job *j, struct diag *d);
/* The handler's generate onto j->out (when j->write). 0 or -errno. */
int gen_write(struct gen_job *j, struct diag *d);
/* Commit, keep in the store, explain, exec-post, bmap. 0 or -errno. */
int gen_finish(struct gen_job *j, struct diag *d);
/* Free what the phases left (an uncommitted sink is discarded). */
void gen_job_release(struct gen_job *j);

/* True when @img's handler's generate may run outside the main thread. */
bool gen_threadable(const struct image *img);

/* build_schedule - generate b's images with up to b->jobs threads
 * (schedule.c). Same contract as build_generate's loop: on failure
 * nothing is committed by the caller's transaction. */
int build_schedule(struct build *b, struct diag *d);

#endif
