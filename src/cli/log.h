/* SPDX-License-Identifier: MIT */
#ifndef KILN_CLI_LOG_H
#define KILN_CLI_LOG_H

#include <stdbool.h>

struct diag;

/* Program name for messages ("kiln" or "genimage"). */
extern const char *log_prog;
extern unsigned log_level;

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Installs the warning callback on a diag. */
void log_attach(struct diag *d);
/* Print a failed diag ("kiln: error: ..."). */
void log_diag(const struct diag *d, int err);

#endif
