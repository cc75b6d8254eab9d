#!/usr/bin/env python3
# The chunk hash that names image blobs in the store's img/ (src/store/store.h),
# computed from its definition over the bytes a file reads as, for the tests to
# check kiln's names against: SHA-256 of "kiln image blob\0", the size and the
# chunk size (little-endian 64-bit), then the SHA-256 of every 1 MiB chunk.
# usage: img-hash.py FILE...   prints "HASH  FILE" per file
import hashlib
import os
import struct
import sys

CHUNK = 1 << 20
for path in sys.argv[1:]:
    size = os.path.getsize(path)
    top = hashlib.sha256(b"kiln image blob\0" + struct.pack("<QQ", size, CHUNK))
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            top.update(hashlib.sha256(chunk).digest())
    print(f"{top.hexdigest()}  {path}")
