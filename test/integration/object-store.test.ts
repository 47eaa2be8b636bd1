import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { buildApp } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LakeError } from '../../core/errors.ts';
import { LocalFolderStore } from '../../core/lake/local-folder-store.ts';
import { getText, type ObjectStore } from '../../core/lake/object-store.ts';
import { openObjectStore } from '../../core/lake/open-object-store.ts';
import { S3ObjectStore } from '../../core/lake/s3-store.ts';

/** How the contract suite gets a fresh, empty store for each test. */
interface Harness {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  open(): Promise<ObjectStore>;
}

const REGION = 'us-east-1';
const DUMMY_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

// ---- LocalFolderStore: a temp folder, one sub-folder (not yet created) per test ----
let localBase = '';
let localCase = 0;
const localHarness: Harness = {
  name: 'LocalFolderStore',
  async start() {
    localBase = await mkdtemp(path.join(os.tmpdir(), 'kpi-object-store-'));
  },
  async stop() {
    await rm(localBase, { recursive: true, force: true });
  },
  async open() {
    return new LocalFolderStore(path.join(localBase, `case-${++localCase}`));
  },
};

// ---- S3ObjectStore: fauxqs on 127.0.0.1, one bucket, one prefix per test ----
const BUCKET = 'lake-test';
let fauxqs: ReturnType<typeof buildApp> | undefined;
let endpoint = '';
let rawClient: S3Client | undefined;
let s3Case = 0;

function s3Options() {
  return { endpoint, region: REGION, credentials: DUMMY_CREDENTIALS };
}

const s3Harness: Harness = {
  name: 'S3ObjectStore (fauxqs)',
  async start() {
    // Belt and braces: the clients have explicit credentials, region and endpoint, so the SDK has
    // no reason to reach for instance metadata (IMDS) or AWS — make sure it cannot.
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
    // startFauxqs() always listens on 0.0.0.0; buildApp() + listen() lets us bind loopback only.
    fauxqs = buildApp({ logger: false });
    await fauxqs.listen({ port: 0, host: '127.0.0.1' });
    const { port } = fauxqs.server.address() as AddressInfo;
    endpoint = `http://127.0.0.1:${port}`;
    rawClient = new S3Client({ ...s3Options(), forcePathStyle: true });
    await rawClient.send(new CreateBucketCommand({ Bucket: BUCKET }));
  },
  async stop() {
    rawClient?.destroy();
    await fauxqs?.close();
    vi.unstubAllEnvs();
  },
  async open() {
    return new S3ObjectStore({ bucket: BUCKET, prefix: `lake/case-${++s3Case}`, ...s3Options() });
  },
};

/** Runs `fn` over `items`, at most `limit` at a time. */
async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function putAll(store: ObjectStore, keys: readonly string[]): Promise<void> {
  await forEachLimit(keys, 16, (key) => store.put(key, `body of ${key}`));
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

describe.each([localHarness, s3Harness])('ObjectStore contract: $name', (harness) => {
  beforeAll(() => harness.start());
  afterAll(() => harness.stop());

  it('round-trips bytes and strings', async () => {
    // Prepare
    const store = await harness.open();
    const bytes = new Uint8Array([0, 1, 2, 127, 128, 254, 255]);

    // Act
    await store.put('raw/t/dt=2026-01-01/a.parquet', bytes, 'application/vnd.apache.parquet');
    await store.put('_state/ga4/sessions.json', '{"cursor":"2026-01-01","note":"é✓"}', 'application/json');

    // Assess
    expect(await store.get('raw/t/dt=2026-01-01/a.parquet')).toEqual(bytes);
    expect(await getText(store, '_state/ga4/sessions.json')).toBe('{"cursor":"2026-01-01","note":"é✓"}');
  });

  it('round-trips an empty object', async () => {
    const store = await harness.open();

    await store.put('raw/empty.txt', '');

    expect(await store.get('raw/empty.txt')).toEqual(new Uint8Array());
    expect(await store.list('raw/')).toEqual(['raw/empty.txt']);
  });

  it('returns undefined for a missing key', async () => {
    // Prepare
    const store = await harness.open();
    await store.put('raw/t/dt=2026-01-01/a.parquet', 'x');

    // Act
    const missing = await store.get('raw/t/dt=2026-01-01/b.parquet');
    const folderLike = await store.get('raw/t/dt=2026-01-01');
    const underAnObject = await store.get('raw/t/dt=2026-01-01/a.parquet/deeper');

    // Assess
    expect(missing).toBeUndefined();
    expect(folderLike).toBeUndefined();
    expect(underAnObject).toBeUndefined();
  });

  it('overwrites an object completely', async () => {
    const store = await harness.open();
    await store.put('raw/t/dt=2026-01-01/a.parquet', 'a much longer first version');

    await store.put('raw/t/dt=2026-01-01/a.parquet', 'short');

    expect(await getText(store, 'raw/t/dt=2026-01-01/a.parquet')).toBe('short');
    expect(await store.list('raw/')).toEqual(['raw/t/dt=2026-01-01/a.parquet']);
  });

  it('lists recursively and sorted, with S3 string-prefix semantics', async () => {
    // Prepare
    const store = await harness.open();
    const keys = [
      'raw/t/dt=2026-02-01/c.parquet',
      'raw/u/x.parquet',
      'raw/t/dt=2026-01-02/b.parquet',
      'raw/tt/z.parquet',
      'raw/t/dt=2026-01-01/a.parquet',
      'raw/t/dt=2026-01-01/nested/deep/d.parquet',
      '_state/s/x.json',
    ];
    await putAll(store, keys);

    // Act
    const partialName = await store.list('raw/t/dt=2026-01-0');
    const folder = await store.list('raw/t/');
    const notAFolderBoundary = await store.list('raw/t');
    const everything = await store.list('');
    const exactKey = await store.list('raw/u/x.parquet');

    // Assess
    expect(partialName).toEqual([
      'raw/t/dt=2026-01-01/a.parquet',
      'raw/t/dt=2026-01-01/nested/deep/d.parquet',
      'raw/t/dt=2026-01-02/b.parquet',
    ]);
    expect(folder).toEqual([...partialName, 'raw/t/dt=2026-02-01/c.parquet']);
    expect(notAFolderBoundary).toEqual([...folder, 'raw/tt/z.parquet']);
    expect(everything).toEqual([...keys].sort());
    expect(exactKey).toEqual(['raw/u/x.parquet']);
  });

  it('lists nothing as []', async () => {
    const store = await harness.open();

    expect(await store.list('')).toEqual([]);
    expect(await store.list('raw/')).toEqual([]);

    await store.put('raw/a', 'x');
    expect(await store.list('nope/')).toEqual([]);
    expect(await store.list('raw/a/')).toEqual([]);
    expect(await store.list('raw/b')).toEqual([]);
  });

  it('deletes several keys, ignoring missing ones', async () => {
    // Prepare
    const store = await harness.open();
    await putAll(store, ['raw/t/dt=2026-01-01/a', 'raw/t/dt=2026-01-01/b', 'raw/t/dt=2026-01-02/c', 'raw/u/d']);

    // Act
    await store.delete(['raw/t/dt=2026-01-01/a', 'raw/t/dt=2026-01-02/c', 'raw/t/dt=2026-01-03/missing', 'raw/u/d']);
    await store.delete([]);

    // Assess
    expect(await store.list('')).toEqual(['raw/t/dt=2026-01-01/b']);
    expect(await store.get('raw/t/dt=2026-01-01/a')).toBeUndefined();
    expect(await getText(store, 'raw/t/dt=2026-01-01/b')).toBe('body of raw/t/dt=2026-01-01/b');
  });

  it('lists and deletes more than 1,000 keys (paging, delete batches)', { timeout: 60_000 }, async () => {
    // Prepare
    const store = await harness.open();
    const keys = Array.from({ length: 1205 }, (_, i) => `raw/many/dt=2026-01-${String(i % 28 + 1).padStart(2, '0')}/f-${i}.parquet`);
    await putAll(store, keys);
    await store.put('raw/other/x.parquet', 'x');

    // Act
    const listed = await store.list('raw/many/');
    await store.delete(listed);
    const afterDelete = await store.list('raw/');

    // Assess
    expect(listed).toHaveLength(1205);
    expect(listed).toEqual([...keys].sort());
    expect(afterDelete).toEqual(['raw/other/x.parquet']);
  });

  it('handles keys with =, spaces, + and unicode', async () => {
    // Prepare
    const store = await harness.open();
    const keys = ['raw/t/dt=2026-11-22/한글.parquet', 'raw/t/dt=2026-11-22/a b+c&d.parquet', 'raw/t/dt=2026-11-22/émoji-🚀.parquet'];

    // Act
    await putAll(store, keys);
    const listed = await store.list('raw/t/dt=2026-11-22/');
    const bodies = await Promise.all(keys.map((key) => getText(store, key)));
    await store.delete([keys[0] as string]);

    // Assess
    expect(listed).toEqual([...keys].sort());
    expect(bodies).toEqual(keys.map((key) => `body of ${key}`));
    expect(await store.list('raw/t/dt=2026-11-22/한')).toEqual([]);
  });

  it('rejects malformed keys with a LakeError', async () => {
    const store = await harness.open();

    for (const key of ['', '/abs/key', '../escape', 'raw/../../escape', 'raw\\t\\a', 'raw//a', 'raw/t/']) {
      const error = await rejection(store.put(key, 'x'));
      expect(error, `put(${JSON.stringify(key)})`).toBeInstanceOf(LakeError);
      expect((error as LakeError).context['key']).toBe(key);
      expect(await rejection(store.get(key))).toBeInstanceOf(LakeError);
      expect(await rejection(store.delete(['fine', key]))).toBeInstanceOf(LakeError);
    }
    expect(await store.list('')).toEqual([]);
  });
});

describe('LocalFolderStore', () => {
  let base = '';
  beforeAll(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'kpi-local-store-'));
  });
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  async function allFiles(root: string): Promise<string[]> {
    const entries = await readdir(root, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile())
      .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
      .sort();
  }

  it('sweeps the temp files a killed put left behind, but not one being written now, nor any object', async () => {
    // Prepare: an object, an old temp file in its own partition folder, and a fresh temp file beside the object
    const root = path.join(base, 'sweep');
    const store = new LocalFolderStore(root);
    await store.put('raw/t/dt=2026-11-01/web.parquet', 'data');
    await mkdir(path.join(root, 'raw/t/dt=2026-11-02'), { recursive: true });
    const orphan = path.join(root, 'raw/t/dt=2026-11-02/.web.parquet.tmp-0123456789ab');
    const writing = path.join(root, 'raw/t/dt=2026-11-01/.web.parquet.tmp-ba9876543210');
    await writeFile(orphan, 'half');
    await writeFile(writing, 'half');
    const anHourAgo = new Date(Date.now() - 3_600_000);
    await utimes(orphan, anHourAgo, anHourAgo);

    // Act
    const removed = await store.sweepLeftovers();

    // Assess: the orphan and the folder it left empty are gone
    expect(removed).toBe(1);
    expect(await allFiles(root)).toEqual(['raw/t/dt=2026-11-01/.web.parquet.tmp-ba9876543210', 'raw/t/dt=2026-11-01/web.parquet']);
    expect(await readdir(path.join(root, 'raw/t'))).toEqual(['dt=2026-11-01']);
  });

  it('resolves its root to an absolute path and reports it as its location', () => {
    const store = new LocalFolderStore('some/relative/lake');

    expect(store.root).toBe(path.resolve('some/relative/lake'));
    expect(store.location).toBe(store.root);
  });

  it('leaves no temp files behind after puts, even concurrent overwrites of one key', async () => {
    // Prepare
    const root = path.join(base, 'no-temp');
    const store = new LocalFolderStore(root);

    // Act
    await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => store.put('raw/t/dt=2026-01-01/same.parquet', `version ${i}`)),
      store.put('raw/t/dt=2026-01-02/other.parquet', 'other'),
    ]);

    // Assess
    expect(await allFiles(root)).toEqual(['raw/t/dt=2026-01-01/same.parquet', 'raw/t/dt=2026-01-02/other.parquet']);
    expect(await getText(store, 'raw/t/dt=2026-01-01/same.parquet')).toMatch(/^version \d+$/);
  });

  it('never lets a reader see half a file while it is overwritten', async () => {
    // Prepare
    const root = path.join(base, 'atomic');
    const store = new LocalFolderStore(root);
    const size = 4 * 1024 * 1024;
    const versions = [new Uint8Array(size).fill(0x61), new Uint8Array(size).fill(0x62)];
    const key = 'raw/t/dt=2026-01-01/big.parquet';
    await store.put(key, versions[0] as Uint8Array);
    let writing = true;

    // Act
    const writer = (async () => {
      for (let i = 1; i <= 20; i++) await store.put(key, versions[i % 2] as Uint8Array);
      writing = false;
    })();
    const seen: string[] = [];
    while (writing) {
      const bytes = await readFile(path.join(root, key)); // what DuckDB would read
      const first = bytes[0];
      const whole = bytes.length === size && bytes.every((b) => b === first);
      seen.push(whole ? String.fromCharCode(first ?? 0) : `torn(${bytes.length})`);
    }
    await writer;

    // Assess
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((s) => s !== 'a' && s !== 'b')).toEqual([]);
  });

  it('does not list stale temp files', async () => {
    // Prepare
    const root = path.join(base, 'stale-temp');
    const store = new LocalFolderStore(root);
    await store.put('raw/t/dt=2026-01-01/a.parquet', 'a');
    await writeFile(path.join(root, 'raw/t/dt=2026-01-01/.b.parquet.tmp-0123456789ab'), 'half');

    // Act
    const listed = await store.list('raw/');

    // Assess
    expect(listed).toEqual(['raw/t/dt=2026-01-01/a.parquet']);
  });

  it('removes folders left empty by delete, up to but not including the root', async () => {
    // Prepare
    const root = path.join(base, 'prune');
    const store = new LocalFolderStore(root);
    await putAll(store, ['raw/t/dt=2026-01-01/a.parquet', 'raw/t/dt=2026-01-01/b.parquet', 'raw/t/dt=2026-01-02/c.parquet']);
    await mkdir(path.join(root, 'raw/t/dt=2026-01-03'));

    // Act
    await store.delete(['raw/t/dt=2026-01-01/a.parquet', 'raw/t/dt=2026-01-01/b.parquet']);
    const afterPartition = await readdir(path.join(root, 'raw/t'));
    await store.delete(['raw/t/dt=2026-01-02/c.parquet']);
    const afterLast = await readdir(path.join(root, 'raw/t'));

    // Assess
    expect(afterPartition.sort()).toEqual(['dt=2026-01-02', 'dt=2026-01-03']);
    expect(afterLast).toEqual(['dt=2026-01-03']); // an empty folder delete did not empty stays alone
    await store.delete(['raw/t/dt=2026-01-03/none.parquet']);
    await store.put('x/y', 'y');
    await store.delete(['x/y']);
    expect((await readdir(root)).sort()).toEqual(['raw']);
    expect((await stat(root)).isDirectory()).toBe(true);
  });

  it('rejects keys and prefixes that would leave the root, with context', async () => {
    const root = path.join(base, 'bad-keys');
    const store = new LocalFolderStore(root);

    const error = await rejection(store.put('../outside.txt', 'x'));
    const listError = await rejection(store.list('raw/../../'));

    expect(error).toBeInstanceOf(LakeError);
    expect((error as LakeError).context).toMatchObject({ root, key: '../outside.txt', operation: 'put' });
    expect(listError).toBeInstanceOf(LakeError);
    await expect(stat(path.join(base, 'outside.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('wraps file-system failures in LakeError with the key', async () => {
    // Prepare: an object where a folder is needed
    const root = path.join(base, 'fs-error');
    const store = new LocalFolderStore(root);
    await store.put('raw/t', 'a file, not a folder');

    // Act
    const error = await rejection(store.put('raw/t/dt=2026-01-01/a.parquet', 'x'));

    // Assess
    expect(error).toBeInstanceOf(LakeError);
    expect((error as LakeError).context).toMatchObject({ root, key: 'raw/t/dt=2026-01-01/a.parquet', operation: 'put' });
    expect((error as LakeError).cause).toMatchObject({ code: expect.stringMatching(/^(ENOTDIR|EEXIST)$/) });
  });
});

describe('S3ObjectStore (fauxqs)', () => {
  beforeAll(() => s3Harness.start());
  afterAll(() => s3Harness.stop());

  it('stores keys under its prefix and strips it when listing', async () => {
    // Prepare
    const store = new S3ObjectStore({ bucket: BUCKET, prefix: '/tenant-a/lake/', ...s3Options() });

    // Act
    await store.put('raw/t/dt=2026-01-01/a.parquet', 'a');
    const raw = await rawClient!.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'tenant-a/' }));

    // Assess
    expect(store.location).toBe(`s3://${BUCKET}/tenant-a/lake`);
    expect(raw.Contents?.map((o) => o.Key)).toEqual(['tenant-a/lake/raw/t/dt=2026-01-01/a.parquet']);
    expect(await store.list('')).toEqual(['raw/t/dt=2026-01-01/a.parquet']);
  });

  it('works at the bucket root', async () => {
    // Prepare
    await rawClient!.send(new CreateBucketCommand({ Bucket: 'root-lake' }));
    const store = new S3ObjectStore({ bucket: 'root-lake', ...s3Options() });

    // Act
    await store.put('raw/a.parquet', 'a');

    // Assess
    expect(store.location).toBe('s3://root-lake');
    expect(await store.list('')).toEqual(['raw/a.parquet']);
    expect(await getText(store, 'raw/a.parquet')).toBe('a');
  });

  it('sends the content type', async () => {
    const store = new S3ObjectStore({ bucket: BUCKET, prefix: 'content-type', ...s3Options() });

    await store.put('a.parquet', 'x', 'application/vnd.apache.parquet');
    const response = await fetch(`${endpoint}/${BUCKET}/content-type/a.parquet`);

    expect(response.headers.get('content-type')).toBe('application/vnd.apache.parquet');
    expect(await response.text()).toBe('x');
  });

  it('deletes in batches of at most 1,000 keys (fauxqs does not enforce the limit, so count them)', async () => {
    // Prepare
    const client = new S3Client({ ...s3Options(), forcePathStyle: true });
    const store = new S3ObjectStore({ bucket: BUCKET, prefix: 'batches', client });
    const keys = Array.from({ length: 2001 }, (_, i) => `raw/k-${String(i).padStart(4, '0')}`);
    await forEachLimit(keys.slice(0, 3), 3, (key) => store.put(key, 'x'));
    const send = vi.spyOn(client, 'send');

    // Act
    await store.delete(keys);

    // Assess
    const batchSizes = send.mock.calls.map(([command]) => (command.input as { Delete?: { Objects?: unknown[] } }).Delete?.Objects?.length);
    expect(batchSizes).toEqual([1000, 1000, 1]);
    expect(await store.list('')).toEqual([]);
    client.destroy();
  });

  it('reports a missing bucket as a LakeError, not as a missing object', async () => {
    const store = new S3ObjectStore({ bucket: 'no-such-bucket', prefix: 'lake', ...s3Options() });

    const getError = await rejection(store.get('raw/a.parquet'));
    const putError = await rejection(store.put('raw/a.parquet', 'x'));

    expect(getError).toBeInstanceOf(LakeError);
    expect((getError as LakeError).context).toMatchObject({ bucket: 'no-such-bucket', key: 'lake/raw/a.parquet', operation: 'GetObject', status: 404 });
    expect((getError as LakeError).cause).toMatchObject({ name: 'NoSuchBucket' });
    expect(putError).toBeInstanceOf(LakeError);
    expect((putError as LakeError).context).toMatchObject({ bucket: 'no-such-bucket', operation: 'PutObject' });
  });

  it('wraps a connection failure in LakeError', async () => {
    // Prepare: a port nothing listens on, no retries
    const client = new S3Client({ endpoint: 'http://127.0.0.1:9', region: REGION, credentials: DUMMY_CREDENTIALS, forcePathStyle: true, maxAttempts: 1 });
    const store = new S3ObjectStore({ bucket: BUCKET, client });

    // Act
    const error = await rejection(store.list('raw/'));
    client.destroy();

    // Assess
    expect(error).toBeInstanceOf(LakeError);
    expect((error as LakeError).context).toMatchObject({ bucket: BUCKET, prefix: 'raw/', operation: 'ListObjectsV2' });
  });
});

describe('openObjectStore', () => {
  it('opens s3:// locations as S3ObjectStore and the rest as LocalFolderStore', () => {
    const s3 = openObjectStore('s3://my-bucket/lake/prod/', { endpoint: 'http://127.0.0.1:9', region: REGION });
    const bucketOnly = openObjectStore('s3://my-bucket', { endpoint: 'http://127.0.0.1:9', region: REGION });
    const folder = openObjectStore('./data/lake');
    const fileUrl = openObjectStore('file:///tmp/lake');

    expect(s3).toBeInstanceOf(S3ObjectStore);
    expect(s3.location).toBe('s3://my-bucket/lake/prod');
    expect(bucketOnly.location).toBe('s3://my-bucket');
    expect(folder).toBeInstanceOf(LocalFolderStore);
    expect(folder.location).toBe(path.resolve('data/lake'));
    expect(fileUrl.location).toBe('/tmp/lake');
  });

  it('takes the endpoint from S3_ENDPOINT', async () => {
    vi.stubEnv('S3_ENDPOINT', 'http://127.0.0.1:9');
    try {
      const store = openObjectStore('s3://my-bucket/lake', { region: REGION }) as S3ObjectStore;
      const configured = await store.client.config.endpoint?.();
      expect(configured).toMatchObject({ hostname: '127.0.0.1', port: 9, protocol: 'http:' });
      expect(store.client.config.forcePathStyle).toBe(true);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('rejects unknown schemes and bucket-less s3 locations', () => {
    expect(() => openObjectStore('gs://bucket/lake')).toThrow(LakeError);
    expect(() => openObjectStore('s3:///lake')).toThrow(LakeError);
    expect(() => openObjectStore('')).toThrow(LakeError);
  });
});
