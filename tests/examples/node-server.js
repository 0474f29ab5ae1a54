// A tiny Node server that Clusterscope can run as its workers:
//   clusterscope --headless --workers 2 --exec node tests/examples/node-server.js
// Under --policy shared it takes the listening socket by systemd socket activation (fd 3);
// without it (run by hand) it listens on $PORT itself. Node 20 cannot bind with SO_REUSEPORT,
// so under --policy reuseport only the first worker gets the port: use shared with Node 20.
'use strict';
const http = require('http');

const worker = process.env.CLUSTERSCOPE_WORKER_ID || '1';
const activated = process.env.LISTEN_FDS === '1' && process.env.LISTEN_PID === String(process.pid);

const server = http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'X-Worker': worker });
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
