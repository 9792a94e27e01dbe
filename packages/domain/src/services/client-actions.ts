import {
  ConnectionNotFoundError,
  errorFrame,
  HeraldError,
  InternalError,
  OutputUnavailableError,
  StreamNotAllowedError,
  TokenUserMismatchError,
  UnknownActionError,
} from '../errors.js';
import { LIMITS } from '../limits.js';
import type { ClientAction, ClientFrame } from '../model/client-frame.js';
import { envelopeText } from '../model/envelope.js';
import { mayRead, type StreamPosition } from '../model/stream.js';
import type { FrameError } from '../parsing/client-frame-parser.js';
import type { EventPublisher } from '../ports/event-publisher.js';
import type { Result } from '../result.js';
import type { ConnectionRegistry } from './connection-registry.js';
import type { NotificationHistory } from './notification-history.js';
import type { TokenVerifier } from './token-verifier.js';

/** The connection a frame came in on, as its transport knows it. */
interface ClientConnection {
  readonly connectionId: string;
  /**
   * The user, when the transport authenticated the connection itself (the
   * embedded server keeps the principal verified at the upgrade). Left out,
   * the service reads it from the registry.
   */
  readonly userId?: string | undefined;
  /**
   * When the registry was last told this connection is alive. The service
   * updates it; a transport that keeps per-connection state between frames
   * keeps it there, so `every-action` refreshes stay throttled.
   */
  lastTouchedAt?: number;
  /** True while a ping's liveness refresh runs after its pong (`answerPing: 'before-refresh'`). */
  refreshing?: boolean;
  /**
   * Sends this connection one frame ahead of the reply: a resume's replayed
   * notifications. The embedded server writes to the socket; the Lambda
   * handler posts through the management API. Called as a method of the
   * connection, so one function can serve every connection.
   */
  deliver?(frame: Uint8Array): Promise<unknown>;
  /**
   * Until when (ms) the connection's token is valid: a `refresh` sets it to
   * the new token's `exp`. A transport that enforces token lifetimes keeps it.
   */
  authorizedUntil?: number;
}

/** Where one resumed stream stands once its entries were replayed. */
interface ResumedStream {
  /** False when the client may have missed entries that are no longer kept (or its epoch is gone). */
  readonly recovered: boolean;
  readonly epoch: string;
  /** The stream's last offset. */
  readonly offset: number;
}

/** What the service answers a frame with. `send` and `publish` answer nothing when they succeed. */
type ClientReply =
  | { readonly type: 'pong'; readonly connectionId: string }
  | { readonly type: 'subscribed'; readonly channel: string }
  | { readonly type: 'unsubscribed'; readonly channel: string }
  | { readonly type: 'resumed'; readonly streams: Readonly<Record<string, ResumedStream>> }
  | { readonly type: 'refreshed'; readonly expiresAt: number | null }
  | ReturnType<typeof errorFrame>;

/** Something a transport may want to log: the reply already says what the client is told. */
interface ClientActionIncident {
  /** `refused`: a Herald error the client caused or can act on; `failed`: anything else. */
  readonly kind: 'refused' | 'failed';
  /**
   * How loud to log it: `error` for a failure or a temporary error (an output
   * or store down), `warn` for a connection the registry does not hold,
   * `info` for a client's own mistake.
   */
  readonly severity: 'error' | 'warn' | 'info';
  readonly connectionId: string;
  /** Undefined when the frame did not parse. */
  readonly action: ClientAction | undefined;
  readonly error: unknown;
}

interface ClientActionsOptions {
  /**
   * When the registry's liveness of a connection is refreshed:
   * - `ping-only`: on `ping` only. For the Lambda handlers, which keep no
   *   state between invocations: refreshing on every action would cost a
   *   store read and write per frame, and clients keep alive with pings.
   * - `every-action`: on `ping` always, and on any other action at most four
   *   times per idle timeout (tracked in `ClientConnection.lastTouchedAt`).
   *   For the embedded server, which closes a socket idle for the idle
   *   timeout whatever the frames were, and so must keep the stored
   *   connection as alive as the socket.
   */
  readonly refreshLiveness: 'ping-only' | 'every-action';
  /**
   * When a ping is answered:
   * - `after-refresh`: once its liveness refresh is stored, so a ping from a
   *   connection the registry does not hold is answered `connection_not_found`,
   *   and one the store cannot take, `store_unavailable`. For the Lambda
   *   handlers, whose invocation is the refresh and ends with it.
   * - `before-refresh`: at once, with its pong; the refresh runs after it (one
   *   at a time per connection: a ping while one runs adds none), and its
   *   failure goes to `onIncident`, to be logged, not answered. For the
   *   embedded server, which holds the socket: a client's liveness probe is
   *   answered even while the store is slow or down.
   * A ping is still answered in turn, after the frames before it.
   * @default 'after-refresh'
   */
  readonly answerPing?: 'after-refresh' | 'before-refresh';
  /** Sets the `every-action` throttle. @default LIMITS.idleTimeoutMs */
  readonly idleTimeoutMs?: number;
  /**
   * Verifies the token of a `refresh`. Without it, `refresh` is answered
   * `unknown_action`, as by a server that does not have it.
   */
  readonly verifier?: TokenVerifier;
  /** Told about every refused or failed frame, for logging. */
  readonly onIncident?: (incident: ClientActionIncident) => void;
  /** The streams' history, which `resume` replays. @default none: `resume` is refused */
  readonly history?: NotificationHistory;
}

/**
 * The client protocol (ping, send, publish, subscribe, unsubscribe, resume, refresh), in one
 * place for every runtime: the embedded server's WebSocket endpoint and the
 * Lambda action handler are transports that parse a frame, call `handle`, and
 * send back the reply, if any.
 *
 * Decided once, here, for every runtime:
 * - **User.** A `send`/`publish` carries the user the transport gives; a
 *   transport that gives none gets the one the registry holds.
 * - **Liveness.** `refreshLiveness` and `answerPing`, options (see there):
 *   the one place the runtimes differ.
 * - **Timestamps.** A forwarded message's `timestamp` is `receivedAt`: when the
 *   frame reached the edge (the embedded server's clock on arrival; API
 *   Gateway's `requestTimeEpoch`), not when it was handled.
 * - **Unregistered connections.** Any action from a connection the registry
 *   does not hold (never registered, removed, or expired) is answered with
 *   `connection_not_found`, and nothing is forwarded; the connection stays open.
 * - **Failures.** A Herald error is answered with its error frame; a failing
 *   output with `output_unavailable`; anything else with `internal_error`. The
 *   connection stays open in every case.
 */
const encoder = new TextEncoder();

class ClientActions {
  private readonly refreshEveryAction: boolean;
  private readonly refreshEveryMs: number;
  private readonly pongFirst: boolean;

  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly publisher: EventPublisher,
    private readonly options: ClientActionsOptions,
  ) {
    this.refreshEveryAction = options.refreshLiveness === 'every-action';
    this.refreshEveryMs = (options.idleTimeoutMs ?? LIMITS.idleTimeoutMs) / 4;
    this.pongFirst = options.answerPing === 'before-refresh';
  }

  /** Handles one frame, as `parseClientFrame` returned it; resolves with the reply to send, if any. */
  async handle(
    connection: ClientConnection,
    frame: Result<ClientFrame, FrameError>,
    receivedAt: number,
  ): Promise<ClientReply | undefined> {
    if (!frame.ok) return this.refuse(connection, undefined, frame.error);
    try {
      return await this.act(connection, frame.value, receivedAt);
    } catch (error) {
      return this.refuse(connection, frame.value.action, error);
    }
  }

  private async act(
    connection: ClientConnection,
    frame: ClientFrame,
    receivedAt: number,
  ): Promise<ClientReply | undefined> {
    const { connectionId } = connection;
    switch (frame.action) {
      case 'ping':
        if (this.pongFirst) this.refreshAfterPong(connection, receivedAt);
        else await this.touch(connection, receivedAt);
        return { type: 'pong', connectionId };
      case 'send':
      case 'publish': {
        await this.keepAlive(connection, receivedAt);
        const userId = connection.userId ?? (await this.registeredUser(connectionId));
        try {
          await this.publisher.publish([
            {
              kind: 'client_message',
              route: frame.action,
              message: frame.message,
              userId,
              connectionId,
              timestamp: receivedAt,
            },
          ]);
        } catch (error) {
          throw new OutputUnavailableError({ cause: error });
        }
        return undefined;
      }
      case 'subscribe':
        await this.keepAlive(connection, receivedAt);
        await this.registry.subscribe(connectionId, frame.channel);
        return { type: 'subscribed', channel: frame.channel };
      case 'unsubscribe':
        await this.keepAlive(connection, receivedAt);
        await this.registry.unsubscribe(connectionId, frame.channel);
        return { type: 'unsubscribed', channel: frame.channel };
      case 'resume':
        await this.keepAlive(connection, receivedAt);
        return { type: 'resumed', streams: await this.resume(connection, frame.streams) };
      case 'refresh':
        return this.refresh(connection, frame.token, receivedAt);
    }
  }

  /**
   * Replays, stream after stream, every retained entry after the client's
   * position, enveloped as live notifications are, then says where each
   * stream stands. Every stream named must be one the connection may read,
   * or nothing is replayed.
   */
  private async resume(
    connection: ClientConnection,
    streams: Readonly<Record<string, StreamPosition>>,
  ): Promise<Record<string, ResumedStream>> {
    const { history } = this.options;
    if (history === undefined || connection.deliver === undefined) {
      // As for refresh without a verifier: here, resume is no action at all.
      throw new UnknownActionError('resume');
    }
    const record = await this.registry.get(connection.connectionId);
    if (record === undefined) throw new ConnectionNotFoundError(connection.connectionId);
    const names = Object.keys(streams);
    const denied = names.find((stream) => !mayRead(record, stream));
    if (denied !== undefined) throw new StreamNotAllowedError(denied);
    const replays = await Promise.all(
      names.map((stream) =>
        history.replay(stream, streams[stream] as StreamPosition, record.userId),
      ),
    );
    const resumed: Record<string, ResumedStream> = {};
    for (const [i, stream] of names.entries()) {
      const { recovered, position, entries } = replays[i] as (typeof replays)[number];
      for (const entry of entries) {
        const text = envelopeText(
          { id: entry.id, stream, position: { epoch: entry.epoch, offset: entry.offset } },
          entry.data,
        );
        await connection.deliver(encoder.encode(text));
      }
      resumed[stream] = { recovered, epoch: position.epoch, offset: position.offset };
    }
    return resumed;
  }

  /**
   * An in-band token refresh: the new token is verified as strictly as at
   * connect and must name the connection's user; then the connection is
   * authorised until the new token's `exp`.
   */
  private async refresh(
    connection: ClientConnection,
    token: string,
    receivedAt: number,
  ): Promise<ClientReply> {
    const { verifier } = this.options;
    if (verifier === undefined) throw new UnknownActionError('refresh');
    await this.keepAlive(connection, receivedAt);
    const verdict = await verifier.verify(token);
    if (!verdict.ok) throw verdict.error;
    const userId = connection.userId ?? (await this.registeredUser(connection.connectionId));
    if (verdict.value.userId !== userId) throw new TokenUserMismatchError();
    const exp = verdict.value.claims.exp;
    const expiresAt = typeof exp === 'number' ? exp * 1000 : null;
    if (expiresAt !== null) connection.authorizedUntil = expiresAt;
    return { type: 'refreshed', expiresAt };
  }

  private async registeredUser(connectionId: string): Promise<string> {
    const record = await this.registry.get(connectionId);
    if (record === undefined) throw new ConnectionNotFoundError(connectionId);
    return record.userId;
  }

  /** Refreshes liveness on an action other than ping, if the option says so and it is due. */
  private async keepAlive(connection: ClientConnection, at: number): Promise<void> {
    if (!this.refreshEveryAction) return;
    const last = connection.lastTouchedAt;
    if (last !== undefined && at - last < this.refreshEveryMs) return;
    await this.touch(connection, at);
  }

  /** A `before-refresh` ping's refresh: not awaited, one at a time, its failure reported, not answered. */
  private refreshAfterPong(connection: ClientConnection, at: number): void {
    if (connection.refreshing === true) return;
    connection.refreshing = true;
    this.touch(connection, at)
      .catch((error: unknown) => {
        this.refuse(connection, 'ping', error);
      })
      .finally(() => {
        connection.refreshing = false;
      });
  }

  private async touch(connection: ClientConnection, at: number): Promise<void> {
    connection.lastTouchedAt = at;
    if (!(await this.registry.touch(connection.connectionId))) {
      throw new ConnectionNotFoundError(connection.connectionId);
    }
  }

  private refuse(
    connection: ClientConnection,
    action: ClientAction | undefined,
    error: unknown,
  ): ClientReply {
    const known = error instanceof HeraldError;
    this.options.onIncident?.({
      kind: known ? 'refused' : 'failed',
      severity:
        !known || error.temporary
          ? 'error'
          : error instanceof ConnectionNotFoundError
            ? 'warn'
            : 'info',
      connectionId: connection.connectionId,
      action,
      error,
    });
    return errorFrame(known ? error : new InternalError({ cause: error }));
  }
}

export type {
  ClientActionIncident,
  ClientActionsOptions,
  ClientConnection,
  ClientReply,
  ResumedStream,
};
export { ClientActions };
