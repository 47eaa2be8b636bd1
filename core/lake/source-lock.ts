import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describeError, LakeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { LocalFolderStore } from './local-folder-store.ts';
import type { ObjectStore } from './object-store.ts';
import { S3ObjectStore } from './s3-store.ts';

/**
 * One run at a time per source: a sync takes `_locks/<source-id>.json` before it writes anything
 * of that source and releases it in a `finally`, so two runs never interleave their writes (one
 * replacing a partition while the other moves the cursor).
 *
 * - Local folder: the lock file is created with O_EXCL (`wx`): exactly one creator wins.
 * - S3: a conditional PutObject (`If-None-Match: *`); a stale lock is replaced with `If-Match: <ETag>`.
 * - Any other store (test doubles): no lock.
 *
 * A crashed holder's lock expires: on the same host when its process is gone, otherwise (S3, a
 * shared folder) once it is older than `staleAfterMs` (default 30 min; a Lambda runs 15 at most).
 * Taking over a stale lock is itself exclusive (a marker file created with `wx` locally, `If-Match`
 * on S3), so two waiters never both take it.
 */

export interface SourceLockHolder {
  readonly source: string;
  readonly runId: string;
  readonly pid: number;
  readonly host: string;
  /** When the holder took the lock (ISO). */
  readonly since: string;
  /** Taken for crashed after this long (holders on another host, or S3). */
  readonly staleAfterMs: number;
  /** Identifies this holding; a takeover names the token it replaced. */
  readonly token: string;
}

export interface SourceLockOptions {
  readonly runId: string;
  /** How long to wait for another run of the source to finish; default 0: fail at once. */
  readonly waitMs?: number;
  /** How often to look again while waiting; default 1 s. */
  readonly pollMs?: number;
  /** Default 30 minutes. */
  readonly staleAfterMs?: number;
  readonly log?: Logger;
}

export interface SourceLock {
  readonly key: string;
  readonly holder: SourceLockHolder;
  /** Removes the lock if it is still this run's. */
  release(): Promise<void>;
}

/** Another run holds the source's lock (and did not let go within the wait). */
export class SourceLockedError extends LakeError {}

export const defaultStaleAfterMs = 30 * 60_000;
/** A takeover takes milliseconds; its marker this old was left by a taker that died. */
const abandonedTakeoverMs = 30_000;

export function sourceLockKey(sourceId: string): string {
  return `_locks/${sourceId}.json`;
}

/** What a store offers for the lock; undefined when it offers nothing (the sync then runs unlocked). */
interface LockBackend {
  readonly where: string;
  /** Same-host holders are judged by their process, others by age. */
  readonly local: boolean;
  /** Creates the lock with this body unless it exists; false when it exists. */
  create(body: string): Promise<boolean>;
  /** The lock's body and a version to replace it by, or undefined when there is none. */
  read(): Promise<{ readonly body: string; readonly version: string } | undefined>;
  /** Replaces the lock only if it is still at `version`, and only one caller per version wins. */
  replace(version: string, body: string): Promise<boolean>;
  /** Removes the lock if it still holds `token`. */
  remove(token: string): Promise<void>;
}

export async function acquireSourceLock(store: ObjectStore, sourceId: string, options: SourceLockOptions): Promise<SourceLock | undefined> {
  const key = sourceLockKey(sourceId);
  const backend = backendFor(store, key);
  if (!backend) return undefined;
  const staleAfterMs = options.staleAfterMs ?? defaultStaleAfterMs;
  const waitMs = options.waitMs ?? 0;
  const pollMs = options.pollMs ?? 1000;
  const deadline = Date.now() + waitMs;
  const context = { source: sourceId, key, where: backend.where };
  let told = false;
  for (;;) {
    const holder: SourceLockHolder = {
      source: sourceId, runId: options.runId, pid: process.pid, host: os.hostname(), since: new Date().toISOString(),
      staleAfterMs, token: randomBytes(8).toString('hex'),
    };
    const body = JSON.stringify(holder, null, 2) + '\n';
    if (await backend.create(body)) return held(backend, key, holder);

    const current = await backend.read();
    if (!current) continue; // released in between: try again at once
    const other = parseHolder(current.body);
    if (other === undefined || isStale(other, backend.local)) {
      if (await backend.replace(current.version, body)) {
        options.log?.warn(other
          ? `took over the lock of source ${sourceId} from run ${other.runId} (pid ${other.pid} on ${other.host}, since ${other.since}), which is no longer running`
          : `took over an unreadable lock of source ${sourceId}`, { key });
        return held(backend, key, holder);
      }
      continue;
    }
    const busy = `source ${sourceId} is being synced by another run since ${other.since} (run ${other.runId}, pid ${other.pid} on ${other.host})`;
    const now = Date.now();
    if (now >= deadline) {
      throw new SourceLockedError(`${busy}; try again later (or, if that run is gone for good, delete ${backend.where})`, {
        context: { ...context, holder: other.runId, since: other.since },
      });
    }
    if (!told) {
      options.log?.info(`${busy}; waiting up to ${Math.round(waitMs / 1000)} s`);
      told = true;
    }
    await new Promise<void>((resolve) => setTimeout(resolve, Math.min(pollMs, deadline - now)));
  }
}

function held(backend: LockBackend, key: string, holder: SourceLockHolder): SourceLock {
  let released = false;
  return {
    key, holder,
    async release() {
      if (released) return;
      released = true;
      await backend.remove(holder.token);
    },
  };
}

function parseHolder(body: string): SourceLockHolder | undefined {
  try {
    const value = JSON.parse(body) as Partial<SourceLockHolder>;
    if (typeof value.runId !== 'string' || typeof value.pid !== 'number' || typeof value.host !== 'string' ||
      typeof value.since !== 'string' || typeof value.token !== 'string') return undefined;
    return { staleAfterMs: defaultStaleAfterMs, source: '', ...value } as SourceLockHolder;
  } catch {
    return undefined;
  }
}

/** Same host (a local folder): stale when the process is gone. Elsewhere: stale when older than its staleAfterMs. */
function isStale(holder: SourceLockHolder, local: boolean): boolean {
  if (local && holder.host === os.hostname()) return !isRunning(holder.pid);
  const since = Date.parse(holder.since);
  return Number.isNaN(since) || Date.now() - since > holder.staleAfterMs;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function backendFor(store: ObjectStore, key: string): LockBackend | undefined {
  if (store instanceof LocalFolderStore) return localBackend(path.join(store.root, ...key.split('/')));
  if (store instanceof S3ObjectStore) return s3Backend(store, store.prefix ? `${store.prefix}/${key}` : key);
  return undefined;
}

function localBackend(file: string): LockBackend {
  const marker = (token: string) => `${file}.takeover-${token}`;
  const failure = (operation: string, cause: unknown) =>
    new LakeError(`Cannot ${operation} the lock file ${file}: ${describeError(cause)}`, { cause, context: { key: file, operation } });
  return {
    where: file,
    local: true,
    async create(body) {
      try {
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, body, { flag: 'wx' });
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw failure('create', error);
      }
    },
    async read() {
      let body: string;
      try {
        body = await readFile(file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw failure('read', error);
      }
      if (body === '') {
        // Created with wx and not written yet (or its creator died in between): a holder of unknown
        // host that expires by age like any other.
        const since = (await stat(file).catch(() => undefined))?.mtime ?? new Date();
        return { body: JSON.stringify({ runId: '(unknown: empty lock file)', pid: -1, host: '(unknown)', since: since.toISOString(), token: '' }), version: '' };
      }
      return { body, version: parseHolder(body)?.token ?? body };
    },
    async replace(version, body) {
      // Only the waiter that creates the marker for this holding may replace it. The marker goes
      // once the lock is replaced: a later waiter that still read the old holding then finds the
      // lock changed when it reads it again. A marker left by a taker that died is removed by age.
      const claim = marker(version);
      try {
        await writeFile(claim, body, { flag: 'wx' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw failure('take over', error);
        const age = Date.now() - ((await stat(claim).catch(() => undefined))?.mtimeMs ?? Date.now());
        if (age > abandonedTakeoverMs) await unlink(claim).catch(() => undefined);
        return false;
      }
      try {
        const current = await this.read();
        if (!current || current.version !== version) return false;
        const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
        await writeFile(temp, body, { flag: 'wx' });
        await rename(temp, file);
        return true;
      } finally {
        await unlink(claim).catch(() => undefined);
      }
    },
    async remove(token) {
      const current = await this.read();
      if (current && current.version === token) await unlink(file).catch(() => undefined);
    },
  };
}

/** The S3 lock: conditional writes on the store's own client (If-None-Match to create, If-Match to take over). */
function s3Backend(store: S3ObjectStore, fullKey: string): LockBackend {
  const where = `s3://${store.bucket}/${fullKey}`;
  const failure = (operation: string, cause: unknown) =>
    new LakeError(`S3 ${operation} failed for the lock ${where}: ${describeError(cause)}`, { cause, context: { bucket: store.bucket, key: fullKey, operation } });
  return {
    where,
    local: false,
    async create(body) {
      return putIfAbsent(store, fullKey, body).catch((error: unknown) => {
        throw failure('PutObject (If-None-Match)', error);
      });
    },
    async read() {
      try {
        const answer = await store.client.send(new GetObjectCommand({ Bucket: store.bucket, Key: fullKey }));
        return { body: answer.Body ? await answer.Body.transformToString() : '', version: answer.ETag ?? '' };
      } catch (error) {
        if (isStatus(error, 404) || (error as Error).name === 'NoSuchKey') return undefined;
        throw failure('GetObject', error);
      }
    },
    async replace(version, body) {
      try {
        await store.client.send(new PutObjectCommand({
          Bucket: store.bucket, Key: fullKey, Body: body, ContentType: 'application/json', IfMatch: version,
        }));
        return true;
      } catch (error) {
        if (isPreconditionFailure(error) || isStatus(error, 404)) return false;
        throw failure('PutObject (If-Match)', error);
      }
    },
    async remove(token) {
      const current = await this.read();
      if (!current || parseHolder(current.body)?.token !== token) return;
      try {
        await store.client.send(new DeleteObjectCommand({ Bucket: store.bucket, Key: fullKey }));
      } catch (error) {
        throw failure('DeleteObject', error);
      }
    },
  };
}

/**
 * Writes `body` at `fullKey` (a key in the bucket, prefix included) only if no object is there:
 * true when written, false when one exists (S3 answers 412 Precondition Failed, or 409 when a
 * concurrent conditional write is in flight).
 */
export async function putIfAbsent(store: S3ObjectStore, fullKey: string, body: string): Promise<boolean> {
  try {
    await store.client.send(new PutObjectCommand({
      Bucket: store.bucket, Key: fullKey, Body: body, ContentType: 'application/json', IfNoneMatch: '*',
    }));
    return true;
  } catch (error) {
    if (isPreconditionFailure(error)) return false;
    throw error;
  }
}

function isPreconditionFailure(error: unknown): boolean {
  const name = (error as Error | undefined)?.name;
  return name === 'PreconditionFailed' || name === 'ConditionalRequestConflict' || isStatus(error, 412) || isStatus(error, 409);
}

function isStatus(error: unknown, status: number): boolean {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode === status;
}
