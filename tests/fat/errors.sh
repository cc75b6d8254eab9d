# Every FAT error: a specific message naming the path or value, exit 1,
# no crash, and no output file left behind.
. "$KILN_TESTLIB"
need python3

# build_fail REGEX CONFIG-BODY: a one-image config must fail with REGEX.
n=0
build_fail() {
	local re=$1 body=$2
	n=$((n + 1))
	rm -rf out tmp
	printf '%s\n' "$body" >"e$n.cfg"
	expect_fail 1 "$re" "$KILN" build --rootpath root --outputpath out --tmppath tmp "e$n.cfg"
	expect_no_output out
}

mkdir -p big && head -c 3000000 /dev/zero | tr '\0' 'x' >big/data.bin
build_fail 'does not fit.*smallest size that fits is [0-9]+ bytes' \
	'image a.vfat { srcpath = "big" size = 1M vfat { } }'

mkdir -p colon && echo a >'colon/a:b'
build_fail "/a:b: character FAT forbids" 'image a.vfat { srcpath = "colon" vfat { } }'
mkdir -p qm && echo a >'qm/what?'
build_fail "/what\\?: character FAT forbids" 'image a.vfat { srcpath = "qm" vfat { } }'
mkdir -p dot && echo a >'dot/trailing.'
build_fail "/trailing\\.: name ends with a dot" 'image a.vfat { srcpath = "dot" vfat { } }'

mkdir -p case/sub && echo a >case/sub/Readme.txt && echo b >case/sub/README.TXT
build_fail "/sub/Readme.txt: differs from /sub/README.TXT only in case" 'image a.vfat { srcpath = "case" vfat { } }'

mkdir -p link && echo a >link/target && ln -s target link/alias
build_fail "/alias: FAT cannot store a symbolic link \\(-> target\\)" 'image a.vfat { srcpath = "link" vfat { } }'
mkdir -p dangling && ln -s nowhere dangling/bad
build_fail "/bad: symbolic link to nowhere: target not found" 'image a.vfat { srcpath = "dangling" vfat { symlinks = copy } }'
mkdir -p dirlink/d && ln -s d dirlink/l
build_fail "/l: symbolic link to d: points to a directory" 'image a.vfat { srcpath = "dirlink" vfat { symlinks = copy } }'

mkdir -p fifo && mkfifo fifo/pipe
build_fail "/pipe: FAT cannot store a FIFO" 'image a.vfat { srcpath = "fifo" vfat { } }'
if mknod dev-null-test c 1 3 2>/dev/null; then
	mkdir -p dev && mv dev-null-test dev/null
	build_fail "/null: FAT cannot store a character device" 'image a.vfat { srcpath = "dev" vfat { } }'
else
	echo "note: cannot mknod as $(id -un): device-node case skipped" >&2
fi

mkdir -p huge && truncate -s 4G huge/4g.img
build_fail "/4g.img: 4294967296 bytes: FAT files must be smaller than 4 GiB" 'image a.vfat { srcpath = "huge" vfat { } }'

mkdir -p small && echo a >small/a
build_fail "FAT32 needs at least 65525 clusters, but 16 MiB gives only" \
	'image a.vfat { srcpath = "small" size = 16M vfat { fat-type = 32 } }'
build_fail "FAT12 cannot hold a 100 MiB volume" \
	'image a.vfat { srcpath = "small" size = 100M vfat { extraargs = "-F 12 -s 1" } }'
build_fail "FAT16 needs at least 4085 clusters, but 4 MiB gives only" \
	'image a.vfat { srcpath = "small" size = 4M vfat { fat-type = 16 cluster-size = 2k } }'
build_fail 'fat-type = "13": must be 12, 16, 32 or auto' 'image a.vfat { srcpath = "small" vfat { fat-type = 13 } }'
build_fail 'cluster-size = "3k": must be the sector size' 'image a.vfat { srcpath = "small" vfat { cluster-size = 3k } }'
build_fail "mkfs.vfat option '-a' is not supported" 'image a.vfat { srcpath = "small" size = 8M vfat { extraargs = "-a" } }'
build_fail "bad value '13' for -F" 'image a.vfat { srcpath = "small" size = 8M vfat { extraargs = "-F 13" } }'
build_fail 'label "MUCH TOO LONG LABEL": longer than 11' 'image a.vfat { srcpath = "small" vfat { label = "MUCH TOO LONG LABEL" } }'
build_fail 'label "A\*B": contains one of' 'image a.vfat { srcpath = "small" vfat { label = "A*B" } }'
build_fail 'symlinks = "follow": must be error, copy or skip' 'image a.vfat { srcpath = "small" vfat { symlinks = follow } }'
build_fail 'files entry "missing".*No such file' 'image a.vfat { size = 1M vfat { files = { "missing" } } }'

# Unreadable input: only meaningful when not root (root reads anything).
if [ "$(id -u)" != 0 ]; then
	mkdir -p unread && echo secret >unread/s && chmod 000 unread/s
	build_fail "/s: cannot read .*unread/s: Permission denied" 'image a.vfat { srcpath = "unread" vfat { } }'
	chmod 644 unread/s
else
	echo "note: running as root: unreadable-file case covered by the unit test" >&2
fi

# genimage mode needs a size.
mkdir -p root
printf 'image a.vfat { vfat { } }\n' >g.cfg
rm -rf out
expect_fail 1 "size is required in genimage mode" "$GENIMAGE_KILN" --rootpath root --outputpath out --tmppath tmp --config g.cfg
expect_no_output out
echo "errors: ok ($n cases)"
