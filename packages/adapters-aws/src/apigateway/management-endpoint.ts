import { ConfigurationError } from '@herald/domain';

/**
 * The management API endpoint for a WebSocket API, from what a $connect or
 * route event carries. On the execute-api domain the stage is the path; on a
 * custom domain the API mapping's base path is (the stage is not in the URL).
 */
const managementEndpoint = ({
  domainName,
  stage,
  basePath,
}: {
  readonly domainName: string;
  readonly stage: string;
  /** The custom domain's API mapping path; ignored on execute-api domains. @default '' */
  readonly basePath?: string;
}): string => {
  if (domainName.length === 0) throw new ConfigurationError('domainName', 'is empty');
  if (/\.execute-api\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/.test(domainName)) {
    return `https://${domainName}/${encodeURIComponent(stage)}`;
  }
  const path = (basePath ?? '').replace(/^\/+|\/+$/g, '');
  return path.length === 0 ? `https://${domainName}` : `https://${domainName}/${path}`;
};

/** The signing region of an execute-api endpoint, if the host names one. */
const regionOf = (endpoint: URL): string | undefined =>
  /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(endpoint.hostname)?.[1];

export { managementEndpoint, regionOf };
