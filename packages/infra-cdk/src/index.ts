export type { BroadcastSizing, BroadcastSizingInput } from '@herald/lambda-entrypoints/sizing';
export { broadcastSizing } from '@herald/lambda-entrypoints/sizing';
export type { HeraldJwtProps, HeraldNotificationsProps } from './herald-notifications.js';
export { HeraldNotifications } from './herald-notifications.js';
export type { TableOptions } from './table-from-definition.js';
export { tableFromDefinition } from './table-from-definition.js';
