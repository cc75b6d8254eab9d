# cramfs: what cramfs cannot hold and bad options fail in a controlled
# way: one line naming file:line, the path or option and the value,
# exit 1, no output left. mkfs.cramfs only warns and truncates (owners,
# sizes, names, device numbers): kiln refuses.
. "$KILN_TESTLIB"
mkdir -p input
run() { expect_fail_clean "$1" out "$KILN" build --inputpath input --outputpath out --tmppath tmp "$2"; }
# cfg FILE TREE-BODY [EXTRAARGS] [IMAGE-KEYS]
cfg() {
	printf 'tree t {\n%s\n}\nimage c.cramfs {\n\tcramfs { extraargs = "%s" }\n\ttree = t\n%s\n}\n' \
		"$2" "${3:-}" "${4:-}" >"$1"
}
cfg uid.cfg '	file /a { content = "x" uid = 65536 }'
run "uid.cfg:4: image 'c.cramfs': cramfs: /a: owner 65536:0: cramfs holds uid 0..65535 and gid 0..255" uid.cfg
cfg gid.cfg '	mkdir /d { gid = 256 }'
run "gid.cfg:4: image 'c.cramfs': cramfs: /d: owner 0:256" gid.cfg
truncate -s 16777216 input/big
cfg big.cfg '	file /big { source = "big" }'
run "big.cfg:4: image 'c.cramfs': cramfs: /big: 16777216 bytes: cramfs holds at most 16777215 per file" big.cfg
long=$(printf 'n%.0s' $(seq 1 253))
cfg name.cfg "	file /$long { content = \"x\" }"
run "name.cfg:4: image 'c.cramfs': cramfs: /$long: name longer than 252 bytes" name.cfg
cfg dev.cfg '	node /dev/x { type = char major = 256 minor = 1 }'
run "dev.cfg:4: image 'c.cramfs': cramfs: /dev/x: device 256:1: cramfs holds 0..255:0..255" dev.cfg
cfg b.cfg '	file /a { content = "x" }' '-b 1000'
run "b.cfg:5: image 'c.cramfs': extraargs = \"-b 1000\": -b 1000: the block size is a power of two" b.cfg
cfg n.cfg '	file /a { content = "x" }' '-N big'
run "n.cfg:5: image 'c.cramfs': extraargs = \"-N big\": -N big: kiln writes little-endian cramfs only" n.cfg
cfg i.cfg '	file /a { content = "x" }' '-i boot.img'
run "i.cfg:5: image 'c.cramfs': extraargs = \"-i boot.img\": -i: not a mkfs.cramfs option kiln takes" i.cfg
cfg e.cfg '	file /a { content = "x" }' '-e'
run 'e.cfg:5: .*-e needs a value' e.cfg
cfg e2.cfg '	file /a { content = "x" }' '-e -1'
run 'e2.cfg:5: .*-e -1: not a 32-bit edition number' e2.cfg
cfg long.cfg '	file /a { content = "x" }' '-n 0123456789abcdefg'
run 'long.cfg:5: .*-n 0123456789abcdefg.*: cramfs names are at most 16 bytes' long.cfg
cfg nm.cfg '	file /a { content = "x" }' '' '	name = "0123456789abcdefg"'
run 'nm.cfg:7: image .c.cramfs.: name = "0123456789abcdefg": cramfs names are at most 16 bytes' nm.cfg
cfg w.cfg '	file /a { content = "x" }' '--verbose'
run 'w.cfg:5: .*"--verbose": not a mkfs.cramfs option kiln takes' w.cfg
cfg quote.cfg '	file /a { content = "x" }' "-n 'vol"
run "quote.cfg:5: image 'c.cramfs': extraargs = \"-n 'vol\": unterminated quote" quote.cfg
cfg sz.cfg '	file /a { content = "x" }' '' '	size = 1K'
run "image 'c.cramfs': cramfs needs 4096 bytes, size is 1024" sz.cfg
echo "cramfs errors: ok"
