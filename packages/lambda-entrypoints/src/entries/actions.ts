import { lambdaServices as services } from '../composition/lambda-services.js';
import { makeClientActionHandler } from '../handlers/client-actions.js';

/** The ping, send, publish, subscribe, unsubscribe and $default routes. */
const handler = makeClientActionHandler({
  registry: services.registry(),
  publisher: services.publisher(),
  gatewayFor: services.gatewayFor(),
  logger: services.logger,
});

export { handler };
