import type { LambdaHandlerName } from '@herald/settings';
import { loadConfig } from '../config.js';
import type { AdapterBinder } from './container.js';
import { composeContainer, type Services, servicesOf } from './container.js';

/**
 * This Lambda container's services: the handler's settings validated and the
 * container built once, when the entry module is imported (init), with the
 * adapter groups and the services the entry names.
 */
const lambdaServices = (handler: LambdaHandlerName, bindAdapters: AdapterBinder): Services =>
  servicesOf(composeContainer(loadConfig(process.env, handler), bindAdapters));

export { lambdaServices };
