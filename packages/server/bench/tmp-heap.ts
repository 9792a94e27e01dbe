import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SECRET = 'benchmark-secret-of-at-least-32-bytes';
const N = Number(process.argv[3] ?? 3000);
const kind = process.argv[2] as 'raw' | 'herald';
const child = (file: string, args: string[], extra: string[] = []) =>
  fork(fileURLToPath(new URL(file, import.meta.url)), args, {
    execArgv: ['--expose-gc', ...extra],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
const ask = <T>(to: ReturnType<typeof fork>, m: object, t: string) =>
  new Promise<T>((r) => {
    const l = (x: { type: string }) => {
      if (x.type === t) {
        to.off('message', l);
        r(x as T);
      }
    };
    to.on('message', l);
    to.send(m);
  });
const server = child(
  './broadcast-server.ts',
  [kind],
  ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${process.argv[4] ?? `/tmp/heap-${kind}`}`],
);
const clients = child('./clients.ts', []);
const { url } = await ask<{ url: string }>(server, { type: 'listen', secret: SECRET }, 'listening');
await ask(
  clients,
  kind === 'raw'
    ? { type: 'connect', url, count: N }
    : { type: 'connect', url, count: N, secret: SECRET },
  'connected',
);
const { after } = await ask<{ after: number }>(server, { type: 'settled', count: N }, 'settled');
process.kill(server.pid as number, 'SIGUSR2');
await new Promise((r) => setTimeout(r, 8000));
console.log(kind, 'after', after);
clients.kill();
server.kill();
