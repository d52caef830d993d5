// SPDX-License-Identifier: MIT
// node_http_block.js - a Node.js HTTP server whose request handler
// blocks the event loop with a synchronous call, for the JIT-frames
// end-to-end test: the stall must name the handler.
//
// Usage: node node_http_block.js exec|atomics
//   exec     child_process.execSync('sleep 0.3'): libuv runs a loop of
//            its own, on another epoll set, until the child ends
//   atomics  Atomics.wait for 300 ms (a condition wait in V8)
// The server asks itself for one page, then closes.  Prints "done MODE".
const http = require('http');
const { execSync } = require('child_process');
const mode = process.argv[2];

function handleReport(req, res) {
  if (mode === 'exec') execSync('sleep 0.3');  // block
  else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);  // block
  res.end('ok');
}

const server = http.createServer(handleReport);
server.listen(0, '127.0.0.1', () => {
  // Timers keep the loop waiting, before and after the request.
  let ticks = 0;
  const timer = setInterval(() => {
    if (++ticks === 5) {
      http.get({ port: server.address().port, host: '127.0.0.1', path: '/report' }, (res) => {
        res.resume();
        res.on('end', () => setTimeout(() => {
          clearInterval(timer);
          server.close();
          console.log('done ' + mode);
        }, 100));
      });
    }
  }, 20);
});
