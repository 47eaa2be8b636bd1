import { fileURLToPath } from 'node:url';
import { LakeError } from '../errors.ts';
import { LocalFolderStore } from './local-folder-store.ts';
import type { ObjectStore } from './object-store.ts';
import { S3ObjectStore } from './s3-store.ts';

export interface OpenObjectStoreOptions {
  /** An S3-compatible endpoint; defaults to env `S3_ENDPOINT`, else AWS. */
  readonly endpoint?: string;
  readonly region?: string;
}

/**
 * The lake at `location`:
 * - `s3://bucket` or `s3://bucket/prefix` → S3ObjectStore (endpoint from options or `S3_ENDPOINT`;
 *   credentials and, without an endpoint, region from the SDK's usual chain);
 * - `file:///abs/path` or a plain path (relative to the working directory) → LocalFolderStore.
 * Any other `scheme://` is rejected rather than taken for a folder name.
 */
export function openObjectStore(location: string, options: OpenObjectStoreOptions = {}): ObjectStore {
  const s3 = /^s3:\/\/([^/]*)\/*(.*)$/i.exec(location);
  if (s3) {
    const bucket = s3[1] ?? '';
    if (!bucket) throw new LakeError(`No bucket in lake location "${location}" (expected s3://bucket/prefix)`, { context: { location } });
    const endpoint = options.endpoint ?? (process.env['S3_ENDPOINT'] || undefined);
    return new S3ObjectStore({
      bucket,
      prefix: s3[2] ?? '',
      ...(endpoint ? { endpoint } : {}),
      ...(options.region ? { region: options.region } : {}),
    });
  }
  if (/^file:\/\//i.test(location)) return new LocalFolderStore(fileURLToPath(location));
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(location);
  if (scheme) {
    throw new LakeError(`Unsupported lake location "${location}": use s3://bucket/prefix or a folder path`, {
      context: { location, scheme: scheme[1] },
    });
  }
  if (location.trim() === '') throw new LakeError('The lake location is empty', { context: { location } });
  return new LocalFolderStore(location);
}
