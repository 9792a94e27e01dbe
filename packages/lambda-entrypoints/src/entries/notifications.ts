import { bindFanoutWithAdapters } from '../composition/bind-fanout.js';
import { publishingMetrics } from '../composition/cloudwatch-metrics.js';
import { lambdaServices } from '../composition/lambda-services.js';
import { makeNotificationsHandler } from '../handlers/notifications.js';

const services = lambdaServices('notifications', bindFanoutWithAdapters);

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
