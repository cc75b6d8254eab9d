#!/usr/bin/env python3
"""List a host tree canonically for comparisons: one line per entry with
type, mode, owner, size, time (clamped to --epoch), device, link target,
content hash, xattrs (--xattrs: all but system.*) and hard-link group
(the first path of the inode, in sorted order)."""
import hashlib, os, stat, sys

def main():
    args = sys.argv[1:]
    epoch = None
    xattrs = False
    while args and args[0].startswith('--'):
        a = args.pop(0)
        if a == '--epoch':
            epoch = int(args.pop(0))
        elif a == '--xattrs':
            xattrs = True
    root = args[0]
    groups = {}
    out = []
    def walk(rel):
        p = os.path.join(root, rel) if rel else root
        st = os.lstat(p)
        t = stat.S_IFMT(st.st_mode)
        key = (st.st_dev, st.st_ino)
        grp = ''
        if not stat.S_ISDIR(st.st_mode) and st.st_nlink > 1:
            grp = groups.setdefault(key, rel)
        mt = int(st.st_mtime)
        if epoch is not None and mt > epoch:
            mt = epoch
        h = ''
        if stat.S_ISREG(st.st_mode):
            h = hashlib.sha256(open(p, 'rb').read()).hexdigest()[:16]
        link = os.readlink(p) if stat.S_ISLNK(st.st_mode) else ''
        dev = '%d,%d' % (os.major(st.st_rdev), os.minor(st.st_rdev)) \
            if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else ''
        xa = ''
        if xattrs and not stat.S_ISLNK(st.st_mode):
            names = sorted(n for n in os.listxattr(p, follow_symlinks=False)
                           if not n.startswith('system.'))
            xa = ';'.join('%s=%s' % (n, os.getxattr(p, n, follow_symlinks=False).hex())
                          for n in names)
        size = st.st_size if stat.S_ISREG(st.st_mode) else 0
        out.append('\t'.join(['/' + rel, oct(st.st_mode), str(st.st_uid), str(st.st_gid),
                              str(size), str(mt), dev, link, h, xa, grp and '/' + grp]))
        if stat.S_ISDIR(st.st_mode):
            for n in sorted(os.listdir(p), key=os.fsencode):
                walk(os.path.join(rel, n) if rel else n)
    walk('')
    print('\n'.join(out))

main()
