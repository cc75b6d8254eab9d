/* SPDX-License-Identifier: MIT */
/*
 * kiln inspect FILE: recognise a boot artifact and check it — a FIT
 * (every hash recomputed, configuration references), a legacy U-Boot
 * image (header and data CRC), a cpio archive (gzip'd or not: listed),
 * a U-Boot environment (CRC, variables), an erofs image or a dm-verity
 * hash device (inspect-ro.c). Exit 0 when everything checks,
 * 1 on any problem or an unrecognised file, 2 on usage errors.
 * Decoding lives in src/boot/; this file only prints.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/size.h"
#include "boot/cpio.h"
#include "boot/fit.h"
#include "boot/gzip.h"
#include "boot/legacy.h"
#include "boot/ubootenv.h"
#include "cli/commands.h"
#include "cli/log.h"

#define INSPECT_MAX (4ull << 30)

/* A failing check printed its report on stdout: also say so on stderr. */
static bool printed_result;

static int read_all(const char *path, uint8_t **ret, size_t *ret_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *buf;
	size_t done = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > INSPECT_MAX) {
		int e = S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
		close(fd);
		return e;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	close(fd);
	*ret = buf;
	*ret_len = done;
	return 0;
}

static void print_safe(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n')
			fputs("\\n", stdout);
		else if (c < 32 || c == 127)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
}

/* ---- FIT ---- */

static const char *or_dash(const char *s)
{
	return s ? s : "-";
}

static void fit_img(void *ud, const struct fit_image_info *i)
{
	(void)ud;
	printf("image %s: type %s, arch %s, os %s, compression %s", or_dash(i->name),
	       or_dash(i->type), or_dash(i->arch), or_dash(i->os), or_dash(i->comp));
	if (i->has_load)
		printf(", load 0x%" PRIx64, i->load);
	if (i->has_entry)
		printf(", entry 0x%" PRIx64, i->entry);
	putchar('\n');
	if (i->desc) {
		fputs("  description: ", stdout);
		print_safe(i->desc, strlen(i->desc));
		putchar('\n');
	}
	if (i->data_ok)
		printf("  data: %" PRIu64 " bytes at offset %" PRIu64 "%s\n", i->data_len, i->data_off,
		       i->external ? " (external)" : "");
	else
		printf("  data: MISSING or outside the file (truncated?)\n");
	if (!i->nhash)
		printf("  no hash: U-Boot cannot check this image\n");
	for (unsigned k = 0; k < i->nhash; k++) {
		const struct fit_hash_info *h = &i->hash[k];
		if (!h->known)
			printf("  %s %s: not checked (kiln computes crc32, sha1, sha256)\n", h->name,
			       h->algo);
		else if (h->ok)
			printf("  %s %s: %s OK\n", h->name, h->algo, h->stored);
		else
			printf("  %s %s: MISMATCH: stored %s, computed %s\n", h->name, h->algo,
			       h->stored, h->computed);
	}
}

static void fit_conf(void *ud, const struct fit_conf_info *c)
{
	(void)ud;
	printf("configuration %s%s: kernel %s, fdt %s, ramdisk %s\n", or_dash(c->name),
	       c->is_default ? " (default)" : "", or_dash(c->kernel), or_dash(c->fdt),
	       or_dash(c->ramdisk));
	if (c->bad_refs)
		printf("  BAD REFERENCE: %s names no image\n", c->bad_ref);
}

static int inspect_fit(const char *path, const uint8_t *buf, size_t len)
{
	struct fit_summary s;
	unsigned problems;

	if (len >= 8 && ((uint64_t)buf[4] << 24 | buf[5] << 16 | buf[6] << 8 | buf[7]) > len) {
		log_error("%s: truncated FDT: header says %u bytes, file has %zu", path,
			  (unsigned)((uint32_t)buf[4] << 24 | buf[5] << 16 | buf[6] << 8 | buf[7]), len);
		return EXIT_FAIL;
	}
	printf("%s: device tree blob\n", path);
	if (fit_inspect(buf, len, fit_img, fit_conf, NULL, &s)) {
		log_error("%s: not a valid FIT (bad FDT structure or no /images node)", path);
		return EXIT_FAIL;
	}
	printf("FIT: FDT version %u, %" PRIu64 " bytes; %u images, %u configurations\n", s.version,
	       s.fdt_size, s.nimages, s.nconfs);
	printf("description: %s\n", s.desc ? s.desc : "MISSING (U-Boot: err=-42)");
	if (s.has_timestamp) {
		time_t t = (time_t)s.timestamp;
		struct tm tm;
		char ts[64];
		gmtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S UTC", &tm);
		printf("timestamp: %u (%s)\n", s.timestamp, ts);
	} else {
		printf("timestamp: MISSING (U-Boot: err=-74)\n");
	}
	if (s.default_conf && !s.default_ok)
		printf("default configuration %s: MISSING\n", s.default_conf);
	problems = s.bad_hashes + s.bad_data + s.bad_refs + !s.desc + !s.has_timestamp;
	if (problems) {
		printf("result: %u problem(s)\n", problems);
		printed_result = true;
		return EXIT_FAIL;
	}
	printf("result: OK\n");
	return EXIT_OK;
}

/* ---- legacy ---- */

static int inspect_legacy(const char *path, const uint8_t *buf, size_t len)
{
	struct legacy_hdr h;
	bool hok, dok, trunc;

	if (legacy_decode(buf, len, &h, &hok, &dok, &trunc)) {
		log_error("%s: not a legacy U-Boot image", path);
		return EXIT_FAIL;
	}
	printf("%s: legacy U-Boot image\n", path);
	printf("name: ");
	print_safe(h.name, strlen(h.name));
	printf("\ntime: %u\ntype: %s, arch %s, os %s, compression %s\n", h.time,
	       or_dash(legacy_type_name(h.type)), or_dash(legacy_arch_name(h.arch)),
	       or_dash(legacy_os_name(h.os)), or_dash(legacy_comp_name(h.comp)));
	printf("load 0x%08x, entry 0x%08x, data %u bytes\n", h.load, h.ep, h.size);
	if (h.type == LEGACY_TYPE_SCRIPT && !trunc && h.size >= 8) {
		const uint8_t *p = buf + LEGACY_HDR_LEN;
		uint32_t l0 = (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
		printf("script: %u bytes%s\n", l0, l0 > h.size - 8 ? " (LONGER THAN THE DATA)" : "");
	}
	printf("header crc: 0x%08x %s\n", h.hcrc, hok ? "OK" : "MISMATCH");
	if (trunc)
		printf("data crc: TRUNCATED (%zu of %u data bytes present)\n", len - LEGACY_HDR_LEN,
		       h.size);
	else
		printf("data crc: 0x%08x %s\n", h.dcrc, dok ? "OK" : "MISMATCH");
	printf("result: %s\n", hok && dok ? "OK" : "problems");
	printed_result = !(hok && dok);
	return hok && dok ? EXIT_OK : EXIT_FAIL;
}

/* ---- cpio ---- */

static int cpio_line(void *ud, const struct cpio_entry *e)
{
	unsigned *n = ud;

	printf("%06o %5u %5u %10u %10u ", e->mode, e->uid, e->gid, e->filesize, e->mtime);
	print_safe(e->name, e->namesize - 1);
	if ((e->mode & 0170000) == 0120000) {
		fputs(" -> ", stdout);
		print_safe((const char *)e->data, e->filesize);
	}
	if (e->nlink > 1 && (e->mode & 0170000) == 0100000)
		printf(" [ino %u, %u links]", e->ino, e->nlink);
	putchar('\n');
	(*n)++;
	return 0;
}

static int inspect_cpio(const char *path, const uint8_t *buf, size_t len, bool gz)
{
	unsigned n = 0;
	size_t off = 0;
	int r;

	printf("%s: cpio newc archive%s\n", path, gz ? " (gzip)" : "");
	printf("mode   uid   gid       size      mtime name\n");
	r = cpio_decode(buf, len, cpio_line, &n, &off);
	if (r == -ENODATA) {
		printf("result: NO TRAILER after %u entries (truncated?)\n", n);
		printed_result = true;
		return EXIT_FAIL;
	}
	if (r) {
		printf("result: bad entry at offset %zu after %u entries (truncated or corrupt)\n",
		       off, n);
		printed_result = true;
		return EXIT_FAIL;
	}
	printf("result: OK, %u entries\n", n);
	return EXIT_OK;
}

/* ---- U-Boot environment ---- */

static void env_line(void *ud, const char *name, size_t nlen, const char *value, size_t vlen)
{
	(void)ud;
	print_safe(name, nlen);
	putchar('=');
	print_safe(value, vlen);
	putchar('\n');
}

/* Looks like a U-Boot env without trusting the CRC: "name=" first. */
static bool env_plausible(const uint8_t *buf, size_t len, size_t hdr)
{
	size_t i;

	for (i = hdr; i < len && i < hdr + 256 && buf[i] > 32 && buf[i] < 127 && buf[i] != '='; i++)
		;
	return i > hdr && i < len && buf[i] == '=';
}

static int inspect_env(const char *path, const uint8_t *buf, size_t len, uint64_t env_size)
{
	static const struct { bool red, be; const char *what; } lay[] = {
		{ false, false, "" }, { true, false, ", redundant (flag byte)" },
		{ false, true, ", big-endian CRC" }, { true, true, ", redundant, big-endian CRC" },
	};
	struct uenv_info info;
	size_t size = env_size ? (size_t)env_size : len;

	if (env_size > len) {
		log_error("%s: %zu bytes, shorter than --env-size %" PRIu64 " (truncated)", path, len,
			  env_size);
		return EXIT_FAIL;
	}
	for (unsigned k = 0; k < 4; k++) {
		struct uenv_layout l = { .size = size, .redundant = lay[k].red, .big_endian = lay[k].be };
		if (uenv_decode(buf, size, &l, NULL, NULL, &info) || !info.crc_ok)
			continue;
		printf("%s: U-Boot environment, %zu bytes%s\n", path, size, lay[k].what);
		printf("crc: 0x%08x OK\n", info.crc_stored);
		uenv_decode(buf, size, &l, env_line, NULL, &info);
		printf("result: OK, %" PRIu64 " of %zu data bytes used\n", info.used,
		       size - 4 - lay[k].red);
		return EXIT_OK;
	}
	if (size > 5 && (env_plausible(buf, size, 4) || env_plausible(buf, size, 5))) {
		struct uenv_layout l = { .size = size, .redundant = !env_plausible(buf, size, 4) };
		uenv_decode(buf, size, &l, NULL, NULL, &info);
		printf("%s: U-Boot environment? %zu bytes\n", path, size);
		printf("crc: MISMATCH: stored 0x%08x, computed 0x%08x over %zu bytes\n",
		       info.crc_stored, info.crc_computed, size - 4 - l.redundant);
		printf("(U-Boot would say \"bad CRC, using default environment\"; wrong --env-size, or a truncated or corrupted file)\n");
		printf("result: problems\n");
		printed_result = true;
		return EXIT_FAIL;
	}
	log_error("%s: not a FIT, legacy image, cpio archive or U-Boot environment", path);
	return EXIT_FAIL;
}

static void help(void)
{
	printf("usage: kiln inspect [--env-size SIZE] FILE\n\n"
	       "Recognises and checks a FIT image (every hash), a legacy U-Boot image,\n"
	       "a cpio archive (also gzip'd) or a U-Boot environment image.\n"
	       "  --env-size SIZE   environment size (CONFIG_ENV_SIZE); default: the file size\n"
	       "Exit status: 0 all checks pass, 1 a problem or unknown format, 2 usage.\n");
}

int cmd_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "env-size", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t env_size = 0;
	uint8_t *buf = NULL, *plain = NULL;
	size_t len = 0, plen = 0;
	const char *path;
	int c, r, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			help();
			return EXIT_OK;
		}
		if (c == 'e') {
			struct size_spec sp;
			struct diag d = { 0 };
			if (size_parse(optarg, 0, &sp, &d) || !sp.bytes || sp.bytes > UENV_MAX_SIZE) {
				log_error("--env-size \"%s\": expected a size up to 16 MiB", optarg);
				return EXIT_USAGE;
			}
			env_size = sp.bytes;
			continue;
		}
		log_error("inspect: unknown option '%s'", argv[optind - 1]);
		return EXIT_USAGE;
	}
	if (optind != argc - 1) {
		log_error("inspect: expected one FILE (see kiln inspect --help)");
		return EXIT_USAGE;
	}
	path = argv[optind];
	r = read_all(path, &buf, &len);
	if (r) {
		log_error("%s: %s", path, r == -EINVAL ? "not a regular file" : strerror(-r));
		return EXIT_FAIL;
	}
	if (env_size)
		ret = inspect_env(path, buf, len, env_size);
	else if (fdt_magic_ok(buf, len))
		ret = inspect_fit(path, buf, len);
	else if (len >= 4 && buf[0] == 0x27 && buf[1] == 0x05 && buf[2] == 0x19 && buf[3] == 0x56)
		ret = inspect_legacy(path, buf, len);
	else if (cpio_magic(buf, len))
		ret = inspect_cpio(path, buf, len, false);
	else if (gzip_magic(buf, len)) {
		r = gunzip_buf(buf, len, INSPECT_MAX, &plain, &plen);
		if (r) {
			log_error("%s: gzip data %s", path,
				  r == -EFBIG ? "expands beyond 4 GiB" : "is corrupt or truncated");
			ret = EXIT_FAIL;
		} else if (cpio_magic(plain, plen)) {
			ret = inspect_cpio(path, plain, plen, true);
		} else {
			log_error("%s: gzip data, but not a cpio archive inside", path);
			ret = EXIT_FAIL;
		}
	} else if (inspect_readonly_magic(buf, len))
		ret = inspect_readonly(path, buf, len);
	else
		ret = inspect_env(path, buf, len, 0);
	if (ret == EXIT_FAIL && printed_result)
		log_error("%s: check failed (see above)", path);
	free(plain);
	free(buf);
	return ret;
}
