/**
 * Child process of the benchmark: writes one shape's input, `<dir>/<shape>-0.ndjson` (1M rows,
 * pages of 100,000), and names it four more times (`-1` … `-4`, hard links) for the 5M-row runs.
 * The 5M input is the same ten pages read five times: both paths parse every byte each time, and
 * generating 5M distinct rows per shape would take most of a minute of the bench's ten.
 *
 *   node scripts/bench/generate-pages.ts <ga4|ads> <dir>
 */
import { link } from 'node:fs/promises';
import path from 'node:path';
import { writePagesFile, type Shape } from './pages.ts';

const [shape, dir] = process.argv.slice(2) as [Shape, string];
const first = path.join(dir, `${shape}-0.ndjson`);
const bytes = await writePagesFile(shape, 0, first, 1_000_000);
for (let i = 1; i < 5; i++) await link(first, path.join(dir, `${shape}-${i}.ndjson`));
console.log(JSON.stringify({ file: first, bytes }));
