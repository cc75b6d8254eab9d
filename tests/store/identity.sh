# A build from the store is byte-identical to a cold one: cold, warm and
# --no-cache builds give the same sha256 for every image, on two configs
# sharing one store and on the Raspberry Pi example (real .debs). The
# warm builds decompress nothing: every archive layer comes from the
# store (--loglevel 2 notes), including for the second config, which
# reads the same archives through other trees, and the example's FIT
# takes its gzip'd kernel from the store.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/store/store.inc"
need python3 sha256sum
make_inputs input
write_configs

build cold a.cfg
build warm a.cfg
build nocache a.cfg --no-cache
[ "$(ls cold | wc -l)" -ge 3 ] || fail "cold build wrote $(ls cold)"
[ "$(sums cold)" = "$(sums warm)" ] || fail "warm build differs from the cold one"
[ "$(sums cold)" = "$(sums nocache)" ] || fail "--no-cache build differs from the cold one"

grep -q 'rootfs.tar.xz: reading archive' cold.log || { cat cold.log; fail "cold build did not read"; }
grep -q 'decoded layer kept in the build cache' cold.log || { cat cold.log; fail "nothing stored"; }
! grep -q 'reading archive' warm.log || { cat warm.log; fail "warm build decompressed an archive"; }
n=$(grep -c 'decoded layer from the cache' warm.log || true)
[ "$n" -ge 4 ] || { cat warm.log; fail "warm build: $n layers from the cache, expected 4"; }
! grep -q 'build cache\|from the cache' nocache.log || { cat nocache.log; fail "--no-cache build used the cache"; }
! grep -q 'warning' warm.log || { cat warm.log; fail "warm build warned"; }

# Another config over the same archives: its layers' (archive, filters)
# were decoded by a.cfg's build.
build b-warm b.cfg
build b-nocache b.cfg --no-cache
[ "$(sums b-warm)" = "$(sums b-nocache)" ] || fail "b.cfg: warm build differs from --no-cache"
! grep -q 'reading archive' b-warm.log || { cat b-warm.log; fail "b.cfg decompressed again"; }

# KILN_CACHE=off is --no-cache: nothing created.
KILN_CACHE=off build off a.cfg
[ "$(sums cold)" = "$(sums off)" ] || fail "KILN_CACHE=off build differs"
! grep -q 'from the cache' off.log || fail "KILN_CACHE=off used the cache"

# The example (kernel, firmware and busybox .debs; FIT, FAT, ext4, MBR).
# Its packages come from the suite's store (tests/boot/lib-debs.inc), copied
# into this test's own store so that cold means cold for the layers.
. "$KILN_SRC/tests/boot/lib-debs.inc"
example_fetch || { echo "the example's packages cannot be fetched: example part skipped"; exit 0; }
seed() { # STORE: the example's packages alone (package layers need a store)
	for sha in $(awk '$1 == "package" { print $7 }' "$EX/kiln.lock" | sort -u); do
		mkdir -p "$1/cas/$(printf %.2s "$sha")"
		cp "$EXSTORE/cas/$(printf %.2s "$sha")/$sha" "$1/cas/$(printf %.2s "$sha")/" ||
			fail "copying $sha from $EXSTORE"
	done
}
seed "$T/excache"
seed "$T/excache2"
export KILN_TOKEN=store-test KILN_ENVTOKEN=store-test
ex() { # NAME [options]
	local name=$1
	shift
	(cd "$KILN_SRC/examples/rpi3" && "$KILN" build --loglevel 2 --outputpath "$T/$name" \
		--tmppath "$T/$name.tmp" --cache "$T/excache" "$@" kiln.cfg) >"$name.log" 2>&1 ||
		{ cat "$name.log" >&2; fail "example build $name"; }
}
ex ex-cold
ex ex-warm
ex ex-nocache --cache "$T/excache2" # a store with the packages only: no decoded layer
[ "$(sums ex-cold)" = "$(sums ex-warm)" ] || fail "example: warm build differs from the cold one"
[ "$(sums ex-cold)" = "$(sums ex-nocache)" ] || fail "example: a second cold build differs"
grep -q 'linux-image-[0-9][^ ]*-arm64 .*reading archive' ex-cold.log || fail "example: cold build did not read the kernel"
# Not checked here: package layers (the example's) are composed from the
# store's .deb blobs without the decoded-layer cache, so a warm build still
# decodes every package (known gap, see the example branch's report).
# The gzip'd kernel in the FIT is a derived blob: compressed once.
! grep -q "gzip'd payload .* from the build cache" ex-cold.log || fail "example: cold build hit a gzip entry"
grep -q "gzip'd payload .* from the build cache" ex-warm.log || { cat ex-warm.log; fail "example: kernel gzip'd again"; }
echo "identity: ok"
