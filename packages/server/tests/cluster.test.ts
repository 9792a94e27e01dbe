// Three real Herald processes on one DynamoDB Local table pair and one fauxqs
// input queue, as a team would run them in its own containers: every request
// reaches every target on every node once, no node removes another's live
// connection, presence holds across nodes, and a node killed with SIGKILL
// takes its users OFFLINE within the lease bound while the others deliver on.
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createHistoryTable, createQueue, createTables } from '@herald/adapters-aws/testing';
import { waitFor } from '@herald/domain/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Client, type Envelope, launch, resume } from '../src/testing/index.js';
import {
  BACKEND_KEY,
  connect,
  emulatorEnvironment,
  queueCollector,
  SECRET,
  token,
} from './helpers.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
/** Short, so the test runs quickly; long enough that a slow beat on a loaded machine is no death. */
const HEARTBEAT_MS = 300;
const LEASE_MS = 4000;
/** A survivor notices a lapsed lease at its next beat, then removes the node's connections. */
const OFFLINE_BOUND_MS = LEASE_MS + HEARTBEAT_MS;
/** What the removal's DynamoDB calls and the output queue may add on a shared test machine. */
const LATENCY_ALLOWANCE_MS = 2000;
const ACCESS_KEYS = 'AKIDHERALDNODES:node-secret-for-tests';

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

interface Node {
  readonly name: string;
  readonly url: string;
  readonly wsUrl: string;
  readonly process: ReturnType<typeof launch>;
}

const notify = async (node: Node, body: unknown) => {
  const response = await fetch(`${node.url}/notifications`, {
    method: 'POST',
    headers: { authorization: `Bearer ${BACKEND_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as {
    targeted: number;
    delivered: number;
    gone: number;
    failed: number;
  };
};

const presenceOf = async (node: Node, userIds: readonly string[]) => {
  const response = await fetch(`${node.url}/presence?userIds=${userIds.join(',')}`, {
    headers: { authorization: `Bearer ${BACKEND_KEY}` },
  });
  const { users } = (await response.json()) as {
    users: { userId: string; online: boolean; connections: number }[];
  };
  return users;
};

/** The connection id the server gave a client, from its pong. */
const idOf = async (client: Client): Promise<string> => {
  client.send({ action: 'ping' });
  const pong = await waitFor(() => client.received.find((text) => text.includes('"pong"')), {
    timeoutMs: 15_000,
    what: 'a pong',
  });
  return (JSON.parse(pong) as { connectionId: string }).connectionId;
};

/** Sends a ping and waits for its pong: every frame sent before it has been handled. */
const barrier = async (client: Client): Promise<void> => {
  const pongs = () => client.received.filter((text) => text.includes('"pong"')).length;
  const before = pongs();
  client.send({ action: 'ping' });
  await waitFor(() => (pongs() > before ? true : undefined), { timeoutMs: 15_000, what: 'a pong' });
};

/** The notifications a client received, without control replies (pong, subscribed). */
const notifications = (client: Client) =>
  client.received.filter((text) => !/^\{"type":"(pong|subscribed)"/.test(text));

describe('several embedded nodes on shared tables (DynamoDB Local, fauxqs)', () => {
  const nodes: Node[] = [];
  const clients: Client[] = [];
  let events: ReturnType<typeof queueCollector>;
  let sqs: SQSClient;
  let inputUrl: string;

  const startNode = async (name: string, env: Record<string, string>): Promise<Node> => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = launch(CLI, [], {
      ...emulatorEnvironment(),
      ...env,
      HERALD_PORT: String(port),
      HERALD_ADVERTISE_URL: url,
      HERALD_JWT_SECRET: SECRET,
      HERALD_BACKEND_KEY: BACKEND_KEY,
      HERALD_MANAGEMENT_API: 'any',
      HERALD_MANAGEMENT_ACCESS_KEYS: ACCESS_KEYS,
      HERALD_NODE_HEARTBEAT_MS: String(HEARTBEAT_MS),
      HERALD_NODE_LEASE_MS: String(LEASE_MS),
      HERALD_LOG_LEVEL: 'ERROR',
    });
    await waitFor(
      () => {
        if (child.child.exitCode !== null)
          throw new Error(`${name} exited:\n${child.output.stderr}`);
        return child.output.stdout.includes('listening on') ? true : undefined;
      },
      { timeoutMs: 20_000, what: `node ${name} to listen` },
    );
    const node = { name, url, wsUrl: `${url.replace('http', 'ws')}/local`, process: child };
    nodes.push(node);
    return node;
  };

  const open = async (node: Node, user: string) => {
    const client = await connect(`${node.wsUrl}?authorization=${await token({ sub: user })}`);
    clients.push(client);
    return client;
  };

  let seen: readonly { body: string }[] = [];
  /** Polls the output queue until `probe` holds; what arrived stays in `seen`. */
  const untilEvents = (probe: () => boolean, what: string) =>
    events.until((all) => {
      seen = all;
      return probe() ? true : undefined;
    }, what);
  const presenceEvents = (userId: string, status: 'ONLINE' | 'OFFLINE') =>
    seen
      .map(
        (m) => JSON.parse(m.body) as { type: string; message: { user_id: string; status: string } },
      )
      .filter(
        (e) => e.type === 'presence' && e.message.user_id === userId && e.message.status === status,
      );

  let a: Node;
  let b: Node;
  let c: Node;
  let sharedTables: Record<string, string>;
  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "pnpm run build" first`);
    const dynamo = new DynamoDBClient({
      endpoint: inject('dynamoEndpoint'),
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
    });
    sqs = new SQSClient({
      endpoint: inject('fauxqsEndpoint'),
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
    });
    const tables = await createTables(dynamo);
    const input = await createQueue(sqs);
    const output = await createQueue(sqs);
    inputUrl = input.url;
    events = queueCollector(sqs, output.url);
    const shared = {
      HERALD_HISTORY_TABLE: await createHistoryTable(dynamo),
      HERALD_CONNECTIONS_TABLE: tables.connections,
      HERALD_PRESENCE_TABLE: tables.presence,
      HERALD_INPUT_QUEUE_URL: input.url,
      HERALD_OUTPUT_QUEUE_URL: output.url,
    };
    sharedTables = {
      HERALD_CONNECTIONS_TABLE: tables.connections,
      HERALD_PRESENCE_TABLE: tables.presence,
    };
    [a, b, c] = await Promise.all([
      startNode('a', shared),
      startNode('b', shared),
      startNode('c', shared),
    ]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    for (const node of nodes)
      if (node.process.child.exitCode === null) node.process.child.kill('SIGKILL');
    await Promise.all(nodes.map((node) => node.process.exited));
  });

  it('delivers every request, over HTTP and from the shared queue, to every target on every node once', {
    timeout: 60_000,
  }, async () => {
    // prepare: alice on a and b, bob on b, carol on c; bob and carol in room-1
    const aliceOnA = await open(a, 'alice');
    const aliceOnB = await open(b, 'alice');
    const bob = await open(b, 'bob');
    const carol = await open(c, 'carol');
    const all = [aliceOnA, aliceOnB, bob, carol];
    const aliceOnAId = await idOf(aliceOnA);
    for (const client of [bob, carol]) {
      client.send({ action: 'subscribe', channel: 'room-1' });
      await barrier(client);
    }

    // act: over HTTP, each request taken by a node that holds few or none of its targets
    const started = performance.now();
    const toUser = await notify(c, { users: ['alice'], data: { n: 'user' } });
    const toConnection = await notify(b, { connections: [aliceOnAId], data: { n: 'connection' } });
    const toRoom = await notify(a, { channels: ['room-1'], data: { n: 'room' } });
    const toEveryone = await notify(c, { data: { n: 'everyone' } });
    const httpMs = performance.now() - started;
    // and on the shared input queue, which every node polls
    const queued = Array.from({ length: 6 }, (_, i) =>
      i % 2 === 0
        ? { users: ['carol', 'alice'], data: { q: i } }
        : { channels: ['room-1'], data: { q: i } },
    );
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: inputUrl,
        Entries: queued.map((body, i) => ({ Id: String(i), MessageBody: JSON.stringify(body) })),
      }),
    );
    const expected = new Map<Client, string[]>([
      [aliceOnA, ['user', 'connection', 'everyone'].map((n) => JSON.stringify({ n }))],
      [aliceOnB, ['user', 'everyone'].map((n) => JSON.stringify({ n }))],
      [bob, ['room', 'everyone'].map((n) => JSON.stringify({ n }))],
      [carol, ['room', 'everyone'].map((n) => JSON.stringify({ n }))],
    ]);
    for (const [i] of queued.entries()) {
      const reached = i % 2 === 0 ? [aliceOnA, aliceOnB, carol] : [bob, carol];
      for (const client of reached) expected.get(client)?.push(JSON.stringify({ q: i }));
    }
    await waitFor(
      () =>
        all.every((client) => notifications(client).length >= (expected.get(client)?.length ?? 0))
          ? true
          : undefined,
      { timeoutMs: 20_000, what: 'every queued request to be delivered' },
    );
    // a last broadcast, after which nothing else may still be on its way
    await notify(a, { data: { n: 'last' } });
    await waitFor(
      () =>
        all.every((client) => notifications(client).at(-1) === '{"n":"last"}') ? true : undefined,
      { timeoutMs: 10_000, what: 'the last broadcast' },
    );

    // assess: each client got exactly its notifications, once each
    for (const client of all) {
      expect([...notifications(client)].sort()).toEqual(
        [...(expected.get(client) ?? []), '{"n":"last"}'].sort(),
      );
    }
    expect(toUser).toMatchObject({ targeted: 2, delivered: 2, gone: 0, failed: 0 });
    expect(toConnection).toMatchObject({ targeted: 1, delivered: 1, gone: 0, failed: 0 });
    expect(toRoom).toMatchObject({ targeted: 2, delivered: 2, gone: 0, failed: 0 });
    expect(toEveryone).toMatchObject({ targeted: 4, delivered: 4, gone: 0, failed: 0 });
    // no node removed another's live connection
    expect(await presenceOf(b, ['alice', 'bob', 'carol'])).toEqual([
      expect.objectContaining({ userId: 'alice', online: true, connections: 2 }),
      expect.objectContaining({ userId: 'bob', online: true, connections: 1 }),
      expect.objectContaining({ userId: 'carol', online: true, connections: 1 }),
    ]);
    console.info(`cluster: 4 HTTP requests across 3 nodes answered in ${httpMs.toFixed(0)} ms`);
  });

  it('keeps a user on two nodes ONLINE while either connection lives, with one OFFLINE after the last', {
    timeout: 30_000,
  }, async () => {
    // prepare
    const onA = await open(a, 'dora');
    const onB = await open(b, 'dora');
    await untilEvents(() => presenceEvents('dora', 'ONLINE').length === 1, 'dora ONLINE');

    // act: the first connection closes
    await onA.close();
    await waitFor(
      async () => ((await presenceOf(c, ['dora']))[0]?.connections === 1 ? true : undefined),
      { timeoutMs: 10_000, what: "dora's first connection to be gone" },
    );
    const afterFirst = (await presenceOf(c, ['dora']))[0];
    const delivered = await notify(c, { users: ['dora'], data: 'still here' });
    // then the last
    await onB.close();
    await untilEvents(() => presenceEvents('dora', 'OFFLINE').length >= 1, 'dora OFFLINE');
    await notify(a, { data: { n: 'settle' } }); // any late event would be on the queue by now
    await untilEvents(() => true, 'the queue');

    // assess
    expect(afterFirst).toMatchObject({ online: true, connections: 1 });
    expect(delivered).toMatchObject({ targeted: 1, delivered: 1 });
    expect(presenceEvents('dora', 'ONLINE')).toHaveLength(1);
    expect(presenceEvents('dora', 'OFFLINE')).toHaveLength(1);
  });

  it('refuses to start a node alone beside live nodes, or a node with no shared state', async () => {
    const alone = launch(CLI, [], {
      ...emulatorEnvironment(),
      ...sharedTables,
      HERALD_PORT: '0',
      HERALD_JWT_SECRET: SECRET,
    });
    const stateless = launch(CLI, [], {
      HERALD_PORT: '0',
      HERALD_JWT_SECRET: SECRET,
      HERALD_ADVERTISE_URL: 'http://127.0.0.1:1',
      HERALD_MANAGEMENT_API: 'any',
      HERALD_MANAGEMENT_ACCESS_KEYS: ACCESS_KEYS,
    });

    expect(await alone.exited).toBe(2);
    expect(alone.output.stderr).toMatch(/HERALD_ADVERTISE_URL.*nodes already share these tables/);
    expect(await stateless.exited).toBe(2);
    expect(stateless.output.stderr).toMatch(/HERALD_ADVERTISE_URL.*--connections-table/);
  });

  it("refuses a call to a node's management API, or a hand-off, without credentials", async () => {
    const carol = await open(c, 'erin');
    const id = await idOf(carol);

    const unsigned = await fetch(`${c.url}/@connections/${encodeURIComponent(id)}`, {
      method: 'POST',
      body: '"injected"',
    });
    const wrongKey = await fetch(`${c.url}/@connections/${encodeURIComponent(id)}`, {
      method: 'POST',
      headers: { authorization: 'Bearer not-the-backend-key' },
      body: '"injected"',
    });
    const handoff = await fetch(`${c.url}/@herald/deliver`, {
      method: 'POST',
      body: JSON.stringify({ request: { data: 'injected' } }),
    });
    await barrier(carol);

    expect([unsigned.status, wrongKey.status, handoff.status]).toEqual([403, 403, 403]);
    expect(notifications(carol)).toEqual([]);
  });

  it('keeps a handed-off request in history once: one offset and one id on every node, a repeat id refused by any node', {
    timeout: 30_000,
  }, async () => {
    // prepare: herald.v1 members of room-2 on a and b
    const openV1 = async (node: Node, user: string) => {
      const client = await connect(`${node.wsUrl}?authorization=${await token({ sub: user })}`, {
        protocols: ['herald.v1'],
      });
      clients.push(client);
      return client;
    };
    const members = [await openV1(a, 'dora'), await openV1(b, 'erin')];
    for (const client of members) {
      client.send({ action: 'subscribe', channel: 'room-2' });
      await barrier(client);
    }
    const envelopes = (client: Client) =>
      client.received
        .map((text) => JSON.parse(text) as Envelope)
        .filter((frame) => frame.type === 'notification');

    // act: c takes the request and hands it to a and b; then the same id again, to b
    const first = await notify(c, { id: 'room-2-once', channels: ['room-2'], data: { n: 1 } });
    await waitFor(
      () => (members.every((client) => envelopes(client).length === 1) ? true : undefined),
      { timeoutMs: 10_000, what: 'the channel notification on both nodes' },
    );
    const repeat = (await notify(b, {
      id: 'room-2-once',
      channels: ['room-2'],
      data: { n: 1 },
    })) as unknown as { duplicate?: boolean };
    const late = await openV1(c, 'frank');
    const replay = await resume(late, { 'channel:room-2': { epoch: '', offset: 0 } });

    // assess: one entry on the stream, framed alike by both nodes; the repeat delivered nothing
    expect(first.delivered).toBe(2);
    const [onA, onB] = members.map((client) => envelopes(client)[0]);
    expect(onA).toEqual({
      type: 'notification',
      stream: 'channel:room-2',
      offset: 1,
      epoch: expect.any(String),
      id: 'room-2-once',
      data: { n: 1 },
    });
    expect(onB).toEqual(onA);
    expect(repeat.duplicate).toBe(true);
    await barrier(members[1] as Client);
    expect(members.map((client) => envelopes(client).length)).toEqual([1, 1]);
    expect(replay.replayed).toEqual([onA]);
  });

  it('frames a broadcast for herald.v1 clients on every node, with the stamp of the node that took it', {
    timeout: 30_000,
  }, async () => {
    // prepare: a herald.v1 client on each of a and b
    const openV1 = async (node: Node, user: string) => {
      const client = await connect(`${node.wsUrl}?authorization=${await token({ sub: user })}`, {
        protocols: ['herald.v1'],
      });
      clients.push(client);
      return client;
    };
    const members = [await openV1(a, 'iris'), await openV1(b, 'jack')];
    const broadcasts = (client: Client) =>
      client.received
        .map((text) => JSON.parse(text) as Envelope)
        .filter((frame) => frame.type === 'notification' && frame.stream === 'broadcast');

    // act: c takes a broadcast and hands it to every node
    await notify(c, { id: 'everyone-once', data: { all: true } });
    await waitFor(
      () => (members.every((client) => broadcasts(client).length === 1) ? true : undefined),
      { timeoutMs: 10_000, what: 'the broadcast, enveloped, on both nodes' },
    );

    // assess: one envelope on the broadcast stream, alike on both nodes
    const [onA, onB] = members.map((client) => broadcasts(client)[0]);
    expect(onA).toEqual({
      type: 'notification',
      stream: 'broadcast',
      offset: expect.any(Number),
      epoch: expect.any(String),
      id: 'everyone-once',
      data: { all: true },
    });
    expect(onB).toEqual(onA);
  });

  it('takes the users of a node killed with SIGKILL OFFLINE within the lease bound; the others deliver on', {
    timeout: 40_000,
  }, async () => {
    // prepare: frank only on c; gina on a and c
    const frank = await open(c, 'frank');
    const ginaOnC = await open(c, 'gina');
    const ginaOnA = await open(a, 'gina');
    const hal = await open(b, 'hal');
    await untilEvents(
      () => ['frank', 'gina', 'hal'].every((u) => presenceEvents(u, 'ONLINE').length === 1),
      'frank, gina and hal ONLINE',
    );

    // act
    c.process.child.kill('SIGKILL');
    const killedAt = Date.now();
    await c.process.exited;
    await untilEvents(() => presenceEvents('frank', 'OFFLINE').length === 1, 'frank OFFLINE');
    const offlineAfterMs = Date.now() - killedAt;
    const broadcast = await notify(b, { data: { n: 'after the death' } });
    await waitFor(
      () =>
        [ginaOnA, hal].every((client) => notifications(client).at(-1) === '{"n":"after the death"}')
          ? true
          : undefined,
      { timeoutMs: 10_000, what: 'the broadcast after the death' },
    );
    const gina = await waitFor(
      async () => {
        const users = await presenceOf(a, ['gina', 'frank']);
        if (users[0]?.connections !== 1) return undefined;
        return users.map((p) => [p.userId, p.online, p.connections]);
      },
      { timeoutMs: 10_000, what: "gina's connection on the dead node to be removed" },
    );
    await untilEvents(() => true, 'the queue');

    // assess
    const offline = presenceEvents('frank', 'OFFLINE') as unknown as {
      message: { timestamp: number };
    }[];
    expect(offline).toHaveLength(1);
    expect((offline[0]?.message.timestamp ?? 0) - killedAt).toBeLessThanOrEqual(
      OFFLINE_BOUND_MS + LATENCY_ALLOWANCE_MS,
    );
    expect(presenceEvents('gina', 'OFFLINE')).toHaveLength(0);
    expect(gina).toEqual([
      ['gina', true, 1],
      ['frank', false, 0],
    ]);
    expect(broadcast.failed).toBe(0);
    expect(broadcast.delivered).toBe(broadcast.targeted);
    expect(notifications(frank)).not.toContain('{"n":"after the death"}');
    expect(notifications(ginaOnC)).not.toContain('{"n":"after the death"}');
    console.info(
      `cluster: SIGKILLed node's user OFFLINE after ${offlineAfterMs} ms (lease ${LEASE_MS} ms, beat ${HEARTBEAT_MS} ms)`,
    );
  });
});
