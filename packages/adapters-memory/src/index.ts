export type { GatewayBehaviour } from './in-memory-connection-gateway.js';
export { InMemoryConnectionGateway } from './in-memory-connection-gateway.js';
export { InMemoryConnectionStore, shardOf } from './in-memory-connection-store.js';
export type { EventListener } from './in-memory-event-publisher.js';
export { InMemoryEventPublisher } from './in-memory-event-publisher.js';
export { InMemoryNodeStore } from './in-memory-node-store.js';
export type { InMemoryPresenceStoreOptions } from './in-memory-presence-store.js';
export { InMemoryPresenceStore } from './in-memory-presence-store.js';
