import { type ChildProcess, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { waitFor } from '@herald/domain/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, launch, refusal } from '../src/testing/index.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const WSCAT = createRequire(import.meta.url).resolve('wscat/bin/wscat');
const run = promisify(execFile);

const requireBuild = () => {
  if (!existsSync(CLI))
    throw new Error(
      `${CLI} is missing: run "pnpm run build" first (the README's test command does)`,
    );
};

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('herald CLI', () => {
  it('starts with no configuration, and its printed wscat and curl lines deliver a notification', async () => {
    requireBuild();
    const herald = launch(CLI, ['--port', '0']);
    children.push(herald.child);
    const banner = await waitFor(
      () => (herald.output.stdout.includes("-d '{") ? herald.output.stdout : undefined),
      {
        timeoutMs: 10_000,
        what: 'the start banner',
      },
    );
    const wsUrl = /wscat -c "([^"]+)"/.exec(banner)?.[1] as string;
    const curlLine = banner.slice(banner.indexOf('curl -sS')).trim();
    const baseUrl = /listening on (http:\/\/\S+)/.exec(banner)?.[1] as string;

    const wscat = launch(WSCAT, ['-c', wsUrl]);
    children.push(wscat.child);
    const connections = async () =>
      ((await (await fetch(`${baseUrl}/healthz`)).json()) as { connections: number }).connections;
    await waitFor(async () => ((await connections()) === 1 ? true : undefined), {
      what: 'wscat to connect',
    });
    const { stdout: report } = await run('bash', ['-c', curlLine]);

    expect(JSON.parse(report)).toMatchObject({ targeted: 1, delivered: 1 });
    await waitFor(() => (wscat.output.stdout.includes('hello from Herald') ? true : undefined), {
      what: 'wscat to print it',
    });
    expect(wscat.output.stdout.trim()).toBe('{"message":"hello from Herald"}');

    herald.child.kill('SIGTERM');
    expect(await herald.exited).toBe(0);
    wscat.child.stdin?.end();
    await wscat.exited;
  });

  it('applies the caps and timeouts given as flags', async () => {
    requireBuild();
    const herald = launch(CLI, ['--port', '0', '--max-connections-per-user', '1']);
    children.push(herald.child);
    const banner = await waitFor(
      () => (herald.output.stdout.includes('wscat -c') ? herald.output.stdout : undefined),
      { timeoutMs: 10_000, what: 'the start banner' },
    );
    const wsUrl = /wscat -c "([^"]+)"/.exec(banner)?.[1] as string;

    const first = await connect(wsUrl);
    const second = await refusal(wsUrl);

    expect(second).toBe(429);
    await first.close();
    herald.child.kill('SIGTERM');
    expect(await herald.exited).toBe(0);
  });

  it('exits 2 with --lambda, naming the package and the command the mode moved to', async () => {
    requireBuild();
    const herald = launch(CLI, ['--lambda', '--port', '0']);

    expect(await herald.exited).toBe(2);
    expect(herald.output.stderr).toContain('@herald/local-aws');
    expect(herald.output.stderr).toContain('herald-local-aws');
    expect(herald.output.stderr).toContain('node packages/local-aws/dist/cli.js');
    expect(herald.output.stdout).toBe('');
  });

  it('exits 2 with HERALD_LAMBDA=1 as with --lambda', async () => {
    requireBuild();
    const herald = launch(CLI, ['--port', '0'], { HERALD_LAMBDA: '1' });

    expect(await herald.exited).toBe(2);
    expect(herald.output.stderr).toContain('herald-local-aws');
  });

  it('prints --help listing every option', async () => {
    requireBuild();

    const { stdout } = await run(process.execPath, [CLI, '--help']);

    expect(stdout).toContain('Usage: herald');
    expect(stdout).toContain('HERALD_JWT_SECRET');
    expect(stdout).toContain('--management-api');
  });

  it('exits 2 naming the variable of a bad setting', async () => {
    requireBuild();
    const herald = launch(CLI, [], { HERALD_PORT: '99999' });

    expect(await herald.exited).toBe(2);
    expect(herald.output.stderr).toContain('HERALD_PORT');
  });

  it('exits 2 with a clear message when the port is taken', async () => {
    requireBuild();
    const first = launch(CLI, ['--port', '0']);
    children.push(first.child);
    const banner = await waitFor(() =>
      first.output.stdout.includes('listening') ? first.output.stdout : undefined,
    );
    const port = /:(\d+) \(WebSocket/.exec(banner)?.[1] as string;

    const second = launch(CLI, ['--port', port]);

    expect(await second.exited).toBe(2);
    expect(second.output.stderr).toContain('already in use');
  });
});
