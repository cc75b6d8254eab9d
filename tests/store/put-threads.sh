# With -j > 1 an image is copied into the store on a thread of its own
# while the build goes on (plan/image-cache.c, image_cache_settle): the
# next partition, the next image, the output's fsync. Whatever -j, the
# outputs and the store's blobs are the same; a disk whose partitions
# were kept that way is a hit next time (its pieces are their blobs).
# A build that fails after some images were written still keeps those
# (their bytes are whole) while its outputs are removed, and leaves no
# temporary in the store; the next build takes them from the store.
. "$KILN_TESTLIB"
need python3 sfdisk e2fsck
. "$KILN_SRC/tests/store/store.inc"
in_place_disk 11 40 60000 <<'C'
image data.ext4 { ext4 { label = "data" } srcpath = "root" size = 8M }
image data2.ext4 { ext4 { label = "data2" } srcpath = "root" size = 8M }
C
# The same, and then an image whose hook fails: the build fails after
# every other image was written and handed to a thread.
cp d.cfg f.cfg
echo 'image late.ext4 { ext4 { } srcpath = "boot" size = 4M exec-post = "exit 3" }' >>f.cfg
build() {
	local n=$1 cfg=$2
	shift 2
	"$KILN" build --explain --outputpath "out-$n" --tmppath "tmp-$n" "$@" "$cfg" >"$n.log" 2>&1
}
blobs() { (cd "$1" && find img cas -type f | sort); }
build j1 d.cfg --cache s1 -j 1 || { cat j1.log; fail "build -j 1"; }
build j4 d.cfg --cache s4 -j 4 || { cat j4.log; fail "build -j 4"; }
for f in disk.img data.ext4 data2.ext4; do
	cmp "out-j1/$f" "out-j4/$f" || fail "$f differs between -j 1 and -j 4"
done
[ "$(blobs s1)" = "$(blobs s4)" ] || { blobs s1; blobs s4; fail "the stores' blobs differ between -j 1 and -j 4"; }
[ "$(blobs s4 | grep -c '^img/')" -ge 4 ] || { blobs s4; fail "images not kept (-j 4)"; }
[ -z "$(ls s4/tmp)" ] || fail "temporaries left in the store: $(ls s4/tmp)"
sfdisk -V out-j4/disk.img | grep -q 'No errors' || fail "sfdisk -V"

# Warm: every image from the store, the same bytes.
build warm d.cfg --cache s4 -j 4 || { cat warm.log; fail "warm build"; }
for f in disk.img data.ext4 data2.ext4; do
	grep -q "$f: from the build cache" warm.log || { cat warm.log; fail "$f was not a hit"; }
	cmp "out-j1/$f" "out-warm/$f" || fail "$f from the store differs"
done

# A failed build: exit 1, its outputs removed, its images kept whole.
if build fail f.cfg --cache s5 -j 4; then
	cat fail.log
	fail "a build whose hook exits 3 succeeded"
fi
grep -q "late.ext4" fail.log || { cat fail.log; fail "the error does not name the image"; }
[ -z "$(ls -A out-fail 2>/dev/null)" ] || fail "outputs of the failed build left: $(ls -A out-fail)"
[ -z "$(ls s5/tmp)" ] || fail "temporaries left in the store after a failed build: $(ls s5/tmp)"
build after d.cfg --cache s5 -j 4 || { cat after.log; fail "build after the failed one"; }
for f in disk.img data.ext4 data2.ext4; do
	grep -q "$f: from the build cache" after.log || { cat fail.log after.log; fail "$f of the failed build was not kept"; }
	cmp "out-j1/$f" "out-after/$f" || fail "$f kept by the failed build differs"
done
e2fsck -fn out-after/data.ext4 >/dev/null 2>&1 || fail "e2fsck -fn data.ext4"
# A hook may write an earlier output while that image is being kept: a
# disk's exec-pre writes near the end of big.ext4 (64 MiB of data, still
# being copied and hashed on its thread when the hook starts). Images on
# threads are taken into the store before any hook runs, so the store
# keeps what kiln wrote, not what the hook made of it.
mkdir big
head -c $((64 << 20)) /dev/urandom >big/blob
cat >h.cfg <<'C'
image big.ext4 { ext4 { } srcpath = "big" size = 80M }
image late.img {
	hdimage { }
	partition p { partition-type = 0x83 image = "big.ext4" }
	exec-pre = "head -c 1000000 /dev/urandom | dd of=\"$OUTPUTPATH/big.ext4\" bs=1000000 seek=78 conv=notrunc status=none"
}
C
# The same without the hook (big.ext4's key includes its place in late.img).
grep -v exec-pre h.cfg >b.cfg
build hook h.cfg --cache s6 -j 4 || { cat hook.log; fail "build with a hook writing big.ext4"; }
build pristine b.cfg --no-cache
cmp -s out-pristine/big.ext4 out-hook/big.ext4 && fail "the hook did not change big.ext4"
build after-hook b.cfg --cache s6 -j 4 || { cat after-hook.log; fail "build after the hook"; }
grep -q "big.ext4: from the build cache" after-hook.log || { cat after-hook.log; fail "big.ext4 was not a hit"; }
cmp out-pristine/big.ext4 out-after-hook/big.ext4 || fail "the store kept big.ext4 as the hook left it"
echo "put-threads: ok"
