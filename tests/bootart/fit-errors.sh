# fit: every validation error is caught before output exists, with a
# message naming the file (and line for syntax), exit 1, no signal.
. "$KILN_TESTLIB"

mkdir input
head -c 1000 /dev/urandom > input/Image
head -c 100 /dev/urandom > input/board.dtb
its() { # its FILE KERNEL-EXTRA RAMDISK-OS CONF-KERNEL DEFAULT [ROOT-EXTRA]
	cat > "input/$1" <<T
/dts-v1/;
/ {
	$6
	#address-cells = <1>;
	images {
		kernel {
			data = /incbin/("Image");
			type = "kernel"; arch = "arm64"; os = "linux"; compression = "none";
			$2
			hash-1 { algo = "crc32"; };
		};
		ramdisk {
			data = /incbin/("board.dtb");
			type = "ramdisk"; arch = "arm64"; $3 compression = "none";
			hash-1 { algo = "crc32"; };
		};
	};
	configurations {
		default = "$5";
		conf-1 { kernel = "$4"; ramdisk = "ramdisk"; };
	};
};
T
}
OKK='load = <0x200000>; entry = <0x200000>;'
OKR='os = "linux";'
DESC='description = "d";'
try() { # try REGEX: build input/t.its, expect failure
	printf 'image t.itb { fit { its = "t.its" } }\n' > t.cfg
	expect_fail 1 "$1" "$KILN" build --no-bmap t.cfg
	expect_no_output images
}
its t.its "$OKK" "$OKR" kernel conf-1 "$DESC"
"$KILN" build --no-bmap --outputpath ok t.cfg 2>/dev/null || true
printf 'image t.itb { fit { its = "t.its" } }\n' > t.cfg
"$KILN" build --no-bmap --outputpath ok t.cfg >/dev/null || fail "the valid base case does not build"

its t.its "$OKK" "$OKR" kernel-x conf-1 "$DESC"; try 't.its: /configurations/conf-1: kernel = "kernel-x": no such image'
its t.its "$OKK" "$OKR" kernel conf-9 "$DESC";   try 't.its: /configurations: default = "conf-9": no such configuration'
its t.its 'entry = <0x200000>;' "$OKR" kernel conf-1 "$DESC"; try '/images/kernel: a kernel needs load'
its t.its 'load = <0x200000>;' "$OKR" kernel conf-1 "$DESC"; try '/images/kernel: a kernel needs entry'
its t.its "$OKK" '' kernel conf-1 "$DESC";       try '/images/ramdisk: a ramdisk needs os'
its t.its "$OKK" "$OKR" kernel conf-1 '';        try 't.its: the root node needs description'
its t.its "$OKK arch = \"arm65\";" "$OKR" kernel conf-1 "$DESC"; try 'arch = "arm65" is not one U-Boot knows'
its t.its "$OKK" 'os = "linuks";' kernel conf-1 "$DESC"; try 'os = "linuks" is not one U-Boot knows'
its t.its "$OKK compression = \"zip\";" "$OKR" kernel conf-1 "$DESC"; try 'compression = "zip" is not one U-Boot knows'
its t.its "$OKK type = \"kernal\";" "$OKR" kernel conf-1 "$DESC"; try 'type = "kernal" is not one U-Boot knows'
its t.its "$OKK hash-2 { algo = \"md5\"; };" "$OKR" kernel conf-1 "$DESC"; try 'hash-2: algo = "md5": kiln computes crc32, sha1 and sha256'
its t.its "$OKK checksum { algo = \"crc32\"; };" "$OKR" kernel conf-1 "$DESC"; try 'checksum: has algo but its name does not start with "hash"'
its t.its "$OKK" "$OKR" kernel conf-1 "$DESC"; sed -i 's/hash-1 {/hash@1 {/' input/t.its; try "/images/kernel/hash@1: '@' in a node name"
its t.its "$OKK" "$OKR" kernel conf-1 "$DESC"; sed -i 's/"Image"/"NoSuchFile"/' input/t.its; try 't.its:7: (image [^ ]+: )?/incbin/\("NoSuchFile"\): file not found'
its t.its "$OKK" "$OKR" kernel conf-1 "$DESC"; sed -i 's/type = "kernel";/type = "kernel"/' input/t.its; try 't.its:8: (image [^ ]+: )?expected .;. after property type'
its t.its "$OKK" "$OKR" kernel conf-1 "$DESC"; sed -i '1d' input/t.its; try 't.its:1: (image [^ ]+: )?missing /dts-v1/;'
printf '/dts-v1/;\n/ { a = <0x100000000>; };\n' > input/t.its; try 't.its:2: (image [^ ]+: )?0x100000000 does not fit a 32-bit cell'
printf '/dts-v1/;\n/ { a = <1 + 2>; };\n' > input/t.its; try 't.its:2: (image [^ ]+: )?expressions and references in cells are not supported'
printf '/dts-v1/;\n/ { /* never closed\n' > input/t.its; try 't.its:2: (image [^ ]+: )?unterminated /\* comment'
printf '/dts-v1/;\n/ { a = "x\n' > input/t.its; try 't.its:2: (image [^ ]+: )?newline in string'
printf '/dts-v1/;\n/ { description = "x"; };\n' > input/t.its; try 't.its: no images'
printf '/dts-v1/;\n/memreserve/ 0 1;\n' > input/t.its; try 't.its:2: (image [^ ]+: )?/memreserve/ is not supported'
printf '/dts-v1/;\n&nolabel { };\n' > input/t.its; try 't.its:2: (image [^ ]+: )?label nolabel is not defined'

# config-level errors
cfg() { printf '%s\n' "$1" > c.cfg; expect_fail 1 "$2" "$KILN" build --no-bmap c.cfg; expect_no_output images; }
cfg 'image f.itb { fit { } }' 'c.cfg:1: (image [^ ]+: )?fit: needs its = "file.its" or at least one image'
cfg 'image f.itb { fit { its = "t.its" keydir = "/k" } }' 'keydir = "/k": signed FIT images are not supported'
cfg 'image f.itb { fit { its = "t.its" image k { data = "Image" type = "kernel" } } }' 'give either an .its or image/configuration sections'
cfg 'image f.itb { fit { image k { data = "Image" image = "x" type = "kernel" } } }' 'image k: give exactly one of data'
cfg 'image f.itb { fit { image k { data = "Image" type = "kernel" arch = "arm64" os = "linux" load = "0x1x" entry = "0" } } }' 'load = "0x1x": not a number'
cfg 'image f.itb { fit { image k { data = "Image" type = "kernel" arch = "arm64" os = "linux" load = "0x100000000" entry = "0" } } }' 'above 4 GiB: set address-cells = 2'
cfg 'image f.itb { fit { image k { data = "Image" type = "kernel" arch = "arm64" os = "linux" } } }' 'a kernel needs load'
cfg 'image f.itb { fit { default = "c" image k { data = "board.dtb" type = "flat_dt" } } }' 'default = "c": no configuration sections'
cfg 'image f.itb { fit { image k { data = "board.dtb" type = "flat_dt" } configuration c { fdt = "nope" } } }' 'fdt = "nope": no such image'
cfg 'image f.itb { fit { image k { data = "missing.bin" type = "flat_dt" } } }' 'missing.bin: No such file'
cfg 'image f.itb { fit { image r { data = "Image" type = "ramdisk" arch = "arm64" os = "linux" compression = "lz4" gzip = true } } }' 'compression = "lz4" but kiln is asked to gzip it'
cfg 'image p.cpio { cpio { } srcpath = "input" }
image d.img { hdimage { } partition a { image = "p.cpio" } }
image f.itb { fit { image r { image = "d.img" type = "ramdisk" arch = "arm64" os = "linux" gzip = true } } }' "image 'd.img' is needed at plan time but is made from image 'p.cpio' of this run"
echo ok
