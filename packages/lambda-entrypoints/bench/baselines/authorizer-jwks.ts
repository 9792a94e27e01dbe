// Hand-written $connect authorizer verifying against an identity provider's
// JWKS, as the construct deploys one given `jwt.jwksUrl`: jose's remote key
// set is created at init and fetched at the first verification.
import { createRemoteJWKSet, jwtVerify } from 'jose';

const keys = createRemoteJWKSet(new URL(process.env.HERALD_JWKS_URL ?? ''));

const handler = async (event: {
  queryStringParameters?: Record<string, string>;
  methodArn: string;
}) => {
  const token = event.queryStringParameters?.authorization ?? '';
  const { payload } = await jwtVerify(token, keys, { algorithms: ['RS256'] });
  return {
    principalId: String(payload.sub),
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
    },
  };
};

export { handler };
