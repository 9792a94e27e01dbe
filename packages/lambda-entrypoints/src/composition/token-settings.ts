import type { TokenSettings } from '@herald/adapters-aws/wiring/keys';
import type { LambdaConfig } from '../config.js';

/** The Lambda's token settings, under the names the shared key wiring uses. */
const tokenSettingsOf = (config: LambdaConfig): TokenSettings => ({
  jwtSecret: config.HERALD_JWT_SECRET,
  jwtSecretArn: config.HERALD_JWT_SECRET_ARN,
  jwtSecretParameter: config.HERALD_JWT_SECRET_PARAMETER,
  jwksUrl: config.HERALD_JWKS_URL,
  x509Url: config.HERALD_X509_URL,
  jwtAlgorithms: config.HERALD_JWT_ALGORITHMS,
  jwtIssuer: config.HERALD_JWT_ISSUER,
  jwtAudience: config.HERALD_JWT_AUDIENCE,
  userIdClaim: config.HERALD_USER_ID_CLAIM,
  channelsClaim: config.HERALD_CHANNELS_CLAIM,
});

export { tokenSettingsOf };
