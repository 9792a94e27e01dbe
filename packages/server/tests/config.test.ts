import { ConfigurationError } from '@herald/domain';
import { namesReadBy, SETTINGS } from '@herald/settings';
import { describe, expect, it } from 'vitest';
import { helpText, loadConfig } from '../src/index.js';

const configError = (argv: string[], env: Record<string, string> = {}) => {
  try {
    loadConfig(argv, env);
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error('expected a configuration error');
};

describe('loadConfig', () => {
  it('starts from safe defaults with no configuration', () => {
    expect(loadConfig([], {})).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      stage: 'local',
      managementApi: 'loopback',
      idleTimeoutMs: 600_000,
      maxConnectionAgeMs: 7_200_000,
      rateLimit: 20,
    });
  });

  it('reads environment variables, and lets a flag win over its variable', () => {
    const config = loadConfig(['--port', '9001'], {
      HERALD_PORT: '9000',
      HERALD_JWT_AUDIENCE: 'a, b',
      HERALD_HOST: '0.0.0.0',
    });

    expect(config).toMatchObject({ port: 9001, host: '0.0.0.0', jwtAudience: ['a', 'b'] });
  });

  it('names the flag and variable of a bad value, with what was expected', () => {
    const error = configError([], { HERALD_PORT: 'eighty' });

    expect(error.setting).toBe('--port / HERALD_PORT');
    expect(error.message).toContain('eighty');
  });

  it('never echoes a secret, even a malformed one', () => {
    const error = configError([], { HERALD_JWT_SECRET: 'too-short-secret' });

    expect(error.setting).toContain('HERALD_JWT_SECRET');
    expect(error.message).not.toContain('too-short-secret');
  });

  it('refuses a secret and a public key together, unknown flags, and bad enums', () => {
    expect(
      configError([], {
        HERALD_JWT_SECRET: 'x'.repeat(32),
        HERALD_JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----',
      }).setting,
    ).toContain('HERALD_JWT_PUBLIC_KEY');
    expect(configError(['--nope']).setting).toBe('arguments');
    expect(configError(['--management-api', 'everyone']).setting).toBe(
      '--management-api / HERALD_MANAGEMENT_API',
    );
    expect(configError(['--webhook-url', 'ftp://example.test/hook']).setting).toContain(
      'HERALD_WEBHOOK_URL',
    );
  });

  it('takes the AWS settings, and refuses a JWKS URL that is not https or several key sources', () => {
    const config = loadConfig(['--connections-table', 'herald-connections'], {
      HERALD_PRESENCE_TABLE: 'herald-presence',
      HERALD_OUTPUT_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:herald-out',
      HERALD_INPUT_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/herald-in',
      HERALD_JWKS_URL: 'https://issuer.example/.well-known/jwks.json',
    });

    expect(config).toMatchObject({
      connectionsTable: 'herald-connections',
      presenceTable: 'herald-presence',
      outputTopicArn: 'arn:aws:sns:eu-west-1:123456789012:herald-out',
    });
    expect(configError([], { HERALD_JWKS_URL: 'http://issuer.example/jwks' }).setting).toContain(
      'HERALD_JWKS_URL',
    );
    expect(configError([], { HERALD_OUTPUT_TOPIC_ARN: 'herald-out' }).setting).toContain(
      'HERALD_OUTPUT_TOPIC_ARN',
    );
    expect(
      configError([], {
        HERALD_JWKS_URL: 'https://a.example/jwks',
        HERALD_JWT_SECRET: 'x'.repeat(32),
      }).setting,
    ).toContain('HERALD_JWKS_URL');
  });

  it('answers --help, and the help lists every setting', () => {
    expect(loadConfig(['--help'], {})).toBe('help');
    const names = namesReadBy('server');
    expect(names.length).toBeGreaterThan(20);
    for (const name of names) {
      expect(helpText()).toContain(`--${SETTINGS[name].flag}`);
      expect(helpText()).toContain(SETTINGS[name].env);
    }
  });
});
