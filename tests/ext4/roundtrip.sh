# Randomised tree (every file type, block-boundary sizes, sparse files
# including one over 4 GiB, 255-byte names, a deep path, a 5,000-entry
# directory) written as ext2/ext3/ext4 at block sizes 1024/2048/4096,
# with and without journal and metadata_csum: e2fsck -fn clean, then
# -fy and -fn again; dumpe2fs shows the features, UUID and label; the
# tree reads back exactly through debugfs (verify.py).
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/trees/helpers.inc"
need python3 debugfs e2fsck dumpe2fs
H="$KILN_SRC/tests/ext4"

mkdir -p input out tmp
python3 "$H/gen.py" input/src 42 5000 --huge
cat >spec.json <<'J'
[
 {"name": "./tar/", "type": "d", "mode": "750", "uid": 7, "gid": 8},
 {"name": "./tar/owned", "data": "owned by 1000", "mode": "600", "uid": 1000, "gid": 100000},
 {"name": "./tar/console", "type": "c", "major": 5, "minor": 1, "mode": "600"},
 {"name": "./tar/sda", "type": "b", "major": 8, "minor": 0, "mode": "660", "gid": 6},
 {"name": "./tar/bigdev", "type": "b", "major": 259, "minor": 300000, "mode": "660"},
 {"name": "./tar/xa", "data": "x", "xattr": {"user.small": "v", "trusted.t": "tt"}},
 {"name": "./tar/xbig", "data": "y", "xattr": {"user.big": "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", "user.second": "2"}},
 {"name": "./tar/future", "data": "clamped", "mtime": 4102444800},
 {"name": "./tar/old", "data": "old", "mtime": 100}
]
J
make_tar input/extra.tar "$(cat spec.json)"

run() { # NAME TYPE BODY...
	local name=$1 type=$2
	shift 2
	cat >"$name.cfg" <<C
tree t {
	layer { dir = "src" }
	layer { archive = "extra.tar" }
	attr "/sizes/f1" { capabilities = 0x2000 }
}
image $name {
	$type {
		$*
	}
	tree = t
}
C
	"$KILN" build --inputpath input --outputpath out --tmppath tmp "$name.cfg" >"$name.log" 2>&1 ||
		{ cat "$name.log"; fail "$name: build failed"; }
	e2fsck -fn "out/$name" >"$name.fsck" 2>&1 || { cat "$name.fsck"; fail "$name: e2fsck -fn"; }
	python3 "$H/verify.py" "out/$name" input/src "$SOURCE_DATE_EPOCH" spec.json ||
		fail "$name: round trip"
	debugfs -R "ea_list /sizes/f1" "out/$name" 2>/dev/null | grep -q "security.capability" ||
		fail "$name: security.capability missing"
	debugfs -R "stat /" "out/$name" 2>/dev/null | grep -Eq "User: +0 +Group: +0" ||
		fail "$name: root not owned by 0:0"
	cp "out/$name" fix.img
	e2fsck -fy fix.img >"$name.fsck2" 2>&1 || { cat "$name.fsck2"; fail "$name: e2fsck -fy"; }
	e2fsck -fn fix.img >"$name.fsck3" 2>&1 || { cat "$name.fsck3"; fail "$name: e2fsck -fn after -fy"; }
	rm -f fix.img
	dumpe2fs -h "out/$name" >"$name.sb" 2>/dev/null
}

feat() { # NAME: the features line of dumpe2fs
	sed -n 's/^Filesystem features: *//p' "$1.sb"
}
has() { feat "$1" | tr ' ' '\n' | grep -qx "$2" || fail "$1: feature $2 missing: $(feat "$1")"; }
hasnt() { ! feat "$1" | tr ' ' '\n' | grep -qx "$2" || fail "$1: feature $2 present: $(feat "$1")"; }

run a.ext4 ext4 'label = "rootfs" extraargs = "-b 1024 -U 6b1f3b0e-1f53-4c55-9d4e-2a3c3d5e7f10"'
for f in has_journal ext_attr resize_inode dir_index filetype extent 64bit flex_bg sparse_super large_file huge_file dir_nlink extra_isize metadata_csum; do
	has a.ext4 $f
done
grep -q '^Filesystem volume name: *rootfs$' a.ext4.sb || fail "label"
grep -q '^Filesystem UUID: *6b1f3b0e-1f53-4c55-9d4e-2a3c3d5e7f10$' a.ext4.sb || fail "uuid"
grep -q '^Block size: *1024$' a.ext4.sb || fail "block size"
debugfs -R "htree /big" out/a.ext4 2>/dev/null | grep -q "Indirect levels: 1" || fail "/big: expected a 2-level htree"

run b.ext4 ext4 'extraargs = "-b 4096 -I 256 -m 1"'
grep -q '^Block size: *4096$' b.ext4.sb || fail "b: block size"
debugfs -R "htree /big" out/b.ext4 2>/dev/null | grep -q "Root node dump" || fail "/big: expected an htree"

run c.ext4 ext4 'features = "^has_journal,^metadata_csum" extraargs = "-b 4096"'
hasnt c.ext4 has_journal
hasnt c.ext4 metadata_csum

run d.ext3 ext3 'extraargs = "-b 1024 -J size=2"'
has d.ext3 has_journal
hasnt d.ext3 extent
grep -q '^Journal size: *2048k$' d.ext3.sb || grep -q 'Total journal size: *2048k' d.ext3.sb || fail "d: journal size: $(grep -i journal d.ext3.sb)"

run e.ext2 ext2 'extraargs = "-b 4096 -O uninit_bg"'
hasnt e.ext2 has_journal
has e.ext2 uninit_bg

run f.ext4 ext4 'features = "^flex_bg,^64bit" extraargs = "-b 2048 -I 128 -N 9000"'
hasnt f.ext4 flex_bg
hasnt f.ext4 64bit
grep -Eq '^Inode size:[[:space:]]+128$' f.ext4.sb || fail "f: inode size"
