import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { presentedToken } from '../src/index.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl';

const request = (headers: Record<string, string> = {}) =>
  ({ headers }) as unknown as IncomingMessage;
const url = (query = '') => new URL(`http://localhost/${query}`);

describe('presentedToken', () => {
  it('prefers the authorization query parameter, then token, then the header, then the subprotocol', () => {
    const all = request({
      authorization: 'Bearer from-header',
      'sec-websocket-protocol': `herald, ${JWT}`,
    });

    expect(presentedToken(all, url('?authorization=a&token=b'))).toMatchObject({
      token: 'a',
      carrier: 'query:authorization',
    });
    expect(presentedToken(all, url('?token=b'))).toMatchObject({
      token: 'b',
      carrier: 'query:token',
    });
    expect(presentedToken(all, url())).toMatchObject({ token: 'from-header', carrier: 'header' });
    expect(
      presentedToken(request({ 'sec-websocket-protocol': `herald, ${JWT}` }), url()),
    ).toMatchObject({
      token: JWT,
      carrier: 'subprotocol',
    });
  });

  it('chooses a protocol that is not the token when one was offered', () => {
    expect(
      presentedToken(request({ 'sec-websocket-protocol': `${JWT}, herald` }), url()).protocol,
    ).toBe('herald');
    expect(presentedToken(request({ 'sec-websocket-protocol': JWT }), url()).protocol).toBe(JWT);
    expect(presentedToken(request(), url('?token=x')).protocol).toBeUndefined();
  });

  it('finds no token when none is presented, or when the header is not a Bearer', () => {
    expect(presentedToken(request({ authorization: 'Basic dXNlcjpwYXNz' }), url())).toEqual({
      token: undefined,
      carrier: undefined,
      protocol: undefined,
    });
  });
});
