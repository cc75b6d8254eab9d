# cramfs: on a host tree with owners (16-bit uid, 8-bit gid), modes
# (setuid, sticky), device nodes, a FIFO, symlinks, a hard link, files
# with equal contents (stored once), empty files and directories, a
# 252-byte name, zero blocks and multi-block files, kiln's image is byte
# for byte mkfs.cramfs's — with default options and with -z -p -n -e -b;
# fsck.cramfs checks it and extracts exactly the tree. Root only: the
# tree needs chown and mknod.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/cramfs/helpers.bash"
need mkfs.cramfs cmp
[ "$(id -u)" = 0 ] || skip "not root: the source tree needs chown and mknod"
mkdir -p root/dir/sub/deeper root/empty root/a root/dir/sub2
echo hello >root/small
head -c 10000 /dev/urandom >root/dir/rnd
cp root/dir/rnd root/a/dup              # equal contents: one copy of the data
cp root/dir/rnd root/zz-dup
truncate -s 20000 root/zeros
{ head -c 5000 /dev/urandom; head -c 8192 /dev/zero; echo tail; } >root/mixed
head -c 300000 /dev/urandom >root/dir/sub/deeper/big
seq 1 20000 >root/dir/sub2/seq
ln -s small root/link
ln -s ../../small root/dir/sub/l2
ln -s "$(printf 'x%.0s' $(seq 1 600))" root/longlink
mknod root/dev c 4 5
mknod root/blk b 8 1
mknod root/max c 255 255
mkfifo root/fifo
: >root/emptyf
ln root/small root/hard
echo n >"root/$(printf 'n%.0s' $(seq 1 252))"
chmod 4755 root/small
chmod 1777 root/empty
chmod 0600 root/dir/sub2/seq
chown 65535:255 root/dir/rnd
chown 1000:100 root/dir/sub
chown 7:0 root/fifo

run_case() {
	local name=$1 extra=$2
	cat >"$name.cfg" <<C
tree t { layer { dir = "root" keep-owner = true } }
image $name.cramfs {
	cramfs { extraargs = "$extra" }
	tree = t
}
C
	"$KILN" build --no-cache --inputpath . --outputpath out --tmppath tmp "$name.cfg" \
		>/dev/null 2>"$name.err" || { cat "$name.err"; fail "$name: kiln build"; }
	# shellcheck disable=SC2086 # the options
	mkfs.cramfs $extra root "$name.ref" >/dev/null 2>&1 || fail "$name: mkfs.cramfs $extra"
	cmp "out/$name.cramfs" "$name.ref" || fail "$name: kiln and mkfs.cramfs $extra differ"
	echo "$name: identical to mkfs.cramfs $extra ($(stat -c %s "$name.ref") bytes)"
}
run_case plain ""
run_case opts "-z -p -n 0123456789abcdef -e 7 -b 8192"
run_case blk "-b 16384 -N little -e 4294967295"

listing root >want.txt
extract out/plain.cramfs x
listing x >got.txt
diff -u want.txt got.txt || fail "fsck.cramfs extracts another tree"
echo "cramfs twin: ok"
