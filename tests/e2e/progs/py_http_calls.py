# SPDX-License-Identifier: MIT
"""py_http_calls.py - an app that calls another HTTP service, for the
end-to-end tests of calls: the N+1 of HTTP calls, inside requests and
outside.  Two ThreadingHTTPServers in one process: a backend (/items/<i>,
/items?ids=...) and a frontend whose endpoints call it.

Usage: py_http_calls.py [CERT KEY]
With a certificate and its key, the backend serves HTTPS and the frontend
calls it so (not checking the certificate).  At its start, outside any request, it calls the backend for /items/<i>
6 times in a loop, then /stock/<i> twice.  Prints "port=N" (the
frontend's) once both listen; serves until GET /quit.

  /albums         8 calls to the backend, one per item (an N+1)
  /albums/batch   1 call for all 8 items
  /quit           stops both servers
"""
import http.client
import http.server
import json
import ssl
import sys
import threading

ITEMS = 8


class Backend(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        body = json.dumps({"path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


TLS = len(sys.argv) == 3


def connect():
    port = back.server_address[1]
    if not TLS:
        return http.client.HTTPConnection("127.0.0.1", port)
    return http.client.HTTPSConnection("127.0.0.1", port,
                                       context=ssl._create_unverified_context())


def call(conn, path):
    conn.request("GET", path)
    r = conn.getresponse()
    return json.loads(r.read())


class Frontend(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/quit":
            out = b"bye"
            threading.Thread(target=lambda: (front.shutdown(), back.shutdown())).start()
        else:
            conn = connect()
            if self.path == "/albums":
                items = [call(conn, "/items/%d" % i) for i in range(1, ITEMS + 1)]  # the N+1
            else:
                items = call(conn, "/items?ids=" + ",".join(str(i) for i in range(1, ITEMS + 1)))
            conn.close()
            out = json.dumps(items).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


back = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Backend)
if TLS:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[1], sys.argv[2])
    back.socket = ctx.wrap_socket(back.socket, server_side=True)
back.daemon_threads = False  # server_close() waits for them
threading.Thread(target=back.serve_forever).start()
front = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Frontend)
front.daemon_threads = False  # /quit is answered before the end

conn = connect()
for i in range(6):  # a loop of calls outside any request
    call(conn, "/items/%d" % (100 + i))
for i in range(2):
    call(conn, "/stock/%d" % i)
conn.close()

print("port=%d" % front.server_address[1], flush=True)
front.serve_forever()
front.server_close()
back.server_close()
