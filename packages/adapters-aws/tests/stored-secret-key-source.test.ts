import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeySourceError } from '@herald/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoredSecretKeySource } from '../src/keys/index.js';

/** A loopback stand-in for Secrets Manager and SSM's JSON APIs, answering what `values` holds. */
const values = new Map<string, string>();
const reads: string[] = [];
const server = createServer(async (request, response) => {
  let body = '';
  for await (const chunk of request) body += chunk;
  const target = String(request.headers['x-amz-target']);
  const input = JSON.parse(body) as { SecretId?: string; Name?: string };
  const name = input.SecretId ?? input.Name ?? '';
  reads.push(`${target.split('.')[1]} ${name}`);
  const value = values.get(name);
  if (value === undefined) {
    response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
    response.end(
      JSON.stringify({ __type: 'ResourceNotFoundException', message: `${name} not found` }),
    );
    return;
  }
  response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
  response.end(
    JSON.stringify(
      target.startsWith('secretsmanager')
        ? { Name: name, SecretString: value }
        : { Parameter: { Name: name, Type: 'SecureString', Value: value } },
    ),
  );
});

describe('StoredSecretKeySource', () => {
  const saved = { ...process.env };
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
      AWS_SECRET_ACCESS_KEY: 'local-secret',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
      AWS_ENDPOINT_URL_SSM: endpoint,
    });
  });
  afterAll(async () => {
    process.env = { ...saved };
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('reads the secret from Secrets Manager once, and again when asked to refresh', async () => {
    values.set('herald/jwt', 'a-stored-secret-of-at-least-32-bytes!!');
    const source = new StoredSecretKeySource({ store: 'secretsmanager', name: 'herald/jwt' });

    const first = await source.load();
    await source.load();
    values.set('herald/jwt', 'a-rotated-secret-of-at-least-32-bytes!!');
    const rotated = await source.load({ refresh: true });

    expect(new TextDecoder().decode((first.keys[0] as { secret: Uint8Array }).secret)).toBe(
      'a-stored-secret-of-at-least-32-bytes!!',
    );
    expect(new TextDecoder().decode((rotated.keys[0] as { secret: Uint8Array }).secret)).toBe(
      'a-rotated-secret-of-at-least-32-bytes!!',
    );
    expect(reads.filter((r) => r.endsWith('herald/jwt'))).toHaveLength(2);
  });

  it('reads an SSM SecureString parameter', async () => {
    values.set('/herald/jwt', 'an-ssm-secret-of-at-least-thirty-two-bytes');

    const keys = await new StoredSecretKeySource({ store: 'ssm', name: '/herald/jwt' }).load();

    expect(keys.keys[0]).toMatchObject({ kind: 'secret' });
  });

  it('says which store and name failed, and refuses a short secret', async () => {
    values.set('short', 'too-short');

    await expect(
      new StoredSecretKeySource({ store: 'secretsmanager', name: 'missing' }).load(),
    ).rejects.toThrow(/secretsmanager missing could not be read/);
    await expect(
      new StoredSecretKeySource({ store: 'secretsmanager', name: 'short' }).load(),
    ).rejects.toBeInstanceOf(KeySourceError);
  });
});
