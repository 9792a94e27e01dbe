import { bindDynamoDbHistory, bindDynamoDbStores } from './bind-dynamodb.js';
import { bindGateways } from './bind-gateways.js';
import { bindKeySource } from './bind-keys.js';
import { bindOutputs } from './bind-outputs.js';
import { bindShardQueue } from './bind-shard-queue.js';
import { bindClock, binders } from './binders.js';
import type { AdapterBinder } from './container.js';

/**
 * Every AWS adapter, for a process that needs them all. A Lambda entry binds
 * only the groups its handler uses, so its bundle carries only those SDK
 * clients. Clients are made lazily and never call the network at init.
 */
const bindAwsAdapters: AdapterBinder = binders(
  bindClock,
  bindDynamoDbStores,
  bindDynamoDbHistory,
  bindOutputs,
  bindKeySource,
  bindGateways,
  bindShardQueue,
);

export { bindAwsAdapters };
