/**
 * SQSClient options for this environment. The SQS client sends to the host in
 * each queue URL unless told otherwise; when an endpoint is set through the
 * environment (AWS_ENDPOINT_URL_SQS or AWS_ENDPOINT_URL, as for LocalStack or
 * fauxqs), that endpoint must win.
 */
const sqsClientOptions = (
  env: NodeJS.ProcessEnv = process.env,
): { useQueueUrlAsEndpoint?: boolean } =>
  (env.AWS_ENDPOINT_URL_SQS ?? env.AWS_ENDPOINT_URL) === undefined
    ? {}
    : { useQueueUrlAsEndpoint: false };

export { sqsClientOptions };
