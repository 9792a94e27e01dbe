import type { IncomingMessage, ServerResponse } from 'node:http';
import { LIMITS, PayloadTooLargeError } from '@herald/domain';
import { isLoopback, readBody, sendJson } from './http-io.js';
import type { WsConnectionGateway } from './ws-connection-gateway.js';

/** `/@connections/{id}`, also behind a stage prefix (`/{stage}/@connections/{id}`). */
const MANAGEMENT_ROUTE = /^(?:\/[^/]+)?\/@connections\/([^/]+)$/;

interface ManagementApiOptions {
  readonly gateway: WsConnectionGateway;
  /** Who may call it. */
  readonly access: 'loopback' | 'any' | 'off';
}

const awsError = (response: ServerResponse, status: number, type: string, message: string) =>
  sendJson(response, status, { message }, { 'x-amzn-errortype': type });

/**
 * API Gateway's management API over the sockets a WsConnectionGateway holds,
 * so `ApiGatewayManagementApiClient` (and Herald's API Gateway adapter) work
 * against this process unchanged: 410 for unknown ids, 413 over 128 KB, 429
 * for a client not reading, API Gateway's error types in `x-amzn-errortype`.
 */
const serveManagementApi = async (
  request: IncomingMessage,
  response: ServerResponse,
  connectionId: string,
  { gateway, access }: ManagementApiOptions,
): Promise<void> => {
  if (access === 'off' || (access === 'loopback' && !isLoopback(request.socket.remoteAddress))) {
    return awsError(
      response,
      403,
      'ForbiddenException',
      'the management API answers only on loopback',
    );
  }
  switch (request.method) {
    case 'POST': {
      let data: Buffer;
      try {
        data = await readBody(request, LIMITS.maxMessageBytes);
      } catch (error) {
        if (!(error instanceof PayloadTooLargeError)) throw error;
        return awsError(response, 413, 'PayloadTooLargeException', error.message);
      }
      const outcome = gateway.post(connectionId, data);
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

export type { ManagementApiOptions };
export { MANAGEMENT_ROUTE, serveManagementApi };
