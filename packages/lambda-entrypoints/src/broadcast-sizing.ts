/**
 * How a broadcast on AWS is sized: shards, posts in flight, Lambda memory and
 * concurrency, from the post path's measured CPU per post and API Gateway's
 * rate. The CDK construct's defaults come from it, and the million-connection
 * simulation (tests/broadcast-simulation.test.ts) runs what it gives.
 * docs/sizing.md explains each term.
 */
interface BroadcastSizingInput {
  /** Connections a broadcast must reach. */
  readonly expectedConnections: number;
  /** Posts per second the account may make to connections (API Gateway's default quota). @default 10000 */
  readonly postsPerSecond?: number;
  /** Time for API Gateway to answer one post, in ms. @default 30 */
  readonly postLatencyMs?: number;
  /**
   * CPU time of one post on one vCPU, in µs, as `pnpm --filter
   * @herald/adapters-aws bench` measures the post path: 108 µs on the
   * project's loaded 2-core machine over `node:http`, 92 µs on a quiet one
   * over undici's pool (its transport now); the default keeps the higher. @default 108
   */
  readonly cpuPerPostMicros?: number;
}

interface BroadcastSizing {
  /** Shard messages a broadcast is split into (HERALD_BROADCAST_SHARDS). */
  readonly shards: number;
  /** Posts in flight per invocation (HERALD_FANOUT_CONCURRENCY). */
  readonly concurrency: number;
  /** Connections per page, one page per shard message. */
  readonly pageSize: number;
  /** Notifications function invocations at once: the shards, and as many for targeted requests. */
  readonly maxConcurrency: number;
  /** Notifications function memory, MB: enough vCPU share for its posts, twice over. */
  readonly memorySize: number;
  readonly timeoutSeconds: number;
  /** One shard's posts per second. */
  readonly postsPerSecondPerShard: number;
  /** All shards' posts per second, within the account's quota. */
  readonly postsPerSecond: number;
  /** Expected time of the whole broadcast, in seconds. */
  readonly seconds: number;
  /** Shard invocations the broadcast takes (one per page). */
  readonly invocations: number;
}

/** Connections per page: one page per shard message. */
const PAGE_SIZE = 500;
/** Posts in flight per invocation. */
const CONCURRENCY = 64;
/** Time from a shard's continuation being enqueued to its next invocation, plus reading the page (ms). */
const PICKUP_MS = 100;
const PAGE_READ_MS = 20;
/** Lambda gives one vCPU at 1,769 MB, and CPU in proportion to memory. */
const MB_PER_VCPU = 1769;
/** vCPU share kept spare beside the posts: DynamoDB page decoding, GC, the SDK. */
const CPU_HEADROOM = 2;
const MIN_MEMORY_MB = 512;
const TIMEOUT_SECONDS = 60;

const broadcastSizing = (input: BroadcastSizingInput): BroadcastSizing => {
  const quota = input.postsPerSecond ?? 10_000;
  const latencyMs = input.postLatencyMs ?? 30;
  const cpuPerPost = (input.cpuPerPostMicros ?? 108) / 1e6;
  const connections = Math.max(1, input.expectedConnections);
  // One shard posts a page in ⌈P ÷ C⌉ waves of one latency each, then waits
  // for its continuation's pickup and the next page's read.
  const perShard =
    PAGE_SIZE /
    ((Math.ceil(PAGE_SIZE / CONCURRENCY) * latencyMs + PICKUP_MS + PAGE_READ_MS) / 1000);
  const pages = Math.ceil(connections / PAGE_SIZE);
  // Enough shards to fill the quota, and no more than there are pages.
  const shards = Math.max(1, Math.min(Math.ceil(quota / perShard), pages));
  const postsPerSecond = Math.min(quota, shards * perShard);
  const vcpu = perShard * cpuPerPost * CPU_HEADROOM;
  const memorySize = Math.max(MIN_MEMORY_MB, Math.ceil((vcpu * MB_PER_VCPU) / 64) * 64);
  return {
    shards,
    concurrency: CONCURRENCY,
    pageSize: PAGE_SIZE,
    maxConcurrency: Math.max(2, 2 * shards),
    memorySize,
    timeoutSeconds: TIMEOUT_SECONDS,
    postsPerSecondPerShard: perShard,
    postsPerSecond,
    // Within the quota, or the shards' own pace when each has many pages to go.
    seconds: Math.max(
      connections / postsPerSecond,
      Math.ceil(pages / shards) * (PAGE_SIZE / perShard),
    ),
    invocations: pages,
  };
};

export type { BroadcastSizing, BroadcastSizingInput };
export { broadcastSizing };
