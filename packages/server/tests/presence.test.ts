import { InMemoryEventPublisher } from '@herald/adapters-memory';
import { waitFor } from '@herald/domain/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKEND_KEY, connect, startServer, token } from './helpers.js';

type Started = Awaited<ReturnType<typeof startServer>>;
let started: Started | undefined;
afterEach(async () => {
  await started?.server.stop();
  started = undefined;
});

const statuses = (s: Started) =>
  s.events.flatMap((e) => (e.kind === 'presence' ? [`${e.userId}:${e.status}`] : []));

describe('Presence', () => {
  it('publishes one ONLINE for two devices and one OFFLINE when both leave', async () => {
    started = await startServer();
    const jwt = await token({ sub: 'alice' });
    const phone = await connect(`${started.wsUrl}/?authorization=${jwt}`);
    const laptop = await connect(`${started.wsUrl}/?authorization=${jwt}`);
    await waitFor(() => (started && statuses(started).length >= 1 ? true : undefined));

    await phone.close();
    await laptop.roundTrip();
    expect(statuses(started)).toEqual(['alice:ONLINE']);
    await laptop.close();

    const seen = await waitFor(() =>
      started && statuses(started).length >= 2 ? statuses(started) : undefined,
    );
    expect(seen).toEqual(['alice:ONLINE', 'alice:OFFLINE']);
  });

  it('answers GET /presence with online, connection count and last seen', async () => {
    started = await startServer();
    const jwt = await token({ sub: 'bob' });
    await connect(`${started.wsUrl}/?authorization=${jwt}`);
    await connect(`${started.wsUrl}/?authorization=${jwt}`);
    await waitFor(() => (started && statuses(started).length >= 1 ? true : undefined));

    const response = await fetch(`${started.url}/presence?userIds=bob,nobody`, {
      headers: { authorization: `Bearer ${BACKEND_KEY}` },
    });

    expect(await response.json()).toEqual({
      users: [
        { userId: 'bob', online: true, connections: 2, lastSeenAt: expect.any(Number) },
        { userId: 'nobody', online: false, connections: 0, lastSeenAt: null },
      ],
    });
  });

  it('refuses a presence query without ids or with too many', async () => {
    started = await startServer();
    const ask = (query: string) =>
      fetch(`${started?.url}/presence?${query}`, {
        headers: { authorization: `Bearer ${BACKEND_KEY}` },
      });

    const empty = await ask('');
    const tooMany = await ask(
      `userIds=${Array.from({ length: 101 }, (_, i) => `u${i}`).join(',')}`,
    );

    expect([empty.status, tooMany.status]).toEqual([400, 400]);
    expect(await empty.json()).toMatchObject({
      error: { code: 'bad_request', field: 'userIds', temporary: false },
    });
  });

  it('sends presence events to configured outputs as well', async () => {
    const output = new InMemoryEventPublisher();
    started = await startServer({ outputs: [output] });

    await connect(`${started.wsUrl}/?authorization=${await token({ sub: 'carol' })}`);

    await waitFor(() => (output.events.length > 0 ? true : undefined));
    expect(output.events[0]).toMatchObject({ kind: 'presence', userId: 'carol', status: 'ONLINE' });
  });
});
