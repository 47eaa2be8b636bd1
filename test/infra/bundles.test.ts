import { execFile } from 'node:child_process';
import { copyFile, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App, type CfnResource, Stack } from 'aws-cdk-lib';
import { bundledChartWasmName, bundledConfigName, chartHandlers, handlerEntries, repoRoot, type HandlerName } from '../../infra/bundling.ts';
import { cdkJsonContext } from '../../infra/cdk-context.ts';
import { PipelineFunction } from '../../infra/constructs/pipeline-function.ts';
import { tempDirs } from '../support/temp-dir.ts';

/**
 * Bundles every handler exactly as the stack does (its PipelineFunction construct: NodejsFunction,
 * esbuild, the afterBundling hooks) — one ingest handler per source type, snapshot, notify — then
 * loads each bundle in a child Node 22 process, the Lambda runtime's major version, from a folder
 * that has nothing but the bundle, pipeline.yaml and (notify) the charts' .wasm; and checks from each bundle's source
 * map what went into it: no sandbox, and each vendor library only where it belongs.
 */
const run = promisify(execFile);
const node22 = path.join(repoRoot, 'node_modules/.bin/node');

const config = `version: 1
project: Bundle Check
timezone: Asia/Seoul
sources:
  - { id: web, type: ga4, propertyId: "123456789", auth: { type: service_account, secret: kpi/ga4-web } }
  - { id: meta, type: meta, accountIds: ["act_1029384756"], auth: { type: access_token, secret: kpi/meta } }
recipients:
  - { email: kim@example.com, locale: ko }
goals:
  - { id: sessions-daily, kpi: sessions, grain: day, target: 2000, direction: at_least, owner: Kim, recipients: [kim@example.com] }
email:
  from: "KPI <kpi@example.com>"
`;

type Handler = HandlerName;
const handlers = Object.keys(handlerEntries) as Handler[];
const ingestHandlers = handlers.filter((h) => h.startsWith('ingest-'));
const dirs = tempDirs('kpi-infra-bundles-');
/** Each handler's bundle folder, or why it could not be built. */
const bundles = new Map<Handler, { dir?: string; error?: unknown }>();

/** Loads a bundle in a fresh Node 22 with only the Lambda's variables and dummy credentials; runs `body` after `m = await import(bundle)`. */
async function loadInChild(dir: string, environment: Record<string, string>, body: string): Promise<string> {
  const script = `const m = await import(${JSON.stringify(path.join(dir, 'index.mjs'))});\n${body}`;
  const { stdout } = await run(node22, ['--input-type=module', '--enable-source-maps', '-e', script], {
    cwd: dir,
    timeout: 30_000,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      AWS_REGION: 'ap-northeast-2',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'dummy-secret-for-tests',
      AWS_EC2_METADATA_DISABLED: 'true',
      POWERTOOLS_METRICS_DISABLED: 'true',
      ...environment,
    },
  });
  return stdout.trim();
}

/**
 * One handler bundled by the stack's own PipelineFunction construct (NodejsFunction with
 * lambdaBundling: esbuild options and afterBundling hooks), alone in its app so a handler that
 * cannot be bundled fails its own tests only.
 */
async function bundle(handler: Handler, configFile: string): Promise<string> {
  const outdir = await dirs.make();
  const app = new App({ outdir, context: { ...cdkJsonContext(), 'aws:cdk:enable-asset-metadata': true } });
  const stack = new Stack(app, `Bundle-${handler}`);
  const { function: fn } = new PipelineFunction(stack, 'Fn', {
    handler, description: `bundle test: ${handler}`, configFile, memoryMb: 1024, timeoutSeconds: 900, environment: {},
  });
  app.synth();
  const assetPath = (fn.node.defaultChild as CfnResource).getMetadata('aws:asset:path') as string;
  return path.join(outdir, assetPath);
}

/** The folder of a handler's bundle; fails with the bundling error when there is none. */
function bundleDir(handler: Handler): string {
  const built = bundles.get(handler)!;
  if (built.error !== undefined) throw built.error;
  return built.dir!;
}

beforeAll(async () => {
  const dir = await dirs.make();
  const file = path.join(dir, 'pipeline.yaml');
  await writeFile(file, config);
  for (const handler of handlers) {
    try {
      bundles.set(handler, { dir: await bundle(handler, file) });
    } catch (error) {
      bundles.set(handler, { error });
    }
  }
}, 600_000);

afterAll(() => dirs.removeAll());

describe('Lambda bundles', () => {
  it.each(handlers)('bundles %s with the config beside it, no DuckDB, no native addon', async (handler) => {
    // Act
    const dir = bundleDir(handler);
    const files = (await readdir(dir)).sort();
    const sizes = Object.fromEntries(await Promise.all(files.map(async (f) => [f, `${((await stat(path.join(dir, f))).size / 1e6).toFixed(2)} MB`])));
    console.log(`${handler} bundle`, JSON.stringify(sizes));
    // Assess: the charts' .wasm only beside the handlers that draw charts
    const chartWasm = chartHandlers.has(handler) ? [bundledChartWasmName] : [];
    expect(files).toEqual(['index.mjs', 'index.mjs.map', ...chartWasm, bundledConfigName].sort());
    expect(await readFile(path.join(dir, bundledConfigName), 'utf8')).toBe(config);
    const code = await readFile(path.join(dir, 'index.mjs'), 'utf8');
    expect(code.includes('@duckdb/node-api')).toBe(false);
    // The budget (README, Performance): at most 3 MB minified, in the bench's MB of 1,048,576 bytes.
    expect((await stat(path.join(dir, 'index.mjs'))).size).toBeLessThanOrEqual(3 * 1_048_576);
  }, 60_000);

  it.each(handlers)('bundles no sandbox into %s, and only the vendor libraries it runs', async (handler) => {
    // Prepare: what went into the bundle, from its source map (one path per bundled file)
    const dir = bundleDir(handler);
    const { sources } = JSON.parse(await readFile(path.join(dir, 'index.mjs.map'), 'utf8')) as { sources: string[] };
    const has = (fragment: string) => sources.some((source) => source.includes(fragment));
    const code = await readFile(path.join(dir, 'index.mjs'), 'utf8');
    const type = handler.startsWith('ingest-') ? handler.slice('ingest-'.length) : undefined;
    // Act
    const found = {
      sandbox: has('/sandbox/') || has('connectors/sandbox-kit/'),
      jsforce: has('node_modules/jsforce/'),
      googleapis: has('node_modules/@googleapis/'),
      googleAuth: has('node_modules/google-auth-library/'),
      nodemailer: has('node_modules/nodemailer/'),
      smtpTransport: has('node_modules/nodemailer/') && sources.some((s) => /nodemailer\/.*smtp-(transport|connection|pool)/.test(s)),
      resvg: has('node_modules/@resvg/'),
      // The lake's Parquet writer is the project's own TypeScript: no WASM encoder, no Arrow.
      parquetWasm: has('node_modules/parquet-wasm/'),
      arrow: has('node_modules/apache-arrow/'),
      clients: ['ga4', 'salesforce', 'google-ads', 'meta', 'linkedin', 'tiktok'].filter((t) => has(`connectors/${t}/client.ts`)),
    };
    // Assess: sources are real (the map lists the handler's own entry)
    expect(has(handlerEntries[handler])).toBe(true);
    // a sandbox-only string (every sandbox answers its own errors with it) is not in the code either
    expect(code.includes('sandbox error: ')).toBe(false);
    expect(found).toEqual({
      sandbox: false,
      jsforce: type === 'salesforce',
      googleapis: type === 'ga4',
      googleAuth: type === 'ga4' || type === 'google-ads',
      // SES is the mailer in AWS: nodemailer's MIME composer builds the raw message, never its SMTP transport
      nodemailer: handler === 'notify',
      smtpTransport: false,
      resvg: chartHandlers.has(handler),
      parquetWasm: false,
      arrow: false,
      clients: type ? [type] : [],
    });
  }, 60_000);

  it('loads an ingest bundle in Node 22, which reads pipeline.yaml from beside it', async () => {
    // Prepare: a source id the config does not have stops the handler before any network call
    const dir = bundleDir('ingest-ga4');
    // Act
    const output = await loadInChild(dir, { LAKE_BUCKET: 'lake', SOURCE_ID: 'nope' }, `
      const result = await m.handler({}, { getRemainingTimeInMillis: () => 900_000 }).then(() => 'resolved', (e) => e.name + ': ' + e.message);
      console.log(process.version.split('.')[0], typeof m.handler, result);`);
    // Assess
    expect(output).toBe('v22 function UsageError: no source with id "nope"; the config has: web, meta');
  }, 60_000);

  it.each(ingestHandlers)('loads %s in Node 22, built with its own connector only', async (handler) => {
    // Prepare: a source of another type (web is GA4, meta is Meta) stops the handler before any network call
    const dir = bundleDir(handler);
    const type = handler === 'ingest-google-ads' ? 'google_ads' : handler.slice('ingest-'.length);
    const other = type === 'ga4' ? { id: 'meta', type: 'meta' } : { id: 'web', type: 'ga4' };
    // Act
    const output = await loadInChild(dir, { LAKE_BUCKET: 'lake', SOURCE_ID: other.id }, `
      const result = await m.handler({}, { getRemainingTimeInMillis: () => 900_000 }).then(() => 'resolved', (e) => e.name + ': ' + e.message);
      console.log(result);`);
    // Assess
    expect(output).toBe(`UsageError: source "${other.id}" is a ${other.type} source; this function is built with the ${type} connector only`);
  }, 60_000);

  it.each(['snapshot', 'notify'] as const)('loads the %s bundle in Node 22 (notify loads the charts\' .wasm from beside it)', async (handler) => {
    // Prepare
    const dir = bundleDir(handler);
    // Act
    const output = await loadInChild(dir, { LAKE_BUCKET: 'lake', ATHENA_WORKGROUP: 'wg', GLUE_DATABASE: 'db', SES_CONFIGURATION_SET: 'cs' }, `
      const result = await m.handler({ asOf: 'not a date', snapshotDate: 'not a date' }).then(() => 'resolved', (e) => e.name);
      console.log(typeof m.handler, result);`);
    // Assess
    expect(output).toBe('function ZodError');
  }, 60_000);

  it('fails to load without the .wasm beside it (so the check above means something)', async () => {
    // Prepare: the bundle alone in a folder of its own
    const lonely = await dirs.make();
    await copyFile(path.join(bundleDir('notify'), 'index.mjs'), path.join(lonely, 'index.mjs'));
    // Act
    const error = await loadInChild(lonely, {}, 'console.log("loaded");').catch((e: { stderr?: string }) => e.stderr ?? '');
    // Assess: with no .wasm beside it, it looks in node_modules, which a Lambda does not have
    expect(error).toContain("Cannot find module '@resvg/resvg-wasm/index_bg.wasm'");
  }, 60_000);
});
