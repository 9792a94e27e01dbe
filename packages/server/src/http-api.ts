import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@aws-lambda-powertools/logger';
import {
  type Clock,
  type HeraldError,
  MAX_REQUEST_BYTES,
  MethodNotAllowedError,
  NotFoundError,
  type NotificationFanout,
  type NotificationRequest,
  PayloadTooLargeError,
  type PresenceTracker,
  parseInboundNotification,
  recordDelivery,
  StoreUnavailableError,
  UnauthorizedError,
  ValidationError,
  wireError,
} from '@herald/domain';
import { bearerOf, keyMatches, readBody, sendJson } from './http-io.js';
import { MANAGEMENT_ROUTE, serveManagementApi } from './management-api.js';
import type { PrometheusMetrics } from './metrics.js';
import type { SigV4AccessKey } from './sigv4-verifier.js';
import type { StoreBacklog } from './store-backlog.js';
import type { WsConnectionGateway } from './ws-connection-gateway.js';

interface HttpApiOptions {
  /** Key backends present as `Authorization: Bearer`; without it the backend routes answer 401. */
  readonly backendKey: string | undefined;
  readonly fanout: NotificationFanout;
  readonly tracker: PresenceTracker;
  readonly gateway: WsConnectionGateway;
  /** Who may call the management API (`/@connections/{id}`). */
  readonly managementApi: 'loopback' | 'any' | 'off';
  /** Key pairs that may sign management API calls (SigV4) when it answers `any` caller. */
  readonly managementAccessKeys: readonly SigV4AccessKey[] | undefined;
  readonly clock: Clock;
  /** While it sheds, backend requests are answered 503 with `Retry-After`; it also sets that header's value. */
  readonly storeBacklog?: StoreBacklog | undefined;
  /** Recorded as requests are delivered, and served on `GET /metrics` (backend key required). */
  readonly metrics: PrometheusMetrics;
  readonly logger: Logger;
  /** Routes between the nodes of a cluster; it answers false for a path it does not serve. */
  readonly internal?: (
    request: IncomingMessage,
    response: ServerResponse,
    pathname: string,
  ) => Promise<boolean>;
}

const MAX_PRESENCE_QUERY = 100;

/** The HTTP status of an error the API answers; anything not listed is a 500. */
const statusOf = (error: unknown): number => {
  if (error instanceof ValidationError) return 400;
  if (error instanceof UnauthorizedError) return 401;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof MethodNotAllowedError) return 405;
  if (error instanceof PayloadTooLargeError) return 413;
  if (error instanceof StoreUnavailableError) return 503;
  return 500;
};

/** The routes of the HTTP API and the one method each answers; another method gets 405. */
const ROUTE_METHODS: Readonly<Record<string, readonly string[]>> = {
  '/healthz': ['GET'],
  '/metrics': ['GET'],
  '/notifications': ['POST'],
  '/presence': ['GET'],
};

/** Headers an error's answer carries besides its body; `retryAfterSeconds` for a temporary 503. */
const headersOf = (error: unknown, retryAfterSeconds: number): Record<string, string> => {
  if (error instanceof UnauthorizedError) return { 'www-authenticate': 'Bearer' };
  if (error instanceof MethodNotAllowedError) return { allow: error.allow.join(', ') };
  if (error instanceof StoreUnavailableError) return { 'retry-after': String(retryAfterSeconds) };
  return {};
};

/** Every error the HTTP API answers has the catalogue's body: `{"error":{code,message,temporary,field?}}`. */
const sendError = (
  response: ServerResponse,
  error: unknown,
  headers: Record<string, string> = {},
): void => sendJson(response, statusOf(error), { error: wireError(error) }, headers);

/**
 * The embedded server's HTTP API, for backends: `POST /notifications`,
 * `GET /presence`, `GET /healthz`; and API Gateway's management API
 * (`/@connections/{id}`, with API Gateway's own error shapes) over the
 * sockets the WebSocket endpoint holds.
 */
const createHttpApi = (options: HttpApiOptions) => {
  const { fanout, tracker, gateway, clock, logger: log, storeBacklog } = options;
  const recorder = options.metrics.recorder;
  const retryAfterSeconds = storeBacklog?.retryAfterSeconds ?? 1;

  /** Refuses a backend request at once while the store's backlog is over its bound. */
  const shed = (): void => {
    if (storeBacklog?.shedding !== true) return;
    storeBacklog.refused();
    throw StoreUnavailableError.backlogged();
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const management = MANAGEMENT_ROUTE.exec(url.pathname);
      if (management !== null)
        return await serveManagementApi(request, response, management[1] ?? '', {
          gateway,
          access: options.managementApi,
          credentials: { accessKeys: options.managementAccessKeys, backendKey: options.backendKey },
          clock: options.clock,
        });
      if (
        options.internal !== undefined &&
        (await options.internal(request, response, url.pathname))
      )
        return;
      const method = request.method ?? 'GET';
      const route = `${method} ${url.pathname}`;
      if (route === 'GET /healthz')
        return sendJson(response, 200, { status: 'ok', connections: gateway.size });
      if (route === 'GET /metrics') return await metricsRoute(request, response);
      if (route === 'POST /notifications') return await notificationsRoute(request, response);
      if (route === 'GET /presence') return await presenceRoute(request, response, url);
      const allowed = ROUTE_METHODS[url.pathname];
      if (allowed !== undefined) {
        request.resume();
        throw new MethodNotAllowedError(method, url.pathname, allowed);
      }
      return sendError(response, new NotFoundError(route));
    } catch (error) {
      if (statusOf(error) === 500) log.error('request failed', { error, method: request.method });
      if (response.headersSent) return;
      if (error instanceof StoreUnavailableError) request.resume();
      sendError(response, error, headersOf(error, retryAfterSeconds));
    }
  };

  const requireBackend = (request: IncomingMessage): void => {
    if (options.backendKey !== undefined && keyMatches(bearerOf(request), options.backendKey))
      return;
    throw new UnauthorizedError();
  };

  /**
   * Delivers one parsed request; a request the fanout refuses (payload too
   * large) comes back as its error. In a batch, so does one the store could not
   * serve (`store_unavailable`), so that the entries delivered before it are
   * answered as delivered; a single request answers it with 503.
   */
  const deliver = async (request: NotificationRequest, inBatch = false) => {
    try {
      // The report without `carry`: the connection ids a continuation would
      // take are Herald's own bookkeeping, not part of the HTTP answer.
      const started = clock.now();
      const delivered = await fanout.deliver(request);
      recordDelivery(recorder, delivered, clock.now() - started);
      const { carry: _carry, ...report } = delivered;
      return { ok: true as const, report };
    } catch (error) {
      if (
        error instanceof PayloadTooLargeError ||
        error instanceof ValidationError ||
        (inBatch && error instanceof StoreUnavailableError)
      ) {
        recorder.notification(error instanceof StoreUnavailableError ? 'failed' : 'rejected');
        return { ok: false as const, error: error as HeraldError };
      }
      throw error;
    }
  };

  const notificationsRoute = async (
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> => {
    requireBackend(request);
    shed();
    const parsed = parseInboundNotification(await readBody(request, MAX_REQUEST_BYTES), {
      batch: true,
    });
    if (!parsed.ok) {
      recorder.notification('rejected');
      return sendError(response, parsed.error);
    }
    if (parsed.value.kind !== 'batch') {
      const delivered = await deliver(parsed.value.request);
      return delivered.ok
        ? sendJson(response, 200, delivered.report)
        : sendError(response, delivered.error);
    }
    const results = [];
    for (const entry of parsed.value.entries) {
      if (!entry.ok) {
        recorder.notification('rejected');
        results.push({ error: wireError(entry.error) });
        continue;
      }
      const delivered = await deliver(entry.value, true);
      results.push(
        delivered.ok ? { report: delivered.report } : { error: wireError(delivered.error) },
      );
    }
    sendJson(response, 200, { results });
  };

  /**
   * Prometheus's text exposition. It tells how loaded the server is and who
   * is refused, so it takes the backend key, as the backend routes do
   * (Prometheus sends it with `authorization: { credentials: … }`).
   */
  const metricsRoute = async (request: IncomingMessage, response: ServerResponse) => {
    requireBackend(request);
    const { contentType, body } = await options.metrics.exposition();
    response.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
    response.end(body);
  };

  const presenceRoute = async (
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
  ): Promise<void> => {
    requireBackend(request);
    shed();
    const userIds = (url.searchParams.get('userIds') ?? '')
      .split(',')
      .filter((id) => id.length > 0);
    if (userIds.length === 0 || userIds.length > MAX_PRESENCE_QUERY) {
      return sendError(
        response,
        new ValidationError('userIds', `give 1 to ${MAX_PRESENCE_QUERY} comma-separated ids`),
      );
    }
    const users = await tracker.query(userIds);
    sendJson(response, 200, {
      users: users.map((u) => ({ ...u, lastSeenAt: u.lastSeenAt ?? null })),
    });
  };

  return handle;
};

export type { HttpApiOptions };
export { createHttpApi };
