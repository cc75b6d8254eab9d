# Content rules: hard links stored as copies, symlink policies (error /
# copy / skip), timestamps (source mtimes, clamped to SOURCE_DATE_EPOCH
# and to 1980 with one warning), and the short names Linux would write:
# 8.3 names in one case get no long name but the lowercase flags; others
# get LFN entries with ~N tails unique per directory.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/fat/fat-lib.inc"
need fsck.fat mcopy minfo python3

mkdir -p src/d
echo "shared" >src/d/orig.txt
ln src/d/orig.txt src/hardlink.txt
ln -s d/orig.txt src/rel-link
ln -s /d/orig.txt src/abs-link
echo old >src/old.txt
touch -d '1975-06-01 00:00:00 UTC' src/old.txt
echo mid >src/mid.txt
touch -d '2001-02-03 04:05:06 UTC' src/mid.txt
echo new >src/new.txt
touch -d '2030-01-01 00:00:00 UTC' src/new.txt
for n in readme.txt README.TXT2 ReadMe.md "a very long name.txt" "a very long nam2.txt" \
	"collision_aaaa.txt" "collision_bbbb.txt" "collision_cccc.txt" AVERYL~1.TXT; do
	echo "$n" >"src/$n"
done

cat >k.cfg <<'CFG'
image copy.vfat { srcpath = "src" vfat { symlinks = copy } }
image skip.vfat { srcpath = "src" vfat { symlinks = "skip" } }
CFG
export SOURCE_DATE_EPOCH=1700000000
"$KILN" build --rootpath root --outputpath out --tmppath tmp k.cfg 2>err || { cat err; fail "build failed"; }
[ "$(grep -c 'FAT dates are 1980-01-01..2107-12-31, so they are stored as 1980-01-01' err)" = 2 ] || { cat err; fail "expected one 1980 warning per image"; }
grep -q 'FAT has no symbolic links: /abs-link and any others are left out' err || { cat err; fail "skip warning missing"; }

# copy: links become copies of their targets (resolved inside the tree).
mkdir want-copy && cp -r src/. want-copy/
rm want-copy/rel-link want-copy/abs-link
cp src/d/orig.txt want-copy/rel-link
cp src/d/orig.txt want-copy/abs-link
fat_check out/copy.vfat want-copy 12
# skip: links left out.
mkdir want-skip && cp -r src/. want-skip/ && rm want-skip/rel-link want-skip/abs-link
fat_check out/skip.vfat want-skip 12

# Times (TZ=UTC: FAT stores local time, kiln writes UTC).
rm -rf t && mkdir t && TZ=UTC mcopy -n -m -i out/copy.vfat ::/mid.txt ::/old.txt ::/new.txt t/
[ "$(TZ=UTC date -r t/mid.txt '+%F %T')" = "2001-02-03 04:05:06" ] || fail "mtime not kept: $(TZ=UTC date -r t/mid.txt)"
[ "$(TZ=UTC date -r t/old.txt '+%F %T')" = "1980-01-01 00:00:00" ] || fail "pre-1980 mtime not clamped"
[ "$(TZ=UTC date -r t/new.txt '+%F %T')" = "2023-11-14 22:13:20" ] || fail "future mtime not clamped to SOURCE_DATE_EPOCH"

# Raw root directory: which names got LFN entries, short names, flags.
python3 - out/copy.vfat <<'PY' || fail "directory entries not as Linux would write them"
import sys, struct
img = open(sys.argv[1], 'rb').read()
ss, spc, rsv, nf, rootn = struct.unpack_from('<HBHBH', img, 11)
fatsz = struct.unpack_from('<H', img, 22)[0]
root = (rsv + nf * fatsz) * ss
ents, lfn = {}, []
for i in range(rootn):
    e = img[root + 32 * i: root + 32 * i + 32]
    if e[0] == 0:
        break
    if e[11] == 0x0F:
        lfn.append(e)
        continue
    name = e[:11].decode('latin-1')
    long = None
    if lfn:
        sum_ = 0
        for c in e[:11]:
            sum_ = (((sum_ & 1) << 7) + (sum_ >> 1) + c) & 0xFF
        assert all(x[13] == sum_ for x in lfn), "bad LFN checksum for " + name
        units = b''.join(x[1:11] + x[14:26] + x[28:32] for x in reversed(lfn))
        long = units.decode('utf-16-le').split('\0')[0]
    ents[long or name] = (name, e[12], long is not None)
    lfn = []
def want(key, short, flags, has_lfn):
    got = ents.get(key)
    assert got == (short, flags, has_lfn), f"{key}: {got} != {(short, flags, has_lfn)}"
want('README  TXT', 'README  TXT', 0x18, False)       # readme.txt: flags, no LFN
want('MID     TXT', 'MID     TXT', 0x18, False)
want('D          ', 'D          ', 0x08, False)       # directory "d"
want('REL-LINK   ', 'REL-LINK   ', 0x08, False)
want('AVERYL~1TXT', 'AVERYL~1TXT', 0x00, False)       # a real name claims its ~1
want('README.TXT2', 'README~1TXT', 0x00, True)
want('ReadMe.md', 'README  MD ', 0x00, True)          # mixed case: LFN, plain short
want('a very long nam2.txt', 'AVERYL~2TXT', 0x00, True)
want('a very long name.txt', 'AVERYL~3TXT', 0x00, True)
want('collision_aaaa.txt', 'COLLIS~1TXT', 0x00, True)
want('collision_bbbb.txt', 'COLLIS~2TXT', 0x00, True)
want('collision_cccc.txt', 'COLLIS~3TXT', 0x00, True)
PY
echo "features: ok"
