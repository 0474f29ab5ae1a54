// The classic Node.js cluster example, the peer Clusterscope is measured against:
// the primary forks one worker per CPU and every worker answers on the same port.
// Port from argv[2]; the policy comes from NODE_CLUSTER_SCHED_POLICY (rr | none),
// which Node reads when the cluster module loads.
'use strict';
const cluster = require('node:cluster');
const http = require('node:http');
const os = require('node:os');

const port = Number(process.argv[2] || 8000);
const workers = Number(process.argv[3] || os.availableParallelism());

if (cluster.isPrimary) {
    let listening = 0;
    for (let i = 0; i < workers; ++i)
        cluster.fork();
    // The harness waits for this line before it sends load.
    cluster.on('listening', () => {
        if (++listening === workers)
            console.log(`ready ${port} ${cluster.schedulingPolicy === cluster.SCHED_RR ? 'rr' : 'none'}`);
    });
    cluster.on('exit', (worker, code, signal) => {
        console.error(`worker ${worker.process.pid} died (${signal || code})`);
    });
} else {
    http.createServer((req, res) => {
        res.setHeader('X-Worker', String(cluster.worker.id));
        res.writeHead(200);
        res.end('Hello from worker!\n');
    }).listen(port, '127.0.0.1');
}
