# fip: bad options and inputs fail in a controlled way: one line naming
# file:line, the option and the value, exit 1, no output left.
. "$KILN_TESTLIB"
mkdir -p input
head -c 100 /dev/urandom > input/bl31.bin
one_line() { [ "$(wc -l < "$T/.err")" = 1 ] || { cat "$T/.err"; fail "$1: not one line"; }; }
run() { expect_fail 1 "$1" "$KILN" build --outputpath out --tmppath tmp "$2"; one_line "$2"; expect_no_output out; }
cfg() { printf 'image f.fip {\n\tfip {\n\t\t%s\n\t}\n}\n' "$2" > "$1"; }

cfg tos.cfg 'tos-fw = { "bl31.bin", "bl31.bin", "bl31.bin", "bl31.bin" }'
run 'tos.cfg:[0-9]+: .*tos-fw = "bl31.bin": 4 tos-fw binaries given, at most 3' tos.cfg
cfg align.cfg 'soc-fw = "bl31.bin" extraargs = "--align 12"'
run "align.cfg:[0-9]+: .*extraargs = \"--align 12\": --align '12': not a power of two" align.cfg
cfg unk.cfg 'soc-fw = "bl31.bin" extraargs = "--verbose x"'
run "unk.cfg:[0-9]+: .*'--verbose': kiln takes --align, --plat-toc-flags and --blob" unk.cfg
cfg blob.cfg 'soc-fw = "bl31.bin" extraargs = "--blob uuid=zz,file=x"'
run "blob.cfg:[0-9]+: .*--blob 'uuid=zz,file=x': want uuid=UUID,file=PATH" blob.cfg
cfg nofile.cfg 'soc-fw = "bl31.bin" extraargs = "--blob uuid=01234567-89ab-cdef-0123-456789abcdef,file=nope.bin"'
run "--blob nope.bin: No such file or directory" nofile.cfg
cfg dup.cfg 'soc-fw = "bl31.bin" extraargs = "--blob uuid=47d4086d-4cfe-9846-9b95-2950cbbd5a00,file=input/bl31.bin"'
run "dup.cfg:[0-9]+: .*UUID given twice" dup.cfg
cfg noval.cfg 'soc-fw = "bl31.bin" extraargs = "--align"'
run "noval.cfg:[0-9]+: .*'--align' needs a value" noval.cfg
cfg flags.cfg 'soc-fw = "bl31.bin" extraargs = "--plat-toc-flags 0x10000"'
run "--plat-toc-flags '0x10000': not a 16-bit number" flags.cfg
cfg missing.cfg 'soc-fw = "nope.bin"'
run 'nope.bin' missing.cfg
cfg none.cfg ''
run 'fip: no image given' none.cfg
cfg badopt.cfg 'bl31 = "bl31.bin"'
expect_fail 1 'bl31' "$KILN" build --outputpath out --tmppath tmp badopt.cfg; expect_no_output out
echo ok
