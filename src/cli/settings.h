/* SPDX-License-Identifier: MIT */
#ifndef KILN_CLI_SETTINGS_H
#define KILN_CLI_SETTINGS_H

/* What every config-reading command takes from the environment and the
 * shared options: GENIMAGE_* paths, SOURCE_DATE_EPOCH, --seed. */

struct build;
struct build_paths;

/*
 * cli_settings_apply - fill @env from GENIMAGE_ROOTPATH, ..._TMPPATH,
 * ..._INPUTPATH, ..._OUTPUTPATH, ..._INCLUDEPATH, ..._CONFIG; set
 * b->epoch from SOURCE_DATE_EPOCH and b->envp; take *seed (when not NULL)
 * as the build's seed (ownership moves to @b, *seed becomes NULL).
 * Returns 0, or prints the error and returns -EINVAL / -ENOMEM.
 */
int cli_settings_apply(struct build *b, struct build_paths *env, char **seed);

/* cli_loglevel_env - GENIMAGE_LOGLEVEL into log_level (--loglevel, read
 * later, overrides it). Returns 0, or prints the error and returns -EINVAL. */
int cli_loglevel_env(void);

/* Most threads -j accepts. */
#define CLI_MAX_JOBS 256

/* cli_jobs_parse - -j/--jobs N (1..CLI_MAX_JOBS) into *ret. Returns 0, or
 * prints the error and returns -EINVAL. */
int cli_jobs_parse(const char *s, unsigned *ret);
/* cli_jobs_default - the default of -j: the CPUs kiln may run on. */
unsigned cli_jobs_default(void);

#endif
