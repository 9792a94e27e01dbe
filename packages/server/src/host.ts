// `@herald/server/host`: the pieces a process needs to hold Herald's WebSocket
// connections itself. The embedded server is built from them, and so is the
// local API Gateway in front of the Lambda handlers (`@herald/local-aws`):
// one handshake, one socket gateway, one management API, one set of HTTP
// helpers, whichever host runs them.
export { bearerOf, isLoopback, keyMatches, readBody, sendJson } from './http-io.js';
export type { ManagementApiOptions } from './management-api.js';
export { MANAGEMENT_ROUTE, serveManagementApi } from './management-api.js';
export { presentedTokenOf } from './token-carriers.js';
export type { LiveConnectionInit } from './ws-connection-gateway.js';
export {
  LiveConnection,
  MAX_BUFFERED_BYTES,
  WsConnectionGateway,
} from './ws-connection-gateway.js';
export type { SocketErrorLog } from './ws-upgrade.js';
export { createUpgrader, logSocketError, rejectUpgrade } from './ws-upgrade.js';
