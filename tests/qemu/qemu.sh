# qemu: the native qcow2 passes `qemu-img check`, reads back identical
# to the concatenated inputs (`qemu-img compare`), is v3 with 64 KiB
# clusters and 16-bit refcounts (`qemu-img info`), allocates clusters
# only where the inputs have data (`qemu-img map`); genimage 16 (which
# runs qemu-img) gives a disk with the same content; another format goes
# through qemu-img convert; two builds are identical; kiln plan.
. "$KILN_TESTLIB"
need qemu-img python3 genimage cmp
mkdir -p input
python3 - <<'P'
import random
random.seed(3)
f = open('input/a.img', 'wb'); f.truncate(5 * 2**20 + 1000)     # not a multiple of 512
f.seek(0); f.write(random.randbytes(70000)); f.seek(3 << 20); f.write(b'B' * 10)
f.seek(5 * 2**20 + 900); f.write(b'end')
f = open('input/b.img', 'wb'); f.truncate(600 * 2**20)            # two L2 tables
f.seek(550 << 20); f.write(random.randbytes(200000)); f.seek(100 << 20); f.write(bytes(65536))
P
cat > q.cfg <<'C'
image d.qcow2 {
	qemu { }
	partition a { image = "a.img" }
	partition b { image = "b.img" }
}
image v.vmdk {
	qemu { format = "vmdk" }
	partition a { image = "a.img" }
}
C
"$KILN" plan q.cfg > plan.txt
grep -q "qcow2 v3 of 2 image(s), 64 KiB clusters: at most [0-9]* bytes" plan.txt || { cat plan.txt; fail "plan"; }
"$KILN" build --outputpath out --tmppath tmp q.cfg >/dev/null
qemu-img check out/d.qcow2 > check.txt || { cat check.txt; fail "qemu-img check"; }
grep -q "No errors were found on the image." check.txt || { cat check.txt; fail "check"; }
# the concatenation qemu-img convert reads: each input in whole sectors
python3 - <<'P'
a = open('input/a.img', 'rb').read(); b = open('input/b.img', 'rb').read()
open('cat.img', 'wb').write(a + bytes(-len(a) % 512) + b)
P
qemu-img compare -f raw -F qcow2 cat.img out/d.qcow2 || fail "content differs from the inputs"
qemu-img info --output=json out/d.qcow2 > info.json
python3 - <<'P' || fail "qemu-img info"
import json, os
i = json.load(open('info.json'))
assert i['format'] == 'qcow2', i
assert i['virtual-size'] == os.path.getsize('cat.img'), i
assert i['cluster-size'] == 65536, i
s = i['format-specific']['data']
assert s['compat'] == '1.1' and s['refcount-bits'] == 16, s
P
# clusters only for mapped data: a.img 2 + 1 + 1; b.img starts 1024 bytes into a
# cluster, so its 64 KiB of zero data (data, though zeros) spans 2 and its 200000 bytes 4
qemu-img map --output=json out/d.qcow2 > map.json
python3 - <<'P' || fail "allocation"
import json
m = json.load(open('map.json'))
data = sum(e['length'] for e in m if e['data'])
assert data == 10 * 65536, data
P
[ "$(stat -c %s out/d.qcow2)" -lt $((2 * 1024 * 1024)) ] || fail "qcow2 is not sparse"
# twin: genimage 16 runs qemu-img convert
genimage --config q.cfg --outputpath gout --tmppath gtmp --rootpath "$PWD/input" \
	--inputpath "$PWD/input" >/dev/null 2>&1 || fail "genimage failed"
qemu-img compare gout/d.qcow2 out/d.qcow2 || fail "differs from genimage's qcow2"
qemu-img compare -f raw input/a.img out/v.vmdk || fail "vmdk content differs"
qemu-img compare gout/v.vmdk out/v.vmdk || fail "differs from genimage's vmdk"
"$KILN" build --outputpath out2 --tmppath tmp2 q.cfg >/dev/null
cmp out/d.qcow2 out2/d.qcow2 || fail "two builds differ"
echo ok
