import type { Row, TableSchema } from '../table/schema.ts';
import { compressRowGroup, concat, magic, ParquetFileWriter } from './parquet/file-writer.ts';

/**
 * Rows → one Parquet file's bytes, with the logical types Athena reads: UTF8 strings, INT64,
 * DOUBLE, BOOLEAN, INT32 DATE and INT64 TIMESTAMP(MICROS, UTC), ZSTD-compressed, strings
 * dictionary-encoded. For the small tables written whole (snapshots, goal status, alerts,
 * rejects); large files are streamed by `writeParquetStream` (parquet-stream.ts), same format.
 */
export function encodeParquet(table: TableSchema, rows: readonly Row[]): Uint8Array {
  const writer = new ParquetFileWriter(table, defaultRowGroupRows);
  const parts: Uint8Array[] = [magic];
  const groups = writer.append(rows);
  const last = writer.finishRowGroup();
  if (last) groups.push(last);
  for (const group of groups) parts.push(writer.layout(compressRowGroup(group)));
  parts.push(writer.footer());
  return concat(parts);
}

/** About 1–3 MB of Parquet per row group for the report tables; big enough for Athena, small enough for a 512 MB Lambda. */
export const defaultRowGroupRows = 100_000;

export { toEpochDay } from './parquet/columns.ts';
