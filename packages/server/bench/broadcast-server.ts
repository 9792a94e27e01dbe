// Benchmark helper, run as a child process of broadcast.ts: one server (the
// raw `ws` baseline or Herald's embedded server) alone in its process, so
// that its CPU time and memory are its own. Commands arrive over IPC:
//   listen    → { type: 'listening', url, before } (memory once listening, before any client)
//   settled   → { type: 'settled', after } once `count` clients are connected
//   broadcast → sends one 1 KB broadcast and starts counting CPU time
//   measured  → { type: 'measured', cpuMs } : CPU time since the broadcast
//   stop      → closes the server and exits
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { StaticKeySource, SystemClock } from '@herald/adapters-node';
import { TokenVerifier } from '@herald/domain';
import { createHeraldServer } from '@herald/server';
import { WebSocketServer } from 'ws';

type Command =
  | { type: 'listen'; secret: string }
  | { type: 'settled'; count: number }
  | { type: 'broadcast' }
  | { type: 'measured' }
  | { type: 'stop' };

const kind = process.argv[2];
if (kind !== 'raw' && kind !== 'herald') throw new Error('usage: broadcast-server.ts raw|herald');
const DATA = { type: 'notification', message: 'x'.repeat(1024 - 42) };

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc (broadcast.ts does)');
/** Heap + external bytes after GC. */
const memory = () => {
  gc();
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
};

interface Server {
  readonly url: string;
  /** Whether `count` clients are connected (and, on Herald, recorded). */
  readonly connected: (count: number) => Promise<boolean>;
  readonly broadcast: () => Promise<void> | void;
  readonly stop: () => Promise<void>;
}

const rawServer = async (): Promise<Server> => {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}`,
    connected: async (count) => wss.clients.size >= count,
    // As cheaply as ws allows, doing Herald's job: serialise once, send that
    // one Buffer to every socket as a text frame.
    broadcast: () => {
      const payload = Buffer.from(JSON.stringify(DATA));
      for (const socket of wss.clients) socket.send(payload, { binary: false });
    },
    stop: async () => {
      for (const socket of wss.clients) socket.terminate();
      wss.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
};

const heraldServer = async (secret: string): Promise<Server> => {
  const herald = createHeraldServer({
    port: 0,
    verifier: new TokenVerifier(StaticKeySource.fromSecret(secret), new SystemClock(), {
      algorithms: ['HS256'],
    }),
    backendKey: 'benchmark-backend-key',
    logger: new Logger({ serviceName: 'herald-bench', logLevel: 'SILENT' }),
    maxConnectionsPerAddress: 1_000_000,
  });
  const address = await herald.start();
  return {
    url: address.url.replace(/^http/, 'ws'),
    // Clients connect as user-0 … user-{count-1}; the last one's presence says all are in.
    connected: async (count) => (await herald.presence([`user-${count - 1}`]))[0]?.online === true,
    broadcast: async () => {
      await herald.notify({ data: DATA });
    },
    stop: () => herald.stop(),
  };
};

let server: Server | undefined;
let cpuAtBroadcast: NodeJS.CpuUsage | undefined;
const reply = (message: object) => process.send?.(message);

process.on('message', async (command: Command) => {
  switch (command.type) {
    case 'listen': {
      server = kind === 'raw' ? await rawServer() : await heraldServer(command.secret);
      const before = memory();
      reply({ type: 'listening', url: server.url, before });
      return;
    }
    case 'settled': {
      while (!(await server?.connected(command.count))) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      reply({ type: 'settled', after: memory() });
      return;
    }
    case 'broadcast':
      cpuAtBroadcast = process.cpuUsage();
      await server?.broadcast();
      return;
    case 'measured': {
      const used = process.cpuUsage(cpuAtBroadcast);
      reply({ type: 'measured', cpuMs: (used.user + used.system) / 1000 });
      return;
    }
    case 'stop':
      await server?.stop();
      process.exit(0);
  }
});
