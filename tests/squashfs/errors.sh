# squashfs: bad options and inputs fail in a controlled way: one line
# naming file:line, the option and the value, exit 1, no output left.
. "$KILN_TESTLIB"
mkdir -p src/d
head -c 100000 /dev/urandom > src/d/blob

cfg() { # NAME BODY [SIZE]
	printf 'image %s {\n\tsquashfs {\n\t\t%s\n\t}\n\tsrcpath = "src"\n%s}\n' "$1" "$2" "${3:+	size = $3
}" >"$1.cfg"
}
one_line() { [ "$(wc -l < "$T/.err")" = 1 ] || { cat "$T/.err"; fail "$1: not one line"; }; }
run() { expect_fail 1 "$1" "$KILN" build --outputpath out --tmppath tmp "$2"; one_line "$2"; expect_no_output out; }

cfg comp.sqfs 'compression = "brotli"'
run 'comp.sqfs.cfg:[0-9]+: image .comp.sqfs.: compression = "brotli": unknown compression' comp.sqfs.cfg
cfg bs.sqfs 'block-size = "3000"'
run 'block-size = "3000": must be a power of two from 4k to 1M' bs.sqfs.cfg
cfg bs2.sqfs 'block-size = "2M"'
run 'block-size = "2M": must be a power of two' bs2.sqfs.cfg
cfg arg.sqfs 'extraargs = "-sort file.txt"'
run 'extraargs = "-sort file.txt": "-sort" is a mksquashfs option kiln cannot honour' arg.sqfs.cfg
cfg argv.sqfs 'extraargs = "-b"'
run 'extraargs = "-b": -b needs a value' argv.sqfs.cfg
cfg level.sqfs 'extraargs = "-Xcompression-level 42"'
run 'level 42 is out of range for gzip' level.sqfs.cfg
cfg lz4lvl.sqfs 'compression = "lz4" extraargs = "-Xcompression-level 3"'
run 'compression lz4 takes no level' lz4lvl.sqfs.cfg
cfg small.sqfs '' 8k
run 'squashfs needs [0-9]+ bytes, size is 8192' small.sqfs.cfg
# an unreadable source file: named, nothing left behind
cfg unread.sqfs ''
chmod 000 src/d/blob
if ! head -c1 src/d/blob >/dev/null 2>&1; then
	run 'src/d/blob: Permission denied' unread.sqfs.cfg
fi
chmod 644 src/d/blob
# tmppath cannot be created
cfg tmp.sqfs ''
: > notadir
expect_fail 1 'notadir.*cannot create' "$KILN" build --outputpath out --tmppath notadir/tmp tmp.sqfs.cfg
expect_no_output out
echo ok
