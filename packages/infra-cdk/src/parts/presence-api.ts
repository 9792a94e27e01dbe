import { RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  HttpStage,
  type IHttpRouteAuthorizer,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { DEFAULTS } from '../defaults.js';

interface HeraldPresenceApiProps {
  /** The handler that answers `GET /presence`. */
  readonly presenceQuery: IFunction;
  /** Who may call `GET /presence`. @default HttpIamAuthorizer (SigV4-signed IAM principals) */
  readonly authorizer?: IHttpRouteAuthorizer;
  /** Retention of the stage's access log. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
}

/** Access log fields: who asked what, and never a header. */
const httpAccessLog = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    routeKey: '$context.routeKey',
    status: '$context.status',
    caller: '$context.identity.caller',
  }),
);

/** The HTTP API backends ask "who is online" on: `GET /presence?userIds=a,b`. */
class HeraldPresenceApi {
  public readonly presenceApi: HttpApi;
  public readonly stage: HttpStage;
  /** The URL of `GET /presence`. */
  public readonly presenceUrl: string;

  constructor(scope: Construct, props: HeraldPresenceApiProps) {
    this.presenceApi = new HttpApi(scope, 'PresenceApi', { createDefaultStage: false });
    this.presenceApi.addRoutes({
      path: '/presence',
      methods: [HttpMethod.GET],
      integration: new HttpLambdaIntegration('PresenceQuery', props.presenceQuery),
      authorizer: props.authorizer ?? new HttpIamAuthorizer(),
    });
    const accessLogs = new LogGroup(scope, 'PresenceApiAccessLogs', {
      retention: props.logRetention ?? DEFAULTS.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(scope, 'PresenceApiStage', {
      httpApi: this.presenceApi,
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: httpAccessLog,
      },
    });
    this.presenceUrl = `${this.stage.url}presence`;
  }
}

export type { HeraldPresenceApiProps };
export { HeraldPresenceApi };
