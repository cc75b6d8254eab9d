/* SPDX-License-Identifier: MIT */
#ifndef KILN_PKG_APTSOURCES_H
#define KILN_PKG_APTSOURCES_H

/*
 * The machine's own Debian mirror, for a repository whose url is
 * "apt-sources" (or left out): a committed config then works on machines
 * that use different mirrors (docs/config/packages.md).
 */

struct diag;

/* The url a repository takes when it names none. */
#define PKG_APT_SOURCES "apt-sources"

/*
 * pkg_apt_sources_url - the first URI of a `deb` entry that is not a
 * security archive, in apt's reading order: ROOT/etc/apt/sources.list, then
 * ROOT/etc/apt/sources.list.d/ (*.list one-line entries and *.sources
 * deb822 stanzas, by name). Disabled stanzas (Enabled: no) and deb-src-only
 * entries are skipped; an entry is a security archive when its URI contains
 * "security" or its suites all end in "-security".
 * @root: "" for the machine, or a directory standing for "/" (tests).
 * @ret_url: malloc'd, without a trailing '/'.
 * Returns 0, -ENOENT (no usable entry; @d names the files read), -EFBIG (a
 * file over 1 MiB), -ENOMEM or the errno of a failed read.
 */
int pkg_apt_sources_url(const char *root, char **ret_url, struct diag *d);

#endif
