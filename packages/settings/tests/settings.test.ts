import { ConfigurationError } from '@herald/domain';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  environmentFor,
  helpText,
  LAMBDA_HANDLERS,
  loadLambdaSettings,
  loadSettings,
  namesReadBy,
  parseCommandLine,
  SETTINGS,
  type Setting,
} from '../src/index.js';

const configError = (load: () => unknown): ConfigurationError => {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error('expected a configuration error');
};

const all: Setting[] = Object.values(SETTINGS);

describe('SETTINGS', () => {
  it('gives every setting its own variable and flag, and a reader', () => {
    expect(new Set(all.map((s) => s.env)).size).toBe(all.length);
    expect(new Set(all.map((s) => s.flag)).size).toBe(all.length);
    for (const setting of all) {
      expect(setting.env).toMatch(/^HERALD_[A-Z0-9_]+$/);
      expect(setting.readBy.length).toBeGreaterThan(0);
    }
  });

  it('lets every Lambda handler read at least one setting', () => {
    for (const handler of LAMBDA_HANDLERS) expect(namesReadBy(handler).length).toBeGreaterThan(0);
  });
});

describe('loadSettings', () => {
  it('starts the server from safe defaults with no configuration', () => {
    expect(loadSettings('server', { env: {} })).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      stage: 'local',
      managementApi: 'loopback',
      idleTimeoutMs: 600_000,
      maxConnectionAgeMs: 7_200_000,
      rateLimit: 20,
    });
  });

  it('lets a flag win over its variable', () => {
    const { values } = parseCommandLine('server', ['--port', '9001']);

    const settings = loadSettings('server', {
      env: { HERALD_PORT: '9000', HERALD_JWT_AUDIENCE: 'a, b' },
      flags: values,
    });

    expect(settings).toMatchObject({ port: 9001, jwtAudience: ['a', 'b'] });
  });

  it('names the flag and the variable of a bad value, with what was expected', () => {
    const error = configError(() => loadSettings('server', { env: { HERALD_PORT: 'eighty' } }));

    expect(error.setting).toBe('--port / HERALD_PORT');
    expect(error.message).toContain('eighty');
  });

  it('never echoes a secret, even a malformed one', () => {
    const error = configError(() =>
      loadSettings('server', { env: { HERALD_JWT_SECRET: 'too-short-secret' } }),
    );

    expect(error.setting).toContain('HERALD_JWT_SECRET');
    expect(error.message).not.toContain('too-short-secret');
  });

  it('never echoes credentials inside a URL setting', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-zA-Z0-9]{6,20}$/),
        fc.stringMatching(/^[a-zA-Z0-9]{6,20}$/),
        fc.constantFrom('ftp', 'http', 'htp', 'file'),
        (user, secret, scheme) => {
          const raw = `${scheme}://${user}:${secret}@idp.example.com/keys?access_token=${secret}`;
          const error = configError(() =>
            loadSettings('server', { env: { HERALD_JWKS_URL: raw } }),
          );
          expect(error.setting).toBe('--jwks-url / HERALD_JWKS_URL');
          expect(error.message).not.toContain(secret);
          expect(error.message).not.toContain(user);
        },
      ),
    );
  });

  it('refuses two ways to verify tokens at once, naming both', () => {
    const error = configError(() =>
      loadSettings('server', {
        env: {
          HERALD_JWT_SECRET: 'x'.repeat(32),
          HERALD_JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----',
        },
      }),
    );

    expect(error.setting).toBe('HERALD_JWT_SECRET / HERALD_JWT_PUBLIC_KEY');
  });
});

describe('key URLs', () => {
  it('asks for HTTPS, naming the setting, rather than calling plain HTTP an invalid URL', () => {
    const error = configError(() =>
      loadSettings('server', { env: { HERALD_JWKS_URL: 'http://idp.example.com/jwks' } }),
    );

    expect(error.setting).toBe('--jwks-url / HERALD_JWKS_URL');
    expect(error.message).toContain('must be an HTTPS URL');
    expect(error.message).not.toContain('Invalid URL');
  });

  it('allows plain HTTP on a loopback host, for a local identity provider', () => {
    for (const url of [
      'http://127.0.0.1:9000/jwks',
      'http://localhost/jwks',
      'http://[::1]/x509',
    ]) {
      const env = url.endsWith('x509') ? { HERALD_X509_URL: url } : { HERALD_JWKS_URL: url };
      expect(() => loadSettings('server', { env })).not.toThrow();
    }
  });
});

describe('parseCommandLine', () => {
  it('drops the leading -- that pnpm and scripts pass on', () => {
    expect(parseCommandLine('server', ['--', '--port', '9000']).values).toEqual({ port: '9000' });
  });

  it('refuses an unknown flag and a flag another reader owns, pointing at --help', () => {
    expect(configError(() => parseCommandLine('server', ['--nope'])).setting).toBe('arguments');
    expect(
      configError(() => parseCommandLine('server', ['--broadcast-shards', '4'])).message,
    ).toContain('--help');
  });

  it('reads the switches a command declares, and --help', () => {
    const line = parseCommandLine('local-aws', ['--help', '--dev'], ['dev']);

    expect(line).toMatchObject({ help: true, switches: { dev: true } });
  });
});

describe('loadLambdaSettings', () => {
  it('names only the variable of a bad value: a Lambda function has no flags', () => {
    const error = configError(() =>
      loadLambdaSettings({ HERALD_MANAGEMENT_ENDPOINT: 'not a url' }),
    );

    expect(error.setting).toBe('HERALD_MANAGEMENT_ENDPOINT');
  });

  it('applies the defaults the handlers rely on', () => {
    expect(loadLambdaSettings({})).toMatchObject({
      broadcastShards: 8,
      fanoutConcurrency: 64,
      userIdClaim: 'sub',
      channelsClaim: 'channels',
    });
  });
});

describe('defaults', () => {
  it('each is a value its own schema accepts, written as a variable would give it', () => {
    const withDefaults = Object.entries(SETTINGS).filter(([, setting]) => 'default' in setting);
    expect(withDefaults.length).toBeGreaterThan(30);

    for (const [name, setting] of withDefaults) {
      const value = (setting as Setting).default;
      const written = Array.isArray(value) ? value.join(',') : String(value);
      const parsed = (setting as Setting).schema().safeParse(written);

      expect({ name, parsed: parsed.success ? parsed.data : parsed.error.message }).toEqual({
        name,
        parsed: value,
      });
    }
  });

  it('is what an empty or absent variable gives, and no two loads share an array', () => {
    const first = loadSettings('server', {
      env: { HERALD_PORT: '', HERALD_JWT_REQUIRED_CLAIMS: '' },
    });
    const second = loadSettings('server', { env: {} });

    expect(first).toMatchObject({ port: 8080, host: '127.0.0.1', jwtRequiredClaims: ['exp'] });
    expect(first.jwtRequiredClaims).not.toBe(second.jwtRequiredClaims);
    expect(first.jwtSecret).toBeUndefined();
  });
});

describe('loadLambdaSettings for one handler', () => {
  it('validates only the settings that handler reads', () => {
    // A bad value of a setting the authorizer does not read is not its concern.
    const settings = loadLambdaSettings(
      { HERALD_JWT_SECRET: 'x'.repeat(32), HERALD_BROADCAST_SHARDS: 'lots' },
      'authorizer',
    );

    expect(Object.keys(settings).sort()).toEqual([...namesReadBy('authorizer')].sort());
    expect(settings).toMatchObject({ jwtSecret: 'x'.repeat(32), userIdClaim: 'sub' });
    expect(() => loadLambdaSettings({ HERALD_BROADCAST_SHARDS: 'lots' }, 'notifications')).toThrow(
      /HERALD_BROADCAST_SHARDS/,
    );
  });

  it.each(LAMBDA_HANDLERS)(
    '%s: reading a Lambda setting it does not declare throws, naming the variable and the handler',
    (handler) => {
      const settings = loadLambdaSettings({}, handler);
      const undeclared = Object.entries(SETTINGS).find(
        ([name, setting]) =>
          !(setting.readBy as readonly string[]).includes(handler) &&
          setting.readBy.some((reader) =>
            (LAMBDA_HANDLERS as readonly string[]).includes(reader),
          ) &&
          !Object.keys(settings).includes(name),
      );
      if (undeclared === undefined) throw new Error(`${handler} reads every Lambda setting`);
      const [name, setting] = undeclared;

      const error = configError(() => (settings as Record<string, unknown>)[name]);

      expect(error.setting).toBe(setting.env);
      expect(error.message).toContain(`not read by the ${handler} handler`);
    },
  );
});

describe('environmentFor', () => {
  it('gives a handler exactly the variables it reads', () => {
    const given = {
      connectionsTable: 'c-table',
      presenceTable: 'p-table',
      jwtSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:jwt',
      notificationsQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/n',
    };

    expect(environmentFor('authorizer', given)).toEqual({
      HERALD_JWT_SECRET_ARN: given.jwtSecretArn,
    });
    expect(environmentFor('connect', given)).toEqual({
      HERALD_CONNECTIONS_TABLE: 'c-table',
      HERALD_PRESENCE_TABLE: 'p-table',
    });
    expect(environmentFor('notifications', given)).toMatchObject({
      HERALD_NOTIFICATIONS_QUEUE_URL: given.notificationsQueueUrl,
    });
  });
});

describe('helpText', () => {
  it('lists every flag and variable the reader reads, and no other', () => {
    const text = helpText('server', { usage: 'herald [options]', intro: [] });

    for (const name of namesReadBy('server')) {
      expect(text).toContain(`--${SETTINGS[name].flag}`);
      expect(text).toContain(SETTINGS[name].env);
    }
    expect(text).not.toContain('HERALD_BROADCAST_SHARDS');
  });

  it('keeps flag, variable and meaning apart however long the names are', () => {
    const text = helpText('server', { usage: 'herald [options]', intro: [] });

    for (const name of namesReadBy('server')) {
      const { flag, env } = SETTINGS[name];
      // The longest names (--history-broadcast-ttl-seconds) once ran into their variable.
      expect(text).toMatch(new RegExp(`^  --${flag} {2,}${env}(=1)? {2,}\\S`, 'm'));
    }
  });
});
