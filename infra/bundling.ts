import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';

/**
 * How every Lambda of the pipeline is built: one esbuild bundle per handler, ESM, for the same
 * Node.js major version the project runs on locally (package.json `engines`, the `node` devDependency).
 * The tests build the real stack with these options and load the bundles, so they cannot drift.
 */

/** The repository root: NodejsFunction's project root (package-lock.json lives there). */
export const repoRoot = path.resolve(fileURLToPath(new URL('..', import.meta.url)));

export const lambdaRuntime = Runtime.NODEJS_22_X;

/**
 * The handler entry points, relative to the repository root: one ingest entry per source type,
 * each bundling only its own connector (and so only its vendor library: GA4 the Google client,
 * Salesforce jsforce), and the snapshot and notify handlers, which bundle no connector client.
 */
export const handlerEntries = {
  'ingest-ga4': 'functions/ingest-ga4.ts',
  'ingest-salesforce': 'functions/ingest-salesforce.ts',
  'ingest-google-ads': 'functions/ingest-google-ads.ts',
  'ingest-meta': 'functions/ingest-meta.ts',
  'ingest-linkedin': 'functions/ingest-linkedin.ts',
  'ingest-tiktok': 'functions/ingest-tiktok.ts',
  snapshot: 'functions/snapshot.ts',
  notify: 'functions/notify.ts',
} as const;

export type HandlerName = keyof typeof handlerEntries;

/** The ingest handler of each source type (`type` in pipeline.yaml). */
const ingestHandlers: Readonly<Record<string, HandlerName>> = {
  ga4: 'ingest-ga4',
  salesforce: 'ingest-salesforce',
  google_ads: 'ingest-google-ads',
  meta: 'ingest-meta',
  linkedin: 'ingest-linkedin',
  tiktok: 'ingest-tiktok',
};

/** The ingest handler a source of this type runs; a type without one stops the synth. */
export function ingestHandlerOf(sourceType: string): HandlerName {
  if (!Object.hasOwn(ingestHandlers, sourceType)) {
    throw new Error(`source type "${sourceType}" has no ingest handler: add functions/ingest-<type>.ts (its connector and ingestHandler) and list it in infra/bundling.ts`);
  }
  return ingestHandlers[sourceType]!;
}

/**
 * An ESM bundle has no `require`, `__filename` or `__dirname`, but CommonJS dependencies bundled
 * into it use them: google-auth-library / gaxios call `require` for Node built-ins. The banner
 * defines them from `import.meta.url`, so `__dirname` is the bundle's own folder (/var/task).
 * The aliases avoid clashing with bundled names.
 */
export const esmRequireBanner = [
  "import { createRequire as __kpiCreateRequire } from 'node:module';",
  "import { fileURLToPath as __kpiFileURLToPath } from 'node:url';",
  "import { dirname as __kpiDirname } from 'node:path';",
  'const require = __kpiCreateRequire(import.meta.url);',
  'const __filename = __kpiFileURLToPath(import.meta.url);',
  'const __dirname = __kpiDirname(__filename);',
].join(' ');

/**
 * Never bundled:
 * - DuckDB is the local query engine (a native addon) and no handler imports it; if one ever did,
 *   the bundle would fail to load in the bundle test rather than ship a broken addon.
 * - The connectors' sandboxes (seeded data generators and HTTP servers) run only locally: each
 *   connector's `startSandbox` loads `./sandbox/…` with a dynamic import, which stays an import
 *   in the bundle and is never called in AWS (a sandbox source cannot be deployed).
 *
 * `@aws-sdk/*` is deliberately NOT external (NodejsFunction's default): the adapters are tested
 * against the SDK versions pinned in package-lock.json, and the SDK the Lambda runtime ships is
 * older and changes without notice. Bundling costs about 1 MB per bundle and a few tens of ms of
 * cold start, which a daily batch job does not notice.
 */
export const externalModules: readonly string[] = ['@duckdb/node-api', './sandbox/*'];

const requireFromRepo = createRequire(path.join(repoRoot, 'package.json'));

/** resvg's WebAssembly build (the email charts) loads this file from beside the bundle. */
export function resvgWasmFile(): string {
  return requireFromRepo.resolve('@resvg/resvg-wasm/index_bg.wasm');
}

/** The names of the files `afterBundling` puts beside `index.mjs`. */
export const bundledConfigName = 'pipeline.yaml';
export const bundledChartWasmName = 'index_bg.wasm';

/** The handlers that draw the emails' trend charts (resvg): only these get its .wasm beside them. */
export const chartHandlers: ReadonlySet<HandlerName> = new Set(['notify']);

/**
 * NodejsFunction bundling for a handler. `configFile` is the validated pipeline.yaml: it is
 * copied beside the bundle as `pipeline.yaml`, where functions/runtime.ts reads it (its default
 * KPI_CONFIG_FILE), so a deployed function always runs the config the stack was synthesized from.
 */
export function lambdaBundling(configFile: string, handler: HandlerName): BundlingOptions {
  const chartWasm = chartHandlers.has(handler) ? resvgWasmFile() : undefined;
  return {
    format: OutputFormat.ESM,
    target: 'node22',
    minify: true,
    // Error classes name themselves after their class (`new.target.name`): keep those names in logs.
    keepNames: true,
    sourceMap: true,
    // Stack traces map back to the TypeScript lines (NODE_OPTIONS=--enable-source-maps) without
    // shipping every dependency's source text.
    sourcesContent: false,
    mainFields: ['module', 'main'],
    banner: esmRequireBanner,
    externalModules: [...externalModules],
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (_inputDir: string, outputDir: string) => [
        `cp ${shellQuote(configFile)} ${shellQuote(path.posix.join(outputDir, bundledConfigName))}`,
        ...(chartWasm ? [`cp ${shellQuote(chartWasm)} ${shellQuote(path.posix.join(outputDir, bundledChartWasmName))}`] : []),
      ],
    },
  };
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
