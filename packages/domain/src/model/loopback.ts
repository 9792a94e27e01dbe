/**
 * Whether an address (a socket's remote address, or a URL's hostname) is on
 * this machine's loopback: 127.0.0.0/8, ::1 (bracketed or not), an
 * IPv4-mapped loopback, or `localhost`. Herald lets loopback callers and
 * loopback URLs do what it refuses from elsewhere (the management API
 * without credentials, plain-HTTP key URLs for a local identity provider).
 */
const isLoopback = (address: string | undefined): boolean => {
  if (address === undefined) return false;
  const host = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  return (
    host === '::1' ||
    host.toLowerCase() === 'localhost' ||
    /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
  );
};

export { isLoopback };
