import { environmentFor, type LambdaHandlerName, type SettingInputs } from '@herald/settings';
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

/** Each deployed function's handler, by its entry name in Herald's settings table. */
const ENTRIES: Readonly<Record<HandlerName, LambdaHandlerName>> = {
  authorizer: 'authorizer',
  connect: 'connect',
  disconnect: 'disconnect',
  actions: 'actions',
  notifications: 'notifications',
  presence: 'presence',
  presenceQuery: 'presence-query',
};

/** What the handlers' environment is made of: names, ARNs and URLs of the stack's resources. */
interface LambdaEnvironmentInputs {
  readonly connectionsTableName: string;
  readonly presenceTableName: string;
  readonly historyTableName: string;
  readonly jwt: HeraldJwtProps;
  readonly outputTopicArn: string;
  readonly outputQueueUrl: string;
  /** The input queue: the notifications handler enqueues broadcast shards and continuations there. */
  readonly notificationsQueueUrl: string;
  readonly managementEndpoint: string;
  readonly broadcastShards: number;
}

/** Variables of the Lambda runtime and Powertools, not Herald's own settings. */
const RUNTIME = { POWERTOOLS_SERVICE_NAME: 'herald', NODE_OPTIONS: '--enable-source-maps' };

/**
 * Every handler's environment, built here and nowhere else, from Herald's
 * settings table: each function gets exactly the settings its handler reads.
 * A token secret never enters it: the authorizer gets the secret's ARN or
 * parameter name.
 */
const lambdaEnvironments = (
  inputs: LambdaEnvironmentInputs,
): Readonly<Record<HandlerName, Record<string, string>>> => {
  const { jwt } = inputs;
  const values: SettingInputs = {
    connectionsTable: inputs.connectionsTableName,
    presenceTable: inputs.presenceTableName,
    historyTable: inputs.historyTableName,
    jwtSecretArn: jwt.secret?.secretArn,
    jwtSecretParameter: jwt.secretParameter?.parameterName,
    jwksUrl: jwt.jwksUrl,
    x509Url: jwt.x509Url,
    jwtAlgorithms: jwt.algorithms?.join(','),
    jwtIssuer: jwt.issuer,
    jwtAudience: jwt.audiences?.join(','),
    jwtRequiredClaims:
      jwt.requiredClaims === undefined
        ? undefined
        : jwt.requiredClaims.length === 0
          ? 'none'
          : jwt.requiredClaims.join(','),
    jwtMaxLifetimeSeconds:
      jwt.maxLifetimeSeconds === undefined ? undefined : String(jwt.maxLifetimeSeconds),
    userIdClaim: jwt.userIdClaim,
    channelsClaim: jwt.channelsClaim,
    outputTopicArn: inputs.outputTopicArn,
    outputQueueUrl: inputs.outputQueueUrl,
    notificationsQueueUrl: inputs.notificationsQueueUrl,
    managementEndpoint: inputs.managementEndpoint,
    broadcastShards: String(inputs.broadcastShards),
  };
  return Object.fromEntries(
    (Object.entries(ENTRIES) as [HandlerName, LambdaHandlerName][]).map(([name, entry]) => [
      name,
      { ...environmentFor(entry, values), ...RUNTIME } as Record<string, string>,
    ]),
  ) as Record<HandlerName, Record<string, string>>;
};

export type { HandlerName, LambdaEnvironmentInputs };
export { lambdaEnvironments };
