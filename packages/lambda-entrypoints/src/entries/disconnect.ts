import { bindDynamoDbStores } from '../composition/bind-dynamodb.js';
import { bindConnectionRegistry } from '../composition/bind-services.js';
import { bindClock, binders } from '../composition/binders.js';
import { lambdaServices } from '../composition/lambda-services.js';
import { makeDisconnectHandler } from '../handlers/connection-lifecycle.js';

const services = lambdaServices(binders(bindClock, bindDynamoDbStores, bindConnectionRegistry));

/** $disconnect route. */
const handler = makeDisconnectHandler({ registry: services.registry(), logger: services.logger });

export { handler };
