import { connect, createServer, type Socket } from 'node:net';

/** A TCP proxy in front of an emulator that a test can freeze: a store that stops answering. */
interface PausableProxy {
  /** `http://127.0.0.1:PORT`, to use as the emulator's endpoint. */
  readonly endpoint: string;
  /**
   * Stops forwarding in both directions, keeping every socket open and
   * accepting new ones: to its clients, the peer is frozen, not gone. What
   * arrives meanwhile is held, in order.
   */
  pause(): void;
  /** Forwards what was held, in order, and everything after it. */
  resume(): void;
  /**
   * From now on, a connection whose client sends a chunk `matches` accepts is
   * frozen for good: nothing more of it is forwarded either way. A frozen
   * peer for some requests only (those naming a key), the rest served.
   */
  freezeWhen(matches: ((chunk: Buffer) => boolean) | undefined): void;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Destroys every socket and stops listening. */
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1, on a random port, in front of `target` (`http://host:port`). */
const startPausableProxy = async (target: string): Promise<PausableProxy> => {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  let held: (() => void)[] = [];
  let paused = false;
  let freeze: ((chunk: Buffer) => boolean) | undefined;
  let accepted = 0;

  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };

  const server = createServer((client) => {
    accepted += 1;
    const upstream = connect(Number(port), hostname);
    track(client);
    track(upstream);
    let frozen = false;
    const forward = (from: Socket, to: Socket) =>
      from.on('data', (chunk: Buffer) => {
        if (from === client && freeze?.(chunk) === true) frozen = true;
        if (frozen) return;
        const write = () => {
          if (!to.destroyed) to.write(chunk);
        };
        if (paused) held.push(write);
        else write();
      });
    forward(client, upstream);
    forward(upstream, client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no port');

  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
      const pending = held;
      held = [];
      for (const write of pending) write();
    },
    freezeWhen: (matches) => {
      freeze = matches;
    },
    get accepted() {
      return accepted;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

export type { PausableProxy };
export { startPausableProxy };
