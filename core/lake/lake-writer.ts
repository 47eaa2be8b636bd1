import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { describeError, LakeError } from '../errors.ts';
import { LocalFolderStore } from './local-folder-store.ts';
import type { ObjectStore } from './object-store.ts';
import { encodeParquet, ParquetFileBuilder } from './parquet.ts';
import { concatBytes } from './parquet/byte-buffer.ts';
import { writeParquetStream, type ParquetStreamOptions } from './parquet-stream.ts';
import type { Row, TableSchema } from '../table/schema.ts';

/**
 * The lake's write rules (ARCHITECTURE.md, "Lake layout and write semantics"):
 *   raw/<table>/dt=YYYY-MM-DD/<source-id>.parquet                 reports: overwrite by partition
 *   raw/<table>/dt=YYYY-MM-DD/<source-id>-<run-id>-<n>.parquet    CRM objects: append versions
 * Several sources may share a table (two GA4 properties); each replaces only its own files.
 */

export function partitionPrefix(table: TableSchema, dt: string): string {
  return `${table.location}/dt=${dt}/`;
}

export interface PartitionWrite {
  readonly key: string | null;
  readonly rows: number;
  readonly bytes: number;
  readonly removed: number;
}

/**
 * Replaces this source's data in one partition: writes the new file first, then deletes the
 * source's other files there. With no rows the partition is cleared for this source
 * (the vendor now reports nothing for that day).
 */
export async function writePartition(
  store: ObjectStore, table: TableSchema, dt: string, sourceId: string, rows: readonly Row[] | ParquetFileBuilder,
): Promise<PartitionWrite> {
  const prefix = partitionPrefix(table, dt);
  const file = encoded(table, rows);
  const key = file ? `${prefix}${sourceId}.parquet` : null;
  if (file && key) await store.put(key, file.body, 'application/vnd.apache.parquet');
  return { key, rows: file?.rows ?? 0, bytes: file?.body.byteLength ?? 0, removed: await removeOtherFiles(store, prefix, sourceId, key) };
}

/** Appends rows as a new file; the name carries the run id so a rerun never overwrites another run's versions. */
export async function appendToPartition(
  store: ObjectStore, table: TableSchema, dt: string, sourceId: string, runId: string, part: number, rows: readonly Row[] | ParquetFileBuilder,
): Promise<PartitionWrite> {
  const file = encoded(table, rows);
  if (!file) return { key: null, rows: 0, bytes: 0, removed: 0 };
  const key = `${partitionPrefix(table, dt)}${sourceId}-${runId}-${part}.parquet`;
  await store.put(key, file.body, 'application/vnd.apache.parquet');
  return { key, rows: file.rows, bytes: file.body.byteLength, removed: 0 };
}

/** Rows, or a file already built from them (a sync's pending partition), as the file's bytes; null for no rows. */
function encoded(table: TableSchema, rows: readonly Row[] | ParquetFileBuilder): { body: Uint8Array; rows: number } | null {
  if (rows instanceof ParquetFileBuilder) return rows.rows > 0 ? { rows: rows.rows, body: rows.finish() } : null;
  return rows.length > 0 ? { rows: rows.length, body: encodeParquet(table, rows) } : null;
}

/**
 * `writePartition` for rows that arrive in batches: the file is streamed (see `putParquetStream`),
 * then the source's other files in the partition are deleted. With no rows at all the partition is
 * cleared for this source, as `writePartition` does; an error from `batches` leaves the partition as it was.
 */
export async function writePartitionStream(
  store: ObjectStore, table: TableSchema, dt: string, sourceId: string,
  batches: AsyncIterable<readonly Row[]> | Iterable<readonly Row[]>, options?: ParquetStreamOptions,
): Promise<PartitionWrite> {
  const prefix = partitionPrefix(table, dt);
  // Look for a first row before writing anything, so an empty read clears the partition instead of writing an empty file.
  const iterator = toAsyncIterator(batches);
  let first: IteratorResult<readonly Row[]>;
  do first = await iterator.next(); while (!first.done && first.value.length === 0);
  let key: string | null = null;
  let rows = 0, bytes = 0;
  if (!first.done) {
    key = `${prefix}${sourceId}.parquet`;
    const rest = { [Symbol.asyncIterator]: () => iterator };
    ({ rows, bytes } = await putParquetStream(store, key, table, prepend(first.value, rest), options));
  }
  return { key, rows, bytes, removed: await removeOtherFiles(store, prefix, sourceId, key) };
}

/**
 * Writes one Parquet file from batches of rows without holding the rows or the file:
 *   - LocalFolderStore: the bytes go to a temp file beside the target as they are encoded, then one
 *     rename puts it in place, the same commit `put` does (a reader sees the old file or the new one).
 *   - any other store: the ObjectStore port only has a whole-object `put`, so the encoded file is
 *     gathered and put at once. The rows still stream, and a file is about 10× smaller than its
 *     rows as JS objects (22 MB for 1M GA4 rows); streaming to S3 too needs a `putStream` (multipart upload) on the port.
 * Nothing is written when `batches` fails; its error comes out unchanged.
 */
export async function putParquetStream(
  store: ObjectStore, key: string, table: TableSchema,
  batches: AsyncIterable<readonly Row[]> | Iterable<readonly Row[]>, options?: ParquetStreamOptions,
): Promise<{ rows: number; bytes: number }> {
  const file = writeParquetStream(table, batches, options);
  if (store instanceof LocalFolderStore) return streamToFolder(store, key, file);
  const chunks: Uint8Array[] = [];
  const result = await drain(file, (chunk) => {
    chunks.push(chunk);
  });
  await store.put(key, concatBytes(chunks, result.bytes), 'application/vnd.apache.parquet');
  return result;
}

async function streamToFolder(
  store: LocalFolderStore, key: string, file: AsyncGenerator<Uint8Array, { rows: number; bytes: number }, undefined>,
): Promise<{ rows: number; bytes: number }> {
  const target = localFile(store, key);
  const dir = path.dirname(target);
  // The name LocalFolderStore gives its own temp files, so `list` never shows a half-written file.
  const temp = path.join(dir, `.${path.basename(target)}.tmp-${randomBytes(6).toString('hex')}`);
  const fail = (cause: unknown) => new LakeError(`Cannot put ${key} in ${store.root}: ${describeError(cause)}`, {
    cause, context: { root: store.root, key, operation: 'put' },
  });
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw fail(error);
  }
  let handle;
  try {
    handle = await open(temp, 'wx');
  } catch (error) {
    // A concurrent delete may remove the (momentarily empty) folder between mkdir and open.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fail(error);
    try {
      await mkdir(dir, { recursive: true });
      handle = await open(temp, 'wx');
    } catch (again) {
      throw fail(again);
    }
  }
  let committed = false;
  try {
    const output = handle;
    const result = await drain(file, async (chunk) => {
      await output.write(chunk);
    });
    await handle.close();
    handle = undefined;
    try {
      await rename(temp, target);
    } catch (error) {
      throw fail(error);
    }
    committed = true;
    return result;
  } finally {
    if (!committed) {
      await handle?.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
    }
  }
}

/** Runs the file generator to its end, handing each chunk over; its return value is the file's rows and bytes. */
async function drain<T>(
  file: AsyncGenerator<Uint8Array, T, undefined>, onChunk: (chunk: Uint8Array) => void | Promise<void>,
): Promise<T> {
  for (;;) {
    const next = await file.next();
    if (next.done) return next.value;
    await onChunk(next.value);
  }
}

/** The file a LocalFolderStore keeps `key` in; the same key rules as the store's own (its check is private). */
function localFile(store: LocalFolderStore, key: string): string {
  const segments = key.split('/');
  if (key === '' || path.isAbsolute(key) || key.includes('\\') || key.includes('\0') || segments.some((s) => s === '' || s === '.' || s === '..') || /^\..+\.tmp-[0-9a-f]{12}$/.test(segments.at(-1)!)) {
    throw new LakeError(`Invalid object key "${key}"`, { context: { root: store.root, key, operation: 'put' } });
  }
  return path.join(store.root, ...segments);
}

function toAsyncIterator<T>(items: AsyncIterable<T> | Iterable<T>): AsyncIterator<T> {
  return Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : (async function* () { yield* items; })();
}

async function* prepend<T>(first: T, rest: AsyncIterable<T>): AsyncGenerator<T, void, undefined> {
  yield first;
  yield* rest;
}

/** `<source-id>.parquet` or `<source-id>-<run-id>-<n>.parquet`; source ids contain no '-' (see SourceBase). */
/** The replace step of both partition writes: this source's files in the partition other than `keep` go. */
async function removeOtherFiles(store: ObjectStore, prefix: string, sourceId: string, keep: string | null): Promise<number> {
  const stale = (await store.list(prefix)).filter((k) => k !== keep && isFileOfSource(k, prefix, sourceId));
  if (stale.length > 0) await store.delete(stale);
  return stale.length;
}

function isFileOfSource(key: string, prefix: string, sourceId: string): boolean {
  const name = key.slice(prefix.length);
  return name === `${sourceId}.parquet` || /^-\d+-\d+\.parquet$/.test(name.startsWith(`${sourceId}-`) ? name.slice(sourceId.length) : '');
}
