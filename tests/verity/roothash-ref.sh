# ${verity:IMAGE:roothash} in an expanded U-Boot environment file: the
# env holds the root hash kiln wrote (veritysetup verifies the data with
# the value read back by fw_printenv), whatever the order of the sections
# (the env is written after the verity image); the env's size checks are
# those of the final text; a data image given as an input file works at
# plan time too. Bad references fail with one line naming the file, the
# variable and the image, and leave no output.
. "$KILN_TESTLIB"
need veritysetup fw_printenv

mkdir -p input root/etc
echo hello >root/etc/motd
head -c 20000 /dev/urandom >root/etc/blob
head -c 65536 /dev/urandom >input/data.img
cat >input/env.txt <<'E'
bootargs=ro root=/dev/dm-0 roothash=${verity:root.verity:roothash} u=$${uboot}
datahash=${verity:data.verity:roothash}
E
cat >k.cfg <<'C'
image uboot.env { ubootenv { file = "env.txt" expand = true } size = 0x4000 }
image root.verity { verity { image = "root.erofs" } }
image root.erofs { erofs { } srcpath = "root" }
image data.verity { verity { image = "data.img" } }
C
"$KILN" build --no-bmap --inputpath input --outputpath out --tmppath tmp k.cfg 2>err ||
	{ cat err >&2; fail "build"; }
getenv() { fw_printenv -c fw.config -n "$1"; }
echo "$T/out/uboot.env 0 0x4000" >fw.config
root=$(cat tmp/root.verity.root-hash)
args=$(getenv bootargs) || fail "fw_printenv cannot read the env"
[ "$args" = "ro root=/dev/dm-0 roothash=$root u=\${uboot}" ] || fail "bootargs: '$args' (root hash $root)"
h=${args#*roothash=}
veritysetup verify out/root.erofs out/root.verity "${h%% *}" ||
	fail "veritysetup refuses the root hash from the env"
data=$(getenv datahash)
veritysetup verify input/data.img out/data.verity "$data" || fail "data root hash from the env"
[ "$data" = "$(cat tmp/data.verity.root-hash)" ] || fail "datahash $data"

# Errors: exit 1, one line, nothing written.
bad() { # REGEX ENV-LINE [TREE-LINE]
	rm -rf out tmp
	printf '%s\n' "$2" >input/bad.txt
	{
		echo 'image root.erofs { erofs { } srcpath = "root" }'
		echo 'image root.verity { verity { image = "root.erofs" } }'
		echo 'image e.env { ubootenv { file = "bad.txt" expand = true } size = 0x4000 }'
		[ -z "${3:-}" ] || echo "$3"
	} >b.cfg
	expect_fail 1 "$1" "$KILN" build --no-bmap --inputpath input --outputpath out --tmppath tmp b.cfg
	[ "$(wc -l <"$T/.err")" = 1 ] || { cat "$T/.err" >&2; fail "more than one line: $1"; }
	expect_no_output out
	! grep -q 'Sanitizer' "$T/.err" || fail "sanitizer report: $1"
}
bad "b.cfg:3: image 'e.env': input/bad.txt: a: \\\$\{verity:root.erofs:roothash\}: image 'root.erofs' is not a verity image" \
	'a=${verity:root.erofs:roothash}'
bad "b.cfg:3: image 'e.env': input file input/nope.verity: No such file" 'a=${verity:nope.verity:roothash}'
# A 64-byte env has no room for 64 digits: found at plan time.
bad "b.cfg:4: image 'small.env': variables need 68 bytes, 60 available" 'a=${verity:root.verity:roothash}' \
	'image small.env { ubootenv { file = "bad.txt" expand = true } size = 64 }'
# Trees are made before any image is written: a clear refusal.
echo 'h=${verity:root.verity:roothash}' >input/h.in
bad "b.cfg:4: image 'x.erofs': tree 't': input/h.in: \\\$\{verity:root.verity:roothash\}: the root hash is known only once \"root.verity\" is written" \
	'a=1' 'tree t { file /etc/h { source = "h.in" expand = true } } image x.erofs { erofs { } tree = t }'
echo "roothash-ref: ok"
