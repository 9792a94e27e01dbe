import type { IncomingMessage, ServerResponse } from 'node:http';
import { SystemClock } from '@herald/adapters-node';
import { type Clock, LIMITS, PayloadTooLargeError } from '@herald/domain';
import { bearerOf, isLoopback, keyMatches, readBody, sendJson } from './http-io.js';
import { type SigV4AccessKey, SigV4Verifier } from './sigv4-verifier.js';
import type { WsConnectionGateway } from './ws-connection-gateway.js';

/** `/@connections/{id}`, also behind a stage prefix (`/{stage}/@connections/{id}`); the id still percent-encoded. */
const MANAGEMENT_ROUTE = /^(?:\/[^/]+)?\/@connections\/([^/]+)$/;

/** What a caller may present when the management API answers `any` caller. */
interface ManagementCredentials {
  /** Key pairs a caller may sign with (SigV4, service `execute-api`, any region). */
  readonly accessKeys?: readonly SigV4AccessKey[] | undefined;
  /** The backend key, presented as `Authorization: Bearer KEY`. */
  readonly backendKey?: string | undefined;
}

interface ManagementApiOptions {
  readonly gateway: WsConnectionGateway;
  /**
   * Who may call it: `loopback` callers with no credential, `any` caller that
   * presents one of `credentials` (loopback callers too), or nobody (`off`).
   */
  readonly access: 'loopback' | 'any' | 'off';
  /** Required by `any`; without any, every call is refused. */
  readonly credentials?: ManagementCredentials;
  /** Checks the SigV4 date against it. @default SystemClock */
  readonly clock?: Clock;
}

interface Refusal {
  readonly errorType: string;
  readonly message: string;
}

const systemClock = new SystemClock();

const awsError = (response: ServerResponse, status: number, type: string, message: string) =>
  sendJson(response, status, { message }, { 'x-amzn-errortype': type });

/** The caller's credential, checked before anything in the request is interpreted. */
const refusalOf = async (
  request: IncomingMessage,
  body: () => Promise<Uint8Array>,
  { credentials, clock = systemClock }: Pick<ManagementApiOptions, 'credentials' | 'clock'>,
): Promise<Refusal | undefined> => {
  const authorization = request.headers.authorization;
  if (authorization === undefined || authorization === '') {
    return {
      errorType: 'ForbiddenException',
      message:
        'Missing Authentication Token: sign the request with SigV4 (execute-api) or send Authorization: Bearer BACKEND_KEY',
    };
  }
  if (SigV4Verifier.claims(authorization)) {
    const outcome = await new SigV4Verifier(credentials?.accessKeys ?? [], { clock }).verify({
      method: request.method ?? '',
      target: request.url ?? '/',
      headers: request.headers,
      body,
    });
    return outcome.ok ? undefined : outcome;
  }
  if (/^Bearer\s/i.test(authorization)) {
    const { backendKey } = credentials ?? {};
    if (backendKey !== undefined && keyMatches(bearerOf(request), backendKey)) return undefined;
    return { errorType: 'ForbiddenException', message: 'the bearer key is not the backend key' };
  }
  return {
    errorType: 'ForbiddenException',
    message: 'the Authorization header is neither AWS4-HMAC-SHA256 nor Bearer',
  };
};

/** The connection id from its path segment, or undefined when that is not valid percent-encoding. */
const decodeConnectionId = (segment: string): string | undefined => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
};

/**
 * API Gateway's management API over the sockets a WsConnectionGateway holds,
 * so `ApiGatewayManagementApiClient` (and Herald's API Gateway adapter) work
 * against this process unchanged: 410 for unknown ids, 413 over 128 KB, 429
 * for a client not reading, API Gateway's error types in `x-amzn-errortype`.
 *
 * The caller is checked before anything else in the request is interpreted:
 * then a connection id that is not valid percent-encoding is a 400
 * BadRequestException, as on API Gateway, and not an error of this process.
 */
const serveManagementApi = async (
  request: IncomingMessage,
  response: ServerResponse,
  rawConnectionId: string,
  options: ManagementApiOptions,
): Promise<void> => {
  const { gateway, access } = options;
  if (access === 'off') {
    return awsError(response, 403, 'ForbiddenException', 'the management API is off');
  }
  if (access === 'loopback' && !isLoopback(request.socket.remoteAddress)) {
    return awsError(
      response,
      403,
      'ForbiddenException',
      'the management API answers only on loopback',
    );
  }
  let body: Promise<Buffer> | undefined;
  const readOnce = () => {
    body ??= readBody(request, LIMITS.maxMessageBytes);
    return body;
  };
  try {
    if (access === 'any') {
      const refusal = await refusalOf(request, readOnce, options);
      if (refusal !== undefined) return awsError(response, 403, refusal.errorType, refusal.message);
    }
    const connectionId = decodeConnectionId(rawConnectionId);
    if (connectionId === undefined) {
      return awsError(
        response,
        400,
        'BadRequestException',
        'the connection id in the path is not valid percent-encoding',
      );
    }
    return await dispatch(request, response, connectionId, gateway, readOnce);
  } catch (error) {
    if (!(error instanceof PayloadTooLargeError)) throw error;
    return awsError(response, 413, 'PayloadTooLargeException', error.message);
  }
};

const dispatch = async (
  request: IncomingMessage,
  response: ServerResponse,
  connectionId: string,
  gateway: WsConnectionGateway,
  body: () => Promise<Buffer>,
): Promise<void> => {
  switch (request.method) {
    case 'POST': {
      const outcome = gateway.post(connectionId, await body());
      if (outcome === 'delivered') return sendJson(response, 200, undefined);
      if (outcome === 'throttled')
        return awsError(
          response,
          429,
          'LimitExceededException',
          'the client is not reading fast enough',
        );
      return awsError(response, 410, 'GoneException', `connection ${connectionId} is gone`);
    }
    case 'GET': {
      const info = await gateway.get(connectionId);
      if (info === undefined)
        return awsError(response, 410, 'GoneException', `connection ${connectionId} is gone`);
      return sendJson(response, 200, {
        connectedAt: new Date(info.connectedAt).toISOString(),
        lastActiveAt: new Date(info.lastActiveAt).toISOString(),
        identity: { sourceIp: info.sourceIp ?? '', userAgent: info.userAgent ?? '' },
      });
    }
    case 'DELETE':
      if ((await gateway.disconnect(connectionId)) === 'gone') {
        return awsError(response, 410, 'GoneException', `connection ${connectionId} is gone`);
      }
      return sendJson(response, 204, undefined);
    default:
      return sendJson(
        response,
        405,
        { message: 'Method Not Allowed' },
        { allow: 'GET, POST, DELETE' },
      );
  }
};

export type { ManagementApiOptions, ManagementCredentials, Refusal };
export { awsError, MANAGEMENT_ROUTE, refusalOf, serveManagementApi };
