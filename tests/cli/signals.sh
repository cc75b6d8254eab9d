# SIGINT, SIGTERM and SIGHUP at chosen points of `kiln build` (planning
# with archives read into the spill file, a filesystem being written, disk
# assembly, an exec hook): exit 128+sig, exactly one line on stderr saying
# what was interrupted, no temporary, spill file or output of this run
# left, previous outputs put back. SIGKILL leaves no unnamed temporary, and
# the next build removes a named one whose kiln is gone, but never one a
# running kiln holds. Points are reached deterministically: exec hooks
# block on a FIFO and get a real external signal; the others use the
# test-only KILN_TEST_SIGNAL=POINT:SIG (kiln signals itself there).
# -j 1 where the line must name one image: with -j 2 two are written at
# once (covered too, with a looser match).
. "$KILN_TESTLIB"
# The spill file of a decoded archive is part of what is checked: decode
# every run instead of replaying the store's copy (store/interrupt covers
# interrupted runs with the store on).
rmdir "$KILN_CACHE"
export KILN_CACHE=off
need tar
set -m # background jobs keep SIGINT (without job control bash ignores it for them)
mkdir -p input rootdir/etc
printf 'hello' > input/data.bin
printf 'from the archive\n' > rootdir/etc/motd
head -c 300000 /dev/urandom > rootdir/etc/blob
tar -C rootdir -cf input/root.tar .
cat > c.cfg <<'CFG'
tree t { layer { archive = "root.tar" } }
image a.bin { file { name = "data.bin" } }
image fs.ext4 { ext4 { } size = 4M tree = t }
image d.img {
  hdimage { }
  partition a { image = "a.bin" }
  partition r { image = "fs.ext4" }
}
CFG

debris() { # what a run must not leave: temporaries, spill files
	find "$T" \( -name '.*.kiln-*' -o -name 'kiln-spill.*' \) -print | head -3
}
# interrupted EXITCODE SIGNAME REGEX: the last run's result and stderr.
interrupted() {
	[ "$rc" = "$1" ] || { cat err; fail "exit $rc, expected $1 ($2)"; }
	[ "$(wc -l < err)" = 1 ] || { cat err; fail "$2: expected exactly one line on stderr"; }
	grep -Eq "^kiln: interrupted \($2\) while $3; nothing was left behind$" err ||
		{ cat err; fail "$2: message does not match /$3/"; }
	[ -z "$(debris)" ] || fail "$2: left behind: $(debris)"
}

# A fresh output directory: nothing at all may remain.
n=0
for point in "plan:INT:130:SIGINT:planning c.cfg" "fs.ext4:TERM:143:SIGTERM:writing o/fs.ext4" \
	"d.img:HUP:129:SIGHUP:writing o/d.img" "a.bin:INT:130:SIGINT:writing o/a.bin"; do
	IFS=: read -r where sig code name what <<<"$point"
	rm -rf o tmp
	rc=0
	KILN_TEST_SIGNAL=$where:$sig "$KILN" build -j 1 --outputpath o --loglevel 0 c.cfg 2>err || rc=$?
	interrupted "$code" "$name" "$what"
	expect_no_output o
	n=$((n + 1))
done
# With -j 2, a.bin and fs.ext4 are written by threads at the same time:
# the line names what was being written (an image, or one and the count
# of the others), and nothing is left either.
for point in "fs.ext4:TERM:143:SIGTERM" "a.bin:INT:130:SIGINT" "d.img:HUP:129:SIGHUP"; do
	IFS=: read -r where sig code name <<<"$point"
	rm -rf o tmp
	rc=0
	KILN_TEST_SIGNAL=$where:$sig "$KILN" build -j 2 --outputpath o --loglevel 0 c.cfg 2>err || rc=$?
	interrupted "$code" "$name" "writing o/[a-z0-9.]+( and [0-9]+ other images?)?"
	expect_no_output o
done

# Previous outputs survive an interrupted rebuild, byte for byte.
"$KILN" build --outputpath p c.cfg 2>/dev/null
before=$(cd p && sha256sum *)
printf 'changed' > input/data.bin
for point in "d.img:TERM:143:SIGTERM:writing p/d.img" "fs.ext4:HUP:129:SIGHUP:writing p/fs.ext4"; do
	IFS=: read -r where sig code name what <<<"$point"
	rc=0
	KILN_TEST_SIGNAL=$where:$sig "$KILN" build -j 1 --outputpath p --loglevel 0 c.cfg 2>err || rc=$?
	interrupted "$code" "$name" "$what"
	[ "$(cd p && sha256sum *)" = "$before" ] || fail "$name: previous outputs not restored"
	[ "$(ls -A p | wc -l)" = 4 ] || fail "$name: p holds $(ls -A p)"
done

# A real signal from outside while an exec hook blocks: the hook's
# process group gets it too (its trap records it) and is waited for.
mkfifo gate
cat > h.cfg <<'CFG'
image a.bin { file { name = "data.bin" } }
image h.img {
  hdimage { }
  partition a { image = "a.bin" }
  exec-post = "exec 2>hook-err; trap 'echo got > hook-sig; exit 1' INT TERM HUP; touch ready; read x < gate"
}
CFG
wait_for() { # FILE: until it exists (bounded)
	local i
	for i in $(seq 600); do [ -e "$1" ] && return 0; sleep 0.05; done
	fail "$1 never appeared"
}
for s in INT:130:SIGINT TERM:143:SIGTERM HUP:129:SIGHUP; do
	IFS=: read -r sig code name <<<"$s"
	rm -rf o ready hook-sig
	"$KILN" build --outputpath o --loglevel 0 h.cfg 2>err &
	pid=$!
	wait_for ready
	kill -"$sig" "$pid"
	rc=0
	wait "$pid" || rc=$?
	interrupted "$code" "$name" "running exec-post of image 'h.img'"
	[ "$(cat hook-sig 2>/dev/null)" = got ] || fail "$name: the hook did not get the signal"
	expect_no_output o
done

# SIGKILL while an output is being written: the temporary had no name.
rm -rf o
rc=0
KILN_TEST_SIGNAL=fs.ext4:KILL "$KILN" build --outputpath o --loglevel 0 c.cfg 2>/dev/null || rc=$?
[ "$rc" = 137 ] || fail "SIGKILL: exit $rc"
[ -z "$(debris)" ] || fail "SIGKILL left: $(debris)"

# SIGKILL during an exec-post: the backup of the previous output (a
# named hard link) stays behind, unlocked; the next build removes it.
cat > k.cfg <<'CFG'
image k.img {
  hdimage { }
  partition a { image = "data.bin" }
  exec-post = "touch ready; read x < gate"
}
CFG
sed 's/exec-post.*//' k.cfg > k2.cfg
"$KILN" build --outputpath k --no-bmap k2.cfg 2>/dev/null
rm -f ready
"$KILN" build --outputpath k --no-bmap k.cfg 2>/dev/null &
pid=$!
wait_for ready
[ -n "$(find k -name '.k.img.kiln-*')" ] || fail "no backup while the hook runs"
# A second kiln building the same output leaves the running one's
# backup alone (its lock is held).
"$KILN" build --outputpath k --no-bmap k2.cfg 2>/dev/null
[ -n "$(find k -name '.k.img.kiln-*')" ] || fail "a concurrent kiln removed a running kiln's backup"
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
echo > gate & # release the orphaned hook
wait $! 2>/dev/null || true
[ -n "$(find k -name '.k.img.kiln-*')" ] || fail "SIGKILL: expected the stale backup"
"$KILN" build --outputpath k --no-bmap k2.cfg 2>/dev/null
[ -z "$(find k -name '.k.img.kiln-*')" ] || fail "stale backup not removed by the next build"

# Named temporaries (a filesystem without O_TMPFILE; here forced with the
# test-only KILN_TEST_NO_TMPFILE=1, and on a real FAT mount where one can
# be made): interrupted runs remove them and the spill file; a stale one
# is removed by the next build, one held by a live process is kept.
named_checks() { # DIR
	local f=$1
	rc=0
	KILN_TEST_SIGNAL=fs.ext4:INT "$KILN" build --outputpath $f/o --tmppath $f/tmp \
		--loglevel 0 c.cfg 2>err || rc=$?
	interrupted 130 SIGINT "writing $f/o/fs.ext4"
	rc=0
	KILN_TEST_SIGNAL=plan:HUP "$KILN" build --outputpath $f/o --tmppath $f/tmp \
		--loglevel 0 c.cfg 2>err || rc=$?
	interrupted 129 SIGHUP "planning c.cfg"
	"$KILN" build --outputpath $f/o --tmppath $f/tmp c.cfg 2>/dev/null
	before=$(sha256sum < $f/o/d.img)
	rc=0
	KILN_TEST_SIGNAL=d.img:TERM "$KILN" build --outputpath $f/o --tmppath $f/tmp \
		--loglevel 0 c.cfg 2>err || rc=$?
	interrupted 143 SIGTERM "writing $f/o/d.img"
	[ "$(sha256sum < $f/o/d.img)" = "$before" ] || fail "$f: previous d.img not restored"
	# SIGKILL while writing leaves the named temporary and the spill file.
	rc=0
	KILN_TEST_SIGNAL=fs.ext4:KILL "$KILN" build --outputpath $f/o --tmppath $f/tmp c.cfg \
		2>/dev/null || rc=$?
	[ "$rc" = 137 ] || fail "$f: SIGKILL: exit $rc"
	[ -n "$(find $f -name '.fs.ext4.kiln-*')" ] || fail "$f: SIGKILL left no named temporary?"
	[ -n "$(find $f -name 'kiln-spill.*')" ] || fail "$f: SIGKILL left no spill file?"
	# Stale (nobody holds it) vs held by a live process.
	printf junk > $f/o/.a.bin.kiln-BBBBBB
	rm -f held
	flock $f/o/.a.bin.kiln-BBBBBB sh -c 'touch held; read x < gate' &
	holder=$!
	wait_for held
	"$KILN" build --outputpath $f/o --tmppath $f/tmp c.cfg 2>/dev/null
	[ -z "$(find $f -name '.fs.ext4.kiln-*')" ] || fail "$f: stale named temporary not removed"
	[ -z "$(find $f -name 'kiln-spill.*')" ] || fail "$f: stale spill file not removed"
	[ -e $f/o/.a.bin.kiln-BBBBBB ] || fail "$f: a held temporary was removed"
	echo > gate
	wait "$holder" || true
	rm -f $f/o/.a.bin.kiln-BBBBBB
	[ -z "$(debris)" ] || fail "$f: left behind: $(debris)"
}
mkdir named
KILN_TEST_NO_TMPFILE=1 named_checks named
if [ "$(id -u)" = 0 ] && command -v mkfs.vfat >/dev/null; then
	truncate -s 64M fat.img
	mkfs.vfat fat.img >/dev/null
	mkdir fat
	if mount -o loop fat.img fat 2>/dev/null; then
		trap 'umount "$T/fat" 2>/dev/null; rm -rf "$T"' EXIT
		named_checks fat
		umount fat
		trap 'rm -rf "$T"' EXIT
	else
		echo "note: no FAT mount here; named temporaries checked with KILN_TEST_NO_TMPFILE only"
	fi
fi
echo "signals: ok ($n fresh points)"
