# mdraid: mdadm --examine reads each member (RAID1, devices, label,
# array UUID shared, device UUID and role per member, creation time,
# data offset) and finds its checksum correct; the data at 1 MiB is the
# input; default UUIDs follow docs/reproducibility.md; two builds are
# identical; as root with an md driver, the members assemble read-only
# and the array holds the input (skipped, and said so, otherwise).
. "$KILN_TESTLIB"
need mdadm python3 cmp
mkdir -p input
head -c 3000000 /dev/urandom > input/data.img
cat > m.cfg <<'C'
image a.md {
	mdraid {
		image = "data.img"
		devices = 3
		label = "kiln:root"
		timestamp = 1700000000
		raid-uuid = "0b72a40c-4202-4ad2-bffc-211eaa117149"
		disk-uuid = "11111111-2222-3333-4444-555555555555"
	}
}
image b.md { mdraid { parent = "a.md" } }
image c.md { mdraid { parent = "a.md" } }
image d.md { mdraid { } size = 2M }
C
"$KILN" plan m.cfg > plan.txt
grep -q "role 2 of 3" plan.txt || { cat plan.txt; fail "plan: c.md is not role 2"; }
"$KILN" build --outputpath out --tmppath tmp m.cfg >/dev/null
export TZ=UTC
ex() { mdadm --examine "out/$1" > "$1.txt" 2>&1 || { cat "$1.txt"; fail "mdadm --examine $1"; }; }
has() { grep -Eq "$2" "$1.txt" || { cat "$1.txt"; fail "$1: no /$2/"; }; }
role=0
for m in a.md b.md c.md; do
	ex $m
	has $m 'Version : 1\.2'
	has $m 'Raid Level : raid1'
	has $m 'Raid Devices : 3'
	has $m 'Name : kiln:root'
	has $m 'Array UUID : 0b72a40c:42024ad2:bffc211e:aa117149'
	has $m 'Creation Time : Tue Nov 14 22:13:20 2023'
	has $m 'Data Offset : 2048 sectors'
	has $m 'Super Offset : 8 sectors'
	has $m 'Internal Bitmap : 8 sectors from superblock'
	has $m 'Checksum : [0-9a-f]+ - correct'
	has $m "Device Role : Active device $role"
	has $m 'Array State : AAA'
	cmp -n 3000000 input/data.img "out/$m" 0 1048576 || fail "$m: data at 1 MiB is not the input"
	[ "$(stat -c %s out/$m)" = $(( (3000000 + 1048576 + 4095) / 4096 * 4096 )) ] || fail "$m: size"
	role=$((role + 1))
done
has a.md 'Device UUID : 11111111:22223333:44445555:55555555'
ex d.md
has d.md 'Name : any:42'
has d.md 'Raid Devices : 1'
has d.md 'Checksum : [0-9a-f]+ - correct'
has d.md "Creation Time : $(date -u -d @"${SOURCE_DATE_EPOCH:-1577836800}" '+%a %b %e %H:%M:%S %Y')"
# default ids: docs/reproducibility.md's formula
python3 - <<'P' > want-ids.txt
import hashlib, hmac, struct
def uid(name, purpose):
    k = hashlib.sha256(b"kiln-image:" + name.encode()).digest()
    b = bytearray(hmac.new(k, purpose.encode() + b"\0" + struct.pack(">I", 0), "sha256").digest()[:16])
    b[6] = b[6] & 0x0f | 0x40; b[8] = b[8] & 0x3f | 0x80
    h = b.hex(); return ":".join(h[i:i+8] for i in range(0, 32, 8))
print("d.md Array UUID : " + uid("d.md", "mdraid-array-uuid"))
for n in ("b.md", "c.md", "d.md"):
    print(n + " Device UUID : " + uid(n, "mdraid-device-uuid"))
P
while read -r n rest; do has "$n" "$rest"; done < want-ids.txt
# reproducible
"$KILN" build --outputpath out2 --tmppath tmp2 m.cfg >/dev/null
for m in a.md b.md c.md d.md; do cmp out/$m out2/$m || fail "$m: two builds differ"; done

# assembly: root and an md driver only
if [ "$(id -u)" != 0 ] || [ ! -e /proc/mdstat ] || ! command -v losetup >/dev/null; then
	echo "SKIP part: assembling needs root and the md driver (/proc/mdstat)" >&2
	echo ok; exit 0
fi
loops=
cleanup() {
	mdadm --stop /dev/md/kilntest$$ >/dev/null 2>&1 || true
	for l in $loops; do losetup -d "$l" 2>/dev/null || true; done
}
trap cleanup EXIT
for m in a.md b.md c.md; do
	l=$(losetup -f --show -r "out/$m") || { echo "SKIP part: no loop device" >&2; echo ok; exit 0; }
	loops="$loops $l"
done
mdadm --assemble --readonly /dev/md/kilntest$$ $loops || fail "mdadm --assemble"
cmp -n 3000000 input/data.img /dev/md/kilntest$$ || fail "array content is not the input"
echo ok
