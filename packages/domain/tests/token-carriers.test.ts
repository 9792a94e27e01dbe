import { describe, expect, it } from 'vitest';
import { DEFAULT_IDENTITY_SOURCE, missingIdentitySource, presentedToken } from '../src/index.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl';

/** A connect request with these headers and query parameters. */
const request = (headers: Record<string, string> = {}, query: Record<string, string> = {}) => ({
  headers,
  query,
});

describe('presentedToken', () => {
  it('prefers the authorization query parameter, then token, then the header, then the subprotocol', () => {
    const headers = {
      authorization: 'Bearer from-header',
      'sec-websocket-protocol': `herald, ${JWT}`,
    };

    expect(presentedToken(request(headers, { authorization: 'a', token: 'b' }))).toMatchObject({
      token: 'a',
      carrier: 'query:authorization',
    });
    expect(presentedToken(request(headers, { token: 'b' }))).toMatchObject({
      token: 'b',
      carrier: 'query:token',
    });
    expect(presentedToken(request(headers))).toMatchObject({
      token: 'from-header',
      carrier: 'header',
    });
    expect(presentedToken(request({ 'sec-websocket-protocol': `herald, ${JWT}` }))).toMatchObject({
      token: JWT,
      carrier: 'subprotocol',
    });
  });

  it('chooses a protocol that is not the token when one was offered', () => {
    expect(presentedToken(request({ 'sec-websocket-protocol': `${JWT}, herald` })).protocol).toBe(
      'herald',
    );
    expect(presentedToken(request({ 'sec-websocket-protocol': JWT })).protocol).toBe(JWT);
    expect(presentedToken(request({}, { token: 'x' })).protocol).toBeUndefined();
  });

  it('finds no token when none is presented, or when the header is not a Bearer', () => {
    expect(presentedToken(request({ authorization: 'Basic dXNlcjpwYXNz' }))).toEqual({
      token: undefined,
      carrier: undefined,
      protocol: undefined,
    });
  });
});

describe('missingIdentitySource', () => {
  it('names the first identity source a connect request lacks, as API Gateway checks it before the authorizer', () => {
    const request = { query: { authorization: 'jwt', empty: '' }, headers: { 'x-api-key': 'k' } };

    expect(missingIdentitySource(DEFAULT_IDENTITY_SOURCE, request)).toBeUndefined();
    expect(
      missingIdentitySource(DEFAULT_IDENTITY_SOURCE, {
        query: {},
        headers: { authorization: 'Bearer jwt' },
      }),
    ).toBe('route.request.querystring.authorization');
    expect(missingIdentitySource(['route.request.header.X-Api-Key'], request)).toBeUndefined();
    expect(missingIdentitySource(['route.request.querystring.empty'], request)).toBe(
      'route.request.querystring.empty',
    );
    expect(missingIdentitySource([], { query: {}, headers: {} })).toBeUndefined();
    expect(() => missingIdentitySource(['context.x'], request)).toThrow(/context\.x/);
  });
});
