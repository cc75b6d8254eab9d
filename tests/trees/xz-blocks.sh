# xz archives (a .tar.xz layer, a .deb's data.tar.xz) are decoded by
# liblzma's multithreaded decoder (fs/xz-read.c): a stream in several
# blocks (xz -T2 --block-size) and a single-block one give the tree of the
# plain tar, byte for byte in the built image; with -j 2 the several-block
# stream is decoded by two threads of its own, with -j 1 by none; a
# truncated or corrupt several-block stream is one error naming the file.
. "$KILN_TESTLIB"
need python3 tar xz ar strace cpio
mkdir -p src/d in
python3 - <<'PY'
import random
r = random.Random(12)
for i in range(6):
    # Half random, half runs: ~1.2 MB of xz input per file.
    open('src/f%d' % i, 'wb').write(bytes(r.getrandbits(8) if j % 2 else 65 for j in range(400000)))
PY
ln -s ../f0 src/d/l
tar -C src --sort=name --mtime=@1600000000 --numeric-owner --owner=12 --group=34 -cf plain.tar .
xz -T1 -c plain.tar >one.tar.xz
xz -T2 --block-size=128KiB -c plain.tar >multi.tar.xz
blocks() { xz -lv "$1" | awk '$1 == "Blocks:" { print $2; exit }'; }
[ "$(blocks one.tar.xz)" = 1 ] || fail "one.tar.xz: $(blocks one.tar.xz) blocks"
[ "$(blocks multi.tar.xz)" -ge 10 ] || fail "multi.tar.xz: $(blocks multi.tar.xz) blocks"
# Debian packages around each: ar of debian-binary, control, data.
printf '2.0\n' >debian-binary
mkdir ctl && printf 'Package: t\n' >ctl/control
tar -C ctl -cJf control.tar.xz .
for z in one multi; do
	cp $z.tar.xz data.tar.xz
	ar rcD $z.deb debian-binary control.tar.xz data.tar.xz
done

# build NAME KIND FILE [kiln options]: image x.cpio of a tree with FILE
# as its one layer (KIND archive or deb), into out-NAME.
build() {
	local name=$1 kind=$2 file=$3
	shift 3
	cp "$file" "in/$name"
	cat >"$name.cfg" <<CFG
tree t { layer { $kind = "$name" dest = "/opt" } }
image x.cpio { cpio { } tree = t }
CFG
	rm -rf "out-$name"
	"$KILN" build --no-cache --inputpath in --tmppath tmp --outputpath "out-$name" "$@" \
		"$name.cfg" >"$name.log" 2>&1
}
build plain archive plain.tar || { cat plain.log; fail "plain.tar: build"; }
want=$(sha256sum <out-plain/x.cpio)
for t in "one archive one.tar.xz" "multi archive multi.tar.xz" "onedeb deb one.deb" \
	"multideb deb multi.deb"; do
	set -- $t
	for j in 1 2; do
		build "$1" "$2" "$3" -j $j || { cat "$1.log"; fail "$3 -j $j: build"; }
		[ "$(sha256sum <"out-$1/x.cpio")" = "$want" ] || fail "$3 -j $j: image differs from the plain tar's"
	done
done
rm -rf x && mkdir x && (cd x && cpio -id --quiet <../out-multideb/x.cpio)
for i in 0 1 2 3 4 5; do
	cmp -s "src/f$i" "x/opt/f$i" || fail "multi.deb: f$i differs from its source"
done
[ "$(readlink x/opt/d/l)" = ../f0 ] || fail "multi.deb: d/l"

# Threads started by `kiln plan` (which composes the tree and writes
# nothing: no writer thread); strace pads the pid column.
# (LeakSanitizer cannot run under ptrace.)
threads() {
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -qq -e trace=clone,clone3 -o "st-$1-$2" "$KILN" plan --no-cache -j "$2" \
		--inputpath in --tmppath tmp --outputpath "out-$1" "$1.cfg" >"st-$1.log" 2>&1 ||
		{ cat "st-$1.log" >&2; fail "$1: kiln plan under strace"; }
	grep -c '^[0-9]* *clone' "st-$1-$2" || true
}
for j in 1 2; do
	for n in plain one onedeb; do
		c=$(threads $n $j)
		[ "$c" = 0 ] || fail "$n -j $j: $c threads started, want none (single block)"
	done
	for n in multi multideb; do
		c=$(threads $n $j)
		want=$((j == 1 ? 0 : 2))
		[ "$c" = $want ] || fail "$n -j $j: $c threads started, want $want decoder threads"
	done
done

# Truncated and corrupt several-block streams: one error line naming the
# file, exit 1, no image. The corrupt byte is in the middle of the stream
# (a later block: earlier ones decode fine).
size=$(stat -c %s multi.tar.xz)
head -c $((size * 2 / 3)) multi.tar.xz >trunc.tar.xz
cp multi.tar.xz corrupt.tar.xz
printf '\x55' | dd of=corrupt.tar.xz bs=1 seek=$((size / 2)) conv=notrunc status=none
cp trunc.tar.xz data.tar.xz
ar rcD trunc.deb debian-binary control.tar.xz data.tar.xz
for t in "trunc archive trunc.tar.xz truncated" "corrupt archive corrupt.tar.xz corrupt" \
	"truncdeb deb trunc.deb truncated"; do
	set -- $t
	rc=0
	build "$1" "$2" "$3" -j 2 || rc=$?
	[ "$rc" = 1 ] || { cat "$1.log"; fail "$3: exit $rc, want 1"; }
	[ "$(grep -c . "$1.log")" = 1 ] || { cat "$1.log"; fail "$3: not one line"; }
	grep -q "in/$1.*xz: compressed data is $4" "$1.log" || { cat "$1.log"; fail "$3: message"; }
	[ ! -e "out-$1/x.cpio" ] || fail "$3: image left behind"
	echo "$3: $(cat "$1.log")"
done
