// Herald as a user installs it: every publishable package packed with pnpm,
// installed with npm from those tarballs into fresh projects outside the
// workspace, and the READMEs' own samples run there.
//
// Two projects, installed side by side:
//   embedding  `@herald/server` and what its README's embedding sample
//              imports, nothing else: the lean install, measured;
//   full       every publishable package, aws-cdk-lib, constructs, cdk-nag
//              and TypeScript: the README's CDK sample synthesised (with
//              aws-cdk-lib's programmatic `app.synth()`, which the sample
//              calls; the `cdk` CLI is not needed), cdk-nag, and
//              `tsc --noEmit` with `skipLibCheck: false` over both samples
//              and every public entry point.
//
// npm downloads aws-cdk-lib and the AWS SDK from the registry the first time;
// its cache is shared across runs (HERALD_INSTALL_TEST_NPM_CACHE, else a
// directory under the OS temp dir) and used with --prefer-offline.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, runOk, step } from './support/commands.js';
import {
  type PackageJson,
  publishablePackages,
  REPOSITORY,
  readJson,
  readmeSamples,
  rootManifest,
  type WorkspacePackage,
} from './support/workspace.js';

const MINUTE = 60_000;

const packages = publishablePackages();
const samples = readmeSamples();
const work = mkdtempSync(join(tmpdir(), 'herald-install-'));
const npmCache =
  process.env.HERALD_INSTALL_TEST_NPM_CACHE ?? join(tmpdir(), 'herald-install-test-npm-cache');

/** The environment npm and the installed programs run with: no pnpm-set npm_* variables. */
const cleanEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key))),
  ...extra,
});

const tarballName = (manifest: PackageJson) =>
  `${manifest.name.replace(/^@/, '').replace('/', '-')}-${manifest.version}.tgz`;

const sample = (name: string): string => {
  const found = samples.get(name);
  if (found === undefined) {
    throw new Error(`no README code block is marked install-test:${name}`);
  }
  return found.code;
};

/** Every file under a directory, as paths relative to it with `/` separators. */
const filesUnder = (directory: string): string[] =>
  readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(directory, join(entry.parentPath, entry.name)).split(sep).join('/'));

/** Every target path an `exports` map names, under any condition. */
const exportTargets = (exports: unknown): string[] => {
  if (typeof exports === 'string') return [exports];
  if (exports === null || typeof exports !== 'object') return [];
  return Object.values(exports).flatMap(exportTargets);
};

/** The import specifiers of a package's public entry points (`./testing` ones need a test runner). */
const publicSpecifiers = (manifest: PackageJson): string[] => {
  const exports = manifest.exports;
  if (exports === null || typeof exports !== 'object') return [manifest.name];
  return Object.keys(exports)
    .filter((key) => key !== './package.json' && !key.split('/').includes('testing'))
    .map((key) => (key === '.' ? manifest.name : `${manifest.name}/${key.slice(2)}`));
};

const directorySize = (directory: string): number =>
  filesUnder(directory).reduce((sum, file) => sum + statSync(join(directory, file)).size, 0);

interface Packed {
  readonly source: WorkspacePackage;
  readonly tarball: string;
  /** The tarball unpacked: its `package/` directory. */
  readonly unpacked: string;
  readonly files: readonly string[];
  readonly manifest: PackageJson;
}

const packed = new Map<string, Packed>();
const embeddingApp = join(work, 'embedding-app');
const fullApp = join(work, 'full-app');

const npmInstall = (cwd: string) =>
  runOk(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--cache',
      npmCache,
      '--loglevel=error',
    ],
    { cwd, env: cleanEnv(), timeoutMs: 8 * MINUTE },
  );

/** A fresh npm project whose @herald/* dependencies, direct or not, come from the tarballs. */
const writeProject = (directory: string, dependencies: Readonly<Record<string, string>>) => {
  mkdirSync(directory, { recursive: true });
  const fromTarballs = Object.fromEntries(
    [...packed.values()].map(({ manifest, tarball }) => [manifest.name, `file:${tarball}`]),
  );
  const direct = Object.fromEntries(
    Object.entries(dependencies).map(([name, version]) => [name, fromTarballs[name] ?? version]),
  );
  writeFileSync(
    join(directory, 'package.json'),
    `${JSON.stringify({ name: 'herald-user-app', private: true, type: 'module', dependencies: direct, overrides: fromTarballs }, null, 2)}\n`,
  );
};

beforeAll(async () => {
  console.log(`install test: working in ${work}, npm cache ${npmCache}`);
  for (const { directory, manifest } of packages) {
    if (!existsSync(join(directory, 'dist'))) {
      throw new Error(
        `${manifest.name} has no dist/: run "pnpm run build" first (the README's test command does)`,
      );
    }
  }
  const tarballs = join(work, 'tarballs');
  mkdirSync(tarballs);
  await step(`pnpm pack of ${packages.length} packages`, () =>
    Promise.all(
      packages.map(async (source) => {
        await runOk('pnpm', ['pack', '--pack-destination', tarballs], {
          cwd: source.directory,
          env: cleanEnv(),
          timeoutMs: 2 * MINUTE,
        });
        const tarball = join(tarballs, tarballName(source.manifest));
        const into = join(work, 'unpacked', source.manifest.name);
        mkdirSync(into, { recursive: true });
        await runOk('tar', ['-xzf', tarball, '-C', into], { cwd: work, timeoutMs: MINUTE });
        const unpacked = join(into, 'package');
        packed.set(source.manifest.name, {
          source,
          tarball,
          unpacked,
          files: filesUnder(unpacked),
          manifest: readJson<PackageJson>(join(unpacked, 'package.json')),
        });
      }),
    ),
  );

  const root = rootManifest();
  const cdk = packed.get('@herald/infra-cdk')?.source.manifest.devDependencies ?? {};
  const pinned = (versions: Readonly<Record<string, string>> | undefined, name: string) => {
    const version = versions?.[name];
    if (version === undefined) throw new Error(`the repository pins no version of ${name}`);
    return version;
  };
  writeProject(embeddingApp, {
    '@herald/server': '',
    '@herald/domain': '',
    '@herald/adapters-node': '',
  });
  writeProject(fullApp, {
    ...Object.fromEntries([...packed.keys()].map((name) => [name, ''])),
    'aws-cdk-lib': pinned(cdk, 'aws-cdk-lib'),
    constructs: pinned(cdk, 'constructs'),
    'cdk-nag': pinned(cdk, 'cdk-nag'),
    typescript: pinned(root.devDependencies, 'typescript'),
    '@types/node': pinned(root.devDependencies, '@types/node'),
  });
  await Promise.all([
    step('npm install of @herald/server (embedding app)', () => npmInstall(embeddingApp)),
    step('npm install of every package, aws-cdk-lib and TypeScript (full app)', () =>
      npmInstall(fullApp),
    ),
  ]);
  const embedding = sample('embedding');
  writeFileSync(join(embeddingApp, 'embedding.ts'), embedding);
  writeFileSync(join(fullApp, 'embedding.ts'), embedding);
  writeFileSync(join(fullApp, 'cdk-app.ts'), sample('cdk'));
}, 12 * MINUTE);

afterAll(async () => {
  if (process.env.HERALD_KEEP_INSTALL_TEST === '1') console.log(`install test: kept ${work}`);
  else await step('removing the projects', () => rm(work, { recursive: true, force: true }));
}, 2 * MINUTE);

describe('the packed tarballs', () => {
  it('hold a LICENSE (the repository’s), a README and a manifest with nothing workspace-only', () => {
    const license = readFileSync(join(REPOSITORY, 'LICENSE'), 'utf8');
    expect(packed.size).toBe(packages.length);
    for (const { manifest, unpacked, files } of packed.values()) {
      expect(files, manifest.name).toContain('LICENSE');
      expect(files, manifest.name).toContain('README.md');
      expect(readFileSync(join(unpacked, 'LICENSE'), 'utf8'), manifest.name).toBe(license);
      expect(manifest.license, manifest.name).toBe(rootManifest().license);
      expect(manifest.private, manifest.name).toBeUndefined();
      expect(JSON.stringify(manifest), manifest.name).not.toContain('workspace:');
      const published = manifest as PackageJson & Record<string, unknown>;
      for (const field of ['repository', 'homepage', 'keywords', 'description']) {
        expect(published[field], `${manifest.name} ${field}`).toBeTruthy();
      }
    }
  });

  it('hold every file their exports and bins name', () => {
    for (const { manifest, files } of packed.values()) {
      for (const target of exportTargets(manifest.exports)) {
        expect(files, `${manifest.name} exports ${target}`).toContain(target.replace(/^\.\//, ''));
      }
      for (const [bin, target] of Object.entries(manifest.bin ?? {})) {
        expect(files, `${manifest.name} bin ${bin}`).toContain(target.replace(/^\.\//, ''));
      }
    }
  });

  it('ship the Lambda handlers prebuilt in @herald/infra-cdk, without source maps', () => {
    const cdk = packed.get('@herald/infra-cdk');
    expect(cdk).toBeDefined();
    const bundles = cdk?.files.filter((file) => /^dist\/lambda\/[^/]+\/index\.mjs$/.test(file));
    expect(bundles?.length).toBeGreaterThanOrEqual(7);
    expect(
      cdk?.files.filter((file) => file.endsWith('.map') && file.startsWith('dist/lambda/')),
    ).toEqual([]);
    for (const { manifest, tarball } of packed.values()) {
      console.log(
        `install test: ${manifest.name} tarball ${(statSync(tarball).size / 1024).toFixed(0)} KiB`,
      );
    }
  });
});

describe('npm install @herald/server', () => {
  it('installs what the embedded server runs, without the AWS adapters or the AWS SDK', () => {
    const modules = join(embeddingApp, 'node_modules');
    expect(existsSync(join(modules, '@herald', 'server'))).toBe(true);
    expect(existsSync(join(modules, '@herald', 'adapters-aws'))).toBe(false);
    expect(existsSync(join(modules, '@herald', 'lambda-entrypoints'))).toBe(false);
    expect(existsSync(join(modules, '@aws-sdk'))).toBe(false);
    console.log(
      `install test: node_modules of npm install @herald/server: ${(directorySize(modules) / 1024 / 1024).toFixed(1)} MiB`,
    );
  });

  it("runs the server README's embedding sample", { timeout: 2 * MINUTE }, async () => {
    const ran = await run(process.execPath, ['embedding.ts'], {
      cwd: embeddingApp,
      env: {
        PATH: process.env.PATH ?? '',
        PORT: '0',
        JWT_SECRET: 'an-install-test-secret-of-at-least-32-bytes',
        HERALD_BACKEND_KEY: 'an-install-test-backend-key',
      },
      timeoutMs: MINUTE,
    });

    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
  });

  it('installs a `herald` binary whose --help lists the settings', async () => {
    const ran = await runOk(join(embeddingApp, 'node_modules', '.bin', 'herald'), ['--help'], {
      cwd: embeddingApp,
      env: { PATH: process.env.PATH ?? '' },
      timeoutMs: MINUTE,
    });

    expect(ran.stdout).toMatch(/HERALD_PORT/);
  });

  it('exits 2 naming the setting and the package when AWS settings are given without @herald/adapters-aws', async () => {
    const ran = await run(join(embeddingApp, 'node_modules', '.bin', 'herald'), [], {
      cwd: embeddingApp,
      env: {
        PATH: process.env.PATH ?? '',
        HERALD_CONNECTIONS_TABLE: 'connections',
        HERALD_PRESENCE_TABLE: 'presence',
      },
      timeoutMs: MINUTE,
    });

    expect(ran.code).toBe(2);
    expect(ran.stderr).toMatch(/HERALD_CONNECTIONS_TABLE/);
    expect(ran.stderr).toMatch(/npm install @herald\/adapters-aws/);
  });
});

// The checks below are independent and mostly wait on their own processes,
// so they run at once.
describe.concurrent('every package, in a CDK app', () => {
  it("synthesises the root README's CDK sample with cdk-nag, deploying the prebuilt bundles", {
    timeout: 4 * MINUTE,
  }, async ({ expect }) => {
    const outdir = join(work, 'cdk.out');

    await runOk(process.execPath, ['cdk-app.ts'], {
      cwd: fullApp,
      env: cleanEnv({ CDK_OUTDIR: outdir }),
      timeoutMs: 4 * MINUTE,
    });

    const stack = readdirSync(outdir).find((file) => file.endsWith('.template.json'));
    expect(stack).toBeDefined();
    const template = readJson<{
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    }>(join(outdir, stack ?? ''));
    const functions = Object.values(template.Resources).filter(
      (r) => r.Type === 'AWS::Lambda::Function',
    );
    expect(functions).toHaveLength(7);
    for (const fn of functions) expect(fn.Properties.Handler).toBe('index.handler');
    const assets = readdirSync(outdir).filter((dir) => existsSync(join(outdir, dir, 'index.mjs')));
    expect(assets).toHaveLength(7);
    for (const asset of assets) {
      expect(filesUnder(join(outdir, asset)).filter((file) => file.endsWith('.map'))).toEqual([]);
    }
  });

  it('fails that synth on a finding nobody acknowledged (so cdk-nag is seen to run)', {
    timeout: 4 * MINUTE,
  }, async ({ expect }) => {
    const code = sample('cdk');
    expect(code).toMatch(/^app\.synth\(\);$/m);
    writeFileSync(
      join(fullApp, 'cdk-app-unacknowledged.ts'),
      `import { Queue } from 'aws-cdk-lib/aws-sqs';\n${code.replace(/^app\.synth\(\);$/m, "new Queue(stack, 'Unacknowledged');\napp.synth();")}`,
    );

    const ran = await run(process.execPath, ['cdk-app-unacknowledged.ts'], {
      cwd: fullApp,
      env: cleanEnv({ CDK_OUTDIR: join(work, 'cdk.out.unacknowledged') }),
      timeoutMs: 4 * MINUTE,
    });

    expect(ran.code).not.toBe(0);
    expect(ran.stderr + ran.stdout).toMatch(/AwsSolutions-SQS/);
  });

  // tsc checks every declaration file it reaches, aws-cdk-lib's included: the
  // slowest step, and slower still when the whole suite shares the machine.
  it('typechecks both samples and every public entry point with skipLibCheck: false', {
    timeout: 6 * MINUTE,
  }, async ({ expect }) => {
    const specifiers = [...packed.values()].flatMap(({ manifest }) => publicSpecifiers(manifest));
    writeFileSync(
      join(fullApp, 'entry-points.ts'),
      `${specifiers.map((specifier, i) => `import type * as entry${i} from '${specifier}';`).join('\n')}\n` +
        `export type EntryPoints = [${specifiers.map((_, i) => `typeof entry${i}`).join(', ')}];\n`,
    );
    writeFileSync(
      join(fullApp, 'tsconfig.json'),
      `${JSON.stringify(
        {
          compilerOptions: {
            target: 'ES2023',
            lib: ['ES2023'],
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            noEmit: true,
            skipLibCheck: false,
            types: ['node'],
          },
          files: ['embedding.ts', 'cdk-app.ts', 'entry-points.ts'],
        },
        null,
        2,
      )}\n`,
    );

    const ran = await run(
      process.execPath,
      [join(fullApp, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'],
      {
        cwd: fullApp,
        env: cleanEnv(),
        timeoutMs: 6 * MINUTE,
      },
    );

    expect(ran.stdout + ran.stderr).toBe('');
    expect(ran.code).toBe(0);
  });

  it('imports every public entry point at run time', { timeout: 2 * MINUTE }, async ({
    expect,
  }) => {
    const specifiers = [...packed.values()].flatMap(({ manifest }) => publicSpecifiers(manifest));

    const ran = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `for (const s of ${JSON.stringify(specifiers)}) await import(s);`,
      ],
      { cwd: fullApp, env: cleanEnv(), timeoutMs: 2 * MINUTE },
    );

    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
  });

  it('installs every package bin, each answering --help', { timeout: 2 * MINUTE }, async ({
    expect,
  }) => {
    const bins = [...packed.values()].flatMap(({ manifest }) => Object.keys(manifest.bin ?? {}));
    expect(bins).toContain('herald');

    for (const bin of bins) {
      const ran = await run(join(fullApp, 'node_modules', '.bin', bin), ['--help'], {
        cwd: fullApp,
        env: { PATH: process.env.PATH ?? '' },
        timeoutMs: MINUTE,
      });
      expect(ran.code, `${bin} --help: ${ran.stderr}`).toBe(0);
      expect(ran.stdout.length, bin).toBeGreaterThan(0);
    }
  });
});
