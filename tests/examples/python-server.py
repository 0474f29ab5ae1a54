#!/usr/bin/env python3
"""A tiny Python server that Clusterscope can run as its workers:

    clusterscope --headless --workers 2 --exec python3 tests/examples/python-server.py
    clusterscope --headless --workers 2 --policy reuseport --exec python3 tests/examples/python-server.py

Under --policy shared it takes the listening socket by systemd socket activation (fd 3);
under reuseport it binds $PORT itself with SO_REUSEPORT.
GET /chunked answers with a chunked body in two writes; /chunked?close-every=N also closes
every Nth response's connection (Connection: close).
"""
import http.server
import os
import signal
import socket
import sys
import threading
import urllib.parse

WORKER = os.environ.get("CLUSTERSCOPE_WORKER_ID", "1")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        path, _, query = self.path.partition("?")
        if path == "/chunked":
            self.send_chunked(dict(urllib.parse.parse_qsl(query)))
            return
        body = f"Hello from python worker {WORKER} (pid {os.getpid()})\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Worker", WORKER)
        self.end_headers()
        self.wfile.write(body)

    def send_chunked(self, params):
        """The body in two chunks, each its own write. ?close-every=N: every Nth response on a
        connection says Connection: close (one handler object serves one connection)."""
        self.served = getattr(self, "served", 0) + 1
        every = int(params.get("close-every", "0") or 0)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("X-Worker", WORKER)
        if every > 0 and self.served % every == 0:
            self.send_header("Connection", "close")  # http.server closes after this response
        self.end_headers()
        for piece in (f"Hello from python worker {WORKER} ", f"(pid {os.getpid()})\n"):
            data = piece.encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, fmt, *args):
        pass  # one line per request would flood the log pane


def listening_socket():
    if os.environ.get("LISTEN_FDS") == "1" and os.environ.get("LISTEN_PID") == str(os.getpid()):
        print(f"python worker {WORKER} serving the inherited socket", flush=True)
        return socket.socket(fileno=3)
    port = int(os.environ.get("PORT", "8000"))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(128)
    print(f"python worker {WORKER} listening on {port} (SO_REUSEPORT)", flush=True)
    return sock


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
    server.socket.close()
    server.socket = listening_socket()
    # Clusterscope drains a worker with SIGTERM: stop accepting, then leave.
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
