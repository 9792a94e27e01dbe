import { bindKeySource } from '../composition/bind-keys.js';
import { bindTokenVerifier } from '../composition/bind-services.js';
import { bindClock, binders } from '../composition/binders.js';
import { publishingMetrics } from '../composition/cloudwatch-metrics.js';
import { lambdaServices } from '../composition/lambda-services.js';
import { makeAuthorizerHandler } from '../handlers/authorizer.js';

const services = lambdaServices('authorizer', binders(bindClock, bindKeySource, bindTokenVerifier));

/** $connect REQUEST authorizer. */
const handler = publishingMetrics(
  makeAuthorizerHandler({
    verifier: services.verifier(),
    logger: services.logger,
    metrics: services.metrics,
  }),
  services.metrics,
);

export { handler };
