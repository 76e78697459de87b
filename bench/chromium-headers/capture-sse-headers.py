#!/usr/bin/env python3
"""Prints the request heads Chromium sends for an EventSource and the SSE page's fetch() calls.

Where src/PushCompare.Bench/Clients/ChromiumHeaders.cs's EventSource list comes from. A raw HTTP server on
127.0.0.1:PORT serves a page that opens new EventSource('/sse/abc'); the first stream announces retry: 100, sends
event 1 and ends, so Chromium reconnects with Last-Event-ID; after event 2 the page POSTs a message
(/sse/abc?seq=1&ack=2), an ack, opens a session (POST /sse) and DELETEs it. Every head that arrives is appended
to LOGFILE. Run (the server, then a headless Chromium against it; stop both when DELETE shows up):

    python3 capture-sse-headers.py 5193 heads.txt &
    chromium --headless --no-sandbox --disable-gpu --user-data-dir=/tmp/cap-profile http://127.0.0.1:5193/
"""
import socket, threading, sys, time
PAGE = b"""<!doctype html><title>cap</title><script>
let n = 0;
const es = new EventSource('/sse/abc');
es.onmessage = async e => {
  n++;
  if (n < 2) return;
  es.close();
  await fetch('/sse/abc?seq=1&ack=2', {method: 'POST', body: 'hi'});
  await fetch('/sse/abc/ack?lastEventId=2', {method: 'POST'});
  await fetch('/sse', {method: 'POST'});
  await fetch('/sse/abc', {method: 'DELETE'});
  document.title = 'done';
};
</script>"""
log = open(sys.argv[2], 'wb')
streams = 0
lock = threading.Lock()
def handle(c):
    global streams
    buf = b''
    while True:
        while b'\r\n\r\n' not in buf:
            d = c.recv(65536)
            if not d: c.close(); return
            buf += d
        head, buf = buf.split(b'\r\n\r\n', 1)
        head += b'\r\n\r\n'
        with lock:
            log.write(b'=====\n' + head); log.flush()
        cl = 0
        for line in head.split(b'\r\n'):
            if line.lower().startswith(b'content-length:'): cl = int(line.split(b':')[1])
        while len(buf) < cl: buf += c.recv(65536)
        body, buf = buf[:cl], buf[cl:]
        if body:
            with lock: log.write(b'BODY:' + body + b'\n'); log.flush()
        path = head.split(b' ')[1]
        if path == b'/':
            c.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n' % len(PAGE) + PAGE)
        elif head.startswith(b'GET /sse/abc'):
            with lock:
                streams += 1; k = streams
            c.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n')
            ev = b'retry: 100\ndata: one\nid: 1\n\n' if k == 1 else b'data: two\nid: 2\n\n'
            c.sendall(b'%x\r\n' % len(ev) + ev + b'\r\n')
            if k == 1:
                c.sendall(b'0\r\n\r\n'); c.close(); return
        elif head.startswith(b'GET /favicon'):
            c.sendall(b'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n')
        else:
            c.sendall(b'HTTP/1.1 204 No Content\r\n\r\n')
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(16)
while True:
    c, _ = s.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
