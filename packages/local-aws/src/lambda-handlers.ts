import {
  bindAwsAdapters,
  createContainer,
  loadConfig,
  makeAuthorizerHandler,
  makeClientActionHandler,
  makeConnectHandler,
  makeDisconnectHandler,
  makeNotificationsHandler,
  makePresenceHandler,
  makePresenceQueryHandler,
  makeTopicNotificationsHandler,
  servicesOf,
} from '@herald/lambda-entrypoints';
import { type Environment, environmentOf } from '@herald/settings';
import type { LambdaHandlers } from './lambda-emulation.js';

/**
 * Herald's Lambda handlers, composed exactly as the deployed functions
 * compose them (the same container and AWS adapters), with the environment
 * given and the emulation's own management endpoint.
 */
const lambdaHandlers = (env: Environment, managementEndpoint: string): LambdaHandlers => {
  // A management endpoint given in the environment wins, so the handlers can
  // be pointed at another management API (one that injects faults, say).
  const services = servicesOf(
    createContainer(
      loadConfig({ ...environmentOf({ managementEndpoint }), ...env }),
      bindAwsAdapters,
    ),
  );
  const { logger } = services;
  return {
    authorizer: makeAuthorizerHandler({ verifier: services.verifier(), logger }),
    connect: makeConnectHandler({
      registry: services.registry(),
      logger,
    }) as LambdaHandlers['connect'],
    disconnect: makeDisconnectHandler({
      registry: services.registry(),
      logger,
    }) as LambdaHandlers['disconnect'],
    actions: makeClientActionHandler({
      registry: services.registry(),
      publisher: services.publisher(),
      gatewayFor: services.gatewayFor(),
      logger,
      history: services.history(),
      verifier: services.verifier(),
      managementEndpoint: services.config.managementEndpoint,
    }) as LambdaHandlers['actions'],
    notifications: makeNotificationsHandler({
      fanout: services.fanout(),
      shardQueue: services.shardQueue(),
      logger,
    }),
    notificationsTopic: makeTopicNotificationsHandler({
      fanout: services.fanout(),
      shardQueue: services.shardQueue(),
      logger,
    }),
    presence: makePresenceHandler({
      tracker: services.tracker(),
      logger,
      idleTimeoutMs: services.config.idleTimeoutMs,
    }),
    presenceQuery: makePresenceQueryHandler({ tracker: services.tracker() }),
  };
};

export { lambdaHandlers };
