#!/usr/bin/env python3
"""An HTTP/1.1 origin server for strata's end-to-end tests (a separate real process).

Listens on 127.0.0.1 (port from argv, 0 picks one), prints "listening on PORT" when ready and
exits when its parent's stdin closes. Every answer is JSON describing what arrived, so tests can
check what the proxy forwarded:
  /status/NNN      answers with status NNN
  /stream/K        a chunked response of K chunks
  /close           a body delimited by closing the connection (no length)
  /slow/MS         waits MS milliseconds before answering
  /ws              accepts a WebSocket-style upgrade (101) and echoes raw bytes afterwards
  /healthz         200, or 503 while the backend is switched to unhealthy
  /control/health/fail, /control/health/pass
                   switch what /healthz answers from now on
  /control/force/NNN
                   every later request but /healthz and /control/... answers NNN (0: stop)
anything else      200 with the JSON description
"""
import hashlib
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NAME = sys.argv[2] if len(sys.argv) > 2 else "backend"
STATE = {"healthy": True, "force": 0}  # switched at run time by /control/...


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while True:
                line = self.rfile.readline()
                size = int(line.split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return body, True
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(length), False

    def describe(self, body, chunked):
        return {
            "backend": NAME,
            "method": self.command,
            "path": self.path,
            "version": self.request_version,
            "headers": [[k.lower(), v] for k, v in self.headers.items()],
            "body_len": len(body),
            "body_sha256": hashlib.sha256(body).hexdigest(),
            "chunked": chunked,
        }

    def send_json(self, status, payload, extra=()):
        data = (json.dumps(payload) + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def handle_any(self):
        body, chunked = self.read_body()
        info = self.describe(body, chunked)
        parts = self.path.split("?")[0].strip("/").split("/")
        if parts[0] == "control" and len(parts) > 2:
            if parts[1] == "health":
                STATE["healthy"] = parts[2] == "pass"
            elif parts[1] == "force":
                STATE["force"] = int(parts[2])
            self.send_json(200, info)
        elif parts[0] == "healthz":
            self.send_json(200 if STATE["healthy"] else 503, info, [("X-Backend", NAME)])
        elif STATE["force"]:
            self.send_json(STATE["force"], info, [("X-Backend", NAME)])
        elif parts[0] == "status" and len(parts) > 1:
            self.send_json(int(parts[1]), info)
        elif parts[0] == "stream" and len(parts) > 1:
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(int(parts[1])):
                chunk = ("chunk-%d\n" % i).encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        elif parts[0] == "close":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"until-close body\n")
            self.close_connection = True
        elif parts[0] == "slow" and len(parts) > 1:
            time.sleep(int(parts[1]) / 1000.0)
            self.send_json(200, info)
        elif parts[0] == "ws" and self.headers.get("Upgrade", "").lower() == "websocket":
            self.send_response(101)
            self.send_header("Upgrade", "websocket")
            self.send_header("Connection", "Upgrade")
            self.end_headers()
            self.wfile.flush()
            while True:
                data = self.rfile.read1(65536)  # bytes already buffered come first
                if not data:
                    break
                self.wfile.write(data)
                self.wfile.flush()
            self.close_connection = True
        else:
            self.send_json(200, info, [("X-Backend", NAME)])

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = handle_any


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    ThreadingHTTPServer.request_queue_size = 1024  # the default backlog of 5 drops SYNs under load
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("listening on %d" % server.server_address[1], flush=True)
    sys.stdin.read()  # the parent closed our stdin (or died): stop


if __name__ == "__main__":
    main()
