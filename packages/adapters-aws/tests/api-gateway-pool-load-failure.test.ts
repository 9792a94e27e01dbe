// The post path's connection pool is imported at the first post. If what
// that import gives is broken (as a bundler gives an import() of a CommonJS
// package: a module without the named export), every post would fail the
// same way for good: the gateway throws that error instead of answering
// `unreachable`, which the fanout would retry as if the endpoint were busy.
import { describe, expect, it, vi } from 'vitest';
import { ApiGatewayConnectionGateway } from '../src/apigateway/index.js';

// The module loads, without the function the gateway calls.
vi.mock('../src/apigateway/connection-pool.js', () => ({}));

describe('ApiGatewayConnectionGateway when its connection pool cannot be loaded', () => {
  it('throws from post, and again on the next post, instead of answering unreachable', async () => {
    const gateway = new ApiGatewayConnectionGateway({
      endpoint: 'http://127.0.0.1:9/prod',
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
    });

    await expect(gateway.post('c1', new Uint8Array([1]))).rejects.toThrow(/openPool/);
    await expect(gateway.post('c2', new Uint8Array([1]))).rejects.toThrow(/openPool/);
    gateway.close();
  });
});
