// Herald's dependency rules (the root README's "Dependency rules"). `pnpm run deps` fails on any error below.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-imports-no-adapter',
      comment: 'The domain is the core: it never depends on an adapter or a composition root.',
      severity: 'error',
      from: { path: '^packages/domain/' },
      to: {
        path: '^(packages|@herald)/(adapters-[^/]+|lambda-entrypoints|server|local-aws|infra-cdk)(/|$)',
      },
    },
    {
      name: 'domain-imports-no-aws-sdk-or-container',
      comment:
        'No AWS SDK, Smithy or inversify in the domain: ports keep it free of AWS types and containers.',
      severity: 'error',
      from: { path: '^packages/domain/' },
      to: {
        path: '(^|/)node_modules/(@aws-sdk|@smithy|inversify|reflect-metadata)/|^(@aws-sdk|@smithy|inversify|reflect-metadata)(/|$)',
      },
    },
    {
      name: 'domain-does-no-node-io',
      comment:
        'No Node built-in modules (fs, net, http, child_process, ...) in domain code: I/O lives behind ports. Its tests may read fixtures.',
      severity: 'error',
      from: { path: '^packages/domain/src/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'adapters-do-not-import-each-other',
      comment: 'An adapter package depends on the domain only; composition roots combine adapters.',
      severity: 'error',
      from: { path: '^packages/(adapters-[^/]+)/' },
      to: {
        path: '^(packages|@herald)/adapters-[^/]+(/|$)',
        pathNot: '^(packages|@herald)/$1(/|$)',
      },
    },
    {
      name: 'adapters-do-not-import-composition-roots',
      comment: 'Only composition roots know which adapter is bound to which port.',
      severity: 'error',
      from: { path: '^packages/adapters-[^/]+/' },
      to: { path: '^(packages|@herald)/(lambda-entrypoints|server|local-aws|infra-cdk)(/|$)' },
    },
    {
      name: 'server-does-not-import-lambda',
      comment:
        'The server package holds the embedded server only: the Lambda handlers, and the local API Gateway in front of them, live in lambda-entrypoints and local-aws.',
      severity: 'error',
      from: { path: '^packages/server/' },
      to: { path: '^(packages|@herald)/(lambda-entrypoints|local-aws)(/|$)' },
    },
    {
      name: 'server-imports-no-container-or-batch',
      comment:
        "No inversify, reflect-metadata or Powertools batch in the server: it wires its own adapters in plain code, and has no Lambda batches. Those are the Lambda composition root's.",
      severity: 'error',
      from: { path: '^packages/server/' },
      to: {
        path: '(^|/)node_modules/(inversify|reflect-metadata|@aws-lambda-powertools/batch)/|^(inversify|reflect-metadata|@aws-lambda-powertools/batch)(/|$)',
      },
    },
    {
      name: 'not-to-dev-dep',
      comment:
        "A package's src/ ships: it may not import at run time a package that is only in its devDependencies. Type-only imports are erased, so they may; so may a peer dependency that the package also installs for its own tests (domain/testing's fast-check and vitest), since its consumer provides it.",
      severity: 'error',
      from: { path: '^packages/[^/]+/src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only', 'npm-peer'] },
    },
    {
      name: 'settings-import-only-the-domain',
      comment:
        'The settings table is read by every composition root and the CDK construct; it depends on the domain and its schema library only.',
      severity: 'error',
      from: { path: '^packages/settings/' },
      to: {
        path: '^(packages|@herald)/(adapters-[^/]+|lambda-entrypoints|server|local-aws|infra-cdk)(/|$)',
      },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Only the repository's own build outputs: a dependency's files under its dist/ are still seen.
    exclude: { path: '^packages/[^/]+/(dist|dist-bundles|cdk\\.out|\\.turbo)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['@herald/source', 'import', 'types', 'default'],
      extensions: ['.ts', '.js', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
