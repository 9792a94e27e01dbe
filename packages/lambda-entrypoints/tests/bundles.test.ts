import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { deployedEnvironment } from '../scripts/deployed-environment.ts';

const run = promisify(execFile);
const BUNDLES = fileURLToPath(new URL('../dist-bundles/', import.meta.url));
const PRELOAD = fileURLToPath(new URL('./no-network.mjs', import.meta.url));

const ENV = deployedEnvironment(mkdtempSync(join(tmpdir(), 'herald-cold-')));

const bundles = () => {
  if (!existsSync(BUNDLES))
    throw new Error(
      `${BUNDLES} is missing: run "pnpm run build" first (the README's test command does)`,
    );
  return readdirSync(BUNDLES, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
};

/**
 * The code a bundle's cold start loads: its index.mjs and the chunks it
 * imports statically, transitively (not those behind an `import()`).
 */
const loadedAtInit = (name: string): string => {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    for (const [, specifier] of code.matchAll(/from"(\.\.?\/[^"]+\.mjs)"/g)) {
      visit(join(dirname(file), specifier as string));
    }
  };
  visit(join(BUNDLES, name, 'index.mjs'));
  return [...seen].map((file) => readFileSync(file, 'utf8')).join('\n');
};

/** What every bundle loads only on demand: the chunks its code reaches through `import()`. */
const loadedOnDemand = (name: string): string => {
  const dir = join(BUNDLES, name, 'lazy');
  const init = loadedAtInit(name);
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((file) => file.endsWith('.mjs'))
        .map((file) => readFileSync(join(dir, file), 'utf8'))
        .filter((code) => !init.includes(code))
        .join('\n')
    : '';
};

describe('Lambda bundles', () => {
  it('load the Secrets Manager and SSM clients only on demand, for a stored key', () => {
    const names = bundles();

    const atInit = names.map((name) => ({
      name,
      secretsManager: loadedAtInit(name).includes('GetSecretValue'),
      ssm: loadedAtInit(name).includes('AmazonSSM'),
    }));
    const authorizerLater = loadedOnDemand('authorizer');

    expect(atInit).toEqual(names.map((name) => ({ name, secretsManager: false, ssm: false })));
    expect(authorizerLater).toContain('GetSecretValue');
    expect(authorizerLater).toContain('AmazonSSM');
  });

  it('load undici, the HTTP client of the post path, only at the first post', () => {
    // An error code only undici's own code carries.
    const marker = 'UND_ERR_HEADERS_TIMEOUT';
    const names = bundles();

    expect(names.filter((name) => loadedAtInit(name).includes(marker))).toEqual([]);
    for (const poster of ['notifications', 'notifications-topic', 'actions']) {
      expect(loadedOnDemand(poster)).toContain(marker);
    }
  });

  it('post through the connection pool chunk, as a deployed function does at its first post', async () => {
    // The chunk the gateway imports at its first post: its pool on undici.
    const dir = join(BUNDLES, 'notifications', 'lazy');
    const chunk = readdirSync(dir).find((file) => /^connection-pool-.*\.mjs$/.test(file));
    if (chunk === undefined) throw new Error(`no connection pool chunk in ${dir}`);
    // A loopback server in the same process, answering 201 to one POST.
    const probe = `import { createServer } from 'node:http';
      const server = createServer((q, r) => { q.resume(); q.on('end', () => { r.statusCode = 201; r.end(); }); });
      await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
      const { openPool } = await import(${JSON.stringify(join(dir, chunk))});
      const pool = openPool('http://127.0.0.1:' + server.address().port, { connections: 1, timeoutMs: 5000 });
      const answer = await pool.request({ method: 'POST', path: '/stage/@connections/c1', body: 'x' });
      await answer.body.dump();
      await pool.destroy();
      server.close();
      console.log(JSON.stringify({ status: answer.statusCode }));`;

    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe], {
      env: ENV,
    });

    expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}')).toEqual({ status: 201 });
  });

  it('keep the authorizer free of any AWS SDK client at init, under 300 KiB', () => {
    const atInit = loadedAtInit('authorizer');

    expect(atInit).not.toContain('aws4_request');
    expect(Buffer.byteLength(atInit)).toBeLessThan(300 * 1024);
  });

  it('keep node:crypto out of the authorizer until debug-log sampling needs it', async () => {
    // Powertools Logger imports node:crypto for sampling only; the bundles defer it.
    const probe = `const m = await import(${JSON.stringify(join(BUNDLES, 'authorizer', 'index.mjs'))});
      console.log(JSON.stringify({ handler: typeof m.handler, crypto: process.moduleLoadList.includes('NativeModule crypto') }));`;
    const coldStart = async (env: Record<string, string>) => {
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe], {
        env,
      });
      const lines = stdout.trim().split('\n');
      return { last: JSON.parse(lines.at(-1) ?? '{}'), logs: lines.slice(0, -1).join('\n') };
    };

    const plain = await coldStart(ENV);
    const sampled = await coldStart({ ...ENV, POWERTOOLS_LOGGER_SAMPLE_RATE: '1' });

    expect(plain.last).toEqual({ handler: 'function', crypto: false });
    expect(sampled.last).toEqual({ handler: 'function', crypto: true });
    expect(sampled.logs).toContain('Setting log level to DEBUG due to sampling rate');
  });

  it('each cold-imports in a fresh Node process, with no AWS credentials, without a network call', async () => {
    const names = bundles();
    expect(names.sort()).toEqual([
      'actions',
      'authorizer',
      'connect',
      'disconnect',
      'notifications',
      'notifications-topic',
      'presence',
      'presence-query',
    ]);

    // Each validates only the settings its handler reads, and fails at init
    // on reading another; so each is also composed with every optional store.
    const optional = {
      ...ENV,
      HERALD_HISTORY_TABLE: 'herald-history',
      HERALD_OUTPUT_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/herald-out',
    };
    for (const [variant, env] of Object.entries({ deployed: ENV, 'every store': optional })) {
      for (const name of names) {
        const probe = `const m = await import(${JSON.stringify(join(BUNDLES, name, 'index.mjs'))});
          console.log(JSON.stringify({ handler: typeof m.handler, network: globalThis.__networkAttempts }));`;
        const { stdout } = await run(
          process.execPath,
          ['--import', PRELOAD, '--input-type=module', '-e', probe],
          { env },
        );

        expect({ variant, name, ...JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') }).toEqual({
          variant,
          name,
          handler: 'function',
          network: [],
        });
      }
    }
  });

  it('fails at init naming the variable when configuration is bad', async () => {
    // A bundle whose handler reads the broadcast shards (each reads only its own settings).
    const name = 'notifications';
    expect(bundles()).toContain(name);
    const probe = `await import(${JSON.stringify(join(BUNDLES, name, 'index.mjs'))});`;

    const failure = run(process.execPath, ['--input-type=module', '-e', probe], {
      env: { ...ENV, HERALD_BROADCAST_SHARDS: 'lots' },
    });

    await expect(failure).rejects.toMatchObject({
      stderr: expect.stringContaining('HERALD_BROADCAST_SHARDS'),
    });
  });
});
