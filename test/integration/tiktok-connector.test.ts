import { describe, expect, it } from 'vitest';
import type { StreamDefinition } from '../../core/connector.ts';
import { daysBetween, eachDay } from '../../core/dates.ts';
import { SourceError } from '../../core/errors.ts';
import { LocalFolderStore } from '../../core/lake/local-folder-store.ts';
import { readStreamState } from '../../core/lake/state-store.ts';
import { silentLogger } from '../../core/log.ts';
import { DuckDbEngine } from '../../core/query/duckdb-engine.ts';
import { LayeredSecretStore, LocalSecretStore } from '../../core/secrets.ts';
import { syncStream, type StreamSyncResult } from '../../core/sync/sync-stream.ts';
import { TiktokSourceConfig } from '../../connectors/tiktok/config.ts';
import { tiktokConnector } from '../../connectors/tiktok/index.ts';
import { TIKTOK_SANDBOX_ADVERTISER_ID, campaignFactsFor, sandboxCampaigns } from '../../connectors/tiktok/sandbox/seed-data.ts';
import {
  TIKTOK_SANDBOX_ODDITIES, startTiktokSandbox, tiktokSandboxOddity, type RunningTiktokSandbox, type SandboxRequestRecord, type TiktokSandboxOptions,
} from '../../connectors/tiktok/sandbox/server.ts';
import { rejectsTable } from '../../core/sync/rejects.ts';
import { lakeFixture } from '../support/lake-fixture.ts';

// The sandbox's "today" (a Friday); the seed data are a pure function of (seed 42, this date, advertiser, day).
const anchorDate = '2026-10-16';
const table = 'ads_tiktok_campaign_daily';
const secondAdvertiser = '7123456789012345679';

const fixture = lakeFixture('kpi-tiktok-connector-');

interface Totals {
  rows: number;
  spend: number;
  clicks: number;
  impressions: number;
  conversions: number;
  value: number;
}

/** Σ over the seed data of a window and advertisers: the rows TikTok reports and their metrics. */
function seedTotals(from: string, to: string, advertiserIds: readonly string[] = [TIKTOK_SANDBOX_ADVERTISER_ID]): Totals {
  const facts = advertiserIds.flatMap((advertiserId) => [...eachDay(from, to)].flatMap((day) => campaignFactsFor(day, { seed: 42, anchorDate, advertiserId })));
  const sum = (pick: (f: (typeof facts)[number]) => number) => facts.reduce((total, f) => total + pick(f), 0);
  return {
    rows: facts.length, spend: sum((f) => f.spend), clicks: sum((f) => f.clicks), impressions: sum((f) => f.impressions),
    conversions: sum((f) => f.conversions), value: sum((f) => f.conversionsValue),
  };
}

async function lakeTotals(root: string): Promise<Totals & { days: number; first: string | null; last: string | null; keys: number }> {
  const engine = await DuckDbEngine.open({ lakeRoot: root, tables: tiktokConnector.tables });
  fixture.afterTest(engine);
  const [row] = await engine.query(
    `SELECT count(*) AS rows, coalesce(sum(spend), 0) AS spend, coalesce(sum(clicks), 0) AS clicks, coalesce(sum(impressions), 0) AS impressions,
            coalesce(sum(conversions), 0) AS conversions, coalesce(sum(conversions_value), 0) AS value,
            count(DISTINCT dt) AS days, min(dt) AS first, max(dt) AS last, count(DISTINCT (account_id, date, campaign_id)) AS keys
       FROM ads_tiktok_campaign_daily`,
  );
  return {
    rows: Number(row!.rows), spend: Number(row!.spend), clicks: Number(row!.clicks), impressions: Number(row!.impressions),
    conversions: Number(row!.conversions), value: Number(row!.value), days: Number(row!.days),
    first: row!.first as string | null, last: row!.last as string | null, keys: Number(row!.keys),
  };
}

function onlyStream(streams: readonly StreamDefinition[]): StreamDefinition {
  expect(streams.map((s) => s.table.name)).toEqual([table]);
  return streams[0]!;
}

/** The stream of a source started through the connector's own sandbox hook, as the CLI does. */
async function connectorSandbox(overrides: Record<string, unknown> = {}, secretOverride?: string) {
  const config = TiktokSourceConfig.parse({ id: 'tiktok_ads', type: 'tiktok', sandbox: { seed: 42 }, ...overrides });
  const started = await tiktokConnector.startSandbox!(config, { anchorDate });
  fixture.afterTest(started.sandbox);
  const secretName = Object.keys(started.secrets)[0]!;
  const values = secretOverride === undefined ? started.secrets : { [secretName]: secretOverride };
  const secrets = new LayeredSecretStore(values, new LocalSecretStore({ env: {} }));
  const stream = onlyStream(tiktokConnector.streams(started.config, { secrets, log: silentLogger }));
  return { stream, sandbox: started.sandbox as RunningTiktokSandbox, config: started.config };
}

/** A sandbox started directly (for its fault options) and a source config pointed at it. */
async function directSandbox(sandboxOptions: TiktokSandboxOptions, overrides: Record<string, unknown> = {}, secretValue?: string) {
  const sandbox = await startTiktokSandbox({ anchorDate, seed: 42, ...sandboxOptions });
  fixture.afterTest(sandbox);
  const config = TiktokSourceConfig.parse({
    id: 'tiktok_ads', type: 'tiktok', advertiserIds: sandbox.advertisers.map((a) => a.advertiserId), endpoint: sandbox.url,
    auth: { type: 'access_token', secret: 'tiktok/ads-token' }, ...overrides,
  });
  const secrets = new LayeredSecretStore({ 'tiktok/ads-token': secretValue ?? sandbox.accessToken }, new LocalSecretStore({ env: {} }));
  return { sandbox, config, stream: onlyStream(tiktokConnector.streams(config, { secrets, log: silentLogger })) };
}

const lake = fixture.lake;

function sync(store: LocalFolderStore, stream: StreamDefinition, lastCompleteDay: string, initialFrom: string): Promise<StreamSyncResult> {
  return syncStream({ store, sourceId: 'tiktok_ads', stream, runId: 'run1', lastCompleteDay, initialFrom, log: silentLogger });
}

const reportRequests = (sandbox: RunningTiktokSandbox): SandboxRequestRecord[] =>
  sandbox.requests().filter((r) => r.path === '/open_api/v1.3/report/integrated/get/');
const spanOf = (r: SandboxRequestRecord): number => daysBetween(r.startDate!, r.endDate!) + 1;

describe('TikTok connector through syncStream into a local lake', () => {
  it('pages through two advertisers and two chunks and lands exactly the seed rows and sums', async () => {
    // Prepare: 14 days in two 7-day chunks, 7 rows per advertiser and chunk → 2 pages of 5 each.
    const { stream, sandbox } = await connectorSandbox({ advertiserIds: [TIKTOK_SANDBOX_ADVERTISER_ID, secondAdvertiser], pageSize: 5, chunkDays: 7 });
    const { root, store } = await lake();
    const from = '2026-10-02';
    const to = '2026-10-15';
    const expected = seedTotals(from, to, [TIKTOK_SANDBOX_ADVERTISER_ID, secondAdvertiser]);

    // Act
    const result = await sync(store, stream, to, from);

    // Assess
    expect(result).toMatchObject({ source: 'tiktok_ads', stream: table, status: 'ok', window: { from, to }, rows: expected.rows, files: 14, cursor: to });
    expect(expected.rows).toBe(28);
    expect(await lakeTotals(root)).toEqual({ ...expected, days: 14, first: from, last: to, keys: expected.rows });
    // info once, campaign/get per advertiser, then per chunk and advertiser pages 1 and 2.
    expect(sandbox.requests().map((r) => r.path.replace('/open_api/v1.3/', ''))).toEqual([
      'advertiser/info/', 'campaign/get/', 'campaign/get/', ...Array<string>(8).fill('report/integrated/get/'),
    ]);
    expect(reportRequests(sandbox).map((r) => [r.advertiserId, r.startDate, r.endDate, r.page, r.pageSize, r.code])).toEqual([
      [TIKTOK_SANDBOX_ADVERTISER_ID, '2026-10-02', '2026-10-08', 1, 5, 0], [TIKTOK_SANDBOX_ADVERTISER_ID, '2026-10-02', '2026-10-08', 2, 5, 0],
      [secondAdvertiser, '2026-10-02', '2026-10-08', 1, 5, 0], [secondAdvertiser, '2026-10-02', '2026-10-08', 2, 5, 0],
      [TIKTOK_SANDBOX_ADVERTISER_ID, '2026-10-09', '2026-10-15', 1, 5, 0], [TIKTOK_SANDBOX_ADVERTISER_ID, '2026-10-09', '2026-10-15', 2, 5, 0],
      [secondAdvertiser, '2026-10-09', '2026-10-15', 1, 5, 0], [secondAdvertiser, '2026-10-09', '2026-10-15', 2, 5, 0],
    ]);
  });

  it('records each row with the account facts: name, currency, zone, campaign name and status', async () => {
    // Prepare
    const { stream } = await connectorSandbox({ chunkDays: 7 });
    const { root, store } = await lake();
    const [fact] = campaignFactsFor('2026-10-14', { seed: 42, anchorDate, advertiserId: TIKTOK_SANDBOX_ADVERTISER_ID });
    const [campaign] = sandboxCampaigns(TIKTOK_SANDBOX_ADVERTISER_ID);

    // Act
    await sync(store, stream, '2026-10-15', '2026-10-09');

    // Assess
    const engine = await DuckDbEngine.open({ lakeRoot: root, tables: tiktokConnector.tables });
    fixture.afterTest(engine);
    const rows = await engine.query(
      `SELECT CAST(date AS VARCHAR) AS date, account_id, account_name, campaign_id, campaign_name, campaign_status, impressions, clicks, spend,
              conversions, conversions_value, currency, time_zone, source_id
         FROM ads_tiktok_campaign_daily WHERE dt = '2026-10-14'`,
    );
    expect(rows).toEqual([{
      date: '2026-10-14', account_id: TIKTOK_SANDBOX_ADVERTISER_ID, account_name: 'Seoul Shop TikTok',
      campaign_id: campaign!.campaignId, campaign_name: 'tiktok_awareness', campaign_status: 'ENABLE',
      impressions: fact!.impressions, clicks: fact!.clicks, spend: fact!.spend, conversions: fact!.conversions,
      conversions_value: fact!.conversionsValue, currency: 'KRW', time_zone: 'Asia/Seoul', source_id: 'tiktok_ads',
    }]);
  });

  it('re-reads the 7-day lookback window and replaces it, then adds exactly the next day', async () => {
    // Prepare: lookbackDays defaults to 7 (TikTok attributes conversions for days after the click).
    const { stream, config } = await connectorSandbox();
    expect(config.lookbackDays).toBe(7);
    const { root, store } = await lake();
    const from = '2026-09-25';
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
    expect(before).toEqual({ ...expected, days: 20, first: from, last: '2026-10-14', keys: expected.rows });
    // Cursor 2026-10-14 − 7 + 1 = 2026-10-08: seven days re-read, replaced, not duplicated.
    expect(again.window).toEqual({ from: '2026-10-08', to: '2026-10-14' });
    expect(again.rows).toBe(seedTotals('2026-10-08', '2026-10-14').rows);
    expect(afterRerun).toEqual(before);
    expect(nextDay.window).toEqual({ from: '2026-10-08', to: '2026-10-15' });
    const day = seedTotals('2026-10-15', '2026-10-15');
    expect(afterNextDay).toEqual({
      rows: before.rows + day.rows, spend: before.spend + day.spend, clicks: before.clicks + day.clicks,
      impressions: before.impressions + day.impressions, conversions: before.conversions + day.conversions, value: before.value + day.value,
      days: 21, first: from, last: '2026-10-15', keys: before.rows + day.rows,
    });
    expect(await readStreamState(store, 'tiktok_ads', table)).toMatchObject({ cursor: '2026-10-15', firstDate: from });
  });

  it('rides out code 40100 (HTTP 200) by waiting at least a second per refusal, with the same totals', async () => {
    // Prepare: every third request is refused as too frequent; two report pages per chunk.
    const { sandbox, stream } = await directSandbox({ throttle: { everyNthRequest: 3 } }, { chunkDays: 7, pageSize: 5 });
    const { root, store } = await lake();
    const from = '2026-10-02';
    const to = '2026-10-15';
    const started = performance.now();

    // Act
    const result = await sync(store, stream, to, from);
    const elapsed = performance.now() - started;

    // Assess
    const expected = seedTotals(from, to);
    expect(result).toMatchObject({ status: 'ok', rows: expected.rows, cursor: to });
    expect(await lakeTotals(root)).toMatchObject({ ...expected, days: 14 });
    const answers = sandbox.requests();
    expect(answers.map((r) => [r.httpStatus, r.code])).toEqual([
      [200, 0], [200, 0], [200, 40100], [200, 0], [200, 0], [200, 40100], [200, 0], [200, 0],
    ]);
    // Each refused request was asked again, unchanged.
    expect(answers[3]).toEqual({ ...answers[2], code: 0 });
    expect(answers[6]).toEqual({ ...answers[5], code: 0 });
    expect(elapsed).toBeGreaterThanOrEqual(2 * 1000);
  });

  it('fails fast on a bad token (code 40105) with a SourceError naming TikTok and the code, and writes nothing', async () => {
    // Prepare
    const { stream, sandbox } = await connectorSandbox({}, 'not-the-sandbox-token');
    const { root, store } = await lake();

    // Act
    const error = await sync(store, stream, '2026-10-15', '2026-10-02').then(
      () => { throw new Error('expected syncStream to reject'); },
      (e: unknown) => e,
    );

    // Assess
    expect(error).toBeInstanceOf(SourceError);
    const sourceError = error as SourceError;
    expect(sourceError.message).toMatch(/^TikTok rejected the access token \(code 40105, HTTP 200\): Access token is incorrect or has been revoked\. Check the source's auth secret/);
    expect(sourceError.message).not.toContain('not-the-sandbox-token');
    expect(sourceError.context).toMatchObject({ source: 'tiktok_ads', stream: table, status: 200, code: 40105, endpoint: '/advertiser/info/' });
    expect(sourceError.retryable).toBe(false);
    expect(sandbox.requestCount()).toBe(1);
    expect(await store.list('')).toEqual([]);
    expect(await readStreamState(store, 'tiktok_ads', table)).toBeUndefined();
    expect(await lakeTotals(root)).toMatchObject({ rows: 0, days: 0 });
  });

  describe('date spans (TikTok allows at most 30 days per daily report request)', () => {
    it('reads a 90-day window in 30-day requests: the sandbox never sees a wider span', async () => {
      // Prepare: default chunkDays (30); the secret as { "access_token": … } JSON.
      const { sandbox, stream, config } = await directSandbox({ accessToken: 'json-secret-token' }, {}, JSON.stringify({ access_token: 'json-secret-token' }));
      expect(config.chunkDays).toBe(30);
      const { store } = await lake();
      const from = '2026-07-18';
      const to = '2026-10-15';

      // Act
      const result = await sync(store, stream, to, from);

      // Assess
      expect(result).toMatchObject({ status: 'ok', rows: seedTotals(from, to).rows, files: 90, cursor: to });
      expect(reportRequests(sandbox).map((r) => [r.startDate, r.endDate, r.code])).toEqual([
        ['2026-07-18', '2026-08-16', 0], ['2026-08-17', '2026-09-15', 0], ['2026-09-16', '2026-10-15', 0],
      ]);
      expect(Math.max(...reportRequests(sandbox).map(spanOf))).toBe(30);
    });

    it('splits a span TikTok refuses with code 40067 and keeps the narrower span for the rest of the run', async () => {
      // Prepare: an account that takes at most 10 days per request; chunks of 30.
      const { sandbox, stream } = await directSandbox({ maxSpanDays: 10 }, { chunkDays: 30 });
      const { root, store } = await lake();
      const from = '2026-08-17';
      const to = '2026-10-15';

      // Act
      const result = await sync(store, stream, to, from);

      // Assess
      const expected = seedTotals(from, to);
      expect(result).toMatchObject({ status: 'ok', rows: expected.rows, files: 60, cursor: to });
      expect(await lakeTotals(root)).toMatchObject({ ...expected, days: 60, keys: expected.rows });
      const requests = reportRequests(sandbox);
      // 30 → refused, 15 → refused, then 8-day spans; the second chunk starts at 8 days straight away.
      expect(requests.map((r) => [r.startDate, r.endDate, r.code])).toEqual([
        ['2026-08-17', '2026-09-15', 40067], ['2026-08-17', '2026-08-31', 40067],
        ['2026-08-17', '2026-08-24', 0], ['2026-08-25', '2026-09-01', 0], ['2026-09-02', '2026-09-09', 0], ['2026-09-10', '2026-09-15', 0],
        ['2026-09-16', '2026-09-23', 0], ['2026-09-24', '2026-10-01', 0], ['2026-10-02', '2026-10-09', 0], ['2026-10-10', '2026-10-15', 0],
      ]);
      const served = requests.filter((r) => r.code === 0);
      expect(Math.max(...served.map(spanOf))).toBeLessThanOrEqual(10);
      expect(served.reduce((days, r) => days + spanOf(r), 0)).toBe(60);
    });
  });
});

describe('TikTok rows with odd values', () => {
  it('coerces what the contract allows, quarantines the rest in _rejects with the raw row, and loses nothing on a re-read', async () => {
    // Prepare: about one row in 2 carries one of TIKTOK_SANDBOX_ODDITIES, chosen by its advertiser, campaign and day;
    // 30-day chunks read in pages of 7.
    const { sandbox, stream } = await directSandbox({ oddValues: 2 }, { chunkDays: 30, pageSize: 7 });
    const { root, store } = await lake();
    const [from, to] = ['2026-08-17', '2026-10-15'];
    const rows = [...eachDay(from, to)]
      .flatMap((day) => campaignFactsFor(day, { seed: 42, anchorDate, advertiserId: TIKTOK_SANDBOX_ADVERTISER_ID }))
      .filter((f) => f.impressions > 0 || f.spend > 0)
      .map((fact) => ({ fact, oddity: tiktokSandboxOddity(fact, 2) }));
    const kept = rows.filter((r) => !r.oddity?.rejected);
    const expectedRejects = rows.length - kept.length;
    const sum = (pick: (r: (typeof kept)[number]) => number) => kept.reduce((total, r) => total + pick(r), 0);
    // "-", null and a left-out metric count as zero; a number instead of a string is read as it is.
    const expectedTotals = {
      rows: kept.length,
      spend: sum((r) => r.fact.spend),
      impressions: sum((r) => r.fact.impressions),
      clicks: sum((r) => (r.oddity?.name === 'a metric left out' ? 0 : r.fact.clicks)),
      conversions: sum((r) => (r.oddity?.name === 'a metric that is "-" (no value)' ? 0 : r.fact.conversions)),
      value: sum((r) => (r.oddity?.name === 'a metric that is null' ? 0 : r.fact.conversionsValue)),
    };
    const named = (name: string) => kept.filter((r) => r.oddity?.name === name).length;

    // Act
    const result = await sync(store, stream, to, from);
    const served = sandbox.oddRowsServed();
    const rerun = await syncStream({ store, sourceId: 'tiktok_ads', stream, runId: 'run2', lastCompleteDay: to, initialFrom: from, log: silentLogger, backfill: { from, to } });

    // Assess
    expect(Object.keys(served.byName).sort()).toEqual(TIKTOK_SANDBOX_ODDITIES.map((o) => o.name).sort());
    expect(served).toMatchObject({ rejected: expectedRejects, total: rows.filter((r) => r.oddity).length });
    expect(sandbox.oddRowsServed().total).toBe(2 * served.total);
    expect(result).toMatchObject({ status: 'ok', rows: kept.length, rejected: expectedRejects, cursor: to });
    expect(rerun).toMatchObject({ status: 'ok', rows: kept.length, rejected: expectedRejects });
    const keptDays = [...new Set(kept.map((r) => r.fact.date))].sort();
    expect(await lakeTotals(root)).toEqual({ ...expectedTotals, days: keptDays.length, first: keptDays[0], last: keptDays.at(-1), keys: kept.length });
    const engine = await DuckDbEngine.open({ lakeRoot: root, tables: [...tiktokConnector.tables, rejectsTable] });
    fixture.afterTest(engine);
    const rejects = await engine.query(`SELECT source_id, stream, run_id, field, reason, raw_payload FROM "_rejects" ORDER BY run_id, reason`);
    expect(rejects).toHaveLength(2 * expectedRejects);
    expect(rejects.filter((r) => r.run_id === 'run1')).toHaveLength(expectedRejects);
    expect(new Set(rejects.map((r) => `${String(r.source_id)}/${String(r.stream)}`))).toEqual(new Set([`tiktok_ads/${table}`]));
    expect(new Set(rejects.map((r) => r.field))).toEqual(new Set(['impressions', 'stat_time_day', 'campaign_id']));
    const bigId = rejects.find((r) => r.field === 'campaign_id')!;
    expect(bigId.reason).toMatch(/^TikTok campaign_id is a number too large to be exact: \d+$/);
    expect(JSON.parse(bigId.raw_payload as string)).toMatchObject({ dimensions: { campaign_id: expect.any(Number), stat_time_day: expect.stringMatching(/ 00:00:00$/) } });
    const dateReasons = rejects.filter((r) => r.field === 'stat_time_day').map((r) => String(r.reason));
    const inRows = (name: string) => rows.filter((r) => r.oddity?.name === name).length;
    expect(dateReasons.filter((r) => /^TikTok stat_time_day is not "YYYY-MM-DD 00:00:00": "\d\d\/\d\d\/\d{4} 00:00:00"$/.test(r))).toHaveLength(2 * inRows('stat_time_day as DD/MM/YYYY'));
    expect(dateReasons.filter((r) => /^TikTok stat_time_day is not a calendar day: "\d{4}-\d\d-32 00:00:00"$/.test(r))).toHaveLength(2 * inRows('stat_time_day that is no calendar day'));
    const [text] = await engine.query(
      `SELECT count(*) FILTER (WHERE campaign_name LIKE '%🎉 한글 캠페인') AS korean, count(*) FILTER (WHERE campaign_name = repeat('가', 20000)) AS long
         FROM ads_tiktok_campaign_daily`,
    );
    expect([Number(text!.korean), Number(text!.long)]).toEqual([named('Korean and emoji in the campaign name'), named('a 20,000-character Korean campaign name')]);
  });
});
