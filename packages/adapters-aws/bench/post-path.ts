// Post-path benchmark for the API Gateway connection gateway (issue: "Performance at the limit").
//
//   pnpm --filter @herald/adapters-aws bench -- --posts 2000 [--rounds 8 --concurrency 100 --latency-ms 20]
//
// Posts 1 KB to a loopback endpoint with fixed latency (a second process, so
// its CPU is not counted), 100 at a time, with four clients side by side:
//   1. the stock ApiGatewayManagementApiClient + PostToConnectionCommand: the baseline;
//   2. the same, with request checksums set to WHEN_REQUIRED;
//   3. a reference: the SDK's own signer (@smithy/signature-v4) over a keep-alive node:http agent;
//   4. a reference: Herald's SigV4PostSigner over the same kind of node:http agent, each post
//      bounded by the request's timeout (what the gateway sent over before undici);
//   5. Herald's ApiGatewayConnectionGateway (SigV4PostSigner over undici's connection pool).
// Every round runs each client once, in an order that rotates from round to
// round, so drift and load fall on all alike. CPU per post is this process's
// user + system CPU time over a client's run divided by its posts; each
// round gives every client's ratio to the stock client of the same round,
// and the table shows the median ratio and its range over the rounds.
import { fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { ApiGatewayConnectionGateway, SigV4PostSigner } from '@herald/adapters-aws/apigateway';
import { Hash } from '@smithy/hash-node';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { median, writeBenchResult } from '../../../scripts/bench/bench-result.ts';

const { values } = parseArgs({
  // `pnpm … bench -- --posts 2000` hands the script a leading `--`.
  args: process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === '--')),
  options: {
    posts: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '100' },
    'latency-ms': { type: 'string', default: '20' },
    rounds: { type: 'string', default: '8' },
    results: { type: 'string' },
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
  await postOverAgent(referenceAgent, path, signed.headers);
};
/** A POST of the payload over a keep-alive node:http agent, with the headers given. */
const postOverAgent = (
  via: ReturnType<typeof agent>,
  path: string,
  headers: Record<string, string>,
): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    const req = request(
      { hostname: '127.0.0.1', port, method: 'POST', path, headers, agent: via },
      (res) => {
        res.resume();
        res.on('end', resolve);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
// What the gateway sent over before it moved to undici: its signer, node:http,
// and the same bound on each post (the request's own timeout).
const heraldSigner = new SigV4PostSigner({ region: 'us-east-1', credentials });
const heraldAgent = agent();
const heraldSignerPost = async (connectionId: string) => {
  const path = `/bench/@connections/${encodeURIComponent(connectionId)}`;
  const headers = await heraldSigner.sign({ host: `127.0.0.1:${port}`, path, payload });
  await new Promise<void>((resolve, reject) => {
    const req = request(
      {
        hostname: '127.0.0.1',
        port,
        method: 'POST',
        path,
        headers,
        agent: heraldAgent,
        timeout: 5000,
      },
      (res) => {
        res.resume();
        res.on('end', resolve);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer in 5000 ms')));
    req.on('error', reject);
    req.end(payload);
  });
};
const HERALD = "Herald's ApiGatewayConnectionGateway";
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
  ["reference: Herald's signer + keep-alive agent + timeout", heraldSignerPost],
  [HERALD, (id) => herald.post(id, payload)],
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
interface Round {
  readonly cpuPerPost: number;
  readonly postsPerSecond: number;
}
const rounds = new Map<string, Round[]>(clients.map(([name]) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (let k = 0; k < clients.length; k++) {
    const [name, post] = clients[(round + k) % clients.length] as (typeof clients)[number];
    const cpu = process.cpuUsage();
    const started = performance.now();
    await run(post);
    const used = process.cpuUsage(cpu);
    rounds.get(name)?.push({
      cpuPerPost: (used.user + used.system) / POSTS,
      postsPerSecond: (POSTS / (performance.now() - started)) * 1000,
    });
  }
  process.stderr.write(`bench: round ${round + 1} of ${ROUNDS}\n`);
}
herald.close();
stock.destroy();
stockWhenRequired.destroy();
referenceAgent.destroy();
heraldAgent.destroy();
endpointProcess.disconnect();

const GOAL = 0.3;
const baseline = rounds.get(clients[0]?.[0] ?? '') ?? [];
console.log(
  `\n${POSTS} posts x ${ROUNDS} interleaved rounds per client, ${CONCURRENCY} in flight, 1 KB each, ${values['latency-ms']} ms loopback latency (Node ${process.version}, ${availableParallelism()} cores, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')})\n`,
);
console.log('| client | CPU µs/post (median) | posts/s (median) | CPU vs stock, median (range) |');
console.log('|---|---|---|---|');
for (const [name] of clients) {
  const each = rounds.get(name) ?? [];
  const ratios = each.map((r, i) => r.cpuPerPost / (baseline[i] as Round).cpuPerPost);
  console.log(
    `| ${name} | ${median(each.map((r) => r.cpuPerPost)).toFixed(0)} | ${median(each.map((r) => r.postsPerSecond)).toFixed(0)} | ${median(ratios).toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}) |`,
  );
}
const ours = (rounds.get(HERALD) ?? []).map(
  (r, i) => r.cpuPerPost / (baseline[i] as Round).cpuPerPost,
);
console.log(
  `\nHerald's post path: ${median(ours).toFixed(2)}× the stock client's CPU per post (range ${Math.min(...ours).toFixed(2)}–${Math.max(...ours).toFixed(2)}); goal <= ${GOAL}: ${median(ours) <= GOAL ? 'met' : 'missed'}`,
);
writeBenchResult(values.results, [
  {
    measure: 'API Gateway post path, CPU per post',
    baseline: 'stock ApiGatewayManagementApiClient + PostToConnectionCommand',
    ratios: ours,
    goal: `<= ${GOAL}`,
    met: median(ours) <= GOAL,
  },
]);
