import type { ObjectStore } from './object-store.ts';
import { encodeParquet } from './parquet.ts';
import type { Row, TableSchema } from '../table/schema.ts';

/**
 * The lake's write rules (ARCHITECTURE.md, "Lake layout and write semantics"):
 *   raw/<table>/dt=YYYY-MM-DD/<source-id>.parquet                 reports: overwrite by partition
 *   raw/<table>/dt=YYYY-MM-DD/<source-id>-<run-id>-<n>.parquet    CRM objects: append versions
 * Several sources may share a table (two GA4 properties); each replaces only its own files.
 */

export function partitionPrefix(table: TableSchema, dt: string): string {
  return `${table.location}/dt=${dt}/`;
}

export interface PartitionWrite {
  readonly key: string | null;
  readonly rows: number;
  readonly bytes: number;
  readonly removed: number;
}

/**
 * Replaces this source's data in one partition: writes the new file first, then deletes the
 * source's other files there. With no rows the partition is cleared for this source
 * (the vendor now reports nothing for that day).
 */
export async function writePartition(
  store: ObjectStore, table: TableSchema, dt: string, sourceId: string, rows: readonly Row[],
): Promise<PartitionWrite> {
  const prefix = partitionPrefix(table, dt);
  const key = rows.length > 0 ? `${prefix}${sourceId}.parquet` : null;
  let bytes = 0;
  if (key) {
    const body = encodeParquet(table, rows);
    bytes = body.byteLength;
    await store.put(key, body, 'application/vnd.apache.parquet');
  }
  const stale = (await store.list(prefix)).filter((k) => k !== key && isFileOfSource(k, prefix, sourceId));
  if (stale.length > 0) await store.delete(stale);
  return { key, rows: rows.length, bytes, removed: stale.length };
}

/** Appends rows as a new file; the name carries the run id so a rerun never overwrites another run's versions. */
export async function appendToPartition(
  store: ObjectStore, table: TableSchema, dt: string, sourceId: string, runId: string, part: number, rows: readonly Row[],
): Promise<PartitionWrite> {
  if (rows.length === 0) return { key: null, rows: 0, bytes: 0, removed: 0 };
  const key = `${partitionPrefix(table, dt)}${sourceId}-${runId}-${part}.parquet`;
  const body = encodeParquet(table, rows);
  await store.put(key, body, 'application/vnd.apache.parquet');
  return { key, rows: rows.length, bytes: body.byteLength, removed: 0 };
}

/** `<source-id>.parquet` or `<source-id>-<run-id>-<n>.parquet`; source ids contain no '-' (see SourceBase). */
function isFileOfSource(key: string, prefix: string, sourceId: string): boolean {
  const name = key.slice(prefix.length);
  return name === `${sourceId}.parquet` || /^-\d+-\d+\.parquet$/.test(name.startsWith(`${sourceId}-`) ? name.slice(sourceId.length) : '');
}
