# qemu: bad options and inputs fail in a controlled way: one line, exit
# 1, no output left (qemu-img's own error is passed on in that line).
. "$KILN_TESTLIB"
need qemu-img
mkdir -p input
head -c 100000 /dev/urandom > input/a.img
one_line() { [ "$(wc -l < "$T/.err")" = 1 ] || { cat "$T/.err"; fail "$1: not one line"; }; }
run() { expect_fail 1 "$1" "$KILN" build --outputpath out --tmppath tmp "$2"; one_line "$2"; expect_no_output out; }

printf 'image q.qcow2 {\n\tqemu { }\n}\n' > nopart.cfg
run "image .q.qcow2.: no partition given" nopart.cfg
printf 'image q.img {\n\tqemu { format = "no such" }\n\tpartition a { image = "a.img" }\n}\n' > fmt.cfg
run 'fmt.cfg:[0-9]+: .*format = "no such": not a qemu-img format name' fmt.cfg
printf 'image q.img {\n\tqemu { format = "nosuchfmt" }\n\tpartition a { image = "a.img" }\n}\n' > unk.cfg
run "qemu-img convert -O nosuchfmt failed \\(exit 1\\): .*nosuchfmt" unk.cfg
[ -z "$(ls -A tmp 2>/dev/null)" ] || fail "qemu-img's output left in tmp: $(ls -A tmp)"
printf 'image q.img {\n\tqemu { }\n\tpartition a { image = "nope.img" }\n}\n' > missing.cfg
run 'nope.img' missing.cfg
echo ok
