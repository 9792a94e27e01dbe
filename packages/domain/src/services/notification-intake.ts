import { ConfigurationError } from '../errors.js';
import type { BroadcastShard } from '../model/connection.js';
import type { Continuation, ContinuationMessage, DeliveryFailure } from '../model/continuation.js';
import { isBroadcast } from '../model/notification-request.js';
import type { InboundNotification } from '../parsing/inbound-notification.js';
import type { ShardQueue } from '../ports/shard-queue.js';
import type { DeliverOptions, DeliveryReport, NotificationFanout } from './notification-fanout.js';

interface NotificationIntakeOptions {
  /**
   * Retry continuations a target may go through while it stays throttled or
   * unreachable. Past it, the target is not posted again: it goes to the
   * dead-letter queue with its reason. @default 8
   */
  readonly maxContinuations?: number;
  /**
   * The first retry continuation's delay, in seconds; it doubles with each
   * attempt (with jitter in its upper half), up to SQS's 900. @default 5
   */
  readonly baseDelaySeconds?: number;
  /**
   * Pages one shard message reads before the shard hands the rest of its
   * listing to a continuation. A run that crashes (its message is received
   * again) re-posts at most the pages it started, so 1 bounds a crash's
   * re-posts to one page; more pages per run save queue round trips. @default 1
   */
  readonly shardPagesPerRun?: number;
  /** Connection ids carried in one continuation message (SQS caps a message's size). @default 1000 */
  readonly connectionsPerMessage?: number;
  /** Source of jitter, in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/** What one delivery handed on to continuations. */
interface CarrySummary {
  /** Continuation messages enqueued (dead-letter ones included). */
  readonly messages: number;
  /** Targets still throttled or unreachable, carried to a retry continuation. */
  readonly retried: number;
  /** Targets not posted before the deadline, carried with no delay. */
  readonly unstarted: number;
  /** Shard listings carried, with their cursors. */
  readonly shards: number;
  /** Targets past the bound on continuations, sent to the dead-letter queue with their reasons. */
  readonly exhausted: readonly DeliveryFailure[];
}

/** What became of one inbound message. */
type IntakeOutcome =
  | {
      readonly kind: 'delivered';
      readonly report: DeliveryReport;
      readonly carried: CarrySummary;
      /** Set when the message was a continuation. */
      readonly attempt?: number;
    }
  | {
      readonly kind: 'shard_delivered';
      readonly shard: BroadcastShard;
      readonly report: DeliveryReport;
      readonly carried: CarrySummary;
      readonly attempt?: number;
    }
  | { readonly kind: 'split'; readonly shards: number; readonly id?: string }
  /** The request's id was delivered already within the idempotency window: nothing was posted. */
  | { readonly kind: 'duplicate'; readonly id: string };

type AcceptedMessage = Exclude<InboundNotification, { kind: 'batch' }>;

/**
 * A continuation past the bound: its targets were never delivered. The message
 * fails on purpose, so that the queue moves it to its dead-letter queue, where
 * its body lists each target with its reason.
 */
class DeliveryExhaustedError extends Error {
  readonly code = 'delivery_exhausted';

  constructor(
    readonly failures: readonly DeliveryFailure[],
    readonly attempt: number,
  ) {
    const sample = failures
      .slice(0, 5)
      .map((f) => `${f.connectionId} (${f.reason})`)
      .join(', ');
    super(
      `${failures.length} target(s) still undelivered after ${attempt - 1} continuation(s): ${sample}`,
    );
    this.name = 'DeliveryExhaustedError';
  }
}

const MAX_DELAY_SECONDS = 900;

/**
 * What a queue consumer does with one parsed notification message: a shard
 * message is delivered to its shard; a broadcast, when the fanout has more
 * than one shard, is split into shard messages on the shard queue (after its
 * payload is checked, so an oversized one fails here, not in every shard); a
 * continuation is delivered to exactly its connections; any other request is
 * delivered.
 *
 * Whatever the delivery leaves unfinished at its deadline goes back onto the
 * queue as continuations, before the message is acknowledged: unstarted
 * targets and unfinished shard listings at once, throttled and unreachable
 * targets after a growing delay, at most `maxContinuations` times; past that
 * bound, in a dead-letter continuation that fails when it is received.
 */
class NotificationIntake {
  private readonly maxContinuations: number;
  private readonly baseDelaySeconds: number;
  private readonly connectionsPerMessage: number;
  private readonly shardPagesPerRun: number;
  private readonly random: () => number;

  constructor(
    private readonly fanout: NotificationFanout,
    private readonly shardQueue: ShardQueue,
    options: NotificationIntakeOptions = {},
  ) {
    this.maxContinuations = whole('maxContinuations', options.maxContinuations ?? 8);
    this.baseDelaySeconds = whole('baseDelaySeconds', options.baseDelaySeconds ?? 5);
    this.connectionsPerMessage = whole(
      'connectionsPerMessage',
      options.connectionsPerMessage ?? 1000,
    );
    this.shardPagesPerRun = whole('shardPagesPerRun', options.shardPagesPerRun ?? 1);
    if (this.connectionsPerMessage === 0 || this.shardPagesPerRun === 0) {
      const name = this.shardPagesPerRun === 0 ? 'shardPagesPerRun' : 'connectionsPerMessage';
      throw new ConfigurationError(name, 'must be at least 1');
    }
    this.random = options.random ?? Math.random;
  }

  async accept(message: AcceptedMessage, options: DeliverOptions = {}): Promise<IntakeOutcome> {
    const { request } = message;
    if (message.kind === 'shard') {
      const { continuation, shard } = message;
      if (continuation?.exhausted !== undefined) {
        throw new DeliveryExhaustedError(continuation.exhausted, continuation.attempt);
      }
      const report = await this.fanout.deliverShard(request, shard, {
        ...options,
        ...(message.stamp === undefined ? {} : { stamp: message.stamp }),
        maxPages: this.shardPagesPerRun,
        ...(continuation?.cursor === undefined ? {} : { cursor: continuation.cursor }),
        ...(continuation === undefined ? {} : { connections: continuation.connections }),
      });
      const attempt = continuation?.attempt ?? 0;
      const carried = await this.carry(message.input, request.id, report, attempt);
      return {
        kind: 'shard_delivered',
        shard,
        report,
        carried,
        ...(continuation === undefined ? {} : { attempt }),
      };
    }
    if (message.kind === 'continuation') {
      const { continuation } = message;
      if (continuation.exhausted !== undefined) {
        throw new DeliveryExhaustedError(continuation.exhausted, continuation.attempt);
      }
      const report = await this.fanout.deliverTo(request, continuation.connections, {
        ...options,
        ...(message.stamp === undefined ? {} : { stamp: message.stamp }),
      });
      const carried = await this.carry(message.input, request.id, report, continuation.attempt);
      return { kind: 'delivered', report, carried, attempt: continuation.attempt };
    }
    const shards = this.fanout.broadcastShards();
    if (isBroadcast(request) && shards.length > 1) {
      this.fanout.encode(request);
      const stamp = await this.fanout.record(request);
      if (stamp !== undefined && 'duplicate' in stamp) {
        return { kind: 'duplicate', id: stamp.duplicate };
      }
      await this.shardQueue.enqueue(message.input, shards, stamp);
      return {
        kind: 'split',
        shards: shards.length,
        ...(stamp === undefined ? {} : { id: stamp.id }),
      };
    }
    const report = await this.fanout.deliver(request, options);
    if (report.duplicate === true) return { kind: 'duplicate', id: report.id as string };
    const carried = await this.carry(message.input, request.id, report, 0);
    return { kind: 'delivered', report, carried };
  }

  /** Puts what the report left unfinished back onto the queue. */
  private async carry(
    input: unknown,
    requestId: string | undefined,
    report: DeliveryReport,
    attempt: number,
  ): Promise<CarrySummary> {
    const { retry, unstarted, shards, stamp } = report.carry;
    const messages: ContinuationMessage[] = [];
    const push = (continuation: Continuation, delaySeconds: number, shard?: BroadcastShard) =>
      messages.push({
        request: input,
        ...(requestId === undefined ? {} : { requestId }),
        ...(stamp === undefined ? {} : { stamp }),
        ...(shard === undefined ? {} : { shard }),
        continuation,
        delaySeconds,
      });
    for (const { shard, cursor } of shards) {
      push({ attempt, connections: [], ...(cursor === undefined ? {} : { cursor }) }, 0, shard);
    }
    for (const connections of chunks(unstarted, this.connectionsPerMessage)) {
      push({ attempt, connections }, 0);
    }
    const next = attempt + 1;
    const exhausted = next > this.maxContinuations ? retry : [];
    for (const failures of chunks(retry, this.connectionsPerMessage)) {
      const connections = failures.map((f) => f.connectionId);
      if (exhausted.length > 0) push({ attempt: next, connections, exhausted: failures }, 0);
      else push({ attempt: next, connections }, this.delaySeconds(next));
    }
    if (messages.length > 0) await this.shardQueue.carry(messages);
    return {
      messages: messages.length,
      retried: exhausted.length > 0 ? 0 : retry.length,
      unstarted: unstarted.length,
      shards: shards.length,
      exhausted,
    };
  }

  /** Full delay ceiling `base × 2^(attempt-1)`, capped at 900 s, with jitter in its upper half. */
  private delaySeconds(attempt: number): number {
    const ceiling = Math.min(MAX_DELAY_SECONDS, this.baseDelaySeconds * 2 ** (attempt - 1));
    return Math.min(MAX_DELAY_SECONDS, Math.round(ceiling / 2 + (this.random() * ceiling) / 2));
  }
}

/**
 * The first undelivered targets of a report with their reasons, for a log
 * line: permanent failures, then targets carried as throttled or unreachable,
 * then targets left unstarted by the deadline.
 */
const undeliveredSample = (report: DeliveryReport, limit = 10): DeliveryFailure[] => {
  const sample: DeliveryFailure[] = [...report.failures.slice(0, limit)];
  for (const failure of report.carry.retry) {
    if (sample.length >= limit) return sample;
    sample.push(failure);
  }
  for (const connectionId of report.carry.unstarted) {
    if (sample.length >= limit) return sample;
    sample.push({ connectionId, reason: 'deadline' });
  }
  return sample;
};

/** One log line for an outcome, the same on every runtime that consumes a queue. */
interface OutcomeLog {
  readonly level: 'info' | 'warn';
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

/**
 * How an outcome is logged: INFO when every target ended delivered or gone;
 * WARN when some did not, whether they failed or were carried to a
 * continuation: `undelivered` lists the first ten connection ids with their
 * reasons, `failures` the permanent failures (the first hundred), and
 * `deadLettered` the first targets sent to the dead-letter queue.
 */
const outcomeLog = (requestId: string | undefined, outcome: IntakeOutcome): OutcomeLog => {
  if (outcome.kind === 'split') {
    return {
      level: 'info',
      message: 'broadcast split into shards',
      fields: { requestId: requestId ?? outcome.id, shards: outcome.shards },
    };
  }
  if (outcome.kind === 'duplicate') {
    return {
      level: 'info',
      message: 'notification not delivered again: its id was delivered already',
      fields: { requestId: outcome.id, duplicate: true },
    };
  }
  const { carry: _carry, failures: _failures, ...counts } = outcome.report;
  const { exhausted, ...carried } = outcome.carried;
  const fields = {
    requestId: requestId ?? outcome.report.id,
    ...(outcome.kind === 'shard_delivered' ? { shard: outcome.shard } : {}),
    ...(outcome.attempt === undefined ? {} : { continuation: outcome.attempt }),
    ...counts,
    carried: { ...carried, exhausted: exhausted.length },
  };
  const what = outcome.kind === 'shard_delivered' ? 'shard' : 'notification';
  if (undeliveredCount(outcome.report) === 0) {
    return { level: 'info', message: `${what} delivered`, fields };
  }
  return {
    level: 'warn',
    message: `${what} not delivered to every target`,
    fields: {
      ...fields,
      undelivered: undeliveredSample(outcome.report),
      ...(outcome.report.failed === 0 ? {} : { failures: outcome.report.failures }),
      ...(exhausted.length === 0 ? {} : { deadLettered: exhausted.slice(0, 10) }),
    },
  };
};

/** Targets in the report that did not end delivered or gone (yet). */
const undeliveredCount = (report: DeliveryReport): number =>
  report.failed + report.throttled + report.unstarted;

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

const whole = (name: string, value: number): number => {
  if (!Number.isInteger(value) || value < 0) {
    throw new ConfigurationError(name, `must be a whole number, 0 or more, got ${value}`);
  }
  return value;
};

export type { CarrySummary, IntakeOutcome, NotificationIntakeOptions, OutcomeLog };
export {
  DeliveryExhaustedError,
  NotificationIntake,
  outcomeLog,
  undeliveredCount,
  undeliveredSample,
};
