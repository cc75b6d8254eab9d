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
# did you mean: options (also one section too high), commands, image names
t typo-opt "typo-opt.cfg:3: image 'd': no such option 'partiton-table-type'; did you mean 'partition-table-type'\\?" 'image d {
 hdimage {
  partiton-table-type = "gpt"
 }
}'
t typo-level "did you mean 'partition-table-type' inside hdimage \\{ \\}\\?" 'image d {
 hdimage { }
 partition-table-type = "gpt"
}'
t typo-type "typo-type.cfg:1: image 'a': no such option 'vfta'; did you mean 'vfat'\\?" 'image a { vfta { } }'
t typo-ref "typo-ref.cfg:2: image 'd.img': input file input/a.bim: .*did you mean image 'a.bin'\\?" 'image a.bin { file { name = "a.bin" } }
image d.img {
 hdimage { }
 partition p { image = "a.bim" }
}'
expect_fail 2 "unknown command 'biuld'; did you mean 'build'\\?" "$KILN" biuld x.cfg
expect_fail 2 "unknown command 'frobnicate'" "$KILN" frobnicate
# A directory as config or include: one clear line, exit 1.
mkdir -p adir
expect_fail 1 "^kiln: error: adir: is a directory" "$KILN" build --outputpath out-dir adir
expect_no_output out-dir
t include-dir 'include-dir.cfg:2: include\("adir"\): adir: is a directory' '# c
include("adir")'
# A config from a pipe still works (process substitution), with its lines.
printf '# c\nimage a { file { name = "a.bin" }\n bogus = 1 }\n' > piped.txt
expect_fail 1 '/dev/stdin:3: image .a.: no such option .bogus.' "$KILN" plan --outputpath out-pipe /dev/stdin < <(cat piped.txt)
# A file that ends inside a section, string or comment does not build.
t trunc-sec "trunc-sec.cfg:1: '\\{' is never closed" 'image a { file { name = "a.bin" }'
t trunc-str "trunc-str.cfg:1: double-quoted string is never closed" 'image a { file { name = "a.bin'
t trunc-paren "trunc-paren.cfg:2: '\\(' is never closed" '# c
include("x.cfg"'
t trunc-com "trunc-com.cfg:2: comment '/\\*' is never closed" 'image a { file { name = "a.bin" } }
/* image b { file { name = "a.bin" } }'
# genimage accepts "1MB" as 1 MiB: so does genimage mode, with a warning.
printf 'image a { size = "1MB" file { name = "a.bin" } }\n' > mb.cfg
"$GENIMAGE_KILN" --config mb.cfg --outputpath o-mb 2>err.txt
grep -q "trailing 'B'" err.txt || fail "no warning for 1MB in genimage mode"
echo "config-errors: ok"
