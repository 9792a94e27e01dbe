import type { ConnectionGateway } from '@herald/domain';
import type { Container } from 'inversify';
import type { LambdaConfig } from '../config.js';

/** Binds ports or services: AWS adapters in Lambda, memory adapters in tests. */
type AdapterBinder = (container: Container, config: LambdaConfig) => void;

/** `(endpoint) => ConnectionGateway`, one gateway (and its sockets) per endpoint. */
type GatewayFor = (endpoint: string) => ConnectionGateway;

export type { AdapterBinder, GatewayFor };
