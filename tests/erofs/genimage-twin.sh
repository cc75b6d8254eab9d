# erofs in genimage mode is Debian 12's mkfs.erofs 1.5 byte for byte: the
# same trees built by kiln (as genimage, `erofs { fs-timestamp extraargs }`)
# and by mkfs.erofs 1.5 itself with the arguments genimage passes
# (-T, extraargs; 1.5 has no -L, so no label), with SOURCE_DATE_EPOCH set and unset, are `cmp`
# equal, and fsck.erofs passes on them. Trees: genimage's test tree,
# files of 0..70000 bytes (inline tails, tails too big to be inline,
# whole blocks), short and long symlinks, hard links, a directory of
# several blocks, names sorting before "." and "..", different mtimes,
# device nodes and a FIFO (as root only).
. "$KILN_TESTLIB"
need mkfs.erofs fsck.erofs
# The twin is of one version: later erofs-utils lay out differently.
mkfs.erofs --help 2>&1 | grep -q -- --mkfs-time && skip "mkfs.erofs is not 1.5"
mkdir probe
[ "$(mkfs.erofs probe.img probe 2>&1 | head -1)" = "mkfs.erofs 1.5" ] || skip "mkfs.erofs is not 1.5"
UUID=83d9e40a-fb96-469e-abb9-24fb3c3bd0ff
owners=
if [ "$(id -u)" != 0 ]; then
	# kiln records the tree's owners as root unless told otherwise.
	echo "not root: no device nodes, owners forced to root (--all-root)"
	owners=--all-root
fi

# twin TREE NAME TIMESTAMP LABEL EXTRAARGS...: kiln and mkfs.erofs agree,
# with SOURCE_DATE_EPOCH set to 946684800 (as genimage's test) and, when
# TIMESTAMP is given, unset.
twin() {
	local tree=$1 name=$2 ts=$3 label=$4 args
	shift 4
	args="-U $UUID $owners $*"
	cat >"$name.cfg" <<-C
	image $name.erofs {
		erofs {
			${label:+label = \"$label\"}
			${ts:+fs-timestamp = \"$ts\"}
			extraargs = "$args"
		}
		size = 8M
	}
	C
	# Without either time mkfs.erofs takes the clock and nothing twins.
	for sde in 946684800 ${ts:+""}; do
		rm -rf out tmp "$name.mkfs"
		if [ -n "$sde" ]; then export SOURCE_DATE_EPOCH=$sde; else unset SOURCE_DATE_EPOCH; fi
		"$GENIMAGE_KILN" --rootpath "$tree" --inputpath . --outputpath out \
			--tmppath tmp --config "$name.cfg" >kiln.log 2>&1 \
			|| { cat kiln.log; fail "$name (SOURCE_DATE_EPOCH=$sde): kiln"; }
		# shellcheck disable=SC2086 # word splitting as genimage's shell does
		mkfs.erofs ${label:+-L "$label"} ${ts:+-T "$ts"} $args "$name.mkfs" "$tree" \
			>mkfs.log 2>&1 || { cat mkfs.log; fail "$name: mkfs.erofs"; }
		cmp "out/$name.erofs" "$name.mkfs" \
			|| fail "$name (SOURCE_DATE_EPOCH=$sde): kiln's image differs from mkfs.erofs 1.5's"
		fsck.erofs "out/$name.erofs" >fsck.log 2>&1 || { cat fsck.log; fail "$name: fsck.erofs"; }
	done
}

# genimage's own test tree (test/test-setup.sh).
mkdir -p g/{foo,bar,baz,"with spaces"}/{1,2,3}
touch g/{foo,bar,baz,"with spaces"}/{1,2,3}/{one,two}
find g -print0 | xargs -0 touch -c -d "2011-11-11 UTC"
twin g genimage 946684800 ""
# -b 4096 (what later mkfs.erofs takes, and genimage's erofs.new.config
# passes; 1.5 has no -b) changes nothing: the same bytes as 1.5's.
printf 'image b.erofs {\n\terofs {\n\t\tfs-timestamp = "946684800"\n\t\textraargs = "-U %s %s -b 4096"\n\t}\n}\n' \
	"$UUID" "$owners" >b.cfg
rm -rf out tmp
SOURCE_DATE_EPOCH=946684800 "$GENIMAGE_KILN" --rootpath g --inputpath . --outputpath out \
	--tmppath tmp --config b.cfg >kiln.log 2>&1 || { cat kiln.log; fail "-b 4096: kiln"; }
SOURCE_DATE_EPOCH=946684800 mkfs.erofs -T 946684800 -U "$UUID" $owners b.mkfs g >mkfs.log 2>&1 \
	|| { cat mkfs.log; fail "-b 4096: mkfs.erofs"; }
cmp out/b.erofs b.mkfs || fail "-b 4096: kiln's image differs from mkfs.erofs 1.5's"

# Sizes around the block and inline limits, links, many names, times.
mkdir -p s/dir/sub s/many s/empty
: >s/zero
printf x >s/one
head -c 4095 /dev/urandom >s/b4095
head -c 4096 /dev/urandom >s/b4096
head -c 4097 /dev/urandom >s/b4097
head -c 10000 /dev/urandom >s/b10000
head -c 70000 /dev/urandom >s/dir/b70000
head -c 4090 /dev/urandom >s/dir/fat-tail   # with a 64-byte inode: not inline
head -c 8190 /dev/urandom >s/dir/sub/fat2    # one block, then a fat tail
head -c 12288 /dev/urandom >s/dir/sub/three  # whole blocks only
for i in $(seq 1 300); do echo "$i" >"s/many/a-file-with-a-longish-name-$i"; done
echo a >s/-dash; echo b >s/.-dot; echo c >s/'!bang'; echo d >s/.hidden
echo "with space" >"s/with spaces"
ln -s one s/short-link
ln -s "$(printf 'y%.0s' $(seq 1 4000))" s/dir/long-link   # too long to be inline
ln -s "$(printf 'z%.0s' $(seq 1 1000))" s/mid-link
ln s/b4097 s/dir/hard
ln s/one s/many/hard-one
if [ "$(id -u)" = 0 ]; then
	mknod s/dir/null c 1 3
	mknod s/dir/loop0 b 7 0
	mkfifo s/dir/fifo
fi
find s -exec touch -h -d @1000000000 {} +
touch -d @900000000.5 s/b4096                 # before the epoch, with a fraction
touch -d @2000000000 s/dir/b70000             # after it: clamped
touch -h -d @950000000 s/short-link
touch -d @800000000 s/dir/sub s
twin s sizes 1234567 ""
twin s noinline "" "" -E noinline_data
twin s ignore 1234567 "" --ignore-mtime -x -1

# A deeper tree whose inodes fill several metadata blocks between data.
for d in $(seq 1 12); do
	mkdir -p "m/d$d/e"
	for f in $(seq 1 25); do head -c $((d * 331 + f * 97)) /dev/urandom >"m/d$d/f$f"; done
	head -c $((d * 4096 + 17)) /dev/urandom >"m/d$d/e/big"
done
twin m mixed 1600000000 ""
echo ok
