import type { Logger } from '@aws-lambda-powertools/logger';
import {
  type MetricsRecorder,
  NO_METRICS,
  presentedToken,
  type TokenVerifier,
} from '@herald/domain';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { lowerCaseHeaders } from './websocket-event.js';

const policy = (principalId: string, effect: 'Allow' | 'Deny', resource: string) => ({
  principalId,
  policyDocument: {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
  },
});

/**
 * REQUEST authorizer on $connect. Reads the token from `?authorization=`,
 * `?token=`, `Authorization: Bearer` or `Sec-WebSocket-Protocol`; allows with
 * a context of strings only (user id, channels as JSON, the subprotocol to
 * echo); a missing token is `Unauthorized` (401), a bad one a Deny (403).
 * The token itself is never logged.
 */
const makeAuthorizerHandler =
  ({
    verifier,
    logger,
    metrics = NO_METRICS,
  }: {
    readonly verifier: TokenVerifier;
    readonly logger: Logger;
    /** Told of each refusal, by reason. @default NO_METRICS */
    readonly metrics?: MetricsRecorder;
  }) =>
  async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
    const presented = presentedToken({
      query: event.queryStringParameters ?? {},
      headers: lowerCaseHeaders(event.headers),
    });
    if (presented.token === undefined) {
      logger.info('connection refused', { reason: 'token_missing' });
      metrics.upgradeRefused('token_missing');
      throw new Error('Unauthorized');
    }
    const verdict = await verifier.verify(presented.token);
    if (!verdict.ok) {
      logger.info('connection refused', { reason: verdict.error.code, carrier: presented.carrier });
      metrics.upgradeRefused(verdict.error.code);
      return policy('anonymous', 'Deny', event.methodArn);
    }
    const { userId, channels } = verdict.value;
    logger.info('connection allowed', { userId, carrier: presented.carrier });
    return {
      ...policy(userId, 'Allow', event.methodArn),
      context: { userId, channels: JSON.stringify(channels), protocol: presented.protocol ?? '' },
    };
  };

export { makeAuthorizerHandler };
