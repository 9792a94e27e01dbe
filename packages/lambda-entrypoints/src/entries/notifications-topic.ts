import { bindFanoutWithAdapters } from '../composition/bind-fanout.js';
import { publishingMetrics } from '../composition/cloudwatch-metrics.js';
import { lambdaServices } from '../composition/lambda-services.js';
import { makeTopicNotificationsHandler } from '../handlers/notifications.js';

const services = lambdaServices('notifications-topic', bindFanoutWithAdapters);

/** The input topic's subscriber. */
const handler = publishingMetrics(
  makeTopicNotificationsHandler({
    fanout: services.fanout(),
    shardQueue: services.shardQueue(),
    logger: services.logger,
    metrics: services.metrics,
  }),
  services.metrics,
);

export { handler };
