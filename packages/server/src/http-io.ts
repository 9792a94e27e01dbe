import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isLoopback, PayloadTooLargeError } from '@herald/domain';

/** Reads a request body, refusing it as soon as it passes `limitBytes`. */
const readBody = async (request: IncomingMessage, limitBytes: number): Promise<Buffer> => {
  const declared = Number(request.headers['content-length'] ?? Number.NaN);
  if (declared > limitBytes) {
    request.resume();
    throw new PayloadTooLargeError('request body', declared, limitBytes);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) {
      request.resume();
      throw new PayloadTooLargeError('request body', size, limitBytes);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
};

const sendJson = (
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void => {
  const text = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, {
    ...(text === '' ? {} : { 'content-type': 'application/json' }),
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
};

/** Compares a presented key with the expected one in constant time. */
const keyMatches = (presented: string | undefined, expected: string): boolean => {
  if (presented === undefined) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected));
};

const bearerOf = (request: IncomingMessage): string | undefined =>
  /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];

/** True for 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6. */
export { bearerOf, isLoopback, keyMatches, readBody, sendJson };
