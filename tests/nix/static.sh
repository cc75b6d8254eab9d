# The static kiln (scripts/static.sh, -DKILN_STATIC=ON) is one
# self-contained executable, and it writes the same bytes as the dynamic
# build: examples/rpi3 (MBR, FAT32, ext4 from locked .debs, FIT, env, cpio) built
# by the static binary in a chroot holding only it and the inputs, against
# the dynamic kiln outside.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/nix/lib-nix.inc"
[ "$(id -u)" = 0 ] || skip "chroot needs root (uid $(id -u))"
need chroot ldd readelf strip
. "$KILN_SRC/tests/boot/lib-debs.inc"
example_fetch || fail "kiln fetch of the example's packages: $(cat "$T/fetch.log")"
static_kiln
CHROOT=$(command -v chroot)

ldd "$KS" >ldd.txt 2>&1 || true
grep -q 'not a dynamic executable' ldd.txt || { cat ldd.txt >&2; fail "$KS is not static (ldd)"; }
! readelf -lW "$KS" | grep -q INTERP || fail "$KS asks for a program interpreter"
! readelf -dW "$KS" 2>/dev/null | grep -q NEEDED || fail "$KS needs shared libraries"
strip -o kiln.stripped "$KS"
echo "static: $KS $(wc -c <"$KS") bytes, $(wc -c <kiln.stripped) stripped" >&2

# The chroot: the binary and the inputs, nothing else (no /etc, no /usr,
# no /proc, no NSS modules, no locale, no gconv).
R=$T/chroot
mkdir -p "$R/in" "$R/work"
cp kiln.stripped "$R/kiln"
cp -a "$KILN_SRC/examples/rpi3" "$R/in/ex"
# Package layers read the locked .debs from a store: one per build, each
# holding only them (as after `kiln fetch`).
for h in $(awk '$1 == "package" { print $7 }' "$EX/kiln.lock" | sort -u); do
	for s in static dynamic; do
		mkdir -p "$R/store-$s/cas/${h:0:2}"
		cp "$EXSTORE/cas/${h:0:2}/$h" "$R/store-$s/cas/${h:0:2}/"
	done
done
args=(build --config in/ex/kiln.cfg --inputpath in/ex --includepath in/ex --tmppath work/tmp)
env -i SOURCE_DATE_EPOCH=1577836800 \
	"$CHROOT" "$R" /kiln "${args[@]}" --cache store-static --outputpath work/static 2>static.err ||
	{ cat static.err >&2; fail "static kiln build in the chroot"; }
rm -rf "$R/work/tmp"
# The dynamic kiln on the same tree, from outside (same relative paths).
(cd "$R" && env -i SOURCE_DATE_EPOCH=1577836800 "PATH=$PATH" \
	"ASAN_OPTIONS=${ASAN_OPTIONS:-}" "UBSAN_OPTIONS=${UBSAN_OPTIONS:-}" \
	"$KILN" "${args[@]}" --cache store-dynamic --outputpath work/dynamic) 2>dynamic.err ||
	{ cat dynamic.err >&2; fail "dynamic kiln build"; }
[ -s "$R/work/static/rpi3.img" ] || fail "no rpi3.img from the static kiln"
(cd "$R/work/static" && find . | sort) >static.list
(cd "$R/work/dynamic" && find . | sort) >dynamic.list
diff -u dynamic.list static.list || fail "the static and dynamic builds wrote different files"
while read -r f; do
	[ -f "$R/work/static/$f" ] || continue
	cmp "$R/work/dynamic/$f" "$R/work/static/$f" || fail "$f: static and dynamic kiln differ"
done <static.list
sed "s|work/dynamic|work/static|g; s|store-dynamic|store-static|g" dynamic.err | diff -u - static.err || fail "static and dynamic kiln print different messages"
echo "static: rpi3.img $(sha256sum <"$R/work/static/rpi3.img" | cut -c1-16) from both builds" >&2
