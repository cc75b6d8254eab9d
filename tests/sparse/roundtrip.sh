# android-sparse: simg2img expands every variant back to the input
# (holes, data, fill runs, a partial last block; block sizes 512..64k;
# fill-holes; add-crc with a CRC that matches); chunks are what the data
# says (holes DONT_CARE, repeated words FILL, no chunk after the blocks);
# an image kiln writes (ext4) converted after it is written; twins:
# img2simg expands to the same image, genimage 16 writes the same chunks
# and bytes (it always adds the CRC; it leaves stack bytes in a reserved
# field, zeroed before comparing); reproducible; kiln plan.
. "$KILN_TESTLIB"
need simg2img img2simg python3
chunks() { python3 "$KILN_SRC/tests/sparse/chunks.py" "$@"; }

mkdir -p input root
gen_input() {
python3 - "$1" <<'P'
import os, random, sys
os.chdir(sys.argv[1])
random.seed(7)
f = open('input/in.img', 'wb')
size = 10 * 1024 * 1024 + 1000           # a partial last block
f.truncate(size)
f.seek(0); f.write(random.randbytes(8192))
f.seek(1 << 20); f.write(b'\xab\xcd\xef\x01' * 2048)     # FILL 0x01efcdab
f.seek(2 << 20); f.write(random.randbytes(5000)); f.write(bytes(8192)); f.write(random.randbytes(100))
f.seek(3 << 20); f.write(b'\x11' * 4096 + b'\x22' * 4096 + b'\x11' * 4096)
f.seek(size - 1000); f.write(random.randbytes(1000))
P
}
gen_input .
echo hello > root/hello
size=$(stat -c %s input/in.img)

cat > k.cfg <<'C'
image a.simg { android-sparse { image = "in.img" } }
image b.simg { android-sparse { image = "in.img" fill-holes = true add-crc = true } }
image c.simg { android-sparse { image = "in.img" block-size = 1024 } }
image d.simg { android-sparse { image = "in.img" block-size = 512 add-crc = true } }
image e.simg { android-sparse { image = "in.img" block-size = 64k } }
image g.simg { android-sparse { image = "in.img" add-crc = true } }
image root.ext4 { ext4 { } size = 8M srcpath = "root" }
image r.simg { android-sparse { image = "root.ext4" } }
C
"$KILN" plan k.cfg > plan.txt
grep -q "android-sparse of 'in.img', block 4096: [0-9]* chunks, 2561 blocks, [0-9]* bytes" plan.txt \
	|| { cat plan.txt; fail "plan does not give the exact conversion of an input file"; }
grep -q "android-sparse of 'root.ext4', block 4096: at most [0-9]* bytes (exact once 'root.ext4' is written)" plan.txt \
	|| { cat plan.txt; fail "plan of a sparse image of a generated image"; }
"$KILN" build --no-bmap k.cfg >/dev/null

for v in a:4096 b:4096 c:1024 d:512 e:65536 g:4096; do
	i=${v%%:*}; bs=${v#*:}
	chunks images/$i.simg > $i.txt || fail "$i: malformed sparse image"
	simg2img images/$i.simg $i.raw || fail "$i: simg2img refused it"
	padded=$(( (size + bs - 1) / bs * bs ))
	[ "$(stat -c %s $i.raw)" = $padded ] || fail "$i: expands to $(stat -c %s $i.raw) bytes, want $padded"
	cmp -n $size $i.raw input/in.img || fail "$i: expanded image differs from the input"
	[ "$(tail -c +$((size + 1)) $i.raw | tr -d '\0' | wc -c)" = 0 ] || fail "$i: padding is not zeros"
	head -1 $i.txt | grep -q "^header $bs $((padded / bs)) " || fail "$i: header"
done
grep -q "^dontcare" a.txt || fail "holes are not DONT_CARE"
! grep -q "^dontcare" b.txt || fail "fill-holes left DONT_CARE chunks"
grep -q "^fill [0-9]* 16 00000000" b.txt || fail "fill-holes: holes are not FILL 0"
grep -qx "crc 0 16 ok" b.txt || fail "add-crc: no CRC chunk"
! grep -q "^crc" a.txt || fail "CRC chunk without add-crc"
grep -qx "fill 2 16 abcdef01" a.txt || fail "repeated word not a FILL chunk"
grep -qx "fill 1 16 11111111" a.txt && grep -qx "fill 1 16 22222222" a.txt || fail "FILL runs of different words merged"
# a FILL of zeros inside a data extent (as genimage), not DONT_CARE
grep -q "^fill [0-9]* 16 00000000" a.txt || fail "zero block inside data is not FILL 0"

simg2img images/r.simg r.raw && cmp r.raw images/root.ext4 || fail "sparse image of the ext4 image differs"

# twin: img2simg (libsparse) expands to the same image
img2simg input/in.img i2s.simg 4096
simg2img i2s.simg i2s.raw && cmp i2s.raw a.raw || fail "img2simg's image expands differently"

# twin: genimage 16 (always writes the CRC chunk)
cat > g.cfg <<'C'
image g.simg { android-sparse { image = "in.img" } }
image d.simg { android-sparse { image = "in.img" block-size = 512 } }
C
if command -v genimage >/dev/null &&
	genimage --config g.cfg --outputpath gout --tmppath gtmp --inputpath input --rootpath root >/dev/null 2>&1; then
	# genimage maps extents with FIEMAP and takes the whole file as data
	# where the filesystem has none (tmpfs): kiln's fill-holes then.
	if ! filefrag input/in.img >/dev/null 2>&1; then
		cat > k2.cfg <<'C'
image g.simg { android-sparse { image = "in.img" fill-holes = true add-crc = true } }
image d.simg { android-sparse { image = "in.img" block-size = 512 fill-holes = true add-crc = true } }
C
		"$KILN" build --no-bmap --outputpath images k2.cfg >/dev/null
	fi
	for i in g d; do
		chunks --zero-reserved gz.$i images/$i.simg > /dev/null
		chunks --zero-reserved gk.$i gout/$i.simg > /dev/null
		cmp gz.$i gk.$i || fail "$i: kiln and genimage sparse images differ"
	done
else
	echo "SKIP (genimage without android-sparse): genimage twin" >&2
fi

# reproducible: two directories, two umasks
mkdir -p o2/input; cp -r root k.cfg o2/; gen_input o2
(cd o2 && umask 077 && "$KILN" build --no-bmap k.cfg >/dev/null)
for i in a b c d e g r; do cmp images/$i.simg o2/images/$i.simg || fail "$i.simg not reproducible"; done
echo ok
