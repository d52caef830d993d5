// SPDX-License-Identifier: MIT
// node_loop.js - a Node.js server whose event loop is (or is not) blocked
// by a timer callback, for the event_loop_stall end-to-end tests.
//
// Usage: node node_loop.js MODE
//   busy    ten 20 ms timers; the third callback busy-loops 300 ms
//   timers  the same timers, none blocking (no stall)
//
// Prints "done MODE".
const mode = process.argv[2];
let n = 0;

// A server's loop: it listens on a port of its own (no client comes).
const server = require('net').createServer((c) => c.end());
server.listen(0, '127.0.0.1');

function tick() {
  n++;
  if (mode === 'busy' && n === 3) {
    const t0 = Date.now();
    while (Date.now() - t0 < 300) {}
  }
  if (n < 10) setTimeout(tick, 20);
  else {
    server.close();
    console.log('done ' + mode);
  }
}

setTimeout(tick, 20);
