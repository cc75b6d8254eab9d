# Config errors name file:line, the key and the value; exit 1; no output.
. "$KILN_TESTLIB"
mkdir -p input; echo x > input/a.bin
t() { # t NAME REGEX CONFIG-TEXT
	printf '%s\n' "$3" > "$1.cfg"
	expect_fail 1 "$2" "$KILN" build --outputpath "out-$1" "$1.cfg"
	expect_no_output "out-$1"
}
t unknown-opt "unknown.cfg:2|no such option 'frob'" 'image a { file { name = "a.bin" }
frob = 1 }'
t unknown-sec "no such option 'nosuchtype'" 'image a { nosuchtype { } }'
t no-type "image 'a': no image type section" 'image a { size = 1M }'
t two-types "both 'file' and" 'image a { file { } file { } }'
t bad-size 'size = "12Q"|"12Q": unknown suffix' 'image a {
 size = "12Q"
 file { name = "a.bin" } }'
t mb-native '"1MB"' 'image a { size = "1MB" file { name = "a.bin" } }'
t missing-input "input file input/zz.bin" 'image a { file { name = "zz.bin" } }'
t syntax "syntax.cfg:1" 'image a { file { name = } }'
t dup-image "a" 'image a { file { name = "a.bin" } }
image a { file { name = "a.bin" } }'
t include-missing 'include\("nothere.cfg"\)' 'include("nothere.cfg")'
t no-images "no images defined" ''
# genimage accepts "1MB" as 1 MiB: so does genimage mode, with a warning.
printf 'image a { size = "1MB" file { name = "a.bin" } }\n' > mb.cfg
"$GENIMAGE_KILN" --config mb.cfg --outputpath o-mb 2>err.txt
grep -q "trailing 'B'" err.txt || fail "no warning for 1MB in genimage mode"
echo "config-errors: ok"
