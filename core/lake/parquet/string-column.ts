import type { Column, Row } from '../../table/schema.ts';
import { ByteBuffer } from './byte-buffer.ts';
import { Encoding } from './format.ts';
import { bitWidthFor, encodeHybrid } from './hybrid.ts';
import { dataPages, grow, Nulls, type ChunkStatistics, type ColumnBuilder, type ColumnChunkPages, type RawPage } from './pages.ts';

/** Past this, a chunk's string dictionary stops growing and the chunk is written PLAIN (parquet-rs' default limit). */
const dictionaryLimitBytes = 1 << 20;
/** Statistics bounds longer than this are left out (the footer holds one per column per row group). */
const maxStatisticsBytes = 64;

const textEncoder = new TextEncoder();

/**
 * `[u32 length][UTF-8]` of `text` at the end of `out`; returns where its bytes start. ASCII is
 * written byte by byte (for short text, cheaper than the encoder's call and its subarray).
 */
function writePlainText(out: ByteBuffer, text: string): number {
  const bytes = out.reserve(4 + text.length * 3);
  const begin = out.length + 4;
  let j = 0;
  for (; j < text.length; j++) {
    const code = text.charCodeAt(j);
    if (code >= 0x80) break;
    bytes[begin + j] = code;
  }
  const length = j === text.length ? j : textEncoder.encodeInto(text, bytes.subarray(begin)).written;
  bytes[begin - 4] = length & 0xff;
  bytes[begin - 3] = (length >>> 8) & 0xff;
  bytes[begin - 2] = (length >>> 16) & 0xff;
  bytes[begin - 1] = (length >>> 24) & 0xff;
  out.advance(4 + length);
  return begin;
}

/** Unsigned byte order, which is the order of UTF-8 text by code point (Parquet's order for strings). */
function compareBytes(bytes: Uint8Array, aStart: number, aEnd: number, other: Uint8Array, bStart: number, bEnd: number): number {
  const length = Math.min(aEnd - aStart, bEnd - bStart);
  for (let k = 0; k < length; k++) {
    const diff = bytes[aStart + k]! - other[bStart + k]!;
    if (diff !== 0) return diff;
  }
  return (aEnd - aStart) - (bEnd - bStart);
}

/**
 * UTF8 strings. Each value's bytes are written once: into the dictionary the first time it is seen
 * (while the chunk is dictionary-encoded), or into the PLAIN buffer.
 */
export class StringColumn implements ColumnBuilder {
  readonly #nulls: Nulls;
  readonly #column: Column;
  readonly #rowGroupRows: number;
  #dictionary: Map<string, number> | undefined = new Map();
  /** Dictionary entries, PLAIN-encoded, and where each entry's bytes start. */
  readonly #entries = new ByteBuffer(4096);
  #entryStarts = new Int32Array(256);
  #indices: Int32Array;
  /** After the dictionary overflows: the values, PLAIN-encoded, and where each value's bytes start. */
  #plain: ByteBuffer | undefined;
  #plainStarts: Int32Array | undefined;
  #rows = 0;
  #count = 0;

  constructor(tableName: string, column: Column, rowGroupRows: number) {
    this.#column = column;
    this.#rowGroupRows = rowGroupRows;
    this.#nulls = new Nulls(tableName, column, rowGroupRows);
    this.#indices = new Int32Array(Math.min(rowGroupRows, 1024));
  }

  appendRows(rows: readonly Row[], start: number, end: number, firstRow: number): void {
    const name = this.#column.name;
    let previous: string | undefined;
    let previousIndex = -1;
    for (let i = start; i < end; i++) {
      const cell = rows[i]![name];
      if (cell === null || cell === undefined) {
        this.#nulls.mark(this.#rows++, firstRow + i - start);
        continue;
      }
      const text = typeof cell === 'string' ? cell : String(cell);
      const dictionary = this.#dictionary;
      if (dictionary) {
        let index = text === previous ? previousIndex : dictionary.get(text);
        if (index === undefined) {
          index = dictionary.size;
          this.#entryStarts = grow(this.#entryStarts, index + 2, (n) => new Int32Array(n));
          this.#entryStarts[index] = writePlainText(this.#entries, text);
          dictionary.set(text, index);
          if (this.#entries.length > dictionaryLimitBytes) {
            this.#indices = grow(this.#indices, this.#count + 1, (n) => new Int32Array(n));
            this.#indices[this.#count++] = index;
            this.#rows++;
            this.#toPlain();
            continue;
          }
        }
        previous = text;
        previousIndex = index;
        if (this.#count === this.#indices.length) this.#indices = grow(this.#indices, this.#count + 1, (n) => new Int32Array(n));
        this.#indices[this.#count++] = index;
      } else {
        if (this.#count + 1 >= this.#plainStarts!.length) this.#plainStarts = grow(this.#plainStarts!, this.#count + 2, (n) => new Int32Array(n));
        this.#plainStarts![this.#count++] = writePlainText(this.#plain!, text) - 4;
      }
      this.#rows++;
    }
  }

  /** The dictionary passed its limit: the values so far, and all to come, go PLAIN. */
  #toPlain(): void {
    const entries = this.#entries.view();
    const plain = new ByteBuffer(Math.max(entries.length * 2, 1 << 16));
    const starts = new Int32Array(Math.max(this.#rowGroupRows, this.#count) + 1);
    for (let v = 0; v < this.#count; v++) {
      const entryStart = this.#entryStarts[this.#indices[v]!]! - 4;
      const length = entries[entryStart]! | (entries[entryStart + 1]! << 8) | (entries[entryStart + 2]! << 16) | (entries[entryStart + 3]! << 24);
      starts[v] = plain.length;
      plain.bytesOf(entries.subarray(entryStart, entryStart + 4 + length));
    }
    this.#plain = plain;
    this.#plainStarts = starts;
    this.#dictionary = undefined;
  }

  flush(): ColumnChunkPages {
    const result = this.#dictionary ? this.#flushDictionary(this.#dictionary.size) : this.#flushPlain();
    this.#rows = this.#count = 0;
    this.#dictionary = new Map();
    this.#entries.clear();
    this.#plain = this.#plainStarts = undefined;
    this.#nulls.reset();
    return result;
  }

  #flushDictionary(size: number): ColumnChunkPages {
    const entries = this.#entries.view();
    const starts = this.#entryStarts;
    starts[size] = entries.length + 4;
    const indices = this.#indices;
    const bitWidth = bitWidthFor(Math.max(0, size - 1));
    // A chunk of nulls only has no dictionary to refer to: its pages are PLAIN, with no values.
    if (size === 0) return { pages: dataPages(this.#nulls, this.#rows, 1, Encoding.plain, () => new Uint8Array(0)), encodings: [Encoding.plain, Encoding.rle], statistics: { nullCount: this.#nulls.count }, rows: this.#rows };
    const pages: RawPage[] = [{ type: 'dictionary', encoding: Encoding.plain, valueCount: size, body: entries.slice() }];
    pages.push(...dataPages(this.#nulls, this.#rows, bitWidth / 8, Encoding.rleDictionary, (r) => (out: ByteBuffer) => {
      out.byte(bitWidth);
      encodeHybrid(out, indices.subarray(r.valueStart, r.valueEnd), r.valueEnd - r.valueStart, bitWidth);
    }));
    let min = 0, max = 0;
    for (let e = 1; e < size; e++) {
      const from = starts[e]!, to = starts[e + 1]! - 4;
      if (compareBytes(entries, from, to, entries, starts[min]!, starts[min + 1]! - 4) < 0) min = e;
      if (compareBytes(entries, from, to, entries, starts[max]!, starts[max + 1]! - 4) > 0) max = e;
    }
    const statistics = stringStatistics(this.#nulls.count,
      entries.subarray(starts[min]!, starts[min + 1]! - 4), entries.subarray(starts[max]!, starts[max + 1]! - 4));
    return { pages, encodings: [Encoding.plain, Encoding.rle, Encoding.rleDictionary], statistics, rows: this.#rows };
  }

  #flushPlain(): ColumnChunkPages {
    const plain = this.#plain!.view();
    const starts = this.#plainStarts!;
    starts[this.#count] = plain.length;
    const pages = dataPages(this.#nulls, this.#rows, (v) => starts[v + 1]! - starts[v]!, Encoding.plain,
      (r) => plain.subarray(starts[r.valueStart]!, starts[r.valueEnd]!));
    // PLAIN only follows a dictionary that overflowed, so the chunk has values.
    let min = 0, max = 0;
    for (let v = 1; v < this.#count; v++) {
      const from = starts[v]! + 4, to = starts[v + 1]!;
      if (compareBytes(plain, from, to, plain, starts[min]! + 4, starts[min + 1]!) < 0) min = v;
      if (compareBytes(plain, from, to, plain, starts[max]! + 4, starts[max + 1]!) > 0) max = v;
    }
    const statistics = stringStatistics(this.#nulls.count,
      plain.subarray(starts[min]! + 4, starts[min + 1]!), plain.subarray(starts[max]! + 4, starts[max + 1]!));
    return { pages, encodings: [Encoding.plain, Encoding.rle], statistics, rows: this.#rows };
  }
}

function stringStatistics(nullCount: number, min: Uint8Array, max: Uint8Array): ChunkStatistics {
  if (min.byteLength > maxStatisticsBytes || max.byteLength > maxStatisticsBytes) return { nullCount };
  return { nullCount, min: min.slice(), max: max.slice() };
}
