#!/usr/bin/env python3
"""Print an Android sparse image's header and chunks, one per line:
'TYPE BLOCKS TOTAL_SIZE [FILL|CRC]'. --zero-reserved FILE: write a copy
with every chunk's reserved field zeroed to FILE (genimage 16 leaves
stack bytes there)."""
import struct, sys, zlib

args = sys.argv[1:]
out = None
if args[0] == '--zero-reserved':
    out = args[1]
    args = args[2:]
b = bytearray(open(args[0], 'rb').read())
magic, major, minor, hs, chs, bs, blocks, nchunks, crc = struct.unpack('<IHHHHIIII', b[:28])
assert magic == 0xed26ff3a and major == 1 and hs == 28 and chs == 12, 'bad header'
print('header', bs, blocks, nchunks, crc)
off, total, data_crc = hs, 0, 0
names = {0xcac1: 'raw', 0xcac2: 'fill', 0xcac3: 'dontcare', 0xcac4: 'crc'}
for i in range(nchunks):
    t, _, n, sz = struct.unpack('<HHII', b[off:off + 12])
    b[off + 2:off + 4] = b'\0\0'
    p = bytes(b[off + 12:off + sz])
    extra = ''
    if t == 0xcac1:
        assert sz == 12 + n * bs
        data_crc = zlib.crc32(p, data_crc)
    elif t == 0xcac2:
        assert sz == 16
        extra = p.hex()
        data_crc = zlib.crc32(p * (n * bs // 4), data_crc)
    elif t == 0xcac3:
        assert sz == 12
        data_crc = zlib.crc32(bytes(n * bs), data_crc)
    elif t == 0xcac4:
        assert sz == 16 and n == 0
        assert struct.unpack('<I', p)[0] == data_crc, 'CRC chunk does not match the data'
        extra = 'ok'
    else:
        raise SystemExit('unknown chunk type %x' % t)
    print(names[t], n, sz, extra)
    total += n
    off += sz
assert off == len(b), 'bytes after the last chunk'
assert total == blocks, 'chunks do not cover the blocks'
if out:
    open(out, 'wb').write(b)
