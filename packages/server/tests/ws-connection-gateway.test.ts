// The gateway's own listing of the sockets it holds (what a broadcast reads on
// an embedded node) and its posting path: every connection held throughout a
// listing is listed exactly once whatever connects or closes between pages,
// and a post reaches the socket it names, listed or not.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { LiveConnection, WsConnectionGateway } from '../src/ws-connection-gateway.js';

const OPEN = 1;
const CLOSED = 3;

/** As much of a ws socket as the gateway uses; `sent` records what it was given. */
const fakeSocket = () => {
  const socket = {
    readyState: OPEN,
    bufferedAmount: 0,
    sent: [] as string[],
    send(data: Buffer | string) {
      socket.sent.push(data.toString());
    },
    close() {
      socket.readyState = CLOSED;
    },
    terminate() {
      socket.readyState = CLOSED;
    },
  };
  return socket;
};

let next = 0;
const connection = (userId = 'user') => {
  const socket = fakeSocket();
  const live = new LiveConnection({
    connectionId: `c-${++next}`,
    userId,
    socket: socket as unknown as WebSocket,
    connectedAt: 1_000,
    protocol: undefined,
    sourceIp: undefined,
    userAgent: undefined,
    authorizedUntil: undefined,
    deliver: async () => undefined,
  });
  return { live, socket };
};

/** Opens a connection on the gateway. */
const open = (gateway: WsConnectionGateway, userId?: string) => {
  const made = connection(userId);
  gateway.add(made.live);
  return made;
};

/** What the server does when a socket closes: the socket is closed, then removed. */
const close = (gateway: WsConnectionGateway, made: ReturnType<typeof connection>) => {
  made.socket.close();
  gateway.remove(made.live.connectionId);
};

const ALL = { segment: 0, totalSegments: 1 } as const;
const payload = (text: string) => new TextEncoder().encode(text);

describe('WsConnectionGateway listing', () => {
  it('lists its open sockets in the order they connected, as records of their own', () => {
    const gateway = new WsConnectionGateway();
    const made = [open(gateway, 'ann'), open(gateway, 'bob'), open(gateway, 'cid')];
    close(gateway, made[1] as ReturnType<typeof connection>);

    const page = gateway.scan(ALL);

    expect(page.items.map((record) => record.connectionId)).toEqual([
      made[0]?.live.connectionId,
      made[2]?.live.connectionId,
    ]);
    expect(page.cursor).toBeUndefined();
    expect(page.items[0]).toMatchObject({
      userId: 'ann',
      channels: [],
      allowedChannels: [],
      connectedAt: 1_000,
      lastSeenAt: 1_000,
      expiresAt: Number.MAX_SAFE_INTEGER,
    });
  });

  it('pages by the limit, and keeps each shard to its own connections', () => {
    const gateway = new WsConnectionGateway();
    const ids = Array.from({ length: 25 }, () => open(gateway).live.connectionId);

    const listed: string[] = [];
    let cursor: string | undefined;
    do {
      const page = gateway.scan(ALL, cursor === undefined ? { limit: 10 } : { limit: 10, cursor });
      expect(page.items.length).toBeLessThanOrEqual(10);
      listed.push(...page.items.map((record) => record.connectionId));
      cursor = page.cursor;
    } while (cursor !== undefined);
    const shards = [0, 1, 2].flatMap((segment) =>
      gateway.scan({ segment, totalSegments: 3 }, { limit: 100 }).items.map((r) => r.connectionId),
    );

    expect(listed).toEqual(ids);
    expect([...shards].sort()).toEqual([...ids].sort());
  });

  it('refuses a cursor it did not make, naming it', () => {
    const gateway = new WsConnectionGateway();
    open(gateway);
    expect(() => gateway.scan(ALL, { cursor: 'c-1' })).toThrow(/cursor.*"c-1"/);
  });

  it('lists every connection held throughout exactly once, whatever connects and closes between pages', () => {
    type Step = { readonly opens: number; readonly closes: readonly number[] };
    const steps = fc.array(
      fc.record({ opens: fc.nat({ max: 40 }), closes: fc.array(fc.nat(), { maxLength: 40 }) }),
      { maxLength: 12 },
    );
    fc.assert(
      fc.property(
        fc.nat({ max: 300 }),
        fc.integer({ min: 1, max: 50 }),
        steps,
        (start, limit, between: Step[]) => {
          const gateway = new WsConnectionGateway();
          const held = Array.from({ length: start }, () => open(gateway));
          const initial = new Set(held.map((made) => made.live.connectionId));
          const closed = new Set<string>();
          const listed: string[] = [];
          let cursor: string | undefined;
          let step = 0;
          for (;;) {
            const page = gateway.scan(ALL, cursor === undefined ? { limit } : { limit, cursor });
            listed.push(...page.items.map((record) => record.connectionId));
            cursor = page.cursor;
            if (cursor === undefined) break;
            // Between the first pages: some connect, some close (enough to make the gateway compact).
            const change = between[step++];
            if (change === undefined) continue;
            for (let i = 0; i < change.opens; i++) held.push(open(gateway));
            for (const pick of change.closes) {
              const stillOpen = held.filter((made) => made.socket.readyState === OPEN);
              const victim = stillOpen[pick % Math.max(1, stillOpen.length)];
              if (victim === undefined) break;
              close(gateway, victim);
              closed.add(victim.live.connectionId);
            }
          }
          const once = new Set(listed);
          expect(once.size).toBe(listed.length);
          for (const id of initial) if (!closed.has(id)) expect(once.has(id)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('WsConnectionGateway posting', () => {
  it('posts a listed page in order, and any connection by id, to the socket named', () => {
    const gateway = new WsConnectionGateway();
    const made = [open(gateway), open(gateway), open(gateway)];
    const [first, second, third] = made as [
      ReturnType<typeof connection>,
      ReturnType<typeof connection>,
      ReturnType<typeof connection>,
    ];
    gateway.scan(ALL);

    // The listed order, then out of it, then one more than once.
    expect(gateway.post(first.live.connectionId, payload('a'))).toBe('delivered');
    expect(gateway.post(third.live.connectionId, payload('b'))).toBe('delivered');
    expect(gateway.post(second.live.connectionId, payload('c'))).toBe('delivered');
    expect(gateway.post(second.live.connectionId, payload('d'))).toBe('delivered');

    expect(made.map((m) => m.socket.sent)).toEqual([['a'], ['c', 'd'], ['b']]);
  });

  it('answers gone for a listed connection that closed before its post', () => {
    const gateway = new WsConnectionGateway();
    const [first, second] = [open(gateway), open(gateway)];
    gateway.scan(ALL);
    close(gateway, first);

    expect(gateway.post(first.live.connectionId, payload('late'))).toBe('gone');
    expect(gateway.post(second.live.connectionId, payload('on time'))).toBe('delivered');
    expect(first.socket.sent).toEqual([]);
    expect(gateway.post('never-held', payload('x'))).toBe('gone');
  });
});
