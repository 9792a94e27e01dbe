import { HttpKeySource, StoredSecretKeySource } from '@herald/adapters-aws/keys';
import { StaticKeySource } from '@herald/adapters-node';
import type { Container } from 'inversify';
import { type LambdaConfig, requireSetting } from '../config.js';
import { TOKENS } from './tokens.js';

/**
 * Where token keys come from: a JWKS or x509 map URL, a secret stored in
 * Secrets Manager or SSM (read at first use), else the secret itself
 * (for local runs; a deployed stack never puts it in the environment).
 */
const bindKeySource = (container: Container, config: LambdaConfig): void => {
  container.bind(TOKENS.KeySource).toResolvedValue(() => {
    if (config.HERALD_JWKS_URL)
      return new HttpKeySource({ url: config.HERALD_JWKS_URL, format: 'jwks' });
    if (config.HERALD_X509_URL)
      return new HttpKeySource({ url: config.HERALD_X509_URL, format: 'x509' });
    if (config.HERALD_JWT_SECRET_ARN) {
      return new StoredSecretKeySource({
        store: 'secretsmanager',
        name: config.HERALD_JWT_SECRET_ARN,
      });
    }
    if (config.HERALD_JWT_SECRET_PARAMETER) {
      return new StoredSecretKeySource({ store: 'ssm', name: config.HERALD_JWT_SECRET_PARAMETER });
    }
    return StaticKeySource.fromSecret(requireSetting(config, 'HERALD_JWT_SECRET'));
  });
};

export { bindKeySource };
