import { describe, expect, it } from 'vitest';
import type { ConnectionGateway } from '../ports/connection-gateway.js';
import { freshHarness } from './fresh-harness.js';

/** A live connection opened through the harness, seen from the client side. */
interface OpenedConnection {
  readonly connectionId: string;
  /** Resolves with the first `count` text messages the client received, in order. */
  messages(count: number): Promise<readonly string[]>;
}

interface GatewayHarness {
  readonly gateway: ConnectionGateway;
  open(): Promise<OpenedConnection>;
  dispose?(): Promise<void>;
}

type GatewayHarnessFactory = () => GatewayHarness | Promise<GatewayHarness>;

const encode = (text: string) => new TextEncoder().encode(text);

/** The behaviour every ConnectionGateway must have, driven through real (or simulated) clients. */
const describeConnectionGatewayContract = (name: string, factory: GatewayHarnessFactory): void => {
  describe(`ConnectionGateway contract: ${name}`, () => {
    const setup = freshHarness(factory);

    it('delivers the posted bytes to the connection', async () => {
      const { gateway, open } = await setup();
      const client = await open();

      const outcome = await gateway.post(client.connectionId, encode('{"hello":"wörld"}'));

      expect(outcome).toBe('delivered');
      expect(await client.messages(1)).toEqual(['{"hello":"wörld"}']);
    });

    it('delivers one payload buffer to several connections', async () => {
      const { gateway, open } = await setup();
      const [a, b] = [await open(), await open()];
      const payload = encode('"same bytes"');

      const outcomes = [
        await gateway.post(a.connectionId, payload),
        await gateway.post(b.connectionId, payload),
      ];

      expect(outcomes).toEqual(['delivered', 'delivered']);
      expect(await a.messages(1)).toEqual(['"same bytes"']);
      expect(await b.messages(1)).toEqual(['"same bytes"']);
    });

    it('answers gone for a connection it does not hold', async () => {
      const { gateway } = await setup();

      expect(await gateway.post('AAAAAAAAAAAAAAA=', encode('{}'))).toBe('gone');
      expect(await gateway.get('AAAAAAAAAAAAAAA=')).toBeUndefined();
    });

    it('describes a live connection with its timestamps', async () => {
      const { gateway, open } = await setup();
      const client = await open();

      const info = await gateway.get(client.connectionId);

      expect(info?.connectionId).toBe(client.connectionId);
      expect(Number.isFinite(info?.connectedAt)).toBe(true);
      expect(info?.lastActiveAt).toBeGreaterThanOrEqual(
        info?.connectedAt ?? Number.POSITIVE_INFINITY,
      );
    });

    it('disconnects a connection, after which it is gone', async () => {
      const { gateway, open } = await setup();
      const client = await open();

      expect(await gateway.disconnect(client.connectionId)).toBe('disconnected');

      expect(await gateway.get(client.connectionId)).toBeUndefined();
      expect(await gateway.post(client.connectionId, encode('{}'))).toBe('gone');
      expect(await gateway.disconnect(client.connectionId)).toBe('gone');
    });
  });
};

export type { GatewayHarness, GatewayHarnessFactory, OpenedConnection };
export { describeConnectionGatewayContract };
