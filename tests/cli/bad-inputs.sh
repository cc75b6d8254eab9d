# A catalogue of bad inputs. Every case must fail in a controlled way:
# exit status 1 or 2 (never 0, never a signal), a short stderr (at most
# three lines besides warnings) matching the case's pattern, which names
# the file:line, the offending value or path; no sanitizer report; and
# nothing left in the output or temporary directory.
#
# A case marked with an area ("xfail=config" ...) is a known failure that
# another branch fixes: when it fails the test prints "XFAIL: case N" and
# goes on; when it passes it prints "XPASS: case N" so the mark can go.
. "$KILN_TESTLIB"
need python3

mkdir -p input/dir root tmp
printf 'hello\n' >input/f.txt
head -c 300000 /dev/zero >input/big.bin
mkdir -p input/bigsrc && cp input/big.bin input/bigsrc/
ln -s loop2 input/loop1
ln -s loop1 input/loop2
printf 'secret\n' >input/noread.txt
chmod 000 input/noread.txt
head -c 4096 /dev/urandom >input/garbage.bin
printf 'not a tar\n' >input/notar.tar
printf '/dev/x c 644 0 0 1\n' >input/devtab-short.txt
printf '/dev/x q 644 0 0 1 1 0 0 0\n' >input/devtab-type.txt
printf 'etc 0 0 99999\n' >input/fsconfig-mode.txt
printf 'etc zero 0 0755\n' >input/fsconfig-uid.txt
printf 'foo=bar\nnovalue\n' >input/env-noeq.txt
head -c 70000 /dev/zero | tr '\0' a | sed 's/^/big=/' >input/env-big.txt
mkdir -p input/tree && printf 'x\n' >input/tree/file
ln -sf /nonexistent input/tree/dangling

printf 'image a.img { file { name = "f.txt" } }\n' >good.cfg

ncase=0 nfail=0 nxfail=0 nxpass=0
am_root=$([ "$(id -u)" = 0 ] && echo 1 || echo 0)

# check N AREA REGEX : judge the run whose status is $rc, stderr $T/cases/N.err.
check() {
	local n=$1 area=$2 re=$3 err="$T/cases/$1.err" why=
	local lines
	lines=$(grep -cv 'warning:' "$err" || true)
	if [ "$rc" = 0 ]; then
		why="exit status 0"
	elif [ "$rc" -ge 128 ] || { [ "$rc" != 1 ] && [ "$rc" != 2 ]; }; then
		why="exit status $rc"
	elif grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' "$err"; then
		why="sanitizer report"
	elif [ "$lines" = 0 ]; then
		why="no error message"
	elif [ "$lines" -gt 3 ]; then
		why="$lines lines on stderr"
	elif ! LC_ALL=C grep -Eq -- "$re" "$err"; then
		why="message does not match /$re/"
	elif [ -n "$(find "out/$n" "tmp/$n" -mindepth 1 2>/dev/null | head -3)" ]; then
		why="left behind: $(find "out/$n" "tmp/$n" -mindepth 1 2>/dev/null | head -3 | tr '\n' ' ')"
	fi
	ncase=$((ncase + 1))
	# KILN_BAD_INPUTS_SHOW=1: the message of every case, for review.
	[ -z "${KILN_BAD_INPUTS_SHOW:-}" ] ||
		echo "case $n: rc $rc: $(grep -v 'warning:' "$err" | head -1 | cut -c1-160)"
	if [ -z "$why" ]; then
		if [ -n "$area" ]; then
			echo "XPASS: case $n ($area): now passes, drop its xfail mark"
			nxpass=$((nxpass + 1))
		fi
		return 0
	fi
	if [ -n "$area" ]; then
		echo "XFAIL: case $n ($area): $why"
		nxfail=$((nxfail + 1))
		return 0
	fi
	echo "FAIL: case $n: $why" >&2
	sed 's/^/    | /' "$err" | head -8 >&2
	nfail=$((nfail + 1))
}

# run N AREA REGEX CMD... : a command line.
run() {
	local n=$1 area=$2 re=$3
	shift 3
	mkdir -p "$T/cases" "out/$n" "tmp/$n"
	rc=0
	"$@" >"$T/cases/$n.out" 2>"$T/cases/$n.err" </dev/null || rc=$?
	check "$n" "$area" "$re"
}

# cfg N AREA REGEX CONFIG : kiln build of CONFIG (written to cN.cfg).
cfg() {
	local n=$1 area=$2 re=$3
	printf '%s\n' "$4" >"c$n.cfg"
	chmod 600 "c$n.cfg"
	run "$n" "$area" "$re" "$KILN" build --inputpath input --rootpath root --tmppath "tmp/$n" \
		--outputpath "out/$n" "c$n.cfg"
}

# A disk around one partition image, and a GPT one.
disk() { echo "image d.img { hdimage { $1 } ${2:-size = 4M} partition p { ${3:-image = \"f.txt\"} } }"; }

# ---- sizes and offsets ----
cfg 1 '' 'c1.cfg:1.*"12Q"' "$(disk '' 'size = 12Q')"
cfg 2 '' 'c2.cfg:1.*"-1M"' "$(disk '' 'size = "-1M"')"
cfg 3 '' 'c3.cfg:1.*"99999999999999999999"' "$(disk '' 'size = "99999999999999999999"')"
cfg 4 '' 'c4.cfg:1.*"17179869184G"' "$(disk '' 'size = "17179869184G"')"
cfg 5 '' 'c5.cfg:1.*size' "$(disk '' 'size = ""')"
cfg 6 '' 'c6.cfg:1.*"1.5M"' "$(disk '' 'size = "1.5M"')"
cfg 7 '' 'c7.cfg:1.*"10%"' "$(disk '' 'size = "10%"')"
cfg 8 '' 'c8.cfg:1.*18446744073709551615' "$(disk '' 'size = 4M' 'image = "f.txt" offset = "18446744073709551615"')"
cfg 9 '' 'c9.cfg:1.*"16E"' "$(disk '' 'size = 4M' 'image = "f.txt" offset = "16E"')"
cfg 10 '' 'c10.cfg:1.*"-5"' "$(disk '' 'size = 4M' 'image = "f.txt" size = "-5"')"
cfg 11 '' 'c11.cfg:[0-9]+.*overlap' 'image d.img { hdimage { } size = 8M
partition a { image = "f.txt" offset = 1M size = 2M }
partition b { image = "f.txt" offset = 2M size = 1M } }'
cfg 12 '' 'c12.cfg:[0-9]+.*(beyond|exceed|larger|does not fit|end)' "$(disk '' 'size = 4M' 'image = "f.txt" offset = 8M size = 1M')"
cfg 13 '' 'c13.cfg:[0-9]+.*big.bin' "$(disk '' 'size = 4M' 'image = "big.bin" size = 64K')"
cfg 14 '' 'c14.cfg:1.*align = 3' "$(disk 'align = 3')"
cfg 15 '' 'c15.cfg:[0-9]+.*"?imageoffset"?.*"x"' "$(disk '' 'size = 4M' 'image = "f.txt" imageoffset = "x"')"
cfg 16 '' 'c16.cfg:[0-9]+.*(4095|sector|512)' "$(disk '' 'size = 4M' 'image = "f.txt" offset = 4095')"
cfg 17 '' 'c17.cfg:[0-9]+.*holes' 'image f.bin { file { name = "f.txt" holes = { "(1-2" } } }'
cfg 18 '' 'c18.cfg:1.*GPT array.*overlaps.*GPT header' "$(disk 'partition-table-type = "gpt" gpt-location = "512"')"
# ---- types and names ----
cfg 19 '' "c19.cfg:1.*'frobfs'" 'image a.img { frobfs { } }'
cfg 20 '' "c20.cfg:1.*'bogus'" "$(disk 'bogus = 1')"
cfg 21 '' 'c21.cfg:1.*"zfs"' "$(disk 'partition-table-type = "zfs"')"
cfg 22 '' 'c22.cfg:1.*"not-a-uuid"' "$(disk 'partition-table-type = "gpt" disk-uuid = "not-a-uuid"')"
cfg 23 '' 'c23.cfg:1.*"1234"' "$(disk 'partition-table-type = "gpt"' 'size = 4M' 'image = "f.txt" partition-uuid = "1234"')"
cfg 24 '' 'c24.cfg:1.*"frob"' "$(disk 'partition-table-type = "gpt"' 'size = 4M' 'image = "f.txt" partition-type-uuid = "frob"')"
cfg 25 '' 'c25.cfg:1.*"root-riscv128"' "$(disk 'partition-table-type = "gpt"' 'size = 4M' 'image = "f.txt" partition-type-uuid = "root-riscv128"')"
cfg 26 '' 'c26.cfg:1.*(0x1ff|511|partition-type)' "$(disk '' 'size = 4M' 'image = "f.txt" partition-type = 0x1FF')"
cfg 27 '' 'c27.cfg:1.*(xyz|partition-type)' "$(disk '' 'size = 4M' 'image = "f.txt" partition-type = xyz')"
cfg 28 '' 'c28.cfg.*"?a.img"?' 'image a.img { file { name = "f.txt" } }
image a.img { file { name = "f.txt" } }'
cfg 29 '' "(a.img|b.img).*cycl" 'image a.img { hdimage { } size = 4M partition p { image = "b.img" } }
image b.img { hdimage { } size = 4M partition p { image = "a.img" } }'
cfg 30 '' "a.img.*(itself|cycl)" 'image a.img { hdimage { } size = 4M partition p { image = "a.img" } }'
long=$(printf 'n%.0s' $(seq 1 5000))
cfg 31 '' "c31.cfg:1.*(too long|nnnnnnnn)" "image $long { file { name = \"f.txt\" } }"
cfg 32 '' 'c32.cfg:[0-9]+.*(name|36)' 'image d.img { hdimage { partition-table-type = "gpt" } size = 4M
partition aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa { image = "f.txt" } }'
cfg 33 '' 'c33.cfg:[0-9]+.*(UTF-8|name)' "$(printf 'image d.img { hdimage { partition-table-type = "gpt" } size = 4M\npartition a\377b { image = "f.txt" } }')"
cfg 34 '' 'c34.cfg:[0-9]+.*label' "$(printf 'image b.vfat { vfat { label = "B\377D" } size = 4M }')"
cfg 35 '' 'c35.cfg:[0-9]+.*"TOOLONGLABEL1"' 'image b.vfat { vfat { label = "TOOLONGLABEL1" } size = 4M }'
cfg 36 '' "c36.cfg:2.*duplicate title 'p'" 'image d.img { hdimage { } size = 8M
partition p { image = "f.txt" } partition p { image = "f.txt" } }'
cfg 37 '' 'c37.cfg:[0-9]+.*too many partitions for a GPT' "image d.img { hdimage { partition-table-type = \"gpt\" } size = 512M
$(for i in $(seq 1 200); do echo "partition p$i { image = \"f.txt\" }"; done) }"
cfg 38 '' 'c38.cfg:[0-9]+.*extended-partition: 5' "image d.img { hdimage { extended-partition = 5 } size = 64M
$(for i in 1 2 3 4 5; do echo "partition p$i { image = \"f.txt\" }"; done) }"
cfg 39 '' "c39.cfg:1.*boolean.*'bootable'" "$(disk '' 'size = 4M' 'image = "f.txt" bootable = maybe')"
# ---- missing, unreadable and odd input files ----
cfg 40 '' 'input/nope.bin' "$(disk '' 'size = 4M' 'image = "nope.bin"')"
cfg 41 '' 'input/dir.*(directory|regular)' "$(disk '' 'size = 4M' 'image = "dir"')"
cfg 42 '' 'input/loop1.*(symbolic links|loop)' "$(disk '' 'size = 4M' 'image = "loop1"')"
if [ "$am_root" = 0 ]; then
	cfg 43 '' 'input/noread.txt.*(Permission|denied)' "$(disk '' 'size = 4M' 'image = "noread.txt"')"
else
	echo "SKIP: case 43 (unreadable input) needs a user without root's override"
fi
cfg 44 '' 'c44.cfg:[0-9]+.*input/missing.txt' 'image b.vfat { vfat { files = { "missing.txt" } } size = 4M }'
cfg 45 '' 'c45.cfg:[0-9]+.*(image|"x")' 'image b.vfat { vfat { file x { } } size = 4M }'
cfg 46 '' 'c46.cfg:[0-9]+.*(empty|destination)' 'image b.vfat { vfat { file "/" { image = "f.txt" } } size = 4M }'
cfg 47 '' 'c47.cfg:[0-9]+.*(big.bin|space|fit|small)' 'image b.vfat { vfat { files = { "big.bin" } } size = 64K }'
cfg 48 '' 'c48.cfg:[0-9]+.*-Z' 'image b.vfat { vfat { extraargs = "-Z 3" } size = 4M }'
cfg 49 '' 'c49.cfg:[0-9]+.*"13"' 'image b.vfat { vfat { fat-type = 13 } size = 4M }'
cfg 50 '' 'c50.cfg:[0-9]+.*"3K"' 'image b.vfat { vfat { cluster-size = 3K } size = 4M }'
cfg 51 '' 'c51.cfg:[0-9]+.*"xyz"' 'image b.vfat { vfat { volume-id = "xyz" } size = 4M }'
cfg 52 '' 'c52.cfg:[0-9]+.*"wobble"' 'image b.vfat { vfat { symlinks = "wobble" } size = 4M }'
cfg 53 '' 'c53.cfg:[0-9]+.*(srcpath|input/nodir|nodir)' 'image r.ext4 { ext4 { } size = 8M srcpath = "input/nodir" }'
# ---- ext4 ----
cfg 54 '' 'c54.cfg:[0-9]+.*bogus_feature' 'image r.ext4 { ext4 { features = "bogus_feature" } size = 8M empty = true }'
cfg 55 '' 'c55.cfg:[0-9]+.*(10K|small|size)' 'image r.ext4 { ext4 { } size = 10K empty = true }'
cfg 56 '' 'c56.cfg:[0-9]+.*block size 3000' 'image r.ext4 { ext4 { block-size = 3000 } size = 8M empty = true }'
cfg 57 '' 'c57.cfg:[0-9]+.*"xyz"' 'image r.ext4 { ext4 { uuid = "xyz" } size = 8M empty = true }'
cfg 58 '' 'c58.cfg:[0-9]+.*inode size 100' 'image r.ext4 { ext4 { inode-size = 100 } size = 8M empty = true }'
cfg 59 '' 'c59.cfg:[0-9]+.*(journal|has_journal)' 'image r.ext4 { ext4 { features = "^has_journal" journal-size = 4M } size = 8M empty = true }'
cfg 60 '' 'c60.cfg:1.*64bit needs extents' 'image r.ext4 { ext4 { features = "^extents,64bit" } size = 8M empty = true }'
cfg 121 '' 'c121.cfg:1.*"meta_bg"' 'image r.ext4 { ext4 { features = "meta_bg" } size = 8M empty = true }'
cfg 122 '' 'c122.cfg:1.*"bad/lbl"' 'image b.vfat { vfat { label = "bad/lbl" } size = 4M }'
cfg 61 '' 'c61.cfg:[0-9]+.*(big.bin|space|fit|small|full)' 'image r.ext4 { ext4 { } size = 256K srcpath = "input/bigsrc" }'
cfg 62 '' 'c62.cfg:[0-9]+.*"ext9"' 'image r.ext4 { ext4 { fs-timestamp = "ext9" } size = 8M empty = true }'
# ---- U-Boot env, FIT, bootscript, cpio ----
cfg 63 '' 'c63.cfg:[0-9]+.*(size|large|fit|bytes)' 'image e.env { ubootenv { file = "env-big.txt" } size = 0x4000 }'
cfg 64 '' 'env-noeq.txt:2.*novalue' 'image e.env { ubootenv { file = "env-noeq.txt" } size = 0x4000 }'
cfg 65 '' 'input/nothere.txt' 'image e.env { ubootenv { file = "nothere.txt" } size = 0x4000 }'
cfg 66 '' 'c66.cfg:[0-9]+.*(novalue|=)' 'image e.env { ubootenv { vars = { "novalue" } } size = 0x4000 }'
cfg 67 '' 'c67.cfg:[0-9]+.*size' 'image e.env { ubootenv { vars = { "a=b" } } }'
cfg 68 '' '(input/)?vmlinuz-missing' 'image k.itb { fit {
 image kernel { image = "vmlinuz-missing" type = "kernel" arch = "arm64" os = "linux" compression = "none" load = "0" entry = "0" }
 configuration c { kernel = "kernel" } default = "c" } }'
cfg 69 '' 'c69.cfg:[0-9]+.*"nokernel"' 'image k.itb { fit {
 image kernel { image = "f.txt" type = "kernel" arch = "arm64" os = "linux" compression = "none" load = "0" entry = "0" }
 configuration c { kernel = "nokernel" } default = "c" } }'
cfg 70 '' 'c70.cfg:[0-9]+.*"nodefault"' 'image k.itb { fit {
 image kernel { image = "f.txt" type = "kernel" arch = "arm64" os = "linux" compression = "none" load = "0" entry = "0" }
 configuration c { kernel = "kernel" } default = "nodefault" } }'
cfg 71 '' 'c71.cfg:[0-9]+.*"vax"' 'image k.itb { fit {
 image kernel { image = "f.txt" type = "kernel" arch = "vax" os = "linux" compression = "none" load = "0" entry = "0" }
 configuration c { kernel = "kernel" } default = "c" } }'
cfg 72 '' 'c72.cfg:[0-9]+.*"nosuchtree"' 'image r.cpio { cpio { } tree = nosuchtree }'
cfg 73 '' 'c73.cfg:[0-9]+.*"lz5"' 'image r.cpio { cpio { compress = "lz5" } empty = true }'
cfg 74 '' 'input/noscript.txt' 'image b.scr { bootscript { file = "noscript.txt" } }'
cfg 75 '' 'c75.cfg:[0-9]+.*"nor-bogus"' 'image f.img { flash { } flashtype = "nor-bogus" partition p { image = "f.txt" } }'
# ---- trees, tables, users ----
cfg 76 '' 'c76.cfg:[0-9]+.*input/nodir' 'tree t { layer { dir = "nodir" } }
image r.cpio { cpio { } tree = t }'
cfg 77 '' 'c77.cfg:[0-9]+.*input/nothere.tar' 'tree t { layer { archive = "nothere.tar" } }
image r.cpio { cpio { } tree = t }'
cfg 78 '' 'notar.tar' 'tree t { layer { archive = "notar.tar" } }
image r.cpio { cpio { } tree = t }'
cfg 79 '' 'garbage.bin' 'tree t { layer { deb = "garbage.bin" } }
image r.cpio { cpio { } tree = t }'
cfg 80 '' 'devtab-short.txt:1' 'tree t { device-table = { "devtab-short.txt" } }
image r.cpio { cpio { } tree = t }'
cfg 81 '' 'devtab-type.txt:1.*"q"' 'tree t { device-table = { "devtab-type.txt" } }
image r.cpio { cpio { } tree = t }'
cfg 82 '' 'fsconfig-mode.txt:1.*99999' 'tree t { mkdir /etc { } fs-config = { "fsconfig-mode.txt" } }
image r.cpio { cpio { } tree = t }'
cfg 83 '' 'fsconfig-uid.txt:1.*zero' 'tree t { mkdir /etc { } fs-config = { "fsconfig-uid.txt" } }
image r.cpio { cpio { } tree = t }'
cfg 84 '' 'c84.cfg:[0-9]+.*(uid|abc)' 'tree t { user alice { uid = abc } }
image r.cpio { cpio { } tree = t }'
cfg 85 '' 'c85.cfg:[0-9]+.*"bad:name"' 'tree t { user "bad:name" { } }
image r.cpio { cpio { } tree = t }'
cfg 86 '' 'c86.cfg:[0-9]+.*"nogroup-here"' 'tree t { user alice { groups = { "nogroup-here" } } }
image r.cpio { cpio { } tree = t }'
cfg 87 '' 'c87.cfg:[0-9]+.*"bad:g"' 'tree t { group "bad:g" { } }
image r.cpio { cpio { } tree = t }'
cfg 88 '' 'input/loop1.*(symbolic links|loop)' 'tree t { layer { dir = "loop1" } }
image r.cpio { cpio { } tree = t }'
cfg 89 '' 'c89.cfg:[0-9]+.*"0999"' 'tree t { mkdir /x { mode = "0999" } }
image r.cpio { cpio { } tree = t }'
# (An unset ${NAME} in a string is a warning with its file:line, not an
# error: tests/trees/users.sh checks it, and the empty password it would
# give, which is an error.)
cfg 91 '' 'c91.cfg:[0-9]+.*password' 'tree t { user alice { password = "" } }
image r.cpio { cpio { } tree = t }'
# ---- the config file itself ----
cfg 92 '' 'c92.cfg.*no images' ''
head -c 2000 /dev/urandom | tr -d '\n' >c93-raw
run 93 '' 'c93.cfg(:[0-9]+)?' sh -c "cp c93-raw c93.cfg && exec \"\$KILN\" build --outputpath out/93 --tmppath tmp/93 c93.cfg"
printf 'image a { file { name = "f.txt" } }\0\0image b { }\n' >c94.cfg
run 94 '' 'c94.cfg(:[0-9]+)?.*(NUL|\\0|byte|syntax)' "$KILN" build --inputpath input --outputpath out/94 --tmppath tmp/94 c94.cfg
run 95 '' 'input.*(directory|not a file)' "$KILN" build --outputpath out/95 --tmppath tmp/95 input
run 96 '' 'nothere.cfg' "$KILN" build --outputpath out/96 --tmppath tmp/96 nothere.cfg
cfg 97 '' 'c97.cfg:2' 'image a.img {
 file { name = "f.txt" '
cfg 98 '' "c98.cfg:1.*'frobnicate'" 'frobnicate = 1
image a { file { name = "f.txt" } }'
cfg 99 '' 'c99.cfg:1.*nothere.cfg' 'include("nothere.cfg")'
# ---- the command line ----
run 100 '' "'frobnicate'" "$KILN" frobnicate
run 101 '' "'--bogus'" "$KILN" build --bogus
run 102 '' "'--outputpath'" "$KILN" build --outputpath
run 103 '' "(expected|usage).*IMAGE" "$KILN" ls
run 104 '' "'c3'|argument" "$KILN" build good.cfg good.cfg c3
run 105 '' "'--frob'" "$KILN" ls --frob good.cfg a.img
run 106 '' "'abc'|loglevel" "$KILN" build --loglevel abc --inputpath input --tmppath tmp/106 --outputpath out/106 good.cfg
run 107 '' 'SOURCE_DATE_EPOCH.*"abc"' env SOURCE_DATE_EPOCH=abc "$KILN" build --inputpath input --tmppath tmp/107 --outputpath out/107 good.cfg
run 108 '' 'SOURCE_DATE_EPOCH.*"-5"' env SOURCE_DATE_EPOCH=-5 "$KILN" build --inputpath input --tmppath tmp/108 --outputpath out/108 good.cfg
run 109 '' 'SOURCE_DATE_EPOCH.*"99999999999999999999"' env SOURCE_DATE_EPOCH=99999999999999999999 "$KILN" build --inputpath input --tmppath tmp/109 --outputpath out/109 good.cfg
run 110 '' 'nothere.cfg' "$GENIMAGE_KILN" --config nothere.cfg --outputpath out/110
# ---- flash, bmap, inspect on things that are not images ----
run 111 '' '/nonexistent/sdz' "$KILN" flash input/f.txt /nonexistent/sdz
run 123 '' '/dev/kiln-no-such-sdz: no such device' "$KILN" flash input/f.txt /dev/kiln-no-such-sdz
[ ! -e /dev/kiln-no-such-sdz ] || { rm -f /dev/kiln-no-such-sdz; fail "kiln flash created a file in /dev"; }
run 112 '' 'input/nothere.img' "$KILN" flash input/nothere.img out/112/target.img
run 113 '' 'input/garbage.bin' "$KILN" flash --bmap input/garbage.bin input/f.txt out/113/target.img
run 114 '' 'input/nothere.img' "$KILN" bmap input/nothere.img
run 115 '' 'input/garbage.bin' "$KILN" inspect input/garbage.bin
run 116 '' 'input/nothere.bin' "$KILN" inspect input/nothere.bin
run 117 '' 'input/dir' "$KILN" inspect input/dir
run 118 '' 'input/dir' "$KILN" bmap input/dir
# ---- the output itself ----
run 119 '' '/proc/kiln-out' "$KILN" build --inputpath input --tmppath tmp/119 --outputpath /proc/kiln-out good.cfg
cfg 120 '' 'exec-pre' 'image a.img { file { name = "f.txt" } exec-pre = "false" }'

echo "bad-inputs: $ncase cases, $nfail failed, $nxfail expected failures, $nxpass unexpected passes"
[ "$nfail" = 0 ] || fail "$nfail bad inputs not handled cleanly"
