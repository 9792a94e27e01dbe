import type { KeySource } from '@herald/domain';
import type { KeySourceChoice } from '@herald/settings';
import { HttpKeySource } from '../keys/http-key-source.js';
import { StoredSecretKeySource } from '../keys/stored-secret-key-source.js';

/**
 * The key sources that are not AWS adapters, given by the composition root
 * (adapters never import each other): `StaticKeySource` from
 * `@herald/adapters-node` fits as it is.
 */
interface LocalKeySources {
  fromSecret(secret: string): KeySource;
  fromPem(pem: string): KeySource;
}

/**
 * The one mapping from a key-source choice to its adapter. Nothing here calls
 * the network: HTTP and stored keys are read at first use.
 */
const keySourceFor = (choice: KeySourceChoice, local: LocalKeySources): KeySource => {
  switch (choice.kind) {
    case 'jwks':
    case 'x509':
      return new HttpKeySource({ url: choice.url, format: choice.kind });
    case 'secretsmanager':
    case 'ssm':
      return new StoredSecretKeySource({ store: choice.kind, name: choice.name });
    case 'pem':
      return local.fromPem(choice.pem);
    case 'secret':
      return local.fromSecret(choice.secret);
  }
};

export type { LocalKeySources };
export { keySourceFor };
