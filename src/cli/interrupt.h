/* SPDX-License-Identifier: MIT */
#ifndef KILN_CLI_INTERRUPT_H
#define KILN_CLI_INTERRUPT_H

/*
 * SIGINT, SIGTERM and SIGHUP end kiln cleanly at any point: the handler
 * runs the undo log (io/undo.h: the running hook is signalled and waited
 * for, temporaries and this run's outputs removed, replaced outputs put
 * back), prints one line and exits with 128 + the signal number:
 *
 *   kiln: interrupted (SIGINT) while writing images/a.img; nothing was left behind
 *
 * The handler does that work itself, with async-signal-safe calls only,
 * rather than setting a flag for the write loops to poll: kiln may be
 * blocked anywhere (reading an archive, in fsync, waiting for a hook,
 * in a writer thread), and a flag would need a check at every one of
 * those places.
 */

/* interrupt_install - install the handler (once, from main). */
void interrupt_install(void);

/*
 * TEST ONLY (docs/testing.md): KILN_TEST_SIGNAL="POINT:SIG" makes kiln
 * send itself SIG (INT, TERM, HUP, or KILL for a crash) when it reaches POINT: "plan"
 * (after planning), an image name (its first bytes written), "flash"
 * (the first bytes written to the target). interrupt_test_point() is
 * called at each such point.
 */
void interrupt_test_point(const char *point);

/* Also TEST ONLY: KILN_TEST_NO_TMPFILE=1 makes every temporary a named
 * one, as on a filesystem without O_TMPFILE (read by interrupt_install). */

#endif
