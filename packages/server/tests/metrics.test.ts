import { afterEach, describe, expect, it } from 'vitest';
import { BACKEND_KEY, connect, post, refusal, startServer, token } from './helpers.js';

type Started = Awaited<ReturnType<typeof startServer>>;
let started: Started | undefined;
afterEach(async () => {
  await started?.server.stop();
  started = undefined;
});

const SAMPLE =
  /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|[Nn]a[Nn]|[+-]Inf)$/;
const COMMENT = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/**
 * Parses Prometheus's text exposition format (version 0.0.4): every line is
 * a HELP or TYPE comment or a sample; each sample's family is declared by a
 * TYPE line before it. Throws on the first line that is not. Returns each
 * sample's value by `name{labels}` as written.
 */
const parseExposition = (text: string): Map<string, number> => {
  const samples = new Map<string, number>();
  const declared = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const comment = COMMENT.exec(line);
    if (comment !== null) {
      if (comment[1] === 'TYPE' && !TYPES.has(comment[3] ?? ''))
        throw new Error(`bad TYPE line: ${line}`);
      if (comment[1] === 'TYPE') declared.set(comment[2] ?? '', comment[3] ?? '');
      continue;
    }
    const sample = SAMPLE.exec(line);
    if (sample === null) throw new Error(`not an exposition line: ${line}`);
    const name = sample[1] ?? '';
    const family = [...declared.keys()].find(
      (f) => name === f || /^_(bucket|sum|count|created|total)$/.test(name.slice(f.length)),
    );
    if (family === undefined) throw new Error(`sample of an undeclared family: ${line}`);
    samples.set(`${name}${sample[2] ?? ''}`, Number(sample[3]));
  }
  return samples;
};

const scrape = async (url: string, key: string | null = BACKEND_KEY) =>
  fetch(`${url}/metrics`, key === null ? {} : { headers: { authorization: `Bearer ${key}` } });

const metricsOf = async (url: string) => {
  const response = await scrape(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text());
};

describe('GET /metrics', () => {
  it('counts a connection, its frames and a delivery, in Prometheus text format', async () => {
    started = await startServer();
    const before = await metricsOf(started.url);
    const client = await connect(
      `${started.wsUrl}/?authorization=${await token({ sub: 'alice' })}`,
    );

    client.send({ action: 'ping' });
    await client.next(1);
    const delivered = await post(`${started.url}/notifications`, {
      users: ['alice'],
      data: { n: 1 },
    });
    expect(delivered.status).toBe(200);
    await client.next(1);
    const after = await metricsOf(started.url);

    expect(before.get('herald_connections')).toBe(0);
    expect(after.get('herald_connections')).toBe(1);
    expect(after.get('herald_frames_total{direction="in"}')).toBe(1);
    expect(after.get('herald_frames_total{direction="out"}')).toBe(2);
    expect(after.get('herald_notifications_total{outcome="delivered"}')).toBe(1);
    expect(after.get('herald_deliveries_total{outcome="delivered"}')).toBe(1);
    expect(after.get('herald_delivery_duration_seconds_count')).toBe(1);
    expect(after.get('herald_presence_transitions_total{status="ONLINE"}')).toBe(1);
    expect(
      after.get('herald_store_duration_seconds_count{store="connections",operation="put"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(after.get('herald_store_errors_total')).toBeUndefined();
    client.close();
  });

  it('counts refused upgrades by reason and rejected requests', async () => {
    started = await startServer();

    const refused = await refusal(`${started.wsUrl}/?authorization=not-a-token`);
    const rejected = await post(`${started.url}/notifications`, { users: 'alice' });
    const after = await metricsOf(started.url);

    expect(refused).toBe(403);
    expect(rejected.status).toBe(400);
    expect(after.get('herald_upgrades_refused_total{reason="token_malformed"}')).toBe(1);
    expect(after.get('herald_notifications_total{outcome="rejected"}')).toBe(1);
  });

  it('answers 401 without the backend key, or with another key', async () => {
    started = await startServer();

    const [none, wrong] = await Promise.all([
      scrape(started.url, null),
      scrape(started.url, 'nope'),
    ]);

    expect(none.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(await none.text()).not.toContain('herald_');
  });
});
