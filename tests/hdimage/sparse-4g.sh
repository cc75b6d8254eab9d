#!/bin/bash
# A 4 GiB GPT disk holding ~8 MiB of data occupies about that much:
# holes in the inputs stay holes, no zeros are written.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/hdimage/helpers.bash"
mk_inputs
head -c $((8 << 20)) /dev/urandom >in/data.bin
cat >C <<'X'
image big.img {
	size = 4G
	hdimage { partition-table-type = "gpt" }
	partition data { image = "data.bin" }
	partition root { image = "root.ext4" }
	partition rest { autoresize = true partition-type-uuid = "home" }
}
X
"$KILN" build --inputpath in --outputpath o C || fail build
f=o/big.img
[ "$(stat -c %s $f)" = $((4 << 30)) ] || fail "size"
check_clean $f
used=$(($(stat -c %b $f) * $(stat -c %B $f)))
echo "4 GiB disk: $used bytes allocated"
[ $used -lt $((10 << 20)) ] || fail "$used bytes allocated, expected about 8 MiB"
cmp <(dd if=$f bs=1M skip=1 count=8 status=none) in/data.bin || fail "data partition content"
sfdisk -d $f | grep -q 'type=933AC7E1-2EB4-4F13-B844-0E14E2AEF915, uuid=.*name="rest"' || fail "home shortcut"
echo PASS
