# With -j N and the store, the archives of the used trees are decoded
# ahead by threads, at most PF_MAX_JOBS (128) of them, the largest
# (plan/trees-prefetch.c); composition decodes the rest as without -j.
# A tree of 131 archive layers: the image is the --no-cache build's and
# -j 1's, every layer is decoded once and kept in the store (past the
# cap too), and a warm build decodes none.
. "$KILN_TESTLIB"
need python3
mkdir input
python3 - <<'PY'
import io, tarfile
layers = []
for i in range(131):
    name = "l%03d.tar.gz" % i
    with tarfile.open("input/" + name, "w:gz") as t:
        # Sizes all differ, so "the largest" is one order.
        data = bytes([65 + i % 26]) * (100 * i + 7)
        ti = tarfile.TarInfo("./f/%03d" % i)
        ti.size, ti.mtime, ti.mode = len(data), 1600000000, 0o644
        t.addfile(ti, io.BytesIO(data))
        # The same path in every layer: the later layer wins, so the
        # order of composition shows in the image.
        ti = tarfile.TarInfo("./etc/last")
        last = b"layer %d\n" % i
        ti.size, ti.mtime, ti.mode = len(last), 1600000000, 0o644
        t.addfile(ti, io.BytesIO(last))
    layers.append('\tlayer { archive = "%s" conflicts = "replace" }' % name)
open("p.cfg", "w").write("tree t {\n%s\n}\nimage t.cpio { cpio { } tree = t }\n" % "\n".join(layers))
PY
build() {
	local n=$1
	shift
	"$KILN" build --loglevel 2 --inputpath input --outputpath "$n" --tmppath "$n.tmp" "$@" p.cfg \
		>"$n.log" 2>&1 || { cat "$n.log"; fail "build $n"; }
}
build ref --no-cache -j 1
build j1 -j 1 --cache s1
build cold -j 2 --cache s2
cmp ref/t.cpio j1/t.cpio || fail "-j 1 with the store differs from --no-cache"
cmp ref/t.cpio cold/t.cpio || fail "-j 2 (prefetch, 131 archives) differs from --no-cache"
reads=$(grep -c ': reading archive' cold.log || true)
[ "$reads" = 131 ] || { grep 'reading archive' cold.log | head; fail "cold: $reads archive reads, not 131"; }
kept=$(find s2/cas -type f | wc -l)
[ "$kept" -ge 131 ] || fail "cold: $kept blobs in the store for 131 layers"
build warm -j 2 --cache s2
cmp ref/t.cpio warm/t.cpio || fail "warm build differs"
! grep -q ': reading archive' warm.log || { grep 'reading archive' warm.log | head; fail "a warm build decoded an archive"; }
hits=$(grep -c 'decoded layer from the cache' warm.log || true)
[ "$hits" = 131 ] || fail "warm: $hits layers from the store, not 131"
echo "prefetch-cap: ok"
