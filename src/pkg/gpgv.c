/* SPDX-License-Identifier: MIT */
/*
 * Signature checks through gpgv, the verifier apt itself runs: spawned
 * with an argv array, its inputs and outputs in memory files (no temp
 * files, no pipes to deadlock on), its verdict read from --status-fd
 * and judged with apt's rules (release.c).
 */
#include "pkg/net.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/diag.h"
#include "pkg/release.h"

extern char **environ;

static int memfd_with(const char *name, const void *buf, size_t len)
{
	int fd0 = memfd_create(name, MFD_CLOEXEC), fd;
	const char *p = buf;

	if (fd0 < 0)
		return -errno;
	/* Above the child's fixed fds (1-5), so that no dup2 there
	 * overwrites a source not yet duplicated. */
	fd = fcntl(fd0, F_DUPFD_CLOEXEC, 10);
	close(fd0);
	if (fd < 0)
		return -errno;
	while (len) {
		ssize_t k = write(fd, p, len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			int e = k < 0 ? -errno : -EIO;
			close(fd);
			return e;
		}
		p += k;
		len -= (size_t)k;
	}
	return fd;
}

static int slurp(int fd, size_t max, char **ret, size_t *ret_len)
{
	struct stat sb;
	char *buf;

	if (fstat(fd, &sb))
		return -errno;
	if ((uint64_t)sb.st_size > max)
		return -E2BIG;
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf)
		return -ENOMEM;
	ssize_t k = pread(fd, buf, (size_t)sb.st_size, 0);
	if (k != sb.st_size) {
		free(buf);
		return -EIO;
	}
	buf[k] = 0;
	*ret = buf;
	*ret_len = (size_t)k;
	return 0;
}

int pkg_gpgv(const char *gpgv, const char *keyring, const char *what, const void *data,
	     size_t dlen, const void *sig, size_t siglen, char **ret_signed, size_t *ret_len,
	     struct diag *d)
{
	int fd_data = -1, fd_sig = -1, fd_out = -1, fd_status = -1, r, status;
	posix_spawn_file_actions_t fa;
	char *st = NULL;
	size_t stlen = 0;
	pid_t pid;

	if (access(keyring, R_OK))
		return diag_fail(d, -errno, "keyring %s: %s", keyring, strerror(errno));
	if ((fd_data = memfd_with("release", data, dlen)) < 0 ||
	    (sig && (fd_sig = memfd_with("release-sig", sig, siglen)) < 0) ||
	    (fd_out = memfd_with("signed", "", 0)) < 0 ||
	    (fd_status = memfd_with("gpgv-status", "", 0)) < 0) {
		r = diag_fail(d, -ENOMEM, "memfd_create: %s", strerror(errno));
		goto out;
	}
	/* Fixed fds in the child: 1 signed text, 2 /dev/null, 3 status,
	 * 4 data, 5 detached signature. */
	char *argv[16];
	unsigned n = 0;
	argv[n++] = (char *)(gpgv ? gpgv : "gpgv");
	/* An empty home: only the configured keyring is trusted. */
	argv[n++] = "--homedir";
	argv[n++] = "/nonexistent";
	argv[n++] = "--status-fd";
	argv[n++] = "3";
	argv[n++] = "--keyring";
	argv[n++] = (char *)keyring;
	if (sig) {
		argv[n++] = "/dev/fd/5";
		argv[n++] = "/dev/fd/4";
	} else {
		argv[n++] = "--output";
		argv[n++] = "-";
		argv[n++] = "/dev/fd/4";
	}
	argv[n] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fd_out, 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fd_status, 3);
	posix_spawn_file_actions_adddup2(&fa, fd_data, 4);
	if (sig)
		posix_spawn_file_actions_adddup2(&fa, fd_sig, 5);
	r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r) {
		r = diag_fail(d, -r, "cannot run %s: %s (install gpgv)", argv[0], strerror(r));
		goto out;
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			r = diag_fail(d, -errno, "waitpid: %s", strerror(errno));
			goto out;
		}
	}
	if ((r = slurp(fd_status, 1 << 20, &st, &stlen))) {
		r = diag_fail(d, r, "%s: cannot read gpgv's status", what);
		goto out;
	}
	r = release_check_gpgv_status(st, stlen, keyring, d);
	if (!r && (!WIFEXITED(status) || WEXITSTATUS(status)))
		r = diag_fail(d, -EPERM, "gpgv exited with status %d", WIFEXITED(status) ?
			      WEXITSTATUS(status) : 128 + WTERMSIG(status));
	if (r) {
		diag_prefix(d, "%s: signature not trusted", what);
		goto out;
	}
	if (sig) {
		r = (*ret_signed = malloc(dlen + 1)) ? 0 : -ENOMEM;
		if (!r) {
			memcpy(*ret_signed, data, dlen);
			(*ret_signed)[dlen] = 0;
			*ret_len = dlen;
		}
	} else {
		r = slurp(fd_out, 1u << 30, ret_signed, ret_len);
	}
	if (r)
		r = diag_fail(d, r, "%s: cannot read the signed text", what);
out:
	free(st);
	const int fds[] = { fd_data, fd_sig, fd_out, fd_status };
	for (unsigned i = 0; i < 4; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return r;
}
