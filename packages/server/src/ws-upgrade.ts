// The WebSocket handshake, shared by the embedded server and the local API
// Gateway: each decides whether to admit an upgrade; this answers it.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { LIMITS } from '@herald/domain';
import { type WebSocket, WebSocketServer } from 'ws';

/**
 * Refuses an upgrade with an HTTP status and a JSON body naming the reason, as
 * API Gateway does (`{"message": …}`); `message` defaults to the status text.
 * `headers` are added to the answer (a `Retry-After`).
 */
const rejectUpgrade = (
  socket: Duplex,
  status: number,
  reason: string,
  message = reason,
  headers: Readonly<Record<string, string>> = {},
): void => {
  if (socket.destroyed) return;
  const body = JSON.stringify({ message });
  const extra = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\n${extra}` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
};

/** A host's log, as far as socket errors need it (Powertools' Logger is one). */
interface SocketErrorLog {
  debug(message: string, details: Record<string, unknown>): void;
  info(message: string, details: Record<string, unknown>): void;
  warn(message: string, details: Record<string, unknown>): void;
}

/** Socket errors of a network that dropped the connection. */
const DROPPED_CONNECTION_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

/**
 * Logs an error an open WebSocket emitted, as loudly as it deserves. ws closes
 * the socket itself after each. A client that breaks the protocol (ws's
 * `WS_ERR_*`: a message over the frame limit, a bad opcode, an unmasked frame)
 * is an INFO line with the code and no stack, and a dropped connection
 * (`ECONNRESET`, `EPIPE`) a DEBUG one: a client can cause either at will.
 * Anything else is a WARN, with the error.
 */
const logSocketError = (
  log: SocketErrorLog,
  connectionId: string,
  error: Error & { code?: string },
): void => {
  if (error.code?.startsWith('WS_ERR_'))
    log.info('connection closed: the client broke the WebSocket protocol', {
      code: error.code,
      reason: error.message,
      connectionId,
    });
  else if (error.code !== undefined && DROPPED_CONNECTION_CODES.has(error.code))
    log.debug('connection dropped', { code: error.code, connectionId });
  else log.warn('socket error', { error, connectionId });
};

/**
 * Completes upgrades already admitted. Frames are capped at the domain's
 * limit, and a subprotocol is echoed only when the token came in one, as the
 * browser requires. Every socket gets `onSocketError` as its 'error' listener
 * before `onOpen` sees it: a WebSocket without one ends the process at the
 * first oversized frame, so no host is left to remember it. One function for
 * every socket, called with the socket as `this`.
 */
const createUpgrader = (onSocketError: (this: WebSocket, error: Error) => void) => {
  const chosenProtocols = new WeakMap<IncomingMessage, string>();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: LIMITS.maxFrameBytes,
    perMessageDeflate: false,
    clientTracking: false,
    handleProtocols: (_offered, request) => chosenProtocols.get(request) ?? false,
  });
  return (
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    protocol: string | undefined,
    onOpen: (ws: WebSocket) => void,
  ): void => {
    if (protocol !== undefined) chosenProtocols.set(request, protocol);
    wss.handleUpgrade(request, socket, head, (ws) => {
      ws.on('error', onSocketError);
      onOpen(ws);
    });
  };
};

export type { SocketErrorLog };
export { createUpgrader, logSocketError, rejectUpgrade };
