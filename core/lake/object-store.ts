/**
 * The object-store port: S3 in AWS, a folder locally, any S3-compatible endpoint in between.
 * Keys use `/` and never start with one.
 */
export interface ObjectStore {
  /** Writes the whole object at once: readers see the old object or the new one, never half of it. */
  put(key: string, body: Uint8Array | string, contentType?: string): Promise<void>;
  /** The object's bytes, or undefined when there is none. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Every key under the prefix (recursive), sorted. */
  list(prefix: string): Promise<string[]>;
  delete(keys: readonly string[]): Promise<void>;
  /**
   * Removes what a writer killed mid-write left behind (a folder's temp files) and says how many;
   * optional: on S3 an unfinished put leaves nothing visible (the bucket's lifecycle rule aborts
   * incomplete multipart uploads).
   */
  sweepLeftovers?(): Promise<number>;
  /** Where the objects are, for messages: a folder path or `s3://bucket/prefix`. */
  readonly location: string;
}

export async function getText(store: ObjectStore, key: string): Promise<string | undefined> {
  const bytes = await store.get(key);
  return bytes === undefined ? undefined : new TextDecoder().decode(bytes);
}
