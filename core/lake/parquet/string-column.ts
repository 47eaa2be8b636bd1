import type { Column, Row } from '../../table/schema.ts';
import { ByteBuffer } from './byte-buffer.ts';
import { Encoding } from './format.ts';
import { bitWidthFor, encodeHybrid } from './hybrid.ts';
import { compressPage, grow, pageBytes, pageRows, PageSink, type ChunkStatistics, type ColumnBuilder, type ColumnChunk } from './pages.ts';

/** Past this, a chunk's string dictionary stops growing and the rest of the chunk is written PLAIN (parquet-rs' default limit). */
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
 * UTF8 strings, dictionary-encoded while the chunk's dictionary fits in 1 MiB, then PLAIN for the
 * rest of the chunk (its earlier pages keep the dictionary, as parquet-mr's fallback does). Each
 * value's bytes are written once: into the dictionary the first time it is seen, or into the page.
 */
export class StringColumn implements ColumnBuilder {
  readonly #column: Column;
  readonly #sink: PageSink;
  /** value → entry, while the chunk is dictionary-encoded. */
  #dictionary: Map<string, number> | undefined = new Map();
  #entryCount = 0;
  /** Dictionary entries, PLAIN-encoded, and where each entry's bytes start. */
  readonly #entries = new ByteBuffer(4096);
  #entryStarts = new Int32Array(256);
  /** The current page's values: dictionary indices, or PLAIN bytes once the dictionary is full. */
  #indices = new Int32Array(1024);
  readonly #plain = new ByteBuffer(4096);
  #count = 0;
  #dictionaryPages = false;
  /** Bounds of the values written PLAIN; the dictionary's come from its entries at the end. */
  #plainMin: Uint8Array | undefined;
  #plainMax: Uint8Array | undefined;

  constructor(tableName: string, column: Column) {
    this.#column = column;
    this.#sink = new PageSink(tableName, column);
  }

  appendRows(rows: readonly Row[], start: number, end: number, firstRow: number): void {
    const name = this.#column.name;
    const sink = this.#sink;
    let previous: string | undefined;
    let previousIndex = -1;
    for (let i = start; i < end; i++) {
      const cell = rows[i]![name];
      if (cell === null || cell === undefined) sink.markNull(sink.rows, firstRow + i - start);
      else {
        const text = typeof cell === 'string' ? cell : String(cell);
        const dictionary = this.#dictionary;
        let index = dictionary ? (text === previous ? previousIndex : dictionary.get(text)) : -1;
        if (dictionary && index === undefined) index = this.#addEntry(dictionary, text);
        if (index !== undefined && index >= 0) {
          previous = text;
          previousIndex = index;
          if (this.#count === this.#indices.length) this.#indices = grow(this.#indices, this.#count + 1, (size) => new Int32Array(Math.min(size, pageRows)));
          this.#indices[this.#count++] = index;
        } else this.#writePlain(text);
      }
      sink.rows++;
      if (sink.rows === pageRows || (!this.#dictionary && this.#plain.length >= pageBytes)) this.#seal();
    }
  }

  /** A new dictionary entry's index; undefined when it does not fit (the chunk goes PLAIN from here). */
  #addEntry(dictionary: Map<string, number>, text: string): number | undefined {
    const before = this.#entries.length;
    const start = writePlainText(this.#entries, text);
    if (this.#entries.length > dictionaryLimitBytes && this.#entryCount > 0) {
      this.#entries.truncate(before);
      this.#seal();
      this.#dictionary = undefined;
      return undefined;
    }
    const index = this.#entryCount++;
    this.#entryStarts = grow(this.#entryStarts, index + 2, (n) => new Int32Array(n));
    this.#entryStarts[index] = start;
    dictionary.set(text, index);
    return index;
  }

  #writePlain(text: string): void {
    const start = writePlainText(this.#plain, text);
    const bytes = this.#plain.view();
    const end = bytes.length;
    if (!this.#plainMin || compareBytes(bytes, start, end, this.#plainMin, 0, this.#plainMin.length) < 0) this.#plainMin = bytes.slice(start, end);
    if (!this.#plainMax || compareBytes(bytes, start, end, this.#plainMax, 0, this.#plainMax.length) > 0) this.#plainMax = bytes.slice(start, end);
    this.#count++;
  }

  #seal(): void {
    const sink = this.#sink;
    if (sink.rows === 0) return;
    if (!this.#dictionary) {
      sink.seal(Encoding.plain, this.#plain.view());
      this.#plain.clear();
    } else if (this.#count === 0) {
      // Nulls only so far: a page with no values needs no dictionary.
      sink.seal(Encoding.plain, new Uint8Array(0));
    } else {
      const bitWidth = bitWidthFor(this.#entryCount - 1);
      const indices = this.#indices, count = this.#count;
      sink.seal(Encoding.rleDictionary, (out) => {
        out.byte(bitWidth);
        encodeHybrid(out, indices, count, bitWidth);
      });
      this.#dictionaryPages = true;
    }
    this.#count = 0;
  }

  flush(): ColumnChunk {
    this.#seal();
    const entries = this.#entries.view();
    const starts = this.#entryStarts;
    const size = this.#entryCount;
    starts[size] = entries.length + 4;
    const dictionary = this.#dictionaryPages ? compressPage('dictionary', Encoding.plain, size, entries) : undefined;
    let min = this.#plainMin, max = this.#plainMax;
    for (let e = 0; e < size; e++) {
      const from = starts[e]!, to = starts[e + 1]! - 4;
      if (!min || compareBytes(entries, from, to, min, 0, min.length) < 0) min = entries.slice(from, to);
      if (!max || compareBytes(entries, from, to, max, 0, max.length) > 0) max = entries.slice(from, to);
    }
    const encodings = this.#dictionaryPages ? [Encoding.plain, Encoding.rle, Encoding.rleDictionary] : [Encoding.plain, Encoding.rle];
    this.#dictionary = new Map();
    this.#entryCount = 0;
    this.#entries.clear();
    this.#dictionaryPages = false;
    this.#plainMin = this.#plainMax = undefined;
    return this.#sink.take(encodings, stringStatistics(min, max), dictionary);
  }
}

/** Bounds longer than maxStatisticsBytes are left out, as a chunk with no values has none. */
function stringStatistics(min: Uint8Array | undefined, max: Uint8Array | undefined): Omit<ChunkStatistics, 'nullCount'> {
  if (!min || !max || min.byteLength > maxStatisticsBytes || max.byteLength > maxStatisticsBytes) return {};
  return { min, max };
}
