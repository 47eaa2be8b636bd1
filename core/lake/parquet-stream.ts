import type { Schema } from 'apache-arrow';
import { Table as WasmTable, transformParquetStream, type RecordBatch as WasmRecordBatch } from 'parquet-wasm';
import { LakeError } from '../errors.ts';
import type { Row, TableSchema } from '../table/schema.ts';
import { arrowSchema, encodeArrowIPC, writerProperties } from './parquet.ts';

/**
 * Rows → one Parquet file, as a stream of bytes, with memory that does not grow with the file:
 * rows are cut into row groups of `rowGroupRows`, each is built into Arrow columns, handed to
 * parquet-wasm's streaming writer (an AsyncArrowWriter behind `transformParquetStream`), and its
 * encoded bytes come out before the next row group is built. The whole-file writer (`encodeParquet`)
 * holds every row's Arrow columns and the whole file in WASM memory at once, and WASM memory never
 * shrinks, so one big file would keep a Lambda's memory high for the rest of its life.
 *
 * Same schema, types and compression as `encodeParquet`; only the row groups differ.
 */

export interface ParquetStreamOptions {
  /** Rows per row group, and per Arrow batch handed to WASM. */
  readonly rowGroupRows?: number;
}

export interface ParquetStreamResult {
  readonly rows: number;
  readonly bytes: number;
}

/** About 1–3 MB of Parquet per row group for the report tables; big enough for Athena, small enough for a 512 MB Lambda. */
export const defaultRowGroupRows = 100_000;

/**
 * The file's bytes in order. The file is complete only when the iteration ends without an error
 * (the generator's return value says how many rows and bytes it holds): on any error, whatever was
 * yielded must be thrown away, never committed.
 *
 * Errors from `batches` come out unchanged (a connector's quota error stays what it is). The rows of
 * a batch must not change after it is yielded: small batches are gathered by reference into a row group.
 */
export async function* writeParquetStream(
  table: TableSchema, batches: AsyncIterable<readonly Row[]> | Iterable<readonly Row[]>, options: ParquetStreamOptions = {},
): AsyncGenerator<Uint8Array, ParquetStreamResult, undefined> {
  const groupRows = options.rowGroupRows ?? defaultRowGroupRows;
  if (!Number.isInteger(groupRows) || groupRows < 1) throw new LakeError(`rowGroupRows must be a positive integer, not ${groupRows}`);
  const schema = arrowSchema(table);
  const groups = rowGroups(batches, groupRows);
  let rowsIn = 0;
  let sentBatch = false;
  let failure: { error: unknown } | undefined;

  const source = new ReadableStream<WasmRecordBatch>({
    async pull(controller) {
      try {
        const next = await groups.next();
        if (next.done) {
          // A file with no rows still carries its schema, like encodeParquet's (parquet-wasm needs one batch for it).
          if (!sentBatch) controller.enqueue(toWasmBatch(table, [], 0, 0, schema));
          sentBatch = true;
          controller.close();
          return;
        }
        const { rows, start, end } = next.value;
        controller.enqueue(toWasmBatch(table, rows, start, end, schema));
        sentBatch = true;
        rowsIn += end - start;
      } catch (error) {
        failure = { error };
        controller.error(error);
      }
    },
    async cancel() {
      await groups.return(undefined);
    },
  }, { highWaterMark: 0 });

  // parquet-wasm skips a batch it cannot read and ends the file normally when its source fails (its
  // write loop ignores errors), which would leave a valid file with rows missing. So failures are
  // tracked here, and the footer's row count is checked against the rows sent.
  let output: ReadableStream<Uint8Array>;
  try {
    output = await transformParquetStream(source, writerProperties(groupRows)) as ReadableStream<Uint8Array>;
  } catch (error) {
    if (failure) throw failure.error;
    throw new LakeError(`cannot start the Parquet writer for ${table.name}: ${String(error)}`, { cause: error, context: { table: table.name } });
  }
  const reader = output.getReader();
  const tail = new TailBytes();
  let bytes = 0;
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      // The footer's size grows with the row groups (column statistics for each), so keep enough of the end for it.
      tail.push(value, (1 << 20) + Math.ceil(rowsIn / groupRows) * table.columns.length * 1024);
      yield value;
    }
    finished = true;
  } finally {
    if (!finished) {
      await reader.cancel().catch(() => undefined);
      await groups.return(undefined).catch(() => undefined);
    }
  }
  if (failure) throw failure.error;
  const written = footerRowCount(tail.end(), table.name);
  if (written !== rowsIn) {
    throw new LakeError(`the Parquet writer wrote ${written} of ${rowsIn} rows of ${table.name}`, { context: { table: table.name } });
  }
  return { rows: rowsIn, bytes };
}

interface RowRange {
  readonly rows: readonly Row[];
  readonly start: number;
  readonly end: number;
}

/** Batches → row groups of exactly `size` rows (the last may be shorter), slicing big batches by index rather than copying. */
async function* rowGroups(batches: AsyncIterable<readonly Row[]> | Iterable<readonly Row[]>, size: number): AsyncGenerator<RowRange, void, undefined> {
  let carry: Row[] = [];
  for await (const batch of batches) {
    let offset = 0;
    if (carry.length > 0) {
      const take = Math.min(size - carry.length, batch.length);
      for (let i = 0; i < take; i++) carry.push(batch[i]!);
      offset = take;
      if (carry.length < size) continue;
      yield { rows: carry, start: 0, end: size };
      carry = [];
    }
    for (; batch.length - offset >= size; offset += size) yield { rows: batch, start: offset, end: offset + size };
    for (let i = offset; i < batch.length; i++) carry.push(batch[i]!);
  }
  if (carry.length > 0) yield { rows: carry, start: 0, end: carry.length };
}

function toWasmBatch(table: TableSchema, rows: readonly Row[], start: number, end: number, schema: Schema): WasmRecordBatch {
  const wasmTable = WasmTable.fromIPCStream(encodeArrowIPC(table, rows, start, end, schema));
  try {
    // The batch shares the table's buffers (reference counted in WASM), so freeing the table keeps them.
    const batch = wasmTable.recordBatch(0);
    if (!batch) throw new LakeError(`Arrow IPC for ${table.name} held no record batch`, { context: { table: table.name } });
    return batch;
  } finally {
    wasmTable.free();
  }
}

/** The last bytes written, enough to hold the footer. */
class TailBytes {
  readonly #chunks: Uint8Array[] = [];
  #length = 0;

  push(chunk: Uint8Array, keep: number): void {
    this.#chunks.push(chunk);
    this.#length += chunk.byteLength;
    while (this.#chunks.length > 1 && this.#length - this.#chunks[0]!.byteLength >= keep) {
      this.#length -= this.#chunks.shift()!.byteLength;
    }
  }

  end(): Uint8Array {
    if (this.#chunks.length === 1) return this.#chunks[0]!;
    const out = new Uint8Array(this.#length);
    let at = 0;
    for (const chunk of this.#chunks) {
      out.set(chunk, at);
      at += chunk.byteLength;
    }
    return out;
  }
}

/**
 * `num_rows` of a Parquet file's footer, read from the end of the file: `<FileMetaData> <u32 LE length> PAR1`.
 * FileMetaData is a Thrift compact-protocol struct; num_rows is its field 3 (i64), after the version
 * and the schema, which are skipped field by field.
 */
export function footerRowCount(end: Uint8Array, tableName = 'a table'): number {
  const fail = (why: string): never => {
    throw new LakeError(`the Parquet file written for ${tableName} has no readable footer: ${why}`, { context: { table: tableName } });
  };
  if (end.byteLength < 12) fail('fewer than 12 bytes');
  const magic = String.fromCharCode(...end.subarray(end.byteLength - 4));
  if (magic !== 'PAR1') fail(`it ends in ${JSON.stringify(magic)}, not "PAR1"`);
  const view = new DataView(end.buffer, end.byteOffset, end.byteLength);
  const metadataLength = view.getUint32(end.byteLength - 8, true);
  if (metadataLength + 8 > end.byteLength) fail(`the footer (${metadataLength} bytes) is longer than the bytes kept`);
  const reader = new CompactReader(end.subarray(end.byteLength - 8 - metadataLength, end.byteLength - 8));
  let fieldId = 0;
  for (;;) {
    const header = reader.byte();
    const type = header & 0x0f;
    if (type === 0) return fail('FileMetaData has no num_rows');
    const delta = header >> 4;
    fieldId = delta !== 0 ? fieldId + delta : reader.zigzag();
    if (fieldId === 3 && type === 6) return reader.zigzag();
    reader.skip(type);
  }
}

/** Just enough of the Thrift compact protocol to skip any value and read integers. */
class CompactReader {
  readonly #bytes: Uint8Array;
  #at = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  byte(): number {
    if (this.#at >= this.#bytes.byteLength) throw new LakeError('the Parquet footer ends early');
    return this.#bytes[this.#at++]!;
  }

  /** An unsigned varint, exact up to 2^53. */
  varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const b = this.byte();
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return value;
      scale *= 128;
    }
  }

  zigzag(): number {
    const n = this.varint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  skipBytes(count: number): void {
    this.#at += count;
  }

  /** Inside a list, set or map a boolean takes a byte of its own. */
  skipElement(type: number): void {
    if (type === 1 || type === 2) this.skipBytes(1);
    else this.skip(type);
  }

  skip(type: number): void {
    switch (type) {
      case 1: case 2: return; // booleans live in the field header
      case 3: return this.skipBytes(1);
      case 4: case 5: case 6: this.varint(); return;
      case 7: return this.skipBytes(8);
      case 8: return this.skipBytes(this.varint());
      case 9: case 10: {
        const header = this.byte();
        const size = header >> 4 === 15 ? this.varint() : header >> 4;
        const elementType = header & 0x0f;
        for (let i = 0; i < size; i++) this.skipElement(elementType);
        return;
      }
      case 11: {
        const size = this.varint();
        if (size === 0) return;
        const types = this.byte();
        for (let i = 0; i < size; i++) {
          this.skipElement(types >> 4);
          this.skipElement(types & 0x0f);
        }
        return;
      }
      case 12: {
        for (;;) {
          const header = this.byte();
          if ((header & 0x0f) === 0) return;
          if (header >> 4 === 0) this.zigzag();
          this.skip(header & 0x0f);
        }
      }
      case 13: return this.skipBytes(16);
      default: throw new LakeError(`the Parquet footer has an unknown Thrift type ${type}`);
    }
  }
}
