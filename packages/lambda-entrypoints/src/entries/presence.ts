import { bindDynamoDbStores } from '../composition/bind-dynamodb.js';
import { bindOutputs } from '../composition/bind-outputs.js';
import { bindPresenceTracker } from '../composition/bind-services.js';
import { bindClock, binders } from '../composition/binders.js';
import { publishingMetrics } from '../composition/cloudwatch-metrics.js';
import { lambdaServices } from '../composition/lambda-services.js';
import { makePresenceHandler } from '../handlers/presence.js';

const services = lambdaServices(
  'presence',
  binders(bindClock, bindDynamoDbStores, bindOutputs, bindPresenceTracker),
);

/** The connections table's stream consumer. */
const handler = publishingMetrics(
  makePresenceHandler({
    tracker: services.tracker(),
    logger: services.logger,
    idleTimeoutMs: services.config.idleTimeoutMs,
    metrics: services.metrics,
  }),
  services.metrics,
);

export { handler };
