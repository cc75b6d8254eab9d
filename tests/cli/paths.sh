# Path settings follow genimage's precedence:
# built-in default < GENIMAGE_* environment < config {} < command line.
. "$KILN_TESTLIB"
mkdir -p in1 in2 in3 in4 input
for d in in1 in2 in3 in4 input; do echo "$d" > $d/data.bin; done
cat > c.cfg <<'CFG'
image out.bin { file { name = "data.bin" } }
CFG
cat > c-config.cfg <<'CFG'
config { inputpath = "in3" outputpath = "o3" }
image out.bin { file { name = "data.bin" } }
CFG
# default
"$KILN" build c.cfg 2>/dev/null; [ "$(cat images/out.bin)" = input ] || fail "default inputpath"
# environment
GENIMAGE_INPUTPATH=in2 GENIMAGE_OUTPUTPATH=o2 "$KILN" build c.cfg 2>/dev/null
[ "$(cat o2/out.bin)" = in2 ] || fail "GENIMAGE_* environment"
# config {} beats the environment
GENIMAGE_INPUTPATH=in2 GENIMAGE_OUTPUTPATH=o2 "$KILN" build c-config.cfg 2>/dev/null
[ "$(cat o3/out.bin)" = in3 ] || fail "config {} over environment"
# command line beats config {}
GENIMAGE_INPUTPATH=in2 "$KILN" build --inputpath in4 --outputpath o4 c-config.cfg 2>/dev/null
[ "$(cat o4/out.bin)" = in4 ] || fail "command line over config {}"
# --config and GENIMAGE_CONFIG
GENIMAGE_CONFIG=c.cfg "$KILN" build --outputpath o5 2>/dev/null
[ -f o5/out.bin ] || fail "GENIMAGE_CONFIG"
"$KILN" build --config c.cfg --outputpath o6 2>/dev/null
[ -f o6/out.bin ] || fail "--config"
# genimage mode: default config genimage.cfg and default paths
cp c.cfg genimage.cfg
"$GENIMAGE_KILN" 2>/dev/null
[ "$(cat images/out.bin)" = input ] || fail "genimage defaults"
# --configdump writes the parsed config
"$KILN" plan --configdump dump.cfg c.cfg >/dev/null
grep -q 'data.bin' dump.cfg || fail "--configdump"
echo "paths: ok"
