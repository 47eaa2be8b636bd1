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
 */
export function encodeParquet(table: TableSchema, rows: readonly Row[]): Uint8Array {
  const fields = table.columns.map((c) => new Field(c.name, arrowType(c.type), c.nullable !== false));
  const schema = new Schema(fields);
  const children = table.columns.map((column) => buildColumn(table.name, column, rows));
  const struct = makeData({ type: new Struct(fields), length: rows.length, nullCount: 0, children });
  const ipc = tableToIPC(new Table([new RecordBatch(schema, struct)]), 'stream');
  const wasmTable = WasmTable.fromIPCStream(ipc);
  // writeParquet takes ownership of the WASM table and frees it, which keeps memory flat across files.
  return writeParquet(wasmTable, writerProperties());
}

let cachedProperties: ReturnType<WriterPropertiesBuilder['build']> | undefined;
function writerProperties() {
  // A WriterProperties object is consumed by writeParquet, so a fresh one is built per file.
  cachedProperties = new WriterPropertiesBuilder().setCompression(Compression.ZSTD).build();
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

function buildColumn(tableName: string, column: Column, rows: readonly Row[]): Data {
  const length = rows.length;
  const validity = new Uint8Array(Math.ceil(length / 8));
  let nullCount = 0;
  const isPresent = (value: CellValue | undefined, index: number): boolean => {
    if (value === null || value === undefined) {
      if (column.nullable === false) {
        throw new LakeError(`column ${tableName}.${column.name} is not nullable but row ${index} has no value`, {
          context: { table: tableName, column: column.name },
        });
      }
      nullCount++;
      return false;
    }
    validity[index >> 3]! |= 1 << (index & 7);
    return true;
  };
  const fail = (index: number, value: unknown): never => {
    throw new LakeError(`column ${tableName}.${column.name} (${column.type}) cannot hold ${JSON.stringify(String(value)).slice(0, 80)} (row ${index})`, {
      context: { table: tableName, column: column.name },
    });
  };
  const type = arrowType(column.type);

  switch (column.type) {
    case 'string': {
      const offsets = new Int32Array(length + 1);
      const encoder = new TextEncoder();
      let bytes = new Uint8Array(Math.max(64, length * 16));
      let position = 0;
      for (let i = 0; i < length; i++) {
        const value = rows[i]![column.name];
        if (isPresent(value, i)) {
          const text = typeof value === 'string' ? value : String(value);
          // A UTF-16 code unit encodes to at most 3 UTF-8 bytes.
          if (position + text.length * 3 > bytes.length) {
            const grown = new Uint8Array(Math.max(bytes.length * 2, position + text.length * 3));
            grown.set(bytes.subarray(0, position));
            bytes = grown;
          }
          position += encoder.encodeInto(text, bytes.subarray(position)).written;
        }
        offsets[i + 1] = position;
      }
      return makeData({ type: type as Utf8, length, nullCount, nullBitmap: validity, valueOffsets: offsets, data: bytes.subarray(0, position) });
    }
    case 'int64': {
      const values = new BigInt64Array(length);
      for (let i = 0; i < length; i++) {
        const value = rows[i]![column.name];
        if (isPresent(value, i)) values[i] = toBigInt(value!) ?? fail(i, value);
      }
      return makeData({ type: type as Int64, length, nullCount, nullBitmap: validity, data: values });
    }
    case 'double': {
      const values = new Float64Array(length);
      for (let i = 0; i < length; i++) {
        const value = rows[i]![column.name];
        if (isPresent(value, i)) {
          const n = typeof value === 'number' ? value : Number(value);
          values[i] = Number.isFinite(n) ? n : fail(i, value);
        }
      }
      return makeData({ type: type as Float64, length, nullCount, nullBitmap: validity, data: values });
    }
    case 'boolean': {
      const values = new Uint8Array(Math.ceil(length / 8));
      for (let i = 0; i < length; i++) {
        const value = rows[i]![column.name];
        if (isPresent(value, i) && (value === true || value === 'true')) values[i >> 3]! |= 1 << (i & 7);
      }
      return makeData({ type: type as Bool, length, nullCount, nullBitmap: validity, data: values });
    }
    case 'date': {
      const values = new Int32Array(length);
      for (let i = 0; i < length; i++) {
        const value = rows[i]![column.name];
        if (isPresent(value, i)) values[i] = toEpochDay(value!) ?? fail(i, value);
      }
      return makeData({ type: type as DateDay, length, nullCount, nullBitmap: validity, data: values });
    }
    case 'timestamp': {
      const values = new BigInt64Array(length);
      for (let i = 0; i < length; i++) {
        const value = rows[i]![column.name];
        if (isPresent(value, i)) {
          const millis = value instanceof Date ? value.getTime() : Date.parse(String(value));
          values[i] = Number.isFinite(millis) ? BigInt(millis) * 1000n : fail(i, value);
        }
      }
      return makeData({ type: type as Timestamp, length, nullCount, nullBitmap: validity, data: values });
    }
  }
}

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
