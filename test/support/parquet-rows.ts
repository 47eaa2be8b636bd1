import { tableFromIPC } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';

/** Parquet bytes → plain rows (int64 as bigint, dates as epoch millis, as apache-arrow gives them). */
export function decodeParquetRows(bytes: Uint8Array): Array<Record<string, unknown>> {
  const table = tableFromIPC(readParquet(bytes).intoIPCStream());
  return table.toArray().map((row) => ({ ...(row.toJSON() as Record<string, unknown>) }));
}
