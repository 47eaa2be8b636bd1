/**
 * Child process of the benchmark: builds each Lambda handler the way the stack does — esbuild with
 * infra/bundling.ts's `lambdaBundling` options, then its `afterBundling` commands (the config and
 * the .wasm files copied beside the bundle) — and prints one JSON line with the folders and sizes.
 *
 *   node scripts/bench/bundles.ts <out-dir> <pipeline.yaml>
 *
 * The CDK's NodejsFunction turns the same options into esbuild's command line; the mapping below
 * covers every option lambdaBundling sets, and it stops on one it does not know rather than build
 * something else than what ships.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { build, type BuildOptions } from 'esbuild';
import { handlerEntries, lambdaBundling, repoRoot } from '../../infra/bundling.ts';

const [outDir, configFile] = process.argv.slice(2) as [string, string];
const options = lambdaBundling(path.resolve(configFile));
const mapped = new Set(['format', 'target', 'minify', 'keepNames', 'sourceMap', 'sourcesContent', 'mainFields', 'banner', 'externalModules', 'commandHooks']);
const unknown = Object.keys(options).filter((key) => !mapped.has(key));
if (unknown.length > 0) throw new Error(`scripts/bench/bundles.ts does not map these bundling options yet: ${unknown.join(', ')}`);

const esbuildOptions = (entry: string, outfile: string): BuildOptions => ({
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
  logLevel: 'error',
});

const results: Record<string, { dir: string; bundleBytes: number; besideBytes: Record<string, number> }> = {};
for (const [name, entry] of Object.entries(handlerEntries)) {
  const dir = path.resolve(outDir, name);
  await mkdir(dir, { recursive: true });
  const outfile = path.join(dir, options.format === 'esm' ? 'index.mjs' : 'index.js');
  await build(esbuildOptions(entry, outfile));
  for (const command of options.commandHooks?.afterBundling(repoRoot, dir) ?? []) {
    await promisify(execFile)('sh', ['-c', command]);
  }
  const besideBytes: Record<string, number> = {};
  for (const file of await readdir(dir)) {
    if (file !== path.basename(outfile)) besideBytes[file] = (await stat(path.join(dir, file))).size;
  }
  results[name] = { dir, bundleBytes: (await stat(outfile)).size, besideBytes };
}
console.log(JSON.stringify(results));
