import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  createHistoryTable,
  createQueue,
  createTables,
  emulatorEnvironment,
  queueCollector,
  startEmulators,
} from '@herald/adapters-aws/testing';
import { waitFor } from '@herald/domain/testing';
import { launch, TEST_SECRET } from '@herald/server/testing';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startPageServer } from './support/page-server.js';

const CHROMIUM = '/usr/bin/chromium';
const SDK = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const SERVER_CLI = fileURLToPath(new URL('../../server/dist/cli.js', import.meta.url));
const LOCAL_AWS_CLI = fileURLToPath(new URL('../../local-aws/dist/cli.js', import.meta.url));
const BACKEND_KEY = 'backend-key-for-browser-tests';
const USER = 'browser-user';

const skipReason = existsSync(CHROMIUM)
  ? undefined
  : `${CHROMIUM} is missing (install Debian's chromium: apt-get install -y chromium)`;
if (skipReason !== undefined) console.warn(`@herald/client browser tests skipped: ${skipReason}`);

type Recorded = [name: string, value: unknown];

/** The page's client, driven and read from the test. */
const pageClient = (page: Page) => ({
  start: (options: Record<string, unknown>, ttlSeconds: number) =>
    page.evaluate(
      ([o, ttl]) =>
        (window as unknown as { start: (o: unknown, t: unknown) => void }).start(o, ttl),
      [options, ttlSeconds] as const,
    ),
  call: (method: string, ...args: unknown[]) =>
    page.evaluate(
      ([name, values]) => {
        const client = (window as unknown as { client: Record<string, (...a: unknown[]) => void> })
          .client;
        client[name]?.(...(values as unknown[]));
      },
      [method, args] as const,
    ),
  events: () => page.evaluate(() => (window as unknown as { events: Recorded[] }).events),
});

/** Waits until the page recorded an event that `probe` accepts, and returns it. */
const waitForEvent = async (
  client: ReturnType<typeof pageClient>,
  what: string,
  probe: (name: string, value: unknown) => boolean,
  timeoutMs = 15_000,
) =>
  waitFor(async () => (await client.events()).find(([name, value]) => probe(name, value)), {
    what,
    timeoutMs,
    intervalMs: 50,
  });

const notificationOf =
  (match: Record<string, unknown>) =>
  (name: string, value: unknown): boolean => {
    if (name !== 'notification') return false;
    const data = (value as { data: Record<string, unknown> }).data;
    return Object.entries(match).every(([key, expected]) => data?.[key] === expected);
  };

/**
 * Errors other than `handshake_failed`, which the SDK rightly reports when
 * several attempts fail while the server is down.
 */
const unexpectedErrors = (events: Recorded[]) =>
  events.filter(
    ([name, value]) => name === 'error' && (value as { code: string }).code !== 'handshake_failed',
  );

const stateCount = async (client: ReturnType<typeof pageClient>, state: string) =>
  (await client.events()).filter(([name, value]) => name === 'state' && value === state).length;

/** A CLI under test, started on a fixed port so that a restart is found at the same URL. */
const host = (cli: string, args: string[], env: NodeJS.ProcessEnv, ready: string) => {
  let current: ReturnType<typeof launch> | undefined;
  const children: ChildProcess[] = [];
  const start = async () => {
    current = launch(cli, args, env);
    children.push(current.child);
    const started = current;
    await waitFor(() => (started.output.stdout.includes(ready) ? true : undefined), {
      what: `${cli} to start`,
      timeoutMs: 20_000,
    }).catch((error: Error) => {
      throw new Error(`${error.message}\n${started.output.stdout}\n${started.output.stderr}`);
    });
  };
  return {
    start,
    /** Killed, as a crash: no close frames, no goodbyes. */
    kill: async () => {
      current?.child.kill('SIGKILL');
      await current?.exited;
    },
    stopAll: () => {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    },
    output: () => `${current?.output.stdout}\n${current?.output.stderr}`,
  };
};

describe.skipIf(skipReason !== undefined)('@herald/client in Chromium', () => {
  let browser: Browser;
  let page: Page;
  let pages: Awaited<ReturnType<typeof startPageServer>>;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    for (const file of [SDK, SERVER_CLI, LOCAL_AWS_CLI]) {
      if (!existsSync(file)) {
        throw new Error(
          `${file} is missing: run "pnpm run build" first (the README's test command does)`,
        );
      }
    }
    pages = await startPageServer(USER);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 30_000);

  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
    await browser?.close();
    await pages?.stop();
  });

  /** DynamoDB Local and fauxqs, started once for the tests that need them, with clients on them. */
  let emulated: Promise<{
    aws: ReturnType<typeof emulatorEnvironment>;
    dynamo: DynamoDBClient;
    sqs: SQSClient;
  }>;
  const awsEmulators = () => {
    emulated ??= startEmulators().then((emulators) => {
      cleanups.push(() => emulators.stop());
      const aws = emulatorEnvironment(emulators);
      const credentials = {
        accessKeyId: aws.AWS_ACCESS_KEY_ID,
        secretAccessKey: aws.AWS_SECRET_ACCESS_KEY,
      };
      const dynamo = new DynamoDBClient({
        region: aws.AWS_REGION,
        endpoint: aws.AWS_ENDPOINT_URL_DYNAMODB,
        credentials,
      });
      const sqs = new SQSClient({
        region: aws.AWS_REGION,
        endpoint: aws.AWS_ENDPOINT_URL_SQS,
        useQueueUrlAsEndpoint: false,
        credentials,
      });
      return { aws, dynamo, sqs };
    });
    return emulated;
  };

  const openPage = async () => {
    page = await browser.newPage();
    page.on('pageerror', (error) => console.error('page error:', error));
    await page.goto(pages.url);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    return pageClient(page);
  };

  it('against the embedded server (subprotocol carrier): connects, receives, subscribes, sends, refreshes an expiring token, and comes back after a crash', {
    timeout: 60_000,
  }, async () => {
    const port = await freePort();
    const server = host(
      SERVER_CLI,
      ['--port', String(port)],
      {
        HERALD_JWT_SECRET: TEST_SECRET,
        HERALD_BACKEND_KEY: BACKEND_KEY,
        HERALD_WEBHOOK_URL: `${pages.url}/webhook`,
        HERALD_LOG_LEVEL: 'WARN',
      },
      'listening on',
    );
    const notify = (body: unknown) =>
      fetch(`http://127.0.0.1:${port}/notifications`, {
        method: 'POST',
        headers: { authorization: `Bearer ${BACKEND_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((response) => response.json());
    try {
      await server.start();
      const client = await openPage();
      const tokensBefore = pages.state.tokens;

      // Connect with a token that lives 6 s, refreshed in-band 3 s before it expires.
      await client.start(
        { url: `ws://127.0.0.1:${port}/`, carrier: 'subprotocol', refreshBeforeExpiryMs: 3000 },
        6,
      );
      await waitForEvent(client, 'connected', (n, v) => n === 'state' && v === 'connected');
      await notify({ users: [USER], data: { step: 'direct' } });
      await waitForEvent(client, 'the direct notification', notificationOf({ step: 'direct' }));
      await client.call('subscribe', 'room-1');
      await waitForEvent(client, 'subscribed', (n, v) => n === 'subscribed' && v === 'room-1');
      await notify({ channels: ['room-1'], data: { step: 'channel' } });
      await waitForEvent(client, 'the channel notification', notificationOf({ step: 'channel' }));
      await client.call('send', { hello: 'from the browser' });
      const forwarded = await waitFor(
        () =>
          pages.state.webhook.find((event) => JSON.stringify(event).includes('from the browser')),
        { what: 'the webhook to receive the message' },
      );

      // The token expires: the provider is called again and the same connection goes on.
      await waitFor(() => (pages.state.tokens >= tokensBefore + 2 ? true : undefined), {
        what: 'the SDK to ask for a fresh token',
        timeoutMs: 10_000,
      });
      expect(unexpectedErrors(await client.events())).toEqual([]);
      await notify({ users: [USER], data: { step: 'after refresh' } });
      await waitForEvent(
        client,
        'a notification after the refresh',
        notificationOf({ step: 'after refresh' }),
      );
      const reconnectsBeforeCrash = await stateCount(client, 'reconnecting');

      // The server crashes and comes back: the SDK reconnects with a fresh token and resubscribes.
      const tokensBeforeCrash = pages.state.tokens;
      await server.kill();
      await waitForEvent(client, 'reconnecting', (n, v) => n === 'state' && v === 'reconnecting');
      await server.start();
      await waitFor(async () => ((await stateCount(client, 'connected')) >= 2 ? true : undefined), {
        what: 'the SDK to reconnect',
        timeoutMs: 20_000,
      });
      await waitForEvent(client, 'resubscribed', (n, v) => n === 'subscribed' && v === 'room-1');
      await notify({ channels: ['room-1'], data: { step: 'after restart' } });
      await waitForEvent(
        client,
        'a channel notification after the restart',
        notificationOf({ step: 'after restart' }),
      );

      const events = await client.events();
      expect(forwarded).toMatchObject({
        events: [{ body: { hello: 'from the browser' }, attributes: { user_id: USER } }],
      });
      expect(reconnectsBeforeCrash).toBe(0);
      expect(pages.state.tokens).toBeGreaterThan(tokensBeforeCrash);
      expect(unexpectedErrors(events)).toEqual([]);
      // With memory state, the restarted server's streams have a new epoch.
      expect(
        events.some(
          ([n, v]) =>
            n === 'notification' && typeof (v as { stream?: unknown }).stream === 'string',
        ),
      ).toBe(true);
      expect(
        events.some(
          ([n, v]) => n === 'resumed' && (v as { recovered: boolean }).recovered === false,
        ),
      ).toBe(true);
    } finally {
      await page?.close();
      server.stopAll();
    }
  });

  it('against the embedded server on DynamoDB: what its queue delivered while the SDK was away is recovered once, in order', {
    timeout: 90_000,
  }, async () => {
    const { aws, dynamo, sqs } = await awsEmulators();
    const tables = await createTables(dynamo);
    const history = await createHistoryTable(dynamo);
    const input = await createQueue(sqs, { attributes: { VisibilityTimeout: '2' } });
    const port = await freePort();
    const server = host(
      SERVER_CLI,
      ['--port', String(port)],
      {
        ...aws,
        HERALD_JWT_SECRET: TEST_SECRET,
        HERALD_BACKEND_KEY: BACKEND_KEY,
        HERALD_CONNECTIONS_TABLE: tables.connections,
        HERALD_PRESENCE_TABLE: tables.presence,
        HERALD_HISTORY_TABLE: history,
        HERALD_INPUT_QUEUE_URL: input.url,
        HERALD_LOG_LEVEL: 'WARN',
      },
      'listening on',
    );
    const queue = (body: unknown) =>
      sqs.send(new SendMessageCommand({ QueueUrl: input.url, MessageBody: JSON.stringify(body) }));
    /** Until every message on the input queue has been handled and deleted. */
    const queueDrained = () =>
      waitFor(
        async () => {
          const { Attributes: queued = {} } = await sqs.send(
            new GetQueueAttributesCommand({
              QueueUrl: input.url,
              AttributeNames: [
                'ApproximateNumberOfMessages',
                'ApproximateNumberOfMessagesNotVisible',
              ],
            }),
          );
          const left =
            Number(queued.ApproximateNumberOfMessages) +
            Number(queued.ApproximateNumberOfMessagesNotVisible);
          return left === 0 ? true : undefined;
        },
        { what: 'the node to take every queued request', timeoutMs: 30_000 },
      );
    const received = (events: Recorded[]) =>
      events
        .filter(([n]) => n === 'notification')
        .map(([, v]) => v as { stream: string; offset: number; data: { seq?: number } });
    try {
      await server.start();
      const client = await openPage();
      await client.start({ url: `ws://127.0.0.1:${port}/`, carrier: 'subprotocol' }, 600);
      await waitForEvent(client, 'connected', (n, v) => n === 'state' && v === 'connected');
      await client.call('subscribe', 'room-2');
      await waitForEvent(client, 'subscribed', (n, v) => n === 'subscribed' && v === 'room-2');
      // One on each stream, so the SDK knows both positions.
      await queue({ users: [USER], data: { seq: 0 } });
      await queue({ channels: ['room-2'], data: { seq: 1 } });
      await waitFor(async () => (received(await client.events()).length >= 2 ? true : undefined), {
        what: 'the first two notifications',
        timeoutMs: 15_000,
      });
      // And their messages acknowledged: a node killed between delivering a
      // request and deleting its message leaves it to be delivered again
      // (at least once; see the server README), which is not what this tests.
      await queueDrained();

      // The node is killed and the app goes away too (a closed tab, a phone
      // asleep); requests wait on the queue, and the restarted node takes them
      // all before the app is back, as after an outage: only resume recovers them.
      await server.kill();
      await waitForEvent(client, 'reconnecting', (n, v) => n === 'state' && v === 'reconnecting');
      await client.call('close');
      for (let seq = 2; seq < 8; seq++) {
        await queue(
          seq % 2 === 0
            ? { users: [USER], data: { seq } }
            : { channels: ['room-2'], data: { seq } },
        );
      }
      await server.start();
      await queueDrained();
      await client.call('connect');
      await waitFor(async () => (received(await client.events()).length >= 8 ? true : undefined), {
        what: 'every queued notification',
        timeoutMs: 30_000,
      });
      // Anything late (a duplicate) would arrive by now.
      await new Promise((resolve) => setTimeout(resolve, 1000));

      const events = await client.events();
      const got = received(events);
      expect(got.map((n) => n.data.seq).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual([
        0, 1, 2, 3, 4, 5, 6, 7,
      ]);
      for (const stream of [`user:${USER}`, 'channel:room-2']) {
        const offsets = got.filter((n) => n.stream === stream).map((n) => n.offset);
        expect(offsets).toEqual([1, 2, 3, 4]);
      }
      // The six came by replay: the resume found both streams at offset 4.
      const resumed = events.filter(([n]) => n === 'resumed').map(([, v]) => v);
      expect(resumed).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ stream: `user:${USER}`, recovered: true, offset: 4 }),
          expect.objectContaining({ stream: 'channel:room-2', recovered: true, offset: 4 }),
        ]),
      );
      for (const answer of resumed) expect(answer).toMatchObject({ recovered: true });
      expect(unexpectedErrors(events)).toEqual([]);
    } finally {
      await page?.close();
      server.stopAll();
    }
  });

  it('against the local API Gateway with the Lambda handlers (query carrier): the same flow', {
    timeout: 60_000,
  }, async () => {
    const { aws, dynamo, sqs } = await awsEmulators();
    const tables = await createTables(dynamo);
    // A receive the killed process left pending may take a message with it:
    // a short visibility timeout brings that message back to the new process.
    const notifications = await createQueue(sqs, { attributes: { VisibilityTimeout: '2' } });
    const output = await createQueue(sqs);
    const forwarded = queueCollector(sqs, output.url);
    const port = await freePort();
    const local = host(
      LOCAL_AWS_CLI,
      ['--port', String(port)],
      {
        ...aws,
        HERALD_JWT_SECRET: TEST_SECRET,
        HERALD_CONNECTIONS_TABLE: tables.connections,
        HERALD_PRESENCE_TABLE: tables.presence,
        HERALD_NOTIFICATIONS_QUEUE_URL: notifications.url,
        HERALD_OUTPUT_QUEUE_URL: output.url,
        HERALD_LOG_LEVEL: 'WARN',
      },
      'behind a local API Gateway',
    );
    const notify = (body: unknown) =>
      sqs.send(
        new SendMessageCommand({ QueueUrl: notifications.url, MessageBody: JSON.stringify(body) }),
      );
    try {
      await local.start();
      const client = await openPage();
      const tokensBefore = pages.state.tokens;

      await client.start({ url: `ws://127.0.0.1:${port}/local`, refreshBeforeExpiryMs: 3000 }, 6);
      await waitForEvent(client, 'connected', (n, v) => n === 'state' && v === 'connected');
      await notify({ users: [USER], data: { step: 'direct' } });
      await waitForEvent(client, 'the direct notification', notificationOf({ step: 'direct' }));
      await client.call('subscribe', 'room-1');
      await waitForEvent(client, 'subscribed', (n, v) => n === 'subscribed' && v === 'room-1');
      await notify({ channels: ['room-1'], data: { step: 'channel' } });
      await waitForEvent(client, 'the channel notification', notificationOf({ step: 'channel' }));
      await client.call('send', { hello: 'from the browser' });
      const message = await forwarded.until(
        (seen) => seen.find((m) => m.body.includes('from the browser')),
        'the output queue to receive the message',
      );

      await waitFor(() => (pages.state.tokens >= tokensBefore + 2 ? true : undefined), {
        what: 'the SDK to ask for a fresh token',
        timeoutMs: 10_000,
      });
      await notify({ users: [USER], data: { step: 'after refresh' } });
      await waitForEvent(
        client,
        'a notification after the refresh',
        notificationOf({ step: 'after refresh' }),
      );
      const reconnectsBeforeCrash = await stateCount(client, 'reconnecting');

      const tokensBeforeCrash = pages.state.tokens;
      await local.kill();
      await waitForEvent(client, 'reconnecting', (n, v) => n === 'state' && v === 'reconnecting');
      await local.start();
      await waitFor(async () => ((await stateCount(client, 'connected')) >= 2 ? true : undefined), {
        what: 'the SDK to reconnect',
        timeoutMs: 20_000,
      });
      await waitFor(
        async () =>
          (await client.events()).filter(([n, v]) => n === 'subscribed' && v === 'room-1').length >=
          2
            ? true
            : undefined,
        { what: 'the SDK to resubscribe' },
      );
      await notify({ channels: ['room-1'], data: { step: 'after restart' } });
      await waitForEvent(
        client,
        'a channel notification after the restart',
        notificationOf({ step: 'after restart' }),
      );

      expect(new URL(page.url()).origin).toBe(pages.url);
      expect(JSON.parse(message.body)).toEqual({ hello: 'from the browser' });
      expect(message.attributes).toMatchObject({ user_id: USER });
      expect(reconnectsBeforeCrash).toBe(0);
      expect(pages.state.tokens).toBeGreaterThan(tokensBeforeCrash);
      expect(unexpectedErrors(await client.events())).toEqual([]);
    } catch (error) {
      throw new Error(`${(error as Error).message}\nlocal-aws said: ${local.output()}`);
    } finally {
      await page?.close();
      local.stopAll();
    }
  });
});
