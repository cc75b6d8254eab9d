/* SPDX-License-Identifier: MIT */
/* The undo log and file-sink commits inside a transaction: a rollback
 * removes what was created and restores what was replaced, a commit
 * drops the backups; entries made before a transaction are not touched
 * by it, even when they are forgotten during it. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "io/sink.h"
#include "io/tmpfile.h"
#include "io/undo.h"
#include "t.h"

static char dir[64];

static void put(const char *name, const char *text)
{
	char p[128];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	fputs(text, f);
	fclose(f);
}

/* Contents of NAME, "" if missing. */
static const char *get(const char *name)
{
	static char buf[64];
	char p[128];
	FILE *f;
	size_t n;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "r");
	if (!f)
		return "";
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static int entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d)))
		n += e->d_name[0] != '.' || strstr(e->d_name, ".kiln-") != NULL;
	closedir(d);
	return n;
}

static int write_out(const char *name, const char *text)
{
	char p[128];
	struct sink *s = NULL;
	struct diag d = { 0 };
	int r;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	r = sink_file_new(&s, p, strlen(text), &d);
	if (!r)
		r = sink_pwrite(s, text, strlen(text), 0);
	if (!r)
		r = sink_file_commit(s, &d);
	sink_release(s);
	return r;
}

static void test_rollback(void)
{
	int mark;

	put("old", "previous");
	mark = undo_begin();
	CHECK(undo_in_transaction());
	CHECK(write_out("old", "new1") == 0);
	CHECK(write_out("fresh", "new2") == 0);
	CHECK_STR(get("old"), "new1");
	CHECK_STR(get("fresh"), "new2");
	CHECK_EQ_U64(entries(), 3); /* old, fresh, the backup of old */
	undo_rollback(mark);
	CHECK(!undo_in_transaction());
	CHECK_STR(get("old"), "previous");
	CHECK_STR(get("fresh"), "");
	CHECK_EQ_U64(entries(), 1);
}

static void test_commit(void)
{
	int mark = undo_begin();

	CHECK(write_out("old", "kept") == 0);
	undo_commit(mark);
	CHECK_STR(get("old"), "kept");
	CHECK_EQ_U64(entries(), 1); /* no backup left */
}

/* An entry from before the transaction, forgotten during it, must not
 * let the transaction's entries slip below its mark. */
static void test_floor(void)
{
	char p[128];
	int outside[3], mark;

	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/outside%d", dir, i);
		outside[i] = undo_unlink(p);
		CHECK(outside[i] >= 0);
	}
	mark = undo_begin();
	for (int i = 0; i < 3; i++)
		undo_forget(outside[i]);
	CHECK(write_out("inside", "x") == 0);
	undo_rollback(mark);
	CHECK_STR(get("inside"), "");
}

int main(void)
{
	snprintf(dir, sizeof(dir), "undo-test-%d", (int)getpid());
	if (mkdir(dir, 0755))
		return 1;
	T_RUN(test_rollback);
	T_RUN(test_commit);
	T_RUN(test_floor);
	tmpfile_remove_stale(dir, ".");
	unlink(strcat(strcpy((char[128]){ 0 }, dir), "/old"));
	rmdir(dir);
	return T_DONE();
}
