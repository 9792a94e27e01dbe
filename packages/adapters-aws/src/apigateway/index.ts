export type { ApiGatewayConnectionGatewayOptions } from './api-gateway-connection-gateway.js';
export { ApiGatewayConnectionGateway } from './api-gateway-connection-gateway.js';
export { managementEndpoint, regionOf } from './management-endpoint.js';
