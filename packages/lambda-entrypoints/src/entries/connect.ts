import { bindDynamoDbStores } from '../composition/bind-dynamodb.js';
import { bindConnectionRegistry } from '../composition/bind-services.js';
import { bindClock, binders } from '../composition/binders.js';
import { publishingMetrics } from '../composition/cloudwatch-metrics.js';
import { lambdaServices } from '../composition/lambda-services.js';
import { makeConnectHandler } from '../handlers/connection-lifecycle.js';

const services = lambdaServices(
  'connect',
  binders(bindClock, bindDynamoDbStores, bindConnectionRegistry),
);

/** $connect route. */
const handler = publishingMetrics(
  makeConnectHandler({
    registry: services.registry(),
    logger: services.logger,
    metrics: services.metrics,
  }),
  services.metrics,
);

export { handler };
