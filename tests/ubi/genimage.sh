# ubi: Debian's genimage (ubinize underneath) and kiln in genimage mode
# build genimage's own test config (flash-types.config, two volumes of
# one image, autoresize) plus a static (read-only) volume and a sized
# one, with `extraargs = "-Q 4242"` so genimage's image_seq is not
# random: byte-identical files.
. "$KILN_TESTLIB"
need genimage ubinize cmp
mkdir -p in root
head -c 250000 /dev/urandom >in/test.ubifs
head -c 5000 /dev/urandom >in/small.bin
head -c 300000 /dev/urandom >in/nor.bin
cat >C <<'X'
flash nand-64M-512 {
	pebsize = 16384
	lebsize = 15360
	numpebs = 4096
	minimum-io-unit-size = 512
	vid-header-offset = 512
	sub-page-size = 512
}
flash nor-64M-128k {
	pebsize = 131072
	lebsize = 130944
	numpebs = 256
	minimum-io-unit-size = 1
	vid-header-offset = 64
	sub-page-size = 1
}
image test.ubi {
	ubi { extraargs = "-Q 4242" }
	partition ubifs1 {
		image = "test.ubifs"
	}
	partition ubifs2 {
		image = "test.ubifs"
		autoresize = true
	}
	partition ro {
		image = "small.bin"
		read-only = true
	}
	partition spare {
		size = 1M
	}
	flashtype = "nand-64M-512"
}
image nor.ubi {
	ubi { extraargs = "-Q 7 -e 3" }
	partition data { image = "nor.bin" size = 500K }
	flashtype = "nor-64M-128k"
}
X
genimage --rootpath root --tmppath tg --inputpath in --outputpath og --config C \
	>g.log 2>&1 || { cat g.log; fail "genimage failed"; }
"$GENIMAGE_KILN" --rootpath root --tmppath tk --inputpath in --outputpath ok --config C ||
	fail "kiln (genimage mode) failed"
for f in test.ubi nor.ubi; do
	cmp "og/$f" "ok/$f" || fail "$f differs from genimage's"
done
# genimage's own test: 550000..600000 bytes for the two ubifs volumes.
"$KILN" build --inputpath in --outputpath nk C >/dev/null || fail "native build"
cmp og/test.ubi nk/test.ubi || fail "native build differs"
echo "ubi genimage twin: ok ($(stat -c %s ok/test.ubi) bytes)"
