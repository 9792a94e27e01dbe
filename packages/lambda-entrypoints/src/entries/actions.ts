import { bindDynamoDbStores } from '../composition/bind-dynamodb.js';
import { bindGateways } from '../composition/bind-gateways.js';
import { bindOutputs } from '../composition/bind-outputs.js';
import { bindConnectionRegistry, bindNotificationHistory } from '../composition/bind-services.js';
import { bindClock, binders } from '../composition/binders.js';
import { lambdaServices } from '../composition/lambda-services.js';
import { makeClientActionHandler } from '../handlers/client-actions.js';

const services = lambdaServices(
  binders(
    bindClock,
    bindDynamoDbStores,
    bindOutputs,
    bindGateways,
    bindConnectionRegistry,
    bindNotificationHistory,
  ),
);

/** The ping, send, publish, subscribe, unsubscribe, resume and $default routes. */
const handler = makeClientActionHandler({
  registry: services.registry(),
  publisher: services.publisher(),
  gatewayFor: services.gatewayFor(),
  logger: services.logger,
  history: services.history(),
  managementEndpoint: services.config.managementEndpoint,
});

export { handler };
