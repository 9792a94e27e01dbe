export type {
  FrameOutcome,
  ProtocolClient,
  ProtocolHarness,
  ProtocolHarnessFactory,
} from './client-protocol-scenarios.js';
export { describeClientProtocolScenarios } from './client-protocol-scenarios.js';
export type { ClockFactory } from './clock-contract.js';
export { describeClockContract } from './clock-contract.js';
export type {
  GatewayHarness,
  GatewayHarnessFactory,
  OpenedConnection,
} from './connection-gateway-contract.js';
export { describeConnectionGatewayContract } from './connection-gateway-contract.js';
export { connectionRecord } from './connection-record.js';
export type { ConnectionStoreFactory } from './connection-store-contract.js';
export { describeConnectionStoreContract } from './connection-store-contract.js';
export type { PublisherHarness, PublisherHarnessFactory } from './event-publisher-contract.js';
export { describeEventPublisherContract } from './event-publisher-contract.js';
export { freshHarness } from './fresh-harness.js';
export type { HistoryHarness, HistoryHarnessFactory } from './history-store-contract.js';
export { describeHistoryStoreContract } from './history-store-contract.js';
export type {
  IdempotencyHarness,
  IdempotencyHarnessFactory,
} from './idempotency-store-contract.js';
export { describeIdempotencyStoreContract } from './idempotency-store-contract.js';
export type { KeySourceHarness, KeySourceHarnessFactory } from './key-source-contract.js';
export { describeKeySourceContract } from './key-source-contract.js';
export { ManualClock } from './manual-clock.js';
export type { NodeStoreFactory } from './node-store-contract.js';
export { describeNodeStoreContract } from './node-store-contract.js';
export type { Delivery, PresenceScenario, ScenarioTracker, Session } from './presence-scenarios.js';
export {
  expectedTransitions,
  presenceScenarioArbitrary,
  replayScenario,
  usersOnlineAt,
} from './presence-scenarios.js';
export type { PresenceStoreFactory } from './presence-store-contract.js';
export { describePresenceStoreContract } from './presence-store-contract.js';
export { SimulatedClock } from './simulated-clock.js';
export { waitFor } from './wait-for.js';
