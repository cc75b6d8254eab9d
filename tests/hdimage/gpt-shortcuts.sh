# config { gpt-shortcuts { NAME = "UUID" } } (genimage >= 19): names for
# partition-type-uuid, looked up case-insensitively before the built-in
# ones; sfdisk reads the types back. A malformed section fails at its line.
. "$KILN_TESTLIB"
need sfdisk
mkdir -p input root
cat > s.cfg <<'CFG'
config {
	gpt-shortcuts {
		myboot = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
		L = "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7"
	}
}
image s.img {
	hdimage { partition-table-type = "gpt" }
	partition a { size = 1M partition-type-uuid = "MyBoot" }
	partition b { size = 1M partition-type-uuid = "l" }
	partition c { size = 1M partition-type-uuid = "U" }
}
CFG
for k in "$GENIMAGE_KILN --config s.cfg --outputpath g" "$KILN build --no-bmap --outputpath k s.cfg"; do
	$k 2>err || { cat err >&2; fail "$k: refused"; }
	! grep -Eq 'error|warning' err || fail "$k: spurious messages: $(cat err)"
done
for f in g/s.img k/s.img; do
	t=$(sfdisk -d "$f" | sed -n 's/.*type=\([^,]*\),.*/\1/p' | tr '\n' ' ')
	[ "$t" = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B EBD0A0A2-B9E5-4433-87C0-68B6B72699C7 C12A7328-F81F-11D2-BA4B-00A0C93EC93B " ] ||
		fail "$f: types $t"
done
sed 's/"U"/"nosuch"/' s.cfg > u.cfg
expect_fail 1 'u\.cfg:11: .*partition .c.: unknown partition-type-uuid "nosuch"' \
	"$GENIMAGE_KILN" --config u.cfg --outputpath u
printf 'config {\n\tgpt-shortcuts {\n\t\tx = "a"\n\t\ty { }\n\t}\n}\n' > bad.cfg
expect_fail 1 '^genimage: error: bad\.cfg:[0-9]+: .*missing equal sign' "$GENIMAGE_KILN" --config bad.cfg
echo "gpt-shortcuts: ok"
