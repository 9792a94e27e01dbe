import { App, Stack } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import type { HeraldJwtProps } from '../src/herald-jwt-props.js';
import { type LambdaEnvironmentInputs, lambdaEnvironments } from '../src/lambda-environment.js';

const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:herald-AbCdEf';

const inputs = (jwt: HeraldJwtProps): LambdaEnvironmentInputs => ({
  connectionsTableName: 'connections',
  presenceTableName: 'presence',
  jwt,
  outputTopicArn: 'arn:aws:sns:eu-west-1:123456789012:output',
  outputQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/output',
  notificationsQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/input',
  managementEndpoint: 'https://abc.execute-api.eu-west-1.amazonaws.com/prod',
  broadcastShards: 8,
});

describe('lambdaEnvironments', () => {
  it('gives the token checks to the authorizer only, and the secret by its ARN', () => {
    const secret = Secret.fromSecretCompleteArn(new Stack(new App(), 'Env'), 'Secret', secretArn);

    const environments = lambdaEnvironments(
      inputs({ secret, issuer: 'https://issuer.example', audiences: ['a', 'b'] }),
    );

    expect(environments.authorizer).toMatchObject({
      HERALD_JWT_SECRET_ARN: secretArn,
      HERALD_JWT_ISSUER: 'https://issuer.example',
      HERALD_JWT_AUDIENCE: 'a,b',
    });
    for (const [name, environment] of Object.entries(environments)) {
      if (name === 'authorizer') continue;
      expect(Object.keys(environment).filter((key) => key.startsWith('HERALD_JWT'))).toEqual([]);
    }
  });

  it('gives every handler both tables', () => {
    const environments = lambdaEnvironments(inputs({ jwksUrl: 'https://issuer.example/jwks' }));

    for (const environment of Object.values(environments)) {
      expect(environment).toMatchObject({
        HERALD_CONNECTIONS_TABLE: 'connections',
        HERALD_PRESENCE_TABLE: 'presence',
      });
    }
  });

  it('gives the notifications handler the management endpoint, its queue and the shard count', () => {
    const environments = lambdaEnvironments(inputs({ jwksUrl: 'https://issuer.example/jwks' }));

    expect(environments.notifications).toMatchObject({
      HERALD_MANAGEMENT_ENDPOINT: 'https://abc.execute-api.eu-west-1.amazonaws.com/prod',
      HERALD_NOTIFICATIONS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/input',
      HERALD_BROADCAST_SHARDS: '8',
    });
  });

  it('gives the handlers that publish client messages and presence events the outputs', () => {
    const environments = lambdaEnvironments(inputs({ jwksUrl: 'https://issuer.example/jwks' }));

    for (const environment of [environments.actions, environments.presence]) {
      expect(environment).toMatchObject({
        HERALD_OUTPUT_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:output',
        HERALD_OUTPUT_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/output',
      });
    }
  });
});
