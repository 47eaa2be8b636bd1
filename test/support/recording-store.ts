import type { ObjectStore } from '../../core/lake/object-store.ts';

/** One call a RecordingStore saw, in order. */
export interface StoreCall {
  readonly operation: 'put' | 'delete';
  readonly keys: readonly string[];
  /** For a put: every key the inner store held just before this put (its own key excluded unless overwritten). */
  readonly existingBefore: readonly string[];
}

/** Wraps a store and records every put and delete with what the store held at that moment. */
export class RecordingStore implements ObjectStore {
  readonly calls: StoreCall[] = [];
  readonly #inner: ObjectStore;
  readonly #afterPut: ((key: string) => void) | undefined;

  /** `afterPut` runs after each write lands, e.g. to abort a sync at a chosen point. */
  constructor(inner: ObjectStore, afterPut?: (key: string) => void) {
    this.#inner = inner;
    this.#afterPut = afterPut;
  }

  get location(): string {
    return this.#inner.location;
  }

  async put(key: string, body: Uint8Array | string, contentType?: string): Promise<void> {
    const existingBefore = await this.#inner.list('');
    this.calls.push({ operation: 'put', keys: [key], existingBefore });
    await this.#inner.put(key, body, contentType);
    this.#afterPut?.(key);
  }

  get(key: string): Promise<Uint8Array | undefined> {
    return this.#inner.get(key);
  }

  list(prefix: string): Promise<string[]> {
    return this.#inner.list(prefix);
  }

  async delete(keys: readonly string[]): Promise<void> {
    this.calls.push({ operation: 'delete', keys: [...keys], existingBefore: [] });
    await this.#inner.delete(keys);
  }
}
