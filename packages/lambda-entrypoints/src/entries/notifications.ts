import { bindDynamoDbHistory, bindDynamoDbStores } from '../composition/bind-dynamodb.js';
import { bindGateways } from '../composition/bind-gateways.js';
import { bindNotificationFanout } from '../composition/bind-services.js';
import { bindShardQueue } from '../composition/bind-shard-queue.js';
import { bindClock, binders } from '../composition/binders.js';
import { publishingMetrics } from '../composition/cloudwatch-metrics.js';
import { lambdaServices } from '../composition/lambda-services.js';
import { makeNotificationsHandler } from '../handlers/notifications.js';

const services = lambdaServices(
  'notifications',
  binders(
    bindClock,
    bindDynamoDbStores,
    bindDynamoDbHistory,
    bindGateways,
    bindShardQueue,
    bindNotificationFanout,
  ),
);

/** The notifications queue's consumer (standard or FIFO), with partial batch failures. */
const handler = publishingMetrics(
  makeNotificationsHandler({
    fanout: services.fanout(),
    shardQueue: services.shardQueue(),
    logger: services.logger,
    metrics: services.metrics,
  }),
  services.metrics,
);

export { handler };
