import { RemovalPolicy } from 'aws-cdk-lib';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

/** Secure defaults, kept together: every part takes its defaults from here. */
const DEFAULTS = {
  stageName: 'prod',
  throttle: { rateLimit: 500, burstLimit: 1000 },
  fifo: false,
  maxReceiveCount: 5,
  broadcastShards: 8,
  pointInTimeRecovery: true,
  removalPolicy: RemovalPolicy.RETAIN,
  logRetention: RetentionDays.ONE_MONTH,
  runtime: Runtime.NODEJS_24_X,
  architecture: Architecture.ARM_64,
  authorizerIdentitySource: ['route.request.querystring.authorization'],
} as const;

export { DEFAULTS };
