import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { StreamDefinition } from '../../core/connector.ts';
import { SourceError } from '../../core/errors.ts';
import { LocalFolderStore } from '../../core/lake/local-folder-store.ts';
import { readStreamState } from '../../core/lake/state-store.ts';
import { silentLogger, type Logger } from '../../core/log.ts';
import { DuckDbEngine } from '../../core/query/duckdb-engine.ts';
import type { QueryRow } from '../../core/query/query-engine.ts';
import { LayeredSecretStore, LocalSecretStore } from '../../core/secrets.ts';
import { syncStream, type StreamSyncResult } from '../../core/sync/sync-stream.ts';
import { SalesforceSourceConfig } from '../../connectors/salesforce/config.ts';
import { salesforceConnector } from '../../connectors/salesforce/index.ts';
import { tableNameOf } from '../../connectors/salesforce/names.ts';
import type { SandboxObjectName } from '../../connectors/salesforce/sandbox/describe.ts';
import { seedRecordCounts, type SandboxRecord } from '../../connectors/salesforce/sandbox/seed-data.ts';
import { startSalesforceSandbox, type RunningSalesforceSandbox, type SalesforceSandboxOptions } from '../../connectors/salesforce/sandbox/server.ts';
import { lakeFixture } from '../support/lake-fixture.ts';

// The sandbox's "today"; 45 days of seeded history keep each full sync around a second.
const anchorDate = '2026-10-16';
const seed = { seed: 42, anchorDate, historyDays: 45 };
const objects: readonly SandboxObjectName[] = ['Lead', 'Contact', 'Account', 'Opportunity', 'OpportunityHistory', 'Campaign', 'CampaignMember', 'User'];
const secretName = 'sf/crm';

const fixture = lakeFixture('kpi-salesforce-connector-');

async function sandbox(options: SalesforceSandboxOptions = {}): Promise<RunningSalesforceSandbox> {
  const started = await startSalesforceSandbox({ ...seed, ...options });
  fixture.afterTest(started);
  return started;
}

function configFor(sf: RunningSalesforceSandbox, overrides: Record<string, unknown> = {}): SalesforceSourceConfig {
  return SalesforceSourceConfig.parse({
    id: 'crm', type: 'salesforce', instanceUrl: sf.instanceUrl, loginUrl: sf.instanceUrl,
    auth: { type: 'access_token', secret: secretName }, bulkPollIntervalMs: 10, ...overrides,
  });
}

function streamsFor(config: SalesforceSourceConfig, secret: unknown, log: Logger = silentLogger): readonly StreamDefinition[] {
  const secrets = new LayeredSecretStore({ [config.auth?.secret ?? secretName]: typeof secret === 'string' ? secret : JSON.stringify(secret) }, new LocalSecretStore({ env: {} }));
  return salesforceConnector.streams(config, { secrets, log });
}

const lake = fixture.lake;

async function syncAll(store: LocalFolderStore, streams: readonly StreamDefinition[], runId: string): Promise<StreamSyncResult[]> {
  const results: StreamSyncResult[] = [];
  for (const stream of streams) {
    results.push(await syncStream({ store, sourceId: 'crm', stream, runId, lastCompleteDay: '2026-10-15', initialFrom: '2026-09-01', log: silentLogger }));
  }
  return results;
}

async function engineFor(root: string): Promise<DuckDbEngine> {
  const engine = await DuckDbEngine.open({ lakeRoot: root, tables: salesforceConnector.tables, views: salesforceConnector.views });
  fixture.afterTest(engine);
  return engine;
}

/** Every `_latest` view's rows (ordered by id) in one query: a view rebuild reads every file's schema, so queries are few. */
async function latestSnapshot(engine: DuckDbEngine, options: { withoutSyncedAt?: boolean } = {}): Promise<QueryRow> {
  const select = options.withoutSyncedAt ? '* EXCLUDE (synced_at)' : '*';
  const [row] = await engine.query(`SELECT ${objects.map((o) => `(SELECT list(t ORDER BY t.id) FROM (SELECT ${select} FROM ${tableNameOf(o)}_latest) AS t) AS ${tableNameOf(o)}`).join(', ')}`);
  return row!;
}

/** Every `_latest` view's column names and types. */
async function latestColumns(engine: DuckDbEngine): Promise<QueryRow[]> {
  await engine.query('SELECT 1');
  return engine.query("SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_name LIKE 'salesforce_%_latest' ORDER BY table_name, ordinal_position");
}

/** Rows per raw table and per `_latest` view, in one query. */
async function counts(engine: DuckDbEngine): Promise<Record<string, number>> {
  const [row] = await engine.query(`SELECT ${objects.flatMap((o) => [tableNameOf(o), `${tableNameOf(o)}_latest`]).map((t) => `(SELECT count(*) FROM ${t}) AS ${t}`).join(', ')}`);
  return Object.fromEntries(Object.entries(row!).map(([k, v]) => [k, Number(v)]));
}

async function count(engine: DuckDbEngine, sql: string): Promise<number> {
  const [row] = await engine.query(sql);
  return Number(Object.values(row!)[0]);
}

/** What queryAll would return now with `SystemModstamp > floor(cursor − overlap)`. */
function readSince(records: readonly SandboxRecord[], cursor: string, overlapSeconds = 300): number {
  const bound = Math.floor((Date.parse(cursor) - overlapSeconds * 1000) / 1000) * 1000;
  return records.filter((r) => Date.parse(String(r.SystemModstamp)) > bound).length;
}

function byObject(results: readonly StreamSyncResult[]): Record<string, StreamSyncResult> {
  return Object.fromEntries(results.map((r) => [r.stream, r]));
}

const opportunityColumns = 'id, stage_name, amount, probability, is_closed, is_won, close_date, campaign_id, account_id';

function expectedOpportunities(sf: RunningSalesforceSandbox): QueryRow[] {
  return sf.records('Opportunity').filter((o) => o.IsDeleted !== true).map((o) => ({
    id: o.Id!, stage_name: o.StageName!, amount: o.Amount!, probability: o.Probability!, is_closed: o.IsClosed!, is_won: o.IsWon!,
    close_date: o.CloseDate!, campaign_id: o.CampaignId ?? null, account_id: o.AccountId ?? null,
  }));
}

describe('Salesforce connector through syncStream into a local lake (jsforce against the sandbox)', () => {
  it('first sync lands every record of every object; an incremental sync after changes fetches only what changed; a rerun changes nothing', async () => {
    // Prepare
    const sf = await sandbox();
    const { root, store } = await lake();
    const streams = streamsFor(configFor(sf, { pageSize: 200 }), sf.accessToken);
    const seedCounts = seedRecordCounts(seed);

    // Act 1: the first sync reads the whole history.
    const first = byObject(await syncAll(store, streams, 'run1'));
    const engine = await engineFor(root);

    // Assess 1
    const lakeCounts = await counts(engine);
    for (const object of objects) {
      const table = tableNameOf(object);
      expect(first[table]).toMatchObject({ status: 'ok', rows: seedCounts[object] });
      expect(lakeCounts[table]).toBe(seedCounts[object]);
      expect(lakeCounts[`${table}_latest`]).toBe(sf.records(object).filter((r) => r.IsDeleted !== true).length);
      const state = await readStreamState(store, 'crm', table);
      expect(state?.cursor).toBe(first[table]!.cursor);
      expect(state?.streamState).toMatchObject({ api: 'rest', cursorField: 'SystemModstamp' });
    }
    expect(await engine.query(`SELECT ${opportunityColumns} FROM salesforce_opportunity_latest ORDER BY id`)).toEqual(expectedOpportunities(sf));
    expect(sf.stats().queries.filter((q) => q.startsWith('SELECT COUNT()'))).toHaveLength(8);

    // Act 2: the org changes, then an incremental sync.
    const before = new Map(objects.map((o) => [o, sf.records(o)]));
    const summary = sf.advance();
    sf.resetStats();
    const second = byObject(await syncAll(store, streams, 'run2'));

    // Assess 2: fetched = the changed records + the unchanged ones inside the 300 s overlap; written = the changed ones.
    for (const object of objects) {
      const table = tableNameOf(object);
      const changed = summary.changed[object] ?? [];
      const unchangedInOverlap = before.get(object)!.filter((r) => !changed.includes(String(r.Id)));
      expect(sf.stats().recordsReturned.byObject[object] ?? 0).toBe(changed.length + readSince(unchangedInOverlap, first[table]!.cursor!));
      expect(second[table]).toMatchObject({ status: 'ok', rows: changed.length });
    }
    expect(sf.stats().recordsReturned.rest).toBeLessThan(Object.values(seedCounts).reduce((a, b) => a + b, 0) / 20);
    expect(sf.stats().queries.filter((q) => q.startsWith('SELECT COUNT()'))).toHaveLength(0);
    expect(sf.stats().queries.find((q) => q.includes('FROM Opportunity'))).toBe(
      `SELECT Id, IsDeleted, AccountId, Name, Description, StageName, Amount, Probability, ExpectedRevenue, CloseDate, Type, NextStep, LeadSource, IsClosed, IsWon, ForecastCategory, ForecastCategoryName, CampaignId, HasOpportunityLineItem, OwnerId, CreatedDate, CreatedById, LastModifiedDate, LastModifiedById, SystemModstamp, LastStageChangeDate, FiscalQuarter, FiscalYear, Fiscal FROM Opportunity WHERE SystemModstamp > ${new Date(Math.floor((Date.parse(first.salesforce_opportunity!.cursor!) - 300_000) / 1000) * 1000).toISOString().replace('.000Z', 'Z')} ORDER BY SystemModstamp`,
    );
    expect(await engine.query(`SELECT ${opportunityColumns} FROM salesforce_opportunity_latest ORDER BY id`)).toEqual(expectedOpportunities(sf));
    const deletedOpportunity = summary.deleted.Opportunity![0]!;
    const deletedLead = summary.deleted.Lead![0]!;
    const mql = summary.leads.toMql[0]!;
    expect(await engine.query(`SELECT
        (SELECT count(*) FROM salesforce_opportunity_latest WHERE id = '${deletedOpportunity}') AS opportunity_in_latest,
        (SELECT list(is_deleted ORDER BY system_modstamp) FROM salesforce_opportunity WHERE id = '${deletedOpportunity}') AS opportunity_versions,
        (SELECT count(*) FROM salesforce_lead_latest WHERE id = '${deletedLead}') AS lead_in_latest,
        (SELECT list(is_deleted ORDER BY system_modstamp) FROM salesforce_lead WHERE id = '${deletedLead}') AS lead_versions,
        (SELECT status || ' ' || CAST(mql_date AS VARCHAR) FROM salesforce_lead_latest WHERE id = '${mql}') AS new_mql`)).toEqual([{
      opportunity_in_latest: 0, opportunity_versions: '[false,true]', lead_in_latest: 0, lead_versions: '[false,true]',
      new_mql: `MQL ${sf.records('Lead').find((l) => l.Id === mql)!.MQL_Date__c}`,
    }]);

    // Act 3: a rerun with no changes.
    const latestBefore = await latestSnapshot(engine);
    const third = await syncAll(store, streams, 'run3');
    const latestAfter = await latestSnapshot(engine);

    // Assess 3: re-read versions are recognised and nothing is written; _latest is identical row for row.
    expect(third.map((r) => [r.status, r.rows])).toEqual(objects.map(() => ['ok', 0]));
    expect(latestAfter).toEqual(latestBefore);
  });

  it('gives identical _latest tables through Bulk API 2.0 (CSV, Sforce-Locator pages) and REST, and keeps the pinned API', async () => {
    // Prepare: one org, two lakes; bulkThreshold 0 sends every object through Bulk, 200 rows per results page.
    const sf = await sandbox();
    const restLake = await lake();
    const bulkLake = await lake();

    // Act
    await syncAll(restLake.store, streamsFor(configFor(sf), sf.accessToken), 'rest');
    sf.resetStats();
    await syncAll(bulkLake.store, streamsFor(configFor(sf, { bulkThreshold: 0, bulkPageSize: 200 }), sf.accessToken), 'bulk');
    const bulkStats = sf.stats();
    const rest = await engineFor(restLake.root);
    const bulk = await engineFor(bulkLake.root);

    // Assess
    expect(bulkStats.bulkJobs).toBe(8);
    expect(bulkStats.recordsReturned.rest).toBe(0);
    expect(bulkStats.recordsReturned.bulk).toBe(Object.values(seedRecordCounts(seed)).reduce((a, b) => a + b, 0));
    const restColumns = await latestColumns(rest);
    expect(restColumns.length).toBeGreaterThan(8 * 20);
    expect(await latestColumns(bulk)).toEqual(restColumns);
    const restRows = await latestSnapshot(rest, { withoutSyncedAt: true });
    expect(Object.values(restRows).every((rows) => typeof rows === 'string' && rows.length > 100)).toBe(true);
    expect(await latestSnapshot(bulk, { withoutSyncedAt: true })).toEqual(restRows);
    for (const object of objects) {
      expect((await readStreamState(bulkLake.store, 'crm', tableNameOf(object)))?.streamState).toMatchObject({ api: 'bulk' });
    }

    // Act 2: the next run, with the default threshold, still reads through Bulk (pinned) and lands the changes.
    sf.advance();
    sf.resetStats();
    const opportunityStreams = streamsFor(configFor(sf, { bulkPageSize: 200, objects: ['Opportunity', 'OpportunityHistory'] }), sf.accessToken);
    const next = byObject(await syncAll(bulkLake.store, opportunityStreams, 'bulk2'));

    // Assess 2
    expect(sf.stats().bulkJobs).toBe(2);
    expect(sf.stats().queries.every((q) => !q.includes('ORDER BY'))).toBe(true);
    expect(next.salesforce_opportunity?.rows).toBeGreaterThan(0);
    expect(await bulk.query(`SELECT ${opportunityColumns} FROM salesforce_opportunity_latest ORDER BY id`)).toEqual(expectedOpportunities(sf));
  });

  it('stops cleanly past the API usage share, keeps the cursor, and the next run finishes', async () => {
    // Prepare: Lead reads in two pages of 200; 6 calls a day at a 50% share stop it after its first page.
    const sf = await sandbox({ dailyApiLimit: 6 });
    const { root, store } = await lake();
    const config = configFor(sf, { objects: ['Lead', 'Contact'], pageSize: 200, apiUsageLimitShare: 0.5 });
    const leads = sf.records('Lead');

    // Act: the first run stops; the next day (usage back to zero) the Lead stream continues.
    const stopped = await syncAll(store, streamsFor(config, sf.accessToken), 'run1');
    const usageAtStop = sf.apiUsage();
    const queriesAtStop = sf.stats().queries;
    const stateAtStop = await readStreamState(store, 'crm', 'salesforce_lead');
    sf.resetApiUsage();
    const resumed = await syncAll(store, streamsFor(config, sf.accessToken).slice(0, 1), 'run2');
    const engine = await engineFor(root);

    // Assess
    expect(stopped.map((r) => [r.stream, r.status, r.rows])).toEqual([['salesforce_lead', 'partial', 200], ['salesforce_contact', 'partial', 0]]);
    expect(stopped[0]!.partialReason).toBe('Salesforce daily API usage is 3 of 6 requests, past the 50% share this pipeline may use (apiUsageLimitShare)');
    expect(usageAtStop).toEqual({ used: 3, limit: 6 });
    expect(queriesAtStop.some((q) => q.includes('FROM Contact'))).toBe(false);
    const sorted = [...leads].sort((a, b) => String(a.SystemModstamp).localeCompare(String(b.SystemModstamp)) || String(a.Id).localeCompare(String(b.Id)));
    expect(stopped[0]!.cursor).toBe(sorted[199]!.SystemModstamp);
    expect(stateAtStop).toMatchObject({ cursor: stopped[0]!.cursor, partialReason: stopped[0]!.partialReason, streamState: { api: 'rest' } });
    expect(resumed).toMatchObject([{ status: 'ok', rows: leads.length - 200, cursor: sorted.at(-1)!.SystemModstamp }]);
    expect(await count(engine, 'SELECT count(*) FROM salesforce_lead')).toBe(leads.length);
    expect(await count(engine, 'SELECT count(DISTINCT (id, system_modstamp)) FROM salesforce_lead')).toBe(leads.length);
  });

  it('treats HTTP 403 REQUEST_LIMIT_EXCEEDED as a clean stop after the last checkpoint', async () => {
    // Prepare: other integrations use up the org's allowance: describe, count and the first page pass, the second page is refused.
    const sf = await sandbox();
    const { store } = await lake();
    const streams = streamsFor(configFor(sf, { objects: ['Lead'], pageSize: 200 }), sf.accessToken);
    sf.failNext({ status: 403, afterRequests: 3, errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'TotalRequests Limit exceeded.' });

    // Act
    const [lead] = await syncAll(store, streams, 'run1');

    // Assess
    expect(lead).toMatchObject({
      status: 'partial', rows: 200,
      partialReason: 'Salesforce daily API request limit reached (HTTP 403 REQUEST_LIMIT_EXCEEDED): TotalRequests Limit exceeded.',
    });
    expect((await readStreamState(store, 'crm', 'salesforce_lead'))?.cursor).toBe(lead!.cursor);
  });

  it('refreshes an expired session once (refresh_token auth at the token endpoint) and completes the sync', async () => {
    // Prepare: every token issued so far stops working after 3 more calls.
    const sf = await sandbox();
    const { root, store } = await lake();
    const warnings: string[] = [];
    const log: Logger = { ...silentLogger, warn: (message) => warnings.push(message), child: () => log };
    const config = configFor(sf, { objects: ['Lead', 'Opportunity'], pageSize: 200, auth: { type: 'refresh_token', secret: secretName } });
    const streams = streamsFor(config, { client_id: sf.oauth.clientId, client_secret: sf.oauth.clientSecret, refresh_token: sf.oauth.refreshToken }, log);

    // Act
    const [lead] = await syncAll(store, streams.slice(0, 1), 'run1');
    sf.expireSessionAfter(2);
    const [opportunity] = await syncAll(store, streams.slice(1), 'run1');
    const engine = await engineFor(root);

    // Assess: one grant to sign in, one to refresh.
    expect(lead).toMatchObject({ status: 'ok', rows: sf.records('Lead').length });
    expect(opportunity).toMatchObject({ status: 'ok', rows: sf.records('Opportunity').length });
    expect(sf.stats().tokenGrants).toBe(2);
    expect(warnings).toEqual(['Salesforce session expired (queryAll); refreshing it once']);
    expect(await count(engine, 'SELECT count(*) FROM salesforce_opportunity')).toBe(sf.records('Opportunity').length);
  });

  it('signs in with the JWT bearer flow and with username + password (OAuth and SOAP)', async () => {
    // Prepare
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const sf = await sandbox({ oauth: { jwtPublicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() } });
    const flows = [
      { auth: 'jwt_bearer', secret: { client_id: sf.oauth.clientId, username: sf.oauth.username, private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() } },
      { auth: 'username_password', secret: { username: sf.oauth.username, password: sf.oauth.password, security_token: sf.oauth.securityToken, client_id: sf.oauth.clientId, client_secret: sf.oauth.clientSecret } },
      { auth: 'username_password', secret: { username: sf.oauth.username, password: sf.oauth.password, security_token: sf.oauth.securityToken } },
    ];

    // Act
    const results: StreamSyncResult[] = [];
    for (const flow of flows) {
      const { store } = await lake();
      const config = configFor(sf, { objects: ['User'], auth: { type: flow.auth, secret: secretName } });
      results.push(...await syncAll(store, streamsFor(config, flow.secret), 'run1'));
    }

    // Assess
    expect(results.map((r) => [r.status, r.rows])).toEqual([['ok', 8], ['ok', 8], ['ok', 8]]);
    expect(sf.stats()).toMatchObject({ tokenGrants: 3, soapLogins: 1 });
  });

  it('turns a field added in Salesforce into a new column on the next sync; older files still read', async () => {
    // Prepare
    const sf = await sandbox();
    const { root, store } = await lake();
    const streams = streamsFor(configFor(sf, { objects: ['Opportunity'] }), sf.accessToken);
    const [first] = await syncAll(store, streams, 'run1');

    // Act
    sf.addField('Opportunity', { name: 'Deal_Score__c', type: 'double', label: 'Deal Score' }, (o) => Number(o.Amount) / 1_000_000);
    const summary = sf.advance();
    const [second] = await syncAll(store, streams, 'run2');
    const engine = await engineFor(root);

    // Assess
    const changed = summary.changed.Opportunity!;
    expect(second).toMatchObject({ status: 'ok', rows: changed.length });
    expect(await count(engine, 'SELECT count(*) FROM salesforce_opportunity')).toBe(first!.rows + changed.length);
    expect(await engine.query("SELECT column_type FROM (DESCRIBE salesforce_opportunity_latest) WHERE column_name = 'deal_score__c'")).toEqual([{ column_type: 'DOUBLE' }]);
    const scored = await engine.query('SELECT id, deal_score__c, amount FROM salesforce_opportunity_latest WHERE deal_score__c IS NOT NULL ORDER BY id');
    const live = new Set(sf.records('Opportunity').filter((o) => o.IsDeleted !== true).map((o) => String(o.Id)));
    expect(scored.map((r) => r.id)).toEqual(changed.filter((id) => live.has(id)).sort());
    for (const row of scored) expect(row.deal_score__c).toBe(Number(row.amount) / 1_000_000);
    expect(await count(engine, 'SELECT count(*) FROM salesforce_opportunity_latest WHERE deal_score__c IS NULL')).toBe(live.size - scored.length);
  });

  it('retries a 503 with Retry-After and fails fast, naming Salesforce and 401, on a bad access token', async () => {
    // Prepare
    const sf = await sandbox();
    const { store } = await lake();
    sf.failNext({ status: 503, retryAfterSeconds: 0 });
    const good = streamsFor(configFor(sf, { objects: ['Campaign'] }), sf.accessToken);
    const bad = streamsFor(configFor(sf, { objects: ['Campaign'] }), 'not-a-valid-token');

    // Act
    const [campaign] = await syncAll(store, good, 'run1');
    sf.resetStats();
    const failure = await syncAll(store, bad, 'run2').then(() => undefined, (error: unknown) => error);

    // Assess
    expect(campaign).toMatchObject({ status: 'ok', rows: 7 });
    expect(failure).toBeInstanceOf(SourceError);
    expect((failure as SourceError).message).toBe('Salesforce rejected the session (HTTP 401 INVALID_SESSION_ID): Session expired or invalid. ' +
      "Check the source's access token secret; access tokens expire, so unattended runs need jwt_bearer or refresh_token auth.");
    expect((failure as SourceError).context).toMatchObject({ source: 'crm', stream: 'salesforce_campaign', status: 401 });
    expect(sf.stats().requests).toBe(1);
  });

  it('starts its sandbox through the connector hook, pointed at it with a bearer-token secret', async () => {
    // Prepare
    const base = SalesforceSourceConfig.parse({ id: 'crm', type: 'salesforce', sandbox: { seed: 42 }, objects: ['User'] });

    // Act
    const started = await salesforceConnector.startSandbox!(base, { anchorDate });
    fixture.afterTest(started.sandbox as RunningSalesforceSandbox);
    const { store } = await lake();
    const [user] = await syncAll(store, streamsFor(started.config, started.secrets[`sandbox/crm`]), 'run1');

    // Assess
    expect(started.config).toMatchObject({ instanceUrl: started.sandbox.url.replace(/\/$/, ''), auth: { type: 'access_token', secret: 'sandbox/crm' } });
    expect(user).toMatchObject({ status: 'ok', rows: 8 });
  });
});
