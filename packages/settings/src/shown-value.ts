import type { Setting } from './settings.js';

const MAX_SHOWN = 80;

/**
 * A URL with its credentials masked: the user information and every query
 * value (an `access_token=` or a presigned signature is a secret too).
 */
const maskUrl = (url: URL): string => {
  if (url.username !== '') url.username = '***';
  if (url.password !== '') url.password = '***';
  for (const key of [...new Set(url.searchParams.keys())]) url.searchParams.set(key, '***');
  return url.href.replaceAll('%2A%2A%2A', '***');
};

/**
 * How a setting's value may be shown in an error: never a secret, even a
 * malformed one, and never credentials inside a URL.
 */
const shownValue = (setting: Setting, raw: unknown): string => {
  if (setting.secret) return '[redacted]';
  const text = String(raw);
  if (URL.canParse(text) && /^[a-z][\w+.-]*:\/\//i.test(text)) {
    return maskUrl(new URL(text)).slice(0, MAX_SHOWN);
  }
  // Not a URL, but it may still carry credentials in URL form (a mistyped scheme).
  return text
    .replace(/\/\/[^/@\s]*@/g, '//***@')
    .replace(/([?&][^=&\s]+=)[^&\s]*/g, '$1***')
    .slice(0, MAX_SHOWN);
};

export { shownValue };
