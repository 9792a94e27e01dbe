import { lambdaServices as services } from '../composition/lambda-services.js';
import { makePresenceQueryHandler } from '../handlers/presence.js';

/** GET /presence on the HTTP API. */
const handler = makePresenceQueryHandler({ tracker: services.tracker() });

export { handler };
