# Every config message names the file and line of what it is about, in
# the order FILE:LINE: image 'NAME': ... — whatever comments (#, //, /* */
# over several lines), includes, multi-line values and lists, and section
# depth come before it. libconfuse alone gets these wrong (scan.h).
. "$KILN_TESTLIB"
mkdir -p input; echo x > input/a.bin
t() { # t NAME EXPECTED-PREFIX CONFIG-TEXT: the error line starts exactly so
	printf '%s\n' "$3" > "$1.cfg"
	local rc=0
	"$KILN" plan --inputpath input --outputpath "out-$1" "$1.cfg" >/dev/null 2>"$1.err" || rc=$?
	[ "$rc" = 1 ] || { cat "$1.err" >&2; fail "$1: exit $rc, expected 1"; }
	local got
	got=$(grep '^kiln: error: ' "$1.err" | head -1)
	case "$got" in
	"kiln: error: $2"*) ;;
	*) cat "$1.err" >&2; fail "$1: expected 'kiln: error: $2...', got '$got'" ;;
	esac
	expect_no_output "out-$1"
}
t hash "hash.cfg:5: image 'r.ext4': no such option 'bogus'" '# c
# d
image r.ext4 {
	ext4 {}
	bogus = 1
}'
t cstyle "cstyle.cfg:10: image 'd.img': size: " '// one
/* two
   three */ /* four */
image d.img {
	hdimage {
		# inner
		partition-table-type = "gpt"
	}
	partition p {
		/* x */ size = "3Q"
	}
}'
# A list: the line of the bad element, not of the key or the brace.
t list "list.cfg:6: image 'a.bin': holes = \"(9;1)\": end is not after start" '# c
image a.bin { file { name = "a.bin"
	holes = {
		"(0;512)",
		"(600;700)",
		"(9;1)"
	} } }'
t envvars "envvars.cfg:6: image 'e.bin': vars: \"b\": no '='" '# c
image e.bin {
	ubootenv {
		vars = {
			"a=1",
			"b"
		}
	}
	size = 16k
}'
# A string over two lines: the line it starts on.
t mlstr "mlstr.cfg:6: image 'a.bin': size: " '# c
image a.bin {
	file {
		name = "a.bin"
	}
	size = "1
2Q"
}'
t deep "deep.cfg:8: mode = \"0999\": expected an octal mode" '# c
tree t {
	layer {
		# c
		# c
		file /a {
			content = "x"
			mode = "0999"
		}
	}
}
image a.cpio { cpio {} tree = t }'
t fitdeep "fitdeep.cfg:8: image 'k.itb': no such option 'bogus'" '/* c
*/
image k.itb {
	fit {
		# c
		image kernel {
			image = "a.bin"
			bogus = 1
		}
	}
}'
t syntax "syntax.cfg:4: image 'a': unexpected token '}'" 'image a {
	# c
	// c
	file { name = } }'
# A section-level error: the line the section opens on, not its closing brace.
t notype "notype.cfg:3: image 'a': no image type section" '# c

image a {
	# c
	size = 1M
}'
t trunc "trunc.cfg:4: '{' is never closed" '# c
image a {
	# c
	file {
		name = "a.bin"'
# Included files: their own name and line; lines after the include too.
printf '# c\n# c\nimage inc1 {\n\tfile { name = "a.bin" }\n\t/*\n\t*/ sizze = 1\n}\n' > sub.cfg
t incl "sub.cfg:6: image 'inc1': no such option 'sizze'; did you mean 'size'?" '# c
// d
include("sub.cfg")'
printf '# c\n# c\nimage inc2 {\n\tfile { name = "a.bin" }\n}\n' > ok.cfg
t after "after.cfg:5: image 'x': no image type section" '# c
include("ok.cfg")
# c
# c
image x { size = 1M }'
printf 'image a {\n\tfile {\n' > open.cfg
t incopen "incopen.cfg:2: include(\"open.cfg\"): open.cfg:2: '{' is never closed" '# c
include("open.cfg")'
echo "lines: ok"
