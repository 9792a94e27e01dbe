import type { Logger } from '@aws-lambda-powertools/logger';
import type { WebSocket } from 'ws';
import type { LiveConnection } from './ws-connection-gateway.js';

/**
 * WebSocket-level pings that find dead peers (a laptop closed, a network
 * gone, where no close ever arrives): every interval each socket is pinged,
 * and one that has not answered the previous ping is terminated, so its
 * connection is removed and its user's presence follows within two intervals
 * instead of the idle timeout. Browsers and Node's WebSocket answer pings by
 * themselves; an application sees nothing of them.
 */
const startWsHeartbeat = (
  connections: () => Iterable<LiveConnection>,
  intervalMs: number,
  log: Logger,
): (() => void) => {
  const owing = new WeakSet<WebSocket>();
  const watched = new WeakSet<WebSocket>();
  const answered = function (this: WebSocket): void {
    owing.delete(this);
  };
  const beat = (): void => {
    for (const { socket, connectionId } of connections()) {
      if (!watched.has(socket)) {
        watched.add(socket);
        socket.on('pong', answered);
      } else if (owing.has(socket)) {
        log.info('peer did not answer a ping; terminating it', { connectionId });
        socket.terminate();
        continue;
      }
      owing.add(socket);
      socket.ping();
    }
  };
  const timer = setInterval(beat, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
};

export { startWsHeartbeat };
