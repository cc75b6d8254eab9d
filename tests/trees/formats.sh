# Every archive flavour a layer accepts: tar with gzip, bzip2, xz, lzma,
# zstd (detected from the bytes, whatever the name), and cpio (newc, odc)
# whose hard-link sets carry their data on the last member.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/trees/helpers.inc"
need python3 cpio tar
mkdir -p input src/d
printf 'payload\n' >src/f
ln src/f src/d/g
ln -s ../f src/d/l
chmod 600 src/f
(cd src && tar --numeric-owner --owner=12 --group=34 -cf ../input/plain.tar f d)
for z in gzip bzip2 xz lzma zstd; do
	command -v $z >/dev/null || continue
	$z -c input/plain.tar >input/t.$z
done
(cd src && printf 'f\nd\nd/g\nd/l\n' | cpio -o -H newc --quiet >../input/newc.cpio)
(cd src && printf 'f\nd\nd/g\nd/l\n' | cpio -o -H odc --quiet >../input/odc.cpio)
for a in plain.tar t.gzip t.bzip2 t.xz t.lzma t.zstd newc.cpio odc.cpio; do
	[ -f input/$a ] || continue
	cat >kiln.cfg <<CFG
tree t { layer { archive = "$a" dest = "/opt" } }
image x.cpio { cpio { } tree = t }
CFG
	"$KILN" ls --inputpath input --tmppath tmp kiln.cfg x.cpio >ls.txt 2>err.txt || { cat err.txt; fail "$a: ls"; }
	case $a in *.cpio) own=$(id -u):$(id -g) ;; *) own=12:34 ;; esac
	l=$(lsent ls.txt /opt/f)
	[ "$(cut -f1-4 <<<"$l")" = "$(printf -- '-\t0600\t%s\t8' "$own")" ] || fail "$a: /opt/f: $l"
	l=$(lsent ls.txt /opt/d/g)
	[ "$(cut -f1,7 <<<"$l")" = "$(printf 'h\t/opt/f')" ] && [ "$(cut -f4 <<<"$l")" = 8 ] || fail "$a: /opt/d/g: $l"
	expect_ls ls.txt /opt/d/l l 0777 "$own" 4 ../f
	"$KILN" build --inputpath input --tmppath tmp --outputpath out kiln.cfg >/dev/null 2>&1 || fail "$a: build"
	rm -rf x && mkdir x && (cd x && cpio -id --no-absolute-filenames <../out/x.cpio 2>/dev/null)
	[ "$(cat x/opt/d/g)" = payload ] && [ "$(cat x/opt/f)" = payload ] || fail "$a: content"
	echo "$a: ok"
done
