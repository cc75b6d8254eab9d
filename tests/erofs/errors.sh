# erofs bad inputs: each fails with exit 1, one line naming the config
# file:line and value (or the path in the tree), no sanitizer report and
# no output left behind.
. "$KILN_TESTLIB"
need python3
. "$KILN_SRC/tests/trees/helpers.inc"

mkdir -p src
echo data >src/f
bad() { # REGEX IMAGE-BODY
	local re=$1 body=$2
	rm -rf out
	printf 'tree x { layer { archive = "x.tar" } }\nimage e.erofs {\n\terofs { %s }\n}\n' "$body" >b.cfg
	expect_fail 1 "$re" "$KILN" build --no-bmap --rootpath src --inputpath . --outputpath out --tmppath tmp b.cfg
	expect_no_output out
	! grep -q 'Sanitizer' "$T/.err" || fail "sanitizer report for: $body"
}
bad 'b.cfg:3: image [^ ]+: label = "sixteen-bytes-xx": label longer than 15 bytes' 'label = "sixteen-bytes-xx"'
bad 'b.cfg:3: image [^ ]+: fs-timestamp = "yesterday": not a UNIX timestamp' 'fs-timestamp = "yesterday"'
bad 'b.cfg:3: image [^ ]+: extraargs = "-z zstd": -z zstd: kiln compresses with lz4 or lz4hc' 'extraargs = "-z zstd"'
bad 'b.cfg:3: image [^ ]+: extraargs = "-zlz4hc,13": -z lz4hc,13: the lz4hc level is 1..12' 'extraargs = "-zlz4hc,13"'
bad 'b.cfg:3: image [^ ]+: extraargs = "-zlz4 -C 65536": -C 65536: kiln writes 4096-byte physical clusters only' 'extraargs = "-zlz4 -C 65536"'
bad 'b.cfg:3: image [^ ]+: extraargs = "-b 1024": -b 1024: kiln writes 4096-byte blocks only' 'extraargs = "-b 1024"'
bad 'b.cfg:3: image [^ ]+: extraargs = "--bogus": "--bogus": not an option' 'extraargs = "--bogus"'
bad 'b.cfg:3: image [^ ]+: extraargs = "-E ztailpacking": -E ztailpacking: kiln knows' 'extraargs = "-E ztailpacking"'
bad 'b.cfg:3: image [^ ]+: extraargs = "-T": -T needs a value' 'extraargs = "-T"'
bad 'b.cfg:3: image [^ ]+: extraargs = "-T 12ab": -T 12ab: not a UNIX timestamp' 'extraargs = "-T 12ab"'
bad 'b.cfg:3: image [^ ]+: extraargs = "-U nope": -U nope: not a UUID' 'extraargs = "-U nope"'
bad 'b.cfg:3: image [^ ]+: uuid = "nope": not a UUID' 'uuid = "nope"'
bad 'b.cfg:3: image [^ ]+: extraargs = "--force-uid=x": "--force-uid=x": not an option' 'extraargs = "--force-uid=x"'

# Too small a size says how much is needed.
rm -rf out
printf 'image e.erofs {\n\terofs { }\n\tsize = 4096\n}\n' >s.cfg
head -c 100000 /dev/urandom >src/big
expect_fail 1 "s.cfg:3: image 'e.erofs': size = 4096: erofs needs [0-9]+ bytes" \
	"$KILN" build --no-bmap --rootpath src --inputpath . --outputpath out --tmppath tmp s.cfg
expect_no_output out

# Trees erofs cannot hold: an xattr without an erofs prefix, a name
# longer than 255 bytes (both from a tar layer, which can carry them).
make_tar x.tar '[{"name": "f", "data": "x", "xattr": {"system.bogus": "1"}}]'
rm -rf out
printf 'tree x { layer { archive = "x.tar" } }\nimage e.erofs { erofs { } tree = x }\n' >x.cfg
expect_fail 1 '/f: xattr "system.bogus".*erofs stores only' \
	"$KILN" build --no-bmap --inputpath . --outputpath out --tmppath tmp x.cfg
expect_no_output out
# A device number Linux's encoding cannot hold (12-bit major).
make_tar d.tar '[{"name": "dev/big", "type": "c", "major": 5000, "minor": 1}]'
rm -rf out
printf 'tree x { layer { archive = "d.tar" } }\nimage e.erofs { erofs { } tree = x }\n' >d.cfg
expect_fail 1 '/dev/big: device 5000:1 does not fit erofs' \
	"$KILN" build --no-bmap --inputpath . --outputpath out --tmppath tmp d.cfg
expect_no_output out
echo ok
