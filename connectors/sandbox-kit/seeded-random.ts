/**
 * Deterministic randomness for sandboxes: every value is a pure function of (seed, date, key), so
 * a day's data never depends on how many days are generated or in which order.
 */

/** FNV-1a, 32-bit. */
export function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function mulberry32(state: number): () => number {
  let a = state >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A PRNG for one (seed, date, row key). */
export function rngFor(seed: number, date: string, key: string): () => number {
  return mulberry32(hash(`${seed}|${date}|${key}`));
}

/** Uniform in [1 − spread, 1 + spread]. */
export function jitter(random: () => number, spread: number): number {
  return 1 + (random() * 2 - 1) * spread;
}

export function between(random: () => number, low: number, high: number): number {
  return low + random() * (high - low);
}

export function count(value: number): number {
  return Math.max(0, Math.round(value));
}

/** Unbiased rounding for small counts (0.6 expected → 0 or 1, 0.6 on average). */
export function randomCount(random: () => number, value: number): number {
  return Math.max(0, Math.floor(value + random()));
}
