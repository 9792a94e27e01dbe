// Hand-written $connect authorizer whose HMAC secret is kept in Secrets
// Manager, as the construct deploys one given `jwt.secret`: the client is
// created at init, the secret read at the first invocation.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { jwtVerify } from 'jose';

const secrets = new SecretsManagerClient({});
let key: Promise<Uint8Array> | undefined;

const handler = async (event: {
  queryStringParameters?: Record<string, string>;
  methodArn: string;
}) => {
  key ??= secrets
    .send(new GetSecretValueCommand({ SecretId: process.env.HERALD_JWT_SECRET_ARN }))
    .then((secret) => new TextEncoder().encode(secret.SecretString ?? ''));
  const token = event.queryStringParameters?.authorization ?? '';
  const { payload } = await jwtVerify(token, await key, { algorithms: ['HS256'] });
  return {
    principalId: String(payload.sub),
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
    },
  };
};

export { handler };
