import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { signTestToken } from '@herald/server/testing';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>@herald/client under test</title>
<script type="module">
  import { HeraldClient } from '/sdk/index.js';
  // Starts a client whose token provider asks this page's server, and records every event.
  window.start = (options, ttlSeconds) => {
    window.events = [];
    const client = new HeraldClient({
      ...options,
      getToken: async () => (await fetch('/token?ttl=' + ttlSeconds)).text(),
    });
    for (const name of ['notification', 'state', 'error', 'resumed', 'subscribed']) {
      client.on(name, (value) => window.events.push([name, value]));
    }
    client.connect();
    window.client = client;
  };
  window.ready = true;
</script>`;

/**
 * The page the browser loads, from 127.0.0.1: the built SDK under /sdk/, a
 * token endpoint that counts what it signs (the SDK's token provider), and a
 * webhook that collects what the embedded server forwards.
 */
const startPageServer = async (user: string) => {
  const state = { tokens: 0, webhook: [] as unknown[] };
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    try {
      if (url.pathname === '/') {
        response.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
      } else if (/^\/sdk\/[\w-]+\.js$/.test(url.pathname)) {
        const file = await readFile(`${DIST}${url.pathname.slice('/sdk/'.length)}`);
        response.writeHead(200, { 'content-type': 'text/javascript' }).end(file);
      } else if (url.pathname === '/token') {
        state.tokens += 1;
        const ttl = Number(url.searchParams.get('ttl') ?? '3600');
        const token = await signTestToken({ sub: user, channels: ['*'] }, undefined, `${ttl}s`);
        response.writeHead(200, { 'content-type': 'text/plain' }).end(token);
      } else if (url.pathname === '/webhook' && request.method === 'POST') {
        let body = '';
        for await (const chunk of request) body += chunk;
        state.webhook.push(JSON.parse(body));
        response.writeHead(200).end();
      } else {
        response.writeHead(404).end();
      }
    } catch (error) {
      response.writeHead(500).end(String(error));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

/** A port that was free a moment ago, so that a server restarted on it is found at the same URL. */
const freePort = async (): Promise<number> => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
};

export { freePort, startPageServer };
