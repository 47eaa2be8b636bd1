import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StreamDefinition } from '../../core/connector.ts';
import { addDays, eachDay } from '../../core/dates.ts';
import { SourceError } from '../../core/errors.ts';
import { LocalFolderStore } from '../../core/lake/local-folder-store.ts';
import { getText } from '../../core/lake/object-store.ts';
import { readStreamState } from '../../core/lake/state-store.ts';
import { createConsoleLogger, silentLogger } from '../../core/log.ts';
import { DuckDbEngine } from '../../core/query/duckdb-engine.ts';
import { LayeredSecretStore, LocalSecretStore } from '../../core/secrets.ts';
import { syncStream, type StreamSyncResult } from '../../core/sync/sync-stream.ts';
import { Ga4SourceConfig } from '../../connectors/ga4/config.ts';
import { ga4Connector } from '../../connectors/ga4/index.ts';
import { trafficFactsFor } from '../../connectors/ga4/sandbox/seed-data.ts';
import { GA4_SANDBOX_ODDITIES, startGa4Sandbox, type RunningGa4Sandbox } from '../../connectors/ga4/sandbox/server.ts';
import { rejectsTable } from '../../core/sync/rejects.ts';
import { RecordingStore } from '../support/recording-store.ts';
import { lakeFixture } from '../support/lake-fixture.ts';

// The sandbox's "today" (a Friday); the seed data are a pure function of (seed 42, this date, day).
const anchorDate = '2026-10-16';
const seed = { seed: 42, anchorDate };
const table = 'ga4_traffic_daily';

const fixture = lakeFixture('kpi-ga4-connector-');

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** Σ over the seed data of a window: the rows GA4 reports and their sessions. */
function seedTotals(from: string, to: string): { rows: number; sessions: number } {
  const facts = [...eachDay(from, to)].flatMap((day) => trafficFactsFor(day, seed));
  return { rows: facts.length, sessions: facts.reduce((sum, f) => sum + f.sessions, 0) };
}

/** The traffic stream of a source started through the connector's own sandbox hook, as the CLI does. */
async function connectorSandbox(overrides: Record<string, unknown> = {}, secretOverride?: string) {
  const config = Ga4SourceConfig.parse({ id: 'web', type: 'ga4', propertyId: '123456789', sandbox: { seed: 42 }, ...overrides });
  const started = await ga4Connector.startSandbox!(config, { anchorDate });
  fixture.afterTest(started.sandbox);
  const secretName = Object.keys(started.secrets)[0]!;
  const values = secretOverride === undefined ? started.secrets : { [secretName]: secretOverride };
  const secrets = new LayeredSecretStore(values, new LocalSecretStore({ env: {} }));
  const stream = trafficStream(ga4Connector.streams(started.config, { secrets, log: silentLogger }));
  return { stream, sandbox: started.sandbox as RunningGa4Sandbox, config: started.config };
}

function trafficStream(streams: readonly StreamDefinition[]): StreamDefinition {
  const stream = streams.find((s) => s.table.name === table);
  if (!stream) throw new Error(`no ${table} stream`);
  return stream;
}

const lake = fixture.lake;

async function lakeTotals(root: string): Promise<{ rows: number; sessions: number; days: number; first: string | null; last: string | null; keys: number }> {
  const engine = await DuckDbEngine.open({ lakeRoot: root, tables: ga4Connector.tables });
  fixture.afterTest(engine);
  const [row] = await engine.query(
    `SELECT count(*) AS rows, coalesce(sum(sessions), 0) AS sessions, count(DISTINCT dt) AS days, min(dt) AS first, max(dt) AS last,
            count(DISTINCT (date, channel_group, source, medium, campaign)) AS keys
       FROM ga4_traffic_daily`,
  );
  return {
    rows: Number(row!.rows), sessions: Number(row!.sessions), days: Number(row!.days),
    first: row!.first as string | null, last: row!.last as string | null, keys: Number(row!.keys),
  };
}

function sync(store: LocalFolderStore | RecordingStore, stream: StreamDefinition, lastCompleteDay: string, initialFrom: string): Promise<StreamSyncResult> {
  return syncStream({ store, sourceId: 'web', stream, runId: 'run1', lastCompleteDay, initialFrom, log: silentLogger });
}

describe('GA4 connector through syncStream into a local lake', () => {
  it('pages through runReport with pageSize 50 and lands exactly the seed rows', async () => {
    // Prepare: 14 days in two 7-day chunks, ~12 rows a day → ~86 rows per chunk → 2 pages per chunk.
    const { stream, sandbox } = await connectorSandbox({ pageSize: 50, chunkDays: 7 });
    const { root, store } = await lake();
    const from = '2026-10-02';
    const to = '2026-10-15';
    const chunks = [['2026-10-02', '2026-10-08'], ['2026-10-09', '2026-10-15']] as const;
    const expectedRequests = chunks.reduce((n, [a, b]) => n + Math.ceil(seedTotals(a, b).rows / 50), 0);
    const expected = seedTotals(from, to);

    // Act
    const result = await sync(store, stream, to, from);

    // Assess
    expect(result).toMatchObject({ source: 'web', stream: table, status: 'ok', window: { from, to }, rows: expected.rows, files: 14, cursor: to });
    expect(sandbox.requestCount()).toBe(expectedRequests);
    expect(sandbox.requestCount()).toBeGreaterThan(chunks.length);
    expect(await lakeTotals(root)).toEqual({ rows: expected.rows, sessions: expected.sessions, days: 14, first: from, last: to, keys: expected.rows });
  });

  it('frees each page of over 1 MiB once its rows are mapped, and still lands exactly the seed rows', async () => {
    // Prepare: a year in one chunk, pages of 4,000 rows (about 1.4 MB each as GA4 sends them)
    const { stream, sandbox } = await connectorSandbox({ pageSize: 4_000, chunkDays: 366 });
    const { root, store } = await lake();
    const from = '2025-10-17';
    const to = '2026-10-15';
    const expected = seedTotals(from, to);
    const released = vi.spyOn(ArrayBuffer.prototype, 'transfer');

    // Act
    const result = await sync(store, stream, to, from);

    // Assess: every full page was released (the last, short one is left to the GC), and nothing was lost
    expect(expected.rows).toBeGreaterThan(4_000);
    expect(sandbox.requestCount()).toBe(Math.ceil(expected.rows / 4_000));
    expect(released.mock.calls.filter(([length]) => length === 0)).toHaveLength(Math.floor(expected.rows / 4_000));
    expect(result).toMatchObject({ status: 'ok', rows: expected.rows, cursor: to });
    expect(await lakeTotals(root)).toMatchObject({ rows: expected.rows, sessions: expected.sessions, keys: expected.rows });
  });

  it('re-reads the lookback window and replaces it, then adds exactly the next day', async () => {
    // Prepare: lookbackDays defaults to 3.
    const { stream, config } = await connectorSandbox();
    expect(config.lookbackDays).toBe(3);
    const { root, store } = await lake();
    const from = '2026-10-01';
    const first = await sync(store, stream, '2026-10-14', from);
    const before = await lakeTotals(root);

    // Act
    const again = await sync(store, stream, '2026-10-14', from);
    const afterRerun = await lakeTotals(root);
    const nextDay = await sync(store, stream, '2026-10-15', from);
    const afterNextDay = await lakeTotals(root);

    // Assess
    const expected = seedTotals(from, '2026-10-14');
    expect(first.window).toEqual({ from, to: '2026-10-14' });
    expect(before).toMatchObject({ rows: expected.rows, sessions: expected.sessions, days: 14 });
    // Cursor 2026-10-14 − 3 + 1 = 2026-10-12: three days re-read, replaced, not duplicated.
    expect(again.window).toEqual({ from: '2026-10-12', to: '2026-10-14' });
    expect(again.rows).toBe(seedTotals('2026-10-12', '2026-10-14').rows);
    expect(afterRerun).toEqual(before);
    // The cursor is still 2026-10-14: the next day's run re-reads 2026-10-12 … 2026-10-14 and adds 2026-10-15.
    expect(nextDay.window).toEqual({ from: '2026-10-12', to: '2026-10-15' });
    expect(nextDay.rows).toBe(seedTotals('2026-10-12', '2026-10-15').rows);
    const day = seedTotals('2026-10-15', '2026-10-15');
    expect(afterNextDay).toEqual({
      rows: before.rows + day.rows, sessions: before.sessions + day.sessions, days: 15, first: from, last: '2026-10-15', keys: before.rows + day.rows,
    });
    expect(await readStreamState(store, 'web', table)).toMatchObject({ cursor: '2026-10-15', firstDate: from });
  });

  it('stops between chunks when the time budget runs out, keeps what it wrote, and the next run finishes', async () => {
    // Prepare: 3 chunks of 7 days; the budget ends as soon as the first chunk's files are written.
    const { stream } = await connectorSandbox({ chunkDays: 7 });
    const { root, store } = await lake();
    const budget = new AbortController();
    const stopAfterFirstChunk = new RecordingStore(store, (key) => {
      if (key.startsWith('_state/')) budget.abort();
    });
    const from = '2026-09-25';
    const to = '2026-10-15';
    // Act
    const first = await syncStream({ store: stopAfterFirstChunk, sourceId: 'web', stream, runId: 'run1', lastCompleteDay: to, initialFrom: from, log: silentLogger, signal: budget.signal });
    const afterFirst = await lakeTotals(root);
    const second = await sync(store, stream, to, from);
    // Assess
    expect(first).toMatchObject({ status: 'partial', cursor: '2026-10-01', partialReason: expect.stringContaining('time limit') });
    expect(afterFirst).toMatchObject({ days: 7, first: from, last: '2026-10-01' });
    expect(second).toMatchObject({ status: 'ok', cursor: to });
    expect(await lakeTotals(root)).toMatchObject({ ...seedTotals(from, to), days: 21 });
  });

  it('writes the cursor state file only after the partition files it covers', async () => {
    // Prepare
    const { stream } = await connectorSandbox({ chunkDays: 7 });
    const { store: inner } = await lake();
    const store = new RecordingStore(inner);
    const stateKey = `_state/web/${table}.json`;

    // Act
    await sync(store, stream, '2026-10-15', '2026-10-02');

    // Assess: two checkpoints, each state write preceded by its 7 partitions (and the earlier ones).
    const puts = store.calls.filter((c) => c.operation === 'put');
    const stateWrites = puts.filter((c) => c.keys[0] === stateKey);
    expect(stateWrites).toHaveLength(2);
    const partitionsBefore = stateWrites.map((c) => c.existingBefore.filter((k) => k.startsWith(`raw/${table}/`)));
    expect(partitionsBefore[0]).toEqual([...eachDay('2026-10-02', '2026-10-08')].map((d) => `raw/${table}/dt=${d}/web.parquet`));
    expect(partitionsBefore[1]).toEqual([...eachDay('2026-10-02', '2026-10-15')].map((d) => `raw/${table}/dt=${d}/web.parquet`));
    expect(stateWrites[0]!.existingBefore).not.toContain(stateKey);
    expect(puts.map((c) => c.keys[0])).toEqual([
      ...[...eachDay('2026-10-02', '2026-10-08')].map(() => expect.stringMatching(/^raw\/ga4_traffic_daily\/dt=2026-10-0\d\/web\.parquet$/)),
      stateKey,
      ...[...eachDay('2026-10-09', '2026-10-15')].map(() => expect.stringMatching(/^raw\/ga4_traffic_daily\/dt=2026-10-(09|1\d)\/web\.parquet$/)),
      stateKey,
    ]);
    const state = JSON.parse((await getText(inner, stateKey))!) as Record<string, unknown>;
    expect(state).toMatchObject({ version: 1, cursor: '2026-10-15', firstDate: '2026-10-02' });
    expect(state).not.toHaveProperty('partialReason');
  });

  describe('property quota (sandbox started directly)', () => {
    // 90 days in chunks of 30: 2026-07-18 … 2026-08-16, 2026-08-17 … 2026-09-15, 2026-09-16 … 2026-10-15.
    const from = '2026-07-18';
    const to = '2026-10-15';
    const chunks = [[from, '2026-08-16'], ['2026-08-17', '2026-09-15'], ['2026-09-16', to]] as const;
    /** The sandbox charges 1 + ⌈facts scanned / 1000⌉ core tokens per runReport. */
    const tokensFor = ([a, b]: readonly [string, string]) => 1 + Math.ceil(seedTotals(a, b).rows / 1000);

    async function quotaSandbox(tokensPerHour: number, quotaReserveTokens: number) {
      // The hourly budget resets on the clock hour: pin Date so a run never straddles one.
      vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-10-16T03:15:00Z') });
      const sandbox = await startGa4Sandbox({ anchorDate, seed: 42, accessToken: 'quota-test-token', quota: { tokensPerHour } });
      fixture.afterTest(sandbox);
      const config = Ga4SourceConfig.parse({
        id: 'web', type: 'ga4', propertyId: sandbox.propertyId, endpoint: sandbox.url,
        auth: { type: 'access_token', secret: 'ga4/web-token' }, chunkDays: 30, quotaReserveTokens,
      });
      const secrets = new LayeredSecretStore({ 'ga4/web-token': sandbox.accessToken }, new LocalSecretStore({ env: {} }));
      return { sandbox, stream: trafficStream(ga4Connector.streams(config, { secrets, log: silentLogger })) };
    }

    it('stops with status partial when GA4 answers RESOURCE_EXHAUSTED, keeping the completed chunks', async () => {
      // Prepare: exactly enough tokens for two chunks; the third request is refused with 429.
      const budget = tokensFor(chunks[0]) + tokensFor(chunks[1]);
      const { sandbox, stream } = await quotaSandbox(budget, 0);
      const { root, store } = await lake();

      // Act
      const result = await sync(store, stream, to, from);

      // Assess
      const kept = seedTotals(from, '2026-09-15');
      expect(result).toMatchObject({ status: 'partial', window: { from, to }, cursor: '2026-09-15', rows: kept.rows, files: 60 });
      expect(result.partialReason).toMatch(/^GA4 quota exhausted: Exhausted property tokens per hour/);
      expect(sandbox.requestCount()).toBe(3);
      expect(await lakeTotals(root)).toEqual({ rows: kept.rows, sessions: kept.sessions, days: 60, first: from, last: '2026-09-15', keys: kept.rows });
      expect(await readStreamState(store, 'web', table)).toMatchObject({ cursor: '2026-09-15', firstDate: from, partialReason: result.partialReason });
    });

    it('stops before the quota runs out when fewer tokens than the reserve remain', async () => {
      // Prepare: after two chunks one token is left, below the reserve of 2 → stop without a third request.
      const budget = tokensFor(chunks[0]) + tokensFor(chunks[1]) + 1;
      const { sandbox, stream } = await quotaSandbox(budget, 2);
      const { root, store } = await lake();

      // Act
      const result = await sync(store, stream, to, from);

      // Assess
      const kept = seedTotals(from, '2026-09-15');
      expect(result).toMatchObject({
        status: 'partial', cursor: '2026-09-15', rows: kept.rows,
        partialReason: 'GA4 hourly property quota nearly used (1 tokens left, reserve 2)',
      });
      expect(sandbox.requestCount()).toBe(2);
      expect(await lakeTotals(root)).toMatchObject({ rows: kept.rows, sessions: kept.sessions, days: 60, last: '2026-09-15' });
    });
  });

  it('rejects a bad token with a SourceError naming GA4 and HTTP 401, and writes nothing', async () => {
    // Prepare
    const { stream, sandbox } = await connectorSandbox({}, 'not-the-sandbox-token');
    const { root, store } = await lake();

    // Act
    const error = await sync(store, stream, '2026-10-15', addDays('2026-10-15', -13)).then(
      () => { throw new Error('expected syncStream to reject'); },
      (e: unknown) => e,
    );

    // Assess
    expect(error).toBeInstanceOf(SourceError);
    const sourceError = error as SourceError;
    expect(sourceError.message).toMatch(/GA4/);
    expect(sourceError.message).toMatch(/HTTP 401/);
    expect(sourceError.context).toMatchObject({ source: 'web', stream: table, status: 401 });
    expect(sourceError.retryable).toBe(false);
    expect(sandbox.requestCount()).toBe(1);
    expect(await store.list('')).toEqual([]);
    expect(await readStreamState(store, 'web', table)).toBeUndefined();
    expect(await lakeTotals(root)).toMatchObject({ rows: 0, days: 0 });
  });
});

describe('GA4 rows with odd values', () => {
  it('coerces what the contract allows, quarantines the rest in _rejects with the raw row, and loses nothing on a re-read', async () => {
    // Prepare: about one row in 3 carries one of GA4_SANDBOX_ODDITIES, chosen by its dimensions
    const sandbox = await startGa4Sandbox({ ...seed, accessToken: 'odd-token', oddValues: 3 });
    fixture.afterTest(sandbox);
    const config = Ga4SourceConfig.parse({
      id: 'web', type: 'ga4', propertyId: sandbox.propertyId, endpoint: sandbox.url, chunkDays: 7, auth: { type: 'access_token', secret: 'ga4' },
    });
    const secrets = new LayeredSecretStore({ ga4: 'odd-token' }, new LocalSecretStore({ env: {} }));
    const stream = trafficStream(ga4Connector.streams(config, { secrets, log: silentLogger }));
    const { root, store } = await lake();
    const from = '2026-10-09';
    const to = '2026-10-15';
    const reportRows = seedTotals(from, to).rows;

    // Act
    const result = await sync(store, stream, to, from);
    const served = sandbox.oddRowsServed();
    const expectedRejects = served.rejected;
    const rerun = await syncStream({ store, sourceId: 'web', stream, runId: 'run2', lastCompleteDay: to, initialFrom: from, log: silentLogger, backfill: { from, to } });

    // Assess
    expect(Object.keys(served.byName).sort()).toEqual(GA4_SANDBOX_ODDITIES.map((o) => o.name).sort());
    expect(sandbox.oddRowsServed().total).toBe(2 * served.total);
    expect(result).toMatchObject({ status: 'ok', rows: reportRows - expectedRejects, rejected: expectedRejects });
    expect(rerun).toMatchObject({ rows: reportRows - expectedRejects, rejected: expectedRejects });
    expect((await lakeTotals(root)).rows).toBe(reportRows - expectedRejects);
    const engine = await DuckDbEngine.open({ lakeRoot: root, tables: [...ga4Connector.tables, rejectsTable] });
    fixture.afterTest(engine);
    const rejects = await engine.query(`SELECT run_id, field, reason, raw_payload FROM "_rejects" ORDER BY run_id, reason`);
    expect(rejects).toHaveLength(2 * expectedRejects);
    expect(new Set(rejects.map((r) => r.field))).toEqual(new Set(['date', 'sessions']));
    const isoDate = rejects.find((r) => r.field === 'date')!;
    expect(isoDate.reason).toMatch(/^GA4 date is not a YYYYMMDD calendar date: "2026-10-\d\d"$/);
    expect(JSON.parse(isoDate.raw_payload as string)).toMatchObject({ dimensionValues: expect.any(Array), metricValues: expect.any(Array) });
    const [korean] = await engine.query(`SELECT count(*) AS n FROM ga4_traffic_daily WHERE campaign LIKE '%🎉 한글 캠페인'`);
    expect(Number(korean!.n)).toBe(served.byName['Korean and emoji in a dimension']);
  });
});

describe('GA4 windows too big to hold', () => {
  it('splits a window whose report has more rows than maxRowsPerChunk before handing any on, and lands exactly the seed rows', async () => {
    // Prepare: one 7-day chunk of ~85 rows, at most 30 rows a window → halves of halves
    const { stream } = await connectorSandbox({ chunkDays: 7, maxRowsPerChunk: 30 });
    const { root, store } = await lake();
    const from = '2026-10-09';
    const to = '2026-10-15';
    const lines: string[] = [];
    const log = createConsoleLogger({ level: 'info', write: (line) => lines.push(line) });
    const checkpoints: string[] = [];
    const recording = new RecordingStore(store, (key) => {
      if (key.startsWith('_state/')) checkpoints.push(key);
    });

    // Act
    const result = await syncStream({ store: recording, sourceId: 'web', stream, runId: 'run1', lastCompleteDay: to, initialFrom: from, log });

    // Assess: every window read holds at most 30 rows, or is one day
    const expected = seedTotals(from, to);
    expect(result).toMatchObject({ status: 'ok', rows: expected.rows, files: 7, cursor: to });
    expect(await lakeTotals(root)).toMatchObject({ rows: expected.rows, sessions: expected.sessions, days: 7, keys: expected.rows });
    const splits = lines.filter((line) => line.includes('reading it in two halves'));
    expect(splits.length).toBeGreaterThanOrEqual(3);
    expect(splits[0]).toContain('2026-10-09 … 2026-10-15 holds');
    const written = lines.filter((line) => /wrote \d{4}-\d{2}-\d{2} … \d{4}-\d{2}-\d{2}/.test(line)).map((line) => /wrote (\S+) … (\S+):/.exec(line)!.slice(1, 3));
    for (const [a, b] of written) expect(a === b || seedTotals(a!, b!).rows <= 30).toBe(true);
    expect(checkpoints.length).toBe(written.length);
  });
});
