# Kernel module selections are kept in the store: with the store warm, a
# rebuild of a tree with `modules = { ... }` (the Debian kernel package,
# which ships no modules.dep) neither decodes the .deb again nor reads
# every module's .modinfo from its decoded layer, and writes the bytes a build
# without the store writes. A corrupted selection record is warned
# about, resolved again and kept again; so is a record whose checksum
# holds but whose paths are not the layer's.
. "$KILN_TESTLIB"
need strace cpio python3
. "$KILN_SRC/tests/boot/lib-debs.inc"
KDEB=$(example_debs 'linux-image-[0-9.]+-[0-9]+-arm64') ||
	fail "the kernel package of examples/rpi3/kiln.lock: not in the lock, or kiln fetch failed"
cat >kiln.cfg <<EOF2
tree mods {
	layer {
		deb = "$KDEB"
		modules = { "ext4", "sdhci-iproc", "bcm2835", "virtio_blk", "virtio_mmio" }
	}
}
image initrd.cpio { cpio { } tree = mods }
EOF2
build() { # NAME [options]
	local n=$1
	shift
	"$KILN" build --loglevel 2 --tmppath "$n.tmp" --outputpath "$n" "$@" kiln.cfg \
		>"$n.log" 2>&1 || { cat "$n.log"; fail "build $n"; }
}
build nocache --no-cache
build cold
cmp nocache/initrd.cpio cold/initrd.cpio || fail "the cold build differs from --no-cache"

# The decoded modules layer is the store's largest blob (~300 MB).
read -r size blob < <(find "$KILN_CACHE/cas" -type f -printf '%s %p\n' | sort -rn | head -1)
[ "$size" -gt $((100 << 20)) ] ||
	fail "the decoded modules layer was not kept in the store (largest blob: $size bytes)"
# Bytes a traced build read from that blob, by any call (one trace file
# a thread: no call is split into "unfinished" and "resumed").
blob_reads() {
	awk -v b="<$blob>" 'index($0, b) && /read/ && $NF ~ /^[0-9]+$/ { s += $NF } END { print s + 0 }' \
		"$1".trace.*
}
warm() { # NAME
	ASAN_OPTIONS=detect_leaks=0 strace -ff -qq -y -e trace=read,pread64,preadv -o "$1.trace" \
		"$KILN" build --loglevel 2 --tmppath "$1.tmp" --outputpath "$1" kiln.cfg \
		>"$1.log" 2>&1 || { cat "$1.log"; fail "build $1"; }
	cmp nocache/initrd.cpio "$1/initrd.cpio" || fail "$1: the image differs from --no-cache"
}
# Reading the modules again reads about the whole layer again; the store's
# check of the blob reads it once, and the image's key hashes the few
# modules kept (once: then they are known by range), well under a quarter.
max=$((size + size / 4))
warm warm
! grep -q 'reading archive' warm.log || { cat warm.log; fail "a warm build decoded the .deb again"; }
got=$(blob_reads warm)
[ "$got" -le "$max" ] ||
	fail "a warm build read $got bytes of the $size-byte modules layer: its modules again"
# Right after the cold build that wrote it, the blob is not even checked
# again: the store recorded its hash as it named it, with its mtime set
# back past the racy-git margin (store.c, smudge()).
[ "$got" -le $((size / 4)) ] ||
	fail "the build right after the cold one read $got bytes of the $size-byte layer it had just written"

# Corrupt the selection record (the one holding kiln's modules.dep).
rec=$(grep -rl --null 'kernel/fs/ext4/ext4.ko:' "$KILN_CACHE/ac" | tr -d '\0')
[ -n "$rec" ] && [ "$(echo "$rec" | wc -l)" = 1 ] || fail "no single module selection record: $rec"
# The store trusts a blob whose stat data it recorded when it last hashed
# it (ctime included): a new ctime makes the next build read it whole again,
# so the reads counted below include one full check either way.
recheck_blob() { chmod u+w "$blob" && chmod u-w "$blob"; }
chmod u+w "$rec"
recheck_blob
printf 'X' | dd of="$rec" bs=1 seek=$(($(stat -c %s "$rec") - 1)) conv=notrunc status=none
warm bad
grep -q "store .*/${rec#"$KILN_CACHE/"}: record is corrupt or truncated; removed" bad.log ||
	{ cat bad.log; fail "the corrupt record was not warned about"; }
[ "$(blob_reads bad)" -gt "$max" ] || fail "the corrupt record was used, not resolved again"
[ -f "$rec" ] || fail "the selection was not kept again"
warm again
! grep -q corrupt again.log || { cat again.log; fail "the record kept again is bad"; }
[ "$(blob_reads again)" -le "$max" ] || fail "the selection kept again is not used"

# A well-formed record (checksum and all) naming a path the layer lacks.
chmod u+w "$rec"
python3 - "$rec" <<'PY'
import hashlib, struct, sys
p = sys.argv[1]
d = open(p, "rb").read()
payload = d[48:].replace(b"kernel/fs/ext4/ext4.ko", b"kernel/fs/ext4/EXT4.ko", 1)
open(p, "wb").write(d[:8] + struct.pack("<Q", len(payload)) + hashlib.sha256(payload).digest() + payload)
PY
recheck_blob
warm unfit
grep -q "module selection record in the build cache is malformed; resolving lib/modules/.* again" \
	unfit.log || { cat unfit.log; fail "a record that does not fit the tree was not warned about"; }
[ "$(blob_reads unfit)" -gt "$max" ] || fail "a record that does not fit the tree was used"
warm fixed
! grep -q malformed fixed.log || { cat fixed.log; fail "the record kept again does not fit"; }
[ "$(blob_reads fixed)" -le "$max" ] || fail "the selection kept again is not used"

# Nothing changed since the blob was last hashed (more than 3 s after it
# was written): a rebuild neither checks it again nor reads its modules.
warm quiet
[ "$(blob_reads quiet)" -le $((size / 4)) ] ||
	fail "a rebuild read $(blob_reads quiet) bytes of the unchanged $size-byte layer"
# ... and a byte flipped in it in place is still found, warned about, rebuilt.
chmod u+w "$blob"
printf 'Y' | dd of="$blob" bs=1 seek=$((size / 2)) conv=notrunc status=none
warm flipped
grep -q "content does not match its hash" flipped.log ||
	{ cat flipped.log; fail "a blob changed in place was not found out"; }
