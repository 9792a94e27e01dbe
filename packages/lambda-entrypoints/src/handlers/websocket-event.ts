import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';

/** A WebSocket route event, with what API Gateway adds on $connect (headers, query, authorizer context). */
type WebSocketEvent = APIGatewayProxyWebsocketEventV2 & {
  readonly headers?: Record<string, string | undefined>;
  readonly queryStringParameters?: Record<string, string | undefined> | null;
  readonly requestContext: APIGatewayProxyWebsocketEventV2['requestContext'] & {
    readonly authorizer?: Record<string, string | number | boolean | undefined>;
  };
};

/** Header names in lower case, as HTTP/1 treats them and the domain's token rules expect. */
const lowerCaseHeaders = (headers: Record<string, string | undefined> | null | undefined) =>
  Object.fromEntries(
    Object.entries(headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
  );

export type { WebSocketEvent };
export { lowerCaseHeaders };
