# Command-line handling: usage errors are exit 2, not silently ignored.
. "$KILN_TESTLIB"
"$KILN" --version | grep -Eq '^kiln [0-9]+\.[0-9]+' || fail "--version"
"$KILN" --help | grep -q 'build' || fail "--help lists commands"
"$KILN" build --help | grep -q -- '--rootpath' || fail "build --help lists options"
expect_fail 2 "unknown command 'frobnicate'" "$KILN" frobnicate
expect_fail 2 "usage" "$KILN"
expect_fail 2 "unknown option '--bogus'" "$KILN" build --bogus
expect_fail 2 "unknown option '--bogus'" "$GENIMAGE_KILN" --bogus
expect_fail 2 "unexpected argument 'extra'" "$KILN" build a.cfg extra
expect_fail 2 "unexpected argument 'stray'" "$GENIMAGE_KILN" stray
expect_fail 2 "needs a value" "$KILN" build --rootpath
expect_fail 2 "loglevel" "$KILN" build --loglevel x
# Missing config: a build error (1), naming the file.
expect_fail 1 "nope.cfg: cannot read config" "$KILN" build nope.cfg
expect_fail 1 "kiln.cfg: cannot read config" "$KILN" build
expect_fail 1 "genimage.cfg: cannot read config" "$GENIMAGE_KILN"
SOURCE_DATE_EPOCH=yesterday expect_fail 1 "SOURCE_DATE_EPOCH" "$KILN" build
echo "usage: ok"
