import { ConfigurationError, PayloadTooLargeError, ValidationError } from '../errors.js';
import { LIMITS } from '../limits.js';
import type { BroadcastShard, ConnectionRecord, Page } from '../model/connection.js';
import type { DeliveryFailure } from '../model/continuation.js';
import { isBroadcast, type NotificationRequest } from '../model/notification-request.js';
import type { NotificationStamp } from '../model/stream.js';
import type { Clock } from '../ports/clock.js';
import type { ConnectionGateway, PostOutcome } from '../ports/connection-gateway.js';
import { runBounded } from './bounded-pool.js';
import type { ConnectionRegistry } from './connection-registry.js';
import { DeliveryFraming } from './delivery-framing.js';
import type { NotificationHistory } from './notification-history.js';

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
  /**
   * Keeps each request on its streams before it is delivered (and claims its
   * id, for idempotent publish), so that `herald.v1` clients get envelopes
   * with offsets and can resume. @default none: no history, no envelope offsets
   */
  readonly history?: NotificationHistory;
}

/** A broadcast shard's listing, to resume after `cursor` (from its start when absent). */
interface ShardResume {
  readonly shard: BroadcastShard;
  readonly cursor?: string;
}

/**
 * What a delivery could not finish before its deadline, for a continuation:
 * nothing here was delivered, so posting it again posts nobody twice.
 */
interface CarriedTargets {
  /** Posted, and still throttled or unreachable when retries stopped (reason `throttled` or `unreachable`). */
  readonly retry: readonly DeliveryFailure[];
  /** Never posted: the deadline came first. */
  readonly unstarted: readonly string[];
  /** Broadcast shards whose listing is not finished. */
  readonly shards: readonly ShardResume[];
  /** Where the request was kept, for continuations to frame the same envelopes. */
  readonly stamp?: NotificationStamp;
}

/**
 * What a request came to. `targeted` = `delivered + gone + throttled +
 * unstarted + failed`; `retries` counts extra attempts after throttling.
 * `failed` targets failed permanently (their reasons are in `failures`);
 * `throttled` and `unstarted` ones are in `carry`, for a continuation.
 */
interface DeliveryReport {
  readonly targeted: number;
  readonly delivered: number;
  readonly gone: number;
  /** Still throttled or unreachable when retries stopped (the budget or the deadline ran out). */
  readonly throttled: number;
  /** Not posted, because the deadline came first. */
  readonly unstarted: number;
  readonly retries: number;
  readonly failed: number;
  /** The first failures, with reasons (at most 100). */
  readonly failures: readonly DeliveryFailure[];
  /** Every target not yet finished, and every shard listing not yet finished. */
  readonly carry: CarriedTargets;
  /** The request's id (the sender's, or the one Herald gave it), when history is kept. */
  readonly id?: string;
  /** True when the id was delivered already within the idempotency window: nothing was posted. */
  readonly duplicate?: true;
}

interface DeliverOptions {
  /**
   * Epoch ms (on the fanout's clock) at which the delivery stops: no post
   * starts at or after it, no shard page is read after it, and throttled
   * posts are not retried past it (it overrides the retry budget). What is
   * left is in the report's `carry`. @default no deadline; retries stop at the budget
   */
  readonly deadline?: number;
  /**
   * Where the request was kept already (a shard or a continuation of it): it
   * is framed with these positions and not recorded again. @default recorded by `deliver`
   */
  readonly stamp?: NotificationStamp;
}

interface ShardRunOptions extends DeliverOptions {
  /** Resume the shard's listing after this cursor. @default the shard's first page */
  readonly cursor?: string;
  /** Post these connections first (a shard continuation's unstarted targets). */
  readonly connections?: readonly string[];
  /**
   * Pages this run reads before it leaves the rest of the listing to
   * `carry.shards`. @default every page (up to the deadline)
   */
  readonly maxPages?: number;
}

const MAX_LISTED_FAILURES = 100;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

class ReportBuilder {
  targeted = 0;
  delivered = 0;
  gone = 0;
  retries = 0;
  failed = 0;
  readonly failures: DeliveryFailure[] = [];
  readonly retry: DeliveryFailure[] = [];
  readonly unstarted: string[] = [];
  readonly shards: ShardResume[] = [];
  stamp: NotificationStamp | undefined;

  fail(connectionId: string, reason: string): void {
    this.failed++;
    if (this.failures.length < MAX_LISTED_FAILURES) this.failures.push({ connectionId, reason });
  }

  build(): DeliveryReport {
    const { targeted, delivered, gone, retries, failed, failures, retry, unstarted, shards } = this;
    const { stamp } = this;
    return {
      targeted,
      delivered,
      gone,
      throttled: retry.length,
      unstarted: unstarted.length,
      retries,
      failed,
      failures,
      carry: { retry, unstarted, shards, ...(stamp === undefined ? {} : { stamp }) },
      ...(stamp === undefined ? {} : { id: stamp.id }),
    };
  }
}

const emptyReport = (): DeliveryReport => new ReportBuilder().build();

/** The answer to a request whose id was already delivered within the window: nothing posted. */
const duplicateReport = (id: string): DeliveryReport => ({ ...emptyReport(), id, duplicate: true });

/** Adds reports of independent parts (shards) of one request. */
const mergeReports = (reports: readonly DeliveryReport[]): DeliveryReport =>
  reports.reduce(
    (sum, r): DeliveryReport => ({
      ...(r.id === undefined ? {} : { id: r.id }),
      targeted: sum.targeted + r.targeted,
      delivered: sum.delivered + r.delivered,
      gone: sum.gone + r.gone,
      throttled: sum.throttled + r.throttled,
      unstarted: sum.unstarted + r.unstarted,
      retries: sum.retries + r.retries,
      failed: sum.failed + r.failed,
      failures: [...sum.failures, ...r.failures].slice(0, MAX_LISTED_FAILURES),
      carry: {
        retry: [...sum.carry.retry, ...r.carry.retry],
        unstarted: [...sum.carry.unstarted, ...r.carry.unstarted],
        shards: [...sum.carry.shards, ...r.carry.shards],
        ...(r.carry.stamp === undefined ? {} : { stamp: r.carry.stamp }),
      },
    }),
    emptyReport(),
  );

/**
 * Delivers a notification request to every connection it targets. The payload
 * is serialised once and the same bytes are posted to every target, with
 * bounded concurrency. Throttled posts are retried with full-jitter exponential
 * backoff inside a time budget; gone connections are removed from the registry.
 */
/** When a delivery stops starting posts (`stopAt`), and when it stops retrying them. */
interface Deadlines {
  readonly stopAt: number | undefined;
  readonly retryUntil: number;
}

class NotificationFanout {
  private readonly concurrency: number;
  private readonly maxPayloadBytes: number;
  private readonly retry: RetryPolicy;
  private readonly shardCount: number;
  private readonly pageSize: number;
  private readonly random: () => number;
  private readonly history: NotificationHistory | undefined;

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
    this.history = options.history;
  }

  /**
   * Keeps a request on its streams and claims its id (see
   * NotificationHistory.record), before any part of it is delivered. Without
   * history, there is nothing to keep: the stamp is undefined.
   */
  async record(
    request: NotificationRequest,
  ): Promise<NotificationStamp | { readonly duplicate: string } | undefined> {
    return this.history === undefined ? undefined : this.keep(request, this.encode(request));
  }

  private async keep(request: NotificationRequest, payload: Uint8Array) {
    if (this.history === undefined) return undefined;
    const outcome = await this.history.record(request, decoder.decode(payload));
    return outcome.kind === 'duplicate' ? { duplicate: outcome.id } : outcome.stamp;
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

  /**
   * Delivers a request in this process; a broadcast runs all its shards in
   * parallel, each through all its pages (or up to the deadline).
   */
  async deliver(
    request: NotificationRequest,
    options: DeliverOptions = {},
  ): Promise<DeliveryReport> {
    const payload = this.encode(request);
    const recorded = options.stamp ?? (await this.keep(request, payload));
    if (recorded !== undefined && 'duplicate' in recorded) {
      return duplicateReport(recorded.duplicate);
    }
    const deadlines = this.deadlines(options);
    if (isBroadcast(request)) {
      const shards = this.broadcastShards().map((shard) =>
        this.runShard(request, shard, payload, recorded, deadlines, {}, Number.POSITIVE_INFINITY),
      );
      return mergeReports(await Promise.all(shards));
    }
    const report = new ReportBuilder();
    report.stamp = recorded;
    const framing = new DeliveryFraming(request, payload, recorded);
    const targets = await this.resolveTargets(request, framing);
    await this.postAll(targets, framing, deadlines, report);
    return report.build();
  }

  /**
   * Delivers one run of a broadcast shard (on AWS, one shard message per
   * invocation): the given connections first, then the pages from the
   * cursor, up to `maxPages` and the deadline. A listing left unfinished is
   * in the report's `carry.shards`, with the cursor to resume after.
   */
  deliverShard(
    request: NotificationRequest,
    shard: BroadcastShard,
    options: ShardRunOptions = {},
  ): Promise<DeliveryReport> {
    return this.runShard(
      request,
      shard,
      this.encode(request),
      options.stamp,
      this.deadlines(options),
      options,
      options.maxPages === undefined
        ? Number.POSITIVE_INFINITY
        : positive('maxPages', options.maxPages),
    );
  }

  /**
   * Posts the request's data to exactly these connections (a continuation's):
   * no resolution and no excludes, which were applied when they were chosen.
   */
  async deliverTo(
    request: NotificationRequest,
    connectionIds: readonly string[],
    options: DeliverOptions = {},
  ): Promise<DeliveryReport> {
    const payload = this.encode(request);
    const report = new ReportBuilder();
    report.stamp = options.stamp;
    const framing = new DeliveryFraming(request, payload, options.stamp);
    const targets = [...new Set(connectionIds)];
    await framing.learn(targets, this.registry, this.concurrency);
    await this.postAll(targets, framing, this.deadlines(options), report);
    return report.build();
  }

  private deadlines(options: DeliverOptions): Deadlines {
    return options.deadline === undefined
      ? { stopAt: undefined, retryUntil: this.clock.now() + this.retry.budgetMs }
      : { stopAt: options.deadline, retryUntil: options.deadline };
  }

  private pastDeadline(deadlines: Deadlines): boolean {
    return deadlines.stopAt !== undefined && this.clock.now() >= deadlines.stopAt;
  }

  private async runShard(
    request: NotificationRequest,
    shard: BroadcastShard,
    payload: Uint8Array,
    stamp: NotificationStamp | undefined,
    deadlines: Deadlines,
    resume: { readonly cursor?: string; readonly connections?: readonly string[] },
    maxPages: number,
  ): Promise<DeliveryReport> {
    const report = new ReportBuilder();
    report.stamp = stamp;
    const framing = new DeliveryFraming(request, payload, stamp);
    const keep = exclusionFilter(request);
    if (resume.connections !== undefined && resume.connections.length > 0) {
      await framing.learn(resume.connections, this.registry, this.concurrency);
    }
    const list = (cursor: string | undefined) =>
      this.registry.listAll(shard, this.pageOptions(cursor));
    let first = resume.connections !== undefined && resume.connections.length > 0;
    let cursor = resume.cursor;
    let pages = 0;
    let finished = false;
    let pending: Promise<Page<ConnectionRecord>> | undefined;
    // The given connections, then page after page: the lanes take the next
    // page as soon as this one's last target is taken, so they never wait
    // at a page boundary. A page is handed out only before maxPages and the
    // deadline; the listing resumes after the last page handed out.
    const batches = async (): Promise<readonly string[] | undefined> => {
      if (first) {
        first = false;
        return resume.connections;
      }
      if (finished || pages >= maxPages || this.pastDeadline(deadlines)) return undefined;
      const page = await (pending ?? list(cursor));
      pages++;
      // Read the next page while this one is posted, when this run will post it.
      pending = page.cursor !== undefined && pages < maxPages ? list(page.cursor) : undefined;
      if (page.cursor === undefined) finished = true;
      else cursor = page.cursor;
      framing.know(page.items);
      return idsOf(page.items, keep);
    };
    await this.postStream(batches, framing, deadlines, report);
    if (!finished) report.shards.push(cursor === undefined ? { shard } : { shard, cursor });
    // A prefetched page that this run will not post is dropped; its promise must not reject unseen.
    pending?.catch(() => undefined);
    return report.build();
  }

  /** Users, channels and connections, with excludes applied and duplicates removed. */
  private async resolveTargets(
    request: NotificationRequest,
    framing: DeliveryFraming,
  ): Promise<string[]> {
    const keep = exclusionFilter(request);
    const targets = new Set<string>();
    const add = (records: readonly ConnectionRecord[]) => {
      framing.know(records);
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
      await framing.learn(
        direct.filter((id) => !targets.has(id)),
        this.registry,
        this.concurrency,
      );
      for (const id of direct) targets.add(id);
    } else {
      const excludedUsers = new Set(request.excludeUsers);
      await runBounded(direct, this.concurrency, async (id) => {
        const record = await this.registry.get(id);
        if (record !== undefined) framing.know([record]);
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

  /** Posts to every id of one list; see `postStream`. */
  private postAll(
    connectionIds: readonly string[],
    framing: DeliveryFraming,
    deadlines: Deadlines,
    report: ReportBuilder,
  ): Promise<void> {
    let given = false;
    const once = async () => {
      if (given) return undefined;
      given = true;
      return connectionIds;
    };
    return this.postStream(once, framing, deadlines, report, connectionIds.length);
  }

  /**
   * Posts to every id that `batches` yields (until it yields `undefined`),
   * with at most `concurrency` posts in flight. The lanes share one stream:
   * a lane that takes the last id of a batch asks for the next one, and the
   * others join it, so no lane waits for the slowest post of a batch. A
   * gateway that answers synchronously is handled inline, so a lane runs as
   * a plain loop; only throttling, gone connections and asynchronous answers
   * await. Once the deadline has passed no post starts: the rest of the
   * batch is unstarted, and no batch is asked for. A batch that fails to
   * come stops the lanes, and its error is thrown once they have stopped.
   */
  private async postStream(
    batches: () => Promise<readonly string[] | undefined>,
    framing: DeliveryFraming,
    deadlines: Deadlines,
    report: ReportBuilder,
    expected = Number.POSITIVE_INFINITY,
  ): Promise<void> {
    let batch: readonly string[] = [];
    let next = 0;
    let ended = false;
    let refill: Promise<void> | undefined;
    let listingError: { readonly error: unknown } | undefined;
    let configurationError: ConfigurationError | undefined;
    const more = (): Promise<void> => {
      refill ??= batches().then(
        (ids) => {
          refill = undefined;
          if (ids === undefined) ended = true;
          else {
            batch = ids;
            next = 0;
            report.targeted += ids.length;
          }
        },
        (error: unknown) => {
          refill = undefined;
          ended = true;
          listingError = { error };
        },
      );
      return refill;
    };
    const lane = async (): Promise<void> => {
      for (;;) {
        while (next >= batch.length) {
          if (ended) return;
          await more();
        }
        if (this.pastDeadline(deadlines)) {
          for (; next < batch.length; next++) report.unstarted.push(batch[next] as string);
          ended = true;
          return;
        }
        const connectionId = batch[next++] as string;
        if (configurationError !== undefined) {
          report.fail(connectionId, configurationError.code);
          continue;
        }
        try {
          const payload = framing.bytesFor(connectionId);
          const outcome = this.gateway.post(connectionId, payload);
          if (outcome === 'delivered') report.delivered++;
          else await this.settle(connectionId, await outcome, payload, deadlines, report);
        } catch (error) {
          if (error instanceof ConfigurationError) configurationError ??= error;
          report.fail(connectionId, reasonOf(error));
        }
      }
    };
    await more();
    const lanes = Math.max(1, Math.min(this.concurrency, expected));
    await Promise.all(Array.from({ length: lanes }, lane));
    if (listingError !== undefined) throw listingError.error;
    if (configurationError !== undefined) throw configurationError;
  }

  /**
   * Acts on one post's outcome: counts it, removes a gone connection, retries
   * throttling and unreachable gateways until the retry deadline, then leaves
   * the target to a continuation.
   */
  private async settle(
    connectionId: string,
    first: PostOutcome,
    payload: Uint8Array,
    deadlines: Deadlines,
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
        case 'throttled':
        case 'unreachable': {
          const ceiling = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** attempt);
          const delay = Math.floor(this.random() * ceiling);
          if (this.clock.now() + delay > deadlines.retryUntil) {
            report.retry.push({ connectionId, reason: outcome });
            return;
          }
          report.retries++;
          await this.clock.sleep(delay);
          if (this.pastDeadline(deadlines)) {
            report.retry.push({ connectionId, reason: outcome });
            return;
          }
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

const keepAll = (_record: ConnectionRecord): boolean => true;

/** Keeps records that neither an excluded user nor an excluded connection owns. */
const exclusionFilter = (request: NotificationRequest) => {
  // Most requests exclude no one: no Set lookups per target then.
  if (request.excludeUsers.length === 0 && request.excludeConnections.length === 0) {
    return keepAll;
  }
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
  CarriedTargets,
  DeliverOptions,
  DeliveryFailure,
  DeliveryReport,
  NotificationFanoutOptions,
  RetryPolicy,
  ShardResume,
  ShardRunOptions,
};
export { duplicateReport, emptyReport, mergeReports, NotificationFanout };
