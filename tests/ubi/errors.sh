# ubi: bad flash geometry, volumes and extraargs fail in a controlled way:
# one line naming file:line (the partition's or the option's own), the
# value, exit 1, no output left.
. "$KILN_TESTLIB"
mkdir -p input
head -c 10000 /dev/urandom >input/v.img
head -c 100000 /dev/urandom >input/big.img
: >input/empty.img
run() { expect_fail_clean "$1" out "$KILN" build --inputpath input --outputpath out --tmppath tmp "$2"; }
# cfg FILE FLASH-BODY UBI-BODY PARTITIONS
cfg() {
	printf 'flash f {\n%s\n}\nimage u.ubi {\n\tubi { %s }\n\tflashtype = "f"\n%s\n}\n' \
		"$2" "$3" "$4" >"$1"
}
NAND='	pebsize = 16K
	numpebs = 64
	minimum-io-unit-size = 512'
V='	partition a { image = "v.img" }'

cfg io.cfg '	pebsize = 16K
	minimum-io-unit-size = 500' '' "$V"
run "io.cfg:[0-9]+: image 'u.ubi': flash 'f': min. I/O unit size 500 is not a power of two" io.cfg
cfg sub.cfg "$NAND
	sub-page-size = 1024" '' "$V"
run "sub.cfg:[0-9]+: image 'u.ubi': flash 'f': sub-page size 1024 must be a power of two no larger than the min. I/O unit \\(512\\)" sub.cfg
cfg vid.cfg "$NAND
	vid-header-offset = 100" '' "$V"
run "vid.cfg:[0-9]+: image 'u.ubi': flash 'f': VID header offset 100 must be a multiple of 8" vid.cfg
cfg peb.cfg '	pebsize = 1000
	minimum-io-unit-size = 512' '' "$V"
run "peb.cfg:[0-9]+: image 'u.ubi': flash 'f': PEB size 1000 must be a multiple of the min. I/O unit \\(512\\)" peb.cfg
cfg peb2.cfg '	pebsize = 1G
	minimum-io-unit-size = 512' '' "$V"
run "PEB size 1073741824 must be .* at most 67108864" peb2.cfg
cfg nofl.cfg "$NAND" '' "$V"
sed -i 's/flashtype = "f"/flashtype = "g"/' nofl.cfg
run "nofl.cfg:[0-9]+: image 'u.ubi': flashtype = \"g\": no flash section of that name" nofl.cfg

cfg novol.cfg "$NAND" '' ''
run "novol.cfg:[0-9]+: image 'u.ubi': no volumes" novol.cfg
cfg nosize.cfg "$NAND" '' '	partition a { }'
run "nosize.cfg:9: image 'u.ubi': partition 'a': neither .image. nor .size. given" nosize.cfg
cfg small.cfg "$NAND" '' '	partition a { image = "v.img" }
	partition b { image = "big.img" size = 50000 }'
run "small.cfg:10: image 'u.ubi': partition 'b': volume 'b': image '.*big.img' \\(100000 bytes\\) is larger than the volume \\(50000 bytes\\)" small.cfg
cfg empty.cfg "$NAND" '' '	partition e { image = "empty.img" }'
run "empty.cfg:9: image 'u.ubi': partition 'e': volume 'e': image '.*empty.img' is empty" empty.cfg
cfg resize.cfg "$NAND" '' '	partition a { image = "v.img" autoresize = true }
	partition b { image = "v.img" autoresize = true }'
run "resize.cfg:10: image 'u.ubi': partition 'b': volume 'b': more than one volume has the autoresize flag" resize.cfg
cfg pct.cfg "$NAND" '' '	partition a { size = 50% }'
run "pct.cfg:9: image 'u.ubi': partition 'a': size = 50%: a volume's size is bytes" pct.cfg
long=$(printf 'n%.0s' $(seq 1 128))
cfg name.cfg "$NAND" '' "	partition $long { size = 1M }"
run "name.cfg:9: image 'u.ubi': partition '$long': volume '$long': name must be 1 to 127 bytes" name.cfg
# 2 volumes fit the volume table of a 1 KiB PEB (a 512-byte LEB / 172).
cfg many.cfg '	pebsize = 1K
	minimum-io-unit-size = 256' '' '	partition a { size = 1K }
	partition b { size = 1K }
	partition c { size = 1K }'
run "many.cfg:[0-9]+: image 'u.ubi': partition 'c': volume 'c': id 2: this geometry holds 2 volumes" many.cfg
cfg tiny.cfg "$NAND" '' "$V"
printf 'image t.ubi { ubi { } flashtype = "f" size = 16K\n%s\n}\n' "$V" >>tiny.cfg
run "image 't.ubi': the UBI image needs 49152 bytes, size is 16384" tiny.cfg

cfg q.cfg "$NAND" 'extraargs = "-Q x"' "$V"
run "q.cfg:[0-9]+: image 'u.ubi': extraargs = \"-Q x\": -Q x: not a 32-bit image sequence number" q.cfg
cfg q2.cfg "$NAND" 'extraargs = "--image-seq=4294967296"' "$V"
run "q2.cfg:[0-9]+: .*-Q 4294967296: not a 32-bit" q2.cfg
cfg p.cfg "$NAND" 'extraargs = "-p 128KiB"' "$V"
run "p.cfg:[0-9]+: image 'u.ubi': extraargs = \"-p 128KiB\": -p: not an ubinize option kiln takes here" p.cfg
cfg x.cfg "$NAND" 'extraargs = "-x 2"' "$V"
run 'x.cfg:[0-9]+: .*-x 2: kiln writes UBI version 1' x.cfg
cfg e.cfg "$NAND" 'extraargs = "-e"' "$V"
run 'e.cfg:[0-9]+: .*-e needs a value' e.cfg
cfg w.cfg "$NAND" 'extraargs = "junk"' "$V"
run 'w.cfg:[0-9]+: .*"junk": not an ubinize option kiln takes' w.cfg
cfg miss.cfg "$NAND" '' '	partition a { image = "nope.img" }'
run "nope.img" miss.cfg
echo "ubi errors: ok"
