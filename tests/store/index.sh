# The stat index is one file (STORE/index), not a record per input: a
# cold build of 1500 input files leaves O(1) files in the store's ac/;
# `kiln cache info` counts the index's entries, `verify` accepts it, and
# a torn index costs a re-hash (same image), never an error.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/store/store.inc"
need python3
many_files
"$KILN" build --outputpath out --tmppath tmp r.cfg >cold.log 2>&1 || { cat cold.log; fail "cold build"; }
n=$(find "$KILN_CACHE/ac" -type f | wc -l)
[ "$n" -lt 20 ] || fail "a cold build of 1500 files left $n files in the store's ac/"
[ -s "$KILN_CACHE/index" ] || fail "no stat index file in the store"
"$KILN" cache info >info.txt || fail "cache info"
e=$(sed -n 's/^index *\([0-9]*\) files$/\1/p' info.txt)
[ -n "$e" ] && [ "$e" -ge 1500 ] || { cat info.txt; fail "cache info: index has '$e' entries, want >= 1500"; }
"$KILN" cache verify >verify.txt || { cat verify.txt; fail "verify rejects the index"; }
# Torn (a crash while another process wrote it): ignored, rebuilt.
head -c 1000 "$KILN_CACHE/index" >torn && cat torn >"$KILN_CACHE/index"
"$KILN" build --outputpath out2 --tmppath tmp r.cfg >torn.log 2>&1 || { cat torn.log; fail "build with a torn index"; }
cmp out/r.ext4 out2/r.ext4 || fail "the build with a torn index made another image"
grep -q "index: stat index is corrupt or truncated; ignored" torn.log || { cat torn.log; fail "no warning for a torn index"; }
"$KILN" cache info >info2.txt || fail "cache info"
e=$(sed -n 's/^index *\([0-9]*\) files$/\1/p' info2.txt)
[ "$e" -ge 1500 ] || { cat info2.txt; fail "the torn index was not rewritten ($e entries)"; }
echo "index: ok ($n files in ac/, $e index entries)"
