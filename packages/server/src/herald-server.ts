import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  InMemoryConnectionStore,
  InMemoryEventPublisher,
  InMemoryHistoryStore,
  InMemoryIdempotencyStore,
  InMemoryPresenceStore,
} from '@herald/adapters-memory';
import { SystemClock } from '@herald/adapters-node';
import {
  ClientActions,
  type Clock,
  ConfigurationError,
  type ConnectionGateway,
  type ConnectionLifecycleListener,
  type ConnectionRecord,
  ConnectionRegistry,
  type ConnectionStore,
  type DeliveryReport,
  type EventPublisher,
  type HistoryRetention,
  type HistoryStore,
  type IdempotencyStore,
  type InboundNotification,
  type IntakeOutcome,
  LIMITS,
  meteredStore,
  NotificationFanout,
  type NotificationFanoutOptions,
  NotificationHistory,
  NotificationIntake,
  type NotificationIntakeOptions,
  type OutboundEvent,
  outcomeLog,
  type PresenceStore,
  PresenceTracker,
  parseNotificationRequest,
  recordDelivery,
  type ShardQueue,
  type TokenVerifier,
  type UserPresence,
} from '@herald/domain';
import {
  type ClusterNode,
  type ClusterOptions,
  clusterOwner,
  createClusterNode,
} from './cluster/cluster-node.js';
import {
  ConnectionCaps,
  DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
  DEFAULT_MAX_CONNECTIONS_PER_USER,
  defaultMaxConnections,
} from './connection-caps.js';
import { createHttpApi } from './http-api.js';
import { LocalConnectionView } from './local-connection-view.js';
import { createPrometheusMetrics } from './metrics.js';
import { CompositeEventPublisher } from './outputs/composite-event-publisher.js';
import type { SigV4AccessKey } from './sigv4-verifier.js';
import type { StoreBacklog } from './store-backlog.js';
import { createWebSocketEndpoint } from './websocket-endpoint.js';
import { MAX_BUFFERED_BYTES, WsConnectionGateway } from './ws-connection-gateway.js';
import { startWsHeartbeat } from './ws-heartbeat.js';

interface HeraldServerOptions {
  /** Address to listen on. @default '127.0.0.1' */
  readonly host?: string;
  /** Port to listen on; 0 picks a free one. @default 8080 */
  readonly port?: number;
  /** Clients may connect to `/` or `/{stage}`, as on API Gateway. @default 'local' */
  readonly stage?: string;
  /** Verifies client tokens before the WebSocket upgrade completes. */
  readonly verifier: TokenVerifier;
  /** Key backends present as `Authorization: Bearer` on /notifications and /presence; without it those routes answer 401. */
  readonly backendKey?: string;
  /** @default InMemoryConnectionStore */
  readonly connectionStore?: ConnectionStore;
  /** @default InMemoryPresenceStore */
  readonly presenceStore?: PresenceStore;
  /**
   * The streams' history, which `herald.v1` clients resume from. Share one
   * (DynamoDB) between nodes for a client to resume on any of them.
   * @default InMemoryHistoryStore (a new epoch at every start)
   */
  readonly historyStore?: HistoryStore;
  /** Retention of the default in-memory history. @default DEFAULT_HISTORY_RETENTION */
  readonly historyRetention?: HistoryRetention;
  /** Claimed request ids, for idempotent publish. @default InMemoryIdempotencyStore */
  readonly idempotencyStore?: IdempotencyStore;
  /** A request id sent again within this window delivers nothing. @default 600000 */
  readonly idempotencyWindowMs?: number;
  /** Where client messages and presence events go, besides in-process subscribers. @default [] */
  readonly outputs?: readonly EventPublisher[];
  /** @default SystemClock */
  readonly clock?: Clock;
  /** @default LIMITS.idleTimeoutMs */
  readonly idleTimeoutMs?: number;
  /** @default LIMITS.maxConnectionAgeMs */
  readonly maxConnectionAgeMs?: number;
  /** Client actions per connection per second; bursts of twice that. @default 20 */
  readonly rateLimitPerSecond?: number;
  /** WebSocket-level pings this often; a socket that misses one pong is terminated. 0 turns them off. @default 30000 */
  readonly wsPingIntervalMs?: number;
  /** Who may call the management API (`/@connections/{id}`). @default 'loopback' */
  readonly managementApi?: 'loopback' | 'any' | 'off';
  /**
   * Key pairs callers sign management API calls with (SigV4, as for API Gateway) when it answers `any` caller;
   * the backend key, as `Authorization: Bearer`, is accepted too. @default none
   */
  readonly managementAccessKeys?: readonly SigV4AccessKey[];
  /** Connections one user (token subject) may hold at once; past it the upgrade is refused with 429. @default 100 */
  readonly maxConnectionsPerUser?: number;
  /** Connections one source address may hold at once; past it the upgrade is refused with 429. @default 1000 */
  readonly maxConnectionsPerAddress?: number;
  /**
   * Connections this server holds at once; past it the upgrade is refused with 503.
   * @default the V8 heap limit ÷ 64 KiB (`CONNECTION_BUDGET_BYTES`), e.g. 32,768 for a 2 GiB heap
   */
  readonly maxConnections?: number;
  /**
   * Unsent bytes a socket may hold; the next notification, reply or error frame
   * to a socket over it closes the connection with 1013 (a client that sends but
   * does not read). @default 4 MiB (`MAX_BUFFERED_BYTES`)
   */
  readonly maxBufferedBytes?: number;
  /** Time a client has to send a request's headers (or an upgrade's) before the socket is closed. @default 10000 */
  readonly headersTimeoutMs?: number;
  /** Time a client has to send a whole HTTP request, body included. @default 30000 */
  readonly requestTimeoutMs?: number;
  /** Time an upgrade may take to be admitted (token verified, keys fetched) before it is answered 408. @default 10000 */
  readonly handshakeTimeoutMs?: number;
  /** Time an idle keep-alive HTTP connection stays open between requests. @default 5000 */
  readonly keepAliveTimeoutMs?: number;
  /** In-process, shards and small pages only add work. @default { broadcastShards: 1, pageSize: 10000 } */
  readonly fanout?: NotificationFanoutOptions;
  /** The bound on continuations of queued messages, and their delays. */
  readonly intake?: NotificationIntakeOptions;
  /**
   * The store calls in flight, as the DynamoDB client's observer counts them
   * (`StoreBacklog`): past its bound, new upgrades and backend requests are
   * answered 503 with `Retry-After`. @default none (memory stores never back up)
   */
  readonly storeBacklog?: StoreBacklog;
  /** How long a committed presence event is left to its writer before another publishes it. @default 30000 */
  readonly presenceOutboxLeaseMs?: number;
  /** @default a Powertools Logger for service "herald" */
  readonly logger?: Logger;
  /**
   * Runs this server as one node among several on shared tables: every
   * connection names this node as its owner, posts go to each connection's
   * owner, and nodes keep heartbeats (see ClusterOptions). Needs
   * `managementApi: 'any'` with `accessKey` among `managementAccessKeys`.
   * @default none: a single node, which owns every connection it sees
   */
  readonly cluster?: ClusterOptions;
}

interface HeraldServer {
  /** Starts listening; resolves with the address actually bound. */
  start(): Promise<{ readonly host: string; readonly port: number; readonly url: string }>;
  /** Stops accepting, closes every socket with 1001, waits for disconnects and outputs, then closes. */
  stop(): Promise<void>;
  /** Delivers one notification request, in any accepted format. */
  notify(request: unknown): Promise<DeliveryReport>;
  /**
   * Delivers one message taken from a queue (the input poller's), as the
   * Lambda consumer does: up to `deadline`, with what is left carried back
   * onto `queue` as continuations before this resolves; the outcome is
   * logged, at WARN when some target was not delivered.
   */
  consume(polled: QueuedNotification): Promise<IntakeOutcome>;
  /** Calls `listener` for every client message and presence event; returns an unsubscribe function. */
  onEvent(listener: (event: OutboundEvent) => void): () => void;
  presence(userIds: readonly string[]): Promise<readonly UserPresence[]>;
  /** The sockets this server holds, as a ConnectionGateway (post, get, disconnect by connection id). */
  readonly gateway: ConnectionGateway;
  /** Sockets open now. */
  readonly connectionCount: number;
  /** Counts of what the server refused or closed to protect itself, for metrics. */
  readonly counters: HeraldServerCounters;
}

interface HeraldServerCounters {
  /** Connections closed with 1013 because they did not read what they were sent. */
  readonly slowConsumersClosed: number;
  /** Connections closed with 1011 because their own work failed unexpectedly. */
  readonly connectionsFailed: number;
  /** Upgrades refused past a connection cap, by cap. */
  readonly upgradesRefused: {
    readonly user: number;
    readonly address: number;
    readonly total: number;
  };
}

/** A notification message taken from a queue, with its deadline and the queue it goes back to. */
interface QueuedNotification {
  readonly message: Exclude<InboundNotification, { kind: 'batch' }>;
  /** Epoch ms, on the server's clock. */
  readonly deadline: number;
  readonly queue: ShardQueue;
}

/** An output that queues (the webhook) can be flushed, then closed, on shutdown. */
interface DrainableOutput {
  flush(timeoutMs: number): Promise<boolean>;
  close?(): Promise<void>;
}

const drainOutput = async (output: EventPublisher | (EventPublisher & DrainableOutput)) => {
  if (!('flush' in output)) return;
  await output.flush(5000);
  await output.close?.();
};

/**
 * Creates Herald's embedded server: one Node.js process that holds the
 * WebSocket connections itself and serves, on the same port, the backends'
 * HTTP API and API Gateway's management API. Adapters are injected; by
 * default all state is in memory.
 *
 * This file composes the parts and runs their lifecycle: the domain services,
 * the WebSocket endpoint (`websocket-endpoint.ts`, a transport over
 * ClientActions) and the HTTP API (`http-api.ts`).
 */
const createHeraldServer = (options: HeraldServerOptions): HeraldServer => {
  const log = options.logger ?? new Logger({ serviceName: 'herald' });
  const clock = options.clock ?? new SystemClock();
  const idleTimeoutMs = options.idleTimeoutMs ?? LIMITS.idleTimeoutMs;
  const maxConnectionAgeMs = options.maxConnectionAgeMs ?? LIMITS.maxConnectionAgeMs;

  // Prometheus metrics, served on GET /metrics (metrics.ts); the stores are
  // metered at this edge, and presence is counted from the events published.
  const metrics = createPrometheusMetrics();
  const recorder = metrics.recorder;
  const subscribers = new InMemoryEventPublisher({ keep: 0 });
  subscribers.subscribe((event) => {
    if (event.kind === 'presence') recorder.presenceTransition(event.status);
  });
  const publisher = new CompositeEventPublisher([subscribers, ...(options.outputs ?? [])]);
  const tracker = new PresenceTracker(
    meteredStore('presence', options.presenceStore ?? new InMemoryPresenceStore(), recorder, clock),
    publisher,
    clock,
    {
      maxConnectionAgeMs,
      ...(options.presenceOutboxLeaseMs === undefined
        ? {}
        : { outboxLeaseMs: options.presenceOutboxLeaseMs }),
    },
  );
  const presenceListener: ConnectionLifecycleListener = {
    connected: (record: ConnectionRecord) =>
      tracker.connected(record).catch((error) => log.error('presence not recorded', { error })),
    disconnected: (record: ConnectionRecord, at: number) =>
      tracker
        .disconnected(record, at)
        .catch((error) => log.error('presence not recorded', { error })),
    refreshed: (record: ConnectionRecord) =>
      tracker.refreshed(record).catch((error) => log.error('presence not recorded', { error })),
  };
  const store = meteredStore(
    'connections',
    options.connectionStore ?? new InMemoryConnectionStore(clock),
    recorder,
    clock,
  );
  const owner = options.cluster === undefined ? undefined : clusterOwner(options.cluster);
  if (owner !== undefined) requireClusterAccess(options);
  const registryOptions = { idleTimeoutMs, maxConnectionAgeMs };
  const registry = new ConnectionRegistry(
    store,
    clock,
    owner === undefined ? registryOptions : { ...registryOptions, owner },
    presenceListener,
  );
  const gateway = new WsConnectionGateway({
    maxBufferedBytes: options.maxBufferedBytes ?? MAX_BUFFERED_BYTES,
    onSlowConsumer: ({ connectionId }) =>
      log.warn('connection closed: it does not read what it is sent', { connectionId }),
    onFrameSent: recorder.frameOut,
  });
  const caps = new ConnectionCaps({
    perUser: options.maxConnectionsPerUser ?? DEFAULT_MAX_CONNECTIONS_PER_USER,
    perAddress: options.maxConnectionsPerAddress ?? DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
    total: options.maxConnections ?? defaultMaxConnections(),
  });
  const history = new NotificationHistory(
    options.historyStore ??
      new InMemoryHistoryStore(clock, {
        ...(options.historyRetention === undefined ? {} : { retention: options.historyRetention }),
      }),
    options.idempotencyStore ?? new InMemoryIdempotencyStore(),
    clock,
    {
      ...(options.idempotencyWindowMs === undefined
        ? {}
        : { idempotencyWindowMs: options.idempotencyWindowMs }),
    },
  );
  const fanoutOptions = { broadcastShards: 1, pageSize: 10_000, history, ...options.fanout };
  const node: ClusterNode | undefined =
    options.cluster === undefined || owner === undefined
      ? undefined
      : createClusterNode(options.cluster, {
          owner,
          store,
          registry,
          registryOptions,
          listener: presenceListener,
          sockets: gateway,
          clock,
          fanoutOptions,
          credentials: { accessKeys: options.managementAccessKeys, backendKey: options.backendKey },
          logger: log,
        });
  // A broadcast lists the sockets held here rather than the store's records.
  const fanout =
    node?.fanout ??
    new NotificationFanout(
      new ConnectionRegistry(
        new LocalConnectionView(store, gateway, { shared: false }),
        clock,
        registryOptions,
        presenceListener,
      ),
      gateway,
      clock,
      fanoutOptions,
    );
  const intakes = new WeakMap<ShardQueue, NotificationIntake>();
  // The socket is here, so every action keeps the stored connection alive (see ClientActionsOptions).
  const actions = new ClientActions(registry, publisher, {
    refreshLiveness: 'every-action',
    // The socket is here too, so a ping is answered even while the store is slow.
    answerPing: 'before-refresh',
    idleTimeoutMs,
    history,
    verifier: options.verifier,
    onIncident: ({ severity, connectionId, action, error }) => {
      if (severity !== 'info') log[severity]('action not handled', { error, connectionId, action });
    },
  });

  const endpoint = createWebSocketEndpoint({
    stage: options.stage ?? 'local',
    verifier: options.verifier,
    registry,
    actions,
    gateway,
    clock,
    idleTimeoutMs,
    maxConnectionAgeMs,
    rateLimitPerSecond: options.rateLimitPerSecond ?? 20,
    caps,
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
    storeBacklog: options.storeBacklog,
    metrics: recorder,
    logger: log,
  });
  const api = createHttpApi({
    backendKey: options.backendKey,
    fanout,
    tracker,
    gateway,
    managementApi: options.managementApi ?? 'loopback',
    managementAccessKeys: options.managementAccessKeys,
    clock,
    storeBacklog: options.storeBacklog,
    metrics,
    logger: log,
    ...(node === undefined ? {} : { internal: node.serve }),
  });
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const http: Server = createServer(
    {
      headersTimeout,
      requestTimeout: Math.max(headersTimeout, options.requestTimeoutMs ?? 30_000),
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 5000,
      // Node checks the two timeouts above on this interval (30 s by default),
      // so it is kept to a fraction of the shorter one for them to hold.
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(headersTimeout / 4))),
    },
    (request, response) => void api(request, response),
  );
  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) =>
    endpoint.upgrade(request, socket, head),
  );
  let sweeper: NodeJS.Timeout | undefined;
  let stopHeartbeat: (() => void) | undefined;

  const sweep = (): void => {
    endpoint.sweep();
    tracker.sweep().catch((error) => log.error('presence sweep failed', { error }));
  };

  const listen = () =>
    new Promise<{ host: string; port: number; url: string }>((resolve, reject) => {
      const host = options.host ?? '127.0.0.1';
      const port = options.port ?? 8080;
      const onError = (error: NodeJS.ErrnoException) => {
        reject(
          error.code === 'EADDRINUSE'
            ? new ConfigurationError(
                'port',
                `${host}:${port} is already in use; choose another port`,
                { cause: error },
              )
            : error,
        );
      };
      http.once('error', onError);
      http.listen(port, host, () => {
        http.off('error', onError);
        const address = http.address() as AddressInfo;
        const every = Math.min(
          5000,
          Math.max(20, Math.min(idleTimeoutMs, maxConnectionAgeMs) / 10),
        );
        sweeper = setInterval(sweep, every);
        sweeper.unref();
        const pingEvery = options.wsPingIntervalMs ?? 30_000;
        if (pingEvery > 0)
          stopHeartbeat = startWsHeartbeat(() => gateway.connections(), pingEvery, log);
        const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
        resolve({
          host: address.address,
          port: address.port,
          url: `http://${shown}:${address.port}`,
        });
      });
    });

  // A node beats before it listens: no peer may see one of its connections before its record.
  const start = async () => {
    await node?.start();
    return listen();
  };

  const stop = async (): Promise<void> => {
    if (sweeper !== undefined) clearInterval(sweeper);
    stopHeartbeat?.();
    const closed = new Promise<void>((resolve) => http.close(() => resolve()));
    await endpoint.close();
    await node?.stop();
    await Promise.all((options.outputs ?? []).map((output) => drainOutput(output)));
    http.closeAllConnections();
    await closed;
  };

  return {
    start,
    stop,
    notify: async (request: unknown) => {
      const parsed = parseNotificationRequest(request);
      if (!parsed.ok) {
        recorder.notification('rejected');
        throw parsed.error;
      }
      const started = clock.now();
      const report = await fanout.deliver(parsed.value);
      recordDelivery(recorder, report, clock.now() - started);
      return report;
    },
    consume: async ({ message, deadline, queue }) => {
      let intake = intakes.get(queue);
      if (intake === undefined) {
        intake = new NotificationIntake(fanout, queue, options.intake);
        intakes.set(queue, intake);
      }
      const started = clock.now();
      const outcome = await intake.accept(message, { deadline });
      // A split hands its shards on and a duplicate delivers nothing: neither has a report.
      if ('report' in outcome) recordDelivery(recorder, outcome.report, clock.now() - started);
      const { level, message: text, fields } = outcomeLog(message.request.id, outcome);
      log[level](text, fields);
      return outcome;
    },
    onEvent: (listener) => subscribers.subscribe(listener),
    presence: (userIds) => tracker.query(userIds),
    gateway,
    get connectionCount() {
      return gateway.size;
    },
    get counters() {
      return {
        slowConsumersClosed: gateway.slowConsumersClosed,
        connectionsFailed: endpoint.connectionsFailed,
        upgradesRefused: caps.refusals,
      };
    },
  };
};

/** Nodes call each other's management API from other hosts, always with credentials. */
const requireClusterAccess = (options: HeraldServerOptions): void => {
  const { cluster } = options;
  if (cluster === undefined) return;
  if (options.managementApi !== 'any') {
    throw new ConfigurationError(
      'managementApi',
      "must be 'any' when the server runs as one of several nodes (advertiseUrl): the other nodes call its management API",
    );
  }
  const accepted = (options.managementAccessKeys ?? []).some(
    (key) => key.accessKeyId === cluster.accessKey.accessKeyId,
  );
  if (!accepted) {
    throw new ConfigurationError(
      'managementAccessKeys',
      'must include the key pair this node signs its calls to the other nodes with (the first one listed)',
    );
  }
};

export type { ClusterOptions } from './cluster/cluster-node.js';
export type { HeraldServer, HeraldServerCounters, HeraldServerOptions, QueuedNotification };
export { createHeraldServer };
