import { Pool } from 'undici';

/** What the post path needs of a connection pool. */
interface PoolOptions {
  /** Connections kept open to the origin. */
  readonly connections: number;
  /** An answer not started, or paused, this long is a failure; so is a connect that takes longer. */
  readonly timeoutMs: number;
}

/**
 * A keep-alive connection pool to one origin, on undici. The gateway imports
 * this module at its first post (`import()`), so a process that never posts
 * does not load undici; a static import here lets the bundler resolve
 * undici's CommonJS exports, which an `import()` of undici itself would not.
 */
const openPool = (origin: string, options: PoolOptions): Pool =>
  new Pool(origin, {
    connections: options.connections,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    connectTimeout: options.timeoutMs,
  });

export type { Pool };
export { openPool };
