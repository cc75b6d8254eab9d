/* SPDX-License-Identifier: MIT */
/*
 * The FIP entry names and UUIDs of TF-A (include/tools_share/
 * firmware_image_package.h, tools/fiptool/tbbr_config.c), in fiptool's
 * table order, which is the order fiptool writes the ToC in. A UUID is
 * written here as its 16 ToC bytes in order (TF-A's uuid_t is bytes).
 */
#include <string.h>

#include "boot/fip.h"

const struct fip_name fip_names[] = {
	{ "scp-fwu-cfg", "65922703-2f74-e644-8dff-579ac1ff0610" },
	{ "ap-fwu-cfg", "60b3eb37-c1e5-ea41-9df3-19eda11f6801" },
	{ "fwu", "4f511d11-2be5-4e49-b4c5-83c2f715840a" },
	{ "fwu-cert", "71408ab2-18d6-874c-8b2e-c6dccd50f096" },
	{ "tb-fw", "5ff9ec0b-4d22-3e4d-a544-c39d81c73f0a" },
	{ "scp-fw", "9766fd3d-89be-e849-ae5d-78a140608213" },
	{ "soc-fw", "47d4086d-4cfe-9846-9b95-2950cbbd5a00" },
	{ "tos-fw", "05d0e189-53dc-1347-8d2b-500a4b7a3e38" },
	{ "tos-fw-extra1", "0b70c29b-2a5a-7840-9f65-0a5682738288" },
	{ "tos-fw-extra2", "8ea87bb1-cfa2-3f4d-85fd-e7bba50220d9" },
	{ "nt-fw", "d6d0eea7-fcea-d54b-9782-9934f234b6e4" },
	{ "fw-config", "5807e16a-8459-47be-8ed5-648e8dddab0e" },
	{ "hw-config", "08b8f1d9-c9cf-9349-a962-6fbc6b7265cc" },
	{ "tb-fw-config", "6c0458ff-af6b-7d4f-82ed-aa27bc69bfd2" },
	{ "soc-fw-config", "9979814b-0376-fb46-8c8e-8d267f7859e0" },
	{ "tos-fw-config", "26257c1a-dbc6-7f47-8d96-c4c4b0248021" },
	{ "nt-fw-config", "28da9815-93e8-7e44-ac66-1aaf801550f9" },
	{ "rot-cert", "862d1d72-f860-e411-920b-8be762160f24" },
	{ "trusted-key-cert", "827ee890-f860-e411-a1b4-777a21b4f94c" },
	{ "scp-fw-key-cert", "024221a1-f860-e411-8d9b-f33c0e15a014" },
	{ "soc-fw-key-cert", "8ab8becc-f960-e411-9ad0-eb4822d8dcf8" },
	{ "tos-fw-key-cert", "9477d603-fb60-e411-85dd-b7105b8cee04" },
	{ "nt-fw-key-cert", "8ad5832a-fb60-e411-8aaf-df30bbc49859" },
	{ "tb-fw-cert", "d6e269ea-5d63-e411-8d8c-9fbabe9956a5" },
	{ "scp-fw-cert", "44be6f04-5e63-e411-b28b-73d8eaae9656" },
	{ "soc-fw-cert", "e2b20c20-5e63-e411-9ce8-abccf92bb666" },
	{ "tos-fw-cert", "a49f4411-5e63-e411-8728-3f05722af33d" },
	{ "nt-fw-cert", "8ec4c1f3-5d63-e411-a7a9-87ee40b23fa7" },
	{ "sip-sp-cert", "776dfd44-8697-4c3b-91eb-c13e025a2a6f" },
	{ "plat-sp-cert", "ddcbbf4a-cad6-11ea-87d0-0242ac130003" },
	{ NULL, NULL },
};

const struct fip_name *fip_name_find(const char *name)
{
	for (unsigned i = 0; fip_names[i].name; i++)
		if (!strcmp(fip_names[i].name, name))
			return &fip_names[i];
	return NULL;
}
