import type { ByteBuffer } from './byte-buffer.ts';

/**
 * Parquet's RLE / bit-packing hybrid, used for definition levels and dictionary indices: a value
 * repeated 8 or more times from a group boundary is one RLE run; everything else is bit-packed in
 * groups of 8 values, at most 63 groups a run (as parquet-mr writes them, so every reader's header
 * parsing copes). The last group is padded with zeros; the page's value count tells readers where
 * the values end.
 */
export function encodeHybrid(out: ByteBuffer, values: ArrayLike<number>, count: number, bitWidth: number): void {
  const valueBytes = Math.ceil(bitWidth / 8);
  let i = 0;
  while (i < count) {
    const value = values[i]!;
    let runEnd = i + 1;
    while (runEnd < count && values[runEnd] === value) runEnd++;
    if (runEnd - i >= 8) {
      out.varint((runEnd - i) * 2);
      for (let b = 0; b < valueBytes; b++) out.byte(Math.floor(value / 2 ** (8 * b)) & 0xff);
      i = runEnd;
      continue;
    }
    // Bit-pack groups of 8 until a group starts an 8-long run, the run is 63 groups, or the values end.
    const start = i;
    let groups = 0;
    do {
      i += 8;
      groups++;
    } while (i < count && groups < 63 && !startsRun(values, i, count));
    out.varint(groups * 2 + 1);
    bitPack(out, values, start, Math.min(i, count), groups * 8, bitWidth);
  }
}

function startsRun(values: ArrayLike<number>, at: number, count: number): boolean {
  if (at + 8 > count) return false;
  const value = values[at];
  for (let k = 1; k < 8; k++) if (values[at + k] !== value) return false;
  return true;
}

/** Values `start … end` packed LSB first at `bitWidth` bits each, padded with zeros to `slots` values. */
function bitPack(out: ByteBuffer, values: ArrayLike<number>, start: number, end: number, slots: number, bitWidth: number): void {
  const byteCount = (slots * bitWidth) / 8;
  const bytes = out.reserve(byteCount);
  let at = out.length;
  // Bits waiting to be written; bitWidth ≤ 32 and fewer than 8 pending bits keep it below 2^40, exact in a double.
  let pending = 0;
  let pendingBits = 0;
  for (let i = start; i < start + slots; i++) {
    pending += (i < end ? values[i]! : 0) * 2 ** pendingBits;
    pendingBits += bitWidth;
    while (pendingBits >= 8) {
      bytes[at++] = pending & 0xff;
      pending = Math.floor(pending / 256);
      pendingBits -= 8;
    }
  }
  out.advance(byteCount);
}

/** Bits needed for values 0 … maxValue; at least 1, since some readers mishandle a bit width of 0. */
export function bitWidthFor(maxValue: number): number {
  let width = 1;
  while (maxValue >= 2 ** width) width++;
  return width;
}
