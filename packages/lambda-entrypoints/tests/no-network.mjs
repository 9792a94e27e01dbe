// Preloaded into a cold-import check: any attempt to open a socket or resolve
// a name during init is recorded and refused.
import dns from 'node:dns';
import net from 'node:net';

globalThis.__networkAttempts = [];
const refuse = (what) => {
  globalThis.__networkAttempts.push(what);
  throw new Error(`network call during init: ${what}`);
};
net.Socket.prototype.connect = function connect(...args) {
  return refuse(`connect ${JSON.stringify(args[0])}`);
};
dns.lookup = (host) => refuse(`dns.lookup ${host}`);
