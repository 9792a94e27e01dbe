import { marshall } from '@aws-sdk/util-dynamodb';
import {
  InMemoryConnectionGateway,
  InMemoryConnectionStore,
  InMemoryEventPublisher,
  InMemoryPresenceStore,
} from '@herald/adapters-memory';
import { StaticKeySource, SystemClock } from '@herald/adapters-node';
import {
  type BroadcastShard,
  type ContinuationMessage,
  encodeDeadLetterMessage,
  type InboundError,
} from '@herald/domain';
import type { Container } from 'inversify';
import { SignJWT } from 'jose';
import {
  type AdapterBinder,
  createContainer,
  type LambdaConfig,
  loadConfig,
  servicesOf,
  TOKENS,
  type WebSocketEvent,
} from '../src/index.js';

const SECRET = 'lambda-test-secret-of-at-least-32-bytes';

/** The composition root with memory adapters: one gateway, one store, a recording shard queue. */
const testServices = (env: Record<string, string> = {}) => {
  const clock = new SystemClock();
  const gateway = new InMemoryConnectionGateway();
  const publisher = new InMemoryEventPublisher();
  const store = new InMemoryConnectionStore(clock);
  const enqueued: { request: unknown; shard: BroadcastShard }[] = [];
  const carried: ContinuationMessage[] = [];
  /** The dead letters set aside, as their bodies go onto the queue. */
  const deadLetters: string[] = [];
  const bind: AdapterBinder = (container: Container) => {
    container.bind(TOKENS.Clock).toConstantValue(clock);
    container.bind(TOKENS.ConnectionStore).toConstantValue(store);
    container.bind(TOKENS.PresenceStore).toConstantValue(new InMemoryPresenceStore());
    container.bind(TOKENS.EventPublisher).toConstantValue(publisher);
    container.bind(TOKENS.KeySource).toConstantValue(StaticKeySource.fromSecret(SECRET));
    container.bind(TOKENS.GatewayFor).toConstantValue(() => gateway);
    container.bind(TOKENS.ShardQueue).toConstantValue({
      enqueue: async (request: unknown, shards: readonly BroadcastShard[]) => {
        for (const shard of shards) enqueued.push({ request, shard });
      },
      carry: async (continuations: readonly ContinuationMessage[]) => {
        carried.push(...continuations);
      },
      deadLetter: async (body: string, reason: InboundError) => {
        deadLetters.push(encodeDeadLetterMessage(body, reason));
      },
    });
  };
  const config: LambdaConfig = loadConfig({
    HERALD_JWT_SECRET: SECRET,
    HERALD_MANAGEMENT_ENDPOINT: 'https://abc.execute-api.us-east-1.amazonaws.com/test',
    HERALD_BROADCAST_SHARDS: '3',
    ...env,
  });
  return {
    services: servicesOf(createContainer(config, bind)),
    gateway,
    publisher,
    store,
    enqueued,
    carried,
    deadLetters,
  };
};

const token = (claims: Record<string, unknown> = {}, expiresIn: string | number = '1h') =>
  new SignJWT({ channels: ['room-1'], ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject((claims.sub as string | undefined) ?? 'user-1')
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(SECRET));

/** A WebSocket route event as API Gateway sends it. */
const wsEvent = (
  routeKey: string,
  connectionId: string,
  body?: unknown,
  extra: { authorizer?: Record<string, string>; headers?: Record<string, string> } = {},
): WebSocketEvent =>
  ({
    requestContext: {
      routeKey,
      eventType:
        routeKey === '$connect' ? 'CONNECT' : routeKey === '$disconnect' ? 'DISCONNECT' : 'MESSAGE',
      connectionId,
      domainName: 'abc.execute-api.us-east-1.amazonaws.com',
      stage: 'test',
      requestTimeEpoch: 1_700_000_000_000,
      ...(extra.authorizer ? { authorizer: extra.authorizer } : {}),
    },
    ...(extra.headers ? { headers: extra.headers } : {}),
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    isBase64Encoded: false,
  }) as unknown as WebSocketEvent;

/** A DynamoDB stream record of a connection item, as Lambda delivers it. */
const streamRecord = (
  eventName: 'INSERT' | 'REMOVE',
  connectionId: string,
  userId: string,
  sequence: string,
) => {
  const now = Date.now();
  const image = marshall({
    pk: `conn#${connectionId}`,
    sk: 'conn',
    connectionId,
    userId,
    connectedAt: now,
    expiresAt: now + 600_000,
  });
  return {
    eventID: sequence,
    eventName,
    eventSource: 'aws:dynamodb',
    dynamodb: {
      SequenceNumber: sequence,
      ApproximateCreationDateTime: 1_700_000_000,
      ...(eventName === 'INSERT' ? { NewImage: image } : { OldImage: image }),
    },
  };
};

const lambdaContext = () =>
  ({
    functionName: 'test',
    awsRequestId: 'req-1',
    getRemainingTimeInMillis: () => 30_000,
  }) as never;

export { lambdaContext, SECRET, streamRecord, testServices, token, wsEvent };
