/* SPDX-License-Identifier: MIT */
/* Kernel modules by name (fs/kmod-dep.h): modules.dep and friends parsed,
 * the closure of names (chains, cycles, soft dependencies, aliases,
 * built-in and missing names), the files written for the subset, and
 * the .modinfo of an ELF module. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs/kmod-dep.h"
#include "t.h"

static const char dep[] =
	"kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko kernel/fs/jbd2/jbd2.ko\n"
	"kernel/fs/jbd2/jbd2.ko:\n"
	"kernel/fs/mbcache.ko:\n"
	"kernel/lib/crc16.ko:\n"
	"kernel/crypto/crc32c_generic.ko.xz:\n"
	"kernel/drivers/mmc/host/sdhci-iproc.ko: kernel/drivers/mmc/host/sdhci-pltfm.ko "
	"kernel/drivers/mmc/host/sdhci.ko\n"
	"kernel/drivers/mmc/host/sdhci-pltfm.ko: kernel/drivers/mmc/host/sdhci.ko\n"
	"kernel/drivers/mmc/host/sdhci.ko:\n"
	/* A cycle (depmod refuses these; kiln must not loop). */
	"kernel/a.ko: kernel/b.ko\n"
	"kernel/b.ko: kernel/a.ko\n"
	/* A dependency that is not there. */
	"kernel/broken.ko: kernel/gone.ko\n"
	"kernel/unused.ko:\n";

static const char softdep[] = "# comment\n"
			      "softdep ext4 pre: crypto-crc32c\n"
			      "softdep jbd2 pre: crypto-crc32c post: nowhere\n";

static const char alias[] = "alias crypto-crc32c crc32c_generic\n"
			    "alias fs-ext4 ext4\n"
			    "alias of:N*T*Cbrcm,sdhci-iproc* sdhci_iproc\n";

static void load(struct kmod_db *db)
{
	unsigned line = 0;
	kmod_db_init(db);
	CHECK(!kmod_parse_dep(db, dep, strlen(dep), &line));
	CHECK(!kmod_parse_softdep(db, softdep, strlen(softdep), &line));
	CHECK(!kmod_parse_alias(db, alias, strlen(alias), &line));
	CHECK(!kmod_parse_builtin(db, "kernel/fs/fat/vfat.ko\n", 22, &line));
}

static unsigned npicked(const struct kmod_db *db)
{
	unsigned n = 0;
	for (unsigned i = 0; i < db->n; i++)
		n += db->mods[i].picked;
	return n;
}

static void test_names(void)
{
	char b[64];
	CHECK(!kmod_alias_norm("pci:v-[a-b]d-*", b, sizeof(b)));
	CHECK_STR(b, "pci:v_[a-b]d_*");
	CHECK(kmod_alias_norm("x[a-", b, sizeof(b)) == -EINVAL);
	CHECK(kmod_alias_norm("x]", b, sizeof(b)) == -EINVAL);
	CHECK(!kmod_name("kernel/drivers/mmc/host/sdhci-iproc.ko.zst", b, sizeof(b)));
	CHECK_STR(b, "sdhci_iproc");
	CHECK(!kmod_name("virtio-blk", b, sizeof(b)));
	CHECK_STR(b, "virtio_blk");
	CHECK(kmod_name("x/.ko", b, sizeof(b)) == -EINVAL);
	CHECK(kmod_is_module_path("a/b.ko.xz"));
	CHECK(!kmod_is_module_path("a/b.ko.bak"));
	CHECK(!kmod_is_module_path("a/.ko"));
}

static void test_closure(void)
{
	struct kmod_db db;
	const char *names[] = { "ext4", "sdhci-iproc", "vfat" };
	unsigned miss = 99;
	const char *d = NULL;

	load(&db);
	CHECK(!kmod_db_closure(&db, names, 3, &miss, &d));
	/* ext4 jbd2 mbcache crc16, crc32c_generic (soft, by alias), sdhci x3;
	 * vfat is built in: nothing to add. */
	CHECK_EQ_U64(npicked(&db), 8);
	CHECK(kmod_db_find(&db, "crc32c_generic")->picked);
	CHECK(!kmod_db_find(&db, "unused")->picked);

	char *s;
	size_t len;
	CHECK(!kmod_write_dep(&db, &s, &len));
	CHECK_STR(s, "kernel/crypto/crc32c_generic.ko.xz:\n"
		     "kernel/drivers/mmc/host/sdhci-iproc.ko: kernel/drivers/mmc/host/sdhci-pltfm.ko "
		     "kernel/drivers/mmc/host/sdhci.ko\n"
		     "kernel/drivers/mmc/host/sdhci-pltfm.ko: kernel/drivers/mmc/host/sdhci.ko\n"
		     "kernel/drivers/mmc/host/sdhci.ko:\n"
		     "kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko "
		     "kernel/fs/jbd2/jbd2.ko\n"
		     "kernel/fs/jbd2/jbd2.ko:\n"
		     "kernel/fs/mbcache.ko:\n"
		     "kernel/lib/crc16.ko:\n");
	free(s);
	CHECK(!kmod_write_softdep(&db, &s, &len));
	CHECK(strstr(s, "softdep ext4 pre: crc32c_generic\n") != NULL);
	/* A soft dependency that resolves to nothing is dropped. */
	CHECK(strstr(s, "softdep jbd2 pre: crc32c_generic\n") != NULL);
	free(s);
	CHECK(!kmod_write_alias(&db, &s, &len));
	CHECK(strstr(s, "alias fs-ext4 ext4\n") != NULL);
	CHECK(strstr(s, "alias of:N*T*Cbrcm,sdhci-iproc* sdhci_iproc\n") != NULL);
	free(s);
	kmod_db_release(&db);
}

static void test_cycle_and_missing(void)
{
	struct kmod_db db;
	const char *cyc[] = { "a" }, *bad[] = { "ext4", "ext5" }, *br[] = { "broken" };
	const char *alias_name[] = { "of:N0T0Cbrcm,sdhci-iproc" };
	unsigned miss = 99;
	const char *d = NULL;
	char *s;
	size_t len;

	load(&db);
	CHECK(!kmod_db_closure(&db, cyc, 1, &miss, &d));
	CHECK_EQ_U64(npicked(&db), 2);
	CHECK(!kmod_write_dep(&db, &s, &len));
	CHECK_STR(s, "kernel/a.ko: kernel/b.ko\nkernel/b.ko: kernel/a.ko\n");
	free(s);
	kmod_db_release(&db);

	load(&db);
	CHECK(kmod_db_closure(&db, bad, 2, &miss, &d) == -ENOENT);
	CHECK_EQ_U64(miss, 1);
	kmod_db_release(&db);

	load(&db);
	CHECK(kmod_db_closure(&db, br, 1, &miss, &d) == -ENOENT);
	CHECK_EQ_U64(miss, 1);
	CHECK_STR(d, "gone");
	kmod_db_release(&db);

	/* A name through an alias pattern. */
	load(&db);
	CHECK(!kmod_db_closure(&db, alias_name, 1, &miss, &d));
	CHECK(kmod_db_find(&db, "sdhci_iproc")->picked);
	CHECK_EQ_U64(npicked(&db), 3);
	kmod_db_release(&db);
}

static void test_bad_lines(void)
{
	struct kmod_db db;
	unsigned line = 0;

	kmod_db_init(&db);
	CHECK(kmod_parse_dep(&db, "a.ko:\nno colon here\n", 20, &line) == -EINVAL);
	CHECK_EQ_U64(line, 2);
	CHECK(kmod_parse_dep(&db, "notamodule.txt: a.ko\n", 21, &line) == -EINVAL);
	CHECK(kmod_parse_softdep(&db, "softdep\n", 8, &line) == -EINVAL);
	CHECK(kmod_parse_alias(&db, "alias x\n", 8, &line) == -EINVAL);
	CHECK(kmod_parse_dep(&db, "a.ko:\0\n", 7, &line) == -EINVAL);
	kmod_db_release(&db);
}

/* Look @key up in a kmod index as libkmod does (exact match). */
static const char *index_lookup(const uint8_t *p, size_t len, const char *key)
{
	uint32_t off = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
	size_t i = 0;

	if (len < 12 || memcmp(p, "\xb0\x07\xf4\x57\x00\x02\x00\x01", 8))
		return NULL;
	while (off & 0x0fffffffu) {
		size_t at = off & 0x0fffffffu;
		if (off & 0x80000000u) {
			size_t pl = strlen((const char *)p + at);
			if (strncmp((const char *)p + at, key + i, pl))
				return NULL;
			i += pl;
			at += pl + 1;
		}
		unsigned first = 0, last = 0;
		const uint8_t *kids = NULL;
		if (off & 0x20000000u) {
			first = p[at];
			last = p[at + 1];
			kids = p + at + 2;
			at += 2 + 4 * (last - first + 1);
		}
		if (!key[i])
			return (off & 0x40000000u) ? (const char *)p + at + 8 : NULL;
		unsigned char c = (unsigned char)key[i++];
		if (!kids || c < first || c > last)
			return NULL;
		const uint8_t *k = kids + 4 * (c - first);
		off = (uint32_t)k[0] << 24 | (uint32_t)k[1] << 16 | (uint32_t)k[2] << 8 | k[3];
	}
	return NULL;
}

static void test_index(void)
{
	struct kmod_db db;
	const char *names[] = { "ext4", "sdhci-iproc" };
	unsigned miss;
	const char *d;
	char *s;
	size_t len;

	load(&db);
	CHECK(!kmod_db_closure(&db, names, 2, &miss, &d));
	CHECK(!kmod_write_dep_bin(&db, &s, &len));
	CHECK_STR(index_lookup((uint8_t *)s, len, "ext4"),
		  "kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko "
		  "kernel/fs/jbd2/jbd2.ko");
	CHECK_STR(index_lookup((uint8_t *)s, len, "sdhci"), "kernel/drivers/mmc/host/sdhci.ko:");
	CHECK_STR(index_lookup((uint8_t *)s, len, "sdhci_pltfm"),
		  "kernel/drivers/mmc/host/sdhci-pltfm.ko: kernel/drivers/mmc/host/sdhci.ko");
	CHECK(index_lookup((uint8_t *)s, len, "sdhc") == NULL);
	CHECK(index_lookup((uint8_t *)s, len, "unused") == NULL);
	free(s);
	CHECK(!kmod_write_alias_bin(&db, &s, &len));
	/* Keys normalised as kmod normalises the name it looks up. */
	CHECK_STR(index_lookup((uint8_t *)s, len, "fs_ext4"), "ext4");
	CHECK_STR(index_lookup((uint8_t *)s, len, "crypto_crc32c"), "crc32c_generic");
	CHECK(index_lookup((uint8_t *)s, len, "fs-ext4") == NULL);
	free(s);
	kmod_db_release(&db);
}

static void test_modinfo(void)
{
	/* A minimal ELF64 LE: header, .modinfo, .shstrtab, 3 section headers. */
	static const char info[] = "license=GPL\0depends=jbd2,mbcache,crc16\0"
				   "softdep=pre: crypto-crc32c\0alias=fs-ext4\0name=ext4";
	static const char strtab[] = "\0.modinfo\0.shstrtab";
	uint8_t elf[512] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
	size_t io = 64, so = io + sizeof(info), sh = 256, off, len;

	memcpy(elf + io, info, sizeof(info));
	memcpy(elf + so, strtab, sizeof(strtab));
	elf[0x29] = sh >> 8; /* e_shoff = 0x100 */
	elf[0x3a] = 64;
	elf[0x3c] = 3;
	elf[0x3e] = 2;
	elf[sh + 64] = 1; /* name ".modinfo" */
	elf[sh + 64 + 24] = (uint8_t)io;
	elf[sh + 64 + 32] = sizeof(info);
	elf[sh + 128] = 10; /* ".shstrtab" */
	elf[sh + 128 + 24] = (uint8_t)so;
	elf[sh + 128 + 32] = sizeof(strtab);
	if (kmod_modinfo_section(elf, sizeof(elf), &off, &len)) {
		CHECK(!"no .modinfo");
		return;
	}
	CHECK_EQ_U64(off, io);
	struct kmod_db db;
	struct kmod_mod *m;
	kmod_db_init(&db);
	CHECK(!kmod_db_add(&db, "kernel/fs/ext4/ext4.ko", &m));
	CHECK(!kmod_modinfo_apply(m, (const char *)elf + off, len));
	CHECK_EQ_U64(m->ndeps, 3);
	CHECK_STR(m->deps[2], "crc16");
	CHECK_EQ_U64(m->npre, 1);
	CHECK_STR(m->pre[0], "crypto-crc32c");
	CHECK_EQ_U64(m->naliases, 1);
	kmod_db_release(&db);
	/* Truncated or lying headers are refused, never read past. */
	CHECK(kmod_modinfo_section(elf, 100, &off, &len) == -EINVAL);
	elf[0x3c] = 200;
	CHECK(kmod_modinfo_section(elf, sizeof(elf), &off, &len) == -EINVAL);
	elf[0x3c] = 3;
	elf[sh + 64 + 33] = 2; /* .modinfo past the end */
	CHECK(kmod_modinfo_section(elf, sizeof(elf), &off, &len) == -EINVAL);
}

int main(void)
{
	T_RUN(test_names);
	T_RUN(test_closure);
	T_RUN(test_cycle_and_missing);
	T_RUN(test_bad_lines);
	T_RUN(test_index);
	T_RUN(test_modinfo);
	return T_DONE();
}
