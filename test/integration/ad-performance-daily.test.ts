import { afterEach, describe, expect, it } from 'vitest';
import { connectors } from '../../connectors/index.ts';
import type { FxRateConfig } from '../../core/config/schema.ts';
import { kpiCatalog } from '../../core/kpi/catalog.ts';
import { computeSnapshot } from '../../core/kpi/snapshot.ts';
import { writePartition } from '../../core/lake/lake-writer.ts';
import { LocalFolderStore } from '../../core/lake/local-folder-store.ts';
import { silentLogger } from '../../core/log.ts';
import { assertFxRatesCover, FxRateMissingError, writeFxRates } from '../../core/models/fx-rates.ts';
import { buildLakeCatalog } from '../../core/models/lake-catalog.ts';
import { DuckDbEngine } from '../../core/query/duckdb-engine.ts';
import type { Row, TableSchema } from '../../core/table/schema.ts';
import { tempDirs } from '../support/temp-dir.ts';

const catalog = buildLakeCatalog(connectors);
const table = (name: string): TableSchema => catalog.tables.find((t) => t.name === name)!;

/** A raw ad row with every column filled: the test's numbers override the defaults. */
function adRow(tableName: string, values: Row): Row {
  const row: Row = {};
  for (const column of table(tableName).columns) {
    row[column.name] = column.type === 'string' ? `${column.name}-x` : column.type === 'date' ? '2026-11-02'
      : column.type === 'timestamp' ? new Date('2026-11-03T00:00:00Z') : column.type === 'boolean' ? false : 0;
  }
  return { ...row, ...values };
}

const day = '2026-11-02'; // a Monday
const rows: Record<string, Row[]> = {
  ads_google_campaign_daily: [
    adRow('ads_google_campaign_daily', { date: day, account_id: 'g1', campaign_id: 'c1', campaign_name: 'brand_search', impressions: 10_000, clicks: 500, spend: 200_000, cost_micros: 200_000_000_000, conversions: 10, conversions_value: 600_000, currency: 'KRW', source_id: 'google_ads' }),
  ],
  ads_meta_campaign_daily: [
    adRow('ads_meta_campaign_daily', { date: day, account_id: 'm1', campaign_id: 'c2', campaign_name: 'spring_sale', impressions: 30_000, clicks: 300, spend: 300_000, conversions: 6, conversions_value: 360_000, currency: 'KRW', source_id: 'meta' }),
  ],
  ads_linkedin_campaign_daily: [
    // Two LinkedIn campaigns of one campaign group, in USD: one unified row for the group.
    adRow('ads_linkedin_campaign_daily', { date: day, account_id: 'l1', campaign_id: 'lc1', campaign_name: 'b2b_webinar_leadgen', campaign_group_id: 'g9', campaign_group_name: 'b2b_webinar', impressions: 4_000, clicks: 20, spend: 100, conversions: 2, conversions_value: 300, currency: 'USD', source_id: 'linkedin' }),
    adRow('ads_linkedin_campaign_daily', { date: day, account_id: 'l1', campaign_id: 'lc2', campaign_name: 'b2b_webinar_retarget', campaign_group_id: 'g9', campaign_group_name: 'b2b_webinar', impressions: 1_000, clicks: 5, spend: 50.5, conversions: 1, conversions_value: 0, currency: 'USD', source_id: 'linkedin' }),
  ],
  ads_tiktok_campaign_daily: [
    adRow('ads_tiktok_campaign_daily', { date: day, account_id: 't1', campaign_id: 'c4', campaign_name: 'tiktok_awareness', impressions: 50_000, clicks: 400, spend: 100_000, conversions: 2, conversions_value: 80_000, currency: 'KRW', source_id: 'tiktok' }),
  ],
};

describe('ad_performance_daily', () => {
  const temps = tempDirs('kpi-ads-');
  let engine: DuckDbEngine | undefined;
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
    await temps.removeAll();
  });

  async function lake(fx: FxRateConfig[]): Promise<{ engine: DuckDbEngine; store: LocalFolderStore }> {
    const root = await temps.make();
    const store = new LocalFolderStore(root);
    for (const [name, tableRows] of Object.entries(rows)) await writePartition(store, table(name), day, tableRows[0]!.source_id as string, tableRows);
    await writeFxRates(store, { currency: 'KRW', fx });
    engine = await DuckDbEngine.open({ lakeRoot: root, ...catalog });
    return { engine, store };
  }

  it('has one row per platform campaign, LinkedIn groups summed, spend converted with the month rate', async () => {
    // Prepare: 1 USD = 1,380 KRW in 2026-11
    const { engine } = await lake([{ currency: 'USD', month: '2026-11', rate: 1380 }]);
    // Act
    const result = await engine.query(
      'SELECT platform, campaign_id, campaign_name, impressions, clicks, spend, spend_reporting, conversions_value_reporting, currency FROM ad_performance_daily ORDER BY platform');
    // Assess: LinkedIn = (100 + 50.5) USD × 1380 = 207,690 KRW; value (300 + 0) × 1380 = 414,000 KRW
    expect(result).toEqual([
      { platform: 'google_ads', campaign_id: 'c1', campaign_name: 'brand_search', impressions: 10_000, clicks: 500, spend: 200_000, spend_reporting: 200_000, conversions_value_reporting: 600_000, currency: 'KRW' },
      { platform: 'linkedin', campaign_id: 'g9', campaign_name: 'b2b_webinar', impressions: 5_000, clicks: 25, spend: 150.5, spend_reporting: 207_690, conversions_value_reporting: 414_000, currency: 'USD' },
      { platform: 'meta', campaign_id: 'c2', campaign_name: 'spring_sale', impressions: 30_000, clicks: 300, spend: 300_000, spend_reporting: 300_000, conversions_value_reporting: 360_000, currency: 'KRW' },
      { platform: 'tiktok', campaign_id: 'c4', campaign_name: 'tiktok_awareness', impressions: 50_000, clicks: 400, spend: 100_000, spend_reporting: 100_000, conversions_value_reporting: 80_000, currency: 'KRW' },
    ]);
  });

  it('sums to the same totals as the raw tables', async () => {
    // Prepare
    const { engine } = await lake([{ currency: 'USD', from: '2026-01', to: '2026-12', rate: 1380 }]);
    // Act
    const [unified] = await engine.query('SELECT sum(impressions) AS i, sum(clicks) AS c, sum(conversions) AS v FROM ad_performance_daily');
    const raw = await Promise.all(Object.keys(rows).map((name) => engine.query(`SELECT sum(impressions) AS i, sum(clicks) AS c, sum(conversions) AS v FROM ${name}`)));
    // Assess
    const sum = (key: 'i' | 'c' | 'v') => raw.reduce((acc, [r]) => acc + Number(r![key]), 0);
    expect(unified).toEqual({ i: sum('i'), c: sum('c'), v: sum('v') });
    expect(unified).toEqual({ i: 95_000, c: 1_225, v: 21 });
  });

  it('leaves spend without a rate NULL (never 1.0) and the check names the currency, month and YAML to add', async () => {
    // Prepare: a rate for October only
    const { engine } = await lake([{ currency: 'USD', month: '2026-10', rate: 1370 }]);
    // Act
    const [linkedin] = await engine.query("SELECT spend_reporting FROM ad_performance_daily WHERE platform = 'linkedin'");
    const check = assertFxRatesCover(engine, '2026-11-01', '2026-11-30');
    // Assess
    expect(linkedin).toEqual({ spend_reporting: null });
    await expect(check).rejects.toBeInstanceOf(FxRateMissingError);
    await expect(check).rejects.toThrow(/no exchange rate for ad spend in USD 2026-11[\s\S]*- \{ currency: USD, month: 2026-11, rate:/);
  });

  it('computes CTR, CPA, ROAS and channel shares overall and per platform', async () => {
    // Prepare
    const { engine, store } = await lake([{ currency: 'USD', month: '2026-11', rate: 1380 }]);
    const adKpis = kpiCatalog.filter((k) => k.table === 'ad_performance_daily' && ['ctr', 'cpa', 'roas', 'channel_spend_share'].includes(k.id));
    // Act
    const { rows: snapshot } = await computeSnapshot({
      engine, store, kpis: adKpis, coverage: new Map([['ad_performance_daily', { from: day, to: day }]]), asOf: day,
      historyDays: 30, context: { microConversionEvents: [], timezone: 'Asia/Seoul' }, log: silentLogger,
    });
    const value = (kpi: string, platform: string | null) =>
      snapshot.find((r) => r.kpi_id === kpi && r.grain === 'day' && r.segment_value === platform)?.value;
    // Assess (hand-computed): total spend 200,000 + 300,000 + 207,690 + 100,000 = 807,690 KRW
    expect(value('ctr', null)).toBeCloseTo(1_225 / 95_000, 12);
    expect(value('cpa', null)).toBeCloseTo(807_690 / 21, 9);
    expect(value('roas', 'linkedin')).toBeCloseTo(414_000 / 207_690, 12);
    expect(value('channel_spend_share', 'meta')).toBeCloseTo(300_000 / 807_690, 12);
    expect(value('channel_spend_share', null)).toBeUndefined();
    const shares = ['google_ads', 'meta', 'linkedin', 'tiktok'].map((p) => value('channel_spend_share', p)!);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });
});
