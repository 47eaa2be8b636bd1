import { afterEach, describe, expect, it } from 'vitest';
import { connectors } from '../../connectors/index.ts';
import { tableOf } from '../../connectors/salesforce/tables.ts';
import { kpiById } from '../../core/kpi/catalog.ts';
import type { KpiSnapshotRow } from '../../core/kpi/definition.ts';
import { computeSnapshot } from '../../core/kpi/snapshot.ts';
import { appendToPartition, writePartition } from '../../core/lake/lake-writer.ts';
import { LocalFolderStore } from '../../core/lake/local-folder-store.ts';
import { silentLogger } from '../../core/log.ts';
import { writeFxRates } from '../../core/models/fx-rates.ts';
import { buildLakeCatalog } from '../../core/models/lake-catalog.ts';
import { DuckDbEngine } from '../../core/query/duckdb-engine.ts';
import type { Row, TableSchema } from '../../core/table/schema.ts';
import { tempDirs } from '../support/temp-dir.ts';

/*
 * A small CRM, business time zone Asia/Seoul (UTC+9), judged as of 2026-10-31.
 *
 * Leads (created → Seoul date; MQL date; SQL date; converted to an opportunity?):
 *   L1  2026-10-01T01:00Z → 10-01   MQL 10-02  SQL 10-05  converted with O1
 *   L2  2026-10-01T16:00Z → 10-02   MQL 10-03  —          (01:00 in Seoul: October 2nd, not the 1st)
 *   L3  2026-09-30T20:00Z → 10-01   —          —          (September in UTC, October in Seoul)
 *   L4  2026-10-10T00:00Z           deleted in its newest version → not counted
 *   L5  2026-10-11T00:00Z → 10-11   v1: no MQL; v2 (newest): MQL 10-12, SQL 10-15
 *   October: 4 leads; MQLs 3 (L1, L2, L5), of which 2 reached SQL; 1 lead with an opportunity.
 *
 * Opportunities (account, created, close date, stage, amount, campaign):
 *   O1 A1 2026-09-01 → 10-05 won   10,000,000 C1
 *   O2 A2 2026-10-03 → 10-20 won    4,000,000 —    (v1: open, 3,000,000; v2 newest: won, 4,000,000)
 *   O3 A3 2026-10-04 → 10-25 lost   7,000,000 —
 *   O4 A3 2026-10-06 → 12-01 open  20,000,000 —
 *   O5 A1 2026-08-01 → 10-28 won    6,000,000 C2
 *   O6 A4 2026-09-01 → 09-15 won    1,000,000 —
 *   October: won 3 of 4 closed; revenue 20,000,000 (marketing-sourced 16,000,000: O1, O5);
 *   pipeline created 31,000,000 (O2, O3, O4); new customers 2 (A1's first win 10-05, A2's 10-20;
 *   A4 first won in September); sales cycle (34 + 17 + 88) / 3 days; September revenue 1,000,000.
 * Ads: 8,000,000 KRW of Google Ads spend in October.
 */
const asOf = '2026-10-31';
const catalog = buildLakeCatalog(connectors);
const lead = tableOf('Lead');
const opportunity = tableOf('Opportunity');

function record(table: TableSchema, values: Row): Row {
  const row: Row = Object.fromEntries(table.columns.map((c) => [c.name, null]));
  return {
    ...row, is_deleted: false, system_modstamp: '2026-10-31T00:00:00Z', last_modified_date: '2026-10-31T00:00:00Z',
    modstamp_date: '2026-10-31', source_id: 'crm', synced_at: new Date('2026-11-01T00:00:00Z'), ...values,
  };
}

const leads: Row[] = [
  record(lead, { id: 'L1', created_date: '2026-10-01T01:00:00Z', mql_date: '2026-10-02', sql_date: '2026-10-05', is_converted: true, converted_opportunity_id: 'O1' }),
  record(lead, { id: 'L2', created_date: '2026-10-01T16:00:00Z', mql_date: '2026-10-03', is_converted: false }),
  record(lead, { id: 'L3', created_date: '2026-09-30T20:00:00Z', is_converted: false }),
  record(lead, { id: 'L4', created_date: '2026-10-10T00:00:00Z', is_converted: false, system_modstamp: '2026-10-20T00:00:00Z' }),
  record(lead, { id: 'L4', created_date: '2026-10-10T00:00:00Z', is_converted: false, is_deleted: true, system_modstamp: '2026-10-21T00:00:00Z' }),
  record(lead, { id: 'L5', created_date: '2026-10-11T00:00:00Z', is_converted: false, system_modstamp: '2026-10-11T00:00:00Z' }),
  record(lead, { id: 'L5', created_date: '2026-10-11T00:00:00Z', mql_date: '2026-10-12', sql_date: '2026-10-15', is_converted: false, system_modstamp: '2026-10-16T00:00:00Z' }),
];

const won = (id: string, account: string, created: string, close: string, amount: number, campaign: string | null = null) =>
  record(opportunity, { id, account_id: account, created_date: created, close_date: close, amount, campaign_id: campaign, is_closed: true, is_won: true, stage_name: 'Closed Won' });
const opportunities: Row[] = [
  won('O1', 'A1', '2026-09-01T00:00:00Z', '2026-10-05', 10_000_000, 'C1'),
  record(opportunity, { id: 'O2', account_id: 'A2', created_date: '2026-10-03T00:00:00Z', close_date: '2026-10-20', amount: 3_000_000, is_closed: false, is_won: false, system_modstamp: '2026-10-10T00:00:00Z' }),
  { ...won('O2', 'A2', '2026-10-03T00:00:00Z', '2026-10-20', 4_000_000), system_modstamp: '2026-10-20T00:00:00Z' },
  record(opportunity, { id: 'O3', account_id: 'A3', created_date: '2026-10-04T00:00:00Z', close_date: '2026-10-25', amount: 7_000_000, is_closed: true, is_won: false, stage_name: 'Closed Lost' }),
  record(opportunity, { id: 'O4', account_id: 'A3', created_date: '2026-10-06T00:00:00Z', close_date: '2026-12-01', amount: 20_000_000, is_closed: false, is_won: false }),
  won('O5', 'A1', '2026-08-01T00:00:00Z', '2026-10-28', 6_000_000, 'C2'),
  won('O6', 'A4', '2026-09-01T00:00:00Z', '2026-09-15', 1_000_000),
];

const dirs = tempDirs('kpi-crm-');
let engine: DuckDbEngine | undefined;
afterEach(async () => {
  await engine?.close();
  await dirs.removeAll();
});

describe('CRM KPIs on a small fixed CRM', () => {
  it('counts on the right business dates, from the newest version of each record, by hand', async () => {
    // Prepare
    const root = await dirs.make();
    const store = new LocalFolderStore(root);
    await appendToPartition(store, lead, '2026-11-01', 'crm', '20261101000000', 0, leads);
    await appendToPartition(store, opportunity, '2026-11-01', 'crm', '20261101000000', 1, opportunities);
    const googleAds = catalog.tables.find((t) => t.name === 'ads_google_campaign_daily')!;
    await writePartition(store, googleAds, '2026-10-15', 'google_ads', [Object.fromEntries(googleAds.columns.map((c) => [c.name,
      ({ date: '2026-10-15', account_id: 'g', campaign_id: 'c', impressions: 1, clicks: 1, spend: 8_000_000, cost_micros: 8_000_000_000_000, conversions: 0, conversions_value: 0, currency: 'KRW', time_zone: 'Asia/Seoul', source_id: 'google_ads', synced_at: new Date() } as Row)[c.name] ?? null]))]);
    await writeFxRates(store, { currency: 'KRW', fx: [] });
    engine = await DuckDbEngine.open({ lakeRoot: root, ...catalog });
    const ids = ['leads', 'mql_to_sql_rate', 'lead_to_opportunity_rate', 'pipeline_created', 'win_rate', 'average_deal_size', 'revenue', 'revenue_growth_mom', 'sales_cycle_days', 'cac', 'marketing_roi'];
    const everything = { from: '0001-01-01', to: asOf };
    // Act
    const { rows } = await computeSnapshot({
      engine, store, kpis: ids.map((id) => kpiById.get(id)!), asOf, historyDays: 100, log: silentLogger,
      coverage: new Map([['salesforce_lead_latest', everything], ['salesforce_opportunity_latest', everything], ['ad_performance_daily', { from: '2026-10-01', to: asOf }]]),
      context: { microConversionEvents: [], timezone: 'Asia/Seoul' },
    });
    const october = (kpi: string) => rows.find((r) => r.kpi_id === kpi && r.grain === 'month' && r.period_start === '2026-10-01' && r.segment_value === null);
    const value = (kpi: string) => october(kpi)?.value;
    // Assess
    expect(value('leads')).toBe(4);
    expect(october('mql_to_sql_rate')).toMatchObject({ value: 2 / 3, numerator: 2, denominator: 3, gate_volume: 3 });
    expect(value('lead_to_opportunity_rate')).toBe(1 / 4);
    expect(value('pipeline_created')).toBe(31_000_000);
    expect(october('win_rate')).toMatchObject({ value: 3 / 4, numerator: 3, denominator: 4 });
    expect(value('revenue')).toBe(20_000_000);
    expect(value('average_deal_size')).toBeCloseTo(20_000_000 / 3, 6);
    expect(value('sales_cycle_days')).toBeCloseTo((34 + 17 + 88) / 3, 9);
    expect(october('revenue_growth_mom')).toMatchObject({ value: 19, numerator: 20_000_000, denominator: 1_000_000 });
    expect(october('cac')).toMatchObject({ value: 4_000_000, numerator: 8_000_000, denominator: 2 });
    expect(value('marketing_roi')).toBe(16_000_000 / 8_000_000 - 1);
    // the UTC/Seoul day boundary: L2 counts on October 2nd, L3 on October 1st
    const day = (date: string) => rows.find((r: KpiSnapshotRow) => r.kpi_id === 'leads' && r.grain === 'day' && r.period_start === date)?.value;
    expect([day('2026-09-30'), day('2026-10-01'), day('2026-10-02')]).toEqual([undefined, 2, 1]);
  });
});
