import {
  ConfigurationError,
  type JsonWebKeyLike,
  type KeySet,
  type KeySource,
  KeySourceError,
  keySetFromJwks,
  keySetFromX509Map,
} from '@herald/domain';

/** Shortest HMAC secret accepted: 256 bits, as RFC 7518 asks for HS256. */
const MIN_SECRET_BYTES = 32;

/**
 * A KeySource holding its keys in memory: a shared secret, a static PEM or
 * JWK, or a JWKS / x509 map document already at hand. `replace` and `fail`
 * let tests rotate keys and break the source.
 */
class StaticKeySource implements KeySource {
  /** How many times keys were loaded, and how many of those asked for a refresh. */
  loads = 0;
  refreshes = 0;
  private failure: Error | undefined;

  constructor(private keySet: KeySet) {}

  static fromSecret(secret: string | Uint8Array, kid?: string): StaticKeySource {
    const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
    if (bytes.length < MIN_SECRET_BYTES) {
      throw new ConfigurationError(
        'secret',
        `an HMAC secret must be at least ${MIN_SECRET_BYTES} bytes, got ${bytes.length}`,
      );
    }
    const key =
      kid === undefined
        ? { kind: 'secret' as const, secret: bytes }
        : { kind: 'secret' as const, kid, secret: bytes };
    return new StaticKeySource({ keys: [key] });
  }

  /** A public key (`BEGIN PUBLIC KEY`) or certificate (`BEGIN CERTIFICATE`) in PEM. */
  static fromPem(pem: string, kid?: string): StaticKeySource {
    const kind = pem.includes('-----BEGIN CERTIFICATE-----')
      ? 'x509'
      : pem.includes('-----BEGIN PUBLIC KEY-----')
        ? 'spki'
        : undefined;
    if (kind === undefined) {
      throw new ConfigurationError(
        'pem',
        'expected a PEM public key (BEGIN PUBLIC KEY) or certificate (BEGIN CERTIFICATE); private keys are refused',
      );
    }
    return new StaticKeySource({ keys: [kid === undefined ? { kind, pem } : { kind, kid, pem }] });
  }

  static fromJwk(jwk: JsonWebKeyLike): StaticKeySource {
    if (Object.hasOwn(jwk, 'd')) {
      throw new ConfigurationError('jwk', 'holds private key material; give the public key only');
    }
    return new StaticKeySource({
      keys: [
        typeof jwk.kid === 'string' ? { kind: 'jwk', kid: jwk.kid, jwk } : { kind: 'jwk', jwk },
      ],
    });
  }

  static fromJwks(document: unknown): StaticKeySource {
    return new StaticKeySource(keySetFromJwks(document));
  }

  static fromX509Map(document: unknown): StaticKeySource {
    return new StaticKeySource(keySetFromX509Map(document));
  }

  async load(options: { readonly refresh?: boolean } = {}): Promise<KeySet> {
    this.loads++;
    if (options.refresh) this.refreshes++;
    if (this.failure !== undefined)
      throw new KeySourceError(this.failure.message, { cause: this.failure });
    return this.keySet;
  }

  /** Serves these keys from now on. */
  replace(keySet: KeySet): void {
    this.keySet = keySet;
  }

  /** Makes every load reject from now on (undefined to heal). */
  fail(error: Error | undefined = new Error('key origin unreachable')): void {
    this.failure = error;
  }
}

export { StaticKeySource };
