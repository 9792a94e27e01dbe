// A connection is authorised until its token's `exp`: past it the embedded
// server closes it with 4001, unless the client refreshed the token in-band.
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer, token } from './helpers.js';

describe("a connection's authorised lifetime", () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  const open = async (wsUrl: string, jwt: string) => {
    const socket = new WebSocket(`${wsUrl}/?authorization=${jwt}`);
    const frames: Record<string, unknown>[] = [];
    socket.on('message', (data) => frames.push(JSON.parse(String(data))));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const closed = new Promise<{ code: number; at: number }>((resolve) =>
      socket.once('close', (code) => resolve({ code, at: Date.now() })),
    );
    cleanup.push(() => socket.terminate());
    return { socket, frames, closed };
  };

  it('closes a connection with 4001 when its token expires, and keeps one whose token was refreshed', {
    timeout: 20_000,
  }, async () => {
    // A 1 s sweep (a tenth of the idle timeout), so expiry is seen within a second.
    const { server, wsUrl } = await startServer({ idleTimeoutMs: 10_000, wsPingIntervalMs: 0 });
    cleanup.push(() => server.stop());
    const shortLived = await token({ sub: 'u1' }, undefined, '2s');
    const expiring = await open(wsUrl, shortLived);
    const refreshed = await open(wsUrl, await token({ sub: 'u1' }, undefined, '2s'));
    const opened = Date.now();

    refreshed.socket.send(JSON.stringify({ action: 'refresh', token: await token({ sub: 'u1' }) }));
    const { code, at } = await expiring.closed;
    // Past the other's expiry by more than a sweep: it would have been closed by now.
    await new Promise((resolve) => setTimeout(resolve, 1500));

    expect(code).toBe(4001);
    expect(at - opened).toBeGreaterThanOrEqual(900);
    expect(refreshed.frames).toContainEqual(
      expect.objectContaining({ type: 'refreshed', expiresAt: expect.any(Number) }),
    );
    expect(refreshed.socket.readyState).toBe(WebSocket.OPEN);
  });

  it('refuses a refresh whose token names another user, and the connection still expires', {
    timeout: 20_000,
  }, async () => {
    const { server, wsUrl } = await startServer({ idleTimeoutMs: 10_000, wsPingIntervalMs: 0 });
    cleanup.push(() => server.stop());
    const client = await open(wsUrl, await token({ sub: 'u1' }, undefined, '2s'));

    client.socket.send(JSON.stringify({ action: 'refresh', token: await token({ sub: 'u2' }) }));
    const { code } = await client.closed;

    expect(client.frames).toContainEqual(
      expect.objectContaining({ type: 'error', code: 'token_user_mismatch' }),
    );
    expect(code).toBe(4001);
  });
});
