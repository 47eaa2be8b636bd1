import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteBuffer } from '../../core/lake/parquet/byte-buffer.ts';
import { bitWidthFor, encodeHybrid } from '../../core/lake/parquet/hybrid.ts';

/** The reader's side of the RLE / bit-packing hybrid, written from the format's description. */
function decodeHybrid(bytes: Uint8Array, count: number, bitWidth: number): { values: number[]; runs: Array<'rle' | 'packed'> } {
  const values: number[] = [];
  const runs: Array<'rle' | 'packed'> = [];
  let at = 0;
  const varint = () => {
    let value = 0, scale = 1;
    for (;;) {
      const b = bytes[at++]!;
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return value;
      scale *= 128;
    }
  };
  while (values.length < count) {
    const header = varint();
    if (header % 2 === 0) {
      runs.push('rle');
      let value = 0;
      for (let b = 0; b < Math.ceil(bitWidth / 8); b++) value += bytes[at++]! * 2 ** (8 * b);
      for (let k = 0; k < header / 2; k++) values.push(value);
    } else {
      runs.push('packed');
      const slots = ((header - 1) / 2) * 8;
      for (let k = 0; k < slots; k++) {
        let value = 0;
        for (let bit = 0; bit < bitWidth; bit++) {
          const position = k * bitWidth + bit;
          if (bytes[at + (position >> 3)]! & (1 << (position & 7))) value += 2 ** bit;
        }
        values.push(value);
      }
      at += (slots * bitWidth) / 8;
    }
  }
  expect(at, 'every byte belongs to a run').toBe(bytes.byteLength);
  return { values: values.slice(0, count), runs };
}

function encoded(values: readonly number[], bitWidth: number): Uint8Array {
  const out = new ByteBuffer(16);
  encodeHybrid(out, values, values.length, bitWidth);
  return out.copy();
}

describe('encodeHybrid', () => {
  it('writes a long repeat as one RLE run and the rest bit-packed', () => {
    // Prepare: 3 mixed values, then 1,000 ones, then 5 mixed
    const values = [0, 1, 0, ...Array<number>(1_000).fill(1), 0, 1, 1, 0, 1];
    // Act
    const decoded = decodeHybrid(encoded(values, 1), values.length, 1);
    // Assess
    expect(decoded.values).toEqual(values);
    expect(decoded.runs).toEqual(['packed', 'rle', 'packed']);
  });

  it('cuts bit-packed runs at 63 groups, as parquet-mr does', () => {
    // Prepare: 1,000 values with no repeats of 8
    const values = Array.from({ length: 1_000 }, (_, i) => i % 5);
    // Act
    const decoded = decodeHybrid(encoded(values, 3), values.length, 3);
    // Assess
    expect(decoded.values).toEqual(values);
    expect(decoded.runs).toEqual(['packed', 'packed']);
  });

  it('gives back any values at their bit width', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 24 }), fc.array(fc.nat(), { maxLength: 600 }), fc.nat({ max: 40 }), (bitWidth, raw, repeat) => {
      // Prepare: values within the width, some repeated in runs
      const values = raw.flatMap((v, i) => Array<number>(i % 9 === 0 ? repeat : 1).fill(v % 2 ** bitWidth));
      // Act
      const decoded = decodeHybrid(encoded(values, bitWidth), values.length, bitWidth);
      // Assess
      expect(decoded.values).toEqual(values);
    }), { numRuns: 200 });
  });
});

describe('bitWidthFor', () => {
  it.each([[0, 1], [1, 1], [2, 2], [3, 2], [4, 3], [255, 8], [256, 9], [99_999, 17]])('needs for values up to %i %i bits', (max, width) => {
    expect(bitWidthFor(max)).toBe(width);
  });
});
