// One user with thousands of connections, against a real server process.
//
//   pnpm run build && pnpm --filter @herald/server bench:one-user [-- --connections 3000]
//
// Starts the built CLI (its per-user and per-address caps raised for the
// run), opens N connections of one user from this process, and compares the
// time per connection of the last 100 with that of the first 100: a ratio near
// 1 means a connect costs the same however many connections the user already
// has. Then it closes them all at once and times a ping on another user's
// connection, which waits behind whatever work the closes left on the
// server's event loop. Loopback only; it stops by itself.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { WebSocket } from 'ws';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg, index) => !(index === 0 && arg === '--')),
  options: { connections: { type: 'string', default: '3000' } },
});
const CONNECTIONS = Number(values.connections);
const WINDOW = 100;
if (!Number.isInteger(CONNECTIONS) || CONNECTIONS < 2 * WINDOW) {
  throw new Error(`--connections must be a whole number of at least ${2 * WINDOW}`);
}
const SECRET = 'one-user-benchmark-secret-of-32-bytes!';
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

const token = (sub: string) =>
  new SignJWT({ channels: ['*'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));

const open = (url: string) =>
  new Promise<WebSocket>((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });

const pingTime = (socket: WebSocket) =>
  new Promise<number>((resolve) => {
    const started = performance.now();
    socket.once('message', () => resolve(performance.now() - started));
    socket.send('{"action":"ping"}');
  });

const server = spawn(
  process.execPath,
  [
    CLI,
    '--port',
    '0',
    '--jwt-secret',
    SECRET,
    '--max-connections-per-user',
    String(CONNECTIONS + 10),
    '--max-connections-per-address',
    String(CONNECTIONS + 10),
    '--log-level',
    'ERROR',
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const stopServer = () => server.kill('SIGKILL');
const deadline = setTimeout(() => {
  process.stderr.write('one-user benchmark: gave up after 5 minutes\n');
  stopServer();
  process.exit(1);
}, 300_000);

try {
  const baseUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (chunk) => {
      out += chunk;
      const found = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (found !== undefined) resolve(found);
    });
    server.once('exit', (code) => reject(new Error(`the server exited with ${code}`)));
  });
  const wsBase = baseUrl.replace('http://', 'ws://');
  const url = `${wsBase}/?authorization=${await token('many-devices')}`;
  const witness = await open(`${wsBase}/?authorization=${await token('witness')}`);
  const quietPing = await pingTime(witness);

  const sockets: WebSocket[] = [];
  const marks: number[] = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    marks.push(performance.now());
    sockets.push(await open(url));
  }
  marks.push(performance.now());
  const perConnection = (from: number) =>
    ((marks[from + WINDOW] ?? 0) - (marks[from] ?? 0)) / WINDOW;
  const first = perConnection(0);
  const last = perConnection(CONNECTIONS - WINDOW);

  for (const socket of sockets) socket.close();
  const afterClose = await pingTime(witness);
  witness.close();

  const ms = (value: number) => `${value.toFixed(2)} ms`;
  process.stdout.write(
    [
      `One user, ${CONNECTIONS} connections, against a real server process (node ${process.version})`,
      '',
      '| measure | value |',
      '|---|---|',
      `| time per connection, connections 1–${WINDOW} | ${ms(first)} |`,
      `| time per connection, the last ${WINDOW} | ${ms(last)} |`,
      `| ratio, last / first (flat = 1) | ${(last / first).toFixed(2)}× |`,
      `| another user's ping, before | ${ms(quietPing)} |`,
      `| another user's ping, right after all ${CONNECTIONS} close | ${ms(afterClose)} |`,
      '',
    ].join('\n'),
  );
} finally {
  clearTimeout(deadline);
  stopServer();
}
