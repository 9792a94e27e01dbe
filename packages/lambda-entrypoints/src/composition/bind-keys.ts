import { keySourceChoice, keySourceFor } from '@herald/adapters-aws/wiring/keys';
import { StaticKeySource } from '@herald/adapters-node';
import type { Container } from 'inversify';
import { type LambdaConfig, requireSetting } from '../config.js';
import { TOKENS } from './tokens.js';

/**
 * Where token keys come from, as `keySourceChoice` decides for every runtime:
 * a JWKS or x509 map URL, a secret stored in Secrets Manager or SSM (read at
 * first use), else the secret itself (for local runs; a deployed stack never
 * puts it in the environment).
 */
const bindKeySource = (container: Container, config: LambdaConfig): void => {
  container.bind(TOKENS.KeySource).toResolvedValue(() => {
    const choice = keySourceChoice(config) ?? {
      kind: 'secret' as const,
      secret: requireSetting(config, 'jwtSecret'),
    };
    return keySourceFor(choice, StaticKeySource);
  });
};

export { bindKeySource };
