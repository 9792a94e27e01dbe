// Hand-written $connect authorizer: what a developer writes without Herald.
import { jwtVerify } from 'jose';

const key = new TextEncoder().encode(process.env.HERALD_JWT_SECRET ?? '');

const handler = async (event: {
  queryStringParameters?: Record<string, string>;
  methodArn: string;
}) => {
  const token = event.queryStringParameters?.authorization ?? '';
  const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] });
  return {
    principalId: String(payload.sub),
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
    },
  };
};

export { handler };
