import { type JWTPayload, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  ClientActions,
  type ClientConnection,
  type ConnectionRegistry,
  type EventPublisher,
  errorFrame,
  parseClientFrame,
  TokenDeniedError,
  TokenUserMismatchError,
  TokenVerifier,
  UnknownActionError,
} from '../src/index.js';
import { ManualClock } from '../src/testing/index.js';

const SECRET = new TextEncoder().encode('a-test-secret-of-at-least-32-bytes!!');

const setup = (withVerifier = true) => {
  const clock = new ManualClock(Date.UTC(2026, 5, 1));
  const verifier = new TokenVerifier(
    { load: async () => ({ keys: [{ kind: 'secret', secret: SECRET }] }) },
    clock,
    { algorithms: ['HS256'] },
  );
  // With the user given by the transport and ping-only liveness, refresh needs neither.
  const actions = new ClientActions({} as ConnectionRegistry, {} as EventPublisher, {
    refreshLiveness: 'ping-only',
    ...(withVerifier ? { verifier } : {}),
  });
  const nowSeconds = Math.floor(clock.now() / 1000);
  const token = (claims: JWTPayload) =>
    new SignJWT({ sub: 'alice', exp: nowSeconds + 3600, ...claims })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(SECRET);
  const refresh = (connection: ClientConnection, value: string) =>
    actions.handle(
      connection,
      parseClientFrame(JSON.stringify({ action: 'refresh', token: value })),
      1,
    );
  return { nowSeconds, token, refresh };
};

describe('ClientActions: refresh', () => {
  it('extends the connection’s authorised lifetime to a valid token of the same user', async () => {
    const { nowSeconds, token, refresh } = setup();
    const connection: ClientConnection = { connectionId: 'c1', userId: 'alice' };

    const reply = await refresh(connection, await token({ exp: nowSeconds + 7200 }));

    expect(reply).toEqual({ type: 'refreshed', expiresAt: (nowSeconds + 7200) * 1000 });
    expect(connection.authorizedUntil).toBe((nowSeconds + 7200) * 1000);
  });

  it('refuses a token of another user, leaving the lifetime as it was', async () => {
    const { token, refresh } = setup();
    const connection: ClientConnection = {
      connectionId: 'c1',
      userId: 'alice',
      authorizedUntil: 5,
    };

    const reply = await refresh(connection, await token({ sub: 'mallory' }));

    expect(reply).toEqual(errorFrame(new TokenUserMismatchError()));
    expect(reply).toMatchObject({ code: 'token_user_mismatch', temporary: false });
    expect(connection.authorizedUntil).toBe(5);
  });

  it('refuses a token that does not verify, with the denial reason', async () => {
    const { nowSeconds, token, refresh } = setup();
    const connection: ClientConnection = { connectionId: 'c1', userId: 'alice' };

    const expired = await refresh(connection, await token({ exp: nowSeconds - 3600 }));
    const forged = await refresh(connection, `${(await token({})).slice(0, -4)}AAAA`);

    expect(expired).toMatchObject({ type: 'error', code: 'token_expired', temporary: false });
    expect(forged).toMatchObject({ type: 'error', code: 'token_signature_invalid' });
    expect(connection.authorizedUntil).toBeUndefined();
  });

  it('refuses a refresh frame without a token, naming the field', async () => {
    const { refresh } = setup();

    const reply = await refresh({ connectionId: 'c1', userId: 'alice' }, '');

    expect(reply).toMatchObject({ type: 'error', code: 'bad_request', field: 'token' });
  });

  it('answers unknown_action where no verifier was given, as a server without refresh does', async () => {
    const { token, refresh } = setup(false);

    const reply = await refresh({ connectionId: 'c1', userId: 'alice' }, await token({}));

    expect(reply).toEqual(errorFrame(new UnknownActionError('refresh')));
    expect(new TokenDeniedError('token_expired', 'x').temporary).toBe(false);
  });
});
