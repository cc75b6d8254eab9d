#!/bin/bash
# custom: genimage's `exec` shell command writes $IMAGEOUTFILE; kiln
# copies it to the output. Same bytes as genimage 16; a failing command
# or one that writes nothing leaves no output and no temporary.
. "$KILN_TESTLIB"

mkdir -p root in tmp
cat >c.cfg <<'CFG'
image blob.bin {
	custom {
		exec = "printf '%s:%s:' \"$IMAGENAME\" \"$IMAGESIZE\" >\"$IMAGEOUTFILE\"; head -c 5000 /dev/zero | tr '\\0' x >>\"$IMAGEOUTFILE\""
	}
	name = "blob"
}
CFG
run() { "$GENIMAGE_KILN" --config "$1" --rootpath root --tmppath "$2" --inputpath in --outputpath "$3"; }
run c.cfg tmp out >log 2>&1 || { cat log; fail "build failed"; }
[ "$(head -c 7 out/blob.bin)" = "blob:0:" ] || fail "content: $(head -c 20 out/blob.bin)"
[ "$(stat -c %s out/blob.bin)" = 5007 ] || fail "size is not what the command wrote"
expect_no_output tmp
if command -v genimage >/dev/null &&
	genimage --config c.cfg --rootpath root --tmppath gtmp --inputpath in --outputpath gout >glog 2>&1; then
	cmp gout/blob.bin out/blob.bin || fail "differs from genimage's"
fi

# With a size: the image is that size, the command sees it.
sed 's/name = "blob"/size = 64K/' c.cfg >s.cfg
run s.cfg tmp sout >/dev/null 2>&1 || fail "sized build failed"
[ "$(stat -c %s sout/blob.bin)" = 65536 ] || fail "sized image is not 64K"
[ "$(head -c 8 sout/blob.bin)" = ":65536:" ] || [ "$(head -c 7 sout/blob.bin)" = ":65536:" ] || fail "IMAGESIZE: $(head -c 10 sout/blob.bin)"

cat >bad.cfg <<'CFG'
image blob.bin {
	custom { exec = "echo partial >\"$IMAGEOUTFILE\"; exit 3" }
}
CFG
expect_fail 1 "bad.cfg:1: image 'blob.bin': exec \"echo partial.*\": /bin/sh exited with status 3" run bad.cfg tmp2 bout
expect_no_output bout
expect_no_output tmp2
cat >none.cfg <<'CFG'
image blob.bin {
	custom { exec = "true" }
}
CFG
expect_fail 1 "none.cfg:1: image 'blob.bin': exec \"true\" did not create \\\$IMAGEOUTFILE" run none.cfg tmp3 nout
expect_no_output nout
cat >noexec.cfg <<'CFG'
image blob.bin {
	custom { }
}
CFG
expect_fail 1 "noexec.cfg:[0-9]+: .*exec.*missing" run noexec.cfg tmp4 xout
expect_no_output xout
exit 0
