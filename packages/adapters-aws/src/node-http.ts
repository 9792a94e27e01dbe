import type * as Http from 'node:http';
import type * as Https from 'node:https';

// Node's `http` and `https` modules, taken with `process.getBuiltinModule`
// rather than an ESM `import … from 'node:http'`. The ESM import builds the
// module's namespace, which reads every export, among them lazy getters
// that load Node's bundled undici: about 15 ms of a Lambda cold start
// (measured by `pnpm --filter @herald/lambda-entrypoints bench`), for code
// that never calls it. The module objects are the same either way.

/** `node:http`, loaded when first asked for. */
const nodeHttp = (): typeof Http => process.getBuiltinModule('node:http');
/** `node:https`, loaded when first asked for. */
const nodeHttps = (): typeof Https => process.getBuiltinModule('node:https');

export { nodeHttp, nodeHttps };
