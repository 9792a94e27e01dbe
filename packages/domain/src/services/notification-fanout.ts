import { ConfigurationError, PayloadTooLargeError, ValidationError } from '../errors.js';
import { LIMITS } from '../limits.js';
import type { BroadcastShard, ConnectionRecord, Page } from '../model/connection.js';
import { isBroadcast, type NotificationRequest } from '../model/notification-request.js';
import type { Clock } from '../ports/clock.js';
import type { ConnectionGateway, PostOutcome } from '../ports/connection-gateway.js';
import { runBounded } from './bounded-pool.js';
import type { ConnectionRegistry } from './connection-registry.js';

interface RetryPolicy {
  /** First backoff ceiling, in ms; it doubles with each retry. @default 50 */
  readonly baseDelayMs: number;
  /** Largest backoff ceiling, in ms. @default 2000 */
  readonly maxDelayMs: number;
  /** Time from the start of a request after which throttled posts are not retried. @default 10000 */
  readonly budgetMs: number;
}

interface NotificationFanoutOptions {
  /** Posts in flight at once. @default 64 */
  readonly concurrency?: number;
  /** Largest encoded payload. @default LIMITS.maxMessageBytes */
  readonly maxPayloadBytes?: number;
  readonly retry?: Partial<RetryPolicy>;
  /** Independent shards a broadcast is split into. @default 4 */
  readonly broadcastShards?: number;
  /** Connections read per page while resolving targets. @default 500 */
  readonly pageSize?: number;
  /** Source of jitter, in [0, 1). @default Math.random */
  readonly random?: () => number;
}

interface DeliveryFailure {
  readonly connectionId: string;
  readonly reason: string;
}

/**
 * What a request came to. `targeted` = `delivered + gone + throttled + failed`;
 * `retries` counts extra attempts after throttling.
 */
interface DeliveryReport {
  readonly targeted: number;
  readonly delivered: number;
  readonly gone: number;
  /** Still throttled when the retry budget ran out. */
  readonly throttled: number;
  readonly retries: number;
  readonly failed: number;
  /** The first failures, with reasons (at most 100). */
  readonly failures: readonly DeliveryFailure[];
}

interface DeliverOptions {
  /** Epoch ms after which throttled posts are not retried; overrides the retry budget. */
  readonly deadline?: number;
}

const MAX_LISTED_FAILURES = 100;
const encoder = new TextEncoder();

class ReportBuilder {
  targeted = 0;
  delivered = 0;
  gone = 0;
  throttled = 0;
  retries = 0;
  failed = 0;
  readonly failures: DeliveryFailure[] = [];

  fail(connectionId: string, reason: string): void {
    this.failed++;
    if (this.failures.length < MAX_LISTED_FAILURES) this.failures.push({ connectionId, reason });
  }

  build(): DeliveryReport {
    const { targeted, delivered, gone, throttled, retries, failed, failures } = this;
    return { targeted, delivered, gone, throttled, retries, failed, failures };
  }
}

const emptyReport = (): DeliveryReport => new ReportBuilder().build();

/** Adds reports of independent parts (shards) of one request. */
const mergeReports = (reports: readonly DeliveryReport[]): DeliveryReport =>
  reports.reduce(
    (sum, r) => ({
      targeted: sum.targeted + r.targeted,
      delivered: sum.delivered + r.delivered,
      gone: sum.gone + r.gone,
      throttled: sum.throttled + r.throttled,
      retries: sum.retries + r.retries,
      failed: sum.failed + r.failed,
      failures: [...sum.failures, ...r.failures].slice(0, MAX_LISTED_FAILURES),
    }),
    emptyReport(),
  );

/**
 * Delivers a notification request to every connection it targets. The payload
 * is serialised once and the same bytes are posted to every target, with
 * bounded concurrency. Throttled posts are retried with full-jitter exponential
 * backoff inside a time budget; gone connections are removed from the registry.
 */
class NotificationFanout {
  private readonly concurrency: number;
  private readonly maxPayloadBytes: number;
  private readonly retry: RetryPolicy;
  private readonly shardCount: number;
  private readonly pageSize: number;
  private readonly random: () => number;

  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly gateway: ConnectionGateway,
    private readonly clock: Clock,
    options: NotificationFanoutOptions = {},
  ) {
    this.concurrency = positive('concurrency', options.concurrency ?? 64);
    this.maxPayloadBytes = positive(
      'maxPayloadBytes',
      options.maxPayloadBytes ?? LIMITS.maxMessageBytes,
    );
    this.shardCount = positive('broadcastShards', options.broadcastShards ?? 4);
    this.pageSize = positive('pageSize', options.pageSize ?? 500);
    this.retry = { baseDelayMs: 50, maxDelayMs: 2000, budgetMs: 10_000, ...options.retry };
    this.random = options.random ?? Math.random;
  }

  /**
   * Serialises a request's data to the bytes every target receives. Refuses
   * data that is not JSON or is over the payload limit, before any post.
   */
  encode(request: NotificationRequest): Uint8Array {
    let text: string | undefined;
    try {
      text = JSON.stringify(request.data);
    } catch (error) {
      throw new ValidationError('data', `cannot be encoded as JSON (${(error as Error).message})`);
    }
    if (text === undefined) throw new ValidationError('data', 'cannot be encoded as JSON');
    const payload = encoder.encode(text);
    if (payload.length > this.maxPayloadBytes) {
      throw new PayloadTooLargeError('notification payload', payload.length, this.maxPayloadBytes);
    }
    return payload;
  }

  /** The shards a broadcast is split into; each can be delivered on its own, in parallel. */
  broadcastShards(): readonly BroadcastShard[] {
    return Array.from({ length: this.shardCount }, (_, segment) => ({
      segment,
      totalSegments: this.shardCount,
    }));
  }

  /** Delivers a request in this process; a broadcast runs all its shards in parallel. */
  async deliver(
    request: NotificationRequest,
    options: DeliverOptions = {},
  ): Promise<DeliveryReport> {
    const payload = this.encode(request);
    const deadline = options.deadline ?? this.clock.now() + this.retry.budgetMs;
    if (isBroadcast(request)) {
      const shards = this.broadcastShards().map((shard) =>
        this.deliverShardPayload(request, shard, payload, deadline),
      );
      return mergeReports(await Promise.all(shards));
    }
    const report = new ReportBuilder();
    const targets = await this.resolveTargets(request);
    await this.postAll(targets, payload, deadline, report);
    return report.build();
  }

  /** Delivers one shard of a broadcast (on AWS, one shard message per invocation). */
  deliverShard(
    request: NotificationRequest,
    shard: BroadcastShard,
    options: DeliverOptions = {},
  ): Promise<DeliveryReport> {
    const deadline = options.deadline ?? this.clock.now() + this.retry.budgetMs;
    return this.deliverShardPayload(request, shard, this.encode(request), deadline);
  }

  private async deliverShardPayload(
    request: NotificationRequest,
    shard: BroadcastShard,
    payload: Uint8Array,
    deadline: number,
  ): Promise<DeliveryReport> {
    const report = new ReportBuilder();
    const keep = exclusionFilter(request);
    await this.forEachPage(
      (cursor) => this.registry.listAll(shard, this.pageOptions(cursor)),
      (page) => this.postAll(idsOf(page, keep), payload, deadline, report),
    );
    return report.build();
  }

  /** Users, channels and connections, with excludes applied and duplicates removed. */
  private async resolveTargets(request: NotificationRequest): Promise<string[]> {
    const keep = exclusionFilter(request);
    const targets = new Set<string>();
    const add = (records: readonly ConnectionRecord[]) => {
      for (const record of records) if (keep(record)) targets.add(record.connectionId);
    };
    await runBounded(request.users, this.concurrency, async (userId) => {
      add(await this.registry.listByUser(userId));
    });
    await runBounded(request.channels, this.concurrency, (channel) =>
      this.forEachPage(
        (cursor) => this.registry.listByChannel(channel, this.pageOptions(cursor)),
        async (page) => add(page),
      ),
    );
    const excluded = new Set(request.excludeConnections);
    const direct = request.connections.filter((id) => !excluded.has(id));
    if (request.excludeUsers.length === 0) {
      for (const id of direct) targets.add(id);
    } else {
      const excludedUsers = new Set(request.excludeUsers);
      await runBounded(direct, this.concurrency, async (id) => {
        const record = await this.registry.get(id);
        if (record === undefined || !excludedUsers.has(record.userId)) targets.add(id);
      });
    }
    return [...targets];
  }

  /** Walks a paged listing, fetching the next page while the current one is handled. */
  private async forEachPage(
    fetch: (cursor: string | undefined) => Promise<Page<ConnectionRecord>>,
    handle: (items: readonly ConnectionRecord[]) => Promise<void>,
  ): Promise<void> {
    let page = await fetch(undefined);
    for (;;) {
      const nextPage = page.cursor === undefined ? undefined : fetch(page.cursor);
      await handle(page.items);
      if (nextPage === undefined) return;
      page = await nextPage;
    }
  }

  private pageOptions(cursor: string | undefined) {
    return cursor === undefined ? { limit: this.pageSize } : { limit: this.pageSize, cursor };
  }

  /**
   * Posts to every id with at most `concurrency` posts in flight. A gateway
   * that answers synchronously is handled inline, so a lane runs as a plain
   * loop; only throttling, gone connections and asynchronous answers await.
   */
  private async postAll(
    connectionIds: readonly string[],
    payload: Uint8Array,
    deadline: number,
    report: ReportBuilder,
  ): Promise<void> {
    report.targeted += connectionIds.length;
    let next = 0;
    let configurationError: ConfigurationError | undefined;
    const lane = async (): Promise<void> => {
      while (next < connectionIds.length) {
        const connectionId = connectionIds[next++] as string;
        if (configurationError !== undefined) {
          report.fail(connectionId, configurationError.code);
          continue;
        }
        try {
          const outcome = this.gateway.post(connectionId, payload);
          if (outcome === 'delivered') report.delivered++;
          else await this.settle(connectionId, await outcome, payload, deadline, report);
        } catch (error) {
          if (error instanceof ConfigurationError) configurationError ??= error;
          report.fail(connectionId, reasonOf(error));
        }
      }
    };
    const lanes = Math.max(1, Math.min(this.concurrency, connectionIds.length));
    await Promise.all(Array.from({ length: lanes }, lane));
    if (configurationError !== undefined) throw configurationError;
  }

  /** Acts on one post's outcome: counts it, removes a gone connection, retries throttling. */
  private async settle(
    connectionId: string,
    first: PostOutcome,
    payload: Uint8Array,
    deadline: number,
    report: ReportBuilder,
  ): Promise<void> {
    let outcome = first;
    for (let attempt = 0; ; attempt++) {
      switch (outcome) {
        case 'delivered':
          report.delivered++;
          return;
        case 'gone':
          await this.registry.disconnect(connectionId);
          report.gone++;
          return;
        case 'payload_too_large':
          report.fail(connectionId, 'payload_too_large');
          return;
        case 'throttled': {
          const ceiling = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** attempt);
          const delay = Math.floor(this.random() * ceiling);
          if (this.clock.now() + delay > deadline) {
            report.throttled++;
            return;
          }
          report.retries++;
          await this.clock.sleep(delay);
          outcome = await this.gateway.post(connectionId, payload);
        }
      }
    }
  }
}

const idsOf = (
  records: readonly ConnectionRecord[],
  keep: (record: ConnectionRecord) => boolean,
) => {
  const ids: string[] = [];
  for (const record of records) if (keep(record)) ids.push(record.connectionId);
  return ids;
};

/** Keeps records that neither an excluded user nor an excluded connection owns. */
const exclusionFilter = (request: NotificationRequest) => {
  const users = new Set(request.excludeUsers);
  const connections = new Set(request.excludeConnections);
  return (record: ConnectionRecord) =>
    !users.has(record.userId) && !connections.has(record.connectionId);
};

const reasonOf = (error: unknown): string => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
};

const positive = (name: string, value: number): number => {
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigurationError(name, `must be a positive whole number, got ${value}`);
  }
  return value;
};

export type {
  DeliverOptions,
  DeliveryFailure,
  DeliveryReport,
  NotificationFanoutOptions,
  RetryPolicy,
};
export { mergeReports, NotificationFanout };
