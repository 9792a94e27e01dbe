import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { DomainName } from 'aws-cdk-lib/aws-apigatewayv2';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { buildExampleApp } from '../src/example-app.js';
import { HeraldNotifications, type HeraldNotificationsProps } from '../src/index.js';

const run = promisify(execFile);

/** A stack holding the construct (its functions deploy the prebuilt bundles: nothing is bundled). */
const synthesize = (props: Partial<HeraldNotificationsProps> = {}) => {
  const app = new App({
    outdir: mkdtempSync(join(tmpdir(), 'herald-cdk-')),
  });
  const stack = new Stack(app, 'Test');
  const secret = new Secret(stack, 'Secret');
  const herald = new HeraldNotifications(stack, 'Herald', { jwt: { secret }, ...props });
  return { template: Template.fromStack(stack), herald, stack };
};

describe('HeraldNotifications', () => {
  const { template } = synthesize();

  it('routes on $request.body.action, with every route integrated', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: '$request.body.action',
    });
    for (const routeKey of [
      '$connect',
      '$disconnect',
      '$default',
      'ping',
      'send',
      'publish',
      'subscribe',
      'unsubscribe',
      'resume',
      'refresh',
    ]) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: routeKey,
        Target: Match.objectLike({
          'Fn::Join': Match.arrayWith([Match.arrayWith(['integrations/'])]),
        }),
      });
    }
    template.resourcePropertiesCountIs(
      'AWS::ApiGatewayV2::Integration',
      { ApiId: { Ref: Match.stringLikeRegexp('WebSocketApi') }, IntegrationType: 'AWS_PROXY' },
      10,
    );
  });

  it('authorizes $connect with the Lambda REQUEST authorizer, on the query-string token', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      IdentitySource: ['route.request.querystring.authorization'],
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: '$connect',
      AuthorizationType: 'CUSTOM',
    });
  });

  it('throttles the stage and writes JSON access logs that never hold the token', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: 'prod',
      DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
      AccessLogSettings: {
        Format: Match.stringLikeRegexp('"connectionId":"\\$context.connectionId"'),
      },
    });
    const stages = template.findResources('AWS::ApiGatewayV2::Stage');
    for (const stage of Object.values(stages)) {
      const format = String(stage.Properties?.AccessLogSettings?.Format ?? '');
      expect(format).not.toMatch(/querystring|authorization|header/i);
    }
  });

  it('keeps connections with TTL on a Number attribute and a stream, and presence beside them', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: 'byUser' })],
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [
        Match.objectLike({ IndexName: 'expiring', Projection: { ProjectionType: 'KEYS_ONLY' } }),
      ],
    });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
  });

  it('keeps history in its own table, keyed by stream and offset with TTL on a Number, read and written only by the handlers that need it', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'stream', KeyType: 'HASH' },
        { AttributeName: 'offset', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([{ AttributeName: 'offset', AttributeType: 'N' }]),
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    const [historyId] = Object.keys(
      template.findResources('AWS::DynamoDB::Table', {
        Properties: { KeySchema: Match.arrayWith([{ AttributeName: 'stream', KeyType: 'HASH' }]) },
      }),
    );
    const historyActions = (roleName: string) =>
      Object.values(template.findResources('AWS::IAM::Policy'))
        .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleName))
        .flatMap(
          (p) =>
            p.Properties.PolicyDocument.Statement as {
              Action: string | string[];
              Resource: unknown;
            }[],
        )
        .filter((st) => JSON.stringify(st.Resource).includes(historyId as string))
        .flatMap((st) => [st.Action].flat())
        .sort();

    expect(historyActions('ActionsRole')).toEqual([
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    expect(historyActions('NotificationsRole')).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
    for (const role of ['ConnectRole', 'DisconnectRole', 'PresenceRole', 'AuthorizerRole']) {
      expect(historyActions(role)).toEqual([]);
    }
    const environments = Object.values(template.findResources('AWS::Lambda::Function')).map(
      (f) => f.Properties.Environment.Variables as Record<string, unknown>,
    );
    expect(environments.filter((v) => 'HERALD_HISTORY_TABLE' in v)).toHaveLength(2);
  });

  it('sizes shards and concurrency for the broadcast it is given (docs/sizing.md)', () => {
    const { template: raised } = synthesize({
      broadcastSizing: { expectedConnections: 1_000_000, postsPerSecond: 50_000 },
    });

    // 50,000 posts/s ÷ about 1,390 per shard: 36 shards, and as many invocations again.
    raised.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('InputQueue'), 'Arn'] },
      ScalingConfig: { MaximumConcurrency: 72 },
    });
    raised.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ HERALD_BROADCAST_SHARDS: '36' }) },
    });
  });

  it('sends failed notification requests to a dead-letter queue after maxReceiveCount', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 5 },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'sqs' });
  });

  it('gives each notifications invocation one record, at most 16 at once, with the queue hiding a record for twice the timeout', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('InputQueue'), 'Arn'] },
      BatchSize: 1,
      ScalingConfig: { MaximumConcurrency: 16 },
    });
    // docs/sizing.md: 1,000,000 connections at 10,000 posts/s take 8 shards,
    // 16 invocations at once and 576 MB (twice the vCPU share the posts use).
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: Match.anyValue(),
      Timeout: 60,
      MemorySize: 576,
      Environment: { Variables: Match.objectLike({ HERALD_BROADCAST_SHARDS: '8' }) },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: Match.anyValue(),
      VisibilityTimeout: 120,
    });
  });

  it('reports batch item failures from the queue and from the stream', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('InputQueue'), 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ConnectionsTable'), 'StreamArn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
  });

  it('runs every function on nodejs24.x and arm64, with a log group kept for a month', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    expect(Object.keys(functions)).toHaveLength(7);
    for (const fn of Object.values(functions)) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
    }
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 30 }, 9);
  });

  it('grants execute-api:ManageConnections on this stage only, and table access only as each handler needs', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const statements = policies.flatMap(
      (p) =>
        p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
    );
    const manage = statements.filter((s) =>
      [s.Action].flat().includes('execute-api:ManageConnections'),
    );
    expect(manage).toHaveLength(2);
    for (const statement of manage)
      expect(JSON.stringify(statement.Resource)).toContain('/prod/*/@connections/*');
    const tableStatements = statements.filter((s) =>
      [s.Action].flat().some((a) => a.startsWith('dynamodb:') && a !== 'dynamodb:ListStreams'),
    );
    for (const statement of tableStatements) {
      expect(JSON.stringify(statement.Resource)).not.toBe('"*"');
      expect(JSON.stringify(statement.Resource)).not.toContain('/index/*');
    }
    const connectPolicy = policies.find((p) =>
      JSON.stringify(p.Properties.Roles).includes('ConnectRole'),
    );
    expect(JSON.stringify(connectPolicy?.Properties.PolicyDocument.Statement)).not.toMatch(
      /DeleteItem|Scan|Query/,
    );
    template.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('keeps the token secret out of the template: the authorizer gets its ARN and read access', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          HERALD_JWT_SECRET_ARN: { Ref: Match.stringLikeRegexp('Secret') },
        }),
      },
    });
    const variables = Object.values(template.findResources('AWS::Lambda::Function')).map(
      (f) => f.Properties.Environment.Variables,
    );
    expect(variables.some((v) => 'HERALD_JWT_SECRET' in v)).toBe(false);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          }),
        ]),
      },
    });
  });

  it('serves GET /presence on an HTTP API with IAM auth by default', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'GET /presence',
      AuthorizationType: 'AWS_IAM',
    });
  });

  it('alarms on dead-letter queues, handler errors and throttles', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Errors' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Throttles' });
  });

  it("adds a CloudWatch dashboard of the handlers' metrics", () => {
    const { template: named, herald } = synthesize({ dashboardName: 'herald-ops' });

    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    named.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'herald-ops' });
    expect(herald.dashboard.node.id).toBe('Dashboard');
  });

  it('outputs the wss URL, the management endpoint and the topic and queue ARNs', () => {
    const outputs = Object.keys(template.findOutputs('*'));
    for (const name of [
      'WebSocketUrl',
      'ManagementEndpoint',
      'InputTopicArn',
      'InputQueueUrl',
      'OutputTopicArn',
      'OutputQueueUrl',
      'PresenceApiUrl',
    ]) {
      expect(outputs.some((o) => o.includes(name))).toBe(true);
    }
  });

  it('takes another identity source for the authorizer on request', () => {
    const header = synthesize({
      authorizerIdentitySource: ['route.request.header.Authorization'],
    }).template;

    header.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      IdentitySource: ['route.request.header.Authorization'],
    });
  });

  it('maps an optional custom domain, and gives the handlers its management endpoint', () => {
    const app = new App({
      outdir: mkdtempSync(join(tmpdir(), 'herald-cdk-')),
    });
    const stack = new Stack(app, 'Domain');
    const domainName = new DomainName(stack, 'Domain', {
      domainName: 'ws.example.com',
      certificate: Certificate.fromCertificateArn(
        stack,
        'Cert',
        'arn:aws:acm:us-east-1:123456789012:certificate/abc',
      ),
    });
    const herald = new HeraldNotifications(stack, 'Herald', {
      jwt: { jwksUrl: 'https://issuer.example/jwks.json' },
      domain: { domainName, mappingKey: 'realtime' },
    });
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::ApiGatewayV2::ApiMapping', { ApiMappingKey: 'realtime' });
    // The domain's name is a CloudFormation reference, so the URLs resolve to joins over it.
    const domainRef = stack.resolve(domainName.name);
    const endpoint = { 'Fn::Join': ['', ['https://', domainRef, '/realtime']] };
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ HERALD_MANAGEMENT_ENDPOINT: endpoint }) },
    });
    expect(stack.resolve(herald.managementEndpoint)).toEqual(endpoint);
    expect(stack.resolve(herald.webSocketUrl)).toEqual({
      'Fn::Join': ['', ['wss://', domainRef, '/realtime']],
    });
  });

  it('makes the input side FIFO on request', () => {
    const fifo = synthesize({ fifo: true }).template;

    fifo.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      RedrivePolicy: Match.anyValue(),
    });
    fifo.hasResourceProperties('AWS::SNS::Topic', { FifoTopic: true });
  });

  it('refuses no key source, or several', () => {
    const stack = new Stack(new App(), 'Bad');

    expect(() => new HeraldNotifications(stack, 'None', { jwt: {} })).toThrow(/exactly one/);
    expect(
      () =>
        new HeraldNotifications(stack, 'Two', {
          jwt: { jwksUrl: 'https://a/jwks', x509Url: 'https://b/certs' },
        }),
    ).toThrow(/exactly one/);
  });
});

describe('cdk-nag AwsSolutions checks', () => {
  it('pass on the example app, every acknowledgment with a reason', () => {
    const { app } = buildExampleApp(
      new App({
        outdir: mkdtempSync(join(tmpdir(), 'herald-nag-')),
      }),
    );

    const assembly = app.synth();

    const report = JSON.parse(
      readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'),
    );
    expect(report.pluginReports).toEqual([]);
  });

  it('fail synthesis on a finding nobody acknowledged (so the check above can fail)', () => {
    const app = new App({
      outdir: mkdtempSync(join(tmpdir(), 'herald-nag-')),
    });
    new Queue(new Stack(app, 'Careless'), 'Plain');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    expect(() => app.synth()).toThrow(/AwsSolutions-SQS/);
  });
});

describe('the example app', () => {
  it('synthesises with `cdk synth`, offline, with no AWS credentials, deploying the prebuilt bundles as assets (no bundler, no Docker)', {
    timeout: 120_000,
  }, async () => {
    const cdk = createRequire(import.meta.url).resolve('aws-cdk/bin/cdk');
    if (!existsSync(fileURLToPath(new URL('../dist/example-app.js', import.meta.url)))) {
      throw new Error(
        'dist/ is missing: run "pnpm run build" first (the README\'s test command does)',
      );
    }
    const outdir = mkdtempSync(join(tmpdir(), 'herald-synth-'));

    await run(process.execPath, [cdk, 'synth', '--no-notices', '--quiet', '--output', outdir], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: mkdtempSync(join(tmpdir(), 'herald-home-')),
        CDK_DISABLE_VERSION_CHECK: '1',
      },
      cwd: fileURLToPath(new URL('..', import.meta.url)),
    });

    const template = JSON.parse(readFileSync(join(outdir, 'Herald.template.json'), 'utf8'));
    const assets = JSON.parse(readFileSync(join(outdir, 'Herald.assets.json'), 'utf8'))
      .files as Record<string, { source: { path: string } }>;
    const bundles = Object.values(assets).filter((asset) =>
      existsSync(join(outdir, asset.source.path, 'index.mjs')),
    );
    expect(bundles).toHaveLength(7);
    for (const bundle of bundles) {
      const files = readdirSync(join(outdir, bundle.source.path), { recursive: true });
      expect(files.filter((file) => String(file).endsWith('.map'))).toEqual([]);
    }
    expect(
      Object.values(template.Resources).filter(
        (r) => (r as { Type: string }).Type === 'AWS::Lambda::Function',
      ),
    ).toHaveLength(7);
  });
});
