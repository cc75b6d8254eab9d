# An archive layer composed many times in one build (several images, setup
# then generate, several trees on the same file) is decompressed once: the
# first read records the kept members, later compositions replay them.
# Proof: the --loglevel 2 notes count the reads; every image is
# byte-identical to a build with the cache off (KILN_ARCHIVE_NOCACHE=1,
# which re-reads the archive each time); cpio extracts the expected files;
# the tree-dependent checks (symlink parents, follow-symlinks, conflicts)
# still apply to the tree each replay lands in.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/trees/helpers.inc"
need python3 cpio sha256sum

mkdir input
make_tar input/a.tar.xz '[
 {"name": "./", "type": "d", "mode": "755"},
 {"name": "./etc/", "type": "d", "mode": "755"},
 {"name": "./etc/motd", "data": "from the archive\n", "mode": "644"},
 {"name": "./etc/shadow", "data": "root:*:1::::::\n", "mode": "640", "gid": 42},
 {"name": "./bin/", "type": "d", "mode": "755"},
 {"name": "./bin/busybox", "data": "BUSYBOX", "mode": "4755"},
 {"name": "./bin/ls", "type": "h", "link": "./bin/busybox"},
 {"name": "./bin/sh", "type": "l", "link": "busybox"},
 {"name": "./bin/ping", "data": "PING", "mode": "755", "xattr": {"user.kiln": "yes"}},
 {"name": "./dev/", "type": "d", "mode": "755"},
 {"name": "./dev/console", "type": "c", "major": 5, "minor": 1, "mode": "600"},
 {"name": "./dev/fifo", "type": "p", "mode": "600"},
 {"name": "./usr/", "type": "d", "mode": "755"},
 {"name": "./usr/lib/", "type": "d", "mode": "755"},
 {"name": "./usr/lib/libc.so", "data": "LIBC", "mode": "644"},
 {"name": "./usr/lib/libm.so", "type": "h", "link": "./usr/lib/libc.so"},
 {"name": "./usr/share/doc", "data": "DOC", "mode": "644", "uid": 7}
]'

cat >kiln.cfg <<'CFG'
tree whole { layer { archive = "a.tar.xz" } }
# Same file, other filters: recorded in the same read as `whole`.
tree part { layer { archive = "a.tar.xz" subdir = "usr" dest = "opt" } }
tree libs { layer { archive = "a.tar.xz" include = { "usr/lib/*" } follow-symlinks = true } }
tree etc { conflicts = replace layer { archive = "a.tar.xz" include = { "etc/*" } } }
# Trees composed before those above: the replay meets another tree.
tree usrmerge { mkdir /lib { } symlink /usr/lib { target = "/lib" } }
tree base { file /etc/motd { content = "base\n" } file /etc/issue { content = "kiln\n" } }
image whole.cpio { cpio { } tree = whole }
image both.cpio { cpio { } tree = { whole, part } }
image part.cpio { cpio { } tree = part }
image libs-merged.cpio { cpio { } tree = { usrmerge, libs } }
image libs.cpio { cpio { } tree = libs }
image etc.cpio { cpio { } tree = { base, etc } }
CFG

build() { # OUTDIR [env...]
	local out=$1
	shift
	env "$@" "$KILN" build --loglevel 2 --inputpath input --outputpath "$out" \
		--tmppath "$out.tmp" kiln.cfg >"$out.log" 2>&1 || { cat "$out.log"; fail "build $out"; }
}
build cached
build uncached KILN_ARCHIVE_NOCACHE=1

reads=$(grep -c 'a.tar.xz: reading archive' cached.log || true)
replays=$(grep -c 'a.tar.xz: replaying archive' cached.log || true)
[ "$reads" = 1 ] || { cat cached.log; fail "cached: archive read $reads times, expected once"; }
# 4 layers on the file, 6 images: every composition but the first replays.
[ "$replays" -ge 6 ] || { cat cached.log; fail "cached: only $replays replays"; }
grep -q 'a.tar.xz: recorded for 3 other layer(s) in the same read' cached.log ||
	{ cat cached.log; fail "cached: siblings not recorded in the first read"; }
nreads=$(grep -c 'a.tar.xz: reading archive' uncached.log || true)
[ "$nreads" -gt 6 ] || { cat uncached.log; fail "uncached: archive read only $nreads times"; }
! grep -q 'replaying archive' uncached.log || fail "uncached build replayed"

# Same bytes with and without the cache.
for f in whole both part libs-merged libs etc; do
	[ -s "cached/$f.cpio" ] || fail "cached/$f.cpio missing"
	a=$(sha256sum <"cached/$f.cpio") b=$(sha256sum <"uncached/$f.cpio")
	[ "$a" = "$b" ] || fail "$f.cpio differs between the cached and the uncached build"
done

# What cpio finds in them (extracted by GNU cpio, not by kiln).
x() { # IMAGE DIR
	mkdir "$2"
	(cd "$2" && cpio_extract "../cached/$1.cpio") ||
		fail "cpio cannot extract $1.cpio"
}
x whole whole
[ "$(cat whole/etc/motd)" = "from the archive" ] || fail "whole: /etc/motd"
[ "$(cat whole/bin/ls)" = BUSYBOX ] || fail "whole: /bin/ls (hard link) content"
[ "$(stat -c %i whole/bin/ls)" = "$(stat -c %i whole/bin/busybox)" ] || fail "whole: /bin/ls not a hard link"
[ "$(readlink whole/bin/sh)" = busybox ] || fail "whole: /bin/sh symlink"
[ "$(cat whole/usr/lib/libm.so)" = LIBC ] || fail "whole: libm.so"
cpio -tv --quiet <cached/whole.cpio >whole.lst
grep -Eq '^crw------- .* 5, +1 .* dev/console$' whole.lst || { cat whole.lst; fail "whole: /dev/console"; }
grep -Eq '^-rwsr-xr-x .* bin/busybox$' whole.lst || { cat whole.lst; fail "whole: setuid busybox"; }

x both both
[ "$(cat both/opt/lib/libc.so)" = LIBC ] && [ "$(cat both/opt/share/doc)" = DOC ] &&
	[ "$(cat both/bin/busybox)" = BUSYBOX ] || fail "both: whole + part"
x part part
[ "$(ls part)" = opt ] && [ "$(ls part/opt)" = "$(printf 'lib\nshare')" ] || fail "part: $(ls -R part)"

# follow-symlinks, resolved against the tree of each composition.
x libs-merged merged
[ -L merged/usr/lib ] && [ "$(cat merged/lib/libc.so)" = LIBC ] &&
	[ "$(stat -c %i merged/lib/libm.so)" = "$(stat -c %i merged/lib/libc.so)" ] ||
	fail "libs-merged: members not placed through /usr/lib -> /lib"
x libs libs
[ -d libs/usr/lib ] && [ ! -L libs/usr/lib ] && [ "$(cat libs/usr/lib/libm.so)" = LIBC ] ||
	fail "libs: members not in a real /usr/lib"

# conflicts = replace over another tree's file.
x etc etc
[ "$(cat etc/etc/motd)" = "from the archive" ] && [ "$(cat etc/etc/issue)" = kiln ] ||
	fail "etc: replace over base"

# Replays refuse what a read would: a member through a symlink planted by
# an earlier tree, and a conflict under conflicts = error. `good` composes
# the layer first (twice), so `bad` is a replay.
cat >bad.cfg <<'CFG'
tree etc { layer { archive = "a.tar.xz" include = { "etc/*" } } }
tree trap { symlink /etc { target = "/tmp" } }
tree dup { file /etc/motd { content = "dup\n" } }
image good.cpio { cpio { } tree = etc }
image bad.cpio { cpio { } tree = { trap, etc } }
CFG
for mode in 0 1; do
	KILN_ARCHIVE_NOCACHE=$mode expect_fail 1 'member "./etc/motd": parent "/etc" is a symlink' \
		"$KILN" build --loglevel 2 --inputpath input --outputpath bad$mode \
		--tmppath bad$mode.tmp bad.cfg
	cp "$T/.err" bad$mode.err
done
grep -q 'a.tar.xz: replaying archive' bad0.err || { cat bad0.err; fail "bad.cpio was not a replay"; }
sed -i 's/trap, etc/dup, etc/' bad.cfg
for mode in 0 1; do
	KILN_ARCHIVE_NOCACHE=$mode expect_fail 1 'etc/motd' \
		"$KILN" build --loglevel 2 --inputpath input --outputpath dup$mode \
		--tmppath dup$mode.tmp bad.cfg
	grep -q 'provided by both' "$T/.err" || { cat "$T/.err"; fail "dup: not a conflict"; }
done
exit 0
