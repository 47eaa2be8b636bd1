import { describe, expect, it } from 'vitest';
import type { StreamDefinition } from '../../core/connector.ts';
import { eachDay } from '../../core/dates.ts';
import { SourceError } from '../../core/errors.ts';
import { LocalFolderStore } from '../../core/lake/local-folder-store.ts';
import { readStreamState } from '../../core/lake/state-store.ts';
import { silentLogger, type Logger } from '../../core/log.ts';
import { DuckDbEngine } from '../../core/query/duckdb-engine.ts';
import { LayeredSecretStore, LocalSecretStore } from '../../core/secrets.ts';
import { syncStream, type StreamSyncResult } from '../../core/sync/sync-stream.ts';
import { LinkedinSourceConfig } from '../../connectors/linkedin/config.ts';
import { linkedinConnector } from '../../connectors/linkedin/index.ts';
import {
  campaignFactsFor, defaultLinkedinSandboxAccount, type LinkedinSandboxAccount,
} from '../../connectors/linkedin/sandbox/seed-data.ts';
import {
  LINKEDIN_SANDBOX_ODDITIES, linkedinSandboxOddity, startLinkedinSandbox, type LinkedinSandboxOptions, type RunningLinkedinSandbox,
} from '../../connectors/linkedin/sandbox/server.ts';
import { rejectsTable } from '../../core/sync/rejects.ts';
import { lakeFixture } from '../support/lake-fixture.ts';

// The sandbox's "today" (a Friday, UTC); the seed data are a pure function of (seed 42, this date, campaign, day).
const anchorDate = '2026-11-20';
const seed = { seed: 42, anchorDate };
const table = 'ads_linkedin_campaign_daily';
const sourceId = 'linkedin_ads';
const secretName = 'kpi/linkedin';

/** A second account, in EUR, with its own b2b_webinar group and one campaign. */
const apacAccount: LinkedinSandboxAccount = {
  id: '598765432', name: 'Seoul Shop B2B Europe', currency: 'EUR',
  campaignGroups: [
    { id: '634129000', name: 'Default Campaign Group', status: 'ACTIVE', campaigns: [] },
    {
      id: '634129001', name: 'b2b_webinar', status: 'ACTIVE',
      campaigns: [{ id: '781239001', name: 'b2b_webinar_dach', status: 'ACTIVE', dailySpend: 60, cpm: 33, ctr: 0.005, conversionRate: 0.1, valuePerConversion: 40 }],
    },
  ],
};

const fixture = lakeFixture('kpi-linkedin-connector-');

interface Totals {
  rows: number;
  spendCents: number;
  clicks: number;
  impressions: number;
  conversions: number;
}

/** Σ over the seed data of a window: the elements adAnalytics reports. */
function seedTotals(from: string, to: string, accounts: readonly LinkedinSandboxAccount[]): Totals {
  const facts = [...eachDay(from, to)].flatMap((day) => campaignFactsFor(day, accounts, seed));
  return {
    rows: facts.length,
    spendCents: facts.reduce((sum, f) => sum + Math.round(f.spend * 100), 0),
    clicks: facts.reduce((sum, f) => sum + f.clicks, 0),
    impressions: facts.reduce((sum, f) => sum + f.impressions, 0),
    conversions: facts.reduce((sum, f) => sum + f.conversions, 0),
  };
}

async function sandbox(options: LinkedinSandboxOptions = {}): Promise<RunningLinkedinSandbox> {
  const started = await startLinkedinSandbox({ anchorDate, seed: 42, ...options });
  fixture.afterTest(started);
  return started;
}

/** The connector's one stream for a config pointed at the sandbox, with the given secret value. */
function streamFor(running: RunningLinkedinSandbox, secret: unknown, overrides: Record<string, unknown> = {}, log: Logger = silentLogger): StreamDefinition {
  const config = LinkedinSourceConfig.parse({
    id: sourceId, type: 'linkedin', accountIds: running.accounts.map((a) => a.id),
    endpoint: running.url, tokenUrl: running.tokenUrl, auth: { type: 'access_token', secret: secretName }, ...overrides,
  });
  const secrets = new LayeredSecretStore({ [secretName]: typeof secret === 'string' ? secret : JSON.stringify(secret) }, new LocalSecretStore({ env: {} }));
  const [stream] = linkedinConnector.streams(config, { secrets, log });
  return stream!;
}

const lake = fixture.lake;

async function openEngine(root: string): Promise<DuckDbEngine> {
  const engine = await DuckDbEngine.open({ lakeRoot: root, tables: linkedinConnector.tables });
  fixture.afterTest(engine);
  return engine;
}

async function lakeTotals(root: string): Promise<Totals & { days: number; first: string | null; last: string | null; keys: number }> {
  const engine = await openEngine(root);
  const [row] = await engine.query(
    `SELECT count(*) AS rows, coalesce(sum(spend), 0) AS spend, coalesce(sum(clicks), 0) AS clicks,
            coalesce(sum(impressions), 0) AS impressions, coalesce(sum(conversions), 0) AS conversions,
            count(DISTINCT dt) AS days, min(dt) AS first, max(dt) AS last,
            count(DISTINCT (account_id, date, campaign_id)) AS keys
       FROM ads_linkedin_campaign_daily`,
  );
  return {
    rows: Number(row!.rows), spendCents: Math.round(Number(row!.spend) * 100), clicks: Number(row!.clicks),
    impressions: Number(row!.impressions), conversions: Number(row!.conversions),
    days: Number(row!.days), first: row!.first as string | null, last: row!.last as string | null, keys: Number(row!.keys),
  };
}

function sync(store: LocalFolderStore, stream: StreamDefinition, lastCompleteDay: string, initialFrom: string): Promise<StreamSyncResult> {
  return syncStream({ store, sourceId, stream, runId: 'run1', lastCompleteDay, initialFrom, log: silentLogger });
}

function countBy(running: RunningLinkedinSandbox): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of running.requests()) {
    const key = `${r.path.replace(/\d+/g, '{id}')} ${r.status}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => { throw new Error('expected a rejection'); }, (error: unknown) => error);
}

describe('LinkedIn connector through syncStream into a local lake', () => {
  it('pages the finders, splits adAnalytics under its element cap, reads every account per chunk and lands exactly the seed rows', async () => {
    // Prepare: two accounts, finder pages of 1, chunks of 7 days, and adAnalytics cut at 5 elements:
    // account 1 (2 campaigns) → 2 days per request, account 2 (1 campaign) → 4 days per request.
    const accounts = [defaultLinkedinSandboxAccount(), apacAccount];
    const running = await sandbox({ accounts, maxAnalyticsElements: 5 });
    const stream = streamFor(running, running.accessToken, { pageSize: 1, chunkDays: 7, maxElementsPerRequest: 5 });
    const { root, store } = await lake();
    const [from, to] = ['2026-11-05', '2026-11-18'];
    const expected = seedTotals(from, to, accounts);

    // Act
    const result = await sync(store, stream, to, from);

    // Assess
    expect(result).toMatchObject({ source: sourceId, stream: table, status: 'ok', window: { from, to }, rows: expected.rows, files: 14, cursor: to });
    expect(expected.rows).toBe(14 * 3);
    expect(countBy(running)).toEqual({
      '/rest/adAccounts/{id} 200': 2,
      '/rest/adAccounts/{id}/adCampaigns 200': 2 + 1,
      '/rest/adAccounts/{id}/adCampaignGroups 200': 2 + 2,
      // per 7-day chunk: account 1 in 2+2+2+1 days, account 2 in 4+3 days.
      '/rest/adAnalytics 200': 2 * (4 + 2),
    });
    expect(await lakeTotals(root)).toEqual({ ...expected, days: 14, first: from, last: to, keys: expected.rows });
    const engine = await openEngine(root);
    const perAccount = await engine.query(
      `SELECT account_id, account_name, currency, time_zone, count(*) AS rows FROM ads_linkedin_campaign_daily GROUP BY 1, 2, 3, 4 ORDER BY 1`,
    );
    expect(perAccount).toEqual([
      { account_id: '512345678', account_name: 'Seoul Shop B2B', currency: 'USD', time_zone: 'UTC', rows: 28 },
      { account_id: '598765432', account_name: 'Seoul Shop B2B Europe', currency: 'EUR', time_zone: 'UTC', rows: 14 },
    ]);
  });

  it('re-reads the 7-day lookback and replaces it, then adds exactly the next day', async () => {
    // Prepare: lookbackDays defaults to 7.
    const running = await sandbox();
    const stream = streamFor(running, running.accessToken);
    expect(stream.lookbackDays).toBe(7);
    const { root, store } = await lake();
    const from = '2026-11-01';
    await sync(store, stream, '2026-11-18', from);
    const before = await lakeTotals(root);

    // Act
    const again = await sync(store, stream, '2026-11-18', from);
    const afterRerun = await lakeTotals(root);
    const nextDay = await sync(store, stream, '2026-11-19', from);
    const afterNextDay = await lakeTotals(root);

    // Assess
    const expected = seedTotals(from, '2026-11-18', running.accounts);
    expect(before).toMatchObject({ ...expected, days: 18 });
    expect(again.window).toEqual({ from: '2026-11-12', to: '2026-11-18' });
    expect(again.rows).toBe(seedTotals('2026-11-12', '2026-11-18', running.accounts).rows);
    expect(afterRerun).toEqual(before);
    expect(nextDay.window).toEqual({ from: '2026-11-12', to: '2026-11-19' });
    const day = seedTotals('2026-11-19', '2026-11-19', running.accounts);
    expect(afterNextDay).toEqual({
      rows: before.rows + day.rows, spendCents: before.spendCents + day.spendCents, clicks: before.clicks + day.clicks,
      impressions: before.impressions + day.impressions, conversions: before.conversions + day.conversions,
      days: 19, first: from, last: '2026-11-19', keys: before.rows + day.rows,
    });
    expect(await readStreamState(store, sourceId, table)).toMatchObject({ cursor: '2026-11-19', firstDate: from });
  });

  describe('throttling', () => {
    it('waits at least the Retry-After hint on 429 and still lands the same totals', async () => {
      // Prepare: every 3rd request is throttled with a 1 s hint (LinkedIn itself sends none).
      const running = await sandbox({ throttle: { everyNthRequest: 3, retryAfterSeconds: 1 } });
      const delays: number[] = [];
      const log: Logger = { ...silentLogger, warn: (_message, fields) => delays.push(Number(fields?.delayMs)), child: () => log };
      const stream = streamFor(running, running.accessToken, { chunkDays: 5 }, log);
      const { root, store } = await lake();
      const [from, to] = ['2026-11-09', '2026-11-18'];
      const started = Date.now();

      // Act
      const result = await sync(store, stream, to, from);

      // Assess: 5 answered requests (account, campaigns, groups, 2 × adAnalytics), 2 of them after a 429.
      const elapsed = Date.now() - started;
      const throttled = running.requests().filter((r) => r.status === 429).length;
      expect(throttled).toBe(2);
      expect(delays).toEqual([1000, 1000]);
      expect(elapsed).toBeGreaterThanOrEqual(2000);
      expect(result).toMatchObject({ status: 'ok', rows: seedTotals(from, to, running.accounts).rows });
      expect(await lakeTotals(root)).toMatchObject(seedTotals(from, to, running.accounts));
    });

    it('backs off without a hint (as LinkedIn sends none) and completes', async () => {
      // Prepare
      const running = await sandbox({ throttle: { everyNthRequest: 2 } });
      const stream = streamFor(running, running.accessToken);
      const { root, store } = await lake();
      const [from, to] = ['2026-11-15', '2026-11-18'];

      // Act
      const result = await sync(store, stream, to, from);

      // Assess: 4 answered requests, each after a 429 except the first.
      expect(running.requests().map((r) => r.status)).toEqual([200, 429, 200, 429, 200, 429, 200]);
      expect(result).toMatchObject({ status: 'ok', cursor: to });
      expect(await lakeTotals(root)).toMatchObject(seedTotals(from, to, running.accounts));
    });

    it('stops with status partial on the daily limit, keeping the chunks already complete', async () => {
      // Prepare: 4 requests a "day": account, campaigns, groups and the first chunk's adAnalytics.
      const running = await sandbox({ dailyRequestLimit: 4 });
      const stream = streamFor(running, running.accessToken, { chunkDays: 5 });
      const { root, store } = await lake();
      const [from, to] = ['2026-11-09', '2026-11-18'];

      // Act
      const result = await sync(store, stream, to, from);

      // Assess
      const kept = seedTotals(from, '2026-11-13', running.accounts);
      expect(result).toMatchObject({ status: 'partial', cursor: '2026-11-13', rows: kept.rows, files: 5 });
      expect(result.partialReason).toBe(
        'LinkedIn daily API limit reached (HTTP 429 TOO_MANY_REQUESTS: Resource level throttle APPLICATION DAY limit for calls to this resource is reached.); it resets at midnight UTC',
      );
      expect(running.requestCount()).toBe(5);
      expect(await lakeTotals(root)).toMatchObject({ ...kept, days: 5, last: '2026-11-13' });
    });
  });

  describe('bad credentials', () => {
    it('rejects a wrong token with a SourceError naming LinkedIn and HTTP 401, and writes nothing', async () => {
      // Prepare
      const running = await sandbox();
      const stream = streamFor(running, 'not-the-sandbox-token');
      const { root, store } = await lake();

      // Act
      const error = await rejection(sync(store, stream, '2026-11-18', '2026-11-05'));

      // Assess
      expect(error).toBeInstanceOf(SourceError);
      const sourceError = error as SourceError;
      expect(sourceError.message).toBe(
        `LinkedIn rejected the credentials (HTTP 401 INVALID_ACCESS_TOKEN: Invalid access token). Check the source's auth secret "${secretName}".`,
      );
      expect(sourceError.context).toMatchObject({ source: sourceId, stream: table, status: 401, accountId: '512345678' });
      expect(sourceError.retryable).toBe(false);
      expect(running.requestCount()).toBe(1);
      expect(await store.list('')).toEqual([]);
      expect(await readStreamState(store, sourceId, table)).toBeUndefined();
      expect(await lakeTotals(root)).toMatchObject({ rows: 0, days: 0 });
    });

    it('fails fast on an expired access token in access-token mode, saying to renew it', async () => {
      // Prepare
      const running = await sandbox({ expiredAccessTokens: ['sixty-one-days-old'] });
      const stream = streamFor(running, { access_token: 'sixty-one-days-old' });
      const { store } = await lake();

      // Act
      const error = await rejection(sync(store, stream, '2026-11-18', '2026-11-05'));

      // Assess
      expect((error as SourceError).message).toBe(
        'LinkedIn access token is no longer valid (HTTP 401 EXPIRED_ACCESS_TOKEN: The token used in the request has expired). ' +
        `LinkedIn access tokens last 60 days: renew it and update secret "${secretName}", or use auth type oauth_refresh_token so the connector refreshes it.`,
      );
      expect(running.requests().map((r) => `${r.path} ${r.status}`)).toEqual(['/rest/adAccounts/512345678 401']);
      expect(await store.list('')).toEqual([]);
    });
  });

  describe('LinkedIn specifics', () => {
    it("carries each campaign's campaign group id and name (the unified model's campaign)", async () => {
      // Prepare
      const running = await sandbox();
      const stream = streamFor(running, running.accessToken);
      const { root, store } = await lake();

      // Act
      await sync(store, stream, '2026-11-18', '2026-11-12');

      // Assess
      const engine = await openEngine(root);
      const campaigns = await engine.query(
        `SELECT campaign_id, campaign_name, campaign_status, campaign_group_id, campaign_group_name, count(*) AS days,
                round(sum(spend), 2) AS spend
           FROM ads_linkedin_campaign_daily GROUP BY 1, 2, 3, 4, 5 ORDER BY 1`,
      );
      const spendOf = (campaignId: string) => [...eachDay('2026-11-12', '2026-11-18')]
        .flatMap((day) => campaignFactsFor(day, running.accounts, seed)).filter((f) => f.campaignId === campaignId)
        .reduce((sum, f) => sum + Math.round(f.spend * 100), 0) / 100;
      expect(campaigns).toEqual([
        { campaign_id: '781230001', campaign_name: 'b2b_webinar_leadgen', campaign_status: 'ACTIVE', campaign_group_id: '634120001', campaign_group_name: 'b2b_webinar', days: 7, spend: spendOf('781230001') },
        { campaign_id: '781230002', campaign_name: 'b2b_webinar_retarget', campaign_status: 'ACTIVE', campaign_group_id: '634120001', campaign_group_name: 'b2b_webinar', days: 7, spend: spendOf('781230002') },
      ]);
    });

    it('refreshes an expired access token once through the token endpoint and completes the sync', async () => {
      // Prepare: the stored access token is past its 60 days; the refresh token is good.
      const running = await sandbox({ expiredAccessTokens: ['stored-token-expired'] });
      const { clientId, clientSecret, refreshToken } = running.oauthClient;
      const stream = streamFor(running, { client_id: clientId, client_secret: clientSecret, refresh_token: refreshToken, access_token: 'stored-token-expired' }, {
        auth: { type: 'oauth_refresh_token', secret: secretName },
      });
      const { root, store } = await lake();
      const [from, to] = ['2026-11-12', '2026-11-18'];

      // Act
      const result = await sync(store, stream, to, from);

      // Assess
      expect(result).toMatchObject({ status: 'ok', cursor: to, rows: seedTotals(from, to, running.accounts).rows });
      expect(running.requests().map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
        'GET /rest/adAccounts/512345678 401',
        'POST /oauth/v2/accessToken 200',
        'GET /rest/adAccounts/512345678 200',
        'GET /rest/adAccounts/512345678/adCampaigns 200',
        'GET /rest/adAccounts/512345678/adCampaignGroups 200',
        'GET /rest/adAnalytics 200',
      ]);
      expect(await lakeTotals(root)).toMatchObject(seedTotals(from, to, running.accounts));
    });

    it('mints an access token from the refresh token when the secret has none', async () => {
      // Prepare
      const running = await sandbox();
      const { clientId, clientSecret, refreshToken } = running.oauthClient;
      const stream = streamFor(running, { client_id: clientId, client_secret: clientSecret, refresh_token: refreshToken }, {
        auth: { type: 'oauth_refresh_token', secret: secretName },
      });
      const { store } = await lake();

      // Act
      const result = await sync(store, stream, '2026-11-18', '2026-11-12');

      // Assess
      expect(result.status).toBe('ok');
      expect(running.requests().filter((r) => r.path === '/oauth/v2/accessToken').map((r) => r.status)).toEqual([200]);
      expect(running.requests()[0]!.path).toBe('/oauth/v2/accessToken');
    });

    it('fails without retrying when LinkedIn refuses the refresh token, and never shows a secret', async () => {
      // Prepare
      const running = await sandbox();
      const { clientId, clientSecret } = running.oauthClient;
      const revoked = 'revoked-refresh-token-0123456789';
      const stream = streamFor(running, { client_id: clientId, client_secret: clientSecret, refresh_token: revoked }, {
        auth: { type: 'oauth_refresh_token', secret: secretName },
      });
      const { store } = await lake();

      // Act
      const error = await rejection(sync(store, stream, '2026-11-18', '2026-11-12'));

      // Assess
      expect(error).toBeInstanceOf(SourceError);
      const message = (error as SourceError).message;
      expect(message).toBe(
        'LinkedIn refused the refresh token (HTTP 400 invalid_grant: The provided authorization grant or refresh token is invalid, expired or revoked). ' +
        "Refresh tokens last 365 days from the member's authorisation and can be revoked: authorise the app again and update client_id, " +
        `client_secret and refresh_token in secret "${secretName}".`,
      );
      expect(message).not.toContain(revoked);
      expect(message).not.toContain(clientSecret);
      expect(running.requests().map((r) => `${r.path} ${r.status}`)).toEqual(['/oauth/v2/accessToken 400']);
      expect(await readStreamState(store, sourceId, table)).toBeUndefined();
    });

    it('runs against its own sandbox through startSandbox, as the CLI does', async () => {
      // Prepare
      const config = LinkedinSourceConfig.parse({ id: sourceId, type: 'linkedin', accountIds: ['urn:li:sponsoredAccount:512345678'], sandbox: { seed: 42 } });
      const started = await linkedinConnector.startSandbox!(config, { anchorDate });
      fixture.afterTest(started.sandbox as RunningLinkedinSandbox);
      const secrets = new LayeredSecretStore(started.secrets, new LocalSecretStore({ env: {} }));
      const [stream] = linkedinConnector.streams(started.config, { secrets, log: silentLogger });
      const { root, store } = await lake();

      // Act
      const result = await sync(store, stream!, '2026-11-19', '2026-11-13');

      // Assess
      expect(started.config).toMatchObject({ endpoint: started.sandbox.url, auth: { type: 'access_token', secret: `sandbox/${sourceId}` } });
      expect(result).toMatchObject({ status: 'ok', rows: 14 });
      expect(await lakeTotals(root)).toMatchObject(seedTotals('2026-11-13', '2026-11-19', [defaultLinkedinSandboxAccount()]));
    });
  });
});

describe('LinkedIn elements with odd values', () => {
  it('coerces what the contract allows, quarantines the rest in _rejects with the raw element, and loses nothing on a re-read', async () => {
    // Prepare: about one element in 2 carries one of LINKEDIN_SANDBOX_ODDITIES, chosen by its account, campaign and day.
    const running = await sandbox({ oddValues: 2 });
    const stream = streamFor(running, running.accessToken, { chunkDays: 14 });
    const { root, store } = await lake();
    const [from, to] = ['2026-10-22', '2026-11-18'];
    const elements = [...eachDay(from, to)].flatMap((day) => campaignFactsFor(day, running.accounts, seed))
      .map((fact) => ({ fact, oddity: linkedinSandboxOddity(fact, 2) }));
    const kept = elements.filter((e) => !e.oddity?.rejected);
    const expectedRejects = elements.length - kept.length;
    const expectedTotals = {
      rows: kept.length,
      spendCents: kept.reduce((sum, e) => sum + Math.round(e.fact.spend * 100), 0),
      clicks: kept.reduce((sum, e) => sum + e.fact.clicks, 0),
      impressions: kept.reduce((sum, e) => sum + e.fact.impressions, 0),
      // A metric left out counts as zero.
      conversions: kept.reduce((sum, e) => sum + (e.oddity?.name === 'a metric left out' ? 0 : e.fact.conversions), 0),
    };

    // Act
    const result = await sync(store, stream, to, from);
    const served = running.oddRowsServed();
    const rerun = await syncStream({ store, sourceId, stream, runId: 'run2', lastCompleteDay: to, initialFrom: from, log: silentLogger, backfill: { from, to } });

    // Assess
    expect(Object.keys(served.byName).sort()).toEqual(LINKEDIN_SANDBOX_ODDITIES.map((o) => o.name).sort());
    expect(served).toMatchObject({ rejected: expectedRejects, total: elements.filter((e) => e.oddity).length });
    expect(running.oddRowsServed().total).toBe(2 * served.total);
    expect(result).toMatchObject({ status: 'ok', rows: kept.length, rejected: expectedRejects, cursor: to });
    expect(rerun).toMatchObject({ status: 'ok', rows: kept.length, rejected: expectedRejects });
    expect(await lakeTotals(root)).toMatchObject({ ...expectedTotals, days: 28, keys: kept.length });
    const engine = await DuckDbEngine.open({ lakeRoot: root, tables: [...linkedinConnector.tables, rejectsTable] });
    fixture.afterTest(engine);
    const rejects = await engine.query(`SELECT source_id, stream, run_id, field, reason, raw_payload FROM "_rejects" ORDER BY run_id, reason`);
    expect(rejects).toHaveLength(2 * expectedRejects);
    expect(new Set(rejects.map((r) => `${String(r.source_id)}/${String(r.stream)}`))).toEqual(new Set([`${sourceId}/${table}`]));
    expect(rejects.filter((r) => r.run_id === 'run1')).toHaveLength(expectedRejects);
    expect(new Set(rejects.map((r) => r.field))).toEqual(new Set(['costInLocalCurrency', 'dateRange.start', 'pivotValues']));
    // Korean and emoji survive the trip through Parquet, in the reason and in the raw payload.
    const korean = rejects.find((r) => r.field === 'costInLocalCurrency')!;
    expect(korean.reason).toMatch(/^LinkedIn costInLocalCurrency is not a number: "\d+(\.\d+)? 달러 💸"$/);
    expect(JSON.parse(korean.raw_payload as string)).toMatchObject({
      pivotValues: [expect.stringMatching(/^urn:li:sponsoredCampaign:\d+$/)], costInLocalCurrency: expect.stringMatching(/ 달러 💸$/),
    });
    const creative = rejects.find((r) => String(r.reason).includes('sponsoredCreative'))!;
    expect(creative.reason).toMatch(/^LinkedIn pivotValues is not a sponsoredCampaign URN: "urn:li:sponsoredCreative:\d+"$/);
  });
});
