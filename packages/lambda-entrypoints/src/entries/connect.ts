import { lambdaServices as services } from '../composition/lambda-services.js';
import { makeConnectHandler } from '../handlers/connection-lifecycle.js';

/** $connect route. */
const handler = makeConnectHandler({ registry: services.registry(), logger: services.logger });

export { handler };
