import type { AddressInfo } from 'node:net';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { buildApp } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KpiSettings } from '../../core/config/schema.ts';
import { eachDay } from '../../core/dates.ts';
import { factSourceById, measures } from '../../core/kpi/measures.ts';
import { renderSnapshotSql } from '../../core/kpi/snapshot-sql.ts';
import { writePartition } from '../../core/lake/lake-writer.ts';
import { LocalFolderStore } from '../../core/lake/local-folder-store.ts';
import type { ObjectStore } from '../../core/lake/object-store.ts';
import { encodeParquet } from '../../core/lake/parquet.ts';
import { S3ObjectStore } from '../../core/lake/s3-store.ts';
import { createConsoleLogger } from '../../core/log.ts';
import { fxRatesKey, fxRatesTable } from '../../core/models/fx-rates.ts';
import { buildLakeCatalog } from '../../core/models/lake-catalog.ts';
import { AthenaQueryEngine, AthenaQueryError, toValue } from '../../core/query/athena-engine.ts';
import { createViews } from '../../core/query/create-views.ts';
import { DuckDbEngine } from '../../core/query/duckdb-engine.ts';
import type { QueryRow } from '../../core/query/query-engine.ts';
import type { Row } from '../../core/table/schema.ts';
import { connectors } from '../../connectors/index.ts';
import { ga4TrafficDaily } from '../../connectors/ga4/streams.ts';
import { adsMetaCampaignDaily } from '../../connectors/meta/streams.ts';
import { startAthenaStandIn, type AthenaStandIn } from '../support/athena-standin.ts';
import { tempDirs } from '../support/temp-dir.ts';

/*
 * The real AthenaClient (inside AthenaQueryEngine) against the Athena stand-in, which runs the SQL
 * with DuckDB over what fauxqs (S3) holds. The lake: GA4 traffic for 2026-10-05 … 2026-10-11,
 * two channel groups a day (14 rows), one Meta campaign day in USD and the fx_rates table.
 *   Organic Search: day i (0…6) → sessions 400 - 10·i, key events 18, engagement 1000.5 s, currency NULL
 *   Paid Social:    day i        → sessions 100 + i,    key events 2.5, engagement 250.25 s, currency 'KRW'
 */
const BUCKET = 'lake-athena';
const PREFIX = 'lake';
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const REGION = 'us-east-1';
const OS = 'Organic Search';
const PS = 'Paid Social';
const days = [...eachDay('2026-10-05', '2026-10-11')];
const syncedAt = new Date('2026-10-12T01:00:00.123Z');
const catalog = buildLakeCatalog(connectors);

function trafficRows(date: string, i: number): Row[] {
  const row = (channel: string, sessions: number, keyEvents: number, engagement: number, currency: string | null): Row => ({
    date, property_id: '123456789', channel_group: channel, source: channel === OS ? 'google' : 'facebook',
    medium: channel === OS ? 'organic' : 'paid_social', campaign: channel === OS ? '(organic)' : "mom's day",
    sessions, engaged_sessions: Math.floor(sessions / 2), total_users: sessions, new_users: Math.floor(sessions / 3),
    user_engagement_duration_s: engagement, key_events: keyEvents, purchase_revenue: keyEvents * 50_000, transactions: Math.floor(keyEvents),
    currency, time_zone: 'Asia/Seoul', source_id: 'web', synced_at: syncedAt,
  });
  return [row(OS, 400 - 10 * i, 18, 1000.5, null), row(PS, 100 + i, 2.5, 250.25, 'KRW')];
}

const metaRows: Row[] = [{
  date: '2026-10-06', account_id: '1029384756', account_name: 'Shop US', campaign_id: 'c-1', campaign_name: 'Autumn',
  campaign_status: 'ACTIVE', impressions: 12_000, clicks: 340, spend: 10.5, conversions: 3, conversions_value: 120.25,
  currency: 'USD', time_zone: 'America/New_York', source_id: 'meta', synced_at: syncedAt, actions_json: null, action_values_json: null,
}];
const fxRows: Row[] = [
  { currency: 'KRW', month: '*', rate: 1, reporting_currency: 'KRW' },
  { currency: 'USD', month: '2026-10', rate: 1380, reporting_currency: 'KRW' },
];

/** Writes the fixture lake; returns the bytes of ga4_traffic_daily's Parquet files. */
async function writeLake(store: ObjectStore): Promise<number> {
  let trafficBytes = 0;
let s3Store: S3ObjectStore | undefined;
  for (const [i, date] of days.entries()) trafficBytes += (await writePartition(store, ga4TrafficDaily.table, date, 'web', trafficRows(date, i))).bytes;
  await writePartition(store, adsMetaCampaignDaily, '2026-10-06', 'meta', metaRows);
  await store.put(fxRatesKey, encodeParquet(fxRatesTable, fxRows));
  return trafficBytes;
}

let fauxqs: ReturnType<typeof buildApp> | undefined;
let s3Client: S3Client | undefined;
let standIn: AthenaStandIn | undefined;
let engine: AthenaQueryEngine | undefined;
let local: DuckDbEngine | undefined;
let trafficBytes = 0;
let s3Store: S3ObjectStore | undefined;
const logLines: string[] = [];
const dirs = tempDirs('athena-engine-local-');

function athena(overrides: Partial<ConstructorParameters<typeof AthenaQueryEngine>[0]> = {}): AthenaQueryEngine {
  return new AthenaQueryEngine({
    workGroup: 'kpi', database: 'kpi_lake', endpoint: standIn!.endpoint, region: REGION, credentials: CREDENTIALS,
    pollDelayMs: { min: 5, max: 20 }, ...overrides,
  });
}

const requestsFor = (id: string, operation: string) => standIn!.requests().filter((r) => r.queryExecutionId === id && r.operation === operation).length;
const lastQuery = () => standIn!.queries().at(-1)!;

beforeAll(async () => {
  // Prepare: fauxqs as S3 (loopback only), the fixture lake in it, the stand-in over it.
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  fauxqs = buildApp({ logger: false });
  await fauxqs.listen({ port: 0, host: '127.0.0.1' });
  const { port } = fauxqs.server.address() as AddressInfo;
  const s3Endpoint = `http://127.0.0.1:${port}`;
  s3Client = new S3Client({ endpoint: s3Endpoint, region: REGION, credentials: CREDENTIALS, forcePathStyle: true });
  await s3Client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  s3Store = new S3ObjectStore({ bucket: BUCKET, prefix: PREFIX, endpoint: s3Endpoint, region: REGION, credentials: CREDENTIALS });
  trafficBytes = await writeLake(s3Store);
  standIn = await startAthenaStandIn({ s3Endpoint, bucket: BUCKET, prefix: PREFIX, catalog, workGroup: 'kpi', database: 'kpi_lake' });
  engine = athena({ log: createConsoleLogger({ level: 'debug', write: (line) => logLines.push(line) }) });
  // The same lake in a folder, for DuckDbEngine.
  const folder = await dirs.make();
  await writeLake(new LocalFolderStore(folder));
  local = await DuckDbEngine.open({ lakeRoot: folder, ...catalog });
});

afterAll(async () => {
  await engine?.close();
  await local?.close();
  await standIn?.stop();
  s3Client?.destroy();
  s3Store?.client.destroy();
  await fauxqs?.close();
  await dirs.removeAll();
  vi.unstubAllEnvs();
});

describe('AthenaQueryEngine against the Athena stand-in', () => {
  it('binds ? parameters and maps every Athena type to the JS value DuckDbEngine gives', async () => {
    // Prepare
    const sql = `SELECT date, dt, channel_group, campaign, sessions, user_engagement_duration_s, key_events, synced_at, currency,
                        sessions > ? AS busy, CAST(9007199254740993 AS BIGINT) AS big
                   FROM ga4_traffic_daily WHERE dt = ? AND campaign = ? ORDER BY date`;
    const params = [100, '2026-10-06', "mom's day"];

    // Act
    const rows = await engine!.query(sql, params);
    const localRows = await local!.query(sql, params);

    // Assess
    expect(rows).toEqual([{
      date: '2026-10-06', dt: '2026-10-06', channel_group: PS, campaign: "mom's day", sessions: 101, user_engagement_duration_s: 250.25,
      key_events: 2.5, synced_at: '2026-10-12T01:00:00.123Z', currency: 'KRW', busy: true, big: '9007199254740993',
    }]);
    expect(rows).toEqual(localRows);
    const nulls = await engine!.query('SELECT currency, sessions FROM ga4_traffic_daily WHERE dt = ? AND channel_group = ?', ['2026-10-05', OS]);
    expect(nulls).toEqual([{ currency: null, sessions: 400 }]);
  });

  it('polls: the query is QUEUED, then RUNNING, then SUCCEEDED, and the client asked more than once', async () => {
    // Act
    await engine!.query('SELECT count(*) AS n FROM ga4_traffic_daily');

    // Assess
    const query = lastQuery();
    expect(query.states).toEqual(['QUEUED', 'RUNNING', 'SUCCEEDED']);
    // At least twice: RUNNING, then SUCCEEDED (more when DuckDB was still busy at the second poll).
    expect(requestsFor(query.id, 'GetQueryExecution')).toBeGreaterThanOrEqual(2);
    expect(requestsFor(query.id, 'GetQueryResults')).toBe(1);
  });

  it('pages results over 1,000 rows with NextToken and drops only the first page header', async () => {
    // Prepare: 14³ = 2,744 rows → header + 2,744 = 2,745 rows = 3 pages of at most 1,000
    const sql = `SELECT a.sessions AS a, b.sessions AS b, c.sessions AS c
                   FROM ga4_traffic_daily a CROSS JOIN ga4_traffic_daily b CROSS JOIN ga4_traffic_daily c`;

    // Act
    const rows = await engine!.query(sql);

    // Assess
    expect(rows).toHaveLength(2744);
    const sessions = days.flatMap((_, i) => [400 - 10 * i, 100 + i]);
    const total = sessions.reduce((s, n) => s + n, 0);
    expect(rows.reduce((s, r) => s + (r.a as number) + (r.b as number) + (r.c as number), 0)).toBe(3 * total * 14 * 14);
    expect(rows.every((r) => typeof r.a === 'number' && typeof r.b === 'number' && typeof r.c === 'number')).toBe(true);
    expect(requestsFor(lastQuery().id, 'GetQueryResults')).toBe(3);
  });

  it('creates the views with CREATE OR REPLACE VIEW and they survive later queries', async () => {
    // Act
    await createViews(engine!, catalog.views);
    await engine!.query('SELECT count(*) AS n FROM ga4_traffic_daily');
    const rows = await engine!.query(
      'SELECT date, platform, account_id, spend, spend_reporting, conversions_value_reporting, dt FROM ad_performance_daily ORDER BY date');

    // Assess
    expect(rows).toEqual([{
      date: '2026-10-06', platform: 'meta', account_id: '1029384756', spend: 10.5, spend_reporting: 14_490,
      conversions_value_reporting: 120.25 * 1380, dt: '2026-10-06',
    }]);
    const ddl = standIn!.queries().filter((q) => q.statementType === 'DDL');
    expect(ddl.map((q) => q.sql)).toEqual(catalog.views.map((v) => `CREATE OR REPLACE VIEW ${v.name} AS ${v.sql}`));
    expect(ddl.every((q) => q.state === 'SUCCEEDED' && requestsFor(q.id, 'GetQueryResults') === 0)).toBe(true);
  });

  it('turns a FAILED query into an AthenaQueryError with the query id and the reason', async () => {
    // Act
    const error = await engine!.query('SELECT no_such_column FROM ga4_traffic_daily').catch((e: unknown) => e);

    // Assess
    const failed = lastQuery();
    expect(failed.state).toBe('FAILED');
    expect(error).toBeInstanceOf(AthenaQueryError);
    const athenaError = error as AthenaQueryError;
    expect(athenaError.queryExecutionId).toBe(failed.id);
    expect(athenaError.state).toBe('FAILED');
    expect(athenaError.reason).toMatch(/no_such_column/);
    expect(athenaError.message).toMatch(new RegExp(`^Athena query ${failed.id} FAILED: .*no_such_column`));
    expect(athenaError.context.sql).toBe('SELECT no_such_column FROM ga4_traffic_daily');
  });

  it('stops a query that runs past the timeout and says so', async () => {
    // Prepare
    const impatient = athena({ timeoutMs: 1 });

    // Act
    const error = await impatient.query('SELECT count(*) AS n FROM ga4_traffic_daily').catch((e: unknown) => e);
    await impatient.close();

    // Assess
    const stopped = lastQuery();
    expect(error).toBeInstanceOf(AthenaQueryError);
    expect((error as AthenaQueryError).queryExecutionId).toBe(stopped.id);
    expect((error as AthenaQueryError).state).toBe('RUNNING');
    expect(stopped.states).toEqual(['QUEUED', 'RUNNING', 'CANCELLED']);
    expect(requestsFor(stopped.id, 'StopQueryExecution')).toBe(1);
  });

  it('surfaces an API error (unknown workgroup) as an AthenaQueryError without a query id', async () => {
    // Prepare
    const wrong = athena({ workGroup: 'nope' });

    // Act
    const error = await wrong.query('SELECT 1 AS one').catch((e: unknown) => e);
    await wrong.close();

    // Assess
    expect(error).toBeInstanceOf(AthenaQueryError);
    expect((error as AthenaQueryError).queryExecutionId).toBeUndefined();
    expect((error as AthenaQueryError).message).toBe('Athena StartQueryExecution failed: InvalidRequestException: WorkGroup nope is not found.');
    expect((error as AthenaQueryError).context.status).toBe(400);
  });

  it('reports the bytes scanned of the last query and logs them at debug level', async () => {
    // Act
    await engine!.query("SELECT sum(sessions) AS s FROM ga4_traffic_daily WHERE dt >= '2026-10-05'");

    // Assess
    const query = lastQuery();
    expect(trafficBytes).toBeGreaterThan(0);
    expect(engine!.lastStatistics).toEqual({ queryExecutionId: query.id, dataScannedBytes: trafficBytes, engineMillis: expect.any(Number) });
    expect(engine!.lastStatistics!.engineMillis).toBeGreaterThan(0);
    expect(logLines.some((line) => line.includes('athena query ended') && line.includes(`"dataScannedBytes":${trafficBytes}`) && line.includes(query.id))).toBe(true);
  });

  it('gives the same KPI snapshot sums as DuckDbEngine on the same data', async () => {
    // Prepare
    const sql = renderSnapshotSql({
      source: factSourceById.get('ga4_traffic_daily')!,
      measures: measures.filter((m) => m.source === 'ga4_traffic_daily'),
      segments: ['channel_group'],
      grains: ['day', 'week', 'month'],
      from: '2026-10-05',
      to: '2026-10-11',
      context: { ...KpiSettings.parse({}), timezone: 'Asia/Seoul' },
    });
    const sorted = (rows: QueryRow[]) => rows.toSorted((a, b) => JSON.stringify([a.grain, a.period_start, a.channel_group]).localeCompare(JSON.stringify([b.grain, b.period_start, b.channel_group])));

    // Act
    const viaAthena = sorted(await engine!.query(sql));
    const viaDuckDb = sorted(await local!.query(sql));

    // Assess
    expect(viaAthena).toHaveLength(7 * 2 + 2 + 2);
    expect(viaAthena).toEqual(viaDuckDb);
    const week = viaAthena.find((r) => r.grain === 'week' && r.period_start === '2026-10-05' && r.channel_group === OS)!;
    expect(week.m_sessions).toBe(days.reduce((s, _, i) => s + 400 - 10 * i, 0));
    expect(week.m_engagement_duration_s).toBe(7 * 1000.5);
  });
  it('sees objects added, overwritten and deleted in S3 since the last query', async () => {
    // Prepare
    const sql = "SELECT channel_group, sessions FROM ga4_traffic_daily WHERE dt = '2026-10-12' ORDER BY channel_group";
    const before = await engine!.query(sql);

    // Act
    await writePartition(s3Store!, ga4TrafficDaily.table, '2026-10-12', 'web', trafficRows('2026-10-12', 7));
    const added = await engine!.query(sql);
    await writePartition(s3Store!, ga4TrafficDaily.table, '2026-10-12', 'web', trafficRows('2026-10-12', 20));
    const overwritten = await engine!.query(sql);
    await writePartition(s3Store!, ga4TrafficDaily.table, '2026-10-12', 'web', []);
    const deleted = await engine!.query(sql);

    // Assess
    expect(before).toEqual([]);
    expect(added).toEqual([{ channel_group: OS, sessions: 330 }, { channel_group: PS, sessions: 107 }]);
    expect(overwritten).toEqual([{ channel_group: OS, sessions: 200 }, { channel_group: PS, sessions: 120 }]);
    expect(deleted).toEqual([]);
  });
});

describe('the Athena stand-in speaks the AWS JSON 1.1 wire format', () => {
  const call = async (operation: string, body: unknown) => {
    const response = await fetch(standIn!.endpoint + '/', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': `AmazonAthena.${operation}` },
      body: JSON.stringify(body),
    });
    return { status: response.status, contentType: response.headers.get('content-type'), json: (await response.json()) as Record<string, any> };
  };

  it('prints values and types as Athena does, header row first', async () => {
    // Prepare
    const { json: started } = await call('StartQueryExecution', {
      QueryString: "SELECT date, sessions, key_events, synced_at, currency, key_events > 3 AS many FROM ga4_traffic_daily WHERE dt = '2026-10-05' ORDER BY sessions DESC",
      WorkGroup: 'kpi', QueryExecutionContext: { Database: 'kpi_lake' },
    });
    const id = started.QueryExecutionId as string;

    // Act
    const tooEarly = await call('GetQueryResults', { QueryExecutionId: id });
    const first = await call('GetQueryExecution', { QueryExecutionId: id });
    let execution = await call('GetQueryExecution', { QueryExecutionId: id });
    while (execution.json.QueryExecution.Status.State === 'RUNNING') execution = await call('GetQueryExecution', { QueryExecutionId: id });
    const results = await call('GetQueryResults', { QueryExecutionId: id, MaxResults: 2 });
    const rest = await call('GetQueryResults', { QueryExecutionId: id, MaxResults: 2, NextToken: results.json.NextToken });

    // Assess
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(tooEarly).toEqual({ status: 400, contentType: 'application/x-amz-json-1.1', json: { __type: 'InvalidRequestException', Message: 'Query has not yet finished. Current state: QUEUED' } });
    expect(first.json.QueryExecution.Status.State).toBe('RUNNING');
    expect(execution.json.QueryExecution).toMatchObject({
      QueryExecutionId: id, StatementType: 'DML', SubstatementType: 'SELECT', WorkGroup: 'kpi',
      QueryExecutionContext: { Database: 'kpi_lake' }, Status: { State: 'SUCCEEDED' },
    });
    expect(execution.json.QueryExecution.Statistics.DataScannedInBytes).toBe(trafficBytes);
    expect(results.json.ResultSet.Rows).toEqual([
      { Data: ['date', 'sessions', 'key_events', 'synced_at', 'currency', 'many'].map((VarCharValue) => ({ VarCharValue })) },
      { Data: [{ VarCharValue: '2026-10-05' }, { VarCharValue: '400' }, { VarCharValue: '18' }, { VarCharValue: '2026-10-12 01:00:00.123' }, {}, { VarCharValue: 'true' }] },
    ]);
    expect(results.json.ResultSet.ResultSetMetadata.ColumnInfo.map((c: { Type: string }) => c.Type)).toEqual(['date', 'bigint', 'double', 'timestamp', 'varchar', 'boolean']);
    expect(rest.json.ResultSet.Rows).toEqual([
      { Data: [{ VarCharValue: '2026-10-05' }, { VarCharValue: '100' }, { VarCharValue: '2.5' }, { VarCharValue: '2026-10-12 01:00:00.123' }, { VarCharValue: 'KRW' }, { VarCharValue: 'false' }] },
    ]);
    expect(rest.json.NextToken).toBeUndefined();
  });

  it('answers an unknown operation with a 400 and an error __type', async () => {
    // Act
    const response = await call('ListDataCatalogs', {});

    // Assess
    expect(response.status).toBe(400);
    expect(response.json.__type).toBe('UnknownOperationException');
  });
});

describe('toValue maps Athena text by column type', () => {
  it.each([
    ['9007199254740991', 'bigint', 9_007_199_254_740_991],
    ['9007199254740993', 'bigint', '9007199254740993'],
    ['-12', 'integer', -12],
    ['1.0E7', 'double', 10_000_000],
    ['12.50', 'decimal(10,2)', 12.5],
    ['false', 'boolean', false],
    ['2026-10-05', 'date', '2026-10-05'],
    ['2026-10-12 01:00:00.123', 'timestamp', '2026-10-12T01:00:00.123Z'],
    ['2026-10-12 01:00:00.123456', 'timestamp(6)', '2026-10-12T01:00:00.123Z'],
    ['2026-10-12 10:00:00.000 UTC', 'timestamp(3) with time zone', '2026-10-12T10:00:00.000Z'],
    ['2026-10-12 10:00:00.000 Asia/Seoul', 'timestamp(3) with time zone', '2026-10-12T01:00:00.000Z'],
    ['2026-03-08 03:30:00.000 America/New_York', 'timestamp with time zone', '2026-03-08T07:30:00.000Z'],
    ['2026-10-12 10:00:00.000 +09:00', 'timestamp with time zone', '2026-10-12T01:00:00.000Z'],
    ['', 'varchar', ''],
    [undefined, 'varchar', null],
    [undefined, 'bigint', null],
  ] as const)('%j as %s → %j', (text, type, expected) => {
    // Act + Assess
    expect(toValue(text, type)).toEqual(expected);
  });
});
