# android-sparse: bad options and inputs fail in a controlled way: one
# line naming file:line, the option and the value, exit 1, no output left.
. "$KILN_TESTLIB"
mkdir -p input
head -c 100000 /dev/urandom > input/in.img
one_line() { [ "$(wc -l < "$T/.err")" = 1 ] || { cat "$T/.err"; fail "$1: not one line"; }; }
run() { expect_fail 1 "$1" "$KILN" build --outputpath out --tmppath tmp "$2"; one_line "$2"; expect_no_output out; }
cfg() { printf 'image s.simg {\n\tandroid-sparse {\n\t\t%s\n\t}\n%s}\n' "$2" "${3:-}" > "$1"; }

cfg noimg.cfg ''
run "noimg.cfg:[0-9]+: image .s.simg.: image: missing: the image to convert" noimg.cfg
cfg bs.cfg 'image = "in.img" block-size = 1000'
run 'block-size = "1000": must be a multiple of 512 up to 64M' bs.cfg
cfg bs0.cfg 'image = "in.img" block-size = 0'
run 'block-size = "0": must be a multiple of 512' bs0.cfg
cfg bsbig.cfg 'image = "in.img" block-size = 1G'
run 'block-size = "1G": must be a multiple of 512 up to 64M' bsbig.cfg
cfg crc.cfg 'image = "in.img" add-crc = maybe'
expect_fail 1 'add-crc' "$KILN" build --outputpath out --tmppath tmp crc.cfg; expect_no_output out
cfg missing.cfg 'image = "nope.img"'
run 'nope.img' missing.cfg
cfg small.cfg 'image = "in.img"' '	size = 4k
'
run 'sparse image needs [0-9]+ bytes, size is 4096' small.cfg
# a generated input that is too big for 2^32 blocks is refused in the plan
printf 'image big.img {\n\thdimage { }\n\tsize = 17T\n}\nimage s.simg {\n\tandroid-sparse { image = "big.img" block-size = 512 }\n}\n' > big.cfg
expect_fail 1 "has more than 2\\^32-1 blocks of 512" "$KILN" plan big.cfg
echo ok
