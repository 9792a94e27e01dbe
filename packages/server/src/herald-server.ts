import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  InMemoryConnectionStore,
  InMemoryEventPublisher,
  InMemoryPresenceStore,
} from '@herald/adapters-memory';
import { SystemClock } from '@herald/adapters-node';
import {
  type Clock,
  ConfigurationError,
  type ConnectionGateway,
  type ConnectionLifecycleListener,
  type ConnectionRecord,
  ConnectionRegistry,
  type ConnectionStore,
  type DeliveryReport,
  type EventPublisher,
  HeraldError,
  LIMITS,
  MAX_REQUEST_BYTES,
  NotificationFanout,
  type NotificationFanoutOptions,
  type OutboundEvent,
  PayloadTooLargeError,
  type PresenceStore,
  PresenceTracker,
  type Principal,
  parseClientFrame,
  parseNotificationBatch,
  parseNotificationRequest,
  type TokenVerifier,
  type UserPresence,
  ValidationError,
} from '@herald/domain';
import type { RawData, WebSocket } from 'ws';
import { bearerOf, keyMatches, readBody, sendJson } from './http-io.js';
import { MANAGEMENT_ROUTE, serveManagementApi } from './management-api.js';
import { CompositeEventPublisher } from './outputs/composite-event-publisher.js';
import { presentedTokenOf } from './token-carriers.js';
import { type LiveConnection, WsConnectionGateway } from './ws-connection-gateway.js';
import { createUpgrader, rejectUpgrade } from './ws-upgrade.js';

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
  /** Who may call the management API (`/@connections/{id}`). @default 'loopback' */
  readonly managementApi?: 'loopback' | 'any' | 'off';
  /** In-process, shards and small pages only add work. @default { broadcastShards: 1, pageSize: 10000 } */
  readonly fanout?: NotificationFanoutOptions;
  /** @default a Powertools Logger for service "herald" */
  readonly logger?: Logger;
}

interface HeraldServer {
  /** Starts listening; resolves with the address actually bound. */
  start(): Promise<{ readonly host: string; readonly port: number; readonly url: string }>;
  /** Stops accepting, closes every socket with 1001, waits for disconnects and outputs, then closes. */
  stop(): Promise<void>;
  /** Delivers one notification request, in any accepted format. */
  notify(request: unknown): Promise<DeliveryReport>;
  /** Calls `listener` for every client message and presence event; returns an unsubscribe function. */
  onEvent(listener: (event: OutboundEvent) => void): () => void;
  presence(userIds: readonly string[]): Promise<readonly UserPresence[]>;
  /** The sockets this server holds, as a ConnectionGateway (post, get, disconnect by connection id). */
  readonly gateway: ConnectionGateway;
  /** Sockets open now. */
  readonly connectionCount: number;
}

const MAX_PRESENCE_QUERY = 100;
const LIVE = Symbol('herald.connection');
type LiveSocket = WebSocket & { [LIVE]: LiveConnection };
const liveOf = (socket: WebSocket): LiveConnection => (socket as LiveSocket)[LIVE];

/** API Gateway-style connection ids: 16 characters of base64. */
const newConnectionId = (): string => randomBytes(11).toString('base64').slice(0, 15).concat('=');

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

const errorFrame = (error: HeraldError) => ({
  type: 'error',
  code: error.code,
  message: error.message,
  ...(error instanceof ValidationError ? { field: error.field } : {}),
});

/**
 * Creates Herald's embedded server: one Node.js process that holds the
 * WebSocket connections itself and serves, on the same port, the backends'
 * HTTP API and API Gateway's management API. Adapters are injected; by
 * default all state is in memory.
 */
const createHeraldServer = (options: HeraldServerOptions): HeraldServer => {
  const log = options.logger ?? new Logger({ serviceName: 'herald' });
  const clock = options.clock ?? new SystemClock();
  const stage = options.stage ?? 'local';
  const idleTimeoutMs = options.idleTimeoutMs ?? LIMITS.idleTimeoutMs;
  const maxConnectionAgeMs = options.maxConnectionAgeMs ?? LIMITS.maxConnectionAgeMs;
  const ratePerMs = (options.rateLimitPerSecond ?? 20) / 1000;
  const burst = Math.max(1, 2 * (options.rateLimitPerSecond ?? 20));
  const managementApi = options.managementApi ?? 'loopback';

  const subscribers = new InMemoryEventPublisher({ keep: 0 });
  const publisher = new CompositeEventPublisher([subscribers, ...(options.outputs ?? [])]);
  const tracker = new PresenceTracker(
    options.presenceStore ?? new InMemoryPresenceStore(),
    publisher,
    clock,
    {
      maxConnectionAgeMs,
    },
  );
  const presenceListener: ConnectionLifecycleListener = {
    connected: (record: ConnectionRecord) =>
      tracker.connected(record).catch((error) => log.error('presence not recorded', { error })),
    disconnected: (record: ConnectionRecord, at: number) =>
      tracker
        .disconnected(record, at)
        .catch((error) => log.error('presence not recorded', { error })),
  };
  const registry = new ConnectionRegistry(
    options.connectionStore ?? new InMemoryConnectionStore(clock),
    clock,
    { idleTimeoutMs, maxConnectionAgeMs },
    presenceListener,
  );
  const gateway = new WsConnectionGateway();
  const fanout = new NotificationFanout(registry, gateway, clock, {
    broadcastShards: 1,
    pageSize: 10_000,
    ...options.fanout,
  });

  const completeUpgrade = createUpgrader();
  const http: Server = createServer((request, response) => void handleHttp(request, response));
  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    upgrade(request, socket, head).catch((error) => {
      log.error('upgrade failed', { error });
      rejectUpgrade(socket, 500, 'Internal Server Error');
    });
  });
  let closing = false;
  let sweeper: NodeJS.Timeout | undefined;

  // ---- WebSocket endpoint -------------------------------------------------

  const upgrade = async (request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    if (closing) return rejectUpgrade(socket, 503, 'Service Unavailable');
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== '/' && url.pathname !== `/${stage}`)
      return rejectUpgrade(socket, 404, 'Not Found');
    const presented = presentedTokenOf(request, url);
    if (presented.token === undefined) return rejectUpgrade(socket, 401, 'Unauthorized');
    const verdict = await options.verifier.verify(presented.token);
    if (!verdict.ok) {
      log.info('connection refused', { reason: verdict.error.code, carrier: presented.carrier });
      return rejectUpgrade(socket, 403, 'Forbidden');
    }
    completeUpgrade(request, socket, head, presented.protocol, (ws) =>
      accept(ws, verdict.value, request),
    );
  };

  const accept = (socket: WebSocket, principal: Principal, request: IncomingMessage): void => {
    const now = clock.now();
    const live: LiveConnection = {
      connectionId: newConnectionId(),
      userId: principal.userId,
      socket,
      connectedAt: now,
      lastActiveAt: now,
      lastTouchedAt: now,
      tokens: burst,
      refilledAt: now,
      queue: Promise.resolve(),
      sourceIp: request.socket.remoteAddress,
      userAgent: request.headers['user-agent'],
    };
    gateway.add(live);
    live.queue = registry.connect(live.connectionId, principal).then(
      () => undefined,
      (error) => {
        log.error('connection not registered', { error, connectionId: live.connectionId });
        socket.close(1011, 'Internal error');
      },
    );
    (socket as LiveSocket)[LIVE] = live;
    socket.on('message', onSocketMessage);
    socket.on('close', onSocketClose);
    socket.on('error', onSocketError);
  };

  // One set of handlers for every socket, finding the connection on the socket
  // itself: three closures per connection would cost more memory than most of
  // Herald's per-connection state.
  function onSocketMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
    onFrame(liveOf(this), data, isBinary);
  }
  function onSocketClose(this: WebSocket): void {
    onClose(liveOf(this));
  }
  function onSocketError(this: WebSocket, error: Error): void {
    log.warn('socket error', { error, connectionId: liveOf(this).connectionId });
  }

  const send = (live: LiveConnection, body: unknown) => live.socket.send(JSON.stringify(body));

  const takeToken = (live: LiveConnection, now: number): boolean => {
    live.tokens = Math.min(burst, live.tokens + (now - live.refilledAt) * ratePerMs);
    live.refilledAt = now;
    if (live.tokens < 1) return false;
    live.tokens -= 1;
    return true;
  };

  const onFrame = (live: LiveConnection, data: RawData, isBinary: boolean): void => {
    const now = clock.now();
    live.lastActiveAt = now;
    if (!takeToken(live, now)) {
      send(live, { type: 'error', code: 'rate_limited', message: 'too many actions; slow down' });
      return;
    }
    const raw = isBinary || !Buffer.isBuffer(data) ? Buffer.from(data as Buffer) : data;
    live.queue = live.queue
      .then(() => handleFrame(live, raw, now))
      .catch((error) => {
        if (error instanceof HeraldError) return send(live, errorFrame(error));
        log.error('frame failed', { error, connectionId: live.connectionId });
        send(live, {
          type: 'error',
          code: 'internal_error',
          message: 'the action failed; try again',
        });
      });
  };

  const handleFrame = async (live: LiveConnection, raw: Buffer, now: number): Promise<void> => {
    const parsed = parseClientFrame(raw);
    if (!parsed.ok) return send(live, errorFrame(parsed.error));
    const frame = parsed.value;
    const { connectionId, userId } = live;
    switch (frame.action) {
      case 'ping':
        live.lastTouchedAt = now;
        await registry.touch(connectionId);
        return send(live, { type: 'pong', connectionId });
      case 'send':
      case 'publish':
        await keepAlive(live, now);
        try {
          await publisher.publish([
            {
              kind: 'client_message',
              route: frame.action,
              message: frame.message,
              userId,
              connectionId,
              timestamp: now,
            },
          ]);
        } catch (error) {
          log.error('client message not forwarded', { error, connectionId, userId });
          send(live, {
            type: 'error',
            code: 'output_unavailable',
            message: 'the message could not be forwarded',
          });
        }
        return;
      case 'subscribe':
        await keepAlive(live, now);
        await registry.subscribe(connectionId, frame.channel);
        return send(live, { type: 'subscribed', channel: frame.channel });
      case 'unsubscribe':
        await keepAlive(live, now);
        await registry.unsubscribe(connectionId, frame.channel);
        return send(live, { type: 'unsubscribed', channel: frame.channel });
    }
  };

  /** Refreshes the stored connection at most four times per idle timeout, not on every frame. */
  const keepAlive = async (live: LiveConnection, now: number): Promise<void> => {
    if (now - live.lastTouchedAt < idleTimeoutMs / 4) return;
    live.lastTouchedAt = now;
    await registry.touch(live.connectionId);
  };

  /** Runs after the frames already queued, so `stop()` can wait for it through `live.queue`. */
  const onClose = (live: LiveConnection): void => {
    gateway.remove(live.connectionId);
    live.queue = live.queue
      .then(() => registry.disconnect(live.connectionId))
      .then(
        () => undefined,
        (error) => log.error('disconnect not recorded', { error, connectionId: live.connectionId }),
      );
  };

  const sweep = (): void => {
    const now = clock.now();
    for (const live of gateway.connections()) {
      if (now - live.connectedAt >= maxConnectionAgeMs) {
        live.socket.close(1001, 'Going away: maximum connection age');
      } else if (now - live.lastActiveAt >= idleTimeoutMs) {
        live.socket.close(1001, 'Going away: idle timeout');
      }
    }
    tracker.sweep().catch((error) => log.error('presence sweep failed', { error }));
  };

  // ---- HTTP ---------------------------------------------------------------

  const handleHttp = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const management = MANAGEMENT_ROUTE.exec(url.pathname);
      if (management !== null)
        return await managementRoute(request, response, decodeURIComponent(management[1] ?? ''));
      const route = `${request.method} ${url.pathname}`;
      if (route === 'GET /healthz')
        return sendJson(response, 200, { status: 'ok', connections: gateway.size });
      if (route === 'POST /notifications') return await notificationsRoute(request, response);
      if (route === 'GET /presence') return await presenceRoute(request, response, url);
      return sendJson(response, 404, { message: 'Not Found' });
    } catch (error) {
      if (error instanceof PayloadTooLargeError)
        return sendJson(response, 413, { code: error.code, message: error.message });
      log.error('request failed', { error, method: request.method });
      if (!response.headersSent) sendJson(response, 500, { message: 'Internal Server Error' });
    }
  };

  const backendAllowed = (request: IncomingMessage, response: ServerResponse): boolean => {
    if (options.backendKey !== undefined && keyMatches(bearerOf(request), options.backendKey))
      return true;
    sendJson(
      response,
      401,
      {
        code: 'unauthorized',
        message: 'a valid backend key is required (Authorization: Bearer KEY)',
      },
      {
        'www-authenticate': 'Bearer',
      },
    );
    return false;
  };

  const describeError = (error: HeraldError) => ({
    code: error.code,
    message: error.message,
    ...(error instanceof ValidationError ? { field: error.field } : {}),
  });

  const deliverOne = async (request: unknown) => {
    const parsed = parseNotificationRequest(request);
    if (!parsed.ok) return { status: 400, body: { error: describeError(parsed.error) } };
    try {
      return { status: 200, body: await fanout.deliver(parsed.value) };
    } catch (error) {
      if (error instanceof PayloadTooLargeError)
        return { status: 413, body: { error: describeError(error) } };
      if (error instanceof ValidationError)
        return { status: 400, body: { error: describeError(error) } };
      throw error;
    }
  };

  const notificationsRoute = async (
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> => {
    if (!backendAllowed(request, response)) return;
    const body = await readBody(request, MAX_REQUEST_BYTES);
    let input: unknown;
    try {
      input = JSON.parse(body.toString('utf8'));
    } catch {
      return sendJson(response, 400, {
        error: { code: 'bad_request', field: '$', message: '$: is not valid JSON' },
      });
    }
    if (!Array.isArray(input)) {
      const { status, body: result } = await deliverOne(input);
      return sendJson(response, status, result);
    }
    const results = [];
    for (const [index, entry] of parseNotificationBatch(input).entries()) {
      if (!entry.ok) {
        results.push({ error: describeError(entry.error) });
        continue;
      }
      const { status, body: result } = await deliverOne(input[index]);
      results.push(status === 200 ? { report: result } : result);
    }
    sendJson(response, 200, { results });
  };

  const presenceRoute = async (
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
  ): Promise<void> => {
    if (!backendAllowed(request, response)) return;
    const userIds = (url.searchParams.get('userIds') ?? '')
      .split(',')
      .filter((id) => id.length > 0);
    if (userIds.length === 0 || userIds.length > MAX_PRESENCE_QUERY) {
      return sendJson(response, 400, {
        error: {
          code: 'bad_request',
          field: 'userIds',
          message: `userIds: give 1 to ${MAX_PRESENCE_QUERY} comma-separated ids`,
        },
      });
    }
    const users = await tracker.query(userIds);
    sendJson(response, 200, {
      users: users.map((u) => ({ ...u, lastSeenAt: u.lastSeenAt ?? null })),
    });
  };

  const managementRoute = (
    request: IncomingMessage,
    response: ServerResponse,
    connectionId: string,
  ) => serveManagementApi(request, response, connectionId, { gateway, access: managementApi });

  // ---- lifecycle ----------------------------------------------------------

  const start = () =>
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
        const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
        resolve({
          host: address.address,
          port: address.port,
          url: `http://${shown}:${address.port}`,
        });
      });
    });

  const stop = async (): Promise<void> => {
    closing = true;
    if (sweeper !== undefined) clearInterval(sweeper);
    const closed = new Promise<void>((resolve) => http.close(() => resolve()));
    const open = [...gateway.connections()];
    const gone = open.map(
      (live) =>
        new Promise<void>((resolve) => {
          live.socket.once('close', () => resolve());
          live.socket.close(1001, 'Going away: server shutting down');
        }),
    );
    const drained = Promise.all(gone);
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 3000).unref());
    await Promise.race([drained, timeout]);
    for (const live of gateway.connections()) live.socket.terminate();
    await Promise.all(open.map((live) => live.queue));
    await Promise.all((options.outputs ?? []).map((output) => drainOutput(output)));
    http.closeAllConnections();
    await closed;
  };

  return {
    start,
    stop,
    notify: async (request: unknown) => {
      const parsed = parseNotificationRequest(request);
      if (!parsed.ok) throw parsed.error;
      return fanout.deliver(parsed.value);
    },
    onEvent: (listener) => subscribers.subscribe(listener),
    presence: (userIds) => tracker.query(userIds),
    gateway,
    get connectionCount() {
      return gateway.size;
    },
  };
};

export type { HeraldServer, HeraldServerOptions };
export { createHeraldServer };
