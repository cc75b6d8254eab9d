# kiln ls shows what an image will hold: a FAT's files/file entries (with
# the sizes of the images they name), and it refuses images that hold no
# file tree with a message saying what they are and what can be listed.
. "$KILN_TESTLIB"
need mdir mtype
mkdir -p input/sub root/etc tmp
printf 'hello\n' >input/a.txt
printf 'payload' >input/b.bin
printf 'in a dir\n' >input/sub/c.txt
printf 'rootfs\n' >root/etc/hostname
cat >kiln.cfg <<'CFG'
image blob.bin { file { name = "b.bin" } }
image env.bin { ubootenv { vars = { "bootdelay=0" } } size = 0x2000 }
image boot.vfat {
	vfat {
		files = { "a.txt", "sub" }
		file renamed.bin { image = "blob.bin" }
		file boot/env.bin { image = "env.bin" }
	}
}
image root.cpio { cpio { } }
image disk.img {
	hdimage { partition-table-type = "gpt" }
	partition boot { image = "boot.vfat" }
	partition raw { image = "blob.bin" }
}
CFG
args=(--rootpath root --inputpath input --tmppath tmp --outputpath out)

"$KILN" ls "${args[@]}" kiln.cfg boot.vfat >ls.txt 2>ls.err || { cat ls.err; fail "ls boot.vfat"; }
[ ! -e out ] || fail "kiln ls wrote into the output directory"
# Every entry, with its size; never rootpath's content (files replace it).
cut -f1,4,6 ls.txt >got.txt
cat >want.txt <<'EOF'
d	0	/
-	6	/a.txt
d	0	/boot
-	8192	/boot/env.bin
-	7	/renamed.bin
d	0	/sub
-	9	/sub/c.txt
EOF
diff -u want.txt got.txt || fail "ls of a vfat image does not list its files/file entries"

# The listing is what the built FAT holds (mtools reads it back).
"$KILN" build "${args[@]}" kiln.cfg 2>build.err || { cat build.err; fail "build"; }
mdir -/ -b -i out/boot.vfat :: | sed 's|^::||' | sort >fat.txt
awk -F'\t' '$6 != "/" { print $6 ($1 == "d" ? "/" : "") }' ls.txt | sort >lsnames.txt
diff -u lsnames.txt fat.txt || fail "ls and the built FAT disagree"
[ "$(mtype -i out/boot.vfat ::/renamed.bin)" = payload ] || fail "renamed.bin content"

# cpio without files: rootpath, as before.
"$KILN" ls "${args[@]}" kiln.cfg root.cpio >cpio.txt
grep -q '/etc/hostname' cpio.txt || fail "ls root.cpio lost rootpath"

# A disk is refused, naming the partitions' images that can be listed.
expect_fail 1 '^kiln: error: kiln.cfg:11: image "disk.img" \(hdimage\) holds partitions, not files; list its partitions. images instead: boot.vfat$' \
	"$KILN" ls "${args[@]}" kiln.cfg disk.img
[ "$(wc -l <"$T/.err")" = 1 ] || fail "more than one line for a disk"
[ ! -s "$T/.out" ] || fail "ls of a disk printed a listing"
# Images without a file tree are refused, saying what can be listed.
expect_fail 1 'kiln.cfg:2: image "env.bin" \(ubootenv\) holds no file tree; kiln ls lists ext2, ext3, ext4, vfat(, [a-z0-9-]+)* and [a-z0-9-]+ images' \
	"$KILN" ls "${args[@]}" kiln.cfg env.bin
[ ! -s "$T/.out" ] || fail "ls of an env printed a listing"
expect_fail 1 'image "blob.bin" \(file\) holds no file tree' "$KILN" ls "${args[@]}" kiln.cfg blob.bin
# A FAT entry whose input is missing: the file:line of the entry.
sed -i 's/"a.txt", "sub"/"a.txt", "gone.txt"/' kiln.cfg
expect_fail 1 'kiln.cfg:[0-9]+: files entry "gone.txt": input/gone.txt: No such file' \
	"$KILN" ls "${args[@]}" kiln.cfg boot.vfat
echo "ls: ok"
