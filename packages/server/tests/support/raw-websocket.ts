// A WebSocket client written by hand over a raw TCP socket, for clients a
// library would not let a test be: one that sends frames and never reads.
import { randomBytes } from 'node:crypto';
import { type Socket, connect as tcpConnect } from 'node:net';
import { waitFor } from '@herald/domain/testing';

/** One masked client text frame (RFC 6455 §5.2), for payloads under 64 KiB. */
const clientTextFrame = (text: string): Buffer => {
  const payload = Buffer.from(text);
  const mask = randomBytes(4);
  const length = payload.length;
  const header =
    length < 126
      ? Buffer.from([0x81, 0x80 | length])
      : Buffer.from([0x81, 0x80 | 126, length >> 8, length & 0xff]);
  const masked = Buffer.alloc(length);
  for (let i = 0; i < length; i++) masked[i] = (payload[i] as number) ^ (mask[i % 4] as number);
  return Buffer.concat([header, mask, masked]);
};

/**
 * Opens a TCP connection, completes the WebSocket handshake by hand and then
 * stops reading: whatever the server sends stays in the kernel's buffers and
 * then in the server's. Rejects when the upgrade is not answered 101.
 */
const nonReadingWebSocket = async (port: number, path: string): Promise<Socket> => {
  const socket = tcpConnect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  let head = '';
  const onData = (chunk: Buffer) => {
    head += chunk.toString('latin1');
  };
  socket.on('data', onData);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  await waitFor(() => (head.includes('\r\n\r\n') ? true : undefined), { what: 'the handshake' });
  socket.off('data', onData);
  socket.pause();
  if (!head.startsWith('HTTP/1.1 101'))
    throw new Error(`upgrade refused: ${head.split('\r\n')[0]}`);
  return socket;
};

/** True once the socket was closed by either side. */
const isClosed = (socket: Socket): boolean => socket.destroyed || socket.readyState === 'closed';

export { clientTextFrame, isClosed, nonReadingWebSocket };
