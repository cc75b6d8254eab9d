/* SPDX-License-Identifier: MIT */
#include "boot/legacy.h"

#include <errno.h>
#include <string.h>

#include "base/endian.h"
#include "base/hash.h"

/* Indexed by U-Boot's IH_ARCH_* / IH_OS_* / IH_TYPE_* / IH_COMP_* codes. */
static const char *const arch_names[] = {
	"invalid", "alpha", "arm", "x86", "ia64", "mips", "mips64", "ppc", "s390", "sh",
	"sparc", "sparc64", "m68k", "nios", "microblaze", "nios2", "blackfin", "avr32", "st200",
	"sandbox", "nds32", "openrisc", "arm64", "arc", "x86_64", "xtensa", "riscv",
};
static const char *const os_names[] = {
	"invalid", "openbsd", "netbsd", "freebsd", "4_4bsd", "linux", "svr4", "esix", "solaris",
	"irix", "sco", "dell", "ncr", "lynxos", "vxworks", "psos", "qnx", "u-boot", "rtems",
	"artos", "unity", "integrity", "ose", "plan9", "openrtos", "arm-trusted-firmware", "tee",
	"opensbi", "efi",
};
static const char *const type_names[] = {
	"invalid", "standalone", "kernel", "ramdisk", "multi", "firmware", "script", "filesystem",
	"flat_dt",
};
static const char *const comp_names[] = {
	"none", "gzip", "bzip2", "lzma", "lzo", "lz4", "zstd",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

int legacy_arch_code(const char *name)
{
	for (unsigned i = 1; i < N(arch_names); i++)
		if (!strcmp(arch_names[i], name))
			return (int)i;
	if (!strcmp(name, "powerpc"))
		return 7;
	return -1;
}

const char *legacy_arch_name(unsigned code)
{
	return code < N(arch_names) ? arch_names[code] : NULL;
}

const char *legacy_os_name(unsigned code)
{
	return code < N(os_names) ? os_names[code] : NULL;
}

const char *legacy_type_name(unsigned code)
{
	return code < N(type_names) ? type_names[code] : NULL;
}

const char *legacy_comp_name(unsigned code)
{
	return code < N(comp_names) ? comp_names[code] : NULL;
}

void legacy_encode_header(const struct legacy_hdr *h, uint8_t out[LEGACY_HDR_LEN])
{
	size_t nl = strnlen(h->name, LEGACY_NAME_LEN);

	memset(out, 0, LEGACY_HDR_LEN);
	put_be32(out + 0, LEGACY_MAGIC);
	put_be32(out + 8, h->time);
	put_be32(out + 12, h->size);
	put_be32(out + 16, h->load);
	put_be32(out + 20, h->ep);
	put_be32(out + 24, h->dcrc);
	out[28] = h->os;
	out[29] = h->arch;
	out[30] = h->type;
	out[31] = h->comp;
	memcpy(out + 32, h->name, nl);
	put_be32(out + 4, crc32_ieee(0, out, LEGACY_HDR_LEN));
}

void legacy_script_prefix(uint32_t len, uint8_t out[LEGACY_SCRIPT_PREFIX])
{
	put_be32(out, len);
	put_be32(out + 4, 0);
}

int legacy_decode(const uint8_t *buf, size_t len, struct legacy_hdr *ret, bool *ret_hcrc_ok,
		  bool *ret_dcrc_ok, bool *ret_truncated)
{
	uint8_t tmp[LEGACY_HDR_LEN];

	if (len < LEGACY_HDR_LEN || get_be32(buf) != LEGACY_MAGIC)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	ret->magic = LEGACY_MAGIC;
	ret->hcrc = get_be32(buf + 4);
	ret->time = get_be32(buf + 8);
	ret->size = get_be32(buf + 12);
	ret->load = get_be32(buf + 16);
	ret->ep = get_be32(buf + 20);
	ret->dcrc = get_be32(buf + 24);
	ret->os = buf[28];
	ret->arch = buf[29];
	ret->type = buf[30];
	ret->comp = buf[31];
	memcpy(ret->name, buf + 32, LEGACY_NAME_LEN);
	ret->name[LEGACY_NAME_LEN] = 0;
	memcpy(tmp, buf, LEGACY_HDR_LEN);
	memset(tmp + 4, 0, 4);
	*ret_hcrc_ok = crc32_ieee(0, tmp, LEGACY_HDR_LEN) == ret->hcrc;
	*ret_truncated = len - LEGACY_HDR_LEN < ret->size;
	*ret_dcrc_ok = !*ret_truncated &&
		       crc32_ieee(0, buf + LEGACY_HDR_LEN, ret->size) == ret->dcrc;
	return 0;
}
