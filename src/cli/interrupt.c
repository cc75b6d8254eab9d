/* SPDX-License-Identifier: MIT */
#include "cli/interrupt.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/log.h"
#include "io/tmpfile.h"
#include "io/undo.h"

static const char *test_signal; /* KILN_TEST_SIGNAL, read once */
static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
static const char *const names[] = { "SIGINT", "SIGTERM", "SIGHUP" };

static void put(const char *s)
{
	size_t n = strlen(s);

	while (n) {
		ssize_t k = write(2, s, n);
		if (k <= 0)
			return;
		s += k;
		n -= (size_t)k;
	}
}

static void on_signal(int sig)
{
	const char *name = "signal", *what, *residue;
	int failed;

	/* Writer threads (ext4, FAT, flash verify) may receive it; the undo
	 * log belongs to the main thread, which blocks signals while it
	 * changes the log: hand the signal over and let it finish there. */
	if (gettid() != getpid()) {
		tgkill(getpid(), getpid(), sig);
		return;
	}
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigs[i] == sig)
			name = names[i];
	failed = undo_interrupt(sig);
	what = undo_activity_text();
	residue = undo_residue_text();
	if (isatty(2))
		put("\r\033[K"); /* over a progress line */
	put(log_prog);
	put(": interrupted (");
	put(name);
	put(")");
	if (*what) {
		put(" while ");
		put(what);
	}
	if (failed)
		put("; some temporary files could not be removed");
	else if (*residue) {
		put("; ");
		put(residue);
	} else {
		put("; nothing was left behind");
	}
	put("\n");
	_exit(128 + sig);
}

void interrupt_install(void)
{
	struct sigaction sa;
	const char *v;

	test_signal = getenv("KILN_TEST_SIGNAL");
	v = getenv("KILN_TEST_NO_TMPFILE");
	tmpfile_named_only = v && *v && strcmp(v, "0");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction cur;
		/* Started with a signal ignored (nohup, `trap '' HUP`): keep it so. */
		if (!sigaction(sigs[i], NULL, &cur) && cur.sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
	}
}

void interrupt_test_point(const char *point)
{
	const char *v = test_signal, *colon;

	if (!v || !(colon = strrchr(v, ':')) || strncmp(v, point, (size_t)(colon - v)) ||
	    point[colon - v])
		return;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (!strcmp(colon + 1, names[i] + 3))
			raise(sigs[i]);
	if (!strcmp(colon + 1, "KILL"))
		raise(SIGKILL); /* a crash: nothing runs, only unnamed files vanish */
}
