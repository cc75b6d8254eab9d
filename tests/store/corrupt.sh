# A corrupted or truncated store entry is detected by its hash, reported
# as a warning naming it, removed and rebuilt; the build succeeds and its
# images are those of a build without the store. `kiln cache verify`
# finds the same damage (exit 1) and leaves a store that verifies clean.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/store/store.inc"
need python3 sha256sum
make_inputs input
write_configs
build ref a.cfg --no-cache
build cold a.cfg

flip() { # FILE OFFSET
	chmod u+w "$1"
	python3 - "$1" "$2" <<'PY'
import sys
with open(sys.argv[1], 'r+b') as f:
    f.seek(int(sys.argv[2])); b = f.read(1); f.seek(int(sys.argv[2]))
    f.write(bytes([b[0] ^ 0x40]))
PY
}
# The largest blob is the decoded root layer (3 MiB of random bytes):
# one flipped byte in the middle, then a truncation.
for how in flip truncate; do
	# (Finished images are larger: the layer is the largest blob under 6 MiB.)
	b=$(find "$KILN_CACHE/cas" -type f -size -6M -printf '%s %p\n' | sort -rn | head -1 | cut -d' ' -f2)
	[ "$(stat -c %s "$b")" -gt 3000000 ] || fail "no decoded layer in the store"
	if [ $how = flip ]; then
		flip "$b" $(( $(stat -c %s "$b") / 2 ))
	else
		chmod u+w "$b"
		truncate -s $(( $(stat -c %s "$b") - 1000 )) "$b"
	fi
	build $how a.cfg
	grep -q "warning: store .*$(basename "$b"): content does not match its hash" $how.log ||
		{ cat $how.log; fail "$how: no warning for $(basename "$b")"; }
	[ "$(sums ref)" = "$(sums $how)" ] || fail "$how: build over a damaged store differs"
	grep -q 'rootfs.tar.xz: reading archive' $how.log || fail "$how: layer not decoded again"
	# Rebuilt whole.
	[ -f "$b" ] || fail "$how: $(basename "$b") was not rebuilt"
	[ "$(sha256sum <"$b" | cut -d' ' -f1)" = "$(basename "$b")" ] || fail "$how: $b rebuilt wrong"
done
build warm a.cfg
! grep -q 'warning' warm.log || { cat warm.log; fail "warm build after repair warned"; }
! grep -q 'reading archive' warm.log || fail "warm build after repair decompressed"
[ "$(sums ref)" = "$(sums warm)" ] || fail "warm build after repair differs"

# A damaged action record (the name → blob map) is caught the same way.
rec=$(find "$KILN_CACHE/ac" -type f -size -200c | head -1)
[ -n "$rec" ] || fail "no action record"
flip "$rec" $(( $(stat -c %s "$rec") - 1 ))
expect_fail 1 "bad entr" "$KILN" cache verify
grep -q "record is corrupt or truncated; removed" "$T/.err" || { cat "$T/.err"; fail "verify: no warning"; }
grep -q "^1 bad entry removed" "$T/.out" || { cat "$T/.out"; fail "verify: count"; }
[ ! -e "$rec" ] || fail "verify left the bad record"
flip "$b" 10
expect_fail 1 "bad entr" "$KILN" cache verify
[ ! -e "$b" ] || fail "verify left the bad blob"
"$KILN" cache verify >v.out 2>&1 || { cat v.out; fail "store not clean after verify"; }
grep -q "^0 bad entries removed" v.out || fail "verify output: $(cat v.out)"
build final a.cfg
[ "$(sums ref)" = "$(sums final)" ] || fail "build after verify differs"
echo "corrupt: ok"
