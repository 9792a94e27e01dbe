import { CLIENT_ACTIONS } from '@herald/domain';
import { type CfnElement, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  type DomainName,
  LogGroupLogDestination,
  WebSocketApi,
  WebSocketStage,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { DEFAULTS } from '../defaults.js';

interface HeraldWebSocketApiProps {
  /** The `$connect` authorizer. */
  readonly authorizer: IFunction;
  /** The `$connect` handler. */
  readonly connect: IFunction;
  /** The `$disconnect` handler. */
  readonly disconnect: IFunction;
  /** The handler of every client action, and of `$default` (which answers `unknown_action`). */
  readonly actions: IFunction;
  /** WebSocket stage name. @default 'prod' */
  readonly stageName?: string;
  /** Stage throttling. @default { rateLimit: 500, burstLimit: 1000 } */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
  /** A custom domain for the WebSocket API, and its mapping key (base path). @default - the execute-api URL */
  readonly domain?: { readonly domainName: DomainName; readonly mappingKey?: string };
  /**
   * What API Gateway must find on a `$connect` before it calls the authorizer.
   * @default ['route.request.querystring.authorization']
   */
  readonly authorizerIdentitySource?: readonly string[];
  /** Retention of the stage's access log. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
}

/** Access log fields: enough to trace a request, and never the token (no query string, no headers). */
const webSocketAccessLog = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    routeKey: '$context.routeKey',
    eventType: '$context.eventType',
    connectionId: '$context.connectionId',
    status: '$context.status',
    integrationError: '$context.integrationErrorMessage',
    authorizeError: '$context.authorizer.error',
  }),
);

/**
 * The WebSocket API clients connect to: a Lambda authorizer on `$connect`,
 * one route per client action of the domain (`CLIENT_ACTIONS`), and a
 * throttled stage with JSON access logs, optionally on a custom domain.
 */
class HeraldWebSocketApi {
  public readonly webSocketApi: WebSocketApi;
  public readonly stage: WebSocketStage;
  /** `wss://…/{stage}` (or the custom domain). */
  public readonly webSocketUrl: string;
  /** The management (`@connections`) API endpoint the handlers post to. */
  public readonly managementEndpoint: string;

  constructor(scope: Construct, props: HeraldWebSocketApiProps) {
    this.webSocketApi = new WebSocketApi(scope, 'WebSocketApi', {
      routeSelectionExpression: '$request.body.action',
      connectRouteOptions: {
        integration: new WebSocketLambdaIntegration('ConnectIntegration', props.connect),
        authorizer: new WebSocketLambdaAuthorizer('Authorizer', props.authorizer, {
          // API Gateway refuses a $connect without this before calling the
          // authorizer; browsers can always send a query string.
          identitySource: [
            ...(props.authorizerIdentitySource ?? DEFAULTS.authorizerIdentitySource),
          ],
        }),
      },
      disconnectRouteOptions: {
        integration: new WebSocketLambdaIntegration('DisconnectIntegration', props.disconnect),
      },
      defaultRouteOptions: {
        integration: new WebSocketLambdaIntegration('DefaultRouteIntegration', props.actions),
      },
    });
    for (const action of CLIENT_ACTIONS) {
      this.webSocketApi.addRoute(action, {
        integration: new WebSocketLambdaIntegration(`${action}RouteIntegration`, props.actions),
      });
    }
    Validations.of(this.webSocketApi).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'A WebSocket API authorizes once, on $connect (the Lambda authorizer); every later route runs inside that authorized connection.',
    });

    const accessLogs = new LogGroup(scope, 'WebSocketAccessLogs', {
      retention: props.logRetention ?? DEFAULTS.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const domain = props.domain;
    this.stage = new WebSocketStage(scope, 'Stage', {
      webSocketApi: this.webSocketApi,
      stageName: props.stageName ?? DEFAULTS.stageName,
      autoDeploy: true,
      throttle: props.throttle ?? DEFAULTS.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: webSocketAccessLog,
      },
      ...(domain
        ? {
            domainMapping: {
              domainName: domain.domainName,
              ...(domain.mappingKey ? { mappingKey: domain.mappingKey } : {}),
            },
          }
        : {}),
    });
    this.webSocketUrl = domain
      ? `wss://${domain.domainName.name}/${domain.mappingKey ?? ''}`
      : this.stage.url;
    this.managementEndpoint = domain
      ? `https://${domain.domainName.name}/${domain.mappingKey ?? ''}`
      : this.stage.callbackUrl;
  }

  /** Lets a handler post to, and disconnect, any connection of this stage. */
  grantPostToConnections(handler: IFunction): void {
    this.stage.grantManagementApiAccess(handler);
    if (handler.role === undefined) return;
    const apiLogicalId = Stack.of(this.webSocketApi).getLogicalId(
      this.webSocketApi.node.defaultChild as CfnElement,
    );
    Validations.of(handler.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${apiLogicalId}>/${this.stage.stageName}/*/@connections/*]`,
      reason:
        'Posting to clients needs every connection of this stage: connection ids are only known at run time.',
    });
  }
}

export type { HeraldWebSocketApiProps };
export { HeraldWebSocketApi };
