// Everything, for convenience. A Lambda bundle should import the subpath it
// needs (@herald/adapters-aws/dynamodb, /sns, /sqs, /apigateway, /keys, and
// /wiring/dynamodb, /wiring/outputs, /wiring/keys) so it carries only the SDK
// clients it uses.
export * from './apigateway/index.js';
export * from './dynamodb/index.js';
export * from './keys/index.js';
export * from './sns/index.js';
export * from './sqs/index.js';
export * from './wiring/dynamodb.js';
export * from './wiring/keys.js';
export * from './wiring/outputs.js';
