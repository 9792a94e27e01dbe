import type { TokenVerifierOptions } from '@herald/domain';

/**
 * The ways a deployment can give the keys that verify client tokens. A
 * runtime offers some of them as settings; configuration allows one at a
 * time.
 */
interface KeySettings {
  /** An HMAC secret, in the setting itself. */
  readonly jwtSecret?: string | undefined;
  /** A Secrets Manager secret (ARN or name) holding the HMAC secret. */
  readonly jwtSecretArn?: string | undefined;
  /** An SSM SecureString parameter holding the HMAC secret. */
  readonly jwtSecretParameter?: string | undefined;
  /** A PEM public key or certificate. */
  readonly jwtPublicKey?: string | undefined;
  /** An HTTPS JWKS. */
  readonly jwksUrl?: string | undefined;
  /** An HTTPS x509 certificate map `{kid: PEM}`. */
  readonly x509Url?: string | undefined;
}

/** Everything TokenVerifier is configured from. */
interface TokenSettings extends KeySettings {
  readonly jwtAlgorithms?: readonly string[] | undefined;
  readonly jwtIssuer?: string | undefined;
  readonly jwtAudience?: readonly string[] | undefined;
  /** Claims a token must carry besides the user id claim. @default ['exp'] (TokenVerifier's) */
  readonly jwtRequiredClaims?: readonly string[] | undefined;
  readonly jwtMaxLifetimeSeconds?: number | undefined;
  readonly userIdClaim: string;
  readonly channelsClaim: string;
}

/** Which key source the settings ask for: a description, turned into an adapter by `keySourceFor`. */
type KeySourceChoice =
  | { readonly kind: 'jwks'; readonly url: string }
  | { readonly kind: 'x509'; readonly url: string }
  | { readonly kind: 'secretsmanager'; readonly name: string }
  | { readonly kind: 'ssm'; readonly name: string }
  | { readonly kind: 'pem'; readonly pem: string }
  | { readonly kind: 'secret'; readonly secret: string };

/**
 * The key-source decision, made once for every runtime: a JWKS or x509 map
 * URL, a secret stored in Secrets Manager or SSM, a static PEM, else the
 * secret itself. Undefined when the settings give no key at all (the caller
 * decides what that means: an error, or a development secret).
 */
const keySourceChoice = (settings: KeySettings): KeySourceChoice | undefined => {
  if (settings.jwksUrl !== undefined) return { kind: 'jwks', url: settings.jwksUrl };
  if (settings.x509Url !== undefined) return { kind: 'x509', url: settings.x509Url };
  if (settings.jwtSecretArn !== undefined)
    return { kind: 'secretsmanager', name: settings.jwtSecretArn };
  if (settings.jwtSecretParameter !== undefined)
    return { kind: 'ssm', name: settings.jwtSecretParameter };
  if (settings.jwtPublicKey !== undefined) return { kind: 'pem', pem: settings.jwtPublicKey };
  if (settings.jwtSecret !== undefined) return { kind: 'secret', secret: settings.jwtSecret };
  return undefined;
};

/** Whether a key source serves HMAC secrets (else public keys). */
const isSecretKeySource = (choice: KeySourceChoice | undefined): boolean =>
  choice === undefined ||
  choice.kind === 'secret' ||
  choice.kind === 'secretsmanager' ||
  choice.kind === 'ssm';

/**
 * TokenVerifier's options from the settings. The algorithms default by the
 * kind of key: HS256 with a secret (given, stored, or none yet), RS256 with a
 * public key, a JWKS or an x509 map.
 */
const tokenVerifierOptions = (settings: TokenSettings): TokenVerifierOptions => ({
  algorithms:
    settings.jwtAlgorithms ??
    (isSecretKeySource(keySourceChoice(settings)) ? ['HS256'] : ['RS256']),
  ...(settings.jwtIssuer === undefined ? {} : { issuer: settings.jwtIssuer }),
  ...(settings.jwtAudience === undefined ? {} : { audience: settings.jwtAudience }),
  ...(settings.jwtRequiredClaims === undefined
    ? {}
    : { requiredClaims: settings.jwtRequiredClaims }),
  ...(settings.jwtMaxLifetimeSeconds === undefined
    ? {}
    : { maxTokenLifetimeSeconds: settings.jwtMaxLifetimeSeconds }),
  userIdClaim: settings.userIdClaim,
  channelsClaim: settings.channelsClaim,
});

export type { KeySettings, KeySourceChoice, TokenSettings };
export { keySourceChoice, tokenVerifierOptions };
