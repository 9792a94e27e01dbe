// A notifications queue, its Lambda consumers and API Gateway, simulated in
// memory on a SimulatedClock: the real notifications handler
// (makeNotificationsHandler) receives SQS-shaped events with a Lambda context
// whose remaining time runs on that clock; what it enqueues (broadcast shards,
// continuations) comes back to it after its delay; the gateway answers after a
// latency, and with 429 above a rate cap, as API Gateway does. Used by the
// tests (deadline, 100,000-connection broadcast) and by the million-connection
// benchmark (bench/broadcast-million.ts).
import type { Logger } from '@aws-lambda-powertools/logger';
import { InMemoryConnectionStore } from '@herald/adapters-memory';
import {
  type BroadcastShard,
  type ConnectionGateway,
  ConnectionRegistry,
  type ContinuationMessage,
  encodeContinuationMessage,
  encodeDeadLetterMessage,
  encodeShardMessage,
  type GatewayConnection,
  type InboundError,
  NotificationFanout,
  type NotificationFanoutOptions,
  type NotificationIntakeOptions,
  type PostOutcome,
  type ShardQueue,
} from '@herald/domain';
import { connectionRecord, SimulatedClock } from '@herald/domain/testing';
import type { Context, SQSEvent } from 'aws-lambda';
import { makeNotificationsHandler } from '../src/handlers/notifications.js';

interface GatewayModel {
  /** Time for one post to be answered, in ms. */
  readonly latencyMs: number;
  /** Posts per second the account may make (API Gateway's quota: 10,000/s by default). */
  readonly ratePerSecond: number;
  /** Posts that may go at once above the rate (the bucket's size). @default ratePerSecond / 2 */
  readonly burst?: number;
}

/**
 * API Gateway's management API as a model: each post is answered after
 * `latencyMs`; over the rate (a token bucket) it is answered 429. It counts
 * deliveries per connection, and every post started, with its start time.
 */
class SimulatedGateway implements ConnectionGateway {
  /** Successful posts per connection id. */
  readonly deliveries = new Map<string, number>();
  attempts = 0;
  throttled = 0;
  /** Latest instant a post was started at. */
  lastStartAt = Number.NEGATIVE_INFINITY;
  private tokens: number;
  private refilledAt: number;
  private readonly burst: number;

  constructor(
    private readonly clock: SimulatedClock,
    private readonly model: GatewayModel,
  ) {
    this.burst = model.burst ?? model.ratePerSecond / 2;
    this.tokens = this.burst;
    this.refilledAt = clock.now();
  }

  async post(connectionId: string): Promise<PostOutcome> {
    const now = this.clock.now();
    this.attempts++;
    this.lastStartAt = Math.max(this.lastStartAt, now);
    this.tokens = Math.min(
      this.burst,
      this.tokens + ((now - this.refilledAt) * this.model.ratePerSecond) / 1000,
    );
    this.refilledAt = now;
    const allowed = this.tokens >= 1;
    if (allowed) this.tokens -= 1;
    await this.clock.sleep(this.model.latencyMs);
    if (!allowed) {
      this.throttled++;
      return 'throttled';
    }
    this.deliveries.set(connectionId, (this.deliveries.get(connectionId) ?? 0) + 1);
    return 'delivered';
  }

  async disconnect(): Promise<'disconnected' | 'gone'> {
    return 'gone';
  }

  async get(): Promise<GatewayConnection | undefined> {
    return undefined;
  }
}

interface QueuedMessage {
  readonly body: string;
  readonly visibleAt: number;
}

/** The notifications queue: what the handler enqueues, visible after its delay. */
class SimulatedQueue implements ShardQueue {
  readonly messages: QueuedMessage[] = [];
  /** Every continuation's delay, in seconds, in order. */
  readonly delays: number[] = [];
  continuations = 0;

  constructor(private readonly clock: SimulatedClock) {}

  send(body: string, delaySeconds = 0): void {
    this.messages.push({ body, visibleAt: this.clock.now() + delaySeconds * 1000 });
  }

  async enqueue(request: unknown, shards: readonly BroadcastShard[]): Promise<void> {
    for (const shard of shards) this.send(encodeShardMessage(request, shard));
  }

  async carry(continuations: readonly ContinuationMessage[]): Promise<void> {
    for (const continuation of continuations) {
      this.continuations++;
      this.delays.push(continuation.delaySeconds);
      this.send(encodeContinuationMessage(continuation), continuation.delaySeconds);
    }
  }

  async deadLetter(body: string, reason: InboundError): Promise<void> {
    this.send(encodeDeadLetterMessage(body, reason));
  }

  /** Takes the first visible message, if any. */
  take(): QueuedMessage | undefined {
    const now = this.clock.now();
    const index = this.messages.findIndex((m) => m.visibleAt <= now);
    return index < 0 ? undefined : this.messages.splice(index, 1)[0];
  }

  nextVisibleAt(): number | undefined {
    let next: number | undefined;
    for (const m of this.messages) if (next === undefined || m.visibleAt < next) next = m.visibleAt;
    return next;
  }
}

interface SimulationOptions {
  readonly connections: number;
  readonly gateway: GatewayModel;
  readonly fanout: NotificationFanoutOptions;
  readonly intake?: NotificationIntakeOptions;
  /** The function's timeout: each invocation's remaining time at its start, in ms. */
  readonly timeoutMs: number;
  /** The handler's deadline margin, in ms. */
  readonly deadlineMarginMs: number;
  /** Invocations at once (the event source's maximum concurrency). */
  readonly maxConcurrency: number;
  /** Time from a message becoming visible to its invocation starting, in ms. @default 100 */
  readonly pickupMs?: number;
  /** Connections per user. @default 1 */
  readonly connectionsPerUser?: number;
}

interface InvocationRecord {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly timeoutMs: number;
  readonly failed: boolean;
}

/** A seeded generator in [0, 1) (mulberry32), so a run is repeatable. */
const seeded = (seed: number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** A logger that keeps what the handler logs, without printing. */
const recordingLogger = () => {
  const lines: { level: string; message: string; fields: unknown }[] = [];
  const at =
    (level: string) =>
    (message: string, fields?: unknown): void => {
      lines.push({ level, message, fields });
    };
  const logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  } as unknown as Logger;
  return { logger, lines };
};

const connectionId = (i: number) => `c${String(i).padStart(7, '0')}`;

const sqsEvent = (body: string, n: number): SQSEvent =>
  ({
    Records: [
      {
        messageId: `m${n}`,
        body,
        attributes: { ApproximateReceiveCount: '1' },
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:notifications',
      },
    ],
  }) as unknown as SQSEvent;

/** A Lambda context whose remaining time runs on the simulated clock. */
const simulatedContext = (clock: SimulatedClock, timeoutMs: number): Context => {
  const endsAt = clock.now() + timeoutMs;
  return {
    getRemainingTimeInMillis: () => endsAt - clock.now(),
    awsRequestId: `req-${clock.now()}`,
    functionName: 'notifications',
  } as unknown as Context;
};

/** Builds the population and the handler; `run` sends one request body and drains the queue. */
const createQueueSimulation = async (options: SimulationOptions) => {
  const clock = new SimulatedClock();
  const store = new InMemoryConnectionStore(clock);
  const perUser = options.connectionsPerUser ?? 1;
  for (let i = 0; i < options.connections; i++) {
    await store.put(
      connectionRecord(connectionId(i), `u${Math.floor(i / perUser)}`, clock.now(), {
        expiresAt: clock.now() + 30 * 86_400_000,
      }),
    );
  }
  const registry = new ConnectionRegistry(store, clock);
  const gateway = new SimulatedGateway(clock, options.gateway);
  const fanout = new NotificationFanout(registry, gateway, clock, {
    random: seeded(7),
    ...options.fanout,
  });
  const queue = new SimulatedQueue(clock);
  const { logger, lines } = recordingLogger();
  const handle = makeNotificationsHandler({
    fanout,
    shardQueue: queue,
    logger,
    clock,
    deadlineMarginMs: options.deadlineMarginMs,
    intake: { random: seeded(11), ...options.intake },
  });
  const invocations: InvocationRecord[] = [];
  const deadLetters: string[] = [];

  const worker = async (state: { busy: number }): Promise<void> => {
    for (;;) {
      const message = queue.take();
      if (message === undefined) {
        if (queue.messages.length === 0 && state.busy === 0) return;
        const next = queue.nextVisibleAt();
        await clock.sleep(Math.max(20, (next ?? clock.now()) - clock.now()));
        continue;
      }
      state.busy++;
      await clock.sleep(options.pickupMs ?? 100);
      const startedAt = clock.now();
      const result = await handle(
        sqsEvent(message.body, invocations.length),
        simulatedContext(clock, options.timeoutMs),
      );
      const failed = result.batchItemFailures.length > 0;
      if (failed) deadLetters.push(message.body);
      invocations.push({ startedAt, endedAt: clock.now(), timeoutMs: options.timeoutMs, failed });
      state.busy--;
    }
  };

  const run = async (body: string) => {
    const startedAt = clock.now();
    queue.send(body);
    const state = { busy: 0 };
    await Promise.all(Array.from({ length: options.maxConcurrency }, () => worker(state)));
    return { simulatedMs: clock.now() - startedAt };
  };

  /** Posts per connection: how many connections got 0, 1, 2… deliveries. */
  const deliveryHistogram = (): Map<number, number> => {
    const histogram = new Map<number, number>();
    for (let i = 0; i < options.connections; i++) {
      const n = gateway.deliveries.get(connectionId(i)) ?? 0;
      histogram.set(n, (histogram.get(n) ?? 0) + 1);
    }
    return histogram;
  };

  return {
    clock,
    store,
    gateway,
    queue,
    invocations,
    deadLetters,
    lines,
    run,
    deliveryHistogram,
    connectionId,
  };
};

export type { GatewayModel, InvocationRecord, SimulationOptions };
export { createQueueSimulation, recordingLogger, SimulatedGateway, SimulatedQueue, seeded };
