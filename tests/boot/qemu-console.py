#!/usr/bin/env python3
"""Boot a kiln-built image in QEMU and prove the whole boot chain from the
serial console.

Runs QEMU with the console on a Unix socket, records everything to a log,
and passes only when a line starting with
    BOOT-OK token=<TOKEN> envtoken=<ENVTOKEN>
appears (the first token lives in the ext4 root, the second reached the
kernel command line through uboot.env). With --login USER:PASSWORD it then
logs in on the console getty and runs `id`, expecting --expect-id.

Fails fast on well-known failure strings, on QEMU exiting early, or after
--timeout seconds, printing the last console lines.
"""
import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

FAIL_PATTERNS = [
    rb"^BOOT-FAIL", rb"Kernel panic", rb"SCRIPT FAILED", rb"Wrong Image Format",
    rb"Bad Linux ARM64 Image", rb"crc32 MISMATCH", rb"Bad Data Hash",
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeout", type=float, default=180)
    ap.add_argument("--token", required=True)
    ap.add_argument("--envtoken", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--console-serial", type=int, default=0,
                    help="index of the -serial that is the Linux console")
    ap.add_argument("--serials", type=int, default=1, help="number of -serial ports")
    ap.add_argument("--login", default=None, help="USER:PASSWORD to log in with after the marker")
    ap.add_argument("--expect-id", default=None, help="regex `id` must print")
    ap.add_argument("qemu", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    qemu = a.qemu[1:] if a.qemu and a.qemu[0] == "--" else a.qemu

    tmp = tempfile.mkdtemp(prefix="kiln-qemu-")
    sock_path = os.path.join(tmp, "console.sock")
    serial_args = []
    for i in range(a.serials):
        if i == a.console_serial:
            serial_args += ["-chardev", f"socket,id=con,path={sock_path},server=on,wait=on",
                            "-serial", "chardev:con"]
        else:
            serial_args += ["-serial", f"file:{a.log}.serial{i}"]
    cmd = qemu + serial_args + ["-display", "none", "-monitor", "none", "-no-reboot"]
    print("qemu-console: " + " ".join(cmd), file=sys.stderr)
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(a.log + ".stderr", "wb"))
    s = None
    for _ in range(200):
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(sock_path)
            break
        except OSError:
            s = None
            if proc.poll() is not None:
                break
            time.sleep(0.05)
    if s is None:
        proc.kill()
        sys.stderr.write(open(a.log + ".stderr", "rb").read().decode(errors="replace"))
        print("FAIL: QEMU did not start", file=sys.stderr)
        return 1
    s.setblocking(False)
    buf = b""
    log = open(a.log, "wb")
    marker = re.compile(rb"(?m)^BOOT-OK token=" + re.escape(a.token.encode()) +
                        rb" envtoken=" + re.escape(a.envtoken.encode()) + rb"\b")
    fails = [re.compile(rb"(?m)" + p) for p in FAIL_PATTERNS]
    state = "boot"
    user = password = None
    if a.login:
        user, password = a.login.split(":", 1)
    times = {}
    result = None
    sent_at = 0.0
    drained = False

    def send(text):
        s.sendall(text.encode())

    ansi = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")
    dsr_seen = 0

    def clean(b):
        return ansi.sub(b"", b)

    while True:
        now = time.monotonic() - t0
        try:
            chunk = b"" if drained else s.recv(65536)
            if chunk == b"" and not drained:
                result = "QEMU closed the console"
            buf += chunk
            log.write(chunk)
            log.flush()
        except BlockingIOError:
            time.sleep(0.05)
        except OSError as e:
            result = f"console error {e}"
        if result:
            break
        # busybox's line editor asks for the cursor position (ESC[6n) and
        # waits for the answer a terminal would send.
        while buf.count(b"\x1b[6n") > dsr_seen:
            dsr_seen += 1
            send("\x1b[24;80R")
        if "kernel" not in times and b"Starting kernel" in buf:
            times["kernel"] = now
        if state == "boot":
            for f in fails:
                if m := f.search(buf):
                    result = "failure string on the console: " + f.pattern.decode()
                    fail_at = m.start()
            if result:
                # The failing line may still be on its way (QEMU is killed
                # next): read to its end, at most 2 s, so the log and the
                # caller's checks see it whole.
                end = time.monotonic() + 2
                while b"\n" not in buf[fail_at:] and time.monotonic() < end:
                    try:
                        chunk = s.recv(65536)
                    except BlockingIOError:
                        time.sleep(0.05)
                        continue
                    except OSError:
                        break
                    if not chunk:
                        break
                    buf += chunk
                    log.write(chunk)
                log.flush()
                break
            if marker.search(buf):
                times["marker"] = now
                if not a.login:
                    state = "done"
                else:
                    state = "wait-login"
                    mark = len(buf)
        if state == "wait-login":
            tail = buf[mark:]
            if clean(tail).rstrip().endswith(b"login:"):
                send(user + "\r")
                state = "wait-password"
                mark = len(buf)
            elif now - sent_at > 5:
                send("\r")  # wake the getty up
                sent_at = now
        elif state == "wait-password":
            if clean(buf[mark:]).rstrip().endswith(b"Password:"):
                send(password + "\r")
                state = "wait-shell"
                mark = len(buf)
        elif state == "wait-shell":
            if b"Login incorrect" in buf[mark:]:
                result = "login refused: Login incorrect (shadow hash?)"
                break
            if clean(buf[mark:]).rstrip().endswith((b"$", b"#")):
                send("id; echo ID-DONE\r")
                state = "wait-id"
                mark = len(buf)
        elif state == "wait-id":
            out = clean(buf[mark:])
            m = re.search(rb"(uid=\d+[^\r\n]*)\r?\n", out)
            if m and re.search(rb"(?m)^ID-DONE", out):
                idline = m.group(1).decode(errors="replace")
                times["login"] = now
                print(f"qemu-console: id printed: {idline}", file=sys.stderr)
                if a.expect_id and not re.search(a.expect_id, idline):
                    result = f"id printed {idline!r}, expected /{a.expect_id}/"
                    break
                state = "done"
        if state == "done":
            result = "ok"
            break
        if proc.poll() is not None:
            # What QEMU wrote just before exiting (a guest that prints
            # and powers off at once) is still in the socket: read it,
            # and look at it once more, before calling this a failure.
            if not drained:
                drained = True
                s.settimeout(2)
                try:
                    while chunk := s.recv(65536):
                        buf += chunk
                        log.write(chunk)
                except OSError:
                    pass
                log.flush()
                continue
            result = f"QEMU exited (status {proc.returncode})"
            break
        if now > a.timeout:
            result = f"timeout after {a.timeout:.0f}s in state {state}"
            break
    proc.kill()
    proc.wait()
    log.close()
    if result == "ok":
        m = marker.search(buf)
        line = buf[m.start():buf.find(b"\n", m.start())].decode(errors="replace").strip()
        print(f"qemu-console: SUCCESS: {line}", file=sys.stderr)
        print("qemu-console: times: " + ", ".join(f"{k} {v:.1f}s" for k, v in times.items()),
              file=sys.stderr)
        return 0
    print(f"FAIL: {result}", file=sys.stderr)
    print("----- last console lines -----", file=sys.stderr)
    for line in buf.decode(errors="replace").splitlines()[-40:]:
        print(line, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
