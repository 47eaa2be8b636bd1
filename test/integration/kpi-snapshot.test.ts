import type { AddressInfo } from 'node:net';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { buildApp } from 'fauxqs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DateWindow } from '../../core/connector.ts';
import { KpiSettings } from '../../core/config/schema.ts';
import { eachDay } from '../../core/dates.ts';
import { kpiCatalog } from '../../core/kpi/catalog.ts';
import { buildKpiRegistry } from '../../core/kpi/registry.ts';
import { CustomKpi } from '../../core/config/schema.ts';
import { z } from 'zod';

const CustomKpiList = z.array(CustomKpi);

/** The KPIs this fixed lake can answer: those over the GA4 tables. */
const ga4Kpis = kpiCatalog.filter((k) => k.table.startsWith('ga4_'));
import type { KpiSnapshotRow } from '../../core/kpi/definition.ts';
import { readSnapshot } from '../../core/kpi/read-snapshot.ts';
import { computeSnapshot, type SnapshotResult } from '../../core/kpi/snapshot.ts';
import { kpiSnapshotsTable } from '../../core/kpi/snapshot-table.ts';
import { writePartition } from '../../core/lake/lake-writer.ts';
import { LocalFolderStore } from '../../core/lake/local-folder-store.ts';
import type { ObjectStore } from '../../core/lake/object-store.ts';
import { S3ObjectStore } from '../../core/lake/s3-store.ts';
import { silentLogger } from '../../core/log.ts';
import { DuckDbEngine } from '../../core/query/duckdb-engine.ts';
import type { Row } from '../../core/table/schema.ts';
import { ga4EventsDaily, ga4TrafficDaily } from '../../connectors/ga4/streams.ts';
import { decodeParquetRows } from '../support/parquet-rows.ts';
import { tempDirs } from '../support/temp-dir.ts';

/*
 * A small fixed lake, two channel groups (OS = Organic Search, PS = Paid Social):
 *
 * Background day (2026-08-31, 2026-09-01 … 2026-10-04, 2026-10-12):
 *   traffic  OS: 100 sessions, 3 key events    PS: 50 sessions, 1 key event     → day 150 sessions, 4 key events
 *   events   page_view 450, add_to_cart 10, purchase 3, sign_up 2, file_download 2, generate_lead 1 (micro = 5)
 *
 * Week 2026-10-05 (Mon) … 2026-10-11 (Sun), "W2":
 *   day     OS sess/key  PS sess/key  | add_to_cart purchase sign_up file_download generate_lead page_view
 *   10-05     400 / 18     100 / 2    |     20         14       5          1             3         1500
 *   10-06      60 / 0       40 / 0    |     10          1       0          1             0          300
 *   10-07      60 / 0       40 / 0    |     10          1       0          1             0          300
 *   10-08      60 / 0       40 / 0    |     10          1       0          1             0          300
 *   10-09      60 / 0       40 / 0    |     10          1       0          1             0          300
 *   10-10      30 / 0       20 / 0    |     10          1       0          1             0          300
 *   10-11      30 / 0       20 / 0    |     10          1       0          1             0          300
 *
 * Coverage (what the sync cursors say is complete): 2026-09-01 … 2026-10-11 for both tables, asOf 2026-10-11.
 * 2026-08-31 and 2026-10-12 are in the lake but outside coverage, so no period may use them.
 */
const OS = 'Organic Search';
const PS = 'Paid Social';
const asOf = '2026-10-11';
const coverageWindow: DateWindow = { from: '2026-09-01', to: asOf };
const syncedAt = new Date('2026-10-12T01:00:00.000Z');
const settings = KpiSettings.parse({});

const w2Traffic: Record<string, [os: [number, number], ps: [number, number]]> = {
  '2026-10-05': [[400, 18], [100, 2]],
  '2026-10-06': [[60, 0], [40, 0]],
  '2026-10-07': [[60, 0], [40, 0]],
  '2026-10-08': [[60, 0], [40, 0]],
  '2026-10-09': [[60, 0], [40, 0]],
  '2026-10-10': [[30, 0], [20, 0]],
  '2026-10-11': [[30, 0], [20, 0]],
};
const backgroundEvents = { page_view: 450, add_to_cart: 10, purchase: 3, sign_up: 2, file_download: 2, generate_lead: 1 };
const w2Events: Record<string, Record<string, number>> = {
  '2026-10-05': { page_view: 1500, add_to_cart: 20, purchase: 14, sign_up: 5, file_download: 1, generate_lead: 3 },
};
const w2OtherDayEvents = { page_view: 300, add_to_cart: 10, purchase: 1, file_download: 1 };

function trafficRow(date: string, channel: string, sessions: number, keyEvents: number, sourceId = 'web'): Row {
  return {
    date, property_id: '123456789', channel_group: channel,
    source: channel === OS ? 'google' : 'facebook', medium: channel === OS ? 'organic' : 'paid_social',
    campaign: channel === OS ? '(organic)' : 'spring_sale',
    sessions, engaged_sessions: sessions / 2, total_users: sessions, new_users: sessions / 2,
    user_engagement_duration_s: sessions * 30, key_events: keyEvents, purchase_revenue: keyEvents * 50_000, transactions: keyEvents,
    currency: 'KRW', time_zone: 'Asia/Seoul', source_id: sourceId, synced_at: syncedAt,
  };
}

function eventRows(date: string, counts: Record<string, number>): Row[] {
  return Object.entries(counts).map(([eventName, count]) => ({
    date, property_id: '123456789', event_name: eventName, event_count: count, total_users: count,
    time_zone: 'Asia/Seoul', source_id: 'web', synced_at: syncedAt,
  }));
}

const lakeDays = [...eachDay('2026-08-31', '2026-10-12')];

function trafficFor(date: string): Row[] {
  const [[osSessions, osKey], [psSessions, psKey]] = w2Traffic[date] ?? [[100, 3], [50, 1]];
  return [trafficRow(date, OS, osSessions, osKey), trafficRow(date, PS, psSessions, psKey)];
}

function eventsFor(date: string): Row[] {
  if (w2Events[date]) return eventRows(date, w2Events[date]);
  if (w2Traffic[date]) return eventRows(date, w2OtherDayEvents);
  return eventRows(date, backgroundEvents);
}

async function writeFixtureLake(store: ObjectStore): Promise<void> {
  for (const date of lakeDays) {
    await writePartition(store, ga4TrafficDaily.table, date, 'web', trafficFor(date));
    await writePartition(store, ga4EventsDaily.table, date, 'web', eventsFor(date));
  }
}

const allTables = [ga4TrafficDaily.table, ga4EventsDaily.table, kpiSnapshotsTable];
const coverage = (events: DateWindow = coverageWindow) => new Map([['ga4_traffic_daily', coverageWindow], ['ga4_events_daily', events]]);

function snapshot(engine: DuckDbEngine, store: ObjectStore, now: Date, events?: DateWindow): Promise<SnapshotResult> {
  return computeSnapshot({
    engine, store, kpis: ga4Kpis, coverage: coverage(events), asOf, historyDays: 100, context: { ...settings, timezone: 'Asia/Seoul' }, log: silentLogger, now,
  });
}

function pick(rows: readonly KpiSnapshotRow[], kpi: string, grain: string, periodStart: string, segment: string | null = null): KpiSnapshotRow {
  const found = rows.filter((r) => r.kpi_id === kpi && r.grain === grain && r.period_start === periodStart && r.segment_value === segment);
  if (found.length !== 1) throw new Error(`${found.length} rows for ${kpi} ${grain} ${periodStart} ${segment}`);
  return found[0]!;
}

function periods(rows: readonly KpiSnapshotRow[], kpi: string, grain: string): string[] {
  return rows.filter((r) => r.kpi_id === kpi && r.grain === grain && r.segment_value === null).map((r) => r.period_start).sort();
}

const bySortKey = (a: KpiSnapshotRow, b: KpiSnapshotRow) =>
  `${a.kpi_id}|${a.grain}|${a.segment_value}|${a.period_start}`.localeCompare(`${b.kpi_id}|${b.grain}|${b.segment_value}|${b.period_start}`);

const dirs = tempDirs('kpi-snapshot-');
const engines: DuckDbEngine[] = [];

async function openLocalLake(): Promise<{ store: LocalFolderStore; engine: DuckDbEngine }> {
  const root = await dirs.make();
  const store = new LocalFolderStore(root);
  const engine = await DuckDbEngine.open({ lakeRoot: root, tables: allTables });
  engines.push(engine);
  return { store, engine };
}

afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
  await dirs.removeAll();
});

describe('computeSnapshot on a fixed lake', () => {
  it('computes ratios of sums, segments, gates and cross-table KPIs for complete periods only', async () => {
    // Prepare
    const { store, engine } = await openLocalLake();
    await writeFixtureLake(store);
    const now = new Date('2026-10-12T00:30:00.000Z');

    // Act
    const result = await snapshot(engine, store, now);
    const rows = result.rows;

    // Assess
    expect(result.queries).toBe(2);
    expect(result.skipped).toEqual([]);
    expect(result.key).toBe('kpi/kpi_snapshots/dt=2026-10-11/snapshot.parquet');

    // Weekly conversion rate W2: Σkey 18+2 = 20 over Σsessions 500+100·4+50·2 = 1000 → 0.02.
    // The average of the daily ratios would be (20/500 + 0·6)/7 = 0.005714…, which must not be what we get.
    const conversionW2 = pick(rows, 'conversion_rate', 'week', '2026-10-05');
    expect(conversionW2).toEqual({
      snapshot_date: asOf, kpi_id: 'conversion_rate', grain: 'week', segment_dimension: null, segment_value: null,
      period_start: '2026-10-05', period_end: '2026-10-11', value: 0.02, numerator: 20, denominator: 1000, gate_volume: 1000, computed_at: now,
    });
    expect(conversionW2.value).not.toBeCloseTo((20 / 500) / 7, 4);
    // Per channel, W2: OS 18 / (400 + 60·4 + 30·2 = 700); PS 2 / (100 + 40·4 + 20·2 = 300).
    expect(pick(rows, 'conversion_rate', 'week', '2026-10-05', OS)).toMatchObject({
      segment_dimension: 'channel_group', value: 18 / 700, numerator: 18, denominator: 700, gate_volume: 700,
    });
    expect(pick(rows, 'conversion_rate', 'week', '2026-10-05', PS)).toMatchObject({
      segment_dimension: 'channel_group', value: 2 / 300, numerator: 2, denominator: 300, gate_volume: 300,
    });
    // Background week 2026-09-28: 7 × 4 = 28 key events over 7 × 150 = 1050 sessions.
    expect(pick(rows, 'conversion_rate', 'week', '2026-09-28')).toMatchObject({ value: 28 / 1050, numerator: 28, denominator: 1050, period_end: '2026-10-04' });
    // One day: 2026-10-05 is 20 / 500 overall and 18 / 400 for Organic Search.
    expect(pick(rows, 'conversion_rate', 'day', '2026-10-05')).toMatchObject({ value: 0.04, numerator: 20, denominator: 500, gate_volume: 500, period_end: '2026-10-05' });
    expect(pick(rows, 'conversion_rate', 'day', '2026-10-05', OS)).toMatchObject({ value: 0.045, numerator: 18, denominator: 400 });
    // September (30 background days): 30 × 4 = 120 over 30 × 150 = 4500; OS 90 / 3000, PS 30 / 1500.
    expect(pick(rows, 'conversion_rate', 'month', '2026-09-01')).toMatchObject({ value: 120 / 4500, numerator: 120, denominator: 4500, period_end: '2026-09-30' });
    expect(pick(rows, 'conversion_rate', 'month', '2026-09-01', OS)).toMatchObject({ value: 0.03, numerator: 90, denominator: 3000 });
    expect(pick(rows, 'conversion_rate', 'month', '2026-09-01', PS)).toMatchObject({ value: 0.02, numerator: 30, denominator: 1500 });

    // Cart abandonment W2: add_to_cart 20 + 6·10 = 80, purchase 14 + 6·1 = 20 → 1 − 20/80 = 0.75, gate 80 add_to_carts.
    expect(pick(rows, 'cart_abandonment_rate', 'week', '2026-10-05')).toMatchObject({ value: 0.75, numerator: 20, denominator: 80, gate_volume: 80 });
    // Background week: 1 − 21/70 = 0.7.
    const cartW1 = pick(rows, 'cart_abandonment_rate', 'week', '2026-09-28');
    expect(cartW1).toMatchObject({ numerator: 21, denominator: 70, gate_volume: 70 });
    expect(cartW1.value).toBeCloseTo(0.7, 12);
    // Micro-conversions (events table) over sessions (traffic table), W2: sign_up 5 + file_download 7 + generate_lead 3 = 15 over 1000.
    expect(pick(rows, 'micro_conversion_rate', 'week', '2026-10-05')).toMatchObject({ value: 0.015, numerator: 15, denominator: 1000, gate_volume: 1000 });
    // Background: 7 × 5 = 35 over 1050; September: 30 × 5 = 150 over 4500.
    expect(pick(rows, 'micro_conversion_rate', 'week', '2026-09-28')).toMatchObject({ value: 35 / 1050, numerator: 35, denominator: 1050 });
    expect(pick(rows, 'micro_conversion_rate', 'month', '2026-09-01')).toMatchObject({ value: 150 / 4500, numerator: 150, denominator: 4500 });
    // Events KPIs have no segments.
    expect(rows.filter((r) => r.kpi_id === 'micro_conversion_rate' || r.kpi_id === 'cart_abandonment_rate').every((r) => r.segment_value === null)).toBe(true);
    // A plain sum keeps no denominator and no gate.
    expect(pick(rows, 'sessions', 'week', '2026-10-05')).toMatchObject({ value: 1000, numerator: 1000, denominator: null, gate_volume: null });

    // Complete periods only. Weeks: 08-31 … 09-06 starts before the coverage; the week of 10-12 is after asOf.
    expect(periods(rows, 'conversion_rate', 'week')).toEqual(['2026-09-07', '2026-09-14', '2026-09-21', '2026-09-28', '2026-10-05']);
    // Months: September only — October (asOf 2026-10-11) is incomplete, August is outside the coverage.
    expect(periods(rows, 'conversion_rate', 'month')).toEqual(['2026-09-01']);
    // Days: exactly the 41 covered days, not 2026-08-31 nor 2026-10-12 although the lake has them.
    expect(periods(rows, 'conversion_rate', 'day')).toEqual([...eachDay('2026-09-01', '2026-10-11')]);
    const dayStarts = rows.filter((r) => r.grain === 'day').map((r) => r.period_start).sort();
    expect([dayStarts[0], dayStarts.at(-1)]).toEqual(['2026-09-01', '2026-10-11']);
    // 8 traffic KPIs × (whole + 2 channels) + 2 events KPIs × whole, each over 41 days + 5 weeks + 1 month.
    expect(rows).toHaveLength((8 * 3 + 2) * (41 + 5 + 1));
  });

  it('leaves out periods a contributing table has not fully synced', async () => {
    // Prepare: the events table is only complete through 2026-10-04.
    const { store, engine } = await openLocalLake();
    await writeFixtureLake(store);

    // Act
    const { rows } = await snapshot(engine, store, new Date('2026-10-12T00:30:00.000Z'), { from: '2026-09-01', to: '2026-10-04' });

    // Assess: W2 needs events through 10-11 for the two events KPIs, but conversion rate only needs traffic.
    expect(periods(rows, 'micro_conversion_rate', 'week')).toEqual(['2026-09-07', '2026-09-14', '2026-09-21', '2026-09-28']);
    expect(periods(rows, 'cart_abandonment_rate', 'day').at(-1)).toBe('2026-10-04');
    expect(periods(rows, 'conversion_rate', 'week').at(-1)).toBe('2026-10-05');
  });

  it('writes one snapshot file per asOf, replaces it on a rerun, and reads back the same rows', async () => {
    // Prepare
    const { store, engine } = await openLocalLake();
    await writeFixtureLake(store);
    const first = await snapshot(engine, store, new Date('2026-10-12T00:30:00.000Z'));

    // Act
    const secondAt = new Date('2026-10-12T02:45:10.123Z');
    const second = await snapshot(engine, store, secondAt);
    const readBack = await readSnapshot(engine, asOf);

    // Assess
    expect(await store.list('kpi/')).toEqual(['kpi/kpi_snapshots/dt=2026-10-11/snapshot.parquet']);
    expect(second.rows).toHaveLength(first.rows.length);
    expect(readBack).toHaveLength(first.rows.length);
    expect([...readBack].sort(bySortKey)).toEqual([...second.rows].sort(bySortKey));
    expect(new Set(readBack.map((r) => r.computed_at.toISOString()))).toEqual(new Set([secondAt.toISOString()]));
  });
});

describe('the same lake in S3 (fauxqs on 127.0.0.1)', () => {
  const bucket = 'kpi-lake';
  let app: ReturnType<typeof buildApp> | undefined;
  let endpoint = '';
  let admin: S3Client | undefined;
  let prefixCount = 0;

  beforeAll(async () => {
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
    app = buildApp({ logger: false });
    await app.listen({ port: 0, host: '127.0.0.1' });
    endpoint = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    admin = new S3Client({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, forcePathStyle: true });
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  afterAll(async () => {
    admin?.destroy();
    await app?.close();
    vi.unstubAllEnvs();
  });

  function s3Store(): S3ObjectStore {
    return new S3ObjectStore({
      bucket, prefix: `lake-${++prefixCount}`, endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  }

  it('holds one file per partition and gives the same snapshot as the local lake', async () => {
    // Prepare
    const s3 = s3Store();
    await writeFixtureLake(s3);
    // DuckDB reads a folder: mirror the S3 objects into one, then snapshot into S3.
    const { store: mirror, engine } = await openLocalLake();
    const keys = await s3.list('raw/');
    for (const key of keys) await mirror.put(key, (await s3.get(key))!);
    const { store: local, engine: localEngine } = await openLocalLake();
    await writeFixtureLake(local);
    const now = new Date('2026-10-12T00:30:00.000Z');

    // Act
    const fromS3 = await snapshot(engine, s3, now);
    const fromLocal = await snapshot(localEngine, local, now);

    // Assess
    expect(keys).toEqual([
      ...lakeDays.map((d) => `raw/ga4_events_daily/dt=${d}/web.parquet`),
      ...lakeDays.map((d) => `raw/ga4_traffic_daily/dt=${d}/web.parquet`),
    ]);
    expect(fromS3.rows).toEqual(fromLocal.rows);
    expect(await s3.list('kpi/')).toEqual(['kpi/kpi_snapshots/dt=2026-10-11/snapshot.parquet']);
    expect(decodeParquetRows((await s3.get(fromS3.key))!)).toHaveLength(fromLocal.rows.length);
  });

  it('replaces only its own source file when a partition is rewritten with fewer rows', async () => {
    // Prepare: source web (2 rows) and source app (1 row) share the partition of 2026-10-05.
    const s3 = s3Store();
    const table = ga4TrafficDaily.table;
    const prefix = 'raw/ga4_traffic_daily/dt=2026-10-05/';
    await writePartition(s3, table, '2026-10-05', 'web', trafficFor('2026-10-05'));
    await writePartition(s3, table, '2026-10-05', 'app', [trafficRow('2026-10-05', OS, 8, 1, 'app')]);
    const appBefore = await s3.get(`${prefix}app.parquet`);

    // Act
    const rewrite = await writePartition(s3, table, '2026-10-05', 'web', [trafficRow('2026-10-05', PS, 90, 4)]);

    // Assess
    expect(rewrite).toMatchObject({ key: `${prefix}web.parquet`, rows: 1, removed: 0 });
    expect(await s3.list(prefix)).toEqual([`${prefix}app.parquet`, `${prefix}web.parquet`]);
    const web = decodeParquetRows((await s3.get(`${prefix}web.parquet`))!);
    expect(web.map((r) => [r.channel_group, Number(r.sessions), r.key_events, r.source_id])).toEqual([[PS, 90, 4, 'web']]);
    expect(await s3.get(`${prefix}app.parquet`)).toEqual(appBefore);
    expect(decodeParquetRows(appBefore!).map((r) => [r.channel_group, Number(r.sessions), r.source_id])).toEqual([[OS, 8, 'app']]);
  });

  it('clears only its own source file when a partition is rewritten with no rows', async () => {
    // Prepare
    const s3 = s3Store();
    const table = ga4EventsDaily.table;
    const prefix = 'raw/ga4_events_daily/dt=2026-10-06/';
    await writePartition(s3, table, '2026-10-06', 'web', eventsFor('2026-10-06'));
    await writePartition(s3, table, '2026-10-06', 'app', eventRows('2026-10-06', { purchase: 2 }));

    // Act
    const cleared = await writePartition(s3, table, '2026-10-06', 'web', []);

    // Assess
    expect(cleared).toEqual({ key: null, rows: 0, bytes: 0, removed: 1 });
    expect(await s3.list(prefix)).toEqual([`${prefix}app.parquet`]);
  });
});

describe('custom KPIs from pipeline.yaml on the fixed lake', () => {
  it('computes a filtered sum, a ratio of filtered sums and a derived KPI, by hand', async () => {
    // Prepare: W2 (2026-10-05 … 11): sign_up events 5; Paid Social 2 key events of 300 sessions; 1,000 sessions in all
    const { store, engine } = await openLocalLake();
    await writeFixtureLake(store);
    const { registry, problems } = buildKpiRegistry(CustomKpiList.parse([
      { id: 'signups', kind: 'sum', name: { ko: '가입', en: 'Sign-ups' }, measure: { table: 'ga4_events_daily', column: 'event_count', where: { event_name: 'sign_up' } } },
      { id: 'paid_social_cvr', kind: 'ratio', unit: 'ratio', name: { ko: '소셜 전환율', en: 'Paid social CVR' }, gate: 200,
        numerator: { table: 'ga4_traffic_daily', column: 'key_events', where: { channel_group: [PS] } },
        denominator: { table: 'ga4_traffic_daily', column: 'sessions', where: { channel_group: [PS] } } },
      { id: 'signups_per_session', kind: 'derived', unit: 'ratio', name: { ko: '세션당 가입', en: 'Sign-ups per session' }, expression: 'signups / sessions' },
    ]), { tables: allTables });
    const kpis = registry.kpis.filter((k) => ['signups', 'paid_social_cvr', 'signups_per_session', 'sessions'].includes(k.id));
    // Act
    const { rows } = await computeSnapshot({
      engine, store, kpis, registry, coverage: coverage(), asOf, historyDays: 100, context: { ...settings, timezone: 'Asia/Seoul' }, log: silentLogger,
    });
    // Assess
    expect(problems).toEqual([]);
    expect(pick(rows, 'signups', 'week', '2026-10-05')).toMatchObject({ value: 5, numerator: 5, denominator: null });
    expect(pick(rows, 'paid_social_cvr', 'week', '2026-10-05')).toMatchObject({ value: 2 / 300, numerator: 2, denominator: 300, gate_volume: 300 });
    expect(pick(rows, 'signups_per_session', 'week', '2026-10-05')).toMatchObject({ value: 5 / 1000, numerator: 5 / 1000, denominator: null });
    // a background week: 2 sign-ups a day × 7 over 150 sessions × 7
    expect(pick(rows, 'signups_per_session', 'week', '2026-09-28').value).toBeCloseTo(14 / 1050, 12);
  });
});

