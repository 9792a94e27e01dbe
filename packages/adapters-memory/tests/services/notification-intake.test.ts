import {
  type BroadcastShard,
  ConnectionRegistry,
  NotificationFanout,
  NotificationIntake,
  parseInboundNotification,
} from '@herald/domain';
import { ManualClock } from '@herald/domain/testing';
import { describe, expect, it } from 'vitest';
import { InMemoryConnectionGateway, InMemoryConnectionStore } from '../../src/index.js';

const setup = async (broadcastShards: number) => {
  const clock = new ManualClock();
  const registry = new ConnectionRegistry(new InMemoryConnectionStore(clock), clock);
  const gateway = new InMemoryConnectionGateway();
  for (const id of ['c1', 'c2']) {
    gateway.open(id);
    await registry.connect(id, { userId: `u-${id}`, channels: [], claims: {} });
  }
  const fanout = new NotificationFanout(registry, gateway, clock, { broadcastShards });
  const enqueued: { request: unknown; shards: readonly BroadcastShard[] }[] = [];
  const intake = new NotificationIntake(fanout, {
    enqueue: async (request, shards) => void enqueued.push({ request, shards }),
  });
  const message = (text: string) => {
    const parsed = parseInboundNotification(text, { shard: true });
    if (!parsed.ok || parsed.value.kind === 'batch') throw new Error(`bad test input ${text}`);
    return parsed.value;
  };
  return { gateway, intake, enqueued, message };
};

describe('NotificationIntake', () => {
  it('splits a broadcast into shard messages carrying the request as sent', async () => {
    const { intake, enqueued, message, gateway } = await setup(3);

    const outcome = await intake.accept(message('{"data":{"all":true}}'));

    expect(outcome).toEqual({ kind: 'split', shards: 3 });
    expect(enqueued).toEqual([
      {
        request: { data: { all: true } },
        shards: [0, 1, 2].map((segment) => ({ segment, totalSegments: 3 })),
      },
    ]);
    expect(gateway.received('c1')).toEqual([]);
  });

  it('refuses an oversized broadcast before enqueueing any shard', async () => {
    const { intake, enqueued, message } = await setup(3);

    const accepted = intake.accept(message(`{"data":"${'x'.repeat(200 * 1024)}"}`));

    await expect(accepted).rejects.toMatchObject({ code: 'payload_too_large' });
    expect(enqueued).toEqual([]);
  });

  it('delivers a shard message to its shard, and a targeted request directly', async () => {
    const { intake, message, gateway } = await setup(1);

    const shard = await intake.accept(
      message('{"herald_shard":{"segment":0,"totalSegments":1},"request":{"data":"s"}}'),
    );
    const targeted = await intake.accept(message('{"userId":"u-c1","data":"t"}'));

    expect(shard).toMatchObject({ kind: 'shard_delivered', report: { delivered: 2 } });
    expect(targeted).toMatchObject({ kind: 'delivered', report: { delivered: 1 } });
    expect(gateway.received('c1')).toEqual(['"s"', '"t"']);
    expect(gateway.received('c2')).toEqual(['"s"']);
  });
});
