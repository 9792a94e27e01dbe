// `@herald/server/testing`: tools for tests that talk Herald's client
// protocol to a running host (this package's server, or @herald/local-aws).

export type { Envelope, Positions, ResumeOutcome } from './herald-v1-client.js';
export { nextEnvelopes, positionsOf, resume } from './herald-v1-client.js';
export { launch } from './node-process.js';
export type { Client } from './websocket-client.js';
export { connect, refusal, signTestToken, TEST_SECRET } from './websocket-client.js';
