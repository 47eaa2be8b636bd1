import type { Row, TableSchema } from '../table/schema.ts';
import { defaultRowGroupRows } from './parquet.ts';
import { compressRowGroup, magic, ParquetFileWriter, type CompressedChunk } from './parquet/file-writer.ts';

/**
 * Rows → one Parquet file, as a stream of bytes, with memory that does not grow with the file:
 * each batch goes into the row group's column chunks as it arrives (its row objects are garbage
 * right after), a full row group is compressed on the thread pool while the next batches are read,
 * and its bytes come out before the one after it is complete. Same format as `encodeParquet`.
 */

export interface ParquetStreamOptions {
  /** Rows per row group (default 100,000). */
  readonly rowGroupRows?: number;
}

export interface ParquetStreamResult {
  readonly rows: number;
  readonly bytes: number;
}

/**
 * The file's bytes in order. The file is complete only when the iteration ends without an error
 * (the generator's return value says how many rows and bytes it holds): on any error, whatever was
 * yielded must be thrown away, never committed. Errors from `batches` come out unchanged (a
 * connector's quota error stays what it is).
 */
export async function* writeParquetStream(
  table: TableSchema, batches: AsyncIterable<readonly Row[]> | Iterable<readonly Row[]>, options: ParquetStreamOptions = {},
): AsyncGenerator<Uint8Array, ParquetStreamResult, undefined> {
  const writer = new ParquetFileWriter(table, options.rowGroupRows ?? defaultRowGroupRows);
  let bytes = 0;
  // The row group being compressed, at most one: its bytes are placed before the next one starts compressing.
  let compressing: Promise<CompressedChunk[]> | undefined;
  // `PAR1` goes out with the first row group (or the footer): a reader that stops before then has
  // had nothing, and the source it stopped has been closed, not left unstarted with a connection open.
  const place = async (): Promise<Uint8Array[]> => {
    if (!compressing) return [];
    const group = writer.layout(await compressing);
    compressing = undefined;
    const out = bytes === 0 ? [magic, group] : [group];
    bytes += (bytes === 0 ? magic.byteLength : 0) + group.byteLength;
    return out;
  };
  const startCompressing = (group: Parameters<typeof compressRowGroup>[0]) => {
    compressing = compressRowGroup(group);
    // Awaited later; until then a failure must not count as unhandled.
    compressing.catch(() => undefined);
  };

  for await (const batch of batches) {
    for (const group of writer.append(batch)) {
      yield* await place();
      startCompressing(group);
    }
  }
  yield* await place();
  const last = writer.finishRowGroup();
  if (last) {
    startCompressing(last);
    yield* await place();
  }
  if (bytes === 0) {
    yield magic;
    bytes += magic.byteLength;
  }
  const footer = writer.footer();
  bytes += footer.byteLength;
  yield footer;
  return { rows: writer.rows, bytes };
}
