// SPDX-License-Identifier: MIT
// node_http_async.js - a Node http server whose handlers wait
// asynchronously, for the end-to-end tests of requests on an event loop:
// one thread serves every connection at once.
//
// Usage: node node_http_async.js
// Prints "port=N" once it listens on 127.0.0.1; serves until GET /quit.
//   /wait/<ms>   answers after ms milliseconds (a timer: the loop serves
//                others meanwhile)
//   /quit        stops the server
'use strict';
const http = require('http');

const server = http.createServer((req, res) => {
  if (req.url === '/quit') {
    res.end('bye');
    server.close();
    return;
  }
  const ms = Number(new URL(req.url, 'http://x').pathname.split('/')[2] || 0);
  setTimeout(() => {
    res.setHeader('Content-Type', 'text/plain');
    res.end('waited ' + ms + '\n');
  }, ms);
});
server.keepAliveTimeout = 0; // the connections close at the end
server.listen(0, '127.0.0.1', () => {
  console.log('port=' + server.address().port);
});
