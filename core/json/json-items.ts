import { LakeError } from '../errors.ts';

/**
 * Big API pages without the big object graph. A GA4 or Google Ads page of 100,000 rows parses into
 * about 3 million small objects that all live until the page is mapped (150 MB or more, and the
 * garbage collector copies them between generations); here the page stays the bytes it came in
 * (outside the JS heap, and not decoded to a 2-bytes-a-character string as Korean text would make
 * it), its array of rows is located by a scan that checks the structure, and each row is decoded
 * and parsed when it is mapped. The scan works on UTF-8 bytes: the structural characters are ASCII,
 * and no byte of a multi-byte character is below 0x80.
 *
 * A body cut short or not JSON at all fails the scan with a SyntaxError, before any row is handed
 * out, so a client can retry it like `JSON.parse` would have failed.
 */

/** Elements parsed at once when iterating: 32 API rows are about 15 kB of text. */
const groupSize = 32;
/** Smaller pages are left to the garbage collector. */
const releaseMinBytes = 1 << 20;

/** The elements of one JSON array inside a text, each parsed when iterated. */
export class JsonItems implements Iterable<unknown> {
  readonly #text: Buffer;
  /** start, end (exclusive) of each element, in pairs. */
  readonly #bounds: Int32Array;
  readonly length: number;

  constructor(text: Buffer, bounds: Int32Array, length: number) {
    this.#text = text;
    this.#bounds = bounds;
    this.length = length;
  }

  static readonly empty = new JsonItems(Buffer.alloc(0), new Int32Array(0), 0);

  /**
   * Every element, parsed in groups: the text from one element's start to a later one's end is
   * itself a valid array body (the separators between are JSON), so a group is one decode and one
   * JSON.parse — a sixth less time than one of each per element (measured; larger groups were slower).
   */
  *[Symbol.iterator](): Iterator<unknown> {
    for (let first = 0; first < this.length; first += groupSize) {
      const last = Math.min(first + groupSize, this.length) - 1;
      const group = JSON.parse(`[${this.#read(this.#bounds[2 * first]!, this.#bounds[2 * last + 1]!)}]`) as unknown[];
      for (const element of group) yield element;
    }
  }

  /** Element i, parsed. A malformed element (the structure scan does not check every token) throws SyntaxError. */
  at(i: number): unknown {
    return JSON.parse(this.textAt(i));
  }

  /**
   * Frees the page's bytes now rather than at some later garbage collection, which can leave two
   * or three 45 MB pages waiting (measured: 30–60 MB of the bench's peak). For a client, once the
   * page's rows have been mapped: reading these items — or others over the same bytes — afterwards
   * throws. Bytes that are not a buffer of their own (a slice of a shared one) are left alone.
   */
  release(): void {
    const buffer = this.#text.buffer;
    if (!(buffer instanceof ArrayBuffer) || buffer.detached || this.#text.byteOffset !== 0 || this.#text.byteLength !== buffer.byteLength || buffer.byteLength < releaseMinBytes) return;
    buffer.transfer(0);
  }

  #read(start: number, end: number): string {
    // A released buffer reads as empty, which would parse as no rows: fail instead.
    if ((this.#text.buffer as ArrayBuffer).detached) throw new LakeError('a page was read after its bytes were released (a bug: release a page only once its rows are mapped)');
    return this.#text.toString('utf8', start, end);
  }

  /** Where element i is in the text: [start, end). */
  boundsAt(i: number): readonly [number, number] {
    return [this.#bounds[2 * i]!, this.#bounds[2 * i + 1]!];
  }

  /** Element i's text, as the vendor sent it. */
  textAt(i: number): string {
    return this.#read(this.#bounds[2 * i]!, this.#bounds[2 * i + 1]!);
  }
}

/**
 * Parses a JSON object whose `field` holds a long array: everything else is parsed as usual
 * (`field` reads as `[]` there), the array comes back as JsonItems.
 */
export function parseWithLazyArray(text: Buffer, field: string, from = 0, to = text.length): { readonly value: unknown; readonly items: JsonItems } {
  let i = skipSpace(text, from, to);
  if (text[i] !== 0x7b /* { */) {
    // Not an object: JSON.parse says what it is (an array, a number) or why it is not JSON.
    return { value: JSON.parse(text.toString('utf8', from, to)), items: JsonItems.empty };
  }
  i++;
  let arrayStart = -1, arrayEnd = -1;
  for (;;) {
    i = skipSpace(text, i, to);
    if (text[i] === 0x7d /* } */) break;
    if (text[i] !== 0x22) throw unexpected(text, i, to);
    const keyEnd = skipString(text, i, to);
    const key = JSON.parse(text.toString('utf8', i, keyEnd)) as string;
    i = skipSpace(text, keyEnd, to);
    if (text[i] !== 0x3a /* : */) throw unexpected(text, i, to);
    i = skipSpace(text, i + 1, to);
    const valueEnd = skipValue(text, i, to);
    if (key === field && text[i] === 0x5b /* [ */) [arrayStart, arrayEnd] = [i, valueEnd];
    i = skipSpace(text, valueEnd, to);
    if (text[i] === 0x2c /* , */) i++;
    else if (text[i] !== 0x7d) throw unexpected(text, i, to);
  }
  if (skipSpace(text, i + 1, to) !== to) throw unexpected(text, skipSpace(text, i + 1, to), to);
  if (arrayStart < 0) return { value: JSON.parse(text.toString('utf8', from, to)), items: JsonItems.empty };
  const value = JSON.parse(`${text.toString('utf8', from, arrayStart)}[]${text.toString('utf8', arrayEnd, to)}`) as unknown;
  return { value, items: arrayItems(text, arrayStart, arrayEnd) };
}

/**
 * A JSON document that is an array of objects each holding a long array in `field` (Google Ads
 * searchStream: `[{ results: [...], fieldMask }, …]`): each object as parseWithLazyArray reads it.
 * A document that is not an array is read as a one-element list (an error body `{ error }`).
 */
export function parseArrayWithLazyArrays(text: Buffer, field: string): Array<{ readonly value: unknown; readonly items: JsonItems }> {
  const from = skipSpace(text, 0, text.length);
  if (text[from] !== 0x5b /* [ */) return [parseWithLazyArray(text, field)];
  const end = skipValue(text, from, text.length);
  if (skipSpace(text, end, text.length) !== text.length) throw unexpected(text, skipSpace(text, end, text.length), text.length);
  const elements = arrayItems(text, from, end);
  return Array.from({ length: elements.length }, (_, i) => parseWithLazyArray(text, field, ...elements.boundsAt(i)));
}

/** The elements of the array at text[from] === '[' … text[to - 1] === ']'. */
export function arrayItems(text: Buffer, from: number, to: number): JsonItems {
  let bounds = new Int32Array(1024);
  let count = 0;
  let i = skipSpace(text, from + 1, to);
  if (text[i] === 0x5d /* ] */) return new JsonItems(text, bounds, 0);
  for (;;) {
    const start = i;
    const end = skipValue(text, i, to);
    if (2 * count + 2 > bounds.length) {
      const grown = new Int32Array(bounds.length * 2);
      grown.set(bounds);
      bounds = grown;
    }
    bounds[2 * count] = start;
    bounds[2 * count + 1] = end;
    count++;
    i = skipSpace(text, end, to);
    const c = text[i];
    if (c === 0x2c) i = skipSpace(text, i + 1, to);
    else if (c === 0x5d) return new JsonItems(text, bounds, count);
    else throw unexpected(text, i, to);
  }
}

/** The index just past the value starting at `i` (an object, array, string or literal). */
function skipValue(text: Buffer, i: number, to: number): number {
  const first = text[i];
  if (first === 0x22) return skipString(text, i, to);
  if (first !== 0x7b && first !== 0x5b) {
    // A number, true, false or null: up to the next delimiter.
    let j = i;
    while (j < to) {
      const c = text[j];
      if (c === 0x2c || c === 0x7d || c === 0x5d || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) break;
      j++;
    }
    if (j === i) throw unexpected(text, i, to);
    return j;
  }
  // Brackets must match in kind, so a cut or garbled body fails here rather than when its row is parsed.
  const stack = closers;
  let depth = 0;
  for (let j = i; j < to; j++) {
    const c = text[j]!;
    if (c === 0x22) j = skipString(text, j, to) - 1;
    else if (c === 0x7b || c === 0x5b) {
      if (depth === stack.length) throw new SyntaxError(`JSON nested deeper than ${stack.length} levels at position ${j}`);
      stack[depth++] = c + 2; // '{' + 2 = '}', '[' + 2 = ']'
    } else if (c === 0x7d || c === 0x5d) {
      if (depth === 0 || stack[--depth] !== c) throw unexpected(text, j, to);
      if (depth === 0) return j + 1;
    }
  }
  throw new SyntaxError('Unexpected end of JSON input');
}

/** The closing bracket expected at each depth of skipValue (API rows nest a few levels; 512 is plenty). */
const closers = new Uint8Array(512);

/** The index just past the string whose opening quote is at `i`. */
function skipString(text: Buffer, i: number, to: number): number {
  let j = i + 1;
  for (;;) {
    const quote = text.indexOf(0x22, j);
    if (quote === -1 || quote >= to) throw new SyntaxError('Unterminated string in JSON (Unexpected end of JSON input)');
    let backslashes = 0;
    while (text[quote - 1 - backslashes] === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    j = quote + 1;
  }
}

function skipSpace(text: Buffer, i: number, to: number): number {
  while (i < to) {
    const c = text[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

function unexpected(text: Buffer, i: number, to: number): SyntaxError {
  if (i >= to) return new SyntaxError('Unexpected end of JSON input');
  return new SyntaxError(`Unexpected ${JSON.stringify(text.toString('utf8', i, Math.min(to, i + 12)))} in JSON at position ${i}`);
}
