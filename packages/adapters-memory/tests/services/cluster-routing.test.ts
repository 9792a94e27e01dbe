import {
  type ConnectionOwner,
  ConnectionRegistry,
  NodeLiveness,
  NotificationFanout,
  type NotificationRequest,
  type OutboundEvent,
  PresenceTracker,
  RoutingConnectionGateway,
} from '@herald/domain';
import { describeConnectionGatewayContract, ManualClock, waitFor } from '@herald/domain/testing';
import { describe, expect, it } from 'vitest';
import {
  InMemoryConnectionGateway,
  InMemoryConnectionStore,
  InMemoryEventPublisher,
  InMemoryNodeStore,
  InMemoryPresenceStore,
} from '../../src/index.js';

const A: ConnectionOwner = { endpoint: 'http://10.0.0.1:8080', incarnation: 'a-1' };
const B: ConnectionOwner = { endpoint: 'http://10.0.0.2:8080', incarnation: 'b-1' };
const C: ConnectionOwner = { endpoint: 'http://10.0.0.3:8080', incarnation: 'c-1' };
const LEASE_MS = 3000;

const request = (fields: Partial<NotificationRequest>): NotificationRequest => ({
  users: [],
  connections: [],
  channels: [],
  excludeUsers: [],
  excludeConnections: [],
  data: 'hi',
  ...fields,
});

/**
 * Three nodes sharing one connection store, presence store and node store,
 * each holding its sockets in its own in-memory gateway; each node posts
 * through a routing gateway whose directory is its NodeLiveness.
 */
const cluster = () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const store = new InMemoryConnectionStore(clock);
  const nodes = new InMemoryNodeStore();
  const events = new InMemoryEventPublisher();
  const tracker = new PresenceTracker(new InMemoryPresenceStore(), events, clock);
  const sockets = new Map<string, InMemoryConnectionGateway>(
    [A, B, C].map((owner) => [owner.endpoint, new InMemoryConnectionGateway(() => clock.now())]),
  );
  const socketsOf = (owner: ConnectionOwner) =>
    sockets.get(owner.endpoint) as InMemoryConnectionGateway;
  const node = (owner: ConnectionOwner) => {
    const local = socketsOf(owner);
    const registry = new ConnectionRegistry(store, clock, { owner }, tracker);
    const liveness = new NodeLiveness(nodes, registry, clock, {
      self: { endpoint: owner.endpoint, incarnation: owner.incarnation ?? '' },
      leaseMs: LEASE_MS,
      localGateway: local,
      peerGateway: (endpoint) => sockets.get(endpoint) as InMemoryConnectionGateway,
    });
    const gateway = new RoutingConnectionGateway(store, liveness, {
      fallback: local,
      local: { gateway: local, holds: (id) => local.isOpen(id) },
    });
    const fanout = new NotificationFanout(registry, gateway, clock, { random: () => 0 });
    const connect = async (connectionId: string, userId: string) => {
      local.open(connectionId);
      await registry.connect(connectionId, { userId, channels: ['*'], claims: {} });
      return connectionId;
    };
    return { owner, registry, liveness, gateway, fanout, connect, sockets: local };
  };
  const presence = (status: 'ONLINE' | 'OFFLINE', userId: string) =>
    events.events.filter(
      (e: OutboundEvent) => e.kind === 'presence' && e.status === status && e.userId === userId,
    ).length;
  return { clock, store, nodes, tracker, node, presence };
};

describeConnectionGatewayContract('RoutingConnectionGateway over two owners', async () => {
  const { node } = cluster();
  const [a, b] = [node(A), node(B)];
  await a.liveness.beat();
  await b.liveness.beat();
  let opened = 0;
  return {
    gateway: a.gateway,
    open: async () => {
      // Alternate owners, so the suite runs both through the local path and through a peer.
      const owner = opened++ % 2 === 0 ? a : b;
      const connectionId = await owner.connect(`conn-${opened}`, `user-${opened}`);
      return {
        connectionId,
        messages: (count: number) =>
          waitFor(() => {
            const received = owner.sockets.received(connectionId);
            return received.length >= count ? received.slice(0, count) : undefined;
          }),
      };
    },
  };
});

describe('RoutingConnectionGateway', () => {
  it("posts to another node's connection through its owner, and no stranger removes it", async () => {
    const { node, store } = cluster();
    const [a, b] = [node(A), node(B)];
    await a.liveness.beat();
    await b.liveness.beat();
    const onA = await a.connect('on-a', 'alice');

    const report = await b.fanout.deliver(request({ users: ['alice'] }));

    expect(report).toMatchObject({ targeted: 1, delivered: 1, gone: 0 });
    expect(a.sockets.received(onA)).toEqual(['"hi"']);
    expect(await store.get(onA)).toBeDefined();
  });

  it('removes a connection when its owner says it is gone', async () => {
    const { node, store, presence } = cluster();
    const [a, b] = [node(A), node(B)];
    await a.liveness.beat();
    await b.liveness.beat();
    const onA = await a.connect('on-a', 'alice');
    a.sockets.behave(onA, { kind: 'gone' });

    const report = await b.fanout.deliver(request({ connections: [onA] }));

    expect(report).toMatchObject({ targeted: 1, gone: 1 });
    expect(await store.get(onA)).toBeUndefined();
    expect(presence('OFFLINE', 'alice')).toBe(1);
  });

  it('sends a connection without an owner (older records) to the fallback gateway', async () => {
    const { clock, store } = cluster();
    const fallback = new InMemoryConnectionGateway(() => clock.now());
    const other = new InMemoryConnectionGateway(() => clock.now());
    fallback.open('old');
    await store.put({
      connectionId: 'old',
      userId: 'u',
      channels: [],
      allowedChannels: [],
      connectedAt: clock.now(),
      lastSeenAt: clock.now(),
      expiresAt: clock.now() + 60_000,
    });
    const gateway = new RoutingConnectionGateway(store, { gatewayFor: () => other }, { fallback });

    expect(await gateway.post('old', new TextEncoder().encode('1'))).toBe('delivered');
    expect(fallback.received('old')).toEqual(['1']);
    expect(other.posts).toEqual([]);
  });
});

describe('NodeLiveness', () => {
  it('retires a node whose lease lapsed once, and takes its users OFFLINE with one event', async () => {
    const { clock, node, store, presence } = cluster();
    const [a, b, c] = [node(A), node(B), node(C)];
    for (const n of [a, b, c]) await n.liveness.beat();
    const onC = await c.connect('on-c', 'carol');
    const alsoOnA = await a.connect('on-a', 'carol');
    const daveOnC = await c.connect('dave-on-c', 'dave');

    clock.advance(LEASE_MS + 1); // c stops beating: it died
    const [byA, byB] = await Promise.all([a.liveness.beat(), b.liveness.beat()]);
    const keptUntilRemoved = await store.get(onC); // a beat never waits for the removal
    for (const retired of byA) await a.liveness.removeConnectionsOf(retired);
    for (const retired of byB) await b.liveness.removeConnectionsOf(retired);

    expect([...byA, ...byB].map((n) => n.endpoint)).toEqual([C.endpoint]);
    expect(keptUntilRemoved).toBeDefined();
    expect(await store.get(onC)).toBeUndefined();
    expect(await store.get(daveOnC)).toBeUndefined();
    expect(await store.get(alsoOnA)).toBeDefined();
    expect(presence('OFFLINE', 'dave')).toBe(1);
    expect(presence('OFFLINE', 'carol')).toBe(0); // still connected on a
    expect(a.liveness.peers().map((n) => n.endpoint)).toEqual([B.endpoint]);
  });

  it('lists a node that joined since the last beat among the live peers', async () => {
    const { node } = cluster();
    const [a, b] = [node(A), node(B)];
    await a.liveness.beat();
    await b.liveness.beat(); // b joins after a's last beat

    const seenAtLastBeat = a.liveness.peers().map((n) => n.endpoint);
    const live = (await a.liveness.livePeers()).map((n) => n.endpoint);

    expect(seenAtLastBeat).toEqual([]);
    expect(live).toEqual([B.endpoint]);
  });

  it('answers gone for the connections of a dead owner, so a post removes them', async () => {
    const { clock, node, store } = cluster();
    const [a, b] = [node(A), node(B)];
    await a.liveness.beat();
    await b.liveness.beat();
    const onB = await b.connect('on-b', 'bob');
    clock.advance(LEASE_MS + 1);
    await a.liveness.beat().catch(() => undefined);

    const report = await a.fanout.deliver(request({ connections: [onB] }));

    expect(await a.gateway.post(onB, new Uint8Array([49]))).toBe('gone');
    expect(report).toMatchObject({ targeted: 1, gone: 1, delivered: 0 });
    expect(await store.get(onB)).toBeUndefined();
  });

  it('clears a previous incarnation under the same URL on the first beat, and never routes to it', async () => {
    const { node, store, presence } = cluster();
    const before = node(A);
    await before.liveness.beat();
    const old = await before.connect('old-socket', 'alice');

    const restarted = node({ endpoint: A.endpoint, incarnation: 'a-2' });
    const retired = await restarted.liveness.beat();
    for (const node of retired) await restarted.liveness.removeConnectionsOf(node);

    expect(retired.map((n) => n.incarnation)).toEqual(['a-1']);
    expect(await store.get(old)).toBeUndefined();
    expect(presence('OFFLINE', 'alice')).toBe(1);
    expect(await restarted.liveness.gatewayFor({ endpoint: A.endpoint, incarnation: 'a-1' })).toBe(
      'dead',
    );
  });

  it('tells a node that was declared dead while it still ran', async () => {
    const { clock, node } = cluster();
    const [a, b] = [node(A), node(B)];
    const nodes = new InMemoryNodeStore();
    const evicted: unknown[] = [];
    const watched = new NodeLiveness(nodes, b.registry, clock, {
      self: { endpoint: B.endpoint, incarnation: 'b-1' },
      leaseMs: LEASE_MS,
      localGateway: b.sockets,
      peerGateway: () => a.sockets,
      onEvicted: (by) => evicted.push(by),
    });
    await watched.beat();
    const [own] = await nodes.list();
    if (own !== undefined) await nodes.retire(own); // a survivor saw its lease lapse

    await watched.beat();

    expect(evicted).toEqual([undefined]);
  });
});
