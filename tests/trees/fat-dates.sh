# FAT holds dates 1980-01-01..2107-12-31: times outside are clamped with
# one warning per image and side, naming the image, an entry and its
# date; mtools reads the clamped dates back; fsck.fat is clean.
. "$KILN_TESTLIB"
need mdir fsck.fat
export SOURCE_DATE_EPOCH=6000000000        # 2160: nothing is clamped to it
mkdir -p src/far
echo a >src/far/x; echo b >src/far/y; echo c >src/old; echo d >src/mid
touch -d @5700000000 src/far/x src/far/y   # 2150-08-17 05:20:00 UTC
touch -d '1975-06-01 00:00:00 UTC' src/old
touch -d '2001-02-03 04:05:06 UTC' src/mid
touch -d '2001-02-03 04:05:06 UTC' src/far src
cat >k.cfg <<'CFG'
tree t { layer { dir = "src" } }
image one.vfat { vfat { } size = 4M tree = t }
image two.vfat { vfat { } size = 4M tree = t }
CFG
"$KILN" build --inputpath . --outputpath out --tmppath tmp k.cfg 2>err || { cat err; fail "build"; }
for img in one two; do
	n=$(grep -c "warning: image '$img.vfat': \"/far/x\" is dated 2150-08-17 05:20:00 UTC (2 entries out of range in all); FAT dates are 1980-01-01..2107-12-31, so they are stored as 2107-12-31 23:59:58" err || true)
	[ "$n" = 1 ] || { cat err; fail "$img: expected one warning for dates after 2107, got $n"; }
	n=$(grep -c "warning: image '$img.vfat': \"/old\" is dated 1975-06-01 00:00:00 UTC (1 entry out of range in all); .* stored as 1980-01-01 00:00:00" err || true)
	[ "$n" = 1 ] || { cat err; fail "$img: expected one warning for dates before 1980, got $n"; }
	fsck.fat -n "out/$img.vfat" >/dev/null || fail "$img: fsck.fat"
done
[ "$(grep -c warning err)" = 4 ] || { cat err; fail "more warnings than one per image and side"; }
MTOOLS_SKIP_CHECK=1 mdir -i out/one.vfat ::/far >far.txt
grep -Eq '^x +2 2107-12-31 +23:59' far.txt || { cat far.txt; fail "/far/x not stored as 2107-12-31"; }
MTOOLS_SKIP_CHECK=1 mdir -i out/one.vfat :: >root.txt
grep -Eq '^old +2 1980-01-01 +0:00' root.txt || { cat root.txt; fail "/old not stored as 1980-01-01"; }
grep -Eq '^mid +2 2001-02-03 +4:05' root.txt || { cat root.txt; fail "/mid changed"; }

# Within range: no warning at all.
rm -rf src/far src/old
touch -d '2001-02-03 04:05:06 UTC' src
"$KILN" build --inputpath . --outputpath out2 --tmppath tmp k.cfg 2>err || { cat err; fail "build (in range)"; }
grep -q warning err && { cat err; fail "a warning without out-of-range dates"; }
exit 0
