import { bindDynamoDbHistory, bindDynamoDbStores } from '../composition/bind-dynamodb.js';
import { bindGateways } from '../composition/bind-gateways.js';
import { bindKeySource } from '../composition/bind-keys.js';
import { bindOutputs } from '../composition/bind-outputs.js';
import {
  bindConnectionRegistry,
  bindNotificationHistory,
  bindTokenVerifier,
} from '../composition/bind-services.js';
import { bindClock, binders } from '../composition/binders.js';
import { publishingMetrics } from '../composition/cloudwatch-metrics.js';
import { lambdaServices } from '../composition/lambda-services.js';
import { makeClientActionHandler } from '../handlers/client-actions.js';

const services = lambdaServices(
  'actions',
  binders(
    bindClock,
    bindKeySource,
    bindDynamoDbStores,
    bindDynamoDbHistory,
    bindOutputs,
    bindGateways,
    bindConnectionRegistry,
    bindNotificationHistory,
    bindTokenVerifier,
  ),
);

/** The ping, send, publish, subscribe, unsubscribe, resume, refresh and $default routes. */
const handler = publishingMetrics(
  makeClientActionHandler({
    registry: services.registry(),
    publisher: services.publisher(),
    gatewayFor: services.gatewayFor(),
    logger: services.logger,
    history: services.history(),
    verifier: services.verifier(),
    managementEndpoint: services.config.managementEndpoint,
    metrics: services.metrics,
  }),
  services.metrics,
);

export { handler };
