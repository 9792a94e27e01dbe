/**
 * JSON text that every output and queue takes, with U+FFFE and U+FFFF
 * written as escapes: SQS refuses a message body holding either (the
 * characters it takes stop at U+FFFD below the supplementary planes), and
 * `JSON.stringify` leaves them raw while it escapes every other character SQS
 * refuses (controls, lone surrogates). The JSON value is the same; `undefined`
 * gives `null`.
 */
const portableJson = (value: unknown): string =>
  (JSON.stringify(value) ?? 'null').replace(
    /[\ufffe\uffff]/g,
    (char) => `\\u${(char.codePointAt(0) as number).toString(16)}`,
  );

export { portableJson };
