// What each benchmark hands to the root `pnpm bench` (scripts/bench/run-all.ts):
// one line of JSON per goal, appended to the file its `--results FILE`
// option names. Run on its own, a benchmark only prints its table. And the
// median every benchmark reports.
import { appendFileSync } from 'node:fs';

interface BenchResult {
  /** What is measured, as the goals table names it. */
  readonly measure: string;
  /** What it is measured against, in the same run. */
  readonly baseline: string;
  /** Subject / baseline, one per interleaved round. */
  readonly ratios: readonly number[];
  /** The goal, as people read it (`<= 1.3`). */
  readonly goal: string;
  readonly met: boolean;
  /** Why it could not run, when it could not. */
  readonly skipped?: string;
  /** A figure that explains another row and has no goal of its own (`met` is then ignored). */
  readonly reference?: boolean;
}

const writeBenchResult = (file: string | undefined, results: readonly BenchResult[]): void => {
  if (file === undefined || file === '') return;
  appendFileSync(file, results.map((result) => `${JSON.stringify(result)}\n`).join(''));
};

/** The median of a benchmark's samples (the mean of the middle two for an even count). */
const median = (xs: readonly number[]): number => {
  if (xs.length === 0) throw new Error('the median of no samples');
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

export type { BenchResult };
export { median, writeBenchResult };
