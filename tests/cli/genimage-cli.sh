# genimage's command line: -v, --help naming every GENIMAGE_* variable
# (genimage's own tests grep --help for GENIMAGE_INCLUDEPATH), GENIMAGE_LOGLEVEL
# below --loglevel, and a bad GENIMAGE_LOGLEVEL refused in one line.
. "$KILN_TESTLIB"
"$GENIMAGE_KILN" -v | grep -q . || fail "-v prints no version"
help=$("$GENIMAGE_KILN" --help) || fail "--help failed"
for v in CONFIG ROOTPATH TMPPATH INPUTPATH OUTPUTPATH INCLUDEPATH LOGLEVEL RANDOMSEED; do
	grep -q "GENIMAGE_$v" <<<"$help" || fail "--help does not name GENIMAGE_$v"
done
mkdir -p input root
printf x > input/a.bin
echo 'image o.bin { file { name = "a.bin" } }' > g.cfg
out=$(GENIMAGE_LOGLEVEL=0 "$GENIMAGE_KILN" --config g.cfg 2>&1) || fail "build failed"
[ -z "$out" ] || fail "GENIMAGE_LOGLEVEL=0 still prints: $out"
out=$(GENIMAGE_LOGLEVEL=0 "$GENIMAGE_KILN" --config g.cfg --loglevel 1 2>&1)
grep -q "wrote" <<<"$out" || fail "--loglevel 1 does not override GENIMAGE_LOGLEVEL=0"
GENIMAGE_LOGLEVEL=x expect_fail 2 'GENIMAGE_LOGLEVEL="x": expected 0..10' "$GENIMAGE_KILN" --config g.cfg
echo "genimage-cli: ok"
