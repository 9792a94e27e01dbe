import { describe, expect, it } from 'vitest';
import {
  decodeShardMessage,
  encodeContinuationMessage,
  encodeShardMessage,
  MAX_REQUEST_BYTES,
  parseInboundNotification,
} from '../src/index.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('parseInboundNotification', () => {
  it('parses one request from text or bytes, keeping the request as sent', () => {
    const text = '{"userId":"alice","data":{"n":1}}';

    const results = [parseInboundNotification(text), parseInboundNotification(bytes(text))];

    for (const result of results) {
      expect(result).toEqual({
        ok: true,
        value: {
          kind: 'request',
          request: expect.objectContaining({ users: ['alice'], data: { n: 1 } }),
          input: { userId: 'alice', data: { n: 1 } },
        },
      });
    }
  });

  it('refuses bytes that are not UTF-8, input over 1 MiB and non-JSON, naming what is wrong', () => {
    const results = [
      parseInboundNotification(new Uint8Array([0x7b, 0xff, 0x7d])),
      parseInboundNotification(`{"data":"${'x'.repeat(MAX_REQUEST_BYTES)}"}`),
      parseInboundNotification('{"data": '),
    ];

    expect(
      results.map((r) => !r.ok && [r.error.code, 'field' in r.error && r.error.field]),
    ).toEqual([
      ['bad_request', '$'],
      ['payload_too_large', false],
      ['bad_request', '$'],
    ]);
  });

  it('parses a batch entry by entry only where batches are accepted', () => {
    const text = '[{"users":["a"],"data":1},{"users":[7],"data":2}]';

    const batch = parseInboundNotification(text, { batch: true });
    const single = parseInboundNotification(text);

    expect(batch.ok && batch.value.kind === 'batch' && batch.value.entries).toEqual([
      { ok: true, value: expect.objectContaining({ users: ['a'] }) },
      { ok: false, error: expect.objectContaining({ field: '[1].users[0]' }) },
    ]);
    expect(single).toMatchObject({ ok: false, error: { code: 'bad_request', field: '$' } });
  });

  it('reads a shard message only where shards are accepted', () => {
    const body = encodeShardMessage({ data: { all: true } }, { segment: 1, totalSegments: 3 });

    const accepted = parseInboundNotification(body, { shard: true });
    const refused = parseInboundNotification(body);

    expect(accepted).toEqual({
      ok: true,
      value: {
        kind: 'shard',
        shard: { segment: 1, totalSegments: 3 },
        request: expect.objectContaining({ data: { all: true } }),
        input: { data: { all: true } },
      },
    });
    expect(refused).toMatchObject({ ok: false, error: { field: 'herald_shard' } });
  });

  it('names the field of a bad shard or of a bad request inside a shard message', () => {
    const results = [
      parseInboundNotification('{"herald_shard":{"segment":3,"totalSegments":3},"request":{}}', {
        shard: true,
      }),
      parseInboundNotification('{"herald_shard":{"segment":0,"totalSegments":0},"request":{}}', {
        shard: true,
      }),
      parseInboundNotification(
        encodeShardMessage({ users: 'a', data: 1 }, { segment: 0, totalSegments: 1 }),
        {
          shard: true,
        },
      ),
    ];

    expect(results.map((r) => !r.ok && 'field' in r.error && r.error.field)).toEqual([
      'herald_shard.segment',
      'herald_shard.totalSegments',
      'request.users',
    ]);
  });
});

describe('continuation envelope', () => {
  it('reads a continuation, with or without a shard, apart from a repeat of the same request', () => {
    const request = { users: ['alice'], data: { n: 1 }, id: 'req-1' };
    const plain = encodeContinuationMessage({
      request,
      continuation: { attempt: 2, connections: ['c1', 'c2'] },
      delaySeconds: 20,
    });
    const shard = encodeContinuationMessage({
      request: { data: 1 },
      shard: { segment: 0, totalSegments: 2 },
      continuation: { attempt: 0, connections: ['c9'], cursor: 'c8' },
      delaySeconds: 0,
    });

    const results = [plain, shard, JSON.stringify(request)].map((body) =>
      parseInboundNotification(body, { shard: true }),
    );

    expect(results[0]).toEqual({
      ok: true,
      value: {
        kind: 'continuation',
        continuation: { attempt: 2, connections: ['c1', 'c2'] },
        request: expect.objectContaining({ id: 'req-1', users: ['alice'] }),
        input: request,
      },
    });
    expect(results[1]).toMatchObject({
      ok: true,
      value: {
        kind: 'shard',
        shard: { segment: 0, totalSegments: 2 },
        continuation: { attempt: 0, connections: ['c9'], cursor: 'c8' },
      },
    });
    expect(results[2]).toMatchObject({ ok: true, value: { kind: 'request' } });
  });

  it('is refused where envelopes are not accepted, and names the field of a bad one', () => {
    const bad = (continuation: unknown) =>
      parseInboundNotification(
        JSON.stringify({ herald_continuation: continuation, request: { data: 1 } }),
        { shard: true },
      );

    const results = [
      bad({ attempt: -1, connections: [] }),
      bad({ attempt: 0, connections: [''] }),
      bad({ attempt: 0, connections: [], cursor: 3 }),
      bad({ attempt: 0, connections: [], exhausted: [{ connectionId: 'c1' }] }),
      parseInboundNotification(
        encodeContinuationMessage({
          request: { data: 1 },
          continuation: { attempt: 0, connections: ['c1'] },
          delaySeconds: 0,
        }),
      ),
    ];

    expect(results.map((r) => !r.ok && 'field' in r.error && r.error.field)).toEqual([
      'herald_continuation.attempt',
      'herald_continuation.connections',
      'herald_continuation.cursor',
      'herald_continuation.exhausted',
      'herald_continuation',
    ]);
  });
});

describe('shard envelope', () => {
  it('decodes what it encodes, and leaves a plain request alone', () => {
    const shard = { segment: 2, totalSegments: 4 };

    const decoded = decodeShardMessage(JSON.parse(encodeShardMessage({ data: 1 }, shard)));

    expect(decoded).toEqual({ ok: true, value: { herald_shard: shard, request: { data: 1 } } });
    expect(decodeShardMessage({ data: 1 })).toBeUndefined();
  });
});
