import { retryAfterSeconds } from '@herald/adapters-aws/wiring/dynamodb';
import { bindDynamoDbStores } from '../composition/bind-dynamodb.js';
import { bindOutputs } from '../composition/bind-outputs.js';
import { bindPresenceTracker } from '../composition/bind-services.js';
import { bindClock, binders } from '../composition/binders.js';
import { publishingMetrics } from '../composition/cloudwatch-metrics.js';
import { lambdaServices } from '../composition/lambda-services.js';
import { makePresenceQueryHandler } from '../handlers/presence.js';

const services = lambdaServices(
  'presence-query',
  binders(bindClock, bindDynamoDbStores, bindOutputs, bindPresenceTracker),
);

/** GET /presence on the HTTP API. */
const handler = publishingMetrics(
  makePresenceQueryHandler({
    tracker: services.tracker(),
    retryAfterSeconds: retryAfterSeconds(
      services.config.storeTimeoutMs,
      services.config.storeRetries,
    ),
  }),
  services.metrics,
);

export { handler };
