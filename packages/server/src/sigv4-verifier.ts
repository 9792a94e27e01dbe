import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { type Clock, ConfigurationError } from '@herald/domain';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { keyMatches } from './http-io.js';

/** One key pair a caller may sign with, as the SDK's credentials take it. */
interface SigV4AccessKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** When set, requests must carry it as `x-amz-security-token` (temporary credentials). */
  readonly sessionToken?: string;
}

interface SigV4VerifierOptions {
  readonly clock: Clock;
  /** The service the credential scope must name. @default 'execute-api' */
  readonly service?: string;
  /** How far `x-amz-date` may be from the clock, either way. @default 300000 (5 minutes, as AWS) */
  readonly maxSkewMs?: number;
}

/** A request as received, before anything in it is decoded. */
interface SigV4Request {
  readonly method: string;
  /** The request target as sent: path and query, still percent-encoded (`IncomingMessage.url`). */
  readonly target: string;
  /** Header names in lower case, as Node gives them. */
  readonly headers: IncomingHttpHeaders;
  /** Reads the body; called only once the headers have passed every other check. */
  readonly body: () => Promise<Uint8Array>;
}

type SigV4DenialCode =
  | 'missing_authorization'
  | 'malformed_authorization'
  | 'unknown_access_key'
  | 'wrong_credential_scope'
  | 'missing_signed_header'
  | 'request_expired'
  | 'session_token_mismatch'
  | 'payload_hash_mismatch'
  | 'signature_mismatch';

interface SigV4Denial {
  readonly ok: false;
  readonly code: SigV4DenialCode;
  /** API Gateway's `x-amzn-errortype` for it; the status is always 403. */
  readonly errorType: 'ForbiddenException' | 'InvalidSignatureException';
  /** Says what was wrong; never contains a secret or the expected signature. */
  readonly message: string;
}

type SigV4Outcome =
  | { readonly ok: true; readonly accessKeyId: string; readonly region: string }
  | SigV4Denial;

const ALGORITHM = 'AWS4-HMAC-SHA256';
const AUTHORIZATION =
  /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+)\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-f]{64})\s*$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const REGION = /^[a-z0-9-]{1,64}$/;
const sha256 = Hash.bind(null, 'sha256');

const denial = (
  code: SigV4DenialCode,
  message: string,
  errorType: SigV4Denial['errorType'] = 'InvalidSignatureException',
): SigV4Denial => ({ ok: false, code, errorType, message });

/** `20240101T000000Z` as epoch ms, or undefined unless it is exactly that form and a real instant. */
const parseAmzDate = (value: string): number | undefined => {
  const parts = AMZ_DATE.exec(value);
  if (parts === null) return undefined;
  const [year, month, day, hour, minute, second] = parts.slice(1).map(Number) as number[];
  const ms = Date.UTC(year ?? 0, (month ?? 0) - 1, day, hour, minute, second);
  const roundTrip = new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '');
  return roundTrip === value ? ms : undefined;
};

const headerValue = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value.join(',') : value;

/** The query as the signer takes it: names and values decoded; undefined when not decodable. */
const parseQuery = (query: string): Record<string, string | string[]> | undefined => {
  const result: Record<string, string | string[]> = {};
  try {
    for (const pair of query.split('&')) {
      if (pair === '') continue;
      const at = pair.indexOf('=');
      const name = decodeURIComponent(at < 0 ? pair : pair.slice(0, at));
      const value = at < 0 ? '' : decodeURIComponent(pair.slice(at + 1));
      const previous = result[name];
      result[name] =
        previous === undefined
          ? value
          : Array.isArray(previous)
            ? [...previous, value]
            : [previous, value];
    }
  } catch {
    return undefined;
  }
  return result;
};

/**
 * Verifies AWS Signature Version 4 on a received request, as API Gateway
 * does for IAM-authorised routes: `Authorization: AWS4-HMAC-SHA256 …` with a
 * credential scope `{key id}/{date}/{region}/{service}/aws4_request`, signed
 * headers that include `host` and `x-amz-date`, `x-amz-date` within the skew
 * window, the payload hash in `x-amz-content-sha256` (which must then match
 * the body) or else the body's SHA-256, and `x-amz-security-token` when the
 * key pair has a session token.
 *
 * The expected signature is computed by the SDK's own signer from the request
 * as received (the canonical URI and query exactly as the SDK signs them), so
 * whatever the stock clients sign verifies; it is compared in constant time.
 */
class SigV4Verifier {
  private readonly keys: ReadonlyMap<string, SigV4AccessKey>;
  private readonly clock: Clock;
  private readonly service: string;
  private readonly maxSkewMs: number;

  constructor(keys: Iterable<SigV4AccessKey>, options: SigV4VerifierOptions) {
    this.keys = new Map([...keys].map((key) => [key.accessKeyId, key]));
    this.clock = options.clock;
    this.service = options.service ?? 'execute-api';
    this.maxSkewMs = options.maxSkewMs ?? 5 * 60_000;
  }

  /** Whether the Authorization header claims SigV4 (so the caller means this verifier). */
  static claims(authorization: string | undefined): boolean {
    return authorization?.startsWith(`${ALGORITHM} `) === true;
  }

  async verify(request: SigV4Request): Promise<SigV4Outcome> {
    const authorization = headerValue(request.headers.authorization);
    if (authorization === undefined || authorization === '') {
      return denial(
        'missing_authorization',
        'Missing Authentication Token: no Authorization header',
        'ForbiddenException',
      );
    }
    const parsed = AUTHORIZATION.exec(authorization);
    if (parsed === null) {
      return denial(
        'malformed_authorization',
        `the Authorization header is not "${ALGORITHM} Credential=…, SignedHeaders=…, Signature=…"`,
      );
    }
    const [, credential = '', signedHeaderList = '', signature = ''] = parsed;
    const [accessKeyId = '', scopeDate, region = '', service, terminator, ...extra] =
      credential.split('/');
    if (terminator !== 'aws4_request' || extra.length > 0 || !REGION.test(region)) {
      return denial(
        'wrong_credential_scope',
        'the credential is not "{access key id}/{yyyymmdd}/{region}/{service}/aws4_request"',
      );
    }
    if (service !== this.service) {
      return denial(
        'wrong_credential_scope',
        `the credential scope names service "${service}"; this API is "${this.service}"`,
      );
    }
    const key = this.keys.get(accessKeyId);
    if (key === undefined) {
      return denial(
        'unknown_access_key',
        `the access key ${accessKeyId} is not one this API accepts`,
        'ForbiddenException',
      );
    }
    const signedHeaders = signedHeaderList.split(';');
    for (const required of ['host', 'x-amz-date']) {
      if (!signedHeaders.includes(required)) {
        return denial('missing_signed_header', `SignedHeaders must include ${required}`);
      }
    }
    const headers: Record<string, string> = {};
    for (const name of signedHeaders) {
      const value = headerValue(request.headers[name]);
      if (value === undefined) {
        return denial('missing_signed_header', `the signed header ${name} is not in the request`);
      }
      headers[name] = value;
    }
    const amzDate = headers['x-amz-date'] ?? '';
    const signedAt = parseAmzDate(amzDate);
    if (signedAt === undefined) {
      return denial('malformed_authorization', 'x-amz-date is not a date as yyyymmddThhmmssZ');
    }
    if (scopeDate !== amzDate.slice(0, 8)) {
      return denial(
        'wrong_credential_scope',
        'the credential scope date is not that of x-amz-date',
      );
    }
    const now = this.clock.now();
    if (Math.abs(now - signedAt) > this.maxSkewMs) {
      return denial(
        'request_expired',
        `Signature expired: x-amz-date ${amzDate} is more than ${this.maxSkewMs / 1000} s from this server's time ` +
          `${new Date(now).toISOString()} (request too old, or a clock is wrong)`,
      );
    }
    const presentedToken = headerValue(request.headers['x-amz-security-token']);
    if (
      key.sessionToken === undefined
        ? presentedToken !== undefined
        : !keyMatches(presentedToken, key.sessionToken)
    ) {
      return denial(
        'session_token_mismatch',
        'the security token included in the request is missing or not the one of this access key',
        'ForbiddenException',
      );
    }
    const body = await request.body();
    const declaredHash = headers['x-amz-content-sha256'];
    if (
      declaredHash !== undefined &&
      declaredHash.toLowerCase() !== createHash('sha256').update(body).digest('hex')
    ) {
      return denial('payload_hash_mismatch', 'the body does not match x-amz-content-sha256');
    }
    const queryAt = request.target.indexOf('?');
    const path = queryAt < 0 ? request.target : request.target.slice(0, queryAt);
    const query = parseQuery(queryAt < 0 ? '' : request.target.slice(queryAt + 1));
    if (query === undefined || !path.startsWith('/')) {
      return denial('signature_mismatch', 'the signature does not match the request');
    }
    const expected = await new SignatureV4({
      service: this.service,
      region,
      credentials: key,
      sha256,
      applyChecksum: false,
    }).sign(new HttpRequest({ method: request.method, path, query, headers, body }), {
      signingDate: new Date(signedAt),
      signingRegion: region,
      signingService: this.service,
      signableHeaders: new Set(signedHeaders),
    });
    const computed = AUTHORIZATION.exec(headerValue(expected.headers.authorization) ?? '');
    if (
      computed === null ||
      computed[2] !== signedHeaderList ||
      !keyMatches(signature, computed[3] ?? '')
    ) {
      return denial(
        'signature_mismatch',
        'The request signature we calculated does not match the signature you provided: ' +
          'check the secret access key and the signing method',
      );
    }
    return { ok: true, accessKeyId, region };
  }
}

/**
 * Key pairs from a setting's text: `ID:SECRET` or `ID:SECRET:SESSION_TOKEN`,
 * comma-separated. Errors name the entry by position, never echo a secret.
 */
const parseSigV4AccessKeys = (setting: string, text: string): SigV4AccessKey[] => {
  const keys: SigV4AccessKey[] = [];
  for (const [index, entry] of text.split(',').entries()) {
    const [accessKeyId = '', secretAccessKey = '', sessionToken, ...extra] = entry
      .trim()
      .split(':');
    if (!/^[A-Za-z0-9]{1,128}$/.test(accessKeyId) || secretAccessKey === '' || extra.length > 0) {
      throw new ConfigurationError(
        setting,
        `entry ${index + 1} is not ACCESS_KEY_ID:SECRET_ACCESS_KEY (or with :SESSION_TOKEN)`,
      );
    }
    if (keys.some((key) => key.accessKeyId === accessKeyId)) {
      throw new ConfigurationError(setting, `access key ${accessKeyId} is given twice`);
    }
    keys.push({
      accessKeyId,
      secretAccessKey,
      ...(sessionToken === undefined || sessionToken === '' ? {} : { sessionToken }),
    });
  }
  return keys;
};

export type {
  SigV4AccessKey,
  SigV4Denial,
  SigV4DenialCode,
  SigV4Outcome,
  SigV4Request,
  SigV4VerifierOptions,
};
export { parseSigV4AccessKeys, SigV4Verifier };
