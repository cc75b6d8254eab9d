# ubi: kiln's image is byte for byte what ubinize writes from the ini
# genimage would write (same volumes, same geometry, -Q with kiln's
# image_seq), for NAND and NOR geometries, given and default VID header
# offsets and sub-pages, dynamic, static (read-only), autoresize, size-only
# and multi-LEB volumes, -e; the image_seq follows
# docs/reproducibility.md; two builds in other directories and umasks
# are identical; a changed flash section is not served from the build
# cache.
. "$KILN_TESTLIB"
need ubinize python3 cmp od
mkdir -p input
head -c 40000 /dev/urandom >input/a.img
head -c 100 /dev/urandom >input/b.img
head -c 15360 /dev/urandom >input/leb.img   # exactly one 512-byte-page LEB
head -c 300000 /dev/urandom >input/big.img

# flash NAME PEB MINIO VIDOFFS SUBPAGE (-: unset)
flash() {
	printf 'flash %s {\n\tpebsize = %s\n\tnumpebs = 4096\n\tminimum-io-unit-size = %s\n' "$1" "$2" "$3"
	[ "$4" != - ] && printf '\tvid-header-offset = %s\n' "$4"
	[ "$5" != - ] && printf '\tsub-page-size = %s\n' "$5"
	printf '}\n'
}
# vol NAME ID SIZE TYPE IMAGE FLAGS: one ubinize.ini section, as genimage writes it
vol() {
	printf '[%s]\nmode=ubi\n' "$1"
	[ -n "${5:-}" ] && printf 'image=input/%s\n' "$5"
	printf 'vol_id=%s\nvol_size=%s\nvol_type=%s\nvol_name=%s\n' "$2" "$3" "$4" "$1"
	[ -n "${6:-}" ] && printf 'vol_flags=%s\n' "$6"
	printf 'vol_alignment=1\n'
}
seq_of() { od -An -tu4 --endian=big -j24 -N4 "$1" | tr -d ' '; }

# case NAME "ubinize geometry args" FLASH-ARGS EXTRAARGS
check() {
	local name=$1 geo=$2 extra=$4 seq
	flash fl $3 >"$name.cfg"
	cat >>"$name.cfg" <<C
image $name.ubi {
	ubi { extraargs = "$extra" }
	partition one { image = "a.img" }
	partition two { image = "b.img" autoresize = true size = 100000 }
	partition three { image = "big.img" read-only = true }
	partition four { size = 30000 }
	partition six { image = "leb.img" read-only = true }
	flashtype = "fl"
}
C
	"$KILN" build --inputpath input --tmppath tmp --outputpath out "$name.cfg" >/dev/null 2>"$name.err" ||
		{ cat "$name.err"; fail "$name: kiln build"; }
	{
		vol one 0 40000 dynamic a.img
		vol two 1 100000 dynamic b.img autoresize
		vol three 2 300000 static big.img
		vol four 3 30000 dynamic
		vol six 4 15360 static leb.img
	} >"$name.ini"
	seq=$(seq_of "out/$name.ubi")
	# shellcheck disable=SC2086 # geometry arguments
	ubinize $geo $extra -Q "$seq" -o "$name.ref" "$name.ini" >/dev/null 2>&1 ||
		fail "$name: ubinize refused the ini"
	cmp "out/$name.ubi" "$name.ref" || fail "$name: kiln and ubinize differ"
	echo "$name: identical to ubinize ($(stat -c %s "$name.ref") bytes, image_seq $seq)"
}

check nand512 "-p 16384 -m 512 -s 512 -O 512" "16384 512 512 512" ""
check nor "-p 131072 -m 1 -s 1 -O 64" "128K 1 64 1" ""
check nand2k "-p 131072 -m 2048 -s 512" "128K 2048 - 512" "-e 7"
check nand2k-full "-p 131072 -m 2048" "128K 2048 - -" "-x 1"
check nand4k "-p 262144 -m 4096 -O 4096" "256K 4096 4096 -" ""

# The build cache: the flash section is not the image's section, yet it
# decides the bytes. Another VID header offset and sub-page for the same
# image (same data offset, so the same size and layout) must not come
# from the store.
"$KILN" build --inputpath input --tmppath tmp --outputpath out nand512.cfg >/dev/null
sed 's/vid-header-offset = 512/vid-header-offset = 768/; s/sub-page-size = 512/sub-page-size = 256/' \
	nand512.cfg >cache.cfg
"$KILN" build --inputpath input --tmppath tmp --outputpath cached cache.cfg >/dev/null
ubinize -p 16384 -m 512 -s 256 -O 768 -Q "$(seq_of cached/nand512.ubi)" -o cache.ref nand512.ini \
	>/dev/null 2>&1 || fail "ubinize (VID header at 768)"
cmp cached/nand512.ubi cache.ref || fail "a changed flash section gave the cached image"

# -Q in extraargs is the image_seq; without it, the documented id.
cp nand512.cfg q.cfg
sed -i 's/extraargs = ""/extraargs = "-Q 12345"/; s/nand512.ubi/q.ubi/' q.cfg
"$KILN" build --inputpath input --tmppath tmp --outputpath out q.cfg >/dev/null
[ "$(seq_of out/q.ubi)" = 12345 ] || fail "-Q 12345 not honoured ($(seq_of out/q.ubi))"
want=$(python3 -c '
import hashlib, hmac, struct
k = hashlib.sha256(b"kiln-image:nand512.ubi").digest()
print(struct.unpack(">I", hmac.new(k, b"ubi-image-seq\0" + struct.pack(">I", 0), hashlib.sha256).digest()[:4])[0])')
[ "$(seq_of out/nand512.ubi)" = "$want" ] ||
	fail "image_seq $(seq_of out/nand512.ubi) is not the documented $want"

# Reproducible: another directory, another umask, same bytes.
mkdir -p other
cp -r input nand512.cfg other/
(cd other && umask 077 && "$KILN" build --inputpath input --tmppath tmp --outputpath out nand512.cfg >/dev/null)
cmp out/nand512.ubi other/out/nand512.ubi || fail "two builds differ"
echo "ubi twin: ok"
