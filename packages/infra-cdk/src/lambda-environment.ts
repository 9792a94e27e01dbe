import type { HeraldJwtProps } from './herald-jwt-props.js';

/** The handlers the stack deploys, by the name `HeraldNotifications.functions` gives them. */
type HandlerName =
  | 'authorizer'
  | 'connect'
  | 'disconnect'
  | 'actions'
  | 'notifications'
  | 'presence'
  | 'presenceQuery';

/** What the handlers' environment is made of: names, ARNs and URLs of the stack's resources. */
interface LambdaEnvironmentInputs {
  readonly connectionsTableName: string;
  readonly presenceTableName: string;
  readonly jwt: HeraldJwtProps;
  readonly outputTopicArn: string;
  readonly outputQueueUrl: string;
  /** The input queue: the notifications handler enqueues broadcast shards and continuations there. */
  readonly notificationsQueueUrl: string;
  readonly managementEndpoint: string;
  readonly broadcastShards: number;
}

/**
 * Every handler's environment, built here and nowhere else. A token secret
 * never enters it: the authorizer gets the secret's ARN or parameter name.
 */
const lambdaEnvironments = (
  inputs: LambdaEnvironmentInputs,
): Readonly<Record<HandlerName, Record<string, string>>> => {
  const { jwt } = inputs;
  const common = {
    HERALD_CONNECTIONS_TABLE: inputs.connectionsTableName,
    HERALD_PRESENCE_TABLE: inputs.presenceTableName,
    POWERTOOLS_SERVICE_NAME: 'herald',
    NODE_OPTIONS: '--enable-source-maps',
  };
  const tokens = {
    ...(jwt.secret ? { HERALD_JWT_SECRET_ARN: jwt.secret.secretArn } : {}),
    ...(jwt.secretParameter
      ? { HERALD_JWT_SECRET_PARAMETER: jwt.secretParameter.parameterName }
      : {}),
    ...(jwt.jwksUrl ? { HERALD_JWKS_URL: jwt.jwksUrl } : {}),
    ...(jwt.x509Url ? { HERALD_X509_URL: jwt.x509Url } : {}),
    ...(jwt.algorithms ? { HERALD_JWT_ALGORITHMS: jwt.algorithms.join(',') } : {}),
    ...(jwt.issuer ? { HERALD_JWT_ISSUER: jwt.issuer } : {}),
    ...(jwt.audiences ? { HERALD_JWT_AUDIENCE: jwt.audiences.join(',') } : {}),
    ...(jwt.userIdClaim ? { HERALD_USER_ID_CLAIM: jwt.userIdClaim } : {}),
    ...(jwt.channelsClaim ? { HERALD_CHANNELS_CLAIM: jwt.channelsClaim } : {}),
  };
  const outputs = {
    HERALD_OUTPUT_TOPIC_ARN: inputs.outputTopicArn,
    HERALD_OUTPUT_QUEUE_URL: inputs.outputQueueUrl,
  };
  return {
    authorizer: { ...common, ...tokens },
    connect: { ...common },
    disconnect: { ...common },
    actions: { ...common, ...outputs },
    notifications: {
      ...common,
      HERALD_MANAGEMENT_ENDPOINT: inputs.managementEndpoint,
      HERALD_NOTIFICATIONS_QUEUE_URL: inputs.notificationsQueueUrl,
      HERALD_BROADCAST_SHARDS: String(inputs.broadcastShards),
    },
    presence: { ...common, ...outputs },
    presenceQuery: { ...common, ...outputs },
  };
};

export type { HandlerName, LambdaEnvironmentInputs };
export { lambdaEnvironments };
