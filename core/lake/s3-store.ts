import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { describeError, LakeError } from '../errors.ts';
import type { ObjectStore } from './object-store.ts';
import { awsClientConfig } from '../aws-client-config.ts';

export interface S3ObjectStoreOptions {
  readonly bucket: string;
  /** Folder inside the bucket that holds the lake (`lake` → keys `lake/raw/...`). Slashes around it are ignored. */
  readonly prefix?: string;
  /** A ready client (tests, custom middleware). The options below are then ignored. */
  readonly client?: S3Client;
  /** An S3-compatible endpoint (MinIO, fauxqs, LocalStack…). Omit for AWS. */
  readonly endpoint?: string;
  /** Defaults to the SDK's resolution (AWS_REGION, profile); with an endpoint, to AWS_REGION or us-east-1. */
  readonly region?: string;
  /** Defaults to true with an endpoint (no wildcard DNS needed), false for AWS. */
  readonly forcePathStyle?: boolean;
  /** Defaults to the SDK's credential chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** S3 deletes at most 1,000 keys per DeleteObjects request. */
const DELETE_BATCH = 1000;

/**
 * The lake in an S3 bucket (under an optional prefix). Keys given to and returned by the store
 * are relative to the prefix. A PutObject is atomic for readers, as the port requires.
 */
export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  /** Normalised: no leading or trailing `/`; '' for the bucket root. */
  readonly prefix: string;
  readonly location: string;
  readonly client: S3Client;

  constructor(options: S3ObjectStoreOptions) {
    if (!options.bucket || options.bucket.includes('/')) {
      throw new LakeError(`Invalid S3 bucket name "${options.bucket}"`, { context: { bucket: options.bucket } });
    }
    this.bucket = options.bucket;
    this.prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.location = `s3://${this.bucket}${this.prefix ? `/${this.prefix}` : ''}`;
    this.client = options.client ?? new S3Client(clientConfig(options));
  }

  async put(key: string, body: Uint8Array | string, contentType?: string): Promise<void> {
    checkKey(key, this.bucket, 'put');
    try {
      await this.client.send(new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.fullKey(key),
        Body: body,
        // Explicit: the SDK sets no Content-Length for an empty body and then warns about streams.
        ContentLength: typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength,
        ContentType: contentType ?? 'application/octet-stream',
      }));
    } catch (error) {
      throw this.error('PutObject', { key: this.fullKey(key) }, error);
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    checkKey(key, this.bucket, 'get');
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }));
      return response.Body ? await response.Body.transformToByteArray() : new Uint8Array();
    } catch (error) {
      if (isMissingKey(error)) return undefined;
      throw this.error('GetObject', { key: this.fullKey(key) }, error);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const base = this.prefix ? `${this.prefix}/` : '';
    const fullPrefix = base + prefix;
    const keys: string[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: fullPrefix,
          ContinuationToken: token,
        }));
        for (const object of page.Contents ?? []) {
          if (object.Key !== undefined && object.Key.startsWith(base)) keys.push(object.Key.slice(base.length));
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw this.error('ListObjectsV2', { prefix: fullPrefix }, error);
    }
    return keys.sort();
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) checkKey(key, this.bucket, 'delete');
    for (let start = 0; start < keys.length; start += DELETE_BATCH) {
      const batch = keys.slice(start, start + DELETE_BATCH).map((key) => this.fullKey(key));
      let errors;
      try {
        const response = await this.client.send(new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }));
        errors = response.Errors ?? [];
      } catch (error) {
        throw this.error('DeleteObjects', { key: batch[0], keys: batch.length }, error);
      }
      if (errors.length > 0) {
        const first = errors[0];
        throw new LakeError(
          `S3 DeleteObjects failed for ${errors.length} of ${batch.length} keys in s3://${this.bucket}` +
          ` (first: ${first?.Key}: ${first?.Code} ${first?.Message ?? ''})`,
          {
            cause: errors,
            context: { bucket: this.bucket, key: first?.Key, operation: 'DeleteObjects', failed: errors.length },
          },
        );
      }
    }
  }

  private fullKey(key: string): string {
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  private error(operation: string, where: { key?: string | undefined; prefix?: string; keys?: number }, cause: unknown): LakeError {
    const target = where.key ?? where.prefix ?? '';
    const status = (cause as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
    return new LakeError(`S3 ${operation} failed for s3://${this.bucket}/${target}: ${describeError(cause)}`, {
      cause,
      context: { bucket: this.bucket, ...where, operation, ...(status === undefined ? {} : { status }) },
    });
  }
}

function clientConfig(options: S3ObjectStoreOptions): S3ClientConfig {
  const config: S3ClientConfig = awsClientConfig(options);
  if (options.endpoint) {
    // Virtual-hosted-style needs `<bucket>.<host>` to resolve, which an IP or localhost does not.
    config.forcePathStyle = options.forcePathStyle ?? true;
    // Since SDK 3.729 every request carries CRC checksums by default; many S3-compatible
    // servers reject or mishandle them. Only send/validate them where the API requires it.
    config.requestChecksumCalculation = 'WHEN_REQUIRED';
    config.responseChecksumValidation = 'WHEN_REQUIRED';
  } else if (options.forcePathStyle !== undefined) {
    config.forcePathStyle = options.forcePathStyle;
  }
  return config;
}

/** NoSuchKey, or a bare 404 (some S3-compatible servers) — but not NoSuchBucket, which is a real error. */
function isMissingKey(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'NoSuchKey') return true;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return status === 404 && error.name !== 'NoSuchBucket';
}

/** The same key rules as LocalFolderStore, so what works on a laptop works in AWS. */
function checkKey(key: string, bucket: string, operation: string): void {
  const problem =
    key === '' ? 'is empty'
    : key.startsWith('/') ? 'is absolute'
    : key.includes('\\') ? 'contains a backslash'
    : key.split('/').some((s) => s === '' || s === '.' || s === '..') ? 'has an empty, "." or ".." segment'
    : undefined;
  if (problem) throw new LakeError(`Invalid object key "${key}": it ${problem}`, { context: { bucket, key, operation } });
}
