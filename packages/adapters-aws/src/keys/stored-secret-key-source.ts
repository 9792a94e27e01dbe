import { type KeySet, type KeySource, KeySourceError } from '@herald/domain';

interface StoredSecretOptions {
  /** Where the HMAC secret is stored: a Secrets Manager secret, or an SSM SecureString parameter. */
  readonly store: 'secretsmanager' | 'ssm';
  /** The secret's ARN or name, or the parameter's name. */
  readonly name: string;
  /** How long a read is cached, in seconds; `refresh` bypasses it. @default 300 */
  readonly maxAgeSeconds?: number;
}

/**
 * Reads a stored secret. The Secrets Manager and SSM clients are imported on
 * first use, so a function configured with any other key source never loads
 * them (a bundler keeps them in a chunk of their own).
 */
const readStored = async (
  store: StoredSecretOptions['store'],
  name: string,
  read: { readonly maxAge: number; readonly forceFetch: boolean },
): Promise<unknown> => {
  if (store === 'secretsmanager') {
    const { getSecret } = await import('@aws-lambda-powertools/parameters/secrets');
    return getSecret(name, read);
  }
  const { getParameter } = await import('@aws-lambda-powertools/parameters/ssm');
  return getParameter(name, { ...read, decrypt: true });
};

/**
 * KeySource for an HMAC secret kept in Secrets Manager or SSM Parameter
 * Store, so it never appears in a template or an environment variable.
 * Read through Powertools Parameters at first use (not at init; the client
 * itself is loaded then too), cached, and re-read when TokenVerifier asks for
 * a refresh.
 */
class StoredSecretKeySource implements KeySource {
  constructor(private readonly options: StoredSecretOptions) {}

  async load(options: { readonly refresh?: boolean } = {}): Promise<KeySet> {
    const { store, name, maxAgeSeconds = 300 } = this.options;
    const read = { maxAge: maxAgeSeconds, forceFetch: options.refresh === true };
    let secret: unknown;
    try {
      secret = await readStored(store, name, read);
    } catch (error) {
      throw new KeySourceError(`${store} ${name} could not be read: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (typeof secret !== 'string' || secret.length < 32) {
      throw new KeySourceError(
        `${store} ${name} must hold a string secret of at least 32 characters`,
      );
    }
    return { keys: [{ kind: 'secret', secret: new TextEncoder().encode(secret) }] };
  }
}

export type { StoredSecretOptions };
export { StoredSecretKeySource };
