import { Logger } from '@aws-lambda-powertools/logger';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { StaticKeySource, SystemClock } from '@herald/adapters-node';
import { type OutboundEvent, TokenVerifier } from '@herald/domain';
import { waitFor } from '@herald/domain/testing';
import { type JWTPayload, SignJWT } from 'jose';
import { inject } from 'vitest';
import { WebSocket } from 'ws';
import { createHeraldServer, type HeraldServerOptions } from '../src/index.js';

const SECRET = 'test-secret-that-is-at-least-32-bytes-long';
const BACKEND_KEY = 'backend-key-for-tests';

const token = (
  claims: JWTPayload & { sub?: string } = {},
  secret = SECRET,
  expiresIn: string | number = '1h',
) =>
  new SignJWT({ channels: ['*'], ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub ?? 'user-1')
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));

/** A started server on a free loopback port, with the events it published. */
const startServer = async (options: Partial<HeraldServerOptions> = {}) => {
  const verifier = new TokenVerifier(StaticKeySource.fromSecret(SECRET), new SystemClock(), {
    algorithms: ['HS256'],
  });
  const server = createHeraldServer({
    port: 0,
    verifier,
    backendKey: BACKEND_KEY,
    logger: new Logger({ serviceName: 'herald-test', logLevel: 'SILENT' }),
    ...options,
  });
  const events: OutboundEvent[] = [];
  server.onEvent((event) => events.push(event));
  const address = await server.start();
  return { server, events, ...address, wsUrl: address.url.replace(/^http/, 'ws') };
};

/** A connected client that records what it receives. */
interface Client {
  readonly socket: WebSocket;
  readonly received: string[];
  /** Resolves with the next `count` messages after those already taken. */
  next(count?: number): Promise<string[]>;
  json(): Promise<unknown>;
  closed: Promise<{ code: number; reason: string }>;
  /** Sends a frame (objects are JSON-encoded). */
  send(frame: unknown): void;
  /** Sends a ping and resolves once its pong arrived; every frame sent before it has been handled. */
  roundTrip(): Promise<void>;
  close(): Promise<void>;
}

const connect = (
  url: string,
  options: { protocols?: string[]; headers?: Record<string, string> } = {},
) =>
  new Promise<Client>((resolve, reject) => {
    const socket = new WebSocket(url, options.protocols ?? [], { headers: options.headers ?? {} });
    const received: string[] = [];
    let taken = 0;
    const closed = new Promise<{ code: number; reason: string }>((done) =>
      socket.on('close', (code, reason) => done({ code, reason: reason.toString() })),
    );
    socket.on('message', (data) => received.push(data.toString()));
    socket.on('unexpected-response', (_request, response) => {
      reject(
        Object.assign(new Error(`refused with ${response.statusCode}`), {
          status: response.statusCode,
        }),
      );
    });
    socket.on('error', reject);
    const next = async (count = 1) => {
      const messages = await waitFor(
        () => (received.length >= taken + count ? received.slice(taken, taken + count) : undefined),
        {
          what: `${count} message(s)`,
        },
      );
      taken += count;
      return messages;
    };
    const client: Client = {
      socket,
      received,
      next,
      json: async () => JSON.parse((await next(1))[0] as string),
      closed,
      send: (frame) => socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
      roundTrip: async () => {
        socket.send('{"action":"ping"}');
        await waitFor(
          () => (received.slice(taken).some((m) => m.includes('"pong"')) ? true : undefined),
          { what: 'pong' },
        );
        taken = received.length;
      },
      close: async () => {
        socket.close();
        await closed;
      },
    };
    socket.on('open', () => resolve(client));
  });

/** Status the server refused an upgrade with. */
const refusal = async (
  url: string,
  options: { protocols?: string[]; headers?: Record<string, string> } = {},
) => {
  try {
    const client = await connect(url, options);
    await client.close();
    return 101;
  } catch (error) {
    return (error as { status?: number }).status ?? 0;
  }
};

/** POSTs JSON with the backend key, another key, or (null) none. */
const post = (url: string, body: unknown, key: string | null = BACKEND_KEY) =>
  fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key === null ? {} : { authorization: `Bearer ${key}` }),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

export type { Client };

/** Every message that reached a queue so far, read and deleted as it comes. */
const queueCollector = (sqs: SQSClient, queueUrl: string) => {
  const seen: { body: string; attributes: Record<string, string> }[] = [];
  const poll = async () => {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
      }),
    );
    for (const m of Messages) {
      seen.push({
        body: m.Body ?? '',
        attributes: Object.fromEntries(
          Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue ?? '']),
        ),
      });
    }
    if (Messages.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
  };
  return {
    until: <T>(
      probe: (
        seen: readonly { body: string; attributes: Record<string, string> }[],
      ) => T | undefined,
      what: string,
    ) =>
      waitFor(
        async () => {
          await poll();
          return probe(seen);
        },
        { timeoutMs: 15_000, intervalMs: 100, what },
      ),
  };
};

/**
 * The standard SDK variables pointing at the emulators the global setup
 * started, exactly as a deployment would set them (with dummy credentials).
 */
const emulatorEnvironment = () => ({
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
  AWS_SECRET_ACCESS_KEY: 'local-secret',
  AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
  AWS_ENDPOINT_URL_SNS: inject('fauxqsEndpoint'),
  AWS_ENDPOINT_URL_SQS: inject('fauxqsEndpoint'),
});

export {
  BACKEND_KEY,
  connect,
  emulatorEnvironment,
  post,
  queueCollector,
  refusal,
  SECRET,
  startServer,
  token,
};
