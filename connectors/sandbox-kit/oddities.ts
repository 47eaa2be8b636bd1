/**
 * Odd values a sandbox can put in the records it serves (`oddValues: n`), the way real APIs
 * sometimes do: numbers where strings belong, nulls, text in a metric, dates in another format,
 * Korean and emoji, fields the docs do not list. Each vendor's sandbox lists its own oddities and
 * says, per its API contract, whether the pipeline should coerce the record or reject it.
 *
 * Which records are odd depends only on the record's identity (its key), never on paging or on the
 * date window asked for, so a re-read after a crash sees the same odd records as a clean run did.
 */
export interface Oddity<Wire> {
  readonly name: string;
  /** True when the pipeline must send the record to `_rejects`; false when it must coerce it. */
  readonly rejected: boolean;
  apply(record: Wire): void;
}

/** The oddity a record gets, if any: about one record in `every`, chosen by a hash of its identity. */
export function oddityFor<Wire>(identity: string, every: number, oddities: readonly Oddity<Wire>[]): Oddity<Wire> | undefined {
  if (every <= 0 || oddities.length === 0) return undefined;
  const hash = fnv1a(identity);
  if (hash % every !== 0) return undefined;
  return oddities[Math.floor(hash / every) % oddities.length];
}

/** How many records of each oddity a sandbox has served, for tests to know what to expect. */
export class OddityLog {
  readonly #served = new Map<string, number>();

  record(oddity: Oddity<unknown>): void {
    this.#served.set(oddity.name, (this.#served.get(oddity.name) ?? 0) + 1);
  }

  /** Served so far: by name, and how many of them the pipeline must reject. */
  served(oddities: readonly Oddity<never>[]): { readonly byName: Readonly<Record<string, number>>; readonly rejected: number; readonly total: number } {
    const byName = Object.fromEntries(this.#served);
    const rejected = oddities.filter((o) => o.rejected).reduce((sum, o) => sum + (this.#served.get(o.name) ?? 0), 0);
    const total = [...this.#served.values()].reduce((a, b) => a + b, 0);
    return { byName, rejected, total };
  }

  reset(): void {
    this.#served.clear();
  }
}

/** 32-bit FNV-1a: a stable, well-spread hash of a short string. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
