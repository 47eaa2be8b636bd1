import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StreamDefinition } from '../../core/connector.ts';
import { eachDay } from '../../core/dates.ts';
import { SourceError } from '../../core/errors.ts';
import { LocalFolderStore } from '../../core/lake/local-folder-store.ts';
import { readStreamState } from '../../core/lake/state-store.ts';
import { silentLogger, type Logger } from '../../core/log.ts';
import { DuckDbEngine } from '../../core/query/duckdb-engine.ts';
import { LayeredSecretStore, LocalSecretStore } from '../../core/secrets.ts';
import { syncStream, type StreamSyncResult } from '../../core/sync/sync-stream.ts';
import { GoogleAdsSourceConfig } from '../../connectors/google-ads/config.ts';
import { googleAdsConnector } from '../../connectors/google-ads/index.ts';
import { campaignFactsFor, sandboxCustomers, type SandboxCustomer } from '../../connectors/google-ads/sandbox/seed-data.ts';
import { rejectsTable } from '../../core/sync/rejects.ts';
import { GOOGLE_ADS_SANDBOX_ODDITIES, startGoogleAdsSandbox, type GoogleAdsSandboxOptions, type RunningGoogleAdsSandbox } from '../../connectors/google-ads/sandbox/server.ts';
import { lakeFixture } from '../support/lake-fixture.ts';

// The sandbox's "today" (a Friday); the seed data are a pure function of (seed 42, this date, day).
const anchorDate = '2026-11-20';
const seed = { seed: 42, anchorDate };
const table = 'ads_google_campaign_daily';
const customers = ['1234567890', '9876543210'];

const fixture = lakeFixture('kpi-google-ads-connector-');

afterEach(() => {
  vi.restoreAllMocks();
});

interface Totals { rows: number; impressions: number; clicks: number; spend: number; costMicros: number; conversions: number }

/** Σ over the seed data of a window, for both accounts: what Google Ads reports. */
function seedTotals(from: string, to: string): Totals {
  const facts = [...eachDay(from, to)].flatMap((day) => campaignFactsFor(day, seed));
  const sum = (pick: (f: (typeof facts)[number]) => number) => facts.reduce((total, f) => total + pick(f), 0);
  return {
    rows: facts.length, impressions: sum((f) => f.impressions), clicks: sum((f) => f.clicks),
    spend: sum((f) => f.costMicros / 1_000_000), costMicros: sum((f) => f.costMicros), conversions: sum((f) => f.conversions),
  };
}

/** The campaign daily stream of a source started through the connector's own sandbox hook, as the CLI does. */
async function connectorSandbox(overrides: Record<string, unknown> = {}, secretOverride?: string) {
  const config = GoogleAdsSourceConfig.parse({ id: 'google', type: 'google_ads', customerIds: ['123-456-7890', '987-654-3210'], sandbox: { seed: 42 }, ...overrides });
  const started = await googleAdsConnector.startSandbox!(config, { anchorDate });
  const sandbox = started.sandbox as RunningGoogleAdsSandbox;
  fixture.afterTest(sandbox);
  const secretName = Object.keys(started.secrets)[0]!;
  const values = secretOverride === undefined ? started.secrets : { [secretName]: secretOverride };
  const secrets = new LayeredSecretStore(values, new LocalSecretStore({ env: {} }));
  return { stream: onlyStream(googleAdsConnector.streams(started.config, { secrets, log: silentLogger })), sandbox, config: started.config };
}

/** A sandbox started directly (paging, throttling and quota options) and a source pointed at it. */
async function directSandbox(options: GoogleAdsSandboxOptions, overrides: Record<string, unknown> = {}, log: Logger = silentLogger) {
  const sandbox = await startGoogleAdsSandbox({ anchorDate, seed: 42, accessToken: 'direct-test-token', ...options });
  fixture.afterTest(sandbox);
  const config = GoogleAdsSourceConfig.parse({
    id: 'google', type: 'google_ads', customerIds: customers, endpoint: sandbox.url,
    auth: { type: 'access_token', secret: 'google-ads/token' }, ...overrides,
  });
  const secrets = new LayeredSecretStore({ 'google-ads/token': JSON.stringify({ access_token: sandbox.accessToken }) }, new LocalSecretStore({ env: {} }));
  return { sandbox, stream: onlyStream(googleAdsConnector.streams(config, { secrets, log })) };
}

function onlyStream(streams: readonly StreamDefinition[]): StreamDefinition {
  const stream = streams.find((s) => s.table.name === table);
  if (!stream) throw new Error(`no ${table} stream`);
  return stream;
}

const lake = fixture.lake;

async function lakeTotals(root: string): Promise<Totals & { days: number; first: string | null; last: string | null; keys: number }> {
  const engine = await DuckDbEngine.open({ lakeRoot: root, tables: googleAdsConnector.tables });
  fixture.afterTest(engine);
  const [row] = await engine.query(
    `SELECT count(*) AS rows, coalesce(sum(impressions), 0) AS impressions, coalesce(sum(clicks), 0) AS clicks,
            coalesce(sum(spend), 0) AS spend, coalesce(sum(cost_micros), 0) AS cost_micros, coalesce(sum(conversions), 0) AS conversions,
            count(DISTINCT dt) AS days, min(dt) AS first, max(dt) AS last, count(DISTINCT (account_id, date, campaign_id)) AS keys
       FROM ads_google_campaign_daily`,
  );
  return {
    rows: Number(row!.rows), impressions: Number(row!.impressions), clicks: Number(row!.clicks), spend: Number(row!.spend),
    costMicros: Number(row!.cost_micros), conversions: Number(row!.conversions), days: Number(row!.days),
    first: row!.first as string | null, last: row!.last as string | null, keys: Number(row!.keys),
  };
}

function sync(store: LocalFolderStore, stream: StreamDefinition, lastCompleteDay: string, initialFrom: string): Promise<StreamSyncResult> {
  return syncStream({ store, sourceId: 'google', stream, runId: 'run1', lastCompleteDay, initialFrom, log: silentLogger });
}

describe('Google Ads connector through syncStream into a local lake', () => {
  it('reads every batch of every customer over several chunks and lands exactly the seed rows', async () => {
    // Prepare: 14 days in two 7-day chunks × two customers = 4 searchStream calls; 5 rows a batch
    // splits the first customer's 14 rows a chunk into 3 batches.
    const { sandbox, stream } = await directSandbox({ rowsPerBatch: 5 }, { chunkDays: 7 });
    const { root, store } = await lake();
    const from = '2026-11-06';
    const to = '2026-11-19';
    const expected = seedTotals(from, to);

    // Act
    const result = await sync(store, stream, to, from);

    // Assess
    expect(result).toMatchObject({ source: 'google', stream: table, status: 'ok', window: { from, to }, rows: expected.rows, files: 14, cursor: to });
    expect(expected.rows).toBe(14 * 3);
    expect(sandbox.requests().map((r) => [r.customerId, r.status])).toEqual([
      ['1234567890', 200], ['9876543210', 200], ['1234567890', 200], ['9876543210', 200],
    ]);
    expect(sandbox.requests()[0]!.query).toBe(
      'SELECT customer.id, customer.descriptive_name, customer.currency_code, customer.time_zone, campaign.id, campaign.name, ' +
      'campaign.status, segments.date, metrics.impressions, metrics.clicks, metrics.cost_micros, metrics.conversions, ' +
      "metrics.conversions_value FROM campaign WHERE segments.date BETWEEN '2026-11-06' AND '2026-11-12'",
    );
    expect(await lakeTotals(root)).toEqual({ ...expected, days: 14, first: from, last: to, keys: expected.rows });
  });

  it('frees a searchStream body of over 1 MiB once every batch is mapped, and still lands exactly the seed rows', async () => {
    // Prepare: one account with 12 campaigns, a year in one chunk: one body of about 4,000 rows (2–3 MB)
    const base = sandboxCustomers[0]!;
    const big: SandboxCustomer = {
      ...base, campaigns: Array.from({ length: 12 }, (_, i) => ({ ...base.campaigns[i % base.campaigns.length]!, id: String(20_481_000_100 + i), status: 'ENABLED' as const })),
    };
    const sandbox = await startGoogleAdsSandbox({ anchorDate, seed: 42, accessToken: 'direct-test-token', customers: [big], historyDays: 400 });
    fixture.afterTest(sandbox);
    const config = GoogleAdsSourceConfig.parse({
      id: 'google', type: 'google_ads', customerIds: [big.id], endpoint: sandbox.url, chunkDays: 366,
      auth: { type: 'access_token', secret: 'google-ads/token' },
    });
    const secrets = new LayeredSecretStore({ 'google-ads/token': JSON.stringify({ access_token: sandbox.accessToken }) }, new LocalSecretStore({ env: {} }));
    const stream = onlyStream(googleAdsConnector.streams(config, { secrets, log: silentLogger }));
    const { root, store } = await lake();
    const from = '2025-11-20';
    const to = '2026-11-19';
    const facts = [...eachDay(from, to)].flatMap((day) => campaignFactsFor(day, seed, [big]));
    const released = vi.spyOn(ArrayBuffer.prototype, 'transfer');

    // Act
    const result = await sync(store, stream, to, from);

    // Assess
    expect(facts.length).toBeGreaterThan(3_000);
    expect(released.mock.calls.filter(([length]) => length === 0)).toHaveLength(1);
    expect(result).toMatchObject({ status: 'ok', rows: facts.length, cursor: to });
    expect(await lakeTotals(root)).toMatchObject({ rows: facts.length, keys: facts.length, clicks: facts.reduce((n, f) => n + f.clicks, 0) });
  });

  it('re-reads the 14-day lookback and replaces it, then adds exactly the next day', async () => {
    // Prepare: lookbackDays defaults to 14 (conversions are revised for the conversion window).
    const { stream, config } = await connectorSandbox();
    expect(config.lookbackDays).toBe(14);
    const { root, store } = await lake();
    const from = '2026-10-01';
    await sync(store, stream, '2026-11-18', from);
    const before = await lakeTotals(root);

    // Act
    const again = await sync(store, stream, '2026-11-18', from);
    const afterRerun = await lakeTotals(root);
    const nextDay = await sync(store, stream, '2026-11-19', from);
    const afterNextDay = await lakeTotals(root);

    // Assess
    const expected = seedTotals(from, '2026-11-18');
    expect(before).toMatchObject({ rows: expected.rows, spend: expected.spend, clicks: expected.clicks, impressions: expected.impressions, days: 49 });
    // Cursor 2026-11-18 − 14 + 1 = 2026-11-05: fourteen days re-read, replaced, not duplicated.
    expect(again.window).toEqual({ from: '2026-11-05', to: '2026-11-18' });
    expect(again.rows).toBe(seedTotals('2026-11-05', '2026-11-18').rows);
    expect(afterRerun).toEqual(before);
    expect(nextDay.window).toEqual({ from: '2026-11-05', to: '2026-11-19' });
    const day = seedTotals('2026-11-19', '2026-11-19');
    expect(afterNextDay).toEqual({
      rows: before.rows + day.rows, impressions: before.impressions + day.impressions, clicks: before.clicks + day.clicks,
      spend: before.spend + day.spend, costMicros: before.costMicros + day.costMicros, conversions: before.conversions + day.conversions,
      days: 50, first: from, last: '2026-11-19', keys: before.rows + day.rows,
    });
    expect(await readStreamState(store, 'google', table)).toMatchObject({ cursor: '2026-11-19', firstDate: from });
  });

  it('waits out RESOURCE_TEMPORARILY_EXHAUSTED for the retryDelay Google gives and still lands every row', async () => {
    // Prepare: every 2nd request is throttled with retryDelay "0.300s"; 4 logical calls → 3 throttled.
    const warnings: string[] = [];
    const log: Logger = { ...silentLogger, warn: (message) => warnings.push(message), child: () => log };
    const { sandbox, stream } = await directSandbox({ throttle: { everyNthRequest: 2, retryDelaySeconds: 0.3 } }, { chunkDays: 7 }, log);
    const { root, store } = await lake();
    const from = '2026-11-06';
    const to = '2026-11-19';
    const started = performance.now();

    // Act
    const result = await sync(store, stream, to, from);

    // Assess
    const elapsed = performance.now() - started;
    const expected = seedTotals(from, to);
    expect(result).toMatchObject({ status: 'ok', rows: expected.rows, cursor: to });
    expect(sandbox.requests().map((r) => r.status)).toEqual([200, 429, 200, 429, 200, 429, 200]);
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toMatch(/^retrying after Google Ads throttled the request \(HTTP 429 RESOURCE_EXHAUSTED, quotaError\.RESOURCE_TEMPORARILY_EXHAUSTED/);
    expect(elapsed).toBeGreaterThanOrEqual(3 * 300);
    expect(await lakeTotals(root)).toEqual({ ...expected, days: 14, first: from, last: to, keys: expected.rows });
  });

  it('rejects a bad token with a SourceError naming Google Ads and HTTP 401, and writes nothing', async () => {
    // Prepare
    const { stream, sandbox } = await connectorSandbox({}, 'not-the-sandbox-token');
    const { root, store } = await lake();

    // Act
    const error = await sync(store, stream, '2026-11-19', '2026-11-06').then(
      () => { throw new Error('expected syncStream to reject'); },
      (e: unknown) => e,
    );

    // Assess
    expect(error).toBeInstanceOf(SourceError);
    const sourceError = error as SourceError;
    expect(sourceError.message).toMatch(/^Google Ads rejected the credentials \(HTTP 401 UNAUTHENTICATED, authenticationError\.OAUTH_TOKEN_INVALID: /);
    expect(sourceError.message).not.toContain('not-the-sandbox-token');
    expect(sourceError.context).toMatchObject({ source: 'google', stream: table, status: 401, customerId: '1234567890', errorCode: 'authenticationError.OAUTH_TOKEN_INVALID' });
    expect(sourceError.retryable).toBe(false);
    expect(sandbox.requestCount()).toBe(1);
    expect(await store.list('')).toEqual([]);
    expect(await readStreamState(store, 'google', table)).toBeUndefined();
    expect(await lakeTotals(root)).toMatchObject({ rows: 0, days: 0 });
  });

  describe('several customer ids in one source', () => {
    it('writes one partition file per day holding both accounts, read from multi-batch streams', async () => {
      // Prepare: 2 rows a batch, so every response is an array of several batches.
      const { sandbox, stream } = await directSandbox({ rowsPerBatch: 2 }, { chunkDays: 30 });
      const { root, store } = await lake();
      const from = '2026-11-13';
      const to = '2026-11-19';

      // Act
      await sync(store, stream, to, from);

      // Assess
      expect(await store.list(`raw/${table}/`)).toEqual([...eachDay(from, to)].map((d) => `raw/${table}/dt=${d}/google.parquet`));
      expect(sandbox.requestCount()).toBe(2);
      const engine = await DuckDbEngine.open({ lakeRoot: root, tables: googleAdsConnector.tables });
      fixture.afterTest(engine);
      const perDay = await engine.query(
        `SELECT dt, count(DISTINCT account_id) AS accounts, count(*) AS rows, sum(clicks) AS clicks
           FROM ads_google_campaign_daily GROUP BY dt ORDER BY dt`,
      );
      expect(perDay).toEqual([...eachDay(from, to)].map((dt) => ({
        dt, accounts: 2, rows: 3, clicks: campaignFactsFor(dt, seed).reduce((sum, f) => sum + f.clicks, 0),
      })));
      const accounts = await engine.query(
        `SELECT account_id, account_name, currency, time_zone, string_agg(DISTINCT campaign_name, ',' ORDER BY campaign_name) AS campaigns
           FROM ads_google_campaign_daily GROUP BY ALL ORDER BY account_id`,
      );
      expect(accounts).toEqual([
        { account_id: '1234567890', account_name: 'Shop KR – Search', currency: 'KRW', time_zone: 'Asia/Seoul', campaigns: 'brand_search,generic_search' },
        { account_id: '9876543210', account_name: 'Shop KR – Display', currency: 'KRW', time_zone: 'Asia/Seoul', campaigns: 'display_prospecting' },
      ]);
    });

    it('stops at the daily operations limit without writing a chunk only one account was read for', async () => {
      // Prepare: 3 operations a day: chunk 1 takes two (both accounts), chunk 2 gets one account, then RESOURCE_EXHAUSTED.
      const { sandbox, stream } = await directSandbox({ dailyOperations: 3 }, { chunkDays: 7 });
      const { root, store } = await lake();
      const from = '2026-11-06';
      const to = '2026-11-19';

      // Act
      const result = await sync(store, stream, to, from);

      // Assess
      const kept = seedTotals(from, '2026-11-12');
      expect(result).toMatchObject({ status: 'partial', cursor: '2026-11-12', rows: kept.rows, files: 7 });
      expect(result.partialReason).toMatch(/^Google Ads quota exhausted: HTTP 429 RESOURCE_EXHAUSTED, quotaError\.RESOURCE_EXHAUSTED: /);
      expect(sandbox.requests().map((r) => [r.customerId, r.status])).toEqual([
        ['1234567890', 200], ['9876543210', 200], ['1234567890', 200], ['9876543210', 429],
      ]);
      expect(await lakeTotals(root)).toEqual({ ...kept, days: 7, first: from, last: '2026-11-12', keys: kept.rows });
      expect(await readStreamState(store, 'google', table)).toMatchObject({ cursor: '2026-11-12', partialReason: result.partialReason });
    });
  });
});

describe('Google Ads rows with odd values', () => {
  it('coerces what the contract allows, quarantines the rest in _rejects with the raw row, and loses nothing on a re-read', async () => {
    // Prepare: two 7-day chunks, one searchStream per customer each; about one row in 2 carries one of GOOGLE_ADS_SANDBOX_ODDITIES
    const { sandbox, stream } = await directSandbox({ oddValues: 2, rowsPerBatch: 5 }, { chunkDays: 7 });
    const { root, store } = await lake();
    const from = '2026-11-06';
    const to = '2026-11-19';
    const allRows = customers.map((id) => [...eachDay(from, to)].flatMap((day) => campaignFactsFor(day, seed)).filter((f) => f.customerId === id).length)
      .reduce((a, b) => a + b, 0);

    // Act
    const result = await sync(store, stream, to, from);
    const served = sandbox.oddRowsServed();
    const expectedRejects = served.rejected;
    const rerun = await syncStream({ store, sourceId: 'google', stream, runId: 'run2', lastCompleteDay: to, initialFrom: from, log: silentLogger, backfill: { from, to } });

    // Assess
    expect(Object.keys(served.byName).sort()).toEqual(GOOGLE_ADS_SANDBOX_ODDITIES.map((o) => o.name).sort());
    expect(result).toMatchObject({ status: 'ok', rows: allRows - expectedRejects, rejected: expectedRejects });
    expect(rerun).toMatchObject({ rows: allRows - expectedRejects, rejected: expectedRejects });
    expect((await lakeTotals(root)).rows).toBe(allRows - expectedRejects);
    const engine = await DuckDbEngine.open({ lakeRoot: root, tables: [...googleAdsConnector.tables, rejectsTable] });
    fixture.afterTest(engine);
    const rejects = await engine.query(`SELECT run_id, field, reason, raw_payload FROM "_rejects" WHERE run_id = 'run1' ORDER BY reason`);
    expect(rejects).toHaveLength(expectedRejects);
    expect(new Set(rejects.map((r) => r.field))).toEqual(new Set(['segments.date', 'metrics.impressions']));
    expect(JSON.parse(rejects.find((r) => r.field === 'segments.date')!.raw_payload as string)).toMatchObject({ segments: { date: expect.stringMatching(/^202611\d\d$/) } });
    const [korean] = await engine.query(`SELECT count(*) AS n FROM ads_google_campaign_daily WHERE campaign_name LIKE '%🎉 한글 캠페인'`);
    expect(Number(korean!.n)).toBe(served.byName['Korean and emoji in a name']);
  });
});
