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

/**
 * Completes upgrades already admitted. Frames are capped at the domain's
 * limit, and a subprotocol is echoed only when the token came in one, as the
 * browser requires.
 */
const createUpgrader = () => {
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
    wss.handleUpgrade(request, socket, head, onOpen);
  };
};

export { createUpgrader, rejectUpgrade };
