/* SPDX-License-Identifier: MIT */
/* kiln build / kiln plan / genimage: options with genimage's meaning and
 * precedence (default < GENIMAGE_* env < config {} < command line). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/size.h"
#include "cli/commands.h"
#include "cli/interrupt.h"
#include "cli/log.h"
#include "cli/settings.h"
#include "cli/store-opts.h"
#include "config/config.h"
#include "io/undo.h"
#include "store/store.h"
#include "plan/build.h"

enum {
	OPT_ROOTPATH = 256, OPT_TMPPATH, OPT_INPUTPATH, OPT_OUTPUTPATH, OPT_INCLUDEPATH,
	OPT_CONFIG, OPT_CONFIGDUMP, OPT_LOGLEVEL, OPT_SEED, OPT_NO_BMAP, OPT_TOOL, OPT_HELP,
	OPT_VERSION, OPT_CACHE, OPT_NO_CACHE, OPT_CACHE_SIZE, OPT_RANDOMSEED, OPT_EXPLAIN, OPT_JOBS,
	OPT_PACKAGE_FILE,
};

static const struct option long_opts[] = {
	{ "rootpath", required_argument, NULL, OPT_ROOTPATH },
	{ "tmppath", required_argument, NULL, OPT_TMPPATH },
	{ "inputpath", required_argument, NULL, OPT_INPUTPATH },
	{ "outputpath", required_argument, NULL, OPT_OUTPUTPATH },
	{ "includepath", required_argument, NULL, OPT_INCLUDEPATH },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "configdump", required_argument, NULL, OPT_CONFIGDUMP },
	{ "loglevel", required_argument, NULL, OPT_LOGLEVEL },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "randomseed", required_argument, NULL, OPT_RANDOMSEED },
	{ "no-bmap", no_argument, NULL, OPT_NO_BMAP },
	{ "explain", no_argument, NULL, OPT_EXPLAIN },
	{ "jobs", required_argument, NULL, OPT_JOBS },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "cache", required_argument, NULL, OPT_CACHE },
	{ "no-cache", no_argument, NULL, OPT_NO_CACHE },
	{ "cache-size", required_argument, NULL, OPT_CACHE_SIZE },
	{ "package-file", required_argument, NULL, OPT_PACKAGE_FILE },
	/* genimage's tool-path options: accepted, unused (kiln runs no tools). */
	{ "cpio", required_argument, NULL, OPT_TOOL }, { "dd", required_argument, NULL, OPT_TOOL },
	{ "debugfs", required_argument, NULL, OPT_TOOL }, { "e2fsck", required_argument, NULL, OPT_TOOL },
	{ "fiptool", required_argument, NULL, OPT_TOOL }, { "genext2fs", required_argument, NULL, OPT_TOOL },
	{ "mcopy", required_argument, NULL, OPT_TOOL }, { "mmd", required_argument, NULL, OPT_TOOL },
	{ "mkcramfs", required_argument, NULL, OPT_TOOL }, { "mkdosfs", required_argument, NULL, OPT_TOOL },
	{ "mke2fs", required_argument, NULL, OPT_TOOL }, { "mkfsjffs2", required_argument, NULL, OPT_TOOL },
	{ "mkfsubifs", required_argument, NULL, OPT_TOOL }, { "mkimage", required_argument, NULL, OPT_TOOL },
	{ "mksquashfs", required_argument, NULL, OPT_TOOL }, { "qemu-img", required_argument, NULL, OPT_TOOL },
	{ "rauc", required_argument, NULL, OPT_TOOL }, { "tar", required_argument, NULL, OPT_TOOL },
	{ "tune2fs", required_argument, NULL, OPT_TOOL }, { "ubinize", required_argument, NULL, OPT_TOOL },
	{ NULL, 0, NULL, 0 },
};

enum mode { MODE_BUILD, MODE_PLAN, MODE_GENIMAGE };

static void help(enum mode m)
{
	const char *what = m == MODE_PLAN ? "kiln plan" : m == MODE_GENIMAGE ? "genimage" : "kiln build";

	printf("usage: %s [options] [CONFIG]\n\n"
	       "  --config FILE       config file (default %s)\n"
	       "  --rootpath DIR      root filesystem tree (default root)\n"
	       "  --tmppath DIR       temporary files (default tmp)\n"
	       "  --inputpath DIR     input files (default input)\n"
	       "  --outputpath DIR    where images are written (default images)\n"
	       "  --includepath DIRS  ':'-separated directories for include()\n"
	       "  --configdump FILE   write the parsed config to FILE\n"
	       "  --loglevel N        0 quiet, 1 normal, 2+ verbose\n"
	       "  --seed STRING       key for every derived id (default: per image name)\n"
	       "  --randomseed STRING genimage's id generator, seeded (genimage mode)\n"
	       "  --no-bmap           do not write .bmap files next to disk images\n"
	       "  --explain           say for each image whether it came from the build\n"
	       "                      cache or was built, and why (what changed)\n"
	       "  -j, --jobs N        write up to N images at once, gzip with N threads\n"
	       "                      (default: the CPUs kiln may run on; 1: one at a\n"
	       "                      time); the output bytes do not depend on N\n"
	       "  --cache DIR         the build cache (default $KILN_CACHE, else\n"
	       "                      $XDG_CACHE_HOME/kiln, else ~/.cache/kiln)\n"
	       "  --no-cache          build without it (as KILN_CACHE=off)\n"
	       "  --cache-size SIZE   its limit (default: config { cache-size }, else 10G)\n"
	       "  --package-file FILE a .deb of kiln.lock (matched by its sha256) to use\n"
	       "                      instead of the store's copy; repeatable\n"
	       "  -h, --help          this text\n"
	       "  -v, --version       the version\n"
	       "Environment (below the command line and config {}): GENIMAGE_CONFIG,\n"
	       "GENIMAGE_ROOTPATH, GENIMAGE_TMPPATH, GENIMAGE_INPUTPATH, GENIMAGE_OUTPUTPATH,\n"
	       "GENIMAGE_INCLUDEPATH, GENIMAGE_LOGLEVEL, GENIMAGE_RANDOMSEED;\n"
	       "SOURCE_DATE_EPOCH fixes every timestamp.\n",
	       what, m == MODE_GENIMAGE ? "genimage.cfg" : "kiln.cfg");
}

static void paths_free(struct build_paths *p)
{
	free(p->rootpath);
	free(p->tmppath);
	free(p->inputpath);
	free(p->outputpath);
	free(p->includepath);
	free(p->config);
}

static int set_opt(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
	return *dst ? 0 : -ENOMEM;
}

struct cli_progress {
	bool tty;
	const struct image *last;
	uint64_t last_mib;
};

static void on_progress(void *ud, const struct image *img, uint64_t done, uint64_t total)
{
	struct cli_progress *p = ud;
	uint64_t mib = done >> 20;

	if (done)
		interrupt_test_point(img->name);
	if (!p->tty || log_level < 1)
		return;
	if (img == p->last && mib == p->last_mib && done != total)
		return;
	p->last = img;
	p->last_mib = mib;
	fprintf(stderr, "\r%s: %s: %" PRIu64 " / %" PRIu64 " MiB\033[K", log_prog, img->name, mib,
		total >> 20);
}

static void on_explain(void *ud, const struct image *img, bool from_store, const char *why)
{
	(void)ud;
	if (from_store)
		printf("%s: from the build cache\n", img->name);
	else
		printf("%s: built: %s\n", img->name, why);
	fflush(stdout);
}

static void print_line(void *ud, const char *text)
{
	(void)ud;
	printf("    %s\n", text);
}

static void print_plan(struct build *b)
{
	char sz[64];

	printf("config: %s\noutput: %s\nepoch: %" PRId64 "\n", b->paths.config, b->paths.outputpath,
	       b->epoch);
	for (unsigned i = 0; i < b->nimages; i++) {
		const struct image *img = b->images[i];
		size_format(img->size, sz, sizeof(sz));
		printf("\nimage %s (%s%s): %" PRIu64 " bytes (%s)\n", img->name, img->handler->type,
		       img->implicit || img->input_only ? ", input" : "", img->size, sz);
		printf("  file: %s\n", img->outfile);
		if (img->nparts) {
			printf("  %3s %-16s %12s %12s %12s  %-36s  %-36s  %s\n", "#", "partition",
			       "start", "end", "size", "type", "uuid", "table");
			for (unsigned k = 0; k < img->nparts; k++) {
				const struct partition *p = &img->parts[k];
				char type[48] = "-", uuid[48] = "-";
				if (p->mbr_type_set)
					snprintf(type, sizeof(type), "0x%02x", p->mbr_type);
				if (!uuid_is_null(&p->type_uuid)) {
					char t[37];
					uuid_format(&p->type_uuid, t);
					snprintf(type, sizeof(type), "%s", t);
				}
				char num[12] = "-";
				if (p->index)
					snprintf(num, sizeof(num), "%u", p->index);
				if (!uuid_is_null(&p->uuid))
					uuid_format(&p->uuid, uuid);
				printf("  %3s %-16s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 "  %-36s  %-36s  %s\n",
				       num, p->name, p->offset, p->offset + p->size, p->size, type, uuid,
				       p->in_partition_table ? (p->logical ? (p->bootable ? "logical,boot" : "logical")
									   : p->is_extended ? "extended"
									   : p->bootable ? "in-table,boot" : "in-table")
							     : "raw");
			}
		}
		if (img->handler->describe)
			img->handler->describe(img, print_line, NULL);
	}
}

static int run(int argc, char **argv, enum mode mode)
{
	struct build_paths cmd = { 0 }, env = { 0 };
	struct build b;
	struct diag d = { 0 };
	struct cli_progress prog = { 0 };
	struct store_opts so = { 0 };
	struct store *store;
	char *configdump = NULL, *seed = NULL, *randomseed = NULL;
	const char **pkgfiles = NULL;
	unsigned npkgfiles = 0;
	bool no_bmap = false, explain = false;
	unsigned jobs = cli_jobs_default();
	int c, r, ret = EXIT_USAGE;

	build_init(&b);
	log_attach(&d);
	opterr = 0;
	optind = 1;
	if (cli_loglevel_env())
		goto out;
	while ((c = getopt_long(argc, argv, "hvj:", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_ROOTPATH: r = set_opt(&cmd.rootpath, optarg); break;
		case OPT_TMPPATH: r = set_opt(&cmd.tmppath, optarg); break;
		case OPT_INPUTPATH: r = set_opt(&cmd.inputpath, optarg); break;
		case OPT_OUTPUTPATH: r = set_opt(&cmd.outputpath, optarg); break;
		case OPT_INCLUDEPATH: r = set_opt(&cmd.includepath, optarg); break;
		case OPT_CONFIG: r = set_opt(&cmd.config, optarg); break;
		case OPT_CONFIGDUMP: r = set_opt(&configdump, optarg); break;
		case OPT_SEED: r = set_opt(&seed, optarg); break;
		case OPT_RANDOMSEED: r = set_opt(&randomseed, optarg); break;
		case OPT_NO_BMAP: no_bmap = true; r = 0; break;
		case OPT_EXPLAIN: explain = true; r = 0; break;
		case OPT_TOOL: r = 0; break;
		case OPT_JOBS:
		case 'j':
			if (cli_jobs_parse(optarg, &jobs))
				goto out;
			r = 0;
			break;
		case OPT_CACHE: so.dir = optarg; r = 0; break;
		case OPT_NO_CACHE: so.off = true; r = 0; break;
		case OPT_CACHE_SIZE: so.size = optarg; r = 0; break;
		case OPT_PACKAGE_FILE: {
			const char **v = realloc(pkgfiles, (npkgfiles + 1) * sizeof(*v));
			r = v ? 0 : -ENOMEM;
			if (v) {
				pkgfiles = v;
				pkgfiles[npkgfiles++] = optarg;
			}
			break;
		}
		case OPT_LOGLEVEL: {
			char *e;
			long v = strtol(optarg, &e, 10);
			if (*e || v < 0 || v > 10) {
				log_error("--loglevel \"%s\": expected 0..10", optarg);
				goto out;
			}
			log_level = (unsigned)v;
			r = 0;
			break;
		}
		case OPT_HELP:
		case 'h':
			help(mode);
			ret = EXIT_OK;
			goto out;
		case OPT_VERSION:
		case 'v':
			printf("%s %s\n", mode == MODE_GENIMAGE ? "genimage (kiln)" : "kiln", KILN_VERSION);
			ret = EXIT_OK;
			goto out;
		default:
			if (optopt >= 256 || (optopt && strchr("j", optopt)))
				log_error("option '%s' needs a value", argv[optind - 1]);
			else
				log_error("unknown option '%s'", argv[optind - 1]);
			fprintf(stderr, "Try '--help'.\n");
			goto out;
		}
		if (r) {
			log_error("out of memory");
			ret = EXIT_FAIL;
			goto out;
		}
	}
	if (optind < argc) {
		if (mode == MODE_GENIMAGE || cmd.config || optind + 1 < argc) {
			log_error("unexpected argument '%s'", argv[optind + (mode != MODE_GENIMAGE && !cmd.config)]);
			goto out;
		}
		if (set_opt(&cmd.config, argv[optind]))
			goto out;
	}

	ret = EXIT_FAIL;
	b.genimage_mode = mode == MODE_GENIMAGE;
	if (cli_settings_apply(&b, &env, &seed))
		goto out;
	if (!randomseed && getenv("GENIMAGE_RANDOMSEED") &&
	    set_opt(&randomseed, getenv("GENIMAGE_RANDOMSEED")))
		goto out;
	b.randomseed = randomseed;
	b.package_files = pkgfiles;
	b.npackage_files = npkgfiles;
	b.bmap = !no_bmap && !b.genimage_mode;
	b.loglevel = log_level;
	b.jobs = jobs;
	/* Tests compare archive layers read once with re-read ones. */
	const char *nocache = getenv("KILN_ARCHIVE_NOCACHE");
	b.archive_nocache = nocache && *nocache && strcmp(nocache, "0");
	const char *config = cmd.config ? cmd.config
			     : env.config ? env.config
			     : mode == MODE_GENIMAGE ? "genimage.cfg" : "kiln.cfg";
	undo_activity("reading %s", config);
	r = build_load(&b, config, &cmd, &env, &d);
	if (r)
		goto fail;
	store_opts_from_config(&so, b.cfg, config);
	if (store_opts_open(&so, &b.store))
		goto out;
	if (configdump) {
		FILE *f = fopen(configdump, "w");
		if (!f) {
			log_error("%s: %s", configdump, strerror(errno));
			goto out;
		}
		cfg_print(b.cfg, f);
		fclose(f);
	}
	undo_activity("planning %s", config);
	r = build_plan(&b, &d);
	if (r)
		goto fail;
	interrupt_test_point("plan");
	if (mode == MODE_PLAN) {
		print_plan(&b);
		ret = EXIT_OK;
		goto out;
	}
	prog.tty = isatty(2);
	if (explain)
		b.explain = on_explain;
	b.progress = on_progress;
	b.progress_ud = &prog;
	r = build_generate(&b, &d);
	if (prog.last)
		fputc('\n', stderr);
	if (r)
		goto fail;
	for (unsigned i = 0; i < b.nimages; i++)
		if (b.images[i]->inplace_in)
			log_info("wrote %s in place into %s", b.images[i]->name,
				 b.images[i]->inplace_in->outfile);
		else if (!b.images[i]->input_only && b.images[i]->handler->generate)
			log_info("wrote %s (%" PRIu64 " bytes)", b.images[i]->outfile,
				 b.images[i]->file_size ? b.images[i]->file_size : b.images[i]->size);
	ret = EXIT_OK;
	goto out;
fail:
	log_diag(&d, r);
out:
	store = b.store; /* build_release clears b */
	build_release(&b);
	store_free(store);
	paths_free(&cmd);
	paths_free(&env);
	free(configdump);
	free(seed);
	free(randomseed);
	free(pkgfiles);
	return ret;
}

int cmd_build(int argc, char **argv)
{
	return run(argc, argv, MODE_BUILD);
}

int cmd_plan(int argc, char **argv)
{
	return run(argc, argv, MODE_PLAN);
}

int cmd_genimage(int argc, char **argv)
{
	return run(argc, argv, MODE_GENIMAGE);
}
