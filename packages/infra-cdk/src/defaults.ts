import { DEFAULT_IDENTITY_SOURCE } from '@herald/domain';
import { RemovalPolicy } from 'aws-cdk-lib';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

/** Secure defaults, kept together: every part takes its defaults from here. */
const DEFAULTS = {
  stageName: 'prod',
  throttle: { rateLimit: 500, burstLimit: 1000 },
  fifo: false,
  maxReceiveCount: 5,
  /**
   * The broadcast the stack is sized for, at API Gateway's default quota of
   * 10,000 posts/s: `broadcastSizing` (docs/sizing.md) turns it into the
   * shards (8), the notifications function's memory and its concurrency (16).
   */
  broadcastSizing: { expectedConnections: 1_000_000 },
  /**
   * The notifications queue's consumer, sized for continuations (see the
   * lambda-entrypoints README, "How long a broadcast takes"):
   * - one record per invocation, so an invocation holds one request or one
   *   shard page, and its deadline (the remaining time less 7 s) is its own,
   *   never shared by several shards crammed into one batch;
   * - a 60 s timeout, and messages kept out of sight for twice that, so a
   *   record is not received again while its invocation still runs.
   * Its memory and concurrency come from `broadcastSizing`.
   */
  notifications: { batchSize: 1, timeoutSeconds: 60 },
  pointInTimeRecovery: true,
  removalPolicy: RemovalPolicy.RETAIN,
  logRetention: RetentionDays.ONE_MONTH,
  runtime: Runtime.NODEJS_24_X,
  architecture: Architecture.ARM_64,
  /** The one the local API Gateway (`@herald/local-aws`) enforces too. */
  authorizerIdentitySource: DEFAULT_IDENTITY_SOURCE,
} as const;

export { DEFAULTS };
