import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';

interface DevCredentials {
  readonly jwtSecret: string;
  readonly backendKey: string;
}

/** Fresh random credentials for a zero-configuration start. Never for production. */
const generateDevCredentials = (): DevCredentials => ({
  jwtSecret: randomBytes(32).toString('base64url'),
  backendKey: randomBytes(24).toString('base64url'),
});

/** A token for user `dev-user`, allowed every channel, valid for 12 hours. */
const signDevToken = (secret: string, userId = 'dev-user'): Promise<string> =>
  new SignJWT({ channels: ['*'] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime('12h')
    .sign(new TextEncoder().encode(secret));

export type { DevCredentials };
export { generateDevCredentials, signDevToken };
