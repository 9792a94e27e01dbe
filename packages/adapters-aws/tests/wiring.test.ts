import { type EventPublisher, type KeySource, RoutedEventPublisher } from '@herald/domain';
import { describe, expect, it } from 'vitest';
import { HttpKeySource, StoredSecretKeySource } from '../src/keys/index.js';
import {
  type KeySettings,
  keySourceChoice,
  keySourceFor,
  type LocalKeySources,
  tokenVerifierOptions,
} from '../src/wiring/keys.js';
import { awsOutputPublisher, outputRoutes } from '../src/wiring/outputs.js';

const PEM = '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----';
const SECRET = 'a-shared-secret-of-at-least-32-bytes!';
const CLAIMS = { userIdClaim: 'sub', channelsClaim: 'channels' };

/** Every way to give keys, so each test can drop the ones it does not want. */
const ALL_KEYS = {
  jwksUrl: 'https://issuer.example/jwks.json',
  x509Url: 'https://issuer.example/x509.json',
  jwtSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:herald',
  jwtSecretParameter: '/herald/jwt-secret',
  jwtPublicKey: PEM,
  jwtSecret: SECRET,
} satisfies KeySettings;

const without = (...names: (keyof KeySettings)[]): KeySettings =>
  Object.fromEntries(Object.entries(ALL_KEYS).filter(([name]) => !names.includes(name as never)));

describe('keySourceChoice', () => {
  it('takes a JWKS URL first, then an x509 map, a stored secret (Secrets Manager, then SSM), a PEM, and the secret last', () => {
    // prepare
    const settings = [
      ALL_KEYS,
      without('jwksUrl'),
      without('jwksUrl', 'x509Url'),
      without('jwksUrl', 'x509Url', 'jwtSecretArn'),
      without('jwksUrl', 'x509Url', 'jwtSecretArn', 'jwtSecretParameter'),
      without('jwksUrl', 'x509Url', 'jwtSecretArn', 'jwtSecretParameter', 'jwtPublicKey'),
    ];

    // act
    const choices = settings.map(keySourceChoice);

    // assess
    expect(choices).toEqual([
      { kind: 'jwks', url: ALL_KEYS.jwksUrl },
      { kind: 'x509', url: ALL_KEYS.x509Url },
      { kind: 'secretsmanager', name: ALL_KEYS.jwtSecretArn },
      { kind: 'ssm', name: ALL_KEYS.jwtSecretParameter },
      { kind: 'pem', pem: PEM },
      { kind: 'secret', secret: SECRET },
    ]);
  });

  it('chooses nothing when no key is given, leaving the caller to decide', () => {
    expect(keySourceChoice({})).toBeUndefined();
  });
});

describe('tokenVerifierOptions', () => {
  it('allows HS256 by default with a secret, given or stored, and with no key yet', () => {
    // prepare
    const secretSettings = [
      { jwtSecret: SECRET },
      { jwtSecretArn: ALL_KEYS.jwtSecretArn },
      { jwtSecretParameter: ALL_KEYS.jwtSecretParameter },
      {},
    ];

    // act
    const algorithms = secretSettings.map((keys) => tokenVerifierOptions({ ...keys, ...CLAIMS }));

    // assess
    expect(algorithms.map((options) => options.algorithms)).toEqual([
      ['HS256'],
      ['HS256'],
      ['HS256'],
      ['HS256'],
    ]);
  });

  it('allows RS256 by default with a public key, a JWKS or an x509 map', () => {
    // prepare
    const publicSettings = [
      { jwtPublicKey: PEM },
      { jwksUrl: ALL_KEYS.jwksUrl },
      { x509Url: ALL_KEYS.x509Url },
    ];

    // act
    const algorithms = publicSettings.map((keys) => tokenVerifierOptions({ ...keys, ...CLAIMS }));

    // assess
    expect(algorithms.map((options) => options.algorithms)).toEqual([
      ['RS256'],
      ['RS256'],
      ['RS256'],
    ]);
  });

  it('passes the algorithms, issuer, audience and claims it is given, and leaves unset checks out', () => {
    // act
    const given = tokenVerifierOptions({
      jwksUrl: ALL_KEYS.jwksUrl,
      jwtAlgorithms: ['ES256', 'RS256'],
      jwtIssuer: 'https://issuer.example',
      jwtAudience: ['herald', 'app'],
      userIdClaim: 'uid',
      channelsClaim: 'rooms',
    });
    const unset = tokenVerifierOptions({ jwtSecret: SECRET, ...CLAIMS });

    // assess
    expect(given).toEqual({
      algorithms: ['ES256', 'RS256'],
      issuer: 'https://issuer.example',
      audience: ['herald', 'app'],
      userIdClaim: 'uid',
      channelsClaim: 'rooms',
    });
    expect(Object.keys(unset).sort()).toEqual(['algorithms', 'channelsClaim', 'userIdClaim']);
  });
});

describe('keySourceFor', () => {
  /** Local key sources that say which call made them. */
  const local = (): LocalKeySources & { readonly calls: string[] } => {
    const calls: string[] = [];
    const made = (call: string): KeySource => {
      calls.push(call);
      return { load: async () => ({ keys: [] }) };
    };
    return {
      calls,
      fromSecret: (secret) => made(`secret:${secret}`),
      fromPem: (pem) => made(`pem:${pem}`),
    };
  };

  it('fetches JWKS and x509 maps over HTTPS, and reads stored secrets from Secrets Manager or SSM', () => {
    // prepare
    const locals = local();

    // act
    const sources = [
      keySourceFor({ kind: 'jwks', url: ALL_KEYS.jwksUrl }, locals),
      keySourceFor({ kind: 'x509', url: ALL_KEYS.x509Url }, locals),
      keySourceFor({ kind: 'secretsmanager', name: ALL_KEYS.jwtSecretArn }, locals),
      keySourceFor({ kind: 'ssm', name: ALL_KEYS.jwtSecretParameter }, locals),
    ];

    // assess
    expect(sources.map((source) => source.constructor)).toEqual([
      HttpKeySource,
      HttpKeySource,
      StoredSecretKeySource,
      StoredSecretKeySource,
    ]);
    expect(locals.calls).toEqual([]);
  });

  it('makes a secret or a PEM into a key source with the local factories it is given', () => {
    // prepare
    const locals = local();

    // act
    keySourceFor({ kind: 'secret', secret: SECRET }, locals);
    keySourceFor({ kind: 'pem', pem: PEM }, locals);

    // assess
    expect(locals.calls).toEqual([`secret:${SECRET}`, `pem:${PEM}`]);
  });
});

describe('outputRoutes', () => {
  const publisher = (name: string): EventPublisher & { readonly name: string } => ({
    name,
    publish: async () => {},
  });

  it('sends client send messages to the queue, and publish messages and presence to the topic', () => {
    // prepare
    const topic = publisher('topic');
    const queue = publisher('queue');

    // act
    const routes = outputRoutes({ topic, queue });

    // assess
    expect(routes).toEqual({ send: [queue], publish: [topic], presence: [topic] });
  });

  it('sends everything to the one output there is', () => {
    // prepare
    const topic = publisher('topic');
    const queue = publisher('queue');

    // act
    const topicOnly = outputRoutes({ topic });
    const queueOnly = outputRoutes({ queue });

    // assess
    expect(topicOnly).toEqual({ send: [topic], publish: [topic], presence: [topic] });
    expect(queueOnly).toEqual({ send: [queue], publish: [queue], presence: [queue] });
  });

  it('routes nowhere without an output', () => {
    expect(outputRoutes({})).toEqual({ send: [], publish: [], presence: [] });
  });
});

describe('awsOutputPublisher', () => {
  it('is a routed publisher when a topic or a queue is set, and nothing when neither is', () => {
    // act
    const none = awsOutputPublisher({});
    const topic = awsOutputPublisher({
      outputTopicArn: 'arn:aws:sns:eu-west-1:123456789012:herald-out',
    });
    const queue = awsOutputPublisher({
      outputQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/herald-out',
    });

    // assess
    expect(none).toBeUndefined();
    expect(topic).toBeInstanceOf(RoutedEventPublisher);
    expect(queue).toBeInstanceOf(RoutedEventPublisher);
  });
});
