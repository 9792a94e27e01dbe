import { bindDynamoDbStores } from '../composition/bind-dynamodb.js';
import { bindClock, binders } from '../composition/binders.js';
import { lambdaServices } from '../composition/lambda-services.js';
import { makeDisconnectHandler } from '../handlers/connection-lifecycle.js';

const services = lambdaServices(binders(bindClock, bindDynamoDbStores));

/** $disconnect route. */
const handler = makeDisconnectHandler({ registry: services.registry(), logger: services.logger });

export { handler };
