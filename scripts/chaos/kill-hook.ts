/**
 * Preloaded into a `kpi` child by the chaos trials only (`node --import <this file> bin/kpi.js …`);
 * never part of the pipeline. It numbers every lake operation of the local store — a put (before it
 * starts), the rename that ends a put (the temp file is written, the target not yet replaced), a
 * delete — and with KPI_CHAOS_KILL_AT_OP=N the process SIGKILLs itself just before operation N:
 * between two partition files, between a new file and the removal of the old ones, between the
 * files and the cursor, or in the middle of a put. KPI_CHAOS_TRACE=1 prints each operation on
 * stderr as `chaos-op <n> <kind> <key>`, so a clean run tells how many there are.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { LocalFolderStore } from '../../core/lake/local-folder-store.ts';

const killAt = Number(process.env['KPI_CHAOS_KILL_AT_OP'] ?? '0');
const trace = process.env['KPI_CHAOS_TRACE'] === '1';
let operations = 0;

function step(kind: string, key: string): void {
  operations += 1;
  if (trace) process.stderr.write(`chaos-op ${operations} ${kind} ${key}\n`);
  if (operations === killAt) process.kill(process.pid, 'SIGKILL');
}

const put = LocalFolderStore.prototype.put;
LocalFolderStore.prototype.put = function (this: LocalFolderStore, key, body, contentType) {
  step('put', key);
  return put.call(this, key, body, contentType);
};

const remove = LocalFolderStore.prototype.delete;
LocalFolderStore.prototype.delete = function (this: LocalFolderStore, keys) {
  step('delete', keys.join(' '));
  return remove.call(this, keys);
};

// The store imports `rename` from node:fs/promises; builtin ESM exports follow the CommonJS object.
const fsPromises = createRequire(import.meta.url)('node:fs/promises') as typeof import('node:fs/promises');
const rename = fsPromises.rename;
fsPromises.rename = async (from, to) => {
  // Only the rename that ends a LocalFolderStore put (its temp files are `.<name>.tmp-<12 hex>`).
  if (/^\..+\.tmp-[0-9a-f]{12}$/.test(path.basename(String(from)))) step('rename', path.basename(String(to)));
  return rename(from, to);
};
syncBuiltinESMExports();
