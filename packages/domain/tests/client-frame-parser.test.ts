import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  HeraldError,
  LIMITS,
  PayloadTooLargeError,
  parseClientFrame,
  UnknownActionError,
  type ValidationError,
} from '../src/index.js';

describe('parseClientFrame', () => {
  it('parses every action the protocol names', () => {
    expect(parseClientFrame('{"action":"ping"}')).toEqual({ ok: true, value: { action: 'ping' } });
    expect(parseClientFrame('{"action":"send","message":{"a":1}}')).toEqual({
      ok: true,
      value: { action: 'send', message: { a: 1 } },
    });
    expect(parseClientFrame('{"action":"publish","message":null}')).toEqual({
      ok: true,
      value: { action: 'publish', message: null },
    });
    expect(parseClientFrame('{"action":"subscribe","channel":"room-1"}')).toEqual({
      ok: true,
      value: { action: 'subscribe', channel: 'room-1' },
    });
    expect(parseClientFrame('{"action":"unsubscribe","channel":"room-1"}')).toEqual({
      ok: true,
      value: { action: 'unsubscribe', channel: 'room-1' },
    });
  });

  it('answers an unknown action with unknown_action', () => {
    const result = parseClientFrame('{"action":"dance"}');

    expect(!result.ok && result.error).toBeInstanceOf(UnknownActionError);
    expect(!result.ok && result.error.code).toBe('unknown_action');
  });

  it('answers non-JSON, non-objects and missing fields with bad_request naming the field', () => {
    const fields = [
      'not json',
      '[1]',
      '{"x":1}',
      '{"action":"send"}',
      '{"action":"subscribe"}',
    ].map((frame) => {
      const result = parseClientFrame(frame);
      expect(!result.ok && result.error.code).toBe('bad_request');
      return !result.ok && (result.error as ValidationError).field;
    });

    expect(fields).toEqual(['$', '$', 'action', 'message', 'channel']);
  });

  it('refuses channel names with characters outside the allowed set', () => {
    const result = parseClientFrame('{"action":"subscribe","channel":"room 1"}');

    expect(!result.ok && (result.error as ValidationError).field).toBe('channel');
  });

  it('refuses a frame over 32 KB, counted in UTF-8 bytes', () => {
    const justFits = `{"action":"send","message":"${'x'.repeat(LIMITS.maxFrameBytes - 30)}"}`;
    const tooBig = `{"action":"send","message":"${'é'.repeat(LIMITS.maxFrameBytes / 2)}"}`;

    expect(parseClientFrame(justFits).ok).toBe(true);
    const result = parseClientFrame(tooBig);
    expect(!result.ok && result.error).toBeInstanceOf(PayloadTooLargeError);
  });

  it('answers any frame with a value or a Herald error, never a throw', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc
            .record(
              { action: fc.oneof(fc.constantFrom('ping', 'send', 'subscribe'), fc.string()) },
              { requiredKeys: [] },
            )
            .chain((base) =>
              fc
                .dictionary(fc.string(), fc.jsonValue())
                .map((extra) => JSON.stringify({ ...extra, ...base })),
            ),
          fc.uint8Array().map((bytes) => bytes),
        ),
        (frame) => {
          const result = parseClientFrame(frame);
          if (!result.ok) expect(result.error).toBeInstanceOf(HeraldError);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
