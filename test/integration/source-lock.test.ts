import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile, mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { buildApp } from 'fauxqs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { connectors } from '../../connectors/index.ts';
import { parseConfig } from '../../core/config/load-config.ts';
import { LocalFolderStore } from '../../core/lake/local-folder-store.ts';
import { S3ObjectStore } from '../../core/lake/s3-store.ts';
import { acquireSourceLock, SourceLockedError, type SourceLockHolder } from '../../core/lake/source-lock.ts';
import { createConsoleLogger, silentLogger } from '../../core/log.ts';
import { runSync } from '../../core/pipeline/run-sync.ts';
import { LayeredSecretStore, LocalSecretStore } from '../../core/secrets.ts';
import { targetByType, type StartedTarget } from '../../scripts/chaos/targets.ts';
import { pipelineDocument } from '../../scripts/chaos/trials.ts';

const anchorDate = '2026-10-16';
const dirs: string[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((stop) => stop()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  vi.unstubAllEnvs();
});

async function lakeDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kpi-source-lock-'));
  dirs.push(dir);
  return dir;
}

/** A LocalFolderStore that records, in a shared list, which run wrote which key. */
class LabelledStore extends LocalFolderStore {
  readonly label: string;
  readonly writes: string[];
  constructor(root: string, label: string, writes: string[]) {
    super(root);
    this.label = label;
    this.writes = writes;
  }
  override async put(key: string, body: Uint8Array | string, contentType?: string): Promise<void> {
    this.writes.push(`${this.label} put ${key}`);
    return super.put(key, body, contentType);
  }
  override async delete(keys: readonly string[]): Promise<void> {
    this.writes.push(`${this.label} delete ${keys.join(' ')}`);
    return super.delete(keys);
  }
}

async function tiktokSource(): Promise<{ started: StartedTarget; sync: (store: LocalFolderStore, options?: { lockWaitMs?: number; log?: ReturnType<typeof createConsoleLogger>; runId?: string }) => ReturnType<typeof runSync> }> {
  const started = await targetByType('tiktok').start({ anchorDate, backfillDays: 14 });
  cleanups.push(() => started.sandbox.stop());
  const loaded = parseConfig(pipelineDocument([started]), 'pipeline.yaml', connectors);
  const secrets = new LayeredSecretStore(started.secrets as Record<string, string>, new LocalSecretStore({ env: {} }));
  return {
    started,
    sync: (store, options = {}) => runSync({
      config: loaded.config, sources: loaded.sources, store, secrets, log: options.log ?? silentLogger, lastCompleteDay: '2026-10-15',
      ...(options.lockWaitMs === undefined ? {} : { lockWaitMs: options.lockWaitMs }), ...(options.runId ? { runId: options.runId } : {}),
    }),
  };
}

function lockFile(root: string, source: string): string {
  return path.join(root, '_locks', `${source}.json`);
}

async function writeLock(root: string, holder: Partial<SourceLockHolder>): Promise<void> {
  await mkdir(path.join(root, '_locks'), { recursive: true });
  await writeFile(lockFile(root, 'tiktok'), JSON.stringify({ source: 'tiktok', staleAfterMs: 60_000, token: 'old-token', ...holder }));
}

/** The pid of a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', ''], { stdio: 'ignore' });
  return child.pid!;
}

describe('source lock on the local folder (_locks/<source>.json, created with O_EXCL)', () => {
  it('stops a second run of the same source at once, saying who holds it since when, and writes nothing for it', async () => {
    // Prepare
    const root = await lakeDir();
    const store = new LocalFolderStore(root);
    const { sync } = await tiktokSource();
    const first = await acquireSourceLock(store, 'tiktok', { runId: 'run-a' });

    // Act
    const error = await sync(store).catch((e: unknown) => e);

    // Assess
    const holder = first!.holder;
    expect(error).toBeInstanceOf(SourceLockedError);
    expect((error as Error).message).toBe(
      `source tiktok is being synced by another run since ${holder.since} (run run-a, pid ${process.pid} on ${os.hostname()}); ` +
      `try again later (or, if that run is gone for good, delete ${lockFile(root, 'tiktok')})`,
    );
    expect((error as SourceLockedError).context).toMatchObject({ source: 'tiktok', key: '_locks/tiktok.json', holder: 'run-a', since: holder.since });
    expect([await store.list('raw/'), await store.list('_state/')]).toEqual([[], []]);
    expect(JSON.parse(await readFile(lockFile(root, 'tiktok'), 'utf8'))).toEqual(holder);
    await first!.release();
    expect(await readdir(path.join(root, '_locks'))).toEqual([]);
  });

  it('lets a second run wait for the first: their writes never interleave, and the lake ends as one run leaves it', async () => {
    // Prepare
    const root = await lakeDir();
    const writes: string[] = [];
    const { sync } = await tiktokSource();
    const lines: string[] = [];
    const waiting = createConsoleLogger({ level: 'info', write: (line) => lines.push(line) });

    // Act
    const [a, b] = await Promise.all([
      sync(new LabelledStore(root, 'A', writes), { runId: 'run-a', lockWaitMs: 20_000, log: waiting }),
      sync(new LabelledStore(root, 'B', writes), { runId: 'run-b', lockWaitMs: 20_000, log: waiting }),
    ]);

    // Assess: the source's writes (not the shared fx_rates table) come in two blocks, one per run:
    // the first reads 14 days (14 partitions, 2 cursors), the second its 7-day lookback (7 and 1).
    const sourceWrites = writes.filter((w) => / (raw|_state)\//.test(w)).map((w) => w[0]!);
    const blocks = sourceWrites.reduce<[string, number][]>((out, label) => {
      const last = out.at(-1);
      if (last && last[0] === label) last[1] += 1;
      else out.push([label, 1]);
      return out;
    }, []);
    const [firstRun, secondRun] = blocks[0]![0] === 'A' ? ['a', 'b'] : ['b', 'a'];
    expect(blocks.map(([, count]) => count)).toEqual([16, 8]);
    const results = { a, b };
    // The chaos target's sandbox serves odd values: every record read is written or quarantined.
    expect([firstRun, secondRun].map((run) => results[run as 'a' | 'b'].map((r) => [r.status, r.rows + r.rejected]))).toEqual([[['ok', 14]], [['ok', 7]]]);
    expect(lines.filter((line) => line.includes('waiting up to'))).toEqual([
      expect.stringMatching(new RegExp(`^\\[tiktok\\] source tiktok is being synced by another run since \\S+ \\(run run-${firstRun}, pid ${process.pid} on .+\\); waiting up to 20 s$`)),
    ]);
    // 14 days, one of them (2026-10-14) holding only a quarantined record; one _rejects file per run.
    expect(await new LocalFolderStore(root).list('raw/ads_tiktok_campaign_daily/')).toHaveLength(13);
    expect((await new LocalFolderStore(root).list('raw/_rejects/')).map((key) => key.replace(/^.*\//, ''))).toEqual([
      'tiktok-ads_tiktok_campaign_daily-run-a-0.parquet', 'tiktok-ads_tiktok_campaign_daily-run-b-0.parquet',
    ]);
    expect(await readdir(path.join(root, '_locks'))).toEqual([]);
  });

  it('takes over the lock of a crashed run on this host, and of a run elsewhere once it is stale — but not a live one', async () => {
    // Prepare
    const root = await lakeDir();
    const store = new LocalFolderStore(root);
    const lines: string[] = [];
    const log = createConsoleLogger({ level: 'info', write: (line) => lines.push(line) });
    const pid = deadPid();
    const long = new Date(Date.now() - 3_600_000).toISOString();

    // Act
    await writeLock(root, { runId: 'crashed', pid, host: os.hostname(), since: long });
    const afterCrash = await acquireSourceLock(store, 'tiktok', { runId: 'next', log });
    await afterCrash!.release();
    await writeLock(root, { runId: 'elsewhere-old', pid: 1, host: 'lambda-host', since: long, staleAfterMs: 60_000 });
    const afterStale = await acquireSourceLock(store, 'tiktok', { runId: 'next', log });
    await afterStale!.release();
    const fresh = new Date().toISOString();
    await writeLock(root, { runId: 'elsewhere-live', pid: 1, host: 'lambda-host', since: fresh, staleAfterMs: 60_000 });
    const blocked = await acquireSourceLock(store, 'tiktok', { runId: 'next', log }).catch((e: unknown) => e);

    // Assess
    expect(lines).toEqual([
      `WARN [tiktok] took over the lock of source tiktok from run crashed (pid ${pid} on ${os.hostname()}, since ${long}), which is no longer running {"key":"_locks/tiktok.json"}`,
      `WARN [tiktok] took over the lock of source tiktok from run elsewhere-old (pid 1 on lambda-host, since ${long}), which is no longer running {"key":"_locks/tiktok.json"}`,
    ].map((line) => line.replace('[tiktok] ', '')));
    expect(blocked).toBeInstanceOf(SourceLockedError);
    expect((blocked as Error).message).toMatch(new RegExp(`^source tiktok is being synced by another run since ${fresh} \\(run elsewhere-live, pid 1 on lambda-host\\); try again later`));
    expect(await readdir(path.join(root, '_locks'))).toEqual(['tiktok.json']);
  });

  it('lets exactly one of many runs take a free lock, and exactly one take over a stale lock', async () => {
    // Prepare
    const root = await lakeDir();
    const store = new LocalFolderStore(root);

    // Act
    const free = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => acquireSourceLock(store, 'tiktok', { runId: `free-${i}` })));
    await (free.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireSourceLock>>>).value!.release();
    await writeLock(root, { runId: 'crashed', pid: deadPid(), host: os.hostname(), since: new Date().toISOString() });
    const takeover = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => acquireSourceLock(store, 'tiktok', { runId: `taker-${i}` })));

    // Assess
    const outcome = (results: PromiseSettledResult<unknown>[]) => [
      results.filter((r) => r.status === 'fulfilled').length,
      results.filter((r) => r.status === 'rejected' && r.reason instanceof SourceLockedError).length,
    ];
    expect(outcome(free)).toEqual([1, 11]);
    expect(outcome(takeover)).toEqual([1, 11]);
    expect((await readdir(path.join(root, '_locks'))).sort()).toEqual(['tiktok.json']);
  });

  it('expires an empty lock file (its creator died between creating and writing it) by age', async () => {
    // Prepare
    const root = await lakeDir();
    await mkdir(path.join(root, '_locks'), { recursive: true });
    await writeFile(lockFile(root, 'tiktok'), '');
    const old = new Date(Date.now() - 3_600_000);
    await utimes(lockFile(root, 'tiktok'), old, old);

    // Act
    const lock = await acquireSourceLock(new LocalFolderStore(root), 'tiktok', { runId: 'next', staleAfterMs: 60_000 });

    // Assess
    expect(JSON.parse(await readFile(lockFile(root, 'tiktok'), 'utf8'))).toMatchObject({ runId: 'next', pid: process.pid });
    await lock!.release();
  });

  it('releases the lock when the sync fails (a wrong token)', async () => {
    // Prepare
    const root = await lakeDir();
    const started = await targetByType('tiktok').start({ anchorDate, backfillDays: 7 });
    cleanups.push(() => started.sandbox.stop());
    const loaded = parseConfig(pipelineDocument([started]), 'pipeline.yaml', connectors);
    const secrets = new LayeredSecretStore({ 'chaos/tiktok': 'not-the-token' }, new LocalSecretStore({ env: {} }));

    // Act
    const error = await runSync({ config: loaded.config, sources: loaded.sources, store: new LocalFolderStore(root), secrets, log: silentLogger, lastCompleteDay: '2026-10-15' })
      .catch((e: unknown) => e);

    // Assess
    expect((error as Error).message).toMatch(/^TikTok rejected the access token \(code 40105, HTTP 200\)/);
    expect(await readdir(path.join(root, '_locks'))).toEqual([]);
  });
});

/** A bucket that honours conditional PutObject like S3 (If-None-Match: *, If-Match: <ETag>). */
async function conditionalS3StandIn(): Promise<{ endpoint: string; server: Server }> {
  const objects = new Map<string, { body: Buffer; etag: string }>();
  const xmlError = (code: string, message: string) => `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  const server = createServer((request, response) => {
    const key = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const existing = objects.get(key);
      const fail = (status: number, code: string, message: string) => {
        response.writeHead(status, { 'Content-Type': 'application/xml' }).end(xmlError(code, message));
      };
      if (request.method === 'PUT') {
        if (request.headers['if-none-match'] === '*' && existing) return fail(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
        const ifMatch = request.headers['if-match'];
        if (ifMatch !== undefined && !existing) return fail(404, 'NoSuchKey', 'The specified key does not exist.');
        if (ifMatch !== undefined && existing!.etag !== ifMatch) return fail(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
        const body = Buffer.concat(chunks);
        const etag = `"${createHash('md5').update(body).digest('hex')}"`;
        objects.set(key, { body, etag });
        response.writeHead(200, { ETag: etag }).end();
      } else if (request.method === 'GET') {
        if (!existing) return fail(404, 'NoSuchKey', 'The specified key does not exist.');
        response.writeHead(200, { ETag: existing.etag, 'Content-Length': String(existing.body.length) }).end(existing.body);
      } else if (request.method === 'DELETE') {
        objects.delete(key);
        response.writeHead(204).end();
      } else {
        fail(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('source lock on S3 (conditional PutObject)', () => {
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

  it('fauxqs 2.4 does not honour If-None-Match or If-Match on PutObject: the second conditional put overwrites', async () => {
    // Prepare
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
    const fauxqs = buildApp({ logger: false });
    await fauxqs.listen({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => fauxqs.close());
    const endpoint = `http://127.0.0.1:${(fauxqs.server.address() as AddressInfo).port}`;
    const client = new S3Client({ endpoint, region: 'us-east-1', credentials, forcePathStyle: true });
    cleanups.push(async () => client.destroy());
    await client.send(new CreateBucketCommand({ Bucket: 'lake-test' }));

    // Act
    const statuses = [];
    for (const body of ['first', 'second']) {
      const answer = await client.send(new PutObjectCommand({ Bucket: 'lake-test', Key: '_locks/web.json', Body: body, IfNoneMatch: '*' }));
      statuses.push(answer.$metadata.httpStatusCode);
    }
    const store = new S3ObjectStore({ bucket: 'lake-test', endpoint, region: 'us-east-1', credentials });
    const content = new TextDecoder().decode(await store.get('_locks/web.json'));

    // Assess: S3 answers the second put 412 Precondition Failed; fauxqs stores it.
    expect([statuses, content]).toEqual([[200, 200], 'second']);
  });

  it('against a bucket that honours conditional writes: one holder, a clear message for the next, a stale lock taken over, released', async () => {
    // Prepare
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
    const { endpoint, server } = await conditionalS3StandIn();
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const store = new S3ObjectStore({ bucket: 'lake', prefix: 'prod', endpoint, region: 'us-east-1', credentials });
    cleanups.push(async () => store.client.destroy());
    const lines: string[] = [];
    const log = createConsoleLogger({ level: 'info', write: (line) => lines.push(line) });

    // Act
    const first = await acquireSourceLock(store, 'web', { runId: 'lambda-1' });
    const second = await acquireSourceLock(store, 'web', { runId: 'lambda-2' }).catch((e: unknown) => e);
    await first!.release();
    const afterRelease = await acquireSourceLock(store, 'web', { runId: 'lambda-3', staleAfterMs: 1 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const takeover = await acquireSourceLock(store, 'web', { runId: 'lambda-4', log });
    await afterRelease!.release(); // no longer its lock: leaves lambda-4's alone
    const stillHeld = JSON.parse(new TextDecoder().decode(await store.get('_locks/web.json'))) as SourceLockHolder;
    await takeover!.release();

    // Assess
    expect(second).toBeInstanceOf(SourceLockedError);
    expect((second as Error).message).toBe(
      `source web is being synced by another run since ${first!.holder.since} (run lambda-1, pid ${process.pid} on ${os.hostname()}); ` +
      'try again later (or, if that run is gone for good, delete s3://lake/prod/_locks/web.json)',
    );
    expect(lines).toEqual([
      `WARN took over the lock of source web from run lambda-3 (pid ${process.pid} on ${os.hostname()}, since ${afterRelease!.holder.since}), which is no longer running {"key":"_locks/web.json"}`,
    ]);
    expect(stillHeld.runId).toBe('lambda-4');
    expect(await store.get('_locks/web.json')).toBeUndefined();
  });
});
