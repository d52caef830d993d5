# SPDX-License-Identifier: MIT
"""py_http_server.py - Python's ThreadingHTTPServer (HTTP/1.1, keep-alive),
for the end-to-end tests of requests.

Usage: py_http_server.py
Prints "port=N" once it listens on 127.0.0.1; serves until GET /quit.

  /items/<n>      "item n", with Content-Length (HEAD: the headers only)
  /chunked        three chunks (Transfer-Encoding: chunked)
  /nocontent      204, no body
  /sleep/<ms>     sleeps ms milliseconds, then answers like /items
  /close          a body that ends with the connection (no length)
  /quit           stops the server
"""
import http.server
import threading
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_body(self, body, head=False):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def do_HEAD(self):
        self.send_body(b"item " + self.path.rsplit("/", 1)[-1].encode(), head=True)

    def do_GET(self):
        if self.path.startswith("/items/"):
            self.send_body(b"item " + self.path.rsplit("/", 1)[-1].encode())
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"one", b"two two", b"three three three"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/nocontent":
            self.send_response(204)
            self.end_headers()
        elif self.path.startswith("/sleep/"):
            time.sleep(int(self.path.rsplit("/", 1)[-1]) / 1000)
            self.send_body(b"slept")
        elif self.path == "/close":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"until the end")
            self.close_connection = True
        elif self.path == "/quit":
            self.send_body(b"bye")
            threading.Thread(target=server.shutdown).start()
        else:
            self.send_error(404)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = False  # server_close() waits for them: /quit is answered
print("port=%d" % server.server_address[1], flush=True)
server.serve_forever()
server.server_close()
