import { Logger } from '@aws-lambda-powertools/logger';
import {
  emulatorEnvironment as awsEmulatorEnvironment,
  queueCollector,
} from '@herald/adapters-aws/testing';
import { StaticKeySource, SystemClock } from '@herald/adapters-node';
import { type OutboundEvent, TokenVerifier } from '@herald/domain';
import { inject } from 'vitest';
import { createHeraldServer, type HeraldServerOptions } from '../src/index.js';
import {
  type Client,
  connect,
  refusal,
  TEST_SECRET as SECRET,
  signTestToken as token,
} from '../src/testing/index.js';

const BACKEND_KEY = 'backend-key-for-tests';

/** A started server on a free loopback port, with the events it published. */
const startServer = async (options: Partial<HeraldServerOptions> = {}) => {
  const verifier = new TokenVerifier(StaticKeySource.fromSecret(SECRET), new SystemClock(), {
    algorithms: ['HS256'],
  });
  const server = createHeraldServer({
    port: 0,
    verifier,
    backendKey: BACKEND_KEY,
    logger: new Logger({ serviceName: 'herald-test', logLevel: 'SILENT' }),
    ...options,
  });
  const events: OutboundEvent[] = [];
  server.onEvent((event) => events.push(event));
  const address = await server.start();
  return { server, events, ...address, wsUrl: address.url.replace(/^http/, 'ws') };
};

/** POSTs JSON with the backend key, another key, or (null) none. */
const post = (url: string, body: unknown, key: string | null = BACKEND_KEY) =>
  fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key === null ? {} : { authorization: `Bearer ${key}` }),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

/**
 * The standard SDK variables pointing at the emulators the global setup
 * started, exactly as a deployment would set them (with dummy credentials).
 */
const emulatorEnvironment = () =>
  awsEmulatorEnvironment({
    dynamoEndpoint: inject('dynamoEndpoint'),
    fauxqsEndpoint: inject('fauxqsEndpoint'),
  });

export type { Client };
export {
  BACKEND_KEY,
  connect,
  emulatorEnvironment,
  post,
  queueCollector,
  refusal,
  SECRET,
  startServer,
  token,
};
