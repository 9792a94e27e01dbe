import type { Logger } from '@aws-lambda-powertools/logger';
import { managementEndpoint } from '@herald/adapters-aws/apigateway';
import {
  type ConnectionGateway,
  type ConnectionRegistry,
  type EventPublisher,
  HeraldError,
  parseClientFrame,
  ValidationError,
} from '@herald/domain';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import type { WebSocketEvent } from './websocket-event.js';

interface ClientActionDeps {
  readonly registry: ConnectionRegistry;
  readonly publisher: EventPublisher;
  readonly gatewayFor: (endpoint: string) => ConnectionGateway;
  readonly logger: Logger;
  /** The management endpoint, when not the one the event's domain and stage imply (a local emulation). */
  readonly managementEndpoint?: string | undefined;
}

const encoder = new TextEncoder();

/**
 * The routes ping, send, publish, subscribe, unsubscribe and $default, as
 * DESIGN.md specifies them: replies (pong, subscribed, error frames) are
 * posted back through the management API, and the connection stays open.
 */
const makeClientActionHandler =
  ({ registry, publisher, gatewayFor, logger, managementEndpoint: configured }: ClientActionDeps) =>
  async (event: WebSocketEvent): Promise<APIGatewayProxyResultV2> => {
    const { connectionId, domainName, stage } = event.requestContext;
    const gateway = gatewayFor(configured ?? managementEndpoint({ domainName, stage }));
    const reply = (body: unknown) =>
      gateway.post(connectionId, encoder.encode(JSON.stringify(body)));
    const replyError = (error: HeraldError) =>
      reply({
        type: 'error',
        code: error.code,
        message: error.message,
        ...(error instanceof ValidationError ? { field: error.field } : {}),
      });

    const parsed = parseClientFrame(event.body ?? '');
    if (!parsed.ok) {
      await replyError(parsed.error);
      return { statusCode: 200 };
    }
    const frame = parsed.value;
    try {
      switch (frame.action) {
        case 'ping':
          await registry.touch(connectionId);
          await reply({ type: 'pong', connectionId });
          break;
        case 'send':
        case 'publish': {
          const record = await registry.get(connectionId);
          if (record === undefined) {
            logger.warn('message from an unregistered connection dropped', { connectionId });
            break;
          }
          try {
            await publisher.publish([
              {
                kind: 'client_message',
                route: frame.action,
                message: frame.message,
                userId: record.userId,
                connectionId,
                timestamp: event.requestContext.requestTimeEpoch,
              },
            ]);
          } catch (error) {
            logger.error('client message not forwarded', {
              connectionId,
              userId: record.userId,
              error,
            });
            await reply({
              type: 'error',
              code: 'output_unavailable',
              message: 'the message could not be forwarded',
            });
          }
          break;
        }
        case 'subscribe':
          await registry.subscribe(connectionId, frame.channel);
          await reply({ type: 'subscribed', channel: frame.channel });
          break;
        case 'unsubscribe':
          await registry.unsubscribe(connectionId, frame.channel);
          await reply({ type: 'unsubscribed', channel: frame.channel });
          break;
      }
    } catch (error) {
      if (!(error instanceof HeraldError)) throw error;
      logger.info('action refused', { connectionId, action: frame.action, code: error.code });
      await replyError(error);
    }
    return { statusCode: 200 };
  };

export { makeClientActionHandler };
