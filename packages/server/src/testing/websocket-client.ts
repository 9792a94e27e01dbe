// A WebSocket client for tests of any host of Herald's client protocol: the
// embedded server, or the local API Gateway in front of the Lambda handlers.
import { waitFor } from '@herald/domain/testing';
import { type JWTPayload, SignJWT } from 'jose';
import { WebSocket } from 'ws';

/** The HMAC secret test tokens are signed with unless told otherwise. */
const TEST_SECRET = 'test-secret-that-is-at-least-32-bytes-long';

/** An HS256 client token: user `user-1` and every channel unless the claims say otherwise. */
const signTestToken = (
  claims: JWTPayload & { sub?: string } = {},
  secret = TEST_SECRET,
  expiresIn: string | number = '1h',
) =>
  new SignJWT({ channels: ['*'], ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub ?? 'user-1')
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));

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

/** Opens a connection; rejects with the HTTP `status` when the upgrade is refused. */
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

/** Status the host refused an upgrade with (101 when it accepted it). */
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

export type { Client };
export { connect, refusal, signTestToken, TEST_SECRET };
