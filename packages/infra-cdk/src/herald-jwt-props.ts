import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IStringParameter } from 'aws-cdk-lib/aws-ssm';

/** How client tokens are verified. Exactly one key source. */
interface HeraldJwtProps {
  /** An HMAC secret in Secrets Manager; read by the authorizer at first use. @default - none */
  readonly secret?: ISecret;
  /** An HMAC secret in an SSM SecureString parameter. @default - none */
  readonly secretParameter?: IStringParameter;
  /** HTTPS URL of a JWKS. @default - none */
  readonly jwksUrl?: string;
  /** HTTPS URL of an x509 certificate map `{kid: PEM}` (Firebase/Google securetoken). @default - none */
  readonly x509Url?: string;
  /** @default - HS256 for a secret, RS256 for a JWKS or certificate map */
  readonly algorithms?: readonly string[];
  /** Required `iss`. @default - any issuer */
  readonly issuer?: string;
  /** Accepted `aud` values. @default - any audience */
  readonly audiences?: readonly string[];
  /** Claims a token must carry besides the user id claim; `[]` for none. @default ['exp'] */
  readonly requiredClaims?: readonly string[];
  /** Refuse tokens valid for longer than this many seconds. @default - no limit */
  readonly maxLifetimeSeconds?: number;
  /** @default 'sub' */
  readonly userIdClaim?: string;
  /** @default 'channels' */
  readonly channelsClaim?: string;
}

/** Refuses no key source, or several, before anything is built. */
const requireOneKeySource = (jwt: HeraldJwtProps): void => {
  const keySources = [jwt.secret, jwt.secretParameter, jwt.jwksUrl, jwt.x509Url].filter(
    (k) => k !== undefined,
  );
  if (keySources.length !== 1) {
    throw new Error(
      'HeraldNotifications: give exactly one of jwt.secret, jwt.secretParameter, jwt.jwksUrl, jwt.x509Url',
    );
  }
};

export type { HeraldJwtProps };
export { requireOneKeySource };
