export type { ApiGatewayConnectionGatewayOptions } from './api-gateway-connection-gateway.js';
export { ApiGatewayConnectionGateway } from './api-gateway-connection-gateway.js';
export { managementEndpoint, regionOf } from './management-endpoint.js';
export type { PostToSign, SigV4PostSignerOptions } from './sigv4-post-signer.js';
export { SigV4PostSigner } from './sigv4-post-signer.js';
