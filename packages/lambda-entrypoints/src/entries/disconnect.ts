import { lambdaServices as services } from '../composition/lambda-services.js';
import { makeDisconnectHandler } from '../handlers/connection-lifecycle.js';

/** $disconnect route. */
const handler = makeDisconnectHandler({ registry: services.registry(), logger: services.logger });

export { handler };
