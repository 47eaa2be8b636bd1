/**
 * Child process of the benchmark: builds each Lambda handler the way the stack does — esbuild with
 * infra/bundling.ts's `lambdaBundling` options, then its `afterBundling` commands (the config and
 * the .wasm files copied beside the bundle) — and prints one JSON line with the folders, the sizes
 * and, from esbuild's metafile, what takes the most room in each bundle.
 *
 *   node scripts/bench/bundles.ts <out-dir> <pipeline.yaml> [--report [--loads N]]
 *
 * `--report` (run it alone, without `npm run bench`): also prints, on stderr, each bundle's size, its
 * load time the way the bench measures it (a fresh `node -e import`, median of N, default 5) and
 * its largest contributors by package or folder; each bundle's metafile is kept as
 * <out-dir>/<handler>.meta.json for https://esbuild.github.io/analyze/.
 *
 * The CDK's NodejsFunction turns the same options into esbuild's command line; the mapping below
 * covers every option lambdaBundling sets, and it stops on one it does not know rather than build
 * something else than what ships.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { handlerEntries, lambdaBundling, repoRoot, type HandlerName } from '../../infra/bundling.ts';

const [outDir, configFile, ...flags] = process.argv.slice(2) as [string, string, ...string[]];
const report = flags.includes('--report');
const loadRuns = flags.includes('--loads') ? Number(flags[flags.indexOf('--loads') + 1]) : 5;
const mapped = new Set(['format', 'target', 'minify', 'keepNames', 'sourceMap', 'sourcesContent', 'mainFields', 'banner', 'externalModules', 'commandHooks']);

const esbuildOptions = (options: ReturnType<typeof lambdaBundling>, entry: string, outfile: string): BuildOptions => ({
  entryPoints: [path.join(repoRoot, entry)],
  outfile,
  bundle: true,
  platform: 'node',
  format: options.format === 'esm' ? 'esm' : 'cjs',
  ...(options.target ? { target: options.target } : {}),
  minify: options.minify ?? false,
  keepNames: options.keepNames ?? false,
  // NodejsFunction's `sourceMap: true` is esbuild's `--sourcemap`: a linked .map file, not counted in the bundle's size.
  sourcemap: options.sourceMap ? 'linked' : false,
  sourcesContent: options.sourcesContent ?? true,
  ...(options.mainFields ? { mainFields: [...options.mainFields] } : {}),
  ...(options.banner ? { banner: { js: options.banner } } : {}),
  external: [...(options.externalModules ?? [])],
  metafile: true,
  logLevel: 'error',
});

/** Bytes in the bundle per npm package (`jsforce`, `@aws-sdk/client-s3`) or project folder (`connectors/ga4`, `core/lake`). */
function contributors(metafile: Metafile, outfile: string): Array<[string, number]> {
  const output = Object.entries(metafile.outputs).find(([file]) => path.resolve(file) === outfile)![1];
  const bytes = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
    const group = pkg ?? input.split('/').slice(0, input.startsWith('connectors/') && input.includes('/sandbox/') ? 3 : 2).join('/');
    bytes.set(group, (bytes.get(group) ?? 0) + bytesInOutput);
  }
  return [...bytes].sort((a, b) => b[1] - a[1]);
}

const results: Record<string, { dir: string; bundleBytes: number; besideBytes: Record<string, number>; top: Array<[string, number]> }> = {};
for (const [name, entry] of Object.entries(handlerEntries) as Array<[HandlerName, string]>) {
  const options = lambdaBundling(path.resolve(configFile), name);
  const unknown = Object.keys(options).filter((key) => !mapped.has(key));
  if (unknown.length > 0) throw new Error(`scripts/bench/bundles.ts does not map these bundling options yet: ${unknown.join(', ')}`);
  const dir = path.resolve(outDir, name);
  await mkdir(dir, { recursive: true });
  const outfile = path.join(dir, options.format === 'esm' ? 'index.mjs' : 'index.js');
  const { metafile } = await build(esbuildOptions(options, entry, outfile));
  // Beside the folder, not in it: the folder is what ships.
  await writeFile(path.resolve(outDir, `${name}.meta.json`), JSON.stringify(metafile));
  for (const command of options.commandHooks?.afterBundling(repoRoot, dir) ?? []) {
    await promisify(execFile)('sh', ['-c', command]);
  }
  const besideBytes: Record<string, number> = {};
  for (const file of await readdir(dir)) {
    if (file !== path.basename(outfile)) besideBytes[file] = (await stat(path.join(dir, file))).size;
  }
  results[name] = { dir, bundleBytes: (await stat(outfile)).size, besideBytes, top: contributors(metafile!, outfile).slice(0, 12) };
}

if (report) {
  // What the bench gives each load (scripts/bench.ts, "cold start"): dummy credentials, nothing called at import.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin', AWS_REGION: 'ap-northeast-2', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'bench-dummy-secret', AWS_EC2_METADATA_DISABLED: 'true', POWERTOOLS_METRICS_DISABLED: 'true',
    LAKE_BUCKET: 'bench-lake', ATHENA_WORKGROUP: 'bench', GLUE_DATABASE: 'bench', SOURCE_ID: 'web', NODE_NO_WARNINGS: '1',
  };
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  };
  const mib = (bytes: number) => (bytes / 1_048_576).toFixed(2);
  for (const [name, bundle] of Object.entries(results)) {
    const walls: number[] = [];
    const imports: number[] = [];
    for (let i = 0; i < loadRuns; i++) {
      const script = `const t = performance.now(); const m = await import(${JSON.stringify(path.join(bundle.dir, 'index.mjs'))}); ` +
        `if (typeof m.handler !== 'function') throw new Error('no handler'); console.log(JSON.stringify({ importMs: performance.now() - t }));`;
      const started = process.hrtime.bigint();
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: bundle.dir, env });
      walls.push(Number(process.hrtime.bigint() - started) / 1e6);
      imports.push(Number(JSON.parse(stdout.trim().split('\n').at(-1)!).importMs));
    }
    process.stderr.write(`${name}: ${mib(bundle.bundleBytes)} MB minified; node -e import: ${median(walls).toFixed(0)} ms ` +
      `(import itself ${median(imports).toFixed(0)} ms; median of ${loadRuns})\n` +
      bundle.top.map(([group, bytes]) => `  ${(bytes / 1000).toFixed(0).padStart(5)} kB  ${group}\n`).join(''));
  }
}
console.log(JSON.stringify(results));
