import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeError, LakeError } from '../errors.ts';
import type { ObjectStore } from './object-store.ts';

/** `.<name>.tmp-<hex>`: a file being written by `put`, never listed. */
const TEMP_FILE = /^\..+\.tmp-[0-9a-f]{12}$/;

/**
 * The lake as a local folder: key `raw/t/dt=2026-01-01/a.parquet` is the file
 * `<root>/raw/t/dt=2026-01-01/a.parquet`.
 *
 * - `put` writes a temp file next to the target and renames it over the target, so a reader
 *   (DuckDB scanning a partition) sees the old file or the new one, never half of one.
 *   There is no fsync: the rename is atomic for readers, not durable across a power cut.
 * - `list` has S3 prefix semantics: the prefix is a string prefix of the key, not a folder.
 * - `delete` removes folders it leaves empty, up to (not including) the root, so a cleared
 *   partition leaves no empty `dt=` folder behind.
 *
 * Unlike S3, a key cannot be both an object and a "folder" (`a` and `a/b`): the second put fails.
 */
export class LocalFolderStore implements ObjectStore {
  readonly root: string;
  readonly location: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.location = this.root;
  }

  async put(key: string, body: Uint8Array | string, _contentType?: string): Promise<void> {
    const file = this.fileOf(key, 'put');
    const dir = path.dirname(file);
    const temp = path.join(dir, `.${path.basename(file)}.tmp-${randomBytes(6).toString('hex')}`);
    try {
      // A concurrent delete may remove the (momentarily empty) folder between mkdir and write:
      // create it again and retry.
      for (let attempt = 1; ; attempt++) {
        await mkdir(dir, { recursive: true });
        try {
          await writeFile(temp, body, { flag: 'wx' });
          break;
        } catch (error) {
          if (!isCode(error, 'ENOENT') || attempt >= 3) throw error;
        }
      }
      await rename(temp, file);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw this.error('put', key, error);
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const file = this.fileOf(key, 'get');
    try {
      const buffer = await readFile(file);
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (error) {
      // ENOENT: no such object; EISDIR: `key` is a "folder" (S3 has no object there either);
      // ENOTDIR: a parent of `key` is an object.
      if (isCode(error, 'ENOENT') || isCode(error, 'EISDIR') || isCode(error, 'ENOTDIR')) return undefined;
      throw this.error('get', key, error);
    }
  }

  async list(prefix: string): Promise<string[]> {
    if (prefix !== '') checkKeyShape(prefix, true, { root: this.root, prefix, operation: 'list' });
    // Start in the deepest folder the prefix names; the rest of the prefix filters names.
    const startKey = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    const keys: string[] = [];
    const walk = async (dirKey: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(path.join(this.root, ...dirKey.split('/')), { withFileTypes: true });
      } catch (error) {
        // Missing prefix, or a folder deleted while we walk.
        if (isCode(error, 'ENOENT') || isCode(error, 'ENOTDIR')) return;
        throw new LakeError(`Cannot list ${this.root} under "${prefix}": ${describeError(error)}`, {
          cause: error, context: { root: this.root, prefix, operation: 'list' },
        });
      }
      const folders: string[] = [];
      for (const entry of entries) {
        const key = dirKey + entry.name;
        if (entry.isDirectory()) {
          const asFolder = `${key}/`;
          if (asFolder.startsWith(prefix) || prefix.startsWith(asFolder)) folders.push(asFolder);
        } else if (entry.isFile() && !TEMP_FILE.test(entry.name) && key.startsWith(prefix)) {
          keys.push(key);
        }
      }
      await Promise.all(folders.map(walk));
    };
    await walk(startKey);
    return keys.sort();
  }

  /**
   * Deletes temp files of puts that never finished (the process was killed between writing and
   * renaming). Only files untouched for `olderThanMs` (default 15 minutes): a put running now in
   * another process keeps writing its temp file, so it stays.
   */
  async sweepLeftovers(olderThanMs = 15 * 60_000): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return; // gone while we walk
      }
      for (const entry of entries) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) await walk(file);
        else if (entry.isFile() && TEMP_FILE.test(entry.name)) {
          const info = await stat(file).catch(() => undefined);
          if (!info || info.mtimeMs > cutoff) continue;
          await unlink(file).then(() => removed++, () => undefined);
          await this.removeEmptyParents(dir);
        }
      }
    };
    await walk(this.root);
    return removed;
  }

  async delete(keys: readonly string[]): Promise<void> {
    const files = keys.map((key) => ({ key, file: this.fileOf(key, 'delete') }));
    for (const { key, file } of files) {
      try {
        await unlink(file);
      } catch (error) {
        if (isCode(error, 'ENOENT') || isCode(error, 'ENOTDIR')) continue;
        throw this.error('delete', key, error);
      }
      await this.removeEmptyParents(path.dirname(file));
    }
  }

  /** rmdir only succeeds on an empty folder, so this never removes data (or a put's temp file). */
  private async removeEmptyParents(dir: string): Promise<void> {
    for (let current = dir; isInside(this.root, current); current = path.dirname(current)) {
      try {
        await rmdir(current);
      } catch {
        return; // not empty (ENOTEMPTY/EEXIST), already gone, or not ours to remove: stop here
      }
    }
  }

  private fileOf(key: string, operation: string): string {
    checkKeyShape(key, false, { root: this.root, key, operation });
    return path.join(this.root, ...key.split('/'));
  }

  private error(operation: string, key: string, cause: unknown): LakeError {
    return new LakeError(`Cannot ${operation} ${key} in ${this.root}: ${describeError(cause)}`, {
      cause, context: { root: this.root, key, operation },
    });
  }
}

/**
 * Keys are `/`-separated relative paths: not empty, not absolute, no backslash, no empty,
 * `.` or `..` segment. A list prefix may end with `/` or with a partial name.
 */
function checkKeyShape(key: string, isPrefix: boolean, context: Record<string, unknown>): void {
  const problem =
    key === '' ? 'is empty'
    : key.startsWith('/') || path.isAbsolute(key) ? 'is absolute'
    : key.includes('\\') ? 'contains a backslash'
    : key.includes('\0') ? 'contains a NUL character'
    : badSegment(key, isPrefix);
  if (problem) throw new LakeError(`Invalid object key "${key}": it ${problem}`, { context });
}

function badSegment(key: string, isPrefix: boolean): string | undefined {
  const segments = key.split('/');
  for (const [i, segment] of segments.entries()) {
    const last = i === segments.length - 1;
    // A prefix's last segment is only a string filter on names ('raw/t/dt=2026-01-0', '.'), never a path.
    if (isPrefix && last) break;
    if (segment === '..') return 'contains a ".." segment';
    if (segment === '.') return 'contains a "." segment';
    if (segment === '') return last ? 'ends with "/"' : 'contains an empty segment ("//")';
  }
  if (!isPrefix && TEMP_FILE.test(segments[segments.length - 1] ?? '')) return 'looks like a temp file of put';
  return undefined;
}

/** True when `dir` is strictly below `root`. */
function isInside(root: string, dir: string): boolean {
  const relative = path.relative(root, dir);
  return relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}

function isCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
