import { bindDynamoDbStores } from '../composition/bind-dynamodb.js';
import { bindGateways } from '../composition/bind-gateways.js';
import { bindOutputs } from '../composition/bind-outputs.js';
import { bindClock, binders } from '../composition/binders.js';
import { publishingMetrics } from '../composition/cloudwatch-metrics.js';
import { lambdaServices } from '../composition/lambda-services.js';
import { makeClientActionHandler } from '../handlers/client-actions.js';

const services = lambdaServices(binders(bindClock, bindDynamoDbStores, bindOutputs, bindGateways));

/** The ping, send, publish, subscribe, unsubscribe and $default routes. */
const handler = publishingMetrics(
  makeClientActionHandler({
    registry: services.registry(),
    publisher: services.publisher(),
    gatewayFor: services.gatewayFor(),
    logger: services.logger,
    managementEndpoint: services.config.managementEndpoint,
    metrics: services.metrics,
  }),
  services.metrics,
);

export { handler };
