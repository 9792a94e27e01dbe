/** The outcome of an operation that can fail in an expected way, without throwing. */
type Result<T, E> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: E };

const ok = <T>(value: T): { readonly ok: true; readonly value: T } => ({ ok: true, value });
const err = <E>(error: E): { readonly ok: false; readonly error: E } => ({ ok: false, error });

export type { Result };
export { err, ok };
