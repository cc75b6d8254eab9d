#!/bin/bash
# Bad configs fail in a controlled way: a specific message, exit 1, no
# signal, no output file left behind.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/hdimage/helpers.bash"
mk_inputs

# neg NAME REGEX: config on stdin; run natively and in genimage mode.
neg() {
	local name=$1 re=$2
	cat >$name.cfg
	expect_fail 1 "$re" "$KILN" build --inputpath in --outputpath out-$name $name.cfg
	expect_no_output out-$name
	expect_fail 1 "$re" "$GENIMAGE_KILN" --rootpath root --tmppath tmp-$name --inputpath in \
		--outputpath gout-$name --config $name.cfg
	expect_no_output gout-$name
	echo "ok: $name: $(head -1 "$T/.err")"
}

neg overlap "partition 'b' \[0x180000, 0x280000\) overlaps partition 'a' \[0x100000, 0x200000\)" <<'X'
image d.img {
	hdimage { }
	partition a { offset = 1M size = 1M }
	partition b { offset = 1536K size = 1M }
}
X
neg raw-over-mbr "\[MBR\] \[0x1b8, 0x200\) overlaps partition 'spl' \[0x0, 0x11170\).*hole" <<'X'
image d.img {
	hdimage { }
	partition spl { in-partition-table = false offset = 0 image = "spl.bin" }
	partition a { offset = 1M size = 1M }
}
X
neg raw-over-gpt "\[GPT array\] \[0x400, 0x4400\) overlaps partition 'spl'" <<'X'
image d.img {
	hdimage { partition-table-type = "gpt" }
	partition spl { in-partition-table = false offset = 512 image = "spl.bin" holes = {"(0;512)"} }
	partition a { offset = 1M size = 1M }
}
X
neg past-end "partition 'b': \[0x200000, 0x400000\) ends past the end of the disk \(size 3145728" <<'X'
image d.img {
	size = 3M
	hdimage { }
	partition a { offset = 1M size = 1M }
	partition b { size = 2M }
}
X
neg bad-suffix 'size = "12Q"|"12Q".*suffix' <<'X'
image d.img {
	hdimage { }
	partition a { size = 12Q }
}
X
neg unknown-option "no such option 'sise'" <<'X'
image d.img {
	hdimage { }
	partition a { sise = 1M }
}
X
neg unknown-section "no such option 'partitoin'|partitoin" <<'X'
image d.img {
	hdimage { }
	partitoin a { size = 1M }
}
X
neg missing-input "in/nosuch.img: No such file" <<'X'
image d.img {
	hdimage { }
	partition a { image = "nosuch.img" }
}
X
neg cyclic "cyclic image references" <<'X'
image a.img {
	hdimage { }
	partition p { image = "b.img" }
}
image b.img {
	hdimage { }
	partition q { image = "a.img" }
}
X
neg too-many-primary "partition 'p5': too many primary partitions" <<'X'
image d.img {
	hdimage { }
	partition p1 { size = 1M }
	partition p2 { size = 1M }
	partition p3 { size = 1M }
	partition p4 { size = 1M }
	partition p5 { size = 1M forced-primary = true }
}
X
neg hybrid-too-many "hybrid MBR: 4 partitions have a partition-type" <<'X'
image d.img {
	hdimage { partition-table-type = "hybrid" }
	partition p1 { size = 1M partition-type = 0x83 }
	partition p2 { size = 1M partition-type = 0x83 }
	partition p3 { size = 1M partition-type = 0x83 }
	partition p4 { size = 1M partition-type = 0x83 }
}
X
neg smaller-than-image "partition 'a': size \(1048576 bytes\) is smaller than its image 'boot.vfat' \(8388608 bytes\)" <<'X'
image d.img {
	hdimage { }
	partition a { size = 1M image = "boot.vfat" }
}
X
neg bad-type-uuid 'unknown partition-type-uuid "root-vax"' <<'X'
image d.img {
	hdimage { partition-table-type = "gpt" }
	partition a { size = 1M partition-type-uuid = "root-vax" }
}
X
neg type-on-gpt "'partition-type' is only valid for mbr and hybrid" <<'X'
image d.img {
	hdimage { partition-table-type = "gpt" }
	partition a { size = 1M partition-type = 0x83 }
}
X
neg bad-table-type 'partition-table-type = "gtp": expected none, mbr, dos, gpt or hybrid' <<'X'
image d.img {
	hdimage { partition-table-type = "gtp" }
	partition a { size = 1M }
}
X
neg bad-signature 'disk-signature = "0x1ffffffff"' <<'X'
image d.img {
	hdimage { disk-signature = 0x1ffffffff }
	partition a { size = 1M }
}
X
echo PASS
