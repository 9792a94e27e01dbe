import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  type _Record,
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  DEFAULT_IDENTITY_SOURCE,
  MAX_REQUEST_BYTES,
  missingIdentitySource,
  PayloadTooLargeError,
  parseInboundNotification,
  portableJsonText,
  UnauthorizedError,
  wireError,
} from '@herald/domain';
import {
  bearerOf,
  createUpgrader,
  keyMatches,
  LiveConnection,
  logSocketError,
  MANAGEMENT_ROUTE,
  readBody,
  rejectUpgrade,
  type SocketErrorLog,
  sendJson,
  serveManagementApi,
  WsConnectionGateway,
} from '@herald/server/host';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEventV2,
  APIGatewayProxyResultV2,
  APIGatewayRequestAuthorizerEvent,
  Context,
  DynamoDBBatchResponse,
  DynamoDBStreamEvent,
  SNSEvent,
  SQSBatchResponse,
  SQSEvent,
} from 'aws-lambda';
import type { RawData, WebSocket } from 'ws';

type WebSocketHandler = (event: never) => Promise<APIGatewayProxyResultV2>;

/** The Lambda handlers API Gateway and the event sources invoke. */
interface LambdaHandlers {
  readonly authorizer: (
    event: APIGatewayRequestAuthorizerEvent,
  ) => Promise<APIGatewayAuthorizerResult>;
  readonly connect: WebSocketHandler;
  readonly disconnect: WebSocketHandler;
  /** ping, send, publish, subscribe, unsubscribe and $default. */
  readonly actions: WebSocketHandler;
  readonly notifications?: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
  /** The input topic's subscriber. */
  readonly notificationsTopic?: (event: SNSEvent, context: Context) => Promise<void>;
  readonly presence?: (
    event: DynamoDBStreamEvent,
    context: Context,
  ) => Promise<DynamoDBBatchResponse>;
  /** `GET /presence` on the presence HTTP API. */
  readonly presenceQuery?: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyResultV2>;
}

interface LambdaEmulationOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0, a free port */
  readonly port?: number;
  /** @default 'local' */
  readonly stage?: string;
  /**
   * The authorizer's identity sources: an upgrade that lacks one is refused
   * 401 before the authorizer runs, as API Gateway does. `[]` requires none
   * (every token carrier then reaches the authorizer).
   * @default DEFAULT_IDENTITY_SOURCE, the deployed stack's (`?authorization=`)
   */
  readonly identitySource?: readonly string[];
  /**
   * The backends' side, on the same port: `POST /notifications` sends the
   * body to the notifications queue, as a backend would (after checking it
   * parses, so a bad request is answered 400 at once), and `GET /presence`
   * runs the presence query handler, as the presence HTTP API does. Both
   * take `Authorization: Bearer` with this key (the deployed stack takes
   * SigV4 on the HTTP API, and IAM on the queue). @default no backend routes
   */
  readonly backendApi?: {
    readonly backendKey: string;
    readonly notificationsQueue: { readonly client: SQSClient; readonly queueUrl: string };
    /** Served on `GET /metrics` (Prometheus text format), with the same key. @default no /metrics */
    readonly metrics?: {
      exposition(): Promise<{ readonly contentType: string; readonly body: string }>;
    };
  };
  /** Called once the port is known, so handlers can be given this endpoint as their management endpoint. */
  readonly handlers: (address: {
    readonly url: string;
    readonly managementEndpoint: string;
  }) => LambdaHandlers;
  /** The SQS event source of the notifications handler. */
  readonly notificationsQueue?: {
    readonly client: SQSClient;
    readonly queueUrl: string;
    readonly batchSize?: number;
  };
  /**
   * The input topic's Lambda subscription, emulated through a queue subscribed
   * to the topic without raw delivery: each SNS envelope read from it is handed
   * over as an SNS event, and deleted once the handler has succeeded.
   */
  readonly notificationsTopic?: { readonly client: SQSClient; readonly queueUrl: string };
  /** The DynamoDB Streams event source of the presence handler. */
  readonly connectionsStream?: {
    readonly client: DynamoDBStreamsClient;
    readonly streamArn: string;
    readonly intervalMs?: number;
  };
  /** Told what each notifications batch reported as failed (for logs and tests). */
  readonly onBatch?: (
    source: 'notifications' | 'presence',
    size: number,
    failures: readonly string[],
  ) => void;
  readonly onError?: (where: string, error: unknown) => void;
  /**
   * Where a client socket's errors are logged: a client that breaks the
   * protocol (a message over 32 KB, which API Gateway closes with 1009) at
   * INFO, a dropped connection at DEBUG. @default not logged
   */
  readonly log?: SocketErrorLog;
}

/** The log of an emulation given none. */
const UNLOGGED: SocketErrorLog = { debug() {}, info() {}, warn() {} };

const ROUTES = new Set(['ping', 'send', 'publish', 'subscribe', 'unsubscribe']);
const LIVE = Symbol('herald.emulated-connection');
/** An emulated connection's socket, carrying its LiveConnection. */
type LiveSocket = WebSocket & { [LIVE]: LiveConnection };

/** A Lambda context with the 30 s budget a handler would typically have. */
const lambdaContext = (functionName: string): Context =>
  ({
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  }) as Context;

const routeKeyOf = (body: string): string => {
  try {
    const action = (JSON.parse(body) as { action?: unknown }).action;
    return typeof action === 'string' && ROUTES.has(action) ? action : '$default';
  } catch {
    return '$default';
  }
};

/** A backend route's error status: 413 for a body over the limit, else 500. */
const statusOf = (error: unknown): number => (error instanceof PayloadTooLargeError ? 413 : 500);

const headersOf = (request: IncomingMessage): Record<string, string> =>
  Object.fromEntries(
    Object.entries(request.headers).map(([name, value]) => [
      name,
      Array.isArray(value) ? value.join(', ') : (value ?? ''),
    ]),
  );

/** A Streams client record as Lambda delivers it: creation time in seconds, identity in Lambda's spelling. */
const asLambdaRecord = (record: _Record) => ({
  eventID: record.eventID,
  eventName: record.eventName,
  eventVersion: record.eventVersion,
  eventSource: 'aws:dynamodb',
  awsRegion: record.awsRegion,
  dynamodb: {
    ...record.dynamodb,
    ApproximateCreationDateTime: Math.floor(
      (record.dynamodb?.ApproximateCreationDateTime?.getTime() ?? Date.now()) / 1000,
    ),
  },
  ...(record.userIdentity
    ? {
        userIdentity: {
          type: record.userIdentity.Type,
          principalId: record.userIdentity.PrincipalId,
        },
      }
    : {}),
});

/**
 * API Gateway, SQS event-source mappings and DynamoDB Streams triggers, in
 * one process, in front of Herald's Lambda handlers: the serverless topology
 * on one machine, as serverless-offline does for the Serverless Framework.
 *
 * - A WebSocket upgrade runs the authorizer, then $connect, with API
 *   Gateway-shaped events; frames are routed by `$request.body.action`; a
 *   close runs $disconnect.
 * - `/@connections/{id}` serves the handlers' management API calls against the
 *   live sockets.
 * - The notifications queue is polled and handed over in batches; only the
 *   records a batch did not report as failed are deleted.
 * - The connections table's stream is read and handed to the presence handler
 *   in order; a batch's failed records are handed over again.
 */
const createLambdaEmulation = (options: LambdaEmulationOptions) => {
  const stage = options.stage ?? 'local';
  const identitySource = options.identitySource ?? DEFAULT_IDENTITY_SOURCE;
  const gateway = new WsConnectionGateway();
  const onError = options.onError ?? (() => undefined);
  const log = options.log ?? UNLOGGED;
  const completeUpgrade = createUpgrader(function onSocketError(this: WebSocket, error: Error) {
    logSocketError(log, (this as LiveSocket)[LIVE].connectionId, error);
  });
  let handlers: LambdaHandlers | undefined;
  let domainName = '';
  let stopped = false;
  const pollers: Promise<void>[] = [];
  const abort = new AbortController();

  const requestContext = (connectionId: string, routeKey: string, eventType: string) => ({
    routeKey,
    eventType,
    connectionId,
    domainName,
    stage,
    apiId: 'local',
    requestId: randomUUID(),
    messageId: randomUUID(),
    requestTimeEpoch: Date.now(),
    connectedAt: Date.now(),
  });

  const upgrade = async (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (stopped || handlers === undefined) return rejectUpgrade(socket, 503, 'Service Unavailable');
    if (url.pathname !== '/' && url.pathname !== `/${stage}`)
      return rejectUpgrade(socket, 404, 'Not Found');
    const connectionId = randomBytes(11).toString('base64').slice(0, 15).concat('=');
    const headers = headersOf(request);
    const queryStringParameters = Object.fromEntries(url.searchParams);
    if (missingIdentitySource(identitySource, { query: queryStringParameters, headers }))
      return rejectUpgrade(socket, 401, 'Unauthorized');
    let authorized: APIGatewayAuthorizerResult;
    try {
      authorized = await handlers.authorizer({
        type: 'REQUEST',
        methodArn: `arn:aws:execute-api:local:000000000000:local/${stage}/$connect`,
        headers,
        queryStringParameters,
        requestContext: requestContext(connectionId, '$connect', 'CONNECT'),
      } as unknown as APIGatewayRequestAuthorizerEvent);
    } catch (error) {
      if ((error as Error).message === 'Unauthorized')
        return rejectUpgrade(socket, 401, 'Unauthorized');
      onError('authorizer', error);
      return rejectUpgrade(socket, 500, 'Internal Server Error');
    }
    if (authorized.policyDocument.Statement.some((s) => s.Effect === 'Deny'))
      return rejectUpgrade(socket, 403, 'Forbidden');
    const connected = (await handlers.connect({
      requestContext: {
        ...requestContext(connectionId, '$connect', 'CONNECT'),
        authorizer: { principalId: authorized.principalId, ...authorized.context },
      },
      headers,
      queryStringParameters,
      isBase64Encoded: false,
    } as never)) as { statusCode?: number; headers?: Record<string, string> };
    if ((connected.statusCode ?? 200) !== 200)
      return rejectUpgrade(socket, connected.statusCode ?? 500, 'Forbidden');
    const protocol = connected.headers?.['Sec-WebSocket-Protocol'];
    completeUpgrade(request, socket, head, protocol, (ws) => accept(ws, connectionId, request));
  };

  const accept = (socket: WebSocket, connectionId: string, request: IncomingMessage) => {
    const live = new LiveConnection({
      connectionId,
      userId: '',
      socket,
      connectedAt: Date.now(),
      protocol: undefined,
      sourceIp: request.socket.remoteAddress,
      userAgent: request.headers['user-agent'],
      authorizedUntil: undefined,
    });
    gateway.add(live);
    (socket as LiveSocket)[LIVE] = live;
    socket.on('message', (data: RawData) => {
      live.lastActiveAt = Date.now();
      const body = data.toString();
      const routeKey = routeKeyOf(body);
      live.queue = live.queue
        .then(() =>
          handlers?.actions({
            requestContext: requestContext(connectionId, routeKey, 'MESSAGE'),
            body,
            isBase64Encoded: false,
          } as never),
        )
        .then(
          () => undefined,
          (error) => onError(routeKey, error),
        );
    });
    socket.on('close', () => {
      gateway.remove(connectionId);
      live.queue = live.queue
        .then(() =>
          handlers?.disconnect({
            requestContext: requestContext(connectionId, '$disconnect', 'DISCONNECT'),
            isBase64Encoded: false,
          } as never),
        )
        .then(
          () => undefined,
          (error) => onError('$disconnect', error),
        );
    });
  };

  const pollNotifications = async (
    source: NonNullable<LambdaEmulationOptions['notificationsQueue']>,
  ) => {
    const context = lambdaContext('herald-notifications');
    while (!abort.signal.aborted) {
      try {
        const { Messages = [] } = await source.client.send(
          new ReceiveMessageCommand({
            QueueUrl: source.queueUrl,
            MaxNumberOfMessages: source.batchSize ?? 10,
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: abort.signal },
        );
        if (Messages.length === 0 || handlers?.notifications === undefined) continue;
        const event = {
          Records: Messages.map((m) => ({
            messageId: m.MessageId ?? '',
            receiptHandle: m.ReceiptHandle ?? '',
            body: m.Body ?? '',
            attributes: m.Attributes ?? {},
            messageAttributes: m.MessageAttributes ?? {},
            md5OfBody: m.MD5OfBody ?? '',
            eventSource: 'aws:sqs',
            eventSourceARN: `arn:aws:sqs:local:000000000000:${source.queueUrl.split('/').pop()}`,
            awsRegion: 'local',
          })),
        } as unknown as SQSEvent;
        const result = await handlers.notifications(event, context);
        const failed = new Set((result?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
        options.onBatch?.('notifications', Messages.length, [...failed]);
        const done = Messages.filter((m) => !failed.has(m.MessageId ?? ''));
        if (done.length > 0) {
          await source.client.send(
            new DeleteMessageBatchCommand({
              QueueUrl: source.queueUrl,
              Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
            }),
          );
        }
      } catch (error) {
        if (!abort.signal.aborted) onError('notifications', error);
      }
    }
  };

  const pollTopic = async (source: NonNullable<LambdaEmulationOptions['notificationsTopic']>) => {
    const context = lambdaContext('herald-notifications-topic');
    while (!abort.signal.aborted) {
      try {
        const { Messages = [] } = await source.client.send(
          new ReceiveMessageCommand({
            QueueUrl: source.queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
          }),
          { abortSignal: abort.signal },
        );
        for (const message of Messages) {
          if (handlers?.notificationsTopic === undefined) continue;
          const envelope = JSON.parse(message.Body ?? '{}') as {
            Message?: string;
            MessageId?: string;
            TopicArn?: string;
          };
          try {
            await handlers.notificationsTopic(
              {
                Records: [
                  {
                    EventSource: 'aws:sns',
                    EventVersion: '1.0',
                    EventSubscriptionArn: `${envelope.TopicArn}:local`,
                    Sns: { ...envelope, Message: envelope.Message ?? '' },
                  },
                ],
              } as unknown as SNSEvent,
              context,
            );
            await source.client.send(
              new DeleteMessageBatchCommand({
                QueueUrl: source.queueUrl,
                Entries: [{ Id: '0', ReceiptHandle: message.ReceiptHandle }],
              }),
            );
          } catch (error) {
            onError('notifications-topic', error);
          }
        }
      } catch (error) {
        if (!abort.signal.aborted) onError('notifications-topic', error);
      }
    }
  };

  const pollStream = async (source: NonNullable<LambdaEmulationOptions['connectionsStream']>) => {
    const context = lambdaContext('herald-presence');
    const iterators = new Map<string, string | undefined>();
    let pending: ReturnType<typeof asLambdaRecord>[] = [];
    const openShards = async () => {
      const { StreamDescription } = await source.client.send(
        new DescribeStreamCommand({ StreamArn: source.streamArn }),
      );
      for (const shard of StreamDescription?.Shards ?? []) {
        const { ShardIterator } = await source.client.send(
          new GetShardIteratorCommand({
            StreamArn: source.streamArn,
            ShardId: shard.ShardId,
            ShardIteratorType: 'LATEST',
          }),
        );
        iterators.set(shard.ShardId ?? '', ShardIterator);
      }
    };
    // Until the stream can be read, say why and try again, rather than stop the process.
    while (!abort.signal.aborted && iterators.size === 0) {
      try {
        await openShards();
      } catch (error) {
        onError('presence (opening the stream)', error);
        await new Promise((resolve) => setTimeout(resolve, 1000).unref());
      }
    }
    while (!abort.signal.aborted) {
      try {
        for (const [shardId, iterator] of iterators) {
          if (iterator === undefined) continue;
          const result = await source.client.send(
            new GetRecordsCommand({ ShardIterator: iterator }),
          );
          iterators.set(shardId, result.NextShardIterator);
          pending.push(...(result.Records ?? []).map(asLambdaRecord));
        }
        if (pending.length > 0 && handlers?.presence !== undefined) {
          const result = await handlers.presence(
            { Records: pending } as unknown as DynamoDBStreamEvent,
            context,
          );
          const failures = (result?.batchItemFailures ?? []).map((f) => f.itemIdentifier);
          options.onBatch?.('presence', pending.length, failures);
          const firstFailed = pending.findIndex((r) =>
            failures.includes(r.dynamodb.SequenceNumber ?? ''),
          );
          pending = firstFailed === -1 ? [] : pending.slice(firstFailed);
        }
      } catch (error) {
        if (!abort.signal.aborted) onError('presence', error);
      }
      await new Promise((resolve) => setTimeout(resolve, source.intervalMs ?? 100).unref());
    }
  };

  const serveBackend = async (
    api: NonNullable<LambdaEmulationOptions['backendApi']>,
    route: string,
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
  ): Promise<void> => {
    if (!keyMatches(bearerOf(request), api.backendKey)) {
      request.resume();
      return sendJson(
        response,
        401,
        { error: wireError(new UnauthorizedError()) },
        {
          'www-authenticate': 'Bearer',
        },
      );
    }
    if (route === 'POST /notifications') {
      const body = await readBody(request, MAX_REQUEST_BYTES);
      const parsed = parseInboundNotification(body);
      if (!parsed.ok) return sendJson(response, 400, { error: wireError(parsed.error) });
      // As the backend sent it, but for U+FFFE and U+FFFF, which SQS refuses raw.
      const sent = await api.notificationsQueue.client.send(
        new SendMessageCommand({
          QueueUrl: api.notificationsQueue.queueUrl,
          MessageBody: portableJsonText(body.toString('utf8')),
        }),
      );
      return sendJson(response, 202, { queued: true, messageId: sent.MessageId });
    }
    if (route === 'GET /metrics' && api.metrics !== undefined) {
      const { contentType, body } = await api.metrics.exposition();
      response.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
      return void response.end(body);
    }
    const answer = await handlers?.presenceQuery?.({
      version: '2.0',
      routeKey: 'GET /presence',
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      queryStringParameters: Object.fromEntries(url.searchParams),
      headers: headersOf(request),
      isBase64Encoded: false,
    } as unknown as APIGatewayProxyEventV2);
    if (answer === undefined || typeof answer === 'string')
      return sendJson(response, 404, { message: 'Not Found' });
    response.writeHead(answer.statusCode ?? 200, answer.headers as Record<string, string>);
    response.end(answer.body ?? '');
  };

  const http: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const management = MANAGEMENT_ROUTE.exec(url.pathname);
    if (management !== null) {
      serveManagementApi(request, response, management[1] ?? '', {
        gateway,
        access: 'loopback',
      }).catch((error) => {
        onError('management API', error);
        if (!response.headersSent) sendJson(response, 500, { message: 'Internal Server Error' });
      });
      return;
    }
    if (url.pathname === '/healthz')
      return sendJson(response, 200, { status: 'ok', connections: gateway.size });
    const route = `${request.method ?? 'GET'} ${url.pathname}`;
    const api = options.backendApi;
    const backendRoutes = ['POST /notifications', 'GET /presence', 'GET /metrics'];
    if (api !== undefined && backendRoutes.includes(route)) {
      serveBackend(api, route, request, response, url).catch((error) => {
        if (statusOf(error) === 500) onError(route, error);
        if (!response.headersSent) sendJson(response, statusOf(error), { error: wireError(error) });
      });
      return;
    }
    sendJson(response, 404, { message: 'Not Found' });
  });
  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    upgrade(request, socket, head).catch((error) => {
      onError('$connect', error);
      rejectUpgrade(socket, 500, 'Internal Server Error');
    });
  });

  return {
    async start() {
      await new Promise<void>((resolve) =>
        http.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
      );
      const address = http.address() as AddressInfo;
      domainName = `${address.address}:${address.port}`;
      const url = `http://${domainName}`;
      handlers = options.handlers({ url, managementEndpoint: `${url}/${stage}` });
      if (options.notificationsQueue) pollers.push(pollNotifications(options.notificationsQueue));
      if (options.connectionsStream) pollers.push(pollStream(options.connectionsStream));
      if (options.notificationsTopic) pollers.push(pollTopic(options.notificationsTopic));
      return { url, wsUrl: `ws://${domainName}/${stage}`, port: address.port };
    },
    async stop() {
      stopped = true;
      abort.abort();
      for (const live of gateway.connections())
        live.socket.close(1001, 'Going away: server shutting down');
      await Promise.allSettled(pollers);
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
    get connectionCount() {
      return gateway.size;
    },
  };
};

export type { LambdaEmulationOptions, LambdaHandlers };
export { createLambdaEmulation };
