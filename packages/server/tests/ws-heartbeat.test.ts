import { waitFor } from '@herald/domain/testing';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer, token } from './helpers.js';

describe('WebSocket-level pings', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  const open = async (wsUrl: string, autoPong: boolean) => {
    const socket = new WebSocket(`${wsUrl}/?authorization=${await token({ sub: 'u1' })}`, {
      autoPong,
    });
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    cleanup.push(() => socket.terminate());
    return { socket, closed };
  };

  it('terminates a peer that misses a pong, and keeps one that answers', async () => {
    const { server, wsUrl, url } = await startServer({ wsPingIntervalMs: 40 });
    cleanup.push(() => server.stop());
    const alive = await open(wsUrl, true);
    const dead = await open(wsUrl, false);
    let pings = 0;
    alive.socket.on('ping', () => {
      pings += 1;
    });

    const code = await dead.closed;
    await waitFor(
      async () => {
        const health = (await (await fetch(`${url}/healthz`)).json()) as { connections: number };
        return health.connections === 1 ? true : undefined;
      },
      { what: 'the dead peer to be removed' },
    );

    expect(code).toBe(1006);
    expect(pings).toBeGreaterThanOrEqual(2);
    expect(alive.socket.readyState).toBe(WebSocket.OPEN);
  });

  it('sends no pings when the interval is 0', async () => {
    const { server, wsUrl } = await startServer({ wsPingIntervalMs: 0, idleTimeoutMs: 400 });
    cleanup.push(() => server.stop());
    const client = await open(wsUrl, false);
    let pings = 0;
    client.socket.on('ping', () => {
      pings += 1;
    });

    const code = await client.closed;

    expect(code).toBe(1001);
    expect(pings).toBe(0);
  });
});
