# bmaptool interop both ways, and kiln's map equals bmaptool's.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/flash/mkimg.inc"
need bmaptool cmp
make_sparse img 16
"$KILN" bmap img -o kiln.bmap
bmaptool create img -o tool.bmap 2>/dev/null
# Same blocks, same per-range checksums.
diff <(grep '<Range' kiln.bmap) <(grep '<Range' tool.bmap) || fail "ranges differ from bmaptool's"
bmaptool copy --bmap kiln.bmap img t1 2>err || { cat err; fail "bmaptool rejects kiln's bmap"; }
cmp img t1 || fail "bmaptool copy with kiln's bmap differs"
"$KILN" flash --bmap tool.bmap img t2 2>err || { cat err; fail "kiln rejects bmaptool's bmap"; }
cmp img t2 || fail "kiln flash with bmaptool's bmap differs"
# bmaptool verifies kiln's BmapFileChecksum: a tampered copy must fail there too.
sed 's/<ImageSize> /<ImageSize>  /' kiln.bmap > bad.bmap
bmaptool copy --bmap bad.bmap img t3 >/dev/null 2>&1 && fail "bmaptool accepted a tampered kiln bmap"
# kiln bmap to stdout equals the file; deterministic.
"$KILN" bmap img -o - > again.bmap
cmp kiln.bmap again.bmap || fail "kiln bmap is not deterministic"
expect_fail 1 'empty image' sh -c ': > empty; "$0" bmap empty' "$KILN"
expect_fail 2 'missing IMAGE' "$KILN" bmap
echo ok
