import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { waitFor } from '@herald/domain/testing';
import { afterEach, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../../scripts/herald.sh', import.meta.url));
const run = promisify(execFile);

/**
 * A PATH with this Node first and a stand-in pnpm that answers the pinned
 * version and does nothing else: the script's install and build steps become
 * no-ops (the suite runs after a build), and what is left is its own argument
 * handling and the server it starts.
 */
const scriptPath = async () => {
  const bin = await mkdtemp(join(tmpdir(), 'herald-script-'));
  const root = JSON.parse(
    await readFile(new URL('../../../package.json', import.meta.url), 'utf8'),
  );
  const pnpmVersion = String(root.packageManager).split('@')[1];
  await writeFile(
    join(bin, 'pnpm'),
    `#!/bin/sh\nif [ "$1" = "--version" ]; then echo ${pnpmVersion}; fi\nexit 0\n`,
  );
  await chmod(join(bin, 'pnpm'), 0o755);
  cleanups.push(() => rm(bin, { recursive: true, force: true }));
  return `${dirname(process.execPath)}:${bin}:${process.env.PATH ?? ''}`;
};

const cleanups: (() => Promise<void>)[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

describe('scripts/herald.sh', () => {
  it('starts the server with the flags after "--", as the server README shows', {
    timeout: 20_000,
  }, async () => {
    const PATH = await scriptPath();
    const child = spawn('bash', [SCRIPT, 'start', '--', '--port', '0', '--stage', 'dev'], {
      env: { PATH, HOME: process.env.HOME },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });

    const banner = await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`herald.sh exited:\n${output}`);
        return /listening on http:\/\/\S+ \(WebSocket \S+\)/.exec(output)?.[0];
      },
      { timeoutMs: 15_000, what: 'the server to listen' },
    );

    expect(banner).toMatch(/\/dev\)$/);
  });

  it('prints its usage for --help, and no line of code', async () => {
    const { stdout } = await run('bash', [SCRIPT, '--help']);

    expect(stdout).toContain('bash scripts/herald.sh start');
    expect(stdout).not.toMatch(/set -euo|pipefail/);
  });
});
