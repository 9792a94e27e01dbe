// Benchmark helper, run as a child process of broadcast.ts: opens loopback
// WebSocket clients and reports over IPC when they have received a target
// number of messages in total. Kept apart so the server's process measures
// only the server.
import { SignJWT } from 'jose';
import { WebSocket } from 'ws';

type Command =
  | { type: 'connect'; url: string; count: number; secret?: string }
  | { type: 'arm'; target: number }
  | { type: 'close' };

const sockets: WebSocket[] = [];
let received = 0;
let target: number | undefined;

const reply = (message: object) => process.send?.(message);

const check = () => {
  if (target !== undefined && received >= target) {
    target = undefined;
    reply({ type: 'reached', received });
  }
};

const open = (url: string) =>
  new Promise<WebSocket>((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    socket.on('message', () => {
      received++;
      check();
    });
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });

const connect = async (url: string, count: number, secret: string | undefined) => {
  const key = secret === undefined ? undefined : new TextEncoder().encode(secret);
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const index = next++;
      const token =
        key === undefined
          ? undefined
          : await new SignJWT({ channels: ['*'] })
              .setProtectedHeader({ alg: 'HS256' })
              .setSubject(`user-${index}`)
              .setExpirationTime('1h')
              .sign(key);
      sockets.push(await open(token === undefined ? url : `${url}/?authorization=${token}`));
    }
  };
  await Promise.all(Array.from({ length: 50 }, lane));
};

process.on('message', async (command: Command) => {
  switch (command.type) {
    case 'connect':
      await connect(command.url, command.count, command.secret);
      reply({ type: 'connected', count: sockets.length });
      return;
    case 'arm':
      target = command.target;
      check();
      return;
    case 'close':
      await Promise.all(
        sockets.splice(0).map(
          (socket) =>
            new Promise<void>((resolve) => {
              socket.once('close', () => resolve());
              socket.close();
            }),
        ),
      );
      received = 0;
      reply({ type: 'closed' });
      return;
  }
});
