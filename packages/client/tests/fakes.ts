import type { ClientClock, WebSocketLike } from '../src/index.js';

/** A clock whose timers fire only when the test advances it. */
class FakeClock implements ClientClock {
  private time = 1_700_000_000_000;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + Math.max(0, ms), callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Moves time forward, firing each due timer in order (and those they set, if due). */
  async advance(ms: number): Promise<void> {
    const until = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()]
        .filter(([, timer]) => timer.at <= until)
        .sort(([a, x], [b, y]) => x.at - y.at || a - b)[0];
      if (due === undefined) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].callback();
      await settle();
    }
    this.time = until;
    await settle();
  }

  get pending(): number {
    return this.timers.size;
  }
}

/** Lets promise callbacks (the token provider's) run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A socket the test opens, feeds and closes; every instance is kept in `FakeSocket.all`. */
class FakeSocket implements WebSocketLike {
  static all: FakeSocket[] = [];
  /** Whether the server answers pings; a dead connection does not. */
  answersPings = true;
  readyState = 0;
  readonly sent: unknown[] = [];
  closedWith: number | undefined;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { readonly data: unknown }) => void) | null = null;
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(
    readonly url: string,
    readonly protocols?: string[],
  ) {
    FakeSocket.all.push(this);
  }

  static get last(): FakeSocket {
    const socket = FakeSocket.all.at(-1);
    if (socket === undefined) throw new Error('no socket was opened');
    return socket;
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    const frame = JSON.parse(data) as { action?: string };
    this.sent.push(frame);
    if (frame.action === 'ping' && this.answersPings) {
      queueMicrotask(() => this.receive({ type: 'pong', connectionId: 'c1' }));
    }
  }

  close(code?: number): void {
    this.closedWith = code;
    this.readyState = 3;
  }

  /** The server accepts the handshake. */
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  /** The server sends a frame (a value, JSON-encoded, or raw text). */
  receive(frame: unknown): void {
    this.onmessage?.({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) });
  }

  /** The connection ends (a refused handshake, when it never opened). */
  drop(code = 1006): void {
    this.readyState = 3;
    this.onerror?.({});
    this.onclose?.({ code, reason: '' });
  }

  /** The actions sent, pings left out unless asked for. */
  actions(withPings = false): string[] {
    return this.sent
      .map((frame) => (frame as { action: string }).action)
      .filter((action) => withPings || action !== 'ping');
  }

  /** The frames sent, pings left out. */
  get frames(): unknown[] {
    return this.sent.filter((frame) => (frame as { action: string }).action !== 'ping');
  }
}

/** A JWT-shaped token (unsigned: the client never verifies) with the given expiry. */
let issued = 0;
const tokenExpiringAt = (ms: number, user = 'u1'): string => {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  issued += 1;
  const claims = { sub: user, exp: Math.floor(ms / 1000), jti: String(issued) };
  return `${part({ alg: 'HS256' })}.${part(claims)}.sig`;
};

export { FakeClock, FakeSocket, settle, tokenExpiringAt };
