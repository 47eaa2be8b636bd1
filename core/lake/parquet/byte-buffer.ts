/**
 * A growable byte buffer: the encoders append to it and hand out the filled part. Growth doubles,
 * so appending n bytes costs O(n) over the buffer's life.
 */
export class ByteBuffer {
  #bytes: Uint8Array;
  #length = 0;

  constructor(initialSize = 1024) {
    this.#bytes = new Uint8Array(initialSize);
  }

  get length(): number {
    return this.#length;
  }

  /** Makes room for `extra` more bytes and returns the backing array (valid until the next call that may grow it). */
  reserve(extra: number): Uint8Array {
    if (this.#length + extra > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#length + extra));
      grown.set(this.#bytes.subarray(0, this.#length));
      this.#bytes = grown;
    }
    return this.#bytes;
  }

  /** After writing `count` bytes into the array `reserve` returned, at `length`. */
  advance(count: number): void {
    this.#length += count;
  }

  byte(value: number): void {
    this.reserve(1)[this.#length++] = value;
  }

  bytesOf(bytes: Uint8Array): void {
    this.reserve(bytes.byteLength).set(bytes, this.#length);
    this.#length += bytes.byteLength;
  }

  uint32LE(value: number): void {
    const bytes = this.reserve(4);
    bytes[this.#length] = value & 0xff;
    bytes[this.#length + 1] = (value >>> 8) & 0xff;
    bytes[this.#length + 2] = (value >>> 16) & 0xff;
    bytes[this.#length + 3] = (value >>> 24) & 0xff;
    this.#length += 4;
  }

  /** Unsigned LEB128; numbers are exact up to 2^53, larger values come as bigint. */
  varint(value: number | bigint): void {
    if (typeof value === 'bigint') {
      let rest = value;
      while (rest >= 0x80n) {
        this.byte(Number(rest & 0x7fn) | 0x80);
        rest >>= 7n;
      }
      this.byte(Number(rest));
      return;
    }
    let rest = value;
    while (rest >= 0x80) {
      this.byte((rest % 0x80) | 0x80);
      rest = Math.floor(rest / 0x80);
    }
    this.byte(rest);
  }

  /** The bytes written so far, as a view: valid until the buffer is written again. */
  view(): Uint8Array {
    return this.#bytes.subarray(0, this.#length);
  }

  /** The bytes written so far, as a copy of their own. */
  copy(): Uint8Array {
    return this.#bytes.slice(0, this.#length);
  }

  clear(): void {
    this.#length = 0;
  }

  /** Forgets what was written after the first `length` bytes. */
  truncate(length: number): void {
    this.#length = Math.min(this.#length, length);
  }
}

/** The parts one after another in one array (a single part is returned as it is). */
export function concatBytes(parts: readonly Uint8Array[], length = parts.reduce((n, p) => n + p.byteLength, 0)): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}
