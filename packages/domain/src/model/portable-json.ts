/**
 * The same JSON text with U+FFFE and U+FFFF written as escapes: SQS refuses a
 * message body holding either (the characters it takes stop at U+FFFD below
 * the supplementary planes). In a JSON text they can only stand inside
 * strings, so the escapes keep its value. For a text Herald did not write,
 * such as a backend's request forwarded as it came.
 */
const portableJsonText = (json: string): string =>
  json.replace(/[\ufffe\uffff]/g, (char) => `\\u${(char.codePointAt(0) as number).toString(16)}`);

/**
 * JSON text that every output and queue takes: `JSON.stringify` escapes every
 * other character SQS refuses (controls, lone surrogates) but leaves U+FFFE
 * and U+FFFF raw, and `portableJsonText` escapes those. The JSON value is the
 * same; `undefined` gives `null`.
 */
const portableJson = (value: unknown): string => portableJsonText(JSON.stringify(value) ?? 'null');

export { portableJson, portableJsonText };
