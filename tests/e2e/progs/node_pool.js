// SPDX-License-Identifier: MIT
// node_pool.js - libuv's thread pool kept busy by four crypto.pbkdf2 calls
// of different lengths (about 1, 2, 3 and 4 units of work) while a file
// is read: the read's tasks queue behind them until the shortest ends,
// for the thread_pool_exhaustion end-to-end test.  With
// UV_THREADPOOL_SIZE=8 in the environment, nothing queues.
//
// Usage: node node_pool.js FILE
// Prints "read N bytes, 4 keys".
const crypto = require('crypto');
const fs = require('fs');

let keys = 0;
for (let i = 1; i <= 4; i++)
  crypto.pbkdf2('secret', 'salt', 120000 * i, 64, 'sha512', (err) => {
    if (err) throw err;
    keys++;
  });
fs.readFile(process.argv[2], (err, data) => {
  if (err) throw err;
  process.on('exit', () => console.log('read ' + data.length + ' bytes, ' + keys + ' keys'));
});
