/* SPDX-License-Identifier: MIT */
/* kiln flash [--bmap F|--no-bmap] [--no-verify] [--yes] [--force] IMAGE TARGET */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/diag.h"
#include "cli/commands.h"
#include "cli/interrupt.h"
#include "cli/log.h"
#include "flash/flash.h"
#include "flash/target.h"

/* Test-only hook (documented in docs/config/flash.md): flip the byte at
 * this offset of the target after writing, before verification. */
#define CORRUPT_ENV "KILN_TEST_CORRUPT_AFTER_WRITE"

static void help(void)
{
	printf("usage: kiln flash [options] IMAGE TARGET\n\n"
	       "Write IMAGE (plain, or .gz/.xz/.zst/.bz2) to TARGET (a block device or a\n"
	       "file), only its mapped blocks, then read them back and verify.\n\n"
	       "  --bmap FILE   block map to use (default: IMAGE.bmap if present)\n"
	       "  --no-bmap     write every byte of the image\n"
	       "  --no-verify   skip the read-back verification\n"
	       "  -y, --yes     do not ask for confirmation (block devices)\n"
	       "  --force       allow a non-removable block device\n");
}

struct ui {
	bool tty;
	double start, last;
	bool drew;
	bool yes;            /* --yes */
	const char *image;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "written A of T MiB (verified V), R MiB/s, ETA m:ss": redrawn on a
 * terminal at most 5 times a second, a plain line every 5 s otherwise. */
static void on_progress(void *ud, uint64_t written, uint64_t verified, uint64_t total)
{
	struct ui *u = ud;
	double t = now(), el, rate;
	char tot[32] = "?", eta[32] = "";

	if (written)
		interrupt_test_point("flash");
	if (log_level < 1)
		return;
	if (t - u->last < (u->tty ? 0.2 : 5.0))
		return;
	if (!u->last) {
		u->last = t; /* first call: start the clock, print nothing yet */
		return;
	}
	u->last = t;
	el = t - u->start;
	rate = el > 0 ? (double)written / el : 0;
	if (total) {
		snprintf(tot, sizeof(tot), "%.1f", (double)total / (1 << 20));
		if (rate > 0 && written < total) {
			unsigned s = (unsigned)((double)(total - written) / rate);
			snprintf(eta, sizeof(eta), ", ETA %u:%02u", s / 60, s % 60);
		}
	}
	fprintf(stderr, "%s%s: written %.1f of %s MiB (verified %.1f), %.1f MiB/s%s%s",
		u->tty ? "\r" : "", log_prog, (double)written / (1 << 20), tot,
		(double)verified / (1 << 20), rate / (1 << 20), eta, u->tty ? "\033[K" : "\n");
	u->drew = true;
}

static bool on_confirm(void *ud, const struct flash_target *t, uint64_t image_size)
{
	struct ui *c = ud;
	char line[64];

	fprintf(stderr, "%s: target %s: %s, %" PRIu64 " bytes (%.1f GiB), %s\n", log_prog, t->path,
		t->model[0] ? t->model : t->name, t->size, (double)t->size / (1 << 30),
		t->removable ? "removable" : "NOT removable");
	if (c->yes)
		return true;
	if (!isatty(0)) {
		log_error("%s is a block device and stdin is not a terminal: pass --yes to confirm",
			  t->path);
		return false;
	}
	fprintf(stderr, "Write %s (%" PRIu64 " bytes) to %s, destroying its contents? [y/N] ",
		c->image, image_size, t->path);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return line[0] == 'y' || line[0] == 'Y';
}

enum { OPT_BMAP = 256, OPT_NO_BMAP, OPT_NO_VERIFY, OPT_FORCE };

int cmd_flash(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bmap", required_argument, NULL, OPT_BMAP },
		{ "no-bmap", no_argument, NULL, OPT_NO_BMAP },
		{ "no-verify", no_argument, NULL, OPT_NO_VERIFY },
		{ "yes", no_argument, NULL, 'y' },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct flash_opts o = { .corrupt_at = -1 };
	struct flash_result res;
	struct ui u = { 0 };
	struct diag d = { 0 };
	const char *env;
	double t0;
	int c, r;

	log_attach(&d);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "yh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_BMAP: o.bmap = optarg; break;
		case OPT_NO_BMAP: o.no_bmap = true; break;
		case OPT_NO_VERIFY: o.no_verify = true; break;
		case OPT_FORCE: o.force = true; break;
		case 'y': u.yes = true; break;
		case 'h':
			help();
			return EXIT_OK;
		default:
			if (optopt == OPT_BMAP)
				log_error("option '%s' needs a value", argv[optind - 1]);
			else
				log_error("unknown option '%s'", argv[optind - 1]);
			fprintf(stderr, "Try 'kiln flash --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		if (argc - optind > 2)
			log_error("unexpected argument '%s'", argv[optind + 2]);
		else
			log_error("expected IMAGE and TARGET");
		fprintf(stderr, "Try 'kiln flash --help'.\n");
		return EXIT_USAGE;
	}
	if (o.bmap && o.no_bmap) {
		log_error("--bmap and --no-bmap contradict each other");
		return EXIT_USAGE;
	}
	env = getenv(CORRUPT_ENV);
	if (env && *env) {
		char *e;
		errno = 0;
		long long v = strtoll(env, &e, 0);
		if (*e || errno || v < 0) {
			log_error("%s=\"%s\": expected a byte offset", CORRUPT_ENV, env);
			return EXIT_USAGE;
		}
		o.corrupt_at = v;
	}
	o.image = argv[optind];
	o.target = argv[optind + 1];
	u.image = o.image;
	o.confirm = on_confirm;
	o.progress = on_progress;
	u.tty = isatty(2);
	o.ud = &u;
	t0 = now();
	u.start = t0;
	r = flash_run(&o, &res, &d);
	if (u.drew && u.tty)
		fputc('\n', stderr);
	if (r) {
		log_diag(&d, r);
		return EXIT_FAIL;
	}
	double el = now() - t0;
	log_info("wrote %" PRIu64 " of %" PRIu64 " bytes to %s in %.1f s (%s%s)%s%s", res.written,
		 res.image_size, o.target, el, res.bmap_used[0] ? "bmap " : "",
		 res.bmap_used[0] ? res.bmap_used : o.no_bmap ? "every byte"
		 : res.whole ? "no bmap: every byte, the device keeps no old bytes"
		 : res.stream ? "no bmap: zero blocks skipped" : "no bmap: holes detected",
		 o.no_verify ? ", not verified" : ", verified by reading back",
		 res.gpt_moved ? "; backup GPT moved to the end of the device" : "");
	return EXIT_OK;
}
