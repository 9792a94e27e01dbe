import { loadConfig } from '../config.js';
import { bindAwsAdapters } from './aws-adapters.js';
import { createContainer, type Services, servicesOf } from './container.js';

/**
 * The services of this Lambda container: configuration validated and the
 * container built once, when the entry module is first imported (init).
 */
const lambdaServices: Services = servicesOf(
  createContainer(loadConfig(process.env), bindAwsAdapters),
);

export { lambdaServices };
