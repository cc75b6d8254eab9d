# Hostile archives are contained or refused with a clear error; nothing is
# written outside out/ and tmp/, no output is left after a failure, no
# crash (ASan/UBSan are on in the test build).
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/trees/helpers.inc"
need python3
mkdir -p input sandbox/in
# A file that must never change (it would be ../etc/passwd of the inputs).
mkdir -p etc && echo original >etc/passwd

try() { # NAME: build an image from input/NAME as one archive layer
	cat >kiln.cfg <<CFG
tree t { layer { archive = "$1" } }
image x.cpio { cpio { } tree = t }
CFG
	"$KILN" build --inputpath input --tmppath tmp --outputpath out kiln.cfg
}

before=$(snapshot "$T")

make_tar input/dotdot.tar '[{"name": "../etc/passwd", "data": "pwned"}]'
expect_fail 1 'dotdot.tar: member "\.\./etc/passwd": contains a "\.\." component \(refused\)' try dotdot.tar
expect_no_output out

make_tar input/dotdot2.tar '[{"name": "a/../../etc/passwd", "data": "pwned"}]'
expect_fail 1 'contains a "\.\." component' try dotdot2.tar
expect_no_output out

make_tar input/through.tar '[{"name": "evil", "type": "l", "link": "/etc"},
                            {"name": "evil/passwd", "data": "pwned"}]'
expect_fail 1 'member "evil/passwd": parent "/evil" is a symlink \(to "/etc"\)' try through.tar
expect_no_output out

make_tar input/through2.tar '[{"name": "d/", "type": "d"}, {"name": "d/up", "type": "l", "link": "../.."},
                             {"name": "d/up/x/y", "data": "pwned"}]'
expect_fail 1 'parent "/d/up" is a symlink' try through2.tar

make_tar input/hlout.tar '[{"name": "shadow", "type": "h", "link": "../../etc/shadow"}]'
expect_fail 1 'hard link target "\.\./\.\./etc/shadow": contains a "\.\." component' try hlout.tar
make_tar input/hlabs.tar '[{"name": "shadow", "type": "h", "link": "/etc/shadow"}]'
expect_fail 1 'member "shadow": hard link to "/etc/shadow", which is not in the tree' try hlabs.tar
expect_no_output out

# Absolute names are contained under the tree root, with a warning.
make_tar input/abs.tar '[{"name": "/abs/path", "data": "inside"}]'
try abs.tar 2>abs.err || { cat abs.err; fail "absolute member name"; }
grep -q "removing leading '/'" abs.err || fail "no warning for an absolute name"
"$KILN" ls --inputpath input --tmppath tmp kiln.cfg x.cpio >ls.txt
expect_ls ls.txt /abs/path - 0644 0:0 6
[ ! -e /abs/path ] || [ "$(cat /abs/path)" != inside ] || fail "/abs/path written on the host"
rm -rf out

# Truncated and corrupt archives.
make_tar input/good.tar.gz '[{"name": "a", "data": "'"$(head -c 30000 /dev/urandom | base64 -w0)"'"}, {"name": "b", "data": "bbb"}]'
head -c 3000 input/good.tar.gz >input/trunc.tar.gz
expect_fail 1 'trunc.tar.gz: ' try trunc.tar.gz
expect_no_output out
make_tar input/good.tar '[{"name": "a", "data": "'"$(head -c 3000 /dev/zero | tr '\0' a)"'"}]'
head -c 1000 input/good.tar >input/trunc.tar
expect_fail 1 'trunc.tar: member "a": ' try trunc.tar
expect_no_output out
head -c 4096 /dev/urandom >input/random.tar
expect_fail 1 'random.tar: ' try random.tar
python3 - <<'PY'
import random
d = bytearray(open('input/good.tar', 'rb').read())
random.seed(5)
for _ in range(40):
    d[random.randrange(0, 512)] = random.randrange(256)
open('input/corrupt.tar', 'wb').write(d)
PY
expect_fail 1 'corrupt.tar: ' try corrupt.tar
: >input/empty.tar
expect_fail 1 'empty.tar: ' try empty.tar
expect_fail 1 'missing.tar: No such file' try missing.tar
expect_no_output out

# Not a .deb: refused as such.
cat >kiln.cfg <<'CFG'
tree t { layer { deb = "good.tar" } }
image x.cpio { cpio { } tree = t }
CFG
expect_fail 1 'good.tar: ' "$KILN" build --inputpath input --tmppath tmp --outputpath out kiln.cfg

# 100,000 tiny members: fast, bounded.
python3 - <<'PY'
import io, tarfile
with tarfile.open('input/many.tar.gz', 'w:gz', compresslevel=1) as t:
    for i in range(100000):
        ti = tarfile.TarInfo('d%03d/f%05d' % (i // 1000, i))
        ti.size = 1
        t.addfile(ti, io.BytesIO(b'x'))
PY
s=$(date +%s%N)
try many.tar.gz >/dev/null || fail "100k entries"
e=$(( ($(date +%s%N) - s) / 1000000 ))
echo "100,000 members: ${e} ms"
n=$(cpio -it <out/x.cpio 2>/dev/null | wc -l)
[ "$n" = 100101 ] || fail "cpio holds $n entries, expected 100101"

[ "$(cat etc/passwd)" = original ] || fail "../etc/passwd was modified"
after=$(snapshot "$T")
[ "$before" = "$after" ] || fail "files written outside out/ and tmp/: $(diff <(echo "$before") <(echo "$after") | head -5)"
[ -z "$(ls tmp 2>/dev/null)" ] || fail "spill file left in tmp: $(ls tmp)"
