// A real Herald server process (the built CLI), for tests about the process:
// crashes, memory, stalls. Loopback only; every child is killed after its test.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@herald/domain/testing';
import { TEST_SECRET } from '../../src/testing/index.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const BACKEND_KEY = 'backend-key-for-process-tests';

interface HeraldProcess {
  readonly child: ChildProcess;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `ws://127.0.0.1:PORT/local` */
  readonly wsUrl: string;
  readonly port: number;
  readonly backendKey: string;
  readonly output: { stdout: string; stderr: string };
  /** Resolves with the exit code (or the signal's name) once the process exited. */
  readonly exited: Promise<number | string | null>;
  /** True while the process runs. */
  alive(): boolean;
}

const running: ChildProcess[] = [];

/** Kills every process `startHeraldProcess` started; call it from `afterEach`. */
const killHeraldProcesses = (): void => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
};

/**
 * Spawns `node [nodeArgs] dist/cli.js --port 0 [args]` with the test secret and
 * a fixed backend key, and resolves once it printed where it listens.
 */
const startHeraldProcess = async (
  options: { args?: string[]; nodeArgs?: string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<HeraldProcess> => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "pnpm run build" first`);
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), CLI, '--port', '0', ...(options.args ?? [])],
    {
      env: {
        PATH: process.env.PATH,
        HERALD_JWT_SECRET: TEST_SECRET,
        HERALD_BACKEND_KEY: BACKEND_KEY,
        HERALD_LOG_LEVEL: 'WARN',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  running.push(child);
  const output = { stdout: '', stderr: '' };
  child.stdout?.on('data', (chunk) => {
    output.stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output.stderr += chunk;
  });
  const exited = new Promise<number | string | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal)),
  );
  const url = await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`herald exited early:\n${output.stderr}`);
      return /listening on (http:\/\/\S+)/.exec(output.stdout)?.[1];
    },
    { timeoutMs: 15_000, what: 'herald to listen' },
  );
  const port = Number(new URL(url).port);
  return {
    child,
    url,
    wsUrl: `${url.replace(/^http/, 'ws')}/local`,
    port,
    backendKey: BACKEND_KEY,
    output,
    exited,
    alive: () => child.exitCode === null && child.signalCode === null,
  };
};

export type { HeraldProcess };
export { killHeraldProcesses, startHeraldProcess };
