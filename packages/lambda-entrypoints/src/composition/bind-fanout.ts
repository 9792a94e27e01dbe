import { bindDynamoDbHistory, bindDynamoDbStores } from './bind-dynamodb.js';
import { bindGateways } from './bind-gateways.js';
import { bindNotificationFanout } from './bind-services.js';
import { bindShardQueue } from './bind-shard-queue.js';
import { bindClock, binders } from './binders.js';
import type { AdapterBinder } from './container.js';

/**
 * What both notification handlers (the queue's and the topic's) are composed
 * of: the stores, the history when a table is configured, the management
 * endpoint's gateway, the shard queue and the fanout on them.
 */
const bindFanoutWithAdapters: AdapterBinder = binders(
  bindClock,
  bindDynamoDbStores,
  bindDynamoDbHistory,
  bindGateways,
  bindShardQueue,
  bindNotificationFanout,
);

export { bindFanoutWithAdapters };
