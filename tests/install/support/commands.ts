// Running the tools the install test drives (pnpm, npm, node, tar), with a
// bound on each and its output kept for the failure message.
import { execFile } from 'node:child_process';

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command to its end and resolves with its exit code and output (a
 * non-zero exit is a result, not an error); rejects only when it cannot be
 * started or outlives `timeoutMs`.
 */
const run = (
  command: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly env?: NodeJS.ProcessEnv; readonly timeoutMs: number },
): Promise<Ran> =>
  new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd,
        env: options.env ?? process.env,
        timeout: options.timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error === null) return resolve({ code: 0, stdout, stderr });
        if (typeof error.code === 'number' && !error.killed) {
          return resolve({ code: error.code, stdout, stderr });
        }
        reject(
          new Error(`${command} ${args.join(' ')} did not finish: ${error.message}\n${stderr}`, {
            cause: error,
          }),
        );
      },
    );
  });

/** Like `run`, but a non-zero exit is an error that shows the command's output. */
const runOk = async (
  command: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly env?: NodeJS.ProcessEnv; readonly timeoutMs: number },
): Promise<Ran> => {
  const ran = await run(command, args, options);
  if (ran.code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${ran.code} in ${options.cwd}\n${ran.stdout}\n${ran.stderr}`,
    );
  }
  return ran;
};

/** Prints one step of a long test as it finishes, with its wall time. */
const step = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
  const started = performance.now();
  const result = await work();
  console.log(`install test: ${name} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  return result;
};

export type { Ran };
export { run, runOk, step };
