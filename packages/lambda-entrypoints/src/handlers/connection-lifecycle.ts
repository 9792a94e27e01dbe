import type { Logger } from '@aws-lambda-powertools/logger';
import {
  type ConnectionRegistry,
  type MetricsRecorder,
  NO_METRICS,
  requestedProtocol,
} from '@herald/domain';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { lowerCaseHeaders, type WebSocketEvent } from './websocket-event.js';

interface LifecycleDeps {
  readonly registry: ConnectionRegistry;
  readonly logger: Logger;
  /** Told of each connection opened and closed. @default NO_METRICS */
  readonly metrics?: MetricsRecorder;
}

const channelsOf = (value: unknown): string[] => {
  if (typeof value !== 'string' || value.length === 0) return [];
  const parsed: unknown = JSON.parse(value);
  return Array.isArray(parsed) ? parsed.filter((c): c is string => typeof c === 'string') : [];
};

/**
 * $connect: registers the connection with what the authorizer verified, and
 * echoes the subprotocol it chose. Presence follows from the table's stream.
 */
const makeConnectHandler =
  ({ registry, logger, metrics = NO_METRICS }: LifecycleDeps) =>
  async (event: WebSocketEvent): Promise<APIGatewayProxyResultV2> => {
    const { connectionId, authorizer } = event.requestContext;
    const userId = authorizer?.userId;
    if (typeof userId !== 'string' || userId.length === 0) {
      logger.error(
        '$connect without an authorizer context; is the authorizer attached to the route?',
        { connectionId },
      );
      return { statusCode: 403 };
    }
    // The protocol the client asked for (`herald.v1`) is kept with its record, so every fanout frames for it.
    const requested = requestedProtocol({
      query: event.queryStringParameters ?? {},
      headers: lowerCaseHeaders(event.headers),
    });
    await registry.connect(
      connectionId,
      { userId, channels: channelsOf(authorizer?.channels), claims: {} },
      requested,
    );
    logger.info('connected', { connectionId, userId });
    metrics.connectionOpened();
    const protocol = authorizer?.protocol;
    return typeof protocol === 'string' && protocol.length > 0
      ? { statusCode: 200, headers: { 'Sec-WebSocket-Protocol': protocol } }
      : { statusCode: 200 };
  };

/** $disconnect: removes the connection and its channel memberships. */
const makeDisconnectHandler =
  ({ registry, logger, metrics = NO_METRICS }: LifecycleDeps) =>
  async (event: WebSocketEvent): Promise<APIGatewayProxyResultV2> => {
    const removed = await registry.disconnect(event.requestContext.connectionId);
    logger.info('disconnected', {
      connectionId: event.requestContext.connectionId,
      userId: removed?.userId,
    });
    metrics.connectionClosed();
    return { statusCode: 200 };
  };

export { makeConnectHandler, makeDisconnectHandler };
