# A cold build does not fsync once per input file: the stat index (one
# file, written back when the store closes) only saves re-hashing and is
# not fsynced, while images and blobs still are. The index
# still works: a second build's key reads no input file's bytes again.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/store/store.inc"
need strace python3
many_files
ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=fsync,fdatasync -o cold.txt \
	"$KILN" build --outputpath out --tmppath tmp r.cfg >cold.log 2>&1 || { cat cold.log; fail "cold build"; }
n=$(grep -c 'fsync(' cold.txt || true)
[ "$n" -lt 100 ] || fail "a cold build of 1500 files made $n fsync calls"
[ "$n" -gt 0 ] || fail "a cold build made no fsync at all (the image must be durable)"
ASAN_OPTIONS=detect_leaks=0 strace -f -qq -y -e trace=read,pread64,mmap -o warm.txt \
	"$KILN" build --outputpath out2 --tmppath tmp r.cfg >warm.log 2>&1 || { cat warm.log; fail "warm build"; }
if grep -q 'src/d[0-9]*/f[0-9]*>' warm.txt; then
	grep 'src/d[0-9]*/f[0-9]*>' warm.txt | head -3
	fail "the warm build read input files again (stat index records lost?)"
fi
cmp out/r.ext4 out2/r.ext4 || fail "cold and warm images differ"
echo "fsyncs: ok ($n fsync calls)"
