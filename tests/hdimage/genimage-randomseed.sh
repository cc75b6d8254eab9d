# randomseed (genimage >= 19): invoked as genimage, kiln draws the GPT UUIDs
# from genimage's seeded generator. The expected GUIDs are those of genimage's
# own golden image for this config with randomseed = 1 (its test/randomseed.expected,
# upstream 2933592), read back here by sgdisk.
. "$KILN_TESTLIB"
need sgdisk sfdisk
mkdir -p input root
cat > rs.cfg <<'CFG'
image randomseed.img {
	hdimage { partition-table-type = "gpt" }
	partition rootfs { size = 1M }
}
config { randomseed = 1 }
CFG
guids() {
	sgdisk -p "$1" | sed -n 's/^Disk identifier (GUID): //p'
	sgdisk -i 1 "$1" | sed -n 's/^Partition unique GUID: //p'
}
"$GENIMAGE_KILN" --config rs.cfg --outputpath a 2>/dev/null || fail "build with randomseed"
want="30210718-5500-5381-FF99-08FD68070040
60500962-4000-6199-FF94-03FD88820046"
[ "$(guids a/randomseed.img)" = "$want" ] || fail "randomseed = 1: GUIDs $(guids a/randomseed.img | tr '\n' ' ')differ from genimage's"
[ "$(stat -c %s a/randomseed.img)" = 1085440 ] || fail "size differs from genimage's"
# The command line overrides the config, as in genimage; 2 and 3 differ.
"$GENIMAGE_KILN" --config rs.cfg --outputpath b --randomseed 2 2>/dev/null
GENIMAGE_RANDOMSEED=3 "$GENIMAGE_KILN" --config rs.cfg --outputpath c 2>/dev/null
[ "$(guids b/randomseed.img)" != "$want" ] || fail "--randomseed 2 ignored"
[ "$(guids b/randomseed.img)" != "$(guids c/randomseed.img)" ] || fail "seeds 2 and 3 give the same ids"
GENIMAGE_RANDOMSEED=2 "$GENIMAGE_KILN" --config rs.cfg --outputpath d --randomseed 1 2>/dev/null
cmp -s a/randomseed.img d/randomseed.img || fail "--randomseed does not override GENIMAGE_RANDOMSEED"
# An MBR "random" signature comes from the generator too: reproducible.
cat > mbr.cfg <<'CFG'
image m.img {
	hdimage { partition-table-type = "mbr" disk-signature = "random" }
	partition p { size = 1M }
}
CFG
"$GENIMAGE_KILN" --config mbr.cfg --outputpath e --randomseed 7 2>/dev/null
"$GENIMAGE_KILN" --config mbr.cfg --outputpath f --randomseed 7 2>/dev/null
cmp -s e/m.img f/m.img || fail "disk-signature = random with a randomseed is not reproducible"
sfdisk -V e/m.img >/dev/null || fail "sfdisk -V"
echo "genimage-randomseed: ok"
