// Fanout benchmark (issue: "Performance at the limit"): deliveries per second
// of NotificationFanout against a bare loop over the same gateway.
//
//   pnpm --filter @herald/lambda-entrypoints bench:fanout [-- --targets 10000 --rounds 5 --concurrency 64 --latency-ms 20]
//
// (after `pnpm run build`). A loopback stand-in for the management API (a
// second process, this same file with --serve) answers every post with 200
// after a fixed latency. Both sides post 1 KB to TARGETS connections through
// one ApiGatewayConnectionGateway (SigV4PostSigner over keep-alive), with
// CONCURRENCY posts in flight:
//   - the baseline: CONCURRENCY lanes over the list of ids, each posting the
//     next id as soon as its last post answered (the bare signer loop);
//   - Herald: one broadcast shard run (`deliverShard`, what a shard message's
//     invocation does), listing the connections page by page from the
//     in-memory registry, with exclusions, gone handling and its report.
// Every round runs both, in an order that alternates; each round gives the
// ratio of Herald's deliveries per second to the baseline's, and the table
// shows the median and range over the rounds.
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { ApiGatewayConnectionGateway } from '@herald/adapters-aws/apigateway';
import { InMemoryConnectionStore } from '@herald/adapters-memory';
import { SystemClock } from '@herald/adapters-node';
import { ConnectionRegistry, NotificationFanout } from '@herald/domain';
import { median, writeBenchResult } from '../../../scripts/bench/bench-result.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    serve: { type: 'boolean', default: false },
    targets: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '64' },
    'latency-ms': { type: 'string', default: '20' },
    rounds: { type: 'string', default: '5' },
    results: { type: 'string' },
  },
});

if (values.serve) {
  const latencyMs = Number(values['latency-ms']);
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
} else {
  await bench();
}

async function bench(): Promise<void> {
  const TARGETS = Number(values.targets);
  const CONCURRENCY = Number(values.concurrency);
  const ROUNDS = Number(values.rounds);
  const GOAL = 0.95;

  const endpointProcess = fork(new URL(import.meta.url), [
    '--serve',
    '--latency-ms',
    values['latency-ms'] as string,
  ]);
  const port = await new Promise<number>((resolve) =>
    endpointProcess.once('message', (m: { port: number }) => resolve(m.port)),
  );
  const gateway = new ApiGatewayConnectionGateway({
    endpoint: `http://127.0.0.1:${port}/bench`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench-secret' },
    maxSockets: CONCURRENCY,
  });
  const clock = new SystemClock();
  const registry = new ConnectionRegistry(new InMemoryConnectionStore(clock), clock);
  const ids = Array.from({ length: TARGETS }, (_, i) => `conn-${i}=`);
  for (const id of ids) {
    await registry.connect(id, { userId: `user-${id}`, channels: [], claims: {} });
  }
  const fanout = new NotificationFanout(registry, gateway, clock, {
    concurrency: CONCURRENCY,
    broadcastShards: 1,
  });
  const [shard] = fanout.broadcastShards();
  const request = {
    users: [],
    connections: [],
    channels: [],
    excludeUsers: [],
    excludeConnections: [],
    data: { message: 'x'.repeat(1010) },
  };
  const payload = fanout.encode(request);

  /** The baseline: CONCURRENCY lanes over the ids. */
  const bare = async () => {
    let next = 0;
    const lane = async () => {
      while (next < ids.length) await gateway.post(ids[next++] as string, payload);
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  };
  const herald = async () => {
    if (shard === undefined) throw new Error('no shard');
    const report = await fanout.deliverShard(request, shard);
    if (report.delivered !== TARGETS)
      throw new Error(`delivered ${report.delivered} of ${TARGETS}`);
  };
  interface Run {
    readonly perSecond: number;
    readonly cpuPerDelivery: number;
  }
  const measure = async (run: () => Promise<void>): Promise<Run> => {
    const cpu = process.cpuUsage();
    const started = performance.now();
    await run();
    const used = process.cpuUsage(cpu);
    return {
      perSecond: (TARGETS / (performance.now() - started)) * 1000,
      cpuPerDelivery: (used.user + used.system) / TARGETS,
    };
  };

  // One uncounted run of each warms up code paths and sockets.
  await bare();
  await herald();
  const ours: Run[] = [];
  const theirs: Run[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    if (round % 2 === 0) {
      ours.push(await measure(herald));
      theirs.push(await measure(bare));
    } else {
      theirs.push(await measure(bare));
      ours.push(await measure(herald));
    }
    process.stderr.write(`bench: round ${round + 1} of ${ROUNDS}\n`);
  }
  gateway.close();
  endpointProcess.disconnect();

  const ratios = (measureOf: (run: Run) => number) =>
    ours.map((run, i) => measureOf(run) / measureOf(theirs[i] as Run));
  const range = (xs: readonly number[]) =>
    `${median(xs).toFixed(2)}× (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
  const rate = ratios((run) => run.perSecond);
  const cpu = ratios((run) => run.cpuPerDelivery);
  const met = median(rate) >= GOAL;
  console.log(
    `\n${TARGETS} targets x ${ROUNDS} interleaved rounds, ${CONCURRENCY} posts in flight, 1 KB, ${values['latency-ms']} ms loopback latency (Node ${process.version}, ${availableParallelism()} cores, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})\n`,
  );
  console.log(
    '| run | deliveries/s (median) | deliveries/s vs bare loop, median (range) | CPU per delivery vs bare loop | goal |',
  );
  console.log('|---|---|---|---|---|');
  console.log(
    `| bare loop over the gateway | ${median(theirs.map((r) => r.perSecond)).toFixed(0)} | 1 | 1 | |`,
  );
  console.log(
    `| NotificationFanout.deliverShard | ${median(ours.map((r) => r.perSecond)).toFixed(0)} | ${range(rate)} | ${range(cpu)} | >= ${GOAL}: ${met ? 'met' : 'missed'} |`,
  );
  writeBenchResult(values.results, [
    {
      measure: `fanout deliveries/s, ${TARGETS} targets, ${values['latency-ms']} ms endpoint, concurrency ${CONCURRENCY}`,
      baseline: 'a bare loop over the same gateway, equal concurrency',
      ratios: rate,
      goal: `>= ${GOAL}`,
      met,
    },
  ]);
}
