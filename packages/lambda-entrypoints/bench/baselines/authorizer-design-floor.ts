// Not a baseline: the least any $connect authorizer on Herald's design card
// loads and does at init. jose verifying, an inversify container resolving
// it (with reflect-metadata's lite polyfill, which inversify imports), and a
// Powertools Logger that logs each verdict. No settings table, no metrics, no
// key sources. The cold-import benchmark sets it against the jose-only
// handler (authorizer.ts), with a static secret, to show how far below 1.3×
// that pair can go at all.
import 'reflect-metadata/lite';
import { Logger } from '@aws-lambda-powertools/logger';
import { Container } from 'inversify';
import { jwtVerify } from 'jose';

type Verify = (token: string) => ReturnType<typeof jwtVerify>;

const container = new Container({ defaultScope: 'Singleton' });
container.bind('Logger').toConstantValue(new Logger({ serviceName: 'herald' }));
container
  .bind('Key')
  .toConstantValue(new TextEncoder().encode(process.env.HERALD_JWT_SECRET ?? ''));
container.bind<Verify>('Verify').toResolvedValue(
  (key: Uint8Array): Verify =>
    (token) =>
      jwtVerify(token, key, { algorithms: ['HS256'] }),
  ['Key'],
);
const verify = container.get<Verify>('Verify');
const logger = container.get<Logger>('Logger');

const handler = async (event: {
  queryStringParameters?: Record<string, string>;
  methodArn: string;
}) => {
  const { payload } = await verify(event.queryStringParameters?.authorization ?? '');
  logger.info('connection allowed', { userId: payload.sub });
  return {
    principalId: String(payload.sub),
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
    },
  };
};

export { handler };
