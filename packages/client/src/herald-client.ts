import { type BackoffOptions, backoffDelay } from './backoff.js';
import { Emitter } from './emitter.js';
import type { ClientErrorCode, ServerErrorCode } from './error-codes.js';
import { type StreamEntry, type StreamPosition, StreamTracker } from './stream-tracker.js';
import { tokenExpiresAt } from './token-expiry.js';

type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** What the client needs of a WebSocket: the browser's and Node's global one fit. */
interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { readonly data: unknown }) => void) | null;
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

type WebSocketFactory = new (url: string, protocols?: string[]) => WebSocketLike;

/** Timers, as the client uses them; tests pass a fake one. */
interface ClientClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Where stream positions are kept between page loads: `localStorage` and `sessionStorage` fit. */
interface PositionStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

interface HeraldClientOptions {
  /** The WebSocket URL: `wss://…/prod` for the serverless stack, `ws://127.0.0.1:8080` for the embedded server. */
  readonly url: string;
  /** Called before every connection attempt and every in-band refresh; resolves with a JWT. */
  readonly getToken: () => Promise<string>;
  /**
   * How the token reaches the server. `query`: a query parameter (what API
   * Gateway's identity source reads); `subprotocol`: the
   * `Sec-WebSocket-Protocol` offer, which keeps the token out of URLs and
   * access logs (the embedded server). @default 'query'
   */
  readonly carrier?: 'query' | 'subprotocol';
  /** The query parameter of the `query` carrier. @default 'authorization' */
  readonly queryParameter?: string;
  /** Asks for the `herald.v1` envelope (streams, offsets, resume). @default true */
  readonly envelope?: boolean;
  /** Reconnect waits. */
  readonly backoff?: BackoffOptions;
  /** Handshake failures in a row after which a `handshake_failed` error is reported. @default 3 */
  readonly handshakeFailuresToReport?: number;
  /** A ping is sent this often; below API Gateway's 10-minute idle timeout. @default 300000 */
  readonly pingIntervalMs?: number;
  /** A connection that sends nothing for this long after a ping is dead. @default 10000 */
  readonly pongTimeoutMs?: number;
  /** The server's maximum connection age (API Gateway's 2 hours). @default 7200000 */
  readonly maxConnectionAgeMs?: number;
  /** The connection is replaced, make-before-break, this long before its maximum age. @default 300000 */
  readonly renewBeforeMs?: number;
  /** A fresh token is sent in-band this long before the current one expires. @default 60000 */
  readonly refreshBeforeExpiryMs?: number;
  /** Close codes after which the client does not reconnect. @default [1002, 1003, 1007, 1008, 1010] */
  readonly permanentCloseCodes?: readonly number[];
  /** Keeps stream positions across page loads (for example `localStorage`). */
  readonly storage?: PositionStorage;
  /** The storage key. @default 'herald.streams' */
  readonly storageKey?: string;
  /** `send`/`publish` calls kept while disconnected, sent on reconnect. @default 100 */
  readonly maxQueuedMessages?: number;
  /** @default globalThis.WebSocket */
  readonly WebSocket?: WebSocketFactory;
  /** @default Date.now with the global timers */
  readonly clock?: ClientClock;
  /** @default Math.random */
  readonly random?: () => number;
}

/** A notification: the request's `data`, with its stream position when the `herald.v1` envelope is on. */
interface Notification {
  readonly data: unknown;
  readonly stream?: string;
  readonly offset?: number;
  readonly epoch?: string;
  readonly id?: string;
}

interface ClientError {
  readonly code: ServerErrorCode | ClientErrorCode;
  readonly message: string;
  /** True when the same thing may succeed later; the client keeps going either way unless it says it stopped. */
  readonly temporary: boolean;
  /** For `bad_request`: the field that was wrong. */
  readonly field?: string;
}

/** A stream's answer to `resume`. `recovered: false`: notifications were lost; reload the state. */
interface StreamResumed {
  readonly stream: string;
  readonly recovered: boolean;
  readonly epoch: string;
  readonly offset: number;
}

interface HeraldClientEvents {
  notification: Notification;
  state: ConnectionState;
  error: ClientError;
  resumed: StreamResumed;
  subscribed: string;
  unsubscribed: string;
}

/** One WebSocket and its timers. A client holds one, and a second while it replaces the first. */
interface Link {
  readonly socket: WebSocketLike;
  readonly token: string;
  opened: boolean;
  ended: boolean;
  /** Answers still owed to the subscribes and the resume sent on open. */
  owed: number;
  resuming: boolean;
  refreshing: string | undefined;
  timers: unknown[];
  pongTimer: unknown;
}

const OPEN = 1;
const SWITCH_TIMEOUT_MS = 5000;
const SYSTEM_CLOCK: ClientClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * A Herald connection that stays up: it reconnects with full-jitter backoff
 * (a fresh token each time), keeps alive with pings, refreshes its token
 * in-band, replaces itself before the maximum connection age, resubscribes its
 * channels, and resumes its streams, delivering each notification once, in
 * order.
 */
/** The error codes that answer a `subscribe` instead of `subscribed`. */
const REFUSED_SUBSCRIBE = new Set(['channel_not_allowed', 'too_many_channels']);

class HeraldClient extends Emitter<HeraldClientEvents> {
  private readonly options: HeraldClientOptions;
  private readonly clock: ClientClock;
  private readonly tracker: StreamTracker;
  private readonly channels = new Set<string>();
  private readonly queue: string[] = [];
  private current: Link | undefined;
  private next: Link | undefined;
  private status: ConnectionState = 'closed';
  private stopped = true;
  private attempt = 0;
  private handshakeFailures = 0;
  private retryTimer: unknown;
  private resumeSupported = true;
  private refreshSupported = true;
  /** Bumped by `close()`, so an attempt still waiting for its token is dropped. */
  private generation = 0;

  constructor(options: HeraldClientOptions) {
    super();
    this.options = options;
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.tracker = new StreamTracker(this.load());
  }

  get state(): ConnectionState {
    return this.status;
  }

  /** The last position in each stream received, as `resume` sends them. */
  get positions(): Record<string, StreamPosition> {
    return this.tracker.snapshot();
  }

  /** Opens the connection; it stays up until `close()` or a permanent refusal. */
  connect(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt = 0;
    this.setState('connecting');
    void this.open(false);
  }

  /** Closes the connection and stops reconnecting. */
  close(): void {
    this.stopped = true;
    this.generation += 1;
    this.clock.clearTimeout(this.retryTimer);
    for (const link of [this.current, this.next]) if (link) this.end(link, 1000, 'client closed');
    this.current = this.next = undefined;
    this.setState('closed');
  }

  /** Joins a channel, now and after every reconnect. */
  subscribe(channel: string): void {
    this.channels.add(channel);
    this.write({ action: 'subscribe', channel }, false);
  }

  unsubscribe(channel: string): void {
    this.channels.delete(channel);
    this.write({ action: 'unsubscribe', channel }, false);
  }

  /** Sends `message` to the backends' queue; kept until connected. */
  send(message: unknown): void {
    this.write({ action: 'send', message }, true);
  }

  /** Sends `message` to the backends' topic; kept until connected. */
  publish(message: unknown): void {
    this.write({ action: 'publish', message }, true);
  }

  private write(frame: object, keep: boolean): void {
    const text = JSON.stringify(frame);
    const link = this.current;
    if (link?.opened && link.socket.readyState === OPEN) {
      link.socket.send(text);
      return;
    }
    if (!keep) return;
    if (this.queue.length >= (this.options.maxQueuedMessages ?? 100)) {
      this.fail('queue_full', 'not connected, and the outgoing queue is full', false);
      return;
    }
    this.queue.push(text);
  }

  /** One connection attempt; `renewal` opens a second connection that replaces the current one. */
  private async open(renewal: boolean): Promise<void> {
    const generation = this.generation;
    let token: string;
    try {
      token = await this.options.getToken();
      if (typeof token !== 'string' || token === '') throw new TypeError('not a non-empty string');
    } catch (error) {
      if (generation !== this.generation) return;
      this.fail('token_provider_failed', `getToken failed: ${String(error)}`, true);
      return renewal ? this.retryRenewal() : this.retry();
    }
    if (generation !== this.generation) return;
    const Socket = this.options.WebSocket ?? (globalThis.WebSocket as unknown as WebSocketFactory);
    const { url, protocols } = this.address(token);
    const socket = new Socket(url, protocols);
    const link: Link = {
      socket,
      token,
      opened: false,
      ended: false,
      owed: 0,
      resuming: false,
      refreshing: undefined,
      timers: [],
      pongTimer: undefined,
    };
    socket.onopen = () => this.onOpen(link);
    socket.onmessage = (event) => this.onMessage(link, event.data);
    socket.onclose = (event) => this.onClose(link, event.code);
    socket.onerror = () => {};
    if (renewal) this.next = link;
    else this.current = link;
  }

  private address(token: string): { url: string; protocols: string[] | undefined } {
    const { carrier = 'query', envelope = true } = this.options;
    const url = new URL(this.options.url);
    if (carrier === 'subprotocol') {
      return { url: url.href, protocols: [envelope ? 'herald.v1' : 'herald', token] };
    }
    url.searchParams.set(this.options.queryParameter ?? 'authorization', token);
    if (envelope) url.searchParams.set('protocol', 'herald.v1');
    return { url: url.href, protocols: undefined };
  }

  private onOpen(link: Link): void {
    if (link.ended) return;
    link.opened = true;
    this.handshakeFailures = 0;
    this.attempt = 0;
    for (const channel of this.channels) this.sendOn(link, { action: 'subscribe', channel });
    link.owed = this.channels.size;
    if (this.options.envelope !== false && this.resumeSupported && this.tracker.size > 0) {
      this.tracker.hold();
      link.resuming = true;
      link.owed += 1;
      this.sendOn(link, { action: 'resume', streams: this.tracker.snapshot() });
    }
    if (link === this.next) {
      link.timers.push(this.clock.setTimeout(() => this.promote(link), SWITCH_TIMEOUT_MS));
      this.settle(link);
      return;
    }
    this.start(link);
    this.setState('connected');
    for (const text of this.queue.splice(0)) link.socket.send(text);
  }

  /** A replacement is ready once the server answered its subscribes and resume. */
  private settle(link: Link): void {
    if (link === this.next && link.owed <= 0) this.promote(link);
  }

  /** Make-before-break: the replacement takes over, then the old connection is closed. */
  private promote(link: Link): void {
    if (link !== this.next || link.ended) return;
    const old = this.current;
    this.current = link;
    this.next = undefined;
    for (const timer of link.timers) this.clock.clearTimeout(timer);
    link.timers = [];
    this.start(link);
    for (const text of this.queue.splice(0)) link.socket.send(text);
    if (old) this.end(old, 1000, 'replaced');
  }

  /** The current connection's timers: pings, the renewal before the maximum age, the token refresh. */
  private start(link: Link): void {
    const { pingIntervalMs = 300_000, maxConnectionAgeMs = 7_200_000 } = this.options;
    const ping = () => {
      this.sendOn(link, { action: 'ping' });
      this.clock.clearTimeout(link.pongTimer);
      link.pongTimer = this.clock.setTimeout(() => {
        this.fail('pong_timeout', 'no answer to a ping: the connection is dead', true);
        this.end(link, 4000, 'no pong');
        this.onClose(link, 1006, true);
      }, this.options.pongTimeoutMs ?? 10_000);
      link.timers.push(this.clock.setTimeout(ping, pingIntervalMs));
    };
    link.timers.push(this.clock.setTimeout(ping, pingIntervalMs));
    const renewAt = maxConnectionAgeMs - (this.options.renewBeforeMs ?? 300_000);
    link.timers.push(this.clock.setTimeout(() => this.renew(), Math.max(0, renewAt)));
    this.scheduleRefresh(link, link.token);
  }

  private scheduleRefresh(link: Link, token: string): void {
    const expiresAt = tokenExpiresAt(token);
    if (expiresAt === undefined) return;
    const wait = expiresAt - (this.options.refreshBeforeExpiryMs ?? 60_000) - this.clock.now();
    link.timers.push(this.clock.setTimeout(() => void this.refresh(link), Math.max(0, wait)));
  }

  /** Sends a fresh token in-band; a server without `refresh` gets a replacement connection instead. */
  private async refresh(link: Link): Promise<void> {
    if (!this.refreshSupported) return this.renew();
    if (link.resuming) {
      link.timers.push(this.clock.setTimeout(() => void this.refresh(link), 1000));
      return;
    }
    let token: string;
    try {
      token = await this.options.getToken();
    } catch (error) {
      this.fail('token_provider_failed', `getToken failed: ${String(error)}`, true);
      link.timers.push(this.clock.setTimeout(() => void this.refresh(link), 5000));
      return;
    }
    if (link.ended) return;
    link.refreshing = token;
    this.sendOn(link, { action: 'refresh', token });
  }

  private renew(): void {
    if (this.stopped || this.next) return;
    void this.open(true);
  }

  private retryRenewal(): void {
    const delay = backoffDelay(this.attempt++, this.options.backoff ?? {}, this.random);
    this.current?.timers.push(this.clock.setTimeout(() => this.renew(), delay));
  }

  private retry(): void {
    if (this.stopped) return;
    const delay = backoffDelay(this.attempt++, this.options.backoff ?? {}, this.random);
    this.retryTimer = this.clock.setTimeout(() => void this.open(false), delay);
  }

  private get random(): () => number {
    return this.options.random ?? Math.random;
  }

  private onMessage(link: Link, raw: unknown): void {
    if (link.ended || typeof raw !== 'string') return;
    this.clock.clearTimeout(link.pongTimer);
    let frame: unknown;
    try {
      frame = JSON.parse(raw);
    } catch {
      this.emit('notification', { data: raw });
      return;
    }
    const control = frame as Record<string, unknown>;
    switch (typeof frame === 'object' && frame !== null ? control.type : undefined) {
      case 'pong':
        return;
      case 'subscribed':
      case 'unsubscribed':
        if (typeof control.channel === 'string') {
          link.owed -= 1;
          this.emit(control.type as 'subscribed', control.channel);
          this.settle(link);
          return;
        }
        break;
      case 'resumed':
        if (typeof control.streams === 'object' && control.streams !== null) {
          this.resumed(link, control.streams as Record<string, StreamResumed>);
          return;
        }
        break;
      case 'refreshed':
        if (link.refreshing !== undefined) this.scheduleRefresh(link, link.refreshing);
        link.refreshing = undefined;
        return;
      case 'error':
        if (typeof control.code === 'string') {
          this.onErrorFrame(link, control);
          return;
        }
        break;
      case 'notification':
        if (
          typeof control.stream === 'string' &&
          typeof control.epoch === 'string' &&
          Number.isSafeInteger(control.offset)
        ) {
          const id = typeof control.id === 'string' ? control.id : undefined;
          const entry = { ...(control as unknown as StreamEntry), id };
          this.deliver(this.tracker.accept(entry));
          return;
        }
        if (this.options.envelope !== false && Object.hasOwn(control, 'data')) {
          // An envelope on no stream (sent to connection ids, or where no
          // history is kept): nothing to track or resume, only data and id.
          const id = typeof control.id === 'string' ? control.id : undefined;
          this.emit(
            'notification',
            id === undefined ? { data: control.data } : { data: control.data, id },
          );
          return;
        }
        break;
    }
    this.emit('notification', { data: frame });
  }

  private resumed(link: Link, streams: Record<string, StreamResumed>): void {
    link.resuming = false;
    link.owed -= 1;
    this.deliver(this.tracker.release(streams));
    for (const [stream, answer] of Object.entries(streams)) {
      this.emit('resumed', { ...answer, stream });
    }
    this.settle(link);
  }

  private deliver(entries: readonly StreamEntry[]): void {
    for (const { data, stream, offset, epoch, id } of entries) {
      this.emit(
        'notification',
        id === undefined ? { data, stream, offset, epoch } : { data, stream, offset, epoch, id },
      );
    }
    if (entries.length > 0) this.save();
  }

  private onErrorFrame(link: Link, frame: Record<string, unknown>): void {
    const error = {
      code: frame.code as ServerErrorCode,
      message: typeof frame.message === 'string' ? frame.message : '',
      temporary: frame.temporary === true,
      ...(typeof frame.field === 'string' ? { field: frame.field } : {}),
    };
    if (error.code === 'unknown_action' && link.resuming) {
      this.resumeSupported = false;
      this.resumed(link, {});
      this.fail('resume_unsupported', 'the server does not support resume', false);
      return;
    }
    if (error.code === 'unknown_action' && link.refreshing !== undefined) {
      this.refreshSupported = false;
      link.refreshing = undefined;
      this.renew();
      return;
    }
    // A refused subscribe is its answer too (the error names no channel, so it is counted).
    if (REFUSED_SUBSCRIBE.has(error.code) && link.owed > 0) {
      link.owed -= 1;
      this.settle(link);
    }
    this.emit('error', error);
    if (error.code === 'connection_not_found') {
      this.end(link, 4000, 'not registered');
      this.onClose(link, 1006, true);
    } else if (link.refreshing !== undefined && error.code.startsWith('token_')) {
      // A fresh token refused for good stops the client; a temporary refusal is retried.
      link.refreshing = undefined;
      if (!error.temporary) {
        this.close();
        return;
      }
      link.timers.push(this.clock.setTimeout(() => void this.refresh(link), 5000));
    }
  }

  private onClose(link: Link, code: number, abandoned = false): void {
    if (link.ended && !abandoned) return;
    this.end(link);
    if (this.stopped) return;
    if (link === this.next) {
      this.next = undefined;
      this.retryRenewal();
      return;
    }
    if (link !== this.current) return;
    this.current = undefined;
    if (
      link.opened &&
      (this.options.permanentCloseCodes ?? [1002, 1003, 1007, 1008, 1010]).includes(code)
    ) {
      this.fail('connection_refused', `the server closed the connection with ${code}`, false);
      this.close();
      return;
    }
    if (link.resuming) this.deliver(this.tracker.release());
    if (!link.opened) {
      this.handshakeFailures += 1;
      if (this.handshakeFailures % (this.options.handshakeFailuresToReport ?? 3) === 0) {
        this.fail(
          'handshake_failed',
          `${this.handshakeFailures} handshakes failed in a row; the token may be refused`,
          true,
        );
      }
    }
    const waiting = this.next;
    if (waiting?.opened) {
      this.promote(waiting);
      return;
    }
    if (waiting) {
      // The replacement, still opening, becomes the connection.
      this.current = waiting;
      this.next = undefined;
      this.setState('reconnecting');
      return;
    }
    this.setState(this.status === 'connecting' ? 'connecting' : 'reconnecting');
    this.retry();
  }

  /** Stops a link's timers and handlers; closes its socket when given a code. */
  private end(link: Link, code?: number, reason?: string): void {
    link.ended = true;
    for (const timer of [...link.timers, link.pongTimer]) this.clock.clearTimeout(timer);
    if (code === undefined) return;
    try {
      link.socket.close(code, reason);
    } catch {
      // Already closing.
    }
  }

  private sendOn(link: Link, frame: object): void {
    if (link.socket.readyState === OPEN) link.socket.send(JSON.stringify(frame));
  }

  private fail(code: ClientErrorCode, message: string, temporary: boolean): void {
    this.emit('error', { code, message, temporary });
  }

  private setState(state: ConnectionState): void {
    if (this.status === state) return;
    this.status = state;
    this.emit('state', state);
  }

  private load(): Record<string, StreamPosition> {
    try {
      const stored = this.options.storage?.getItem(this.options.storageKey ?? 'herald.streams');
      return stored ? (JSON.parse(stored) as Record<string, StreamPosition>) : {};
    } catch {
      return {};
    }
  }

  private save(): void {
    try {
      this.options.storage?.setItem(
        this.options.storageKey ?? 'herald.streams',
        JSON.stringify(this.tracker.snapshot()),
      );
    } catch {
      // A full or blocked storage only loses the positions across page loads.
    }
  }
}

export type {
  ClientClock,
  ClientError,
  ConnectionState,
  HeraldClientEvents,
  HeraldClientOptions,
  Notification,
  PositionStorage,
  StreamResumed,
  WebSocketFactory,
  WebSocketLike,
};
export { HeraldClient };
