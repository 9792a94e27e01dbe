import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '@aws-lambda-powertools/logger';
import {
  type ClientActions,
  type ClientProtocol,
  type Clock,
  type ConnectionRegistry,
  errorFrame,
  type MetricsRecorder,
  NO_METRICS,
  type Principal,
  parseClientFrame,
  RateLimitedError,
  StoreUnavailableError,
  type TokenVerifier,
} from '@herald/domain';
import type { RawData, WebSocket } from 'ws';
import type { CapExceeded, ConnectionCaps } from './connection-caps.js';
import type { StoreBacklog } from './store-backlog.js';
import { presentedTokenOf, requestedProtocolOf } from './token-carriers.js';
import { LiveConnection, SETTLED, type WsConnectionGateway } from './ws-connection-gateway.js';
import { createUpgrader, logSocketError, rejectUpgrade } from './ws-upgrade.js';

interface WebSocketEndpointOptions {
  /** Clients may connect to `/` or `/{stage}`. */
  readonly stage: string;
  readonly verifier: TokenVerifier;
  readonly registry: ConnectionRegistry;
  /** What a frame means: the endpoint only carries frames to it and its replies back. */
  readonly actions: ClientActions;
  /** Holds the sockets, for the fanout and the management API. */
  readonly gateway: WsConnectionGateway;
  readonly clock: Clock;
  readonly idleTimeoutMs: number;
  readonly maxConnectionAgeMs: number;
  /** Client actions per connection per second; bursts of twice that. */
  readonly rateLimitPerSecond: number;
  /** Connections per user, per source address and in total; checked before the handshake completes. */
  readonly caps: ConnectionCaps;
  /** An upgrade not admitted or refused within this time is answered 408 and closed. */
  readonly handshakeTimeoutMs: number;
  /** While it sheds, new upgrades are refused with 503 and `Retry-After`. */
  readonly storeBacklog?: StoreBacklog | undefined;
  /** Told of connections, refused upgrades and frames in. @default NO_METRICS */
  readonly metrics?: MetricsRecorder;
  readonly logger: Logger;
}

interface WebSocketEndpoint {
  /** Answers an HTTP upgrade: refused (404, 401, 403, 503) or a connection accepted. */
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes the sockets over their maximum age or idle for the idle timeout, with 1001. */
  sweep(): void;
  /** Refuses new upgrades, closes every socket with 1001, and resolves once each one's frames and disconnect are handled. */
  close(): Promise<void>;
  /** Connections closed with 1011 because their own work failed unexpectedly. */
  readonly connectionsFailed: number;
}

/** How an upgrade past a cap is answered: API Gateway's statuses, with the reason in the body. */
const CAP_REFUSALS: Record<CapExceeded, { status: number; text: string; message: string }> = {
  user: {
    status: 429,
    text: 'Too Many Requests',
    message: 'too many connections for this user',
  },
  address: {
    status: 429,
    text: 'Too Many Requests',
    message: 'too many connections from this address',
  },
  total: {
    status: 503,
    text: 'Service Unavailable',
    message: 'this server holds as many connections as it can; try again later',
  },
};

/** The rate limit is answered at most once per this window per connection; other frames over it are dropped. */
const RATE_LIMITED_REPLY_EVERY_MS = 1000;

/**
 * A cap's refusals are logged (WARN) at most once per this window per cap,
 * the next line saying how many were left out: a client that retries in a
 * loop cannot flood the log, and `upgradesRefused` still counts every one.
 */
const CAP_WARNING_EVERY_MS = 60_000;

const LIVE = Symbol('herald.connection');
type LiveSocket = WebSocket & { [LIVE]: LiveConnection };
const liveOf = (socket: WebSocket): LiveConnection => (socket as LiveSocket)[LIVE];
/**
 * The connection caps a raw socket holds (its address's slot, then its
 * user's), given back when it closes. Kept on the socket itself rather than in
 * an object of their own: that object was paid per connection.
 */
const CAPPED_ADDRESS = Symbol('herald.cappedAddress');
const CAPPED_USER = Symbol('herald.cappedUser');
type CappedSocket = Duplex & {
  [CAPPED_ADDRESS]?: string | undefined;
  [CAPPED_USER]?: string | undefined;
};
/** Shared by every upgrading socket: an error destroys it. */
function destroyOnError(this: Duplex): void {
  this.destroy();
}

/**
 * API Gateway-style connection ids: 16 characters of base64, the last one
 * `=` (11 random bytes encode to exactly that). Left as `toString` made it:
 * one flat string, which every Map keyed by connection id hashes and compares
 * directly (a sliced or concatenated string costs memory and indirections).
 */
const newConnectionId = (): string => randomBytes(11).toString('base64');

/**
 * The embedded server's WebSocket endpoint, a transport: it admits upgrades
 * (token verified before the handshake completes), holds the sockets, applies
 * the per-connection rate limit, closes idle and old sockets, and hands every
 * frame, in order, to ClientActions, sending back its reply. It does not
 * decide what a frame means.
 */
/**
 * Close code for a connection whose token expired without an in-band
 * `refresh`: the client reconnects with a fresh token.
 */
const TOKEN_EXPIRED_CLOSE = {
  code: 4001,
  reason: 'Token expired: refresh it, or reconnect',
} as const;

const createWebSocketEndpoint = (options: WebSocketEndpointOptions): WebSocketEndpoint => {
  const { stage, verifier, registry, actions, gateway, clock, logger: log } = options;
  const { idleTimeoutMs, maxConnectionAgeMs } = options;
  const burst = Math.max(1, 2 * options.rateLimitPerSecond);
  const msPerAction = 1000 / options.rateLimitPerSecond;
  /** How far ahead a connection may owe time: a full bucket's tokens but the one being taken. */
  const burstAllowanceMs = burst > 1 ? (burst - 1) * msPerAction : 0;
  const { caps, handshakeTimeoutMs } = options;
  const metrics = options.metrics ?? NO_METRICS;
  const completeUpgrade = createUpgrader(onSocketError);
  let closing = false;
  let failures = 0;

  /** Per cap: when its refusal was last logged, and how many came after it. */
  const capWarnings = new Map<CapExceeded, { loggedAt: number; unlogged: number }>();
  const warnCapRefusal = (cap: CapExceeded): void => {
    const now = clock.now();
    const last = capWarnings.get(cap);
    if (last !== undefined && now - last.loggedAt < CAP_WARNING_EVERY_MS) {
      last.unlogged += 1;
      return;
    }
    log.warn('connection refused', {
      reason: `cap_${cap}`,
      ...(last === undefined || last.unlogged === 0 ? {} : { refusedSinceLastLine: last.unlogged }),
    });
    capWarnings.set(cap, { loggedAt: now, unlogged: 0 });
  };

  const refuseCap = (socket: Duplex, cap: CapExceeded): void => {
    const refusal = CAP_REFUSALS[cap];
    warnCapRefusal(cap);
    metrics.upgradeRefused(`cap_${cap}`);
    rejectUpgrade(socket, refusal.status, refusal.text, refusal.message);
  };

  const refuse = (socket: Duplex, reason: string, status: number, text: string): void => {
    metrics.upgradeRefused(reason);
    rejectUpgrade(socket, status, text);
  };
  // The caps' slots a raw socket holds are given back when it closes, by one
  // handler shared by every socket, reading them off the socket: a closure
  // per socket written inside `admit` would share admit's scope and keep the
  // upgrade request (its URL, its headers, the token) alive as long as the
  // connection lasts.
  const holdAddress = (socket: Duplex, address: string): void => {
    (socket as CappedSocket)[CAPPED_ADDRESS] = address;
    // `on`, not `once`: a socket closes once, and `once` wraps each listener.
    socket.on('close', releaseCaps);
  };
  const holdUser = (socket: Duplex, userId: string): void => {
    const capped = socket as CappedSocket;
    if (capped[CAPPED_ADDRESS] !== undefined) capped[CAPPED_USER] = userId;
  };
  function releaseCaps(this: Duplex): void {
    const capped = this as CappedSocket;
    const address = capped[CAPPED_ADDRESS];
    if (address === undefined) return;
    const userId = capped[CAPPED_USER];
    capped[CAPPED_ADDRESS] = undefined;
    capped[CAPPED_USER] = undefined;
    caps.releaseAddress(address);
    if (userId !== undefined) caps.releaseUser(userId);
  }

  /**
   * Admits an upgrade (the caps, the path, the token) or refuses it. The caps'
   * slots are taken here and given back when the raw socket closes, whatever
   * closed it: a refusal, a failed handshake, or the WebSocket's end.
   */
  const admit = async (request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    if (closing) return refuse(socket, 'shutting_down', 503, 'Service Unavailable');
    const backlog = options.storeBacklog;
    if (backlog?.shedding) {
      backlog.refused();
      metrics.upgradeRefused('store_backlog');
      return rejectUpgrade(
        socket,
        503,
        'Service Unavailable',
        'the store is behind; try again later',
        { 'Retry-After': String(backlog.retryAfterSeconds) },
      );
    }
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== '/' && url.pathname !== `/${stage}`)
      return refuse(socket, 'not_found', 404, 'Not Found');
    const address = request.socket.remoteAddress ?? 'unknown';
    const overAddress = caps.admitAddress(address);
    if (overAddress !== undefined) return refuseCap(socket, overAddress);
    holdAddress(socket, address);
    const presented = presentedTokenOf(request, url);
    if (presented.token === undefined) return refuse(socket, 'token_missing', 401, 'Unauthorized');
    const verdict = await verifier.verify(presented.token);
    if (!verdict.ok) {
      log.info('connection refused', { reason: verdict.error.code, carrier: presented.carrier });
      return refuse(socket, verdict.error.code, 403, 'Forbidden');
    }
    if (socket.destroyed) return;
    const { userId } = verdict.value;
    const overUser = caps.admitUser(userId);
    if (overUser !== undefined) return refuseCap(socket, overUser);
    holdUser(socket, userId);
    const protocol = requestedProtocolOf(request, url);
    completeUpgrade(request, socket, head, presented.protocol, (ws) => {
      // ws now answers the socket's errors (it destroys it): this listener
      // would only keep a second entry in the socket's 'error' list for the
      // connection's life, about 100 bytes of every idle connection.
      socket.off('error', destroyOnError);
      accept(ws, verdict.value, request, protocol);
    });
  };

  const accept = (
    socket: WebSocket,
    principal: Principal,
    request: IncomingMessage,
    protocol: ClientProtocol | undefined,
  ): void => {
    const now = clock.now();
    const connectionId = newConnectionId();
    const exp = principal.claims.exp;
    const live = new LiveConnection({
      connectionId,
      userId: principal.userId,
      socket,
      connectedAt: now,
      protocol,
      sourceIp: request.socket.remoteAddress,
      userAgent: request.headers['user-agent'],
      authorizedUntil: typeof exp === 'number' ? exp * 1000 : undefined,
      deliver: deliverFrame,
    });
    gateway.add(live);
    metrics.connectionOpened();
    const registered: Promise<void> = registry.connect(live.connectionId, principal, protocol).then(
      () => {
        // Nothing queued behind it: the idle connection shares the settled promise.
        if (live.queue === registered) live.queue = SETTLED;
      },
      (error) => {
        if (error instanceof StoreUnavailableError) {
          // The client is told, and may reconnect later (1013: try again later).
          log.warn('connection not registered: the store is unavailable', {
            connectionId: live.connectionId,
          });
          reply(live, errorFrame(error));
          socket.close(1013, 'Try again later');
          return;
        }
        log.error('connection not registered', { error, connectionId: live.connectionId });
        socket.close(1011, 'Internal error');
      },
    );
    live.queue = registered;
    (socket as LiveSocket)[LIVE] = live;
    socket.on('message', onSocketMessage);
    socket.on('close', onSocketClose);
  };

  /**
   * A connection's own work failed in a way the protocol service did not
   * answer (a bug, or a reply that could not be sent): it is logged and that
   * connection alone is closed with 1011; the server keeps serving the rest.
   */
  const fail = (live: LiveConnection, error: unknown): void => {
    failures += 1;
    log.error('connection failed; closing it with 1011', {
      error,
      connectionId: live.connectionId,
    });
    try {
      live.socket.close(1011, 'Internal error');
    } catch {
      live.socket.terminate();
    }
  };

  /** A resume's replayed frames, through the gateway: one function shared by every connection, called as its method. */
  async function deliverFrame(this: LiveConnection, frame: Uint8Array): Promise<unknown> {
    return gateway.post(this.connectionId, frame);
  }

  // One set of handlers for every socket, finding the connection on the socket
  // itself: three closures per connection would cost more memory than most of
  // Herald's per-connection state.
  function onSocketMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
    const live = liveOf(this);
    try {
      onFrame(live, data, isBinary);
    } catch (error) {
      fail(live, error);
    }
  }
  function onSocketClose(this: WebSocket): void {
    onClose(liveOf(this));
  }
  function onSocketError(this: WebSocket, error: Error): void {
    logSocketError(log, liveOf(this).connectionId, error);
  }

  /** Every reply and error frame goes out through the gateway's one bounded write path. */
  const reply = (live: LiveConnection, body: unknown): void => {
    gateway.write(live, JSON.stringify(body));
  };

  /**
   * A bucket of `burst` tokens refilled at the rate, in one number: an action
   * is allowed while the time its predecessors still owe is within what a
   * full bucket covers, and adds one action's worth of time.
   */
  const takeToken = (live: LiveConnection, now: number): boolean => {
    const owedFrom = Math.max(live.rateBusyUntil, now);
    if (owedFrom - now > burstAllowanceMs) return false;
    live.rateBusyUntil = owedFrom + msPerAction;
    return true;
  };

  /** Frames are handled one at a time, in order; each is stamped with its arrival time. */
  const onFrame = (live: LiveConnection, data: RawData, isBinary: boolean): void => {
    const now = clock.now();
    live.lastActiveAt = now;
    metrics.frameIn();
    if (!takeToken(live, now)) {
      const last = live.rateLimitedAt;
      if (last === undefined || now - last >= RATE_LIMITED_REPLY_EVERY_MS) {
        live.rateLimitedAt = now;
        reply(live, errorFrame(new RateLimitedError()));
      }
      return;
    }
    const raw = isBinary || !Buffer.isBuffer(data) ? Buffer.from(data as Buffer) : data;
    live.queue = live.queue
      .then(() => actions.handle(live, parseClientFrame(raw), now))
      .then((answer) => {
        if (answer !== undefined) reply(live, answer);
      })
      .catch((error: unknown) => fail(live, error));
  };

  /** Runs after the frames already queued, so `close()` can wait for it through `live.queue`. */
  const onClose = (live: LiveConnection): void => {
    gateway.remove(live.connectionId);
    metrics.connectionClosed();
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
      } else if (live.authorizedUntil !== undefined && now >= live.authorizedUntil) {
        live.socket.close(TOKEN_EXPIRED_CLOSE.code, TOKEN_EXPIRED_CLOSE.reason);
      }
    }
  };

  const close = async (): Promise<void> => {
    closing = true;
    const open = [...gateway.connections()];
    const gone = open.map(
      (live) =>
        new Promise<void>((resolve) => {
          live.socket.once('close', () => resolve());
          live.socket.close(1001, 'Going away: server shutting down');
        }),
    );
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 3000).unref());
    await Promise.race([Promise.all(gone), timeout]);
    for (const live of gateway.connections()) live.socket.terminate();
    await Promise.all(open.map((live) => live.queue));
  };

  return {
    upgrade: (request, socket, head) => {
      socket.on('error', destroyOnError);
      // An upgrade still being admitted (a slow key fetch) when this passes is
      // answered 408 and closed; ws bounds the handshake once it is admitted.
      const timer = setTimeout(() => {
        metrics.upgradeRefused('handshake_timeout');
        rejectUpgrade(socket, 408, 'Request Timeout', 'the WebSocket handshake took too long');
        setTimeout(() => socket.destroy(), 1000).unref();
      }, handshakeTimeoutMs);
      timer.unref();
      admit(request, socket, head)
        .catch((error) => {
          log.error('upgrade failed', { error });
          refuse(socket, 'error', 500, 'Internal Server Error');
        })
        .finally(() => clearTimeout(timer));
    },
    sweep,
    close,
    get connectionsFailed() {
      return failures;
    },
  };
};

export type { WebSocketEndpoint, WebSocketEndpointOptions };
export { createWebSocketEndpoint };
