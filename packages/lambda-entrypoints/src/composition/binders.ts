import { SystemClock } from '@herald/adapters-node';
import type { Container } from 'inversify';
import type { LambdaConfig } from '../config.js';
import type { AdapterBinder } from './container.js';
import { TOKENS } from './tokens.js';

/** The clock every Lambda uses. */
const bindClock: AdapterBinder = (container: Container) => {
  container.bind(TOKENS.Clock).toConstantValue(new SystemClock());
};

/** Several binders as one. */
const binders =
  (...each: readonly AdapterBinder[]): AdapterBinder =>
  (container: Container, config: LambdaConfig) => {
    for (const bind of each) bind(container, config);
  };

export { bindClock, binders };
