import {
  Bool, DateDay, Field, Float64, Int64, RecordBatch, Schema, Struct, Table, TimeUnit, Timestamp, Utf8,
  makeData, tableToIPC, type Data, type DataType,
} from 'apache-arrow';
import { Compression, Table as WasmTable, WriterPropertiesBuilder, writeParquet } from 'parquet-wasm';
import { LakeError } from '../errors.ts';
import type { CellValue, Column, ColumnType, Row, TableSchema } from '../table/schema.ts';

/**
 * Rows → Parquet bytes, with the logical types Athena reads: UTF8 strings, INT64, DOUBLE, BOOLEAN,
 * INT32 DATE and INT64 TIMESTAMP(MICROS, UTC). Columns are built straight into typed arrays
 * (vectorFromArray was measured 3.5× slower), then parquet-wasm writes them with ZSTD.
 *
 * The whole file is built in WASM memory, which never shrinks: a 1M-row file leaves it at ~330 MB
 * for the life of the process. Large files go through writeParquetStream (parquet-stream.ts).
 */
export function encodeParquet(table: TableSchema, rows: readonly Row[]): Uint8Array {
  const wasmTable = WasmTable.fromIPCStream(encodeArrowIPC(table, rows));
  // writeParquet takes ownership of the WASM table and frees it, which keeps memory flat across files.
  return writeParquet(wasmTable, writerProperties());
}

/** The Arrow schema of a table, in the logical types the Parquet files carry. */
export function arrowSchema(table: TableSchema): Schema {
  return new Schema(table.columns.map((c) => new Field(c.name, arrowType(c.type), c.nullable !== false)));
}

/**
 * Rows `start … end` (exclusive) as one Arrow IPC stream message: the form parquet-wasm reads.
 * Taking a range lets the streaming writer cut a large batch into row groups without copying rows.
 */
export function encodeArrowIPC(
  table: TableSchema, rows: readonly Row[], start = 0, end = rows.length, schema: Schema = arrowSchema(table),
): Uint8Array {
  const length = end - start;
  const children = table.columns.map((column) => buildColumn(table.name, column, rows, start, length));
  const struct = makeData({ type: new Struct(schema.fields), length, nullCount: 0, children });
  return tableToIPC(new Table([new RecordBatch(schema, struct)]), 'stream');
}

let cachedProperties: ReturnType<WriterPropertiesBuilder['build']> | undefined;
/**
 * ZSTD, otherwise parquet-rs's defaults (the same for the whole-file and the streaming writer, so
 * their files differ only in row groups). A WriterProperties object is consumed by the writer, so a
 * fresh one is built per file; `maxRowGroupRows` bounds what the streaming writer holds in WASM memory.
 */
export function writerProperties(maxRowGroupRows?: number) {
  const builder = new WriterPropertiesBuilder().setCompression(Compression.ZSTD);
  cachedProperties = (maxRowGroupRows === undefined ? builder : builder.setMaxRowGroupSize(maxRowGroupRows)).build();
  return cachedProperties;
}

function arrowType(type: ColumnType): DataType {
  switch (type) {
    case 'string': return new Utf8();
    case 'int64': return new Int64();
    case 'double': return new Float64();
    case 'boolean': return new Bool();
    case 'date': return new DateDay();
    case 'timestamp': return new Timestamp(TimeUnit.MICROSECOND, 'UTC');
  }
}

/**
 * One column of rows `start … start + length` as Arrow data. This loop runs once per cell, so it
 * avoids per-cell allocation: int64 and timestamp values are written as two 32-bit words rather
 * than through a BigInt, a string equal to the previous row's copies its bytes, ASCII is written
 * byte by byte (TextEncoder's call and its subarray cost more than the loop for short text), and
 * dates are parsed once per distinct value. Measured on 100,000 GA4 / Google Ads rows: 330 → 200 and
 * 330 → 250 ms of CPU per call including garbage collection, with the same files.
 */
function buildColumn(tableName: string, column: Column, rows: readonly Row[], start: number, length: number): Data {
  const name = column.name;
  const required = column.nullable === false;
  // Allocated at the first null: a column without nulls needs no validity bitmap.
  let validity: Uint8Array | undefined;
  let nullCount = 0;
  const markNull = (index: number): void => {
    if (required) {
      throw new LakeError(`column ${tableName}.${name} is not nullable but row ${start + index} has no value`, {
        context: { table: tableName, column: name },
      });
    }
    if (!validity) {
      validity = new Uint8Array(Math.ceil(length / 8)).fill(0xff);
      // Bits past the last row stay 0, as Arrow writers leave them.
      if (length % 8 !== 0) validity[validity.length - 1] = (1 << (length % 8)) - 1;
    }
    validity[index >> 3]! &= ~(1 << (index & 7));
    nullCount++;
  };
  const fail = (index: number, value: unknown): never => {
    throw new LakeError(`column ${tableName}.${name} (${column.type}) cannot hold ${JSON.stringify(String(value)).slice(0, 80)} (row ${start + index})`, {
      context: { table: tableName, column: name },
    });
  };
  const type = arrowType(column.type);
  const data = (values: Uint8Array | Int32Array | BigInt64Array | Float64Array) =>
    ({ length, nullCount, nullBitmap: validity ?? new Uint8Array(0), data: values });

  switch (column.type) {
    case 'string': {
      const offsets = new Int32Array(length + 1);
      let bytes = new Uint8Array(Math.max(1024, length * 16));
      let position = 0;
      let previous: string | undefined;
      let previousStart = 0;
      const encodedText = new Map<string, Uint8Array>();
      for (let i = 0; i < length; i++) {
        const value = rows[start + i]![name];
        if (value === null || value === undefined) {
          markNull(i);
          offsets[i + 1] = position;
          continue;
        }
        const text = typeof value === 'string' ? value : String(value);
        const textLength = text.length;
        // A UTF-16 code unit encodes to at most 3 UTF-8 bytes.
        if (position + textLength * 3 > bytes.length) {
          const grown = new Uint8Array(Math.max(bytes.length * 2, position + textLength * 3));
          grown.set(bytes.subarray(0, position));
          bytes = grown;
        }
        const begin = position;
        if (text === previous) {
          const end = begin + (begin - previousStart);
          for (let from = previousStart; position < end;) bytes[position++] = bytes[from++]!;
        } else {
          let j = 0;
          for (; j < textLength; j++) {
            const code = text.charCodeAt(j);
            if (code >= 0x80) break;
            bytes[begin + j] = code;
          }
          if (j === textLength) position = begin + textLength;
          else {
            // Non-ASCII text (Korean campaign and account names) repeats across rows: encode each distinct value once.
            let encoded = encodedText.get(text);
            if (!encoded) {
              encoded = textEncoder.encode(text);
              if (encodedText.size < 1024) encodedText.set(text, encoded);
            }
            bytes.set(encoded, begin);
            position = begin + encoded.length;
          }
          previous = text;
        }
        previousStart = begin;
        offsets[i + 1] = position;
      }
      return makeData({ type: type as Utf8, length, nullCount, nullBitmap: validity ?? new Uint8Array(0), valueOffsets: offsets, data: bytes.subarray(0, position) });
    }
    case 'int64': {
      const values = new BigInt64Array(length);
      const words = new Int32Array(values.buffer);
      for (let i = 0; i < length; i++) {
        const value = rows[start + i]![name];
        if (value === null || value === undefined) markNull(i);
        else if (typeof value === 'number' && Number.isSafeInteger(value)) {
          // Little-endian words, as Arrow lays out int64 (and as typed arrays are on every platform Node runs on).
          words[2 * i] = value % 4_294_967_296;
          words[2 * i + 1] = Math.floor(value / 4_294_967_296);
        } else values[i] = toBigInt(value) ?? fail(i, value);
      }
      return makeData({ type: type as Int64, ...data(values) });
    }
    case 'double': {
      const values = new Float64Array(length);
      for (let i = 0; i < length; i++) {
        const value = rows[start + i]![name];
        if (value === null || value === undefined) markNull(i);
        else {
          const n = typeof value === 'number' ? value : Number(value);
          values[i] = Number.isFinite(n) ? n : fail(i, value);
        }
      }
      return makeData({ type: type as Float64, ...data(values) });
    }
    case 'boolean': {
      const values = new Uint8Array(Math.ceil(length / 8));
      for (let i = 0; i < length; i++) {
        const value = rows[start + i]![name];
        if (value === null || value === undefined) markNull(i);
        else if (value === true || value === 'true') values[i >> 3]! |= 1 << (i & 7);
      }
      return makeData({ type: type as Bool, ...data(values) });
    }
    case 'date': {
      const values = new Int32Array(length);
      // A batch holds a few distinct dates; a cell repeating one skips the parse.
      const days = new Map<CellValue, number>();
      for (let i = 0; i < length; i++) {
        const value = rows[start + i]![name];
        if (value === null || value === undefined) {
          markNull(i);
          continue;
        }
        let day = days.get(value);
        if (day === undefined) {
          day = toEpochDay(value) ?? fail(i, value);
          if (typeof value === 'string' && days.size < 4096) days.set(value, day);
        }
        values[i] = day;
      }
      return makeData({ type: type as DateDay, ...data(values) });
    }
    case 'timestamp': {
      const values = new BigInt64Array(length);
      const words = new Int32Array(values.buffer);
      // Rows of one read share one synced_at Date: convert it once.
      let previous: CellValue | undefined;
      let micros = 0;
      for (let i = 0; i < length; i++) {
        const value = rows[start + i]![name];
        if (value === null || value === undefined) {
          markNull(i);
          continue;
        }
        if (value !== previous) {
          const millis = value instanceof Date ? value.getTime() : Date.parse(String(value));
          if (!Number.isFinite(millis)) fail(i, value);
          micros = millis * 1000;
          previous = value;
        }
        if (Number.isSafeInteger(micros)) {
          words[2 * i] = micros % 4_294_967_296;
          words[2 * i + 1] = Math.floor(micros / 4_294_967_296);
        } else {
          values[i] = BigInt((value instanceof Date ? value.getTime() : Date.parse(String(value)))) * 1000n;
        }
      }
      return makeData({ type: type as Timestamp, ...data(values) });
    }
  }
}

const textEncoder = new TextEncoder();

function toBigInt(value: CellValue): bigint | undefined {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : undefined;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  return undefined;
}

const dayMillis = 86_400_000;
/** `YYYY-MM-DD` (or a Date) → days since 1970-01-01. */
export function toEpochDay(value: CellValue): number | undefined {
  if (value instanceof Date) return Math.floor(value.getTime() / dayMillis);
  if (typeof value !== 'string') return undefined;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return undefined;
  const millis = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return Number.isFinite(millis) ? millis / dayMillis : undefined;
}
