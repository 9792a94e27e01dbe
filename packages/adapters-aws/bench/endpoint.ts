// Benchmark helper, run as a child process of post-path.ts so that its CPU is
// not counted: a loopback stand-in for the management API that answers every
// post with 200 after a fixed latency.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const latencyMs = Number(process.argv[2] ?? '20');
const server = createServer((request, response) => {
  request.resume();
  request.on('end', () =>
    setTimeout(() => response.writeHead(200, { 'content-length': '0' }).end(), latencyMs),
  );
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () =>
  process.send?.({ port: (server.address() as AddressInfo).port }),
);
process.on('disconnect', () => process.exit(0));
