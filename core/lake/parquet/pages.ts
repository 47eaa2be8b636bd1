import { LakeError } from '../../errors.ts';
import type { Column, Row } from '../../table/schema.ts';
import { ByteBuffer } from './byte-buffer.ts';
import { encodeHybrid } from './hybrid.ts';

/**
 * What every column chunk builder shares: its nulls (definition levels), how a chunk is cut into
 * data pages of about 1 MiB, and each page's body.
 */

export interface RawPage {
  readonly type: 'data' | 'dictionary';
  /** Uncompressed: for a data page, its definition levels (nullable columns) then its values. */
  readonly body: Uint8Array;
  /** Data page: rows, nulls included. Dictionary page: entries. */
  readonly valueCount: number;
  readonly encoding: number;
}

export interface ChunkStatistics {
  /** PLAIN-encoded bounds (no length prefix); absent when there are no values or a string bound is too long. */
  readonly min?: Uint8Array;
  readonly max?: Uint8Array;
  readonly nullCount: number;
}

export interface ColumnChunkPages {
  readonly pages: readonly RawPage[];
  readonly encodings: readonly number[];
  readonly statistics: ChunkStatistics;
  readonly rows: number;
}

export interface ColumnBuilder {
  /** Appends column `name` of rows `start … end`; `firstRow` is the first one's row number in the file (for errors). */
  appendRows(rows: readonly Row[], start: number, end: number, firstRow: number): void;
  /** The chunk's pages; the builder starts a new chunk. */
  flush(): ColumnChunkPages;
}

/** Target size of a data page's values, as parquet-rs' default. */
const pageBytes = 1 << 20;

/**
 * Definition levels of a nullable column: one byte a row, allocated at the chunk's first null
 * (a chunk without nulls needs none: its pages say so with a single RLE run).
 */
export class Nulls {
  readonly #tableName: string;
  readonly #column: Column;
  readonly #capacity: number;
  readonly required: boolean;
  levels: Uint8Array | undefined;
  count = 0;

  constructor(tableName: string, column: Column, capacity: number) {
    this.#tableName = tableName;
    this.#column = column;
    this.#capacity = capacity;
    this.required = column.nullable === false;
  }

  /** Row `row` of the chunk (`fileRow` of the file) is null. */
  mark(row: number, fileRow: number): void {
    if (this.required) {
      throw new LakeError(`column ${this.#tableName}.${this.#column.name} is not nullable but row ${fileRow} has no value`, {
        context: { table: this.#tableName, column: this.#column.name },
      });
    }
    this.#cover(row + 1);
    this.levels![row] = 0;
    this.count++;
  }

  /** Makes the levels cover `rows` rows (those past the last null are present), once a chunk with nulls is complete. */
  complete(rows: number): void {
    if (this.levels) this.#cover(rows);
  }

  /** Sized for the rows so far, not the row group: a sync holds one builder per pending partition. */
  #cover(rows: number): void {
    if (this.levels && rows <= this.levels.length) return;
    const grown = new Uint8Array(Math.min(this.#capacity, Math.max(1024, rows * 2))).fill(1);
    if (this.levels) grown.set(this.levels);
    this.levels = grown;
  }

  reset(): void {
    this.levels = undefined;
    this.count = 0;
  }
}

export function cannotHold(tableName: string, column: Column, value: unknown, fileRow: number): never {
  throw new LakeError(`column ${tableName}.${column.name} (${column.type}) cannot hold ${JSON.stringify(String(value)).slice(0, 80)} (row ${fileRow})`, {
    context: { table: tableName, column: column.name },
  });
}

/** A data page's body: `[u32 length][levels]` for a nullable column, then its values. */
function dataPageBody(nulls: Nulls, rowStart: number, rowEnd: number, values: Uint8Array | ((out: ByteBuffer) => void)): Uint8Array {
  const out = new ByteBuffer(typeof values === 'function' ? 1024 : values.byteLength + 16);
  if (!nulls.required) {
    const lengthAt = out.length;
    out.uint32LE(0);
    const rows = rowEnd - rowStart;
    if (!nulls.levels) {
      // All present: one RLE run of 1s.
      out.varint(rows * 2);
      out.byte(1);
    } else encodeHybrid(out, nulls.levels.subarray(rowStart, rowEnd), rows, 1);
    const length = out.length - lengthAt - 4;
    const bytes = out.reserve(0);
    bytes[lengthAt] = length & 0xff;
    bytes[lengthAt + 1] = (length >>> 8) & 0xff;
    bytes[lengthAt + 2] = (length >>> 16) & 0xff;
    bytes[lengthAt + 3] = (length >>> 24) & 0xff;
  }
  if (typeof values === 'function') values(out);
  else out.bytesOf(values);
  return out.view();
}

export interface PageRange {
  readonly rowStart: number;
  readonly rowEnd: number;
  readonly valueStart: number;
  readonly valueEnd: number;
}

/** Cuts a chunk into pages of about `pageBytes` of values; `sizeOf(v)` is value v's encoded size. */
function pageRanges(rows: number, levels: Uint8Array | undefined, sizeOf: number | ((value: number) => number)): PageRange[] {
  const ranges: PageRange[] = [];
  if (levels === undefined && typeof sizeOf === 'number') {
    const perPage = Math.max(1, Math.floor(pageBytes / Math.max(1, sizeOf)));
    for (let start = 0; start < rows; start += perPage) {
      const end = Math.min(rows, start + perPage);
      ranges.push({ rowStart: start, rowEnd: end, valueStart: start, valueEnd: end });
    }
    return ranges;
  }
  let rowStart = 0, valueStart = 0, value = 0, bytes = 0;
  for (let row = 0; row < rows; row++) {
    if (levels === undefined || levels[row] === 1) {
      bytes += typeof sizeOf === 'number' ? sizeOf : sizeOf(value);
      value++;
    }
    if (bytes >= pageBytes || row === rows - 1) {
      ranges.push({ rowStart, rowEnd: row + 1, valueStart, valueEnd: value });
      rowStart = row + 1;
      valueStart = value;
      bytes = 0;
    }
  }
  return ranges;
}

export function dataPages(nulls: Nulls, rows: number, sizeOf: number | ((value: number) => number), encoding: number,
  valuesOf: (range: PageRange) => Uint8Array | ((out: ByteBuffer) => void)): RawPage[] {
  nulls.complete(rows);
  return pageRanges(rows, nulls.levels, sizeOf).map((range) => ({
    type: 'data', encoding, valueCount: range.rowEnd - range.rowStart,
    body: dataPageBody(nulls, range.rowStart, range.rowEnd, valuesOf(range)),
  }));
}

export function grow<T extends Int32Array | Float64Array | BigInt64Array | Uint8Array>(array: T, needed: number, make: (size: number) => T): T {
  if (needed <= array.length) return array;
  const grown = make(Math.max(array.length * 2, needed));
  grown.set(array as never);
  return grown;
}

export function littleEndian(size: number, write: (view: DataView) => void): Uint8Array {
  const bytes = new Uint8Array(size);
  write(new DataView(bytes.buffer));
  return bytes;
}

