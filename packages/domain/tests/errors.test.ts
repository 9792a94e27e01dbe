import { describe, expect, it } from 'vitest';
import {
  ChannelNotAllowedError,
  ConcurrencyConflictError,
  ConfigurationError,
  ConnectionNotFoundError,
  errorFrame,
  type HeraldError,
  InternalError,
  KeySourceError,
  MethodNotAllowedError,
  NotFoundError,
  OutputUnavailableError,
  PayloadTooLargeError,
  RateLimitedError,
  StoreUnavailableError,
  StreamNotAllowedError,
  TOKEN_DENIAL_REASONS,
  TokenDeniedError,
  TokenUserMismatchError,
  TooManyChannelsError,
  UnauthorizedError,
  UnknownActionError,
  ValidationError,
  wireError,
} from '../src/index.js';

/** One error of each class, with whether it is worth a retry. */
const CATALOGUE: [HeraldError, boolean][] = [
  [new ValidationError('users', 'must be an array'), false],
  [new PayloadTooLargeError('frame', 2, 1), false],
  [new UnknownActionError('dance'), false],
  [new ChannelNotAllowedError('room-2'), false],
  [new StreamNotAllowedError('user:someone-else'), false],
  [new TooManyChannelsError(100), false],
  [new ConnectionNotFoundError('c1'), false],
  [new TokenDeniedError('token_expired', 'expired'), false],
  [new TokenDeniedError('token_key_unavailable', 'issuer down'), true],
  [new TokenUserMismatchError(), false],
  [new ConfigurationError('port', 'taken'), false],
  [new KeySourceError('issuer down'), true],
  [new ConcurrencyConflictError('lost the race'), true],
  [new RateLimitedError(), true],
  [new OutputUnavailableError(), true],
  [new StoreUnavailableError('Query', 'connections'), true],
  [new InternalError(), true],
  [new UnauthorizedError(), false],
  [new NotFoundError('GET /nowhere'), false],
];

describe('error catalogue', () => {
  it('marks exactly the errors worth a retry as temporary', () => {
    expect(CATALOGUE.map(([error]) => [error.code, error.temporary])).toEqual(
      CATALOGUE.map(([error, temporary]) => [error.code, temporary]),
    );
  });

  it('gives each wire code one class', () => {
    const codes = [
      new RateLimitedError(),
      new OutputUnavailableError(),
      new StoreUnavailableError('Query', 'connections'),
      new InternalError(),
      new UnauthorizedError(),
      new NotFoundError('x'),
    ].map((error) => error.code);

    expect(codes).toEqual([
      'rate_limited',
      'output_unavailable',
      'store_unavailable',
      'internal_error',
      'unauthorized',
      'not_found',
    ]);
  });

  it('maps an error to its wire body, with the field of a bad request', () => {
    const invalid = new ValidationError('users[2]', 'must be a string');
    const denied = new ChannelNotAllowedError('room-2');

    expect(wireError(invalid)).toEqual({
      code: 'bad_request',
      message: invalid.message,
      temporary: false,
      field: 'users[2]',
    });
    expect(wireError(denied)).toEqual({
      code: 'channel_not_allowed',
      message: denied.message,
      temporary: false,
    });
    expect(errorFrame(denied)).toEqual({ type: 'error', ...wireError(denied) });
  });

  it('maps anything that is not a Herald error to internal_error, without its message', () => {
    const body = wireError(new Error('connect ECONNREFUSED 10.0.0.7:8000'));

    expect(body).toEqual(wireError(new InternalError()));
    expect(body.code).toBe('internal_error');
    expect(JSON.stringify(body)).not.toContain('ECONNREFUSED');
    expect(wireError('a string thrown')).toEqual(body);
  });
});

describe('the protocol reference (docs/protocol.md)', () => {
  const documented = async () => {
    const { readFile } = await import('node:fs/promises');
    const doc = await readFile(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');
    const table = doc.slice(
      doc.indexOf('<!-- error-codes:start -->'),
      doc.indexOf('<!-- error-codes:end -->'),
    );
    return new Map(
      [...table.matchAll(/^\| `([a-z_]+)` \| (yes|no) \|/gm)].map((row) => [
        row[1],
        row[2] === 'yes',
      ]),
    );
  };

  it('lists every error code of the catalogue, each with its temporary flag', async () => {
    const catalogue: HeraldError[] = [
      ...CATALOGUE.map(([error]) => error),
      new MethodNotAllowedError('GET', '/notifications', ['POST']),
      ...TOKEN_DENIAL_REASONS.map((reason) => new TokenDeniedError(reason, 'denied')),
    ];

    const table = await documented();

    expect(Object.fromEntries(table)).toEqual(
      Object.fromEntries(catalogue.map((error) => [error.code, error.temporary])),
    );
  });
});
