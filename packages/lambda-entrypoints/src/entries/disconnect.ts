import { bindDynamoDbStores } from '../composition/bind-dynamodb.js';
import { bindConnectionRegistry } from '../composition/bind-services.js';
import { bindClock, binders } from '../composition/binders.js';
import { publishingMetrics } from '../composition/cloudwatch-metrics.js';
import { lambdaServices } from '../composition/lambda-services.js';
import { makeDisconnectHandler } from '../handlers/connection-lifecycle.js';

const services = lambdaServices(
  'disconnect',
  binders(bindClock, bindDynamoDbStores, bindConnectionRegistry),
);

/** $disconnect route. */
const handler = publishingMetrics(
  makeDisconnectHandler({
    registry: services.registry(),
    logger: services.logger,
    metrics: services.metrics,
  }),
  services.metrics,
);

export { handler };
