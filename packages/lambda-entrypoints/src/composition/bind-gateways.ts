import { ApiGatewayConnectionGateway } from '@herald/adapters-aws/apigateway';
import type { ConnectionGateway } from '@herald/domain';
import type { Container } from 'inversify';
import type { LambdaConfig } from '../config.js';
import { TOKENS } from './tokens.js';

/** One API Gateway connection gateway per management endpoint, so its kept-alive sockets are reused. */
const bindGateways = (container: Container, config: LambdaConfig): void => {
  container.bind(TOKENS.GatewayFor).toResolvedValue(() => {
    const gateways = new Map<string, ConnectionGateway>();
    return (endpoint: string) => {
      let gateway = gateways.get(endpoint);
      if (gateway === undefined) {
        gateway = new ApiGatewayConnectionGateway({
          endpoint,
          maxSockets: config.fanoutConcurrency * 2,
        });
        gateways.set(endpoint, gateway);
      }
      return gateway;
    };
  });
};

export { bindGateways };
