import { describe, expect, it } from 'vitest';
import type { StreamDefinition } from '../../core/connector.ts';
import { addDays, daysBetween, eachDay } from '../../core/dates.ts';
import { SourceError } from '../../core/errors.ts';
import { LocalFolderStore } from '../../core/lake/local-folder-store.ts';
import { readStreamState } from '../../core/lake/state-store.ts';
import { silentLogger, type Logger } from '../../core/log.ts';
import { DuckDbEngine } from '../../core/query/duckdb-engine.ts';
import { LayeredSecretStore, LocalSecretStore } from '../../core/secrets.ts';
import { rejectsTable } from '../../core/sync/rejects.ts';
import { syncStream, type StreamSyncResult } from '../../core/sync/sync-stream.ts';
import { MetaReduceDataError } from '../../connectors/meta/client.ts';
import { MetaSourceConfig } from '../../connectors/meta/config.ts';
import { metaConnector } from '../../connectors/meta/index.ts';
import { campaignFactsFor, sandboxCampaigns } from '../../connectors/meta/sandbox/seed-data.ts';
import { META_SANDBOX_ODDITIES, startMetaSandbox, type MetaSandboxOptions, type RunningMetaSandbox } from '../../connectors/meta/sandbox/server.ts';
import { lakeFixture } from '../support/lake-fixture.ts';

// The sandbox's "today" (a Friday); the seed data are a pure function of (seed 42, this date, accounts, day).
const anchorDate = '2026-10-16';
const table = 'ads_meta_campaign_daily';

const fixture = lakeFixture('kpi-meta-connector-');

interface Totals {
  rows: number;
  spend: number;
  clicks: number;
  impressions: number;
  conversions: number;
  conversionsValue: number;
}

/** Σ over the seed data of a window: the rows Meta reports and their metrics (conversions = purchases + leads). */
function seedTotals(accountIds: readonly string[], from: string, to: string): Totals {
  const facts = [...eachDay(from, to)].flatMap((day) => campaignFactsFor(day, { seed: 42, anchorDate, accountIds }));
  const sum = (pick: (f: (typeof facts)[number]) => number) => facts.reduce((total, f) => total + pick(f), 0);
  return {
    rows: facts.length, spend: sum((f) => f.spend), clicks: sum((f) => f.clicks), impressions: sum((f) => f.impressions),
    conversions: sum((f) => f.purchases + f.leads), conversionsValue: sum((f) => f.purchaseValue),
  };
}

/** Fast pacing for tests: real defaults wait seconds to minutes. */
const quickPacing = {
  asyncPoll: { firstDelaySeconds: 0.005, maxDelaySeconds: 0.02, timeoutMinutes: 1 },
  rateLimit: { pauseSeconds: 0.02, fallbackWaitSeconds: 0.2 },
};

/** A logger that keeps warnings, to see what the client waited for. */
function recordingLogger(): Logger & { warnings: Array<{ message: string; fields: Record<string, unknown> | undefined }> } {
  const warnings: Array<{ message: string; fields: Record<string, unknown> | undefined }> = [];
  const logger: Logger & { warnings: typeof warnings } = {
    warnings,
    debug() {},
    info() {},
    warn(message, fields) {
      warnings.push({ message, fields });
    },
    error() {},
    child() {
      return logger;
    },
  };
  return logger;
}

/** A Meta source pointed at a sandbox started here with the given fault options, as pipeline.yaml would configure it. */
async function metaSource(options: {
  sandbox?: MetaSandboxOptions; config?: Record<string, unknown>; token?: string; log?: Logger;
} = {}): Promise<{ sandbox: RunningMetaSandbox; stream: StreamDefinition; config: MetaSourceConfig }> {
  const sandbox = await startMetaSandbox({ anchorDate, seed: 42, accessToken: 'meta-test-token', ...options.sandbox });
  fixture.afterTest(sandbox);
  const overrides = options.config ?? {};
  const config = MetaSourceConfig.parse({
    id: 'social', type: 'meta', accountIds: sandbox.accountIds, endpoint: sandbox.url,
    auth: { type: 'access_token', secret: 'meta/social-token' }, ...overrides,
    asyncPoll: { ...quickPacing.asyncPoll, ...(overrides.asyncPoll as object | undefined) },
    rateLimit: { ...quickPacing.rateLimit, ...(overrides.rateLimit as object | undefined) },
  });
  const secrets = new LayeredSecretStore({ 'meta/social-token': options.token ?? sandbox.accessToken }, new LocalSecretStore({ env: {} }));
  const [stream] = metaConnector.streams(config, { secrets, log: options.log ?? silentLogger });
  return { sandbox, stream: stream!, config };
}

const lake = fixture.lake;

async function engineFor(root: string): Promise<DuckDbEngine> {
  const engine = await DuckDbEngine.open({ lakeRoot: root, tables: metaConnector.tables });
  fixture.afterTest(engine);
  return engine;
}

async function lakeTotals(root: string): Promise<Totals & { days: number; first: string | null; last: string | null; keys: number }> {
  const [row] = await (await engineFor(root)).query(
    `SELECT count(*) AS rows, coalesce(sum(spend), 0) AS spend, coalesce(sum(clicks), 0) AS clicks,
            coalesce(sum(impressions), 0) AS impressions, coalesce(sum(conversions), 0) AS conversions,
            coalesce(sum(conversions_value), 0) AS conversions_value, count(DISTINCT dt) AS days,
            min(dt) AS first, max(dt) AS last, count(DISTINCT (account_id, date, campaign_id)) AS keys
       FROM ads_meta_campaign_daily`,
  );
  return {
    rows: Number(row!.rows), spend: Number(row!.spend), clicks: Number(row!.clicks), impressions: Number(row!.impressions),
    conversions: Number(row!.conversions), conversionsValue: Number(row!.conversions_value), days: Number(row!.days),
    first: row!.first as string | null, last: row!.last as string | null, keys: Number(row!.keys),
  };
}

function sync(store: LocalFolderStore, stream: StreamDefinition, lastCompleteDay: string, initialFrom: string, log: Logger = silentLogger): Promise<StreamSyncResult> {
  return syncStream({ store, sourceId: 'social', stream, runId: 'run1', lastCompleteDay, initialFrom, log });
}

/** The insights requests a sandbox saw, as `METHOD path since…until`. */
function insightCalls(sandbox: RunningMetaSandbox): string[] {
  return sandbox.requests().filter((r) => r.path.endsWith('/insights')).map((r) => {
    const range = r.params.time_range ? JSON.parse(r.params.time_range) as { since: string; until: string } : undefined;
    return `${r.method} ${r.path}${range ? ` ${range.since}…${range.until}` : ''}${r.params.after ? ' after' : ''}`;
  });
}

describe('Meta connector through syncStream into a local lake', () => {
  it('pages across accounts and chunks with pageSize 5 and lands exactly the seed rows', async () => {
    // Prepare: two ad accounts (one campaign each) started through the connector's own sandbox hook,
    // 14 days in two 7-day chunks → 7 rows per account and chunk → 2 pages each.
    const config = MetaSourceConfig.parse({ id: 'social', type: 'meta', accountIds: ['act_1111111111', '2222222222'], sandbox: { seed: 42 }, pageSize: 5, chunkDays: 7 });
    const started = await metaConnector.startSandbox!(config, { anchorDate });
    fixture.afterTest(started.sandbox);
    const sandbox = started.sandbox as RunningMetaSandbox;
    const secrets = new LayeredSecretStore(started.secrets, new LocalSecretStore({ env: {} }));
    const [stream] = metaConnector.streams(started.config, { secrets, log: silentLogger });
    const { root, store } = await lake();
    const from = '2026-10-02';
    const to = '2026-10-15';
    const expected = seedTotals(['1111111111', '2222222222'], from, to);

    // Act
    const result = await sync(store, stream!, to, from);

    // Assess
    expect(result).toMatchObject({ source: 'social', stream: table, status: 'ok', window: { from, to }, rows: 28, files: 14, cursor: to });
    expect(expected.rows).toBe(28);
    expect(await lakeTotals(root)).toEqual({ ...expected, days: 14, first: from, last: to, keys: 28 });
    // Account node and campaigns once per account, then 2 pages per account per chunk, all sync GETs.
    expect(sandbox.requestCount()).toBe(2 * 2 + 2 * 2 * 2);
    expect(insightCalls(sandbox)).toEqual([
      'GET /v26.0/act_1111111111/insights 2026-10-02…2026-10-08', 'GET /v26.0/act_1111111111/insights 2026-10-02…2026-10-08 after',
      'GET /v26.0/act_2222222222/insights 2026-10-02…2026-10-08', 'GET /v26.0/act_2222222222/insights 2026-10-02…2026-10-08 after',
      'GET /v26.0/act_1111111111/insights 2026-10-09…2026-10-15', 'GET /v26.0/act_1111111111/insights 2026-10-09…2026-10-15 after',
      'GET /v26.0/act_2222222222/insights 2026-10-09…2026-10-15', 'GET /v26.0/act_2222222222/insights 2026-10-09…2026-10-15 after',
    ]);
    // The token travelled in the Authorization header only, never in a URL.
    expect(new Set(sandbox.requests().map((r) => r.tokenIn))).toEqual(new Set(['header']));
  });

  it('writes each row with the account facts, the campaign status and the raw action arrays', async () => {
    // Prepare
    const { stream, sandbox } = await metaSource();
    const { root, store } = await lake();
    const day = '2026-10-15';
    const [fact] = campaignFactsFor(day, { seed: 42, anchorDate, accountIds: sandbox.accountIds });
    const campaign = sandboxCampaigns(sandbox.accountIds)[0]!;

    // Act
    await sync(store, stream, day, day);

    // Assess
    const rows = await (await engineFor(root)).query(
      `SELECT CAST(date AS VARCHAR) AS date, account_id, account_name, campaign_id, campaign_name, campaign_status, impressions, clicks,
              spend, conversions, conversions_value, currency, time_zone, source_id, actions_json, action_values_json
         FROM ads_meta_campaign_daily WHERE campaign_name = 'spring_sale'`,
    );
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect({ ...row, actions_json: undefined, action_values_json: undefined }).toEqual({
      date: day, account_id: '1029384756', account_name: '서울 쇼핑몰 광고 계정 1', campaign_id: campaign.campaignId,
      campaign_name: 'spring_sale', campaign_status: 'ACTIVE', impressions: fact!.impressions, clicks: fact!.clicks,
      spend: fact!.spend, conversions: fact!.purchases + fact!.leads, conversions_value: fact!.purchaseValue,
      currency: 'KRW', time_zone: 'Asia/Seoul', source_id: 'social', actions_json: undefined, action_values_json: undefined,
    });
    const actions = JSON.parse(row.actions_json as string) as Array<{ action_type: string; value: string }>;
    expect(actions.find((a) => a.action_type === 'omni_purchase')).toEqual({ action_type: 'omni_purchase', value: String(fact!.purchases) });
    expect(actions.find((a) => a.action_type === 'link_click')).toEqual({ action_type: 'link_click', value: String(fact!.linkClicks) });
    expect(JSON.parse(row.action_values_json as string)).toContainEqual({ action_type: 'purchase', value: String(fact!.purchaseValue) });
  });

  it('re-reads the 28-day lookback and replaces it, then adds exactly the next day', async () => {
    // Prepare: lookbackDays defaults to 28; 30-day chunks keep every read on the sync path.
    const { stream, config } = await metaSource({ config: { chunkDays: 30 } });
    expect(config.lookbackDays).toBe(28);
    const { root, store } = await lake();
    const from = '2026-08-20';
    const accounts = config.accountIds;
    const first = await sync(store, stream, '2026-10-14', from);
    const before = await lakeTotals(root);

    // Act
    const again = await sync(store, stream, '2026-10-14', from);
    const afterRerun = await lakeTotals(root);
    const nextDay = await sync(store, stream, '2026-10-15', from);
    const afterNextDay = await lakeTotals(root);

    // Assess
    const expected = seedTotals(accounts, from, '2026-10-14');
    expect(first.window).toEqual({ from, to: '2026-10-14' });
    expect(before).toEqual({ ...expected, days: 56, first: from, last: '2026-10-14', keys: expected.rows });
    // Cursor 2026-10-14 − 28 + 1 = 2026-09-17: 28 days re-read, replaced, not duplicated.
    expect(again.window).toEqual({ from: '2026-09-17', to: '2026-10-14' });
    expect(again.rows).toBe(seedTotals(accounts, '2026-09-17', '2026-10-14').rows);
    expect(afterRerun).toEqual(before);
    expect(nextDay.window).toEqual({ from: '2026-09-17', to: '2026-10-15' });
    const day = seedTotals(accounts, '2026-10-15', '2026-10-15');
    expect(afterNextDay).toEqual({
      rows: before.rows + day.rows, spend: before.spend + day.spend, clicks: before.clicks + day.clicks,
      impressions: before.impressions + day.impressions, conversions: before.conversions + day.conversions,
      conversionsValue: before.conversionsValue + day.conversionsValue, days: 57, first: from, last: '2026-10-15', keys: before.rows + day.rows,
    });
    expect(await readStreamState(store, 'social', table)).toMatchObject({ cursor: '2026-10-15', firstDate: from });
  });

  describe('throttling', () => {
    const from = '2026-10-02';
    const to = '2026-10-15';

    it("waits out Meta's hinted reset (X-Ad-Account-Usage reset_time_duration, seconds) and completes with the same totals", async () => {
      // Prepare: request 4 (the second chunk's insights) is answered with code 613 and a 1-second reset hint.
      const log = recordingLogger();
      const { stream, sandbox, config } = await metaSource({
        sandbox: { throttle: { everyNthRequest: 4, code: 613, resetTimeDurationSeconds: 1 } },
        config: { chunkDays: 7 }, log,
      });
      const { root, store } = await lake();
      const started = Date.now();

      // Act
      const result = await sync(store, stream, to, from);

      // Assess
      const elapsed = Date.now() - started;
      const expected = seedTotals(config.accountIds, from, to);
      expect(result).toMatchObject({ status: 'ok', cursor: to, rows: expected.rows });
      expect(await lakeTotals(root)).toMatchObject({ rows: expected.rows, spend: expected.spend, clicks: expected.clicks, impressions: expected.impressions });
      expect(sandbox.requestCount()).toBe(5);
      const throttleWaits = log.warnings.filter((w) => w.message.startsWith('throttled by Meta'));
      expect(throttleWaits.map((w) => w.fields)).toEqual([{ waitMs: 1000, throttled: 1, code: 613 }]);
      expect(elapsed).toBeGreaterThanOrEqual(1000);
    });

    it('waits rateLimit.fallbackWaitSeconds when the hint is estimated_time_to_regain_access: 0', async () => {
      // Prepare: every second request is refused with code 80000 (ads_insights business use case) and no
      // usable hint, as Meta often sends it.
      const log = recordingLogger();
      const { stream, config } = await metaSource({
        sandbox: { throttle: { everyNthRequest: 2, code: 80000, estimatedTimeToRegainAccessMinutes: 0 } },
        config: { chunkDays: 7, rateLimit: { fallbackWaitSeconds: 0.25 } }, log,
      });
      const { root, store } = await lake();
      const started = Date.now();

      // Act
      const result = await sync(store, stream, to, from);

      // Assess: requests 2, 4 and 6 (campaigns, each chunk's insights) were refused once each and retried.
      const elapsed = Date.now() - started;
      const expected = seedTotals(config.accountIds, from, to);
      expect(result.status).toBe('ok');
      expect(await lakeTotals(root)).toMatchObject({ rows: expected.rows, spend: expected.spend, conversions: expected.conversions });
      const waits = log.warnings.filter((w) => w.message.startsWith('throttled by Meta')).map((w) => w.fields);
      expect(waits).toEqual([1, 2, 3].map(() => ({ waitMs: 250, throttled: 1, code: 80000 })));
      expect(elapsed).toBeGreaterThanOrEqual(750);
    });

    it('stops with status partial, keeping finished chunks, when Meta asks to wait longer than maxWaitMinutes', async () => {
      // Prepare: the second chunk's insights call is refused with estimated_time_to_regain_access 30 (minutes).
      const { stream, sandbox, config } = await metaSource({
        sandbox: { throttle: { everyNthRequest: 4, code: 80000, estimatedTimeToRegainAccessMinutes: 30 } },
        config: { chunkDays: 7 },
      });
      const { root, store } = await lake();

      // Act
      const result = await sync(store, stream, to, from);

      // Assess
      const kept = seedTotals(config.accountIds, from, '2026-10-08');
      expect(result).toMatchObject({ status: 'partial', cursor: '2026-10-08', rows: kept.rows, files: 7 });
      expect(result.partialReason).toMatch(/^Meta throttled GET act_1029384756\/insights \(HTTP 400, code 80000\/2446079\): There have been too many calls/);
      expect(result.partialReason).toMatch(/Meta asks to wait 30 min, more than rateLimit\.maxWaitMinutes \(15 min\)$/);
      expect(sandbox.requestCount()).toBe(4);
      expect(await lakeTotals(root)).toMatchObject({ rows: kept.rows, spend: kept.spend, last: '2026-10-08' });
      expect(await readStreamState(store, 'social', table)).toMatchObject({ cursor: '2026-10-08', partialReason: result.partialReason });
    });

    it('pauses before the next call once the usage headers pass slowDownAtPercent', async () => {
      // Prepare: every request adds 45% utilisation, so from the second answer on usage is ≥ 90%.
      const log = recordingLogger();
      const { stream, config } = await metaSource({ sandbox: { usagePercentPerRequest: 45 }, config: { chunkDays: 7 }, log });
      const { root, store } = await lake();

      // Act
      const result = await sync(store, stream, to, from);

      // Assess: account (45%), campaigns (90% → pause), insights chunk 1 (pause), insights chunk 2.
      expect(result.status).toBe('ok');
      expect(await lakeTotals(root)).toMatchObject({ rows: seedTotals(config.accountIds, from, to).rows });
      const pauses = log.warnings.filter((w) => w.message.startsWith('Meta rate-limit usage is high')).map((w) => w.fields);
      expect(pauses).toEqual([{ pauseMs: 20 }, { pauseMs: 20 }]);
    });
  });

  it('rejects a bad token with a SourceError naming Meta, HTTP 400 and code 190, and writes nothing', async () => {
    // Prepare
    const { stream, sandbox } = await metaSource({ token: 'not-the-sandbox-token' });
    const { root, store } = await lake();

    // Act
    const error = await sync(store, stream, '2026-10-15', addDays('2026-10-15', -13)).then(
      () => { throw new Error('expected syncStream to reject'); },
      (e: unknown) => e,
    );

    // Assess
    expect(error).toBeInstanceOf(SourceError);
    const sourceError = error as SourceError;
    expect(sourceError.message).toBe(
      'Meta rejected the access token (HTTP 400, code 190): Invalid OAuth access token - Cannot parse access token. ' +
      "The token is invalid or expired: generate a new system-user token with ads_read (Business Settings → System users) and update the source's auth secret.",
    );
    expect(sourceError.message).not.toContain('not-the-sandbox-token');
    expect(sourceError.context).toMatchObject({ source: 'social', stream: table, status: 400, code: 190 });
    expect(sourceError.retryable).toBe(false);
    expect(sandbox.requestCount()).toBe(1);
    expect(await store.list('')).toEqual([]);
    expect(await readStreamState(store, 'social', table)).toBeUndefined();
    expect(await lakeTotals(root)).toMatchObject({ rows: 0, days: 0 });
  });

  describe('large windows', () => {
    const from = addDays('2026-10-15', -89);
    const to = '2026-10-15';

    /** Every column but synced_at, in key order. */
    async function lakeRows(root: string): Promise<unknown[]> {
      return (await engineFor(root)).query(
        `SELECT CAST(date AS VARCHAR) AS date, account_id, account_name, campaign_id, campaign_name, campaign_status, impressions, clicks, spend,
                conversions, conversions_value, currency, time_zone, source_id, actions_json, action_values_json, dt
           FROM ads_meta_campaign_daily ORDER BY account_id, date, campaign_id`,
      );
    }

    it('reads a 90-day first sync as an async report run that lands the same lake as sync reads of shorter windows', async () => {
      // Prepare: the defaults (chunkDays 90, asyncThresholdDays 31) make the first sync one async job per
      // account; the same window in 30-day chunks goes through paged GETs.
      const asyncSource = await metaSource({ sandbox: { accountIds: ['1111111111', '2222222222'], asyncPollsToComplete: 3 }, config: { pageSize: 40 } });
      const syncSource = await metaSource({ sandbox: { accountIds: ['1111111111', '2222222222'] }, config: { chunkDays: 30 } });
      expect(asyncSource.config).toMatchObject({ chunkDays: 90, asyncThresholdDays: 31 });
      const asyncLake = await lake();
      const syncLake = await lake();

      // Act
      const asyncResult = await sync(asyncLake.store, asyncSource.stream, to, from);
      const syncResult = await sync(syncLake.store, syncSource.stream, to, from);

      // Assess
      const expected = seedTotals(['1111111111', '2222222222'], from, to);
      expect(asyncResult).toMatchObject({ status: 'ok', rows: expected.rows, files: 90, cursor: to });
      expect(syncResult).toMatchObject({ status: 'ok', rows: expected.rows, files: 90, cursor: to });
      expect(await lakeTotals(asyncLake.root)).toEqual({ ...expected, days: 90, first: from, last: to, keys: expected.rows });
      const asyncRows = await lakeRows(asyncLake.root);
      expect(asyncRows).toHaveLength(180);
      expect(asyncRows).toEqual(await lakeRows(syncLake.root));
      // One report run per account: create, three status polls, then 90 rows in pages of 40.
      const asyncCalls = asyncSource.sandbox.requests().filter((r) => !/\/act_\d+\/campaigns$|\/act_\d+$/.test(r.path)).map((r) => `${r.method} ${r.path.replace(/\d{16}/, '{run}')}${r.params.after ? ' after' : ''}`);
      const perAccount = (account: string) => [
        `POST /v26.0/act_${account}/insights`,
        'GET /v26.0/{run}', 'GET /v26.0/{run}', 'GET /v26.0/{run}',
        'GET /v26.0/{run}/insights', 'GET /v26.0/{run}/insights after', 'GET /v26.0/{run}/insights after',
      ];
      expect(asyncCalls).toEqual([...perAccount('1111111111'), ...perAccount('2222222222')]);
      expect(syncSource.sandbox.requests().some((r) => r.method === 'POST')).toBe(false);
    });

    it('splits a window in half, and again, when Meta answers "Please reduce the amount of data"', async () => {
      // Prepare: the sandbox refuses sync reads over more than 10 days; one 28-day chunk is asked for.
      const log = recordingLogger();
      const { stream, sandbox, config } = await metaSource({ sandbox: { maxDaysPerRequest: 10 }, config: { chunkDays: 28 } });
      const { root, store } = await lake();
      const window = { from: '2026-09-18', to: '2026-10-15' };

      // Act
      const result = await sync(store, stream, window.to, window.from, log);

      // Assess
      const expected = seedTotals(config.accountIds, window.from, window.to);
      expect(result).toMatchObject({ status: 'ok', rows: expected.rows, files: 28 });
      expect(await lakeTotals(root)).toEqual({ ...expected, days: 28, first: window.from, last: window.to, keys: expected.rows });
      expect(insightCalls(sandbox)).toEqual([
        'GET /v26.0/act_1029384756/insights 2026-09-18…2026-10-15',
        'GET /v26.0/act_1029384756/insights 2026-09-18…2026-10-01',
        'GET /v26.0/act_1029384756/insights 2026-09-18…2026-09-24',
        'GET /v26.0/act_1029384756/insights 2026-09-25…2026-10-01',
        'GET /v26.0/act_1029384756/insights 2026-10-02…2026-10-15',
        'GET /v26.0/act_1029384756/insights 2026-10-02…2026-10-08',
        'GET /v26.0/act_1029384756/insights 2026-10-09…2026-10-15',
      ]);
      expect(log.warnings.map((w) => w.message)).toEqual([
        'Meta asked for less data for act_1029384756 2026-09-18 … 2026-10-15; reading 2026-09-18 … 2026-10-01 and 2026-10-02 … 2026-10-15',
        'Meta asked for less data for act_1029384756 2026-09-18 … 2026-10-01; reading 2026-09-18 … 2026-09-24 and 2026-09-25 … 2026-10-01',
        'Meta asked for less data for act_1029384756 2026-10-02 … 2026-10-15; reading 2026-10-02 … 2026-10-08 and 2026-10-09 … 2026-10-15',
      ]);
    });

    it('gives up with the reduce-data error when even one day is too much', async () => {
      // Prepare: no window is small enough.
      const { stream } = await metaSource({ sandbox: { maxDaysPerRequest: 0 }, config: { chunkDays: 2 } });
      const { store } = await lake();

      // Act
      const error = await sync(store, stream, '2026-10-15', '2026-10-14').then(() => undefined, (e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(MetaReduceDataError);
      expect((error as Error).message).toBe("Meta asks for less data per call (HTTP 500, code 1): Please reduce the amount of data you're asking for, then retry your request");
      expect(await store.list('')).toEqual([]);
    });

    it('fails with a SourceError when the async report run ends "Job Failed"', async () => {
      // Prepare
      const { stream } = await metaSource({ sandbox: { asyncOutcome: 'Job Failed', asyncPollsToComplete: 2 } });
      const { store } = await lake();

      // Act
      const error = await sync(store, stream, to, from).then(() => undefined, (e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(SourceError);
      expect((error as SourceError).message).toMatch(/^Meta async report run \d+ for ad account act_1029384756 ended with "Job Failed"/);
      expect((error as SourceError).retryable).toBe(false);
      expect(await store.list('')).toEqual([]);
    });
  });
});

describe('Meta rows with odd values', () => {
  const from = '2026-09-04';
  const to = '2026-10-15';
  const historyDays = 400;

  /** The seed rows of the window, each with the oddity the sandbox gives it (by its place in the account's history). */
  function oddFacts(accountIds: readonly string[], oddValues: number) {
    const firstDate = addDays(anchorDate, 1 - historyDays);
    const campaigns = sandboxCampaigns(accountIds).map((c) => c.campaignId);
    return [...eachDay(from, to)].flatMap((day) => campaignFactsFor(day, { seed: 42, anchorDate, accountIds })).map((fact) => {
      const place = daysBetween(firstDate, fact.date) * campaigns.length + campaigns.indexOf(fact.campaignId);
      const oddity = place % oddValues === oddValues - 1 ? META_SANDBOX_ODDITIES[Math.floor(place / oddValues) % META_SANDBOX_ODDITIES.length] : undefined;
      return { fact, oddity };
    });
  }

  it('coerces what the contract allows, quarantines the rest in _rejects with the raw row, and loses nothing on a re-read or an async read', async () => {
    // Prepare: every 3rd campaign-day carries one of META_SANDBOX_ODDITIES in turn; 42 days read in
    // 7-day chunks (paged GETs), and by a second source as one async report run (chunkDays 90 > 31).
    const { stream, config } = await metaSource({ sandbox: { oddValues: 3, historyDays }, config: { chunkDays: 7, pageSize: 5 } });
    const asyncSource = await metaSource({ sandbox: { oddValues: 3, historyDays } });
    const { root, store } = await lake();
    const asyncLake = await lake();
    const facts = oddFacts(config.accountIds, 3);
    const kept = facts.filter((f) => !f.oddity?.rejected);
    const rejectedFacts = facts.filter((f) => f.oddity?.rejected);
    const seen = (name: string) => facts.filter((f) => f.oddity?.name === name).length;

    // Act
    const result = await sync(store, stream, to, from);
    const rerun = await syncStream({ store, sourceId: 'social', stream, runId: 'run2', lastCompleteDay: to, initialFrom: from, log: silentLogger, backfill: { from, to } });
    const asyncResult = await sync(asyncLake.store, asyncSource.stream, to, from);

    // Assess: every oddity came up, and the counts add up to the seed rows
    expect(new Set(facts.map((f) => f.oddity?.name).filter(Boolean))).toEqual(new Set(META_SANDBOX_ODDITIES.map((o) => o.name)));
    expect(kept.length + rejectedFacts.length).toBe(84);
    expect(result).toMatchObject({ status: 'ok', rows: kept.length, rejected: rejectedFacts.length, cursor: to });
    expect(rerun).toMatchObject({ status: 'ok', rows: kept.length, rejected: rejectedFacts.length });
    expect(asyncResult).toMatchObject({ status: 'ok', rows: kept.length, rejected: rejectedFacts.length });
    // Coerced values are the seed's: spend sent as a JSON number, impressions left out → 0, a null account_id → the account's.
    const totals = await lakeTotals(root);
    expect(totals).toMatchObject({
      rows: kept.length, keys: kept.length,
      spend: kept.reduce((sum, f) => sum + f.fact.spend, 0),
      impressions: kept.reduce((sum, f) => sum + (f.oddity?.name === 'metrics and actions left out' ? 0 : f.fact.impressions), 0),
    });
    const engine = await DuckDbEngine.open({ lakeRoot: root, tables: [...metaConnector.tables, rejectsTable] });
    fixture.afterTest(engine);
    const [names] = await engine.query(
      `SELECT count(*) FILTER (WHERE campaign_name LIKE '%🎉 한글 캠페인') AS korean, max(length(campaign_name)) AS longest,
              count(DISTINCT account_id) AS accounts
         FROM ads_meta_campaign_daily`,
    );
    expect(Number(names!.korean)).toBe(seen('Korean and emoji in the campaign name'));
    expect(Number(names!.longest)).toBeGreaterThan(100_000);
    expect(Number(names!.accounts)).toBe(1);
    // The quarantine: each rejected row once per run, with its field, the reason and the row as Meta sent it.
    const rejects = await engine.query(`SELECT source_id, stream, run_id, field, reason, raw_payload FROM "_rejects" ORDER BY run_id, field, reason`);
    expect(rejects).toHaveLength(2 * rejectedFacts.length);
    const fieldCounts = (rows: readonly { field?: unknown }[]) => Object.fromEntries(
      [...new Set(rows.map((r) => String(r.field)))].sort().map((field) => [field, rows.filter((r) => String(r.field) === field).length]),
    );
    expect(fieldCounts(rejects.filter((r) => r.run_id === 'run1'))).toEqual(fieldCounts(rejectedFacts.map((f) => ({ field: f.oddity!.field }))));
    const reasons: Record<string, RegExp> = {
      spend: /^Meta spend is not a number: "n\/a"$/,
      date_start: /^Meta date_start is not a YYYY-MM-DD calendar date: "2026\/\d\d\/\d\d"$/,
      date_stop: /^Meta insights row spans (2026-\d\d-\d\d) … 2026-\d\d-\d\d; expected one day \(time_increment=1\)$/,
      campaign_id: /^Meta campaign_id is not a string of digits: \d+$/,
      actions: /^Meta actions is not a list of \{ action_type, value \}: \{/,
    };
    for (const reject of rejects) {
      expect(reject).toMatchObject({ source_id: 'social', stream: table });
      expect(reject.reason).toMatch(reasons[reject.field as string]!);
      expect(JSON.parse(reject.raw_payload as string)).toMatchObject({ campaign_name: expect.any(String), date_start: expect.any(String) });
    }
    // The async report run lands the same rows.
    const columns = `CAST(date AS VARCHAR) AS date, account_id, campaign_id, campaign_name, impressions, clicks, spend, conversions, conversions_value, actions_json`;
    const order = 'ORDER BY date, campaign_id';
    const asyncEngine = await engineFor(asyncLake.root);
    expect(await asyncEngine.query(`SELECT ${columns} FROM ads_meta_campaign_daily ${order}`))
      .toEqual(await engine.query(`SELECT ${columns} FROM ads_meta_campaign_daily ${order}`));
  });
});
