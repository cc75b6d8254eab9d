#!/usr/bin/env python3
# A misbehaving Debian mirror for tests/pkg (repo.inc: start_pyserver):
#   mirror.py ROOT MODE   serves ROOT on 127.0.0.1, prints its port; logs
#   "GET PATH N RANGE" (N: the how-manieth request for PATH) and
#   "RANGE PATH START" for each 206 it sends, on stderr.
# MODE:
#   half     every reply stops half-way (the connection closes)
#   resume   the first reply for a path stops half-way, Range is honoured
#   busy     503 (Retry-After: 1) twice per path, then the file; with
#            ALWAYS=1 in the environment, 503 for ever
#   stall    the first reply sends half and then nothing for 120 s,
#            Range is honoured
#   norange  as stall, but a Range request gets 200 and the whole file
#   dead     every reply sends half and then nothing for 120 s
import http.server, os, re, sys, time

root, mode = sys.argv[1], sys.argv[2]
count = {}


def log(*a):
    sys.stderr.write(' '.join(str(x) for x in a) + '\n')
    sys.stderr.flush()


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def head(self, code, length, extra=()):
        self.send_response(code)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header('Content-Length', str(length))
        self.end_headers()

    def do_GET(self):
        n = count[self.path] = count.get(self.path, 0) + 1
        data = open(os.path.join(root, self.path.lstrip('/')), 'rb').read()
        rng = self.headers.get('Range', '')
        log('GET', self.path, n, rng or '-')
        if mode == 'busy' and (n <= 2 or os.environ.get('ALWAYS')):
            self.head(503, 5, [('Retry-After', '1')])
            self.wfile.write(b'busy\n')
            return
        first = n == 1 or mode in ('half', 'dead')
        if first and mode in ('half', 'resume', 'stall', 'norange', 'dead'):
            self.head(200, len(data))
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            if mode in ('stall', 'norange', 'dead'):
                time.sleep(120)
            self.close_connection = True
            return
        m = re.match(r'bytes=(\d+)-$', rng)
        if m and mode != 'norange':
            start = int(m.group(1))
            log('RANGE', self.path, start)
            self.head(206, len(data) - start,
                      [('Content-Range', 'bytes %d-%d/%d' % (start, len(data) - 1, len(data)))])
            self.wfile.write(data[start:])
            return
        self.head(200, len(data))
        self.wfile.write(data)

    def log_message(self, *a):
        pass


class S(http.server.ThreadingHTTPServer):
    daemon_threads = True


s = S(('127.0.0.1', 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
