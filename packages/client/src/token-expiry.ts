/**
 * When a JWT expires (its `exp`, in ms), read without verifying: the client
 * only uses it to refresh in time; the server verifies. Undefined when the
 * token is not a JWT or has no numeric `exp`.
 */
const tokenExpiresAt = (token: string): number | undefined => {
  try {
    const payload = token.split('.')[1] ?? '';
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
};

export { tokenExpiresAt };
