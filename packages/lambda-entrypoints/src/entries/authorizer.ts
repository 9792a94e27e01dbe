import { lambdaServices as services } from '../composition/lambda-services.js';
import { makeAuthorizerHandler } from '../handlers/authorizer.js';

/** $connect REQUEST authorizer. */
const handler = makeAuthorizerHandler({ verifier: services.verifier(), logger: services.logger });

export { handler };
