// Post-path benchmark for the API Gateway connection gateway (issue: "AWS adapters").
//
//   pnpm --filter @herald/adapters-aws bench [-- --posts 2000 --concurrency 100 --latency-ms 20]
//
// Posts 1 KB to a loopback endpoint with fixed latency (a second process, so
// its CPU is not counted), 100 at a time, with four clients side by side:
//   1. the stock ApiGatewayManagementApiClient + PostToConnectionCommand;
//   2. the same, with request checksums set to WHEN_REQUIRED;
//   3. a bare reference: the SDK's own signer (@smithy/signature-v4) over a keep-alive node:http agent;
//   4. Herald's ApiGatewayConnectionGateway.
// Rounds are interleaved so drift falls on all alike. CPU per post is this
// process's user + system CPU time divided by the posts made.
import { fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { ApiGatewayConnectionGateway } from '@herald/adapters-aws/apigateway';
import { Hash } from '@smithy/hash-node';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Bench } from 'tinybench';

const { values } = parseArgs({
  options: {
    posts: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '100' },
    'latency-ms': { type: 'string', default: '20' },
    rounds: { type: 'string', default: '4' },
  },
});
const POSTS = Number(values.posts);
const CONCURRENCY = Number(values.concurrency);
const ROUNDS = Number(values.rounds);
const credentials = {
  accessKeyId: 'AKIDBENCH',
  secretAccessKey: 'bench-secret',
  sessionToken: 'bench-session',
};
const payload = new TextEncoder().encode(JSON.stringify({ message: 'x'.repeat(1010) }));

const endpointProcess = fork(new URL('./endpoint.ts', import.meta.url), [
  values['latency-ms'] ?? '20',
]);
const port = await new Promise<number>((resolve) =>
  endpointProcess.once('message', (m: { port: number }) => resolve(m.port)),
);
const endpoint = `http://127.0.0.1:${port}/bench`;
const agent = () => new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

const stock = new ApiGatewayManagementApiClient({
  endpoint,
  region: 'us-east-1',
  credentials,
  requestHandler: new NodeHttpHandler({ httpAgent: agent() }),
});
// The second row. This client's config type does not declare the
// checksum settings (it has no checksum middleware of its own), so they are
// passed as the shared configuration would pass them.
const stockWhenRequired = new ApiGatewayManagementApiClient({
  endpoint,
  region: 'us-east-1',
  credentials,
  requestHandler: new NodeHttpHandler({ httpAgent: agent() }),
  ...({
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  } as object),
});
const referenceAgent = agent();
const signer = new SignatureV4({
  service: 'execute-api',
  region: 'us-east-1',
  credentials,
  sha256: Hash.bind(null, 'sha256'),
});
const referencePost = async (connectionId: string) => {
  const path = `/bench/@connections/${encodeURIComponent(connectionId)}`;
  const signed = await signer.sign(
    new HttpRequest({
      method: 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port,
      path,
      headers: { host: `127.0.0.1:${port}`, 'content-length': String(payload.byteLength) },
      body: payload,
    }),
  );
  await new Promise<void>((resolve, reject) => {
    const req = request(
      {
        hostname: '127.0.0.1',
        port,
        method: 'POST',
        path,
        headers: signed.headers,
        agent: referenceAgent,
      },
      (res) => {
        res.resume();
        res.on('end', resolve);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
};
const herald = new ApiGatewayConnectionGateway({
  endpoint,
  region: 'us-east-1',
  credentials,
  maxSockets: CONCURRENCY,
});

const clients: [string, (id: string) => Promise<unknown>][] = [
  [
    'stock ApiGatewayManagementApiClient',
    (id) => stock.send(new PostToConnectionCommand({ ConnectionId: id, Data: payload })),
  ],
  [
    'stock, checksums WHEN_REQUIRED',
    (id) =>
      stockWhenRequired.send(new PostToConnectionCommand({ ConnectionId: id, Data: payload })),
  ],
  ['reference: SDK signer + keep-alive agent', referencePost],
  ["Herald's ApiGatewayConnectionGateway", (id) => herald.post(id, payload)],
];

/** POSTS posts with CONCURRENCY in flight. */
const run = async (post: (id: string) => Promise<unknown>) => {
  let next = 0;
  const lane = async () => {
    while (next < POSTS) await post(`conn-${next++}=`);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
};

// One uncounted run per client warms up its code paths and sockets.
for (const [, post] of clients) await run(post);
const totals = new Map(clients.map(([name]) => [name, { cpuMicros: 0, ms: 0, posts: 0 }]));
for (let round = 0; round < ROUNDS; round++) {
  const bench = new Bench({ iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 });
  for (const [name, post] of clients) {
    bench.add(name, async () => {
      const cpu = process.cpuUsage();
      const started = performance.now();
      await run(post);
      const used = process.cpuUsage(cpu);
      const total = totals.get(name);
      if (total === undefined) return;
      total.cpuMicros += used.user + used.system;
      total.ms += performance.now() - started;
      total.posts += POSTS;
    });
  }
  await bench.run();
  process.stderr.write(`bench: round ${round + 1} of ${ROUNDS}\n`);
}
herald.close();
stock.destroy();
stockWhenRequired.destroy();
referenceAgent.destroy();
endpointProcess.disconnect();

const reference = totals.get('reference: SDK signer + keep-alive agent');
const cpuPerPost = (t: { cpuMicros: number; posts: number }) => t.cpuMicros / t.posts;
console.log(
  `\n${POSTS} posts x ${ROUNDS} rounds per client, ${CONCURRENCY} in flight, 1 KB each, ${values['latency-ms']} ms loopback latency (Node ${process.version})`,
);
console.table(
  clients.map(([name]) => {
    const t = totals.get(name) as { cpuMicros: number; ms: number; posts: number };
    return {
      client: name,
      'CPU µs/post': Math.round(cpuPerPost(t)),
      'posts/s': Math.round((t.posts / t.ms) * 1000),
      'CPU vs reference': reference ? `${(cpuPerPost(t) / cpuPerPost(reference)).toFixed(2)}x` : '',
    };
  }),
);
