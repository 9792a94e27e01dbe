import { Pool } from 'undici';

/** What the post path needs of a connection pool. */
interface PoolOptions {
  /** Connections kept open to the origin. */
  readonly connections: number;
  /**
   * The caller's bound on one exchange, which it enforces itself with a
   * precise timer (an AbortSignal). The pool's own timeouts run on undici's
   * clock, which ticks every half second and can fire up to a tick early or
   * late; they are set a second past the caller's, as a backstop only.
   */
  readonly timeoutMs: number;
}

/** How far past the caller's own bound the pool's coarse timeouts are set. */
const BACKSTOP_MS = 1000;

/**
 * A keep-alive connection pool to one origin, on undici. The gateway imports
 * this module at its first post (`import()`), so a process that never posts
 * does not load undici; a static import here lets the bundler resolve
 * undici's CommonJS exports, which an `import()` of undici itself would not.
 */
const openPool = (origin: string, options: PoolOptions): Pool =>
  new Pool(origin, {
    connections: options.connections,
    headersTimeout: options.timeoutMs + BACKSTOP_MS,
    bodyTimeout: options.timeoutMs + BACKSTOP_MS,
    connectTimeout: options.timeoutMs + BACKSTOP_MS,
  });

export type { Pool };
export { openPool };
