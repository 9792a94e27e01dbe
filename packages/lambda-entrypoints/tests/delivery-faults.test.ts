import { ApiGatewayConnectionGateway } from '@herald/adapters-aws/apigateway';
import { InMemoryConnectionStore } from '@herald/adapters-memory';
import { SystemClock } from '@herald/adapters-node';
import {
  type BroadcastShard,
  ConnectionRegistry,
  type ContinuationMessage,
  type DeliveryFailure,
  encodeContinuationMessage,
  encodeDeadLetterMessage,
  encodeShardMessage,
  NotificationFanout,
  type ShardQueue,
} from '@herald/domain';
import { connectionRecord } from '@herald/domain/testing';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { recordingLogger, seeded } from '../bench/queue-simulation.js';
import { makeNotificationsHandler } from '../src/index.js';
import { type StubAnswer, startManagementApiStub } from './management-api-stub.js';

const CONNECTIONS = 2000;
// Each event's remaining time. The gateway gives up on a post after 1.5 s, long
// enough that a loaded machine does not turn a prompt 200 into a timeout (a
// post that times out may still have been delivered, and is posted again).
const INVOCATION_MS = 4000;

/** Each connection's lot, drawn once from a seed: most are live, and answer with transient faults. */
const cast = (seed: number) => {
  const random = seeded(seed);
  const lots = new Map<string, 'live' | 'gone' | 'bad' | 'hopeless' | 'dead'>();
  for (let i = 0; i < CONNECTIONS; i++) {
    const id = `conn-${i}`;
    const r = random();
    lots.set(
      id,
      r < 0.05 ? 'gone' : r < 0.06 ? 'bad' : r < 0.065 ? 'hopeless' : r < 0.068 ? 'dead' : 'live',
    );
  }
  const faults = seeded(seed + 1);
  // Live connections answer 10% 429, 2% 500 and 1% no answer, at random, attempt by attempt.
  const behaviour = (id: string): StubAnswer => {
    switch (lots.get(id)) {
      case 'gone':
        return 410;
      case 'bad':
        return 400;
      case 'hopeless':
        return 429;
      case 'dead':
        return 'timeout';
      default: {
        const r = faults();
        return r < 0.1 ? 429 : r < 0.12 ? 500 : r < 0.13 ? 'timeout' : 200;
      }
    }
  };
  const idsOf = (lot: string) => [...lots].filter(([, l]) => l === lot).map(([id]) => id);
  return { lots, behaviour, idsOf };
};

/** The notifications queue, as far as the handler writes to it. */
const recordingQueue = () => {
  const bodies: string[] = [];
  const delays: number[] = [];
  const queue: ShardQueue = {
    enqueue: async (request: unknown, shards: readonly BroadcastShard[]) => {
      for (const shard of shards) bodies.push(encodeShardMessage(request, shard));
    },
    carry: async (continuations: readonly ContinuationMessage[]) => {
      for (const continuation of continuations) {
        delays.push(continuation.delaySeconds);
        bodies.push(encodeContinuationMessage(continuation));
      }
    },
    deadLetter: async (body, reason) => {
      bodies.push(encodeDeadLetterMessage(body, reason));
    },
  };
  return { queue, bodies, delays };
};

const sqsEvent = (bodies: readonly string[], round: number): SQSEvent =>
  ({
    Records: bodies.map((body, i) => ({
      messageId: `r${round}-m${i}`,
      body,
      attributes: { ApproximateReceiveCount: '1' },
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:notifications',
    })),
  }) as unknown as SQSEvent;

describe('the notifications handler against a faulty management API', () => {
  const closers: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it('reaches every live connection once, removes the gone, and reports every failure with its reason', async () => {
    // prepare
    const { lots, behaviour, idsOf } = cast(20261201);
    const stub = await startManagementApiStub(behaviour);
    closers.push(stub.close);
    const clock = new SystemClock();
    const store = new InMemoryConnectionStore(clock);
    for (const id of lots.keys()) {
      await store.put(connectionRecord(id, `user-${id}`, clock.now()));
    }
    const gateway = new ApiGatewayConnectionGateway({
      endpoint: stub.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      timeoutMs: 1500,
      maxSockets: 128,
    });
    closers.push(() => gateway.close());
    const fanout = new NotificationFanout(new ConnectionRegistry(store, clock), gateway, clock, {
      broadcastShards: 4,
      pageSize: 100,
      concurrency: 16,
      retry: { baseDelayMs: 10, maxDelayMs: 100 },
    });
    const { queue, bodies, delays } = recordingQueue();
    const { logger, lines } = recordingLogger();
    const handle = makeNotificationsHandler({
      fanout,
      shardQueue: queue,
      logger,
      clock,
      deadlineMarginMs: 2000,
      intake: { maxContinuations: 3, baseDelaySeconds: 1 },
    });
    const deadLettered: string[] = [];
    const overran: number[] = [];

    // act: the request, then every message it leads to, up to fifty per event, until none is left
    bodies.push('{"data":{"type":"notification","message":"all"},"id":"broadcast-1"}');
    for (let round = 0; bodies.length > 0 && round < 200; round++) {
      const batch = bodies.splice(0, 50);
      const endsAt = clock.now() + INVOCATION_MS;
      const context = { getRemainingTimeInMillis: () => endsAt - clock.now() } as Context;
      const { batchItemFailures } = await handle(sqsEvent(batch, round), context);
      if (context.getRemainingTimeInMillis() < 0) overran.push(-context.getRemainingTimeInMillis());
      for (const { itemIdentifier } of batchItemFailures) {
        deadLettered.push(batch[Number(itemIdentifier.split('-m')[1])] as string);
      }
    }

    // assess
    const live = idsOf('live');
    const missed = live.filter((id) => (stub.delivered.get(id) ?? 0) === 0);
    const reposted = [...stub.delivered].filter(([, n]) => n > 1).map(([id]) => id);
    expect({ missed: missed.length, reposted: reposted.length }).toEqual({
      missed: 0,
      reposted: 0,
    });
    expect(bodies).toEqual([]);
    expect(overran).toEqual([]);
    for (const id of idsOf('gone')) expect(await store.get(id)).toBeUndefined();
    for (const id of live) expect(await store.get(id)).toBeDefined();

    const failures = lines
      .filter((line) => line.level === 'warn')
      .flatMap((line) => (line.fields as { failures?: DeliveryFailure[] }).failures ?? []);
    expect(new Set(failures.map((f) => f.connectionId))).toEqual(new Set(idsOf('bad')));
    for (const failure of failures) expect(failure.reason).toMatch(/400/);

    const exhausted = deadLettered.flatMap(
      (body) =>
        (JSON.parse(body) as { herald_continuation: { exhausted: DeliveryFailure[] } })
          .herald_continuation.exhausted,
    );
    expect(new Map(exhausted.map((f) => [f.connectionId, f.reason]))).toEqual(
      new Map([
        ...idsOf('hopeless').map((id) => [id, 'throttled'] as const),
        ...idsOf('dead').map((id) => [id, 'unreachable'] as const),
      ]),
    );
    expect(delays.every((d) => d >= 0 && d <= 900)).toBe(true);
    console.info(
      `faults: ${live.length} live, ${idsOf('gone').length} gone, ${idsOf('bad').length} refused, ` +
        `${exhausted.length} dead-lettered; ${missed.length} missed, ${reposted.length} re-posted, ` +
        `${delays.length} continuations`,
    );
  }, 60_000);
});
