import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ClientMessageEvent,
  decodeShardMessage,
  encodeShardMessage,
  portableJsonText,
  toWireMessage,
} from '../src/index.js';

/** The characters SQS takes in a message body (its documentation's list). */
const SQS_BODY = /^[\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]*$/u;

/** Code units, the ones next to SQS's limits far more often than chance would give them. */
const unit = fc.oneof(
  fc.constantFrom('\uffff', '\ufffe', '\ufffd', '\u0000', '\u001f', '\ud800', '\udfff', '"', '\\'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);

const clientMessage = (message: unknown): ClientMessageEvent => ({
  kind: 'client_message',
  route: 'send',
  message,
  userId: 'u1',
  connectionId: 'c1',
  timestamp: 1,
});

describe('the wire body of an event', () => {
  it('writes U+FFFE and U+FFFF as escapes, which SQS would refuse raw, keeping the value', () => {
    const message = { note: 'a\uffffb\ufffe', 'key\uffff': ['\uffff'] };

    const { body } = toWireMessage(clientMessage(message));

    expect(body).toBe('{"note":"a\\uffffb\\ufffe","key\\uffff":["\\uffff"]}');
    expect(JSON.parse(body)).toEqual(message);
  });

  it('holds only characters SQS takes, and the same JSON value, for any message', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: unit }), (message) => {
        const { body } = toWireMessage(clientMessage(message));

        expect(body).toMatch(SQS_BODY);
        expect(JSON.parse(body)).toEqual(JSON.parse(JSON.stringify(message)));
      }),
      { numRuns: 500 },
    );
  });

  it('escapes U+FFFE and U+FFFF in a JSON text written elsewhere, keeping its value and its form', () => {
    const text = '{ "data": {"text": "a\uffff\ufffe b", "n": 1.50} }';

    const portable = portableJsonText(text);

    expect(portable).toBe('{ "data": {"text": "a\\uffff\\ufffe b", "n": 1.50} }');
    expect(portable).toMatch(SQS_BODY);
    expect(JSON.parse(portable)).toEqual(JSON.parse(text));
  });

  it('keeps a broadcast shard message to the notifications queue within what SQS takes', () => {
    const request = { data: { text: 'end\uffff' } };

    const body = encodeShardMessage(request, { segment: 0, totalSegments: 2 });

    expect(body).toMatch(SQS_BODY);
    expect(decodeShardMessage(JSON.parse(body))).toMatchObject({
      ok: true,
      value: { request, herald_shard: { segment: 0, totalSegments: 2 } },
    });
  });
});
