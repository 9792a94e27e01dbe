import { lambdaServices as services } from '../composition/lambda-services.js';
import { makeNotificationsHandler } from '../handlers/notifications.js';

/** The notifications queue's consumer (standard or FIFO), with partial batch failures. */
const handler = makeNotificationsHandler({
  fanout: services.fanout(),
  shardQueue: services.shardQueue(),
  logger: services.logger,
});

export { handler };
