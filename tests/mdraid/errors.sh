# mdraid: bad options fail in a controlled way: one line naming
# file:line, the option and the value, exit 1, no output left.
. "$KILN_TESTLIB"
mkdir -p input
head -c 10000 /dev/urandom > input/data.img
one_line() { [ "$(wc -l < "$T/.err")" = 1 ] || { cat "$T/.err"; fail "$1: not one line"; }; }
run() { expect_fail 1 "$1" "$KILN" build --outputpath out --tmppath tmp "$2"; one_line "$2"; expect_no_output out; }
cfg() { printf 'image m.md {\n\tmdraid {\n\t\t%s\n\t}\n%s}\n' "$2" "${3:-}" > "$1"; }

cfg level.cfg 'image = "data.img" level = 5'
run 'level.cfg:[0-9]+: .*level = "5": only RAID level 1 is supported' level.cfg
cfg dev.cfg 'image = "data.img" devices = 0'
run 'dev.cfg:[0-9]+: .*devices = "0": must be 1 to 384' dev.cfg
cfg role.cfg 'image = "data.img" devices = 2 role = 2'
run 'role 2: must be below devices \(2\)' role.cfg
cfg uuid.cfg 'image = "data.img" raid-uuid = "xyz"'
run 'uuid.cfg:[0-9]+: .*raid-uuid = "xyz": not a UUID' uuid.cfg
cfg label.cfg 'image = "data.img" label = "0123456789012345678901234567890123"'
run 'label = "0123456789012345678901234567890123": longer than 31 bytes' label.cfg
cfg empty.cfg ''
run "image .m.md.: neither .image. nor .size. given" empty.cfg
cfg small.cfg 'image = "data.img"' '	size = 1M
'
run "size 1048576 cannot hold 'data.img' \\(10000 bytes\\)" small.cfg
cfg unal.cfg '' '	size = 1000000000
'
run 'size 1000000000: must be a multiple of 4096' unal.cfg
cfg missing.cfg 'image = "nope.img"'
run 'nope.img' missing.cfg
printf 'image m.md {\n\tmdraid { parent = "data.img" }\n}\n' > parent.cfg
run "parent 'data.img' is not an mdraid image" parent.cfg
echo ok
