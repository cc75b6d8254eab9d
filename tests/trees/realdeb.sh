# A real Debian package (from the local apt cache; skipped when there is
# none): `kiln ls` of a deb layer equals dpkg-deb's own view of the
# data.tar (paths, types, modes, owners, sizes, link targets).
. "$KILN_TESTLIB"
need python3 dpkg-deb
deb=
for f in /var/cache/apt/archives/*.deb; do
	[ -f "$f" ] || continue
	s=$(stat -c %s "$f")
	# Small but not trivial; prefer one with symlinks or hard links.
	if [ "$s" -gt 20000 ] && [ "$s" -lt 3000000 ]; then deb=$f; break; fi
done
[ -n "$deb" ] || skip "no Debian package in /var/cache/apt/archives (needs a prior apt-get install)"
echo "using $deb"
mkdir input
cp "$deb" input/pkg.deb
cat >kiln.cfg <<'CFG'
tree t { layer { deb = "pkg.deb" } }
image x.cpio { cpio { } tree = t }
CFG
"$KILN" ls --inputpath input --tmppath tmp kiln.cfg x.cpio >ls.txt || fail "kiln ls"
dpkg-deb --fsys-tarfile input/pkg.deb >data.tar
python3 - data.tar >want.txt <<'PY'
import sys, tarfile
seen = {}
for m in tarfile.open(sys.argv[1]):
    p = '/' + m.name.lstrip('./').rstrip('/') if m.name.strip('./') else '/'
    if m.isdir(): t, size, tgt = 'd', 0, '-'
    elif m.issym(): t, size, tgt = 'l', len(m.linkname), m.linkname
    elif m.islnk(): t, size, tgt = 'h', seen[m.linkname.lstrip('./')], '/' + m.linkname.lstrip('./')
    else: t, size, tgt = '-', m.size, '-'
    if m.isreg(): seen[m.name.lstrip('./')] = m.size
    if p == '/': continue
    print(f"{t}\t{m.mode & 0o7777:04o}\t{m.uid}:{m.gid}\t{size}\t{p}\t{tgt}")
PY
awk -F'\t' '$6 != "/" { print $1 "\t" $2 "\t" $3 "\t" $4 "\t" $6 "\t" $7 }' ls.txt | sort >got.txt
sort want.txt >want.sorted
diff want.sorted got.txt >diff.txt || { head -20 diff.txt; fail "kiln ls differs from dpkg-deb"; }
[ "$(wc -l <got.txt)" -gt 3 ] || fail "too few entries"
echo "$(wc -l <got.txt) entries match"
