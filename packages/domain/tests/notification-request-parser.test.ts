import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  HeraldError,
  PayloadTooLargeError,
  parseNotificationBatch,
  parseNotificationRequest,
  parseNotificationRequestText,
  ValidationError,
} from '../src/index.js';

const id = fc.string({ minLength: 1, maxLength: 40 });
const data = fc.jsonValue();
const none = { users: [], connections: [], channels: [], excludeUsers: [], excludeConnections: [] };

const fieldOf = (input: unknown) => {
  const result = parseNotificationRequest(input);
  if (result.ok) throw new Error('expected a parse error');
  return (result.error as ValidationError).field;
};

describe('parseNotificationRequest', () => {
  it('maps each seed format to the canonical form', () => {
    fc.assert(
      fc.property(id, id, data, (a, b, payload) => {
        const cases: [unknown, object][] = [
          [
            { users: [a, b], data: payload },
            { ...none, users: [a, b], data: payload },
          ],
          [{ data: payload }, { ...none, data: payload }],
          [
            { userId: a, data: payload },
            { ...none, users: [a], data: payload },
          ],
          [
            { connectionId: a, data: payload },
            { ...none, connections: [a], data: payload },
          ],
          [
            { user_id: a, room_id: b, data: payload },
            { ...none, channels: [b], sender: a, data: payload },
          ],
          [
            { UserId: a, Body: payload },
            { ...none, users: [a], data: payload },
          ],
        ];
        for (const [input, canonical] of cases) {
          const result = parseNotificationRequest(input);
          expect(result).toEqual({ ok: true, value: canonical });
        }
      }),
    );
  });

  it('keeps every list of the canonical form, with its idempotency key', () => {
    fc.assert(
      fc.property(
        fc.record({
          users: fc.array(id),
          connections: fc.array(id),
          channels: fc.array(id),
          exclude_users: fc.array(id),
          exclude_connections: fc.array(id),
          id,
          data,
        }),
        (input) => {
          const result = parseNotificationRequest(input);

          expect(result).toEqual({
            ok: true,
            value: {
              users: input.users,
              connections: input.connections,
              channels: input.channels,
              excludeUsers: input.exclude_users,
              excludeConnections: input.exclude_connections,
              data: input.data,
              id: input.id,
            },
          });
        },
      ),
    );
  });

  it('answers any input with a value or a Herald error, never a throw', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withObjectString: true }), (input) => {
        const result = parseNotificationRequest(input);
        if (!result.ok) expect(result.error).toBeInstanceOf(HeraldError);
      }),
      { numRuns: 2000 },
    );
  });

  it('answers any text with a value or a Herald error, never a throw', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (text) => {
          const result = parseNotificationRequestText(text);
          if (!result.ok) expect(result.error).toBeInstanceOf(HeraldError);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('names the field that is wrong', () => {
    expect(fieldOf({ users: 'u1', data: 1 })).toBe('users');
    expect(fieldOf({ users: ['u1', 7], data: 1 })).toBe('users[1]');
    expect(fieldOf({ users: ['u1', ''], data: 1 })).toBe('users[1]');
    expect(fieldOf({ users: ['u1'] })).toBe('data');
    expect(fieldOf({ user: ['u1'], data: 1 })).toBe('user');
    expect(fieldOf({ userId: 42, data: 1 })).toBe('userId');
    expect(fieldOf({ user_id: 'u1', room_id: 'r1' })).toBe('data');
    expect(fieldOf({ UserId: 'u1' })).toBe('Body');
    expect(fieldOf({ data: 1, id: 5 })).toBe('id');
    expect(fieldOf([{ data: 1 }])).toBe('$');
    expect(fieldOf({ users: ['x'.repeat(257)], data: 1 })).toBe('users[0]');
  });

  it('refuses a target list over the limit', () => {
    const users = Array.from({ length: 10_001 }, (_, i) => `u${i}`);

    const error = parseNotificationRequest({ users, data: 1 });

    expect(error.ok).toBe(false);
    expect(!error.ok && error.error.code).toBe('bad_request');
  });
});

describe('parseNotificationRequestText', () => {
  it('refuses text that is not JSON, naming the whole input', () => {
    const result = parseNotificationRequestText('{"users": [');

    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toBeInstanceOf(ValidationError);
    expect(!result.ok && (result.error as ValidationError).field).toBe('$');
  });

  it('refuses a request over 1 MiB before parsing it', () => {
    const result = parseNotificationRequestText(`{"data":"${'x'.repeat(1024 * 1024)}"}`);

    expect(!result.ok && result.error).toBeInstanceOf(PayloadTooLargeError);
  });

  it('reads UTF-8 bytes and refuses invalid UTF-8', () => {
    const good = parseNotificationRequestText(
      new TextEncoder().encode('{"userId":"ü","data":"ß"}'),
    );
    const bad = parseNotificationRequestText(new Uint8Array([0x7b, 0xff, 0x7d]));

    expect(good).toEqual({ ok: true, value: { ...none, users: ['ü'], data: 'ß' } });
    expect(!bad.ok && bad.error.code).toBe('bad_request');
  });
});

describe('parseNotificationBatch', () => {
  it('parses each entry on its own, so one bad request does not sink the rest', () => {
    const results = parseNotificationBatch([
      { userId: 'a', data: 1 },
      { users: 3, data: 2 },
      { data: 3 },
    ]);

    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    const bad = results[1];
    expect(bad && !bad.ok && (bad.error as ValidationError).field).toBe('[1].users');
  });

  it('treats a single object as a batch of one', () => {
    expect(parseNotificationBatch({ data: 'x' })).toEqual([
      { ok: true, value: { ...none, data: 'x' } },
    ]);
  });
});
