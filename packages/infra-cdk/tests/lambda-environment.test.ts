import { type LambdaHandlerName, namesReadBy, SETTINGS } from '@herald/settings';
import { App, Stack } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import type { HeraldJwtProps } from '../src/herald-jwt-props.js';
import { type LambdaEnvironmentInputs, lambdaEnvironments } from '../src/lambda-environment.js';

const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:herald-AbCdEf';

const inputs = (jwt: HeraldJwtProps): LambdaEnvironmentInputs => ({
  connectionsTableName: 'connections',
  presenceTableName: 'presence',
  historyTableName: 'history',
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

  it('gives every handler but the authorizer both tables, and the authorizer none', () => {
    const environments = lambdaEnvironments(inputs({ jwksUrl: 'https://issuer.example/jwks' }));

    for (const [name, environment] of Object.entries(environments)) {
      if (name === 'authorizer') {
        expect(environment).not.toHaveProperty('HERALD_CONNECTIONS_TABLE');
        expect(environment).not.toHaveProperty('HERALD_PRESENCE_TABLE');
        continue;
      }
      expect(environment).toMatchObject({
        HERALD_CONNECTIONS_TABLE: 'connections',
        HERALD_PRESENCE_TABLE: 'presence',
      });
    }
  });

  it('gives each function only the settings its handler reads, by the settings table', () => {
    const environments = lambdaEnvironments(inputs({ jwksUrl: 'https://issuer.example/jwks' }));

    for (const [name, environment] of Object.entries(environments)) {
      const entry = name === 'presenceQuery' ? 'presence-query' : name;
      const read = namesReadBy(entry as LambdaHandlerName).map((setting) => SETTINGS[setting].env);
      const herald = Object.keys(environment).filter((key) => key.startsWith('HERALD_'));
      expect(herald.length).toBeGreaterThan(0);
      for (const variable of herald) expect(read).toContain(variable);
    }
  });

  it('passes required claims and a lifetime limit to the authorizer, "none" for no claims', () => {
    const some = lambdaEnvironments(
      inputs({
        jwksUrl: 'https://issuer.example/jwks',
        requiredClaims: ['exp', 'iat'],
        maxLifetimeSeconds: 3600,
      }),
    );
    const none = lambdaEnvironments(
      inputs({ jwksUrl: 'https://issuer.example/jwks', requiredClaims: [] }),
    );

    expect(some.authorizer).toMatchObject({
      HERALD_JWT_REQUIRED_CLAIMS: 'exp,iat',
      HERALD_JWT_MAX_LIFETIME_SECONDS: '3600',
    });
    expect(none.authorizer).toMatchObject({ HERALD_JWT_REQUIRED_CLAIMS: 'none' });
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
