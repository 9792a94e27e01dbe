import { lambdaServices as services } from '../composition/lambda-services.js';
import { makeTopicNotificationsHandler } from '../handlers/notifications.js';

/** The input topic's subscriber. */
const handler = makeTopicNotificationsHandler({
  fanout: services.fanout(),
  shardQueue: services.shardQueue(),
  logger: services.logger,
});

export { handler };
