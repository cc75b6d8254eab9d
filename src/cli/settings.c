/* SPDX-License-Identifier: MIT */
#include "cli/settings.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "base/ids.h"
#include "cli/log.h"
#include "plan/build.h"

extern char **environ;

static int env_dup(const char *name, char **ret)
{
	const char *v = getenv(name);

	*ret = NULL;
	if (!v || !*v)
		return 0;
	*ret = strdup(v);
	return *ret ? 0 : -ENOMEM;
}

int cli_loglevel_env(void)
{
	const char *s = getenv("GENIMAGE_LOGLEVEL");
	char *e;
	long v;

	if (!s || !*s)
		return 0;
	v = strtol(s, &e, 10);
	if (*e || v < 0 || v > 10) {
		log_error("GENIMAGE_LOGLEVEL=\"%s\": expected 0..10", s);
		return -EINVAL;
	}
	log_level = (unsigned)v;
	return 0;
}

int cli_jobs_parse(const char *s, unsigned *ret)
{
	char *e;
	long v;

	errno = 0;
	v = strtol(s, &e, 10);
	if (!*s || *e || errno || v < 1 || v > CLI_MAX_JOBS) {
		log_error("--jobs \"%s\": expected a number of threads, 1..%d", s, CLI_MAX_JOBS);
		return -EINVAL;
	}
	*ret = (unsigned)v;
	return 0;
}

unsigned cli_jobs_default(void)
{
	cpu_set_t set;
	int n;

	/* The CPUs this process may run on (taskset, cgroups' cpusets): a
	 * system call, where sysconf would read /sys or /proc (absent in a
	 * build sandbox). */
	if (sched_getaffinity(0, sizeof(set), &set))
		return 1;
	n = CPU_COUNT(&set);
	return n < 1 ? 1 : n > CLI_MAX_JOBS ? CLI_MAX_JOBS : (unsigned)n;
}

int cli_settings_apply(struct build *b, struct build_paths *env, char **seed)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");

	if (env_dup("GENIMAGE_ROOTPATH", &env->rootpath) ||
	    env_dup("GENIMAGE_TMPPATH", &env->tmppath) ||
	    env_dup("GENIMAGE_INPUTPATH", &env->inputpath) ||
	    env_dup("GENIMAGE_OUTPUTPATH", &env->outputpath) ||
	    env_dup("GENIMAGE_INCLUDEPATH", &env->includepath) ||
	    env_dup("GENIMAGE_CONFIG", &env->config)) {
		log_error("out of memory");
		return -ENOMEM;
	}
	if (sde && *sde) {
		char *e;
		errno = 0;
		long long v = strtoll(sde, &e, 10);
		if (*e || errno || v < 0) {
			log_error("SOURCE_DATE_EPOCH=\"%s\": expected seconds since 1970", sde);
			return -EINVAL;
		}
		b->epoch = v;
	}
	if (seed && *seed) {
		b->seed_str = *seed;
		*seed = NULL;
		seed_from_string(&b->seed, b->seed_str);
		b->seed_set = true;
	}
	b->envp = environ; /* ${NAME} in tree files and U-Boot environments */
	return 0;
}
