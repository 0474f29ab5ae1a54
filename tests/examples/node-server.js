// A tiny Node server that Clusterscope can run as its workers:
//   clusterscope --headless --workers 2 --exec node tests/examples/node-server.js
// Under --policy shared it takes the listening socket by systemd socket activation (fd 3);
// without it (run by hand) it listens on $PORT itself. Node 20 cannot bind with SO_REUSEPORT,
// so under --policy reuseport only the first worker gets the port: use shared with Node 20.
// GET /chunked streams its answer in two writes (chunked, as streaming Node apps do);
// /chunked?close-every=N also closes every Nth response's connection (Connection: close).
'use strict';
const http = require('http');

const worker = process.env.CLUSTERSCOPE_WORKER_ID || '1';
const activated = process.env.LISTEN_FDS === '1' && process.env.LISTEN_PID === String(process.pid);

const server = http.createServer((req, res) => {
  const headers = { 'Content-Type': 'text/plain', 'X-Worker': worker };
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/chunked') {
    // Streamed in two writes without a length, so Node sends it chunked, as streaming apps do.
    // ?close-every=N: every Nth response on a connection says Connection: close, and Node closes it.
    const every = Number(url.searchParams.get('close-every') || 0);
    req.socket.served = (req.socket.served || 0) + 1;
    if (every > 0 && req.socket.served % every === 0) headers.Connection = 'close';
    res.writeHead(200, headers);
    res.write(`Hello from node worker ${worker} `);
    res.end(`(pid ${process.pid})\n`);
    return;
  }
  res.writeHead(200, headers);
  res.end(`Hello from node worker ${worker} (pid ${process.pid})\n`);
});

if (activated) {
  server.listen({ fd: 3 }, () => console.log(`node worker ${worker} serving the inherited socket`));
} else {
  const port = Number(process.env.PORT || 8000);
  server.listen(port, '127.0.0.1', () => console.log(`node worker ${worker} listening on ${port}`));
}

// Clusterscope drains a worker with SIGTERM: finish in-flight requests, then leave.
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
