/* SPDX-License-Identifier: MIT */
/*
 * kiln ls [options] [CONFIG] IMAGE — print the composed content tree of
 * an image (its `tree` list, srcpath or rootpath/mountpoint), or with
 * --tree NAME that tree alone, one entry per line, tab-separated:
 *
 *   TYPE MODE UID:GID SIZE RDEV PATH TARGET LAYER XATTRS [PACKAGE]
 *
 * TYPE is one of - d l c b p s (h for a hard link to an earlier name,
 * TARGET then being that name); fields without a value print "-".
 * PACKAGE (with --packages): NAME=VERSION of the Debian package of a
 * package layer that provided the entry.
 *
 * Only images that hold a file tree can be listed (ext2/3/4, vfat,
 * cpio). A disk is refused with the names of its partitions' images to
 * list instead: their listings would need a path syntax of their own.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/diag.h"
#include "cli/commands.h"
#include "cli/log.h"
#include "cli/settings.h"
#include "cli/store-opts.h"
#include "store/store.h"
#include "fs/tree.h"
#include "plan/build.h"
#include "plan/image.h"
#include "plan/trees.h"

enum { LS_ROOTPATH = 256, LS_TMPPATH, LS_INPUTPATH, LS_OUTPUTPATH, LS_INCLUDEPATH, LS_CONFIG,
       LS_SEED, LS_TREE, LS_PACKAGES, LS_HELP };

static const struct option ls_opts[] = {
	{ "rootpath", required_argument, NULL, LS_ROOTPATH },
	{ "tmppath", required_argument, NULL, LS_TMPPATH },
	{ "inputpath", required_argument, NULL, LS_INPUTPATH },
	{ "outputpath", required_argument, NULL, LS_OUTPUTPATH },
	{ "includepath", required_argument, NULL, LS_INCLUDEPATH },
	{ "config", required_argument, NULL, LS_CONFIG },
	{ "seed", required_argument, NULL, LS_SEED },
	{ "tree", required_argument, NULL, LS_TREE },
	{ "packages", no_argument, NULL, LS_PACKAGES },
	{ "help", no_argument, NULL, LS_HELP },
	{ NULL, 0, NULL, 0 },
};

static char type_char(const struct tree_node *n)
{
	switch (n->mode & 0170000) {
	case 0040000: return 'd';
	case 0120000: return 'l';
	case 0020000: return 'c';
	case 0060000: return 'b';
	case 0010000: return 'p';
	case 0140000: return 's';
	default: return '-';
	}
}

struct ls_ctx {
	const struct tree *t;
	bool packages;
};

static int print_node(struct tree_node *n, void *ud)
{
	const struct ls_ctx *c = ud;
	const struct tree_node *data = n;
	char *path = tree_path(n), *tgt = NULL;
	char rdev[32] = "-";

	if (!path)
		return -ENOMEM;
	while (data->hardlink)
		data = data->hardlink;
	if (n->hardlink && !(tgt = tree_path(data))) {
		free(path);
		return -ENOMEM;
	}
	if ((data->mode & 0170000) == 0020000 || (data->mode & 0170000) == 0060000)
		snprintf(rdev, sizeof(rdev), "%" PRIu32 ",%" PRIu32, data->rdev_major,
			 data->rdev_minor);
	printf("%c\t%04o\t%" PRIu32 ":%" PRIu32 "\t%" PRIu64 "\t%s\t/%s\t%s%s\t%s\t",
	       n->hardlink ? 'h' : type_char(data), data->mode & 07777, data->uid, data->gid,
	       data->size, rdev, path, tgt ? "/" : "", tgt ? tgt : data->link ? data->link : "-",
	       n->layer < c->t->nlayers ? c->t->layer_names[n->layer] : "-");
	if (!data->nxattrs)
		fputs("-", stdout);
	for (uint32_t i = 0; i < data->nxattrs; i++) {
		printf("%s%s=0x", i ? "," : "", data->xattrs[i].name);
		for (uint32_t k = 0; k < data->xattrs[i].len; k++)
			printf("%02x", data->xattrs[i].value[k]);
	}
	if (c->packages) {
		const char *pkg = c->t->layer_pkgs && n->layer < c->t->nlayers
					  ? c->t->layer_pkgs[n->layer] : NULL;
		printf("\t%s", pkg ? pkg : "-");
	}
	putchar('\n');
	free(path);
	free(tgt);
	return 0;
}

/* Append to @buf the listable types ("ext2, ext3, ... and cpio"). */
static void listable_types(char *buf, size_t sz)
{
	unsigned n = 0, k = 0;
	size_t len = 0;

	for (unsigned i = 0; image_handlers[i]; i++)
		n += image_handlers[i]->content != NULL;
	buf[0] = 0;
	for (unsigned i = 0; image_handlers[i] && len < sz; i++) {
		if (!image_handlers[i]->content)
			continue;
		k++;
		len += (size_t)snprintf(buf + len, sz - len, "%s%s", k == 1 ? "" : k == n ? " and " : ", ",
					image_handlers[i]->type);
	}
}

/* Explain why @img cannot be listed, and what can. */
static void refuse(struct build *b, const struct image *img, const char *config)
{
	char types[128], parts[512] = "";
	size_t len = 0;

	listable_types(types, sizeof(types));
	for (unsigned i = 0; i < img->nparts && len < sizeof(parts); i++) {
		const struct image *c = img->parts[i].image ? build_find_image(b, img->parts[i].image)
							     : NULL;
		if (c && c->handler->content)
			len += (size_t)snprintf(parts + len, sizeof(parts) - len, "%s%s", len ? ", " : "",
						c->name);
	}
	if (*parts)
		log_error("%s:%u: image \"%s\" (%s) holds partitions, not files; "
			  "list its partitions' images instead: %s",
			  img->cfgfile ? img->cfgfile : config, img->line, img->name, img->handler->type,
			  parts);
	else
		log_error("%s:%u: image \"%s\" (%s) holds no file tree; "
			  "kiln ls lists %s images",
			  img->cfgfile ? img->cfgfile : config, img->line, img->name, img->handler->type,
			  types);
}

static int set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
	return *dst ? 0 : -ENOMEM;
}

int cmd_ls(int argc, char **argv)
{
	struct build_paths cmd = { 0 }, env = { 0 };
	struct build b;
	struct diag d = { 0 };
	struct tree *t = NULL;
	char *seed = NULL, *tree_name = NULL;
	const char *config = NULL, *name = NULL;
	bool packages = false;
	int c, r = 0, ret = EXIT_USAGE;

	build_init(&b);
	log_attach(&d);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", ls_opts, NULL)) != -1) {
		switch (c) {
		case LS_ROOTPATH: r = set_str(&cmd.rootpath, optarg); break;
		case LS_TMPPATH: r = set_str(&cmd.tmppath, optarg); break;
		case LS_INPUTPATH: r = set_str(&cmd.inputpath, optarg); break;
		case LS_OUTPUTPATH: r = set_str(&cmd.outputpath, optarg); break;
		case LS_INCLUDEPATH: r = set_str(&cmd.includepath, optarg); break;
		case LS_CONFIG: r = set_str(&cmd.config, optarg); break;
		case LS_SEED: r = set_str(&seed, optarg); break;
		case LS_TREE: r = set_str(&tree_name, optarg); break;
		case LS_PACKAGES: packages = true; break;
		case LS_HELP:
		case 'h':
			printf("usage: kiln ls [--config FILE] [--rootpath DIR] [--inputpath DIR] "
			       "[--tmppath DIR] [--seed S] [--packages] [CONFIG] IMAGE\n"
			       "       kiln ls [options] --tree NAME [CONFIG]\n"
			       "Prints the files IMAGE would hold, one per line (tab-separated):\n"
			       "type mode uid:gid size rdev path link-target layer xattrs\n"
			       "--packages adds a column: NAME=VERSION of the package that "
			       "provided the entry, or -\n");
			ret = EXIT_OK;
			goto out;
		default:
			log_error("unknown option or missing value '%s'", argv[optind - 1]);
			goto out;
		}
		if (r) {
			log_error("out of memory");
			ret = EXIT_FAIL;
			goto out;
		}
	}
	if (tree_name && argc - optind <= 1 && !(argc - optind == 1 && cmd.config)) {
		if (argc - optind == 1)
			config = argv[optind];
	} else if (tree_name) {
		log_error("with --tree, expected at most a CONFIG argument");
		goto out;
	} else if (argc - optind == 2 && !cmd.config) {
		config = argv[optind];
		name = argv[optind + 1];
	} else if (argc - optind == 1) {
		name = argv[optind];
	} else {
		log_error("expected [CONFIG] IMAGE (see kiln ls --help)");
		goto out;
	}
	if (!config)
		config = cmd.config ? cmd.config : getenv("GENIMAGE_CONFIG") ? getenv("GENIMAGE_CONFIG")
									   : "kiln.cfg";
	ret = EXIT_FAIL;
	if (cli_settings_apply(&b, &env, &seed))
		goto out;
	if ((r = build_load(&b, config, &cmd, &env, &d)))
		goto fail;
	/* Package layers read their .debs from the store. */
	struct store_opts so = { .cfg_file = config };
	if (store_opts_open(&so, &b.store))
		goto out;
	if (tree_name) {
		/* A tree on its own: compose it as an image holding only it. */
		struct image tmp = { .name = tree_name, .cfgfile = config, .trees = &tree_name,
				     .ntrees = 1 };
		if ((r = tree_new(&t, b.epoch)) || (r = trees_compose(&b, &tmp, t, &d)))
			goto fail;
		tree_finish(t);
	} else {
		struct image *img = build_find_image(&b, name);
		if (!img) {
			log_error("%s: no image named \"%s\"", config, name);
			goto out;
		}
		if (!img->handler->content) {
			refuse(&b, img, config);
			goto out;
		}
		if ((r = build_plan_deps(&b, img, &d)) || (r = img->handler->content(&b, img, &t, &d)))
			goto fail;
	}
	struct ls_ctx ctx = { t, packages };
	if ((r = tree_walk(t, print_node, &ctx))) {
		log_error("out of memory");
		goto out;
	}
	if (fflush(stdout) || ferror(stdout)) {
		log_error("stdout: write error");
		goto out;
	}
	ret = EXIT_OK;
	goto out;
fail:
	log_diag(&d, r);
out:
	tree_free(t);
	/* build_release() clears @b: take the store out first. */
	store_free(b.store);
	b.store = NULL;
	build_release(&b);
	free(cmd.rootpath);
	free(cmd.tmppath);
	free(cmd.inputpath);
	free(cmd.outputpath);
	free(cmd.includepath);
	free(cmd.config);
	free(env.rootpath);
	free(env.tmppath);
	free(env.inputpath);
	free(seed);
	free(tree_name);
	return ret;
}
