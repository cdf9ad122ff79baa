#!/usr/bin/env python3
"""A demo web server for the local two-tier setup: answers every request with a short text
saying which app answered and what it saw (path, Host, X-Forwarded-For).

Usage: demo_backend.py PORT NAME   (listens on 127.0.0.1; stops on SIGTERM or Ctrl-C)
"""
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(sys.argv[1])
NAME = sys.argv[2]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        body = (
            f"{NAME} answered {self.command} {self.path}\n"
            f"  Host: {self.headers.get('Host', '')}\n"
            f"  X-Forwarded-For: {self.headers.get('X-Forwarded-For', '')}\n"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET
    do_HEAD = do_GET


server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
try:
    server.serve_forever()
except KeyboardInterrupt:
    pass
