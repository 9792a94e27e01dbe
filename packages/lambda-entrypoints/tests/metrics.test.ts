import { METRIC_NAMES, METRICS_NAMESPACE } from '@herald/domain';
import type { APIGatewayRequestAuthorizerEvent, SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  makeAuthorizerHandler,
  makeNotificationsHandler,
  publishingMetrics,
} from '../src/index.js';
import { lambdaContext, testServices, token } from './support.js';

afterEach(() => {
  vi.restoreAllMocks();
});

interface EmfLine {
  readonly _aws: {
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string; readonly Unit: string }[];
    }[];
  };
  readonly [field: string]: unknown;
}

/** The CloudWatch EMF lines written to stdout while `act` runs. */
const emfWrittenBy = async (act: () => Promise<unknown>): Promise<EmfLine[]> => {
  const written: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    written.push(String(chunk));
    return true;
  });
  await act();
  vi.restoreAllMocks();
  return written
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.includes('"CloudWatchMetrics"'))
    .map((line) => JSON.parse(line) as EmfLine);
};

const sqsEvent = (bodies: string[]): SQSEvent =>
  ({
    Records: bodies.map((body, i) => ({
      messageId: `m${i}`,
      body,
      attributes: { ApproximateReceiveCount: '1' },
      eventSource: 'aws:sqs',
    })),
  }) as unknown as SQSEvent;

describe('Lambda metrics (CloudWatch EMF through Powertools Metrics)', () => {
  it("publishes a notifications invocation's requests, deliveries, latency and store calls once it ends", async () => {
    const { services, gateway, deadLetters } = testServices();
    gateway.open('c1');
    gateway.open('c2');
    await services.registry().connect('c1', { userId: 'alice', channels: [], claims: {} });
    await services.registry().connect('c2', { userId: 'alice', channels: [], claims: {} });
    const handle = publishingMetrics(
      makeNotificationsHandler({
        fanout: services.fanout(),
        shardQueue: services.shardQueue(),
        logger: services.logger,
        metrics: services.metrics,
      }),
      services.metrics,
    );

    const lines = await emfWrittenBy(() =>
      handle(sqsEvent(['{"users":["alice"],"data":{"n":1}}', 'not json']), lambdaContext()),
    );

    expect(lines).toHaveLength(1);
    const [line] = lines as [EmfLine];
    const [directive] = line._aws.CloudWatchMetrics;
    expect(directive?.Namespace).toBe(METRICS_NAMESPACE);
    expect(directive?.Dimensions).toEqual([['service']]);
    expect(line.service).toBe('herald');
    expect(line[METRIC_NAMES.notifications.delivered]).toBe(1);
    expect(line[METRIC_NAMES.notifications.rejected]).toBe(1);
    expect(line[METRIC_NAMES.deliveries.delivered]).toBe(2);
    expect(typeof line[METRIC_NAMES.deliveryLatency]).toBe('number');
    expect(line[METRIC_NAMES.storeLatency]).toBeDefined();
    expect(directive?.Metrics).toContainEqual({
      Name: METRIC_NAMES.deliveryLatency,
      Unit: 'Milliseconds',
    });

    // The refused request's dead letter, received back, fails without being counted again.
    const again = await emfWrittenBy(() => handle(sqsEvent(deadLetters), lambdaContext()));
    expect(again.map((l) => l[METRIC_NAMES.notifications.rejected])).toEqual([]);
  });

  it('publishes a refused upgrade with its reason as a dimension, and nothing for an invocation that recorded nothing', async () => {
    const { services } = testServices();
    const authorize = publishingMetrics(
      makeAuthorizerHandler({
        verifier: services.verifier(),
        logger: services.logger,
        metrics: services.metrics,
      }),
      services.metrics,
    );
    const event = (authorization: string) =>
      ({
        type: 'REQUEST',
        methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abc/test/$connect',
        headers: {},
        queryStringParameters: { authorization },
      }) as unknown as APIGatewayRequestAuthorizerEvent;

    const refused = await emfWrittenBy(async () => authorize(event(await token({}, -10))));
    const allowed = await emfWrittenBy(async () => authorize(event(await token({ sub: 'a' }))));

    expect(refused.map((line) => line[METRIC_NAMES.upgradesRefused])).toEqual([1, 1]);
    expect(refused[1]?.reason).toBe('token_expired');
    expect(refused[1]?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service', 'reason']]);
    expect(allowed).toEqual([]);
  });
});
