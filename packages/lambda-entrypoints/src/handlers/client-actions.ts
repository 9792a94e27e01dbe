import type { Logger } from '@aws-lambda-powertools/logger';
import { managementEndpoint } from '@herald/adapters-aws/apigateway';
import {
  type ClientActionIncident,
  ClientActions,
  type ConnectionGateway,
  type ConnectionRegistry,
  type EventPublisher,
  type MetricsRecorder,
  NO_METRICS,
  type NotificationHistory,
  parseClientFrame,
  type TokenVerifier,
} from '@herald/domain';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import type { WebSocketEvent } from './websocket-event.js';

interface ClientActionDeps {
  readonly registry: ConnectionRegistry;
  readonly publisher: EventPublisher;
  readonly gatewayFor: (endpoint: string) => ConnectionGateway;
  readonly logger: Logger;
  /** The streams' history, which `resume` replays; without it `resume` is refused. */
  readonly history?: NotificationHistory | undefined;
  /** Verifies the token of a `refresh`; without it, `refresh` is answered `unknown_action`. */
  readonly verifier?: TokenVerifier | undefined;
  /** The management endpoint, when not the one the event's domain and stage imply (a local emulation). */
  readonly managementEndpoint?: string | undefined;
  /** Told of each frame in, and each reply posted. @default NO_METRICS */
  readonly metrics?: MetricsRecorder;
}

const encoder = new TextEncoder();

const logIncident = (logger: Logger, incident: ClientActionIncident) => {
  const { severity, connectionId, action, error } = incident;
  if (severity === 'info') {
    logger.info('action refused', {
      connectionId,
      action,
      code: (error as { code?: string }).code,
    });
  } else {
    logger[severity]('action not handled', { connectionId, action, error });
  }
};

/**
 * The routes ping, send, publish, subscribe, unsubscribe, resume, refresh and $default: a
 * transport over the domain's ClientActions. The frame is parsed, handled
 * with the time API Gateway received it, and the reply (pong, subscribed, an
 * error frame) is posted back through the management API; the connection
 * stays open. Liveness is refreshed on ping only (see ClientActionsOptions).
 */
const makeClientActionHandler = ({
  registry,
  publisher,
  gatewayFor,
  logger,
  verifier,
  managementEndpoint: configured,
  history,
  metrics = NO_METRICS,
}: ClientActionDeps) => {
  const actions = new ClientActions(registry, publisher, {
    refreshLiveness: 'ping-only',
    ...(verifier === undefined ? {} : { verifier }),
    onIncident: (incident) => logIncident(logger, incident),
    ...(history === undefined ? {} : { history }),
  });
  return async (event: WebSocketEvent): Promise<APIGatewayProxyResultV2> => {
    const { connectionId, domainName, stage, requestTimeEpoch } = event.requestContext;
    const gateway = gatewayFor(configured ?? managementEndpoint({ domainName, stage }));
    metrics.frameIn();
    const reply = await actions.handle(
      { connectionId, deliver: async (frame) => gateway.post(connectionId, frame) },
      parseClientFrame(event.body ?? ''),
      requestTimeEpoch,
    );
    if (reply !== undefined) {
      const posted = await gateway.post(connectionId, encoder.encode(JSON.stringify(reply)));
      if (posted === 'delivered') metrics.frameOut();
    }
    return { statusCode: 200 };
  };
};

export { makeClientActionHandler };
