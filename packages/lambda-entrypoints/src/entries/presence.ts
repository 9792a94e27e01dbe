import { lambdaServices as services } from '../composition/lambda-services.js';
import { makePresenceHandler } from '../handlers/presence.js';

/** The connections table's stream consumer. */
const handler = makePresenceHandler({
  tracker: services.tracker(),
  logger: services.logger,
  maxConnectionAgeMs: services.config.HERALD_MAX_CONNECTION_AGE_MS,
});

export { handler };
