// fauxqs 2.4 checks an SQS message body against SQS's allowed characters one
// UTF-16 code unit at a time: its pattern has no `u` flag, so the two halves
// of every character above U+FFFF (every emoji) fall outside its ranges, and
// it refuses "party 🎉" with InvalidMessageContents. SQS takes those
// characters (#x10000 to #x10FFFF are on its list). On fauxqs, a local stack
// would answer a notification with an emoji with a 500, and a broadcast shard
// or an output event holding one would never be queued.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** What SQS refuses in a message body: anything not on its documented list, by code point. */
const REFUSED_BY_SQS = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;

/** A character SQS takes and fauxqs 2.4 refuses. */
const ABOVE_U_FFFF = '\u{1f389}';

/**
 * A file of the fauxqs package that `import('fauxqs')` from here loads. Found
 * through the lookup paths, since fauxqs exports only its entry (for `import`).
 */
const fauxqsFile = (path: string): string | undefined =>
  (createRequire(import.meta.url).resolve.paths('fauxqs') ?? [])
    .map((modules) => join(modules, 'fauxqs', path))
    .find((candidate) => existsSync(candidate));

/**
 * Gives fauxqs's message-body check SQS's rule, by code point, so that it
 * takes the characters above U+FFFF and still refuses the others (U+FFFE,
 * U+FFFF, controls, lone surrogates). fauxqs's handlers share one RegExp for
 * the check (`INVALID_MESSAGE_BODY_CHAR` in its `sqs/sqsTypes.js`, not among
 * its exports, so it is imported by its file URL, which is the same module
 * instance its handlers use). Does nothing when that module or pattern is not there,
 * or when the pattern already takes characters above U+FFFF (a fixed fauxqs).
 */
const takeCharactersAboveUFFFF = async (): Promise<void> => {
  const file = fauxqsFile('dist/sqs/sqsTypes.js');
  if (file === undefined) return;
  const types: { INVALID_MESSAGE_BODY_CHAR?: unknown } | undefined = await import(
    pathToFileURL(file).href
  ).catch(() => undefined);
  const check = types?.INVALID_MESSAGE_BODY_CHAR;
  if (!(check instanceof RegExp) || !check.test(ABOVE_U_FFFF)) return;
  Object.defineProperty(check, 'test', {
    value: (body: string) => REFUSED_BY_SQS.test(body),
    configurable: true,
  });
};

export { takeCharactersAboveUFFFF };
