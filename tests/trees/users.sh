# Users and groups when one tree is used by several images with different
# tree lists: each image gets /etc files made for its own composition;
# uid/gid allocation; gshadow kept in step when a layer provides it.
. "$KILN_TESTLIB"
need cpio openssl
mkdir -p input/base/etc
printf 'root:x:0:0:root:/root:/bin/sh\n' >input/base/etc/passwd
printf 'root:x:0:\nusers:x:100:\n' >input/base/etc/group
printf 'root:x::\nusers:x::\n' >input/base/etc/gshadow
cat >kiln.cfg <<'CFG'
tree base {
	layer { dir = "base" }
	user alice { password = "a" groups = { "users" } }
}
tree extra {
	user bob { password = "b" }
	group staff { members = { "bob" } }
}
image a.cpio { cpio { } tree = extra }
image b.cpio { cpio { } tree = { base, extra } }
CFG
chmod 600 kiln.cfg
"$KILN" build --inputpath input --tmppath tmp --outputpath out kiln.cfg >/dev/null || fail build
x() { rm -rf "x$1" && mkdir "x$1" && (cd "x$1" && cpio -id --no-absolute-filenames <"../out/$1.cpio" 2>/dev/null); }
x a
x b
[ "$(cat xa/etc/passwd)" = "bob:x:1000:1000::/home/bob:/bin/sh" ] || fail "a passwd: $(cat xa/etc/passwd)"
[ "$(cat xa/etc/group)" = "$(printf 'bob:x:1000:\nstaff:x:1001:bob')" ] || fail "a group: $(cat xa/etc/group)"
[ ! -e xa/etc/gshadow ] || fail "gshadow invented"
[ "$(cat xb/etc/passwd)" = "$(printf 'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\nbob:x:1001:1001::/home/bob:/bin/sh')" ] ||
	fail "b passwd: $(cat xb/etc/passwd)"
grep -qx 'users:x:100:alice' xb/etc/group || fail "b group: $(cat xb/etc/group)"
grep -qx 'staff:x:1002:bob' xb/etc/group || fail "b staff: $(cat xb/etc/group)"
grep -qx 'users:x::alice' xb/etc/gshadow || fail "b gshadow: $(cat xb/etc/gshadow)"
grep -qx 'staff:!::bob' xb/etc/gshadow || fail "b gshadow staff"
for u in alice:a bob:b; do
	h=$(awk -F: -v n="${u%%:*}" '$1 == n { print $2 }' xb/etc/shadow)
	[ "$(openssl passwd -6 -salt "$(cut -d'$' -f3 <<<"$h")" "${u#*:}")" = "$h" ] || fail "${u%%:*} hash"
done
# bob's hash is the same in both images (salt from the tree's seed).
[ "$(grep '^bob:' xa/etc/shadow)" = "$(grep '^bob:' xb/etc/shadow)" ] || fail "bob's entry differs"
# Explicit --seed changes the salt.
"$KILN" build --seed s2 --inputpath input --tmppath tmp --outputpath out2 kiln.cfg >/dev/null
(mkdir xs && cd xs && cpio -id --no-absolute-filenames <../out2/a.cpio 2>/dev/null)
[ "$(grep '^bob:' xa/etc/shadow)" != "$(grep '^bob:' xs/etc/shadow)" ] || fail "seed ignored"
# rounds are written into the hash and verified by libcrypt's format.
sed -i 's/user bob { password = "b" }/user bob { password = "b" rounds = 10000 }/' kiln.cfg
"$KILN" build --inputpath input --tmppath tmp --outputpath out3 kiln.cfg >/dev/null
(mkdir xr && cd xr && cpio -id --no-absolute-filenames <../out3/a.cpio 2>/dev/null)
h=$(awk -F: '$1 == "bob" { print $2 }' xr/etc/shadow)
case $h in '$6$rounds=10000$'*) ;; *) fail "rounds: $h" ;; esac
python3 -W ignore -c 'import crypt, sys; sys.exit(crypt.crypt("b", sys.argv[1]) != sys.argv[1])' "$h" || fail "rounds hash"
# An empty password (or hash) would mean "no password needed": refused,
# naming file and line, unless the user opts in with empty-password.
# An unset ${NAME} (libconfuse makes it "") is warned about, with its line.
unset KILN_UNSET_HASH
cat >empty.cfg <<'CFG'
# c
tree t {
	# c
	user a {
		password-hash = "${KILN_UNSET_HASH}"
	}
}
image e.cpio { cpio { } tree = t }
CFG
chmod 600 empty.cfg
expect_fail 1 'empty.cfg:5: password-hash = "": empty' \
	"$KILN" build --inputpath input --tmppath tmp --outputpath out-e empty.cfg
grep -q 'warning: empty.cfg:5: \${KILN_UNSET_HASH} is not set' "$T/.err" || { cat "$T/.err"; fail "no unset-variable warning"; }
expect_no_output out-e
printf 'tree t {\n\tuser a {\n\t\tpassword = ""\n\t}\n}\nimage e.cpio { cpio { } tree = t }\n' >empty2.cfg
chmod 600 empty2.cfg
expect_fail 1 'empty2.cfg:3: password = "": empty' \
	"$KILN" build --inputpath input --tmppath tmp --outputpath out-e2 empty2.cfg
expect_no_output out-e2
# With a default, or set: no warning; the opt-in writes the empty field.
sed -i 's/^\t\tpassword-hash = .*/\t\tpassword-hash = "${KILN_UNSET_HASH:-}"\n\t\tempty-password = true/' empty.cfg
"$KILN" build --inputpath input --tmppath tmp --outputpath out-e3 empty.cfg 2>err3.txt >/dev/null ||
	{ cat err3.txt; fail "empty-password = true refused"; }
! grep -q 'is not set' err3.txt || fail "warned about \${NAME:-default}"
(mkdir xe && cd xe && cpio -id --no-absolute-filenames <../out-e3/e.cpio 2>/dev/null)
grep -q '^a::' xe/etc/shadow || fail "opt-in: $(cat xe/etc/shadow)"
