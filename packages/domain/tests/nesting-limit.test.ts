import { describe, expect, it } from 'vitest';
import {
  LIMITS,
  parseClientFrame,
  parseInboundNotification,
  parseNotificationRequest,
} from '../src/index.js';

/** `depth` nested arrays around a number: `[[[1]]]` is depth 3. */
const nestedArrays = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
/** The same as a value, built without recursion. */
const nestedValue = (depth: number): unknown => {
  let value: unknown = 1;
  for (let level = 0; level < depth; level++) value = { a: value };
  return value;
};

const fieldOf = (result: { ok: boolean; error?: unknown }) =>
  result.ok
    ? undefined
    : [(result.error as { code: string }).code, (result.error as { field?: string }).field];

describe('the nesting limit of free-form values', () => {
  const limit = LIMITS.maxNestingDepth;

  it('is 64 levels, documented in LIMITS', () => {
    expect(limit).toBe(64);
  });

  it('accepts a send or publish message nested exactly to the limit', () => {
    const frames = ['send', 'publish'].map((action) =>
      parseClientFrame(`{"action":"${action}","message":${nestedArrays(limit)}}`),
    );

    for (const frame of frames) expect(frame.ok).toBe(true);
  });

  it('refuses a message one level deeper, as bad_request naming the message', () => {
    const frames = ['send', 'publish'].map((action) =>
      parseClientFrame(`{"action":"${action}","message":${nestedArrays(limit + 1)}}`),
    );

    expect(frames.map(fieldOf)).toEqual([
      ['bad_request', 'message'],
      ['bad_request', 'message'],
    ]);
  });

  it('refuses a frame of thousands of nested arrays under the frame size limit, without overflowing', () => {
    const depth = Math.floor((LIMITS.maxFrameBytes - 64) / 2);

    const frame = parseClientFrame(`{"action":"send","message":${nestedArrays(depth)}}`);

    expect(fieldOf(frame)).toEqual(['bad_request', 'message']);
  });

  it('refuses a notification request whose data is too deep, in every format, naming the field', () => {
    const deep = nestedArrays(limit + 1);
    const results = [
      parseInboundNotification(`{"users":["u1"],"data":${deep}}`),
      parseInboundNotification(`{"userId":"u1","data":${deep}}`),
      parseInboundNotification(`{"UserId":"u1","Body":${deep}}`),
      parseInboundNotification(`{"data":${nestedArrays(400_000)}}`),
    ];

    expect(results.map(fieldOf)).toEqual([
      ['bad_request', 'data'],
      ['bad_request', 'data'],
      ['bad_request', 'Body'],
      ['bad_request', 'data'],
    ]);
  });

  it('refuses a too-deep value given as an object (the library call), not only as text', () => {
    const accepted = parseNotificationRequest({ data: nestedValue(limit) });
    const refused = parseNotificationRequest({ data: nestedValue(100_000) });

    expect(accepted.ok).toBe(true);
    expect(fieldOf(refused)).toEqual(['bad_request', 'data']);
  });

  it('refuses only the too-deep entry of a batch, naming its index', () => {
    const parsed = parseInboundNotification(`[{"data":1},{"data":${nestedArrays(limit + 1)}}]`, {
      batch: true,
    });

    expect(parsed.ok && parsed.value.kind === 'batch' && parsed.value.entries.map(fieldOf)).toEqual(
      [undefined, ['bad_request', '[1].data']],
    );
  });
});
