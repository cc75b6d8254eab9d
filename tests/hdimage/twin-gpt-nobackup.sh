#!/bin/bash
# gpt-no-backup: no backup header/array; the header's backup LBA points
# at itself (1), as genimage writes it, and the file ends after the data.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/hdimage/helpers.bash"
need genimage python3
mk_inputs
cat >C <<'X'
image nb.img {
	hdimage {
		partition-table-type = "gpt"
		gpt-no-backup = true
		disk-uuid = "22222222-2222-4333-8444-555555555555"
	}
	partition a {
		image = "boot.vfat"
		partition-uuid = "22222222-2222-4333-8444-000000000001"
		size = 10M
	}
}
X
genimage_pair C
[ "$(stat -c %s ok/nb.img)" = "$(stat -c %s og/nb.img)" ] || fail "file length $(stat -c %s ok/nb.img) != genimage's $(stat -c %s og/nb.img)"
cmp_except og/nb.img ok/nb.img 528:532 552:560 || fail "bytes differ beyond the first-usable-LBA fields"
python3 - ok/nb.img <<'PY' || fail "header fields"
import sys, struct
f = open(sys.argv[1], 'rb'); f.seek(512); h = f.read(92)
cur, backup, first, last = struct.unpack('<QQQQ', h[24:56])
assert h[:8] == b'EFI PART' and cur == 1 and backup == 1, (cur, backup)
assert first == 34, first
PY
echo PASS
