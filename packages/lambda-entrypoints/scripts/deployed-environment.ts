/**
 * What a deployed function's environment holds for a cold start, and no AWS
 * credentials at all: the bundle tests and the cold-import benchmark import
 * the bundles under it. One difference: the token key is a static secret,
 * which only local runs use (the construct gives the authorizer a Secrets
 * Manager ARN, an SSM parameter or a key URL instead); the benchmark also
 * measures the authorizer with a Secrets Manager ARN and with a JWKS URL.
 */
const deployedEnvironment = (home: string): Record<string, string> => ({
  PATH: process.env.PATH ?? '',
  HOME: home,
  AWS_REGION: 'eu-west-1',
  HERALD_JWT_SECRET: 'cold-import-secret-of-at-least-32-bytes',
  HERALD_CONNECTIONS_TABLE: 'herald-connections',
  HERALD_PRESENCE_TABLE: 'herald-presence',
  HERALD_OUTPUT_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:herald-out',
  HERALD_NOTIFICATIONS_QUEUE_URL:
    'https://sqs.eu-west-1.amazonaws.com/123456789012/herald-notifications',
  HERALD_MANAGEMENT_ENDPOINT: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
});

export { deployedEnvironment };
