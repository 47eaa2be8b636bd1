import type { FxRateConfig, PipelineConfig } from '../config/schema.ts';
import { KpiError } from '../errors.ts';
import { encodeParquet } from '../lake/parquet.ts';
import type { ObjectStore } from '../lake/object-store.ts';
import type { QueryEngine } from '../query/query-engine.ts';
import type { Row, TableSchema } from '../table/schema.ts';

/**
 * Exchange rates from pipeline.yaml, written to the lake as a small reference table on every run,
 * so the unified ad model converts spend the same way in DuckDB, in Athena and in any BI tool.
 * A rate is "1 <currency> = rate <reporting currency>" for a calendar month. The reporting
 * currency itself is one row with month '*' and rate 1.
 */
export const fxRatesTable: TableSchema = {
  name: 'fx_rates',
  description: 'Monthly exchange rates into the reporting currency, from pipeline.yaml `fx`.',
  location: 'ref/fx_rates',
  partitioned: false,
  columns: [
    { name: 'currency', type: 'string', nullable: false, description: 'ISO 4217 code converted from' },
    { name: 'month', type: 'string', nullable: false, description: "YYYY-MM the rate applies to ('*' for the reporting currency)" },
    { name: 'rate', type: 'double', nullable: false, description: 'Reporting-currency units per one unit of `currency`' },
    { name: 'reporting_currency', type: 'string', nullable: false, description: 'The reporting currency (pipeline.yaml `currency`)' },
  ],
};

export const fxRatesKey = `${fxRatesTable.location}/fx_rates.parquet`;

/** Ranges expanded to one row per currency and month. */
export function expandFxRates(fx: readonly FxRateConfig[]): Array<{ currency: string; month: string; rate: number }> {
  return fx.flatMap((entry) => monthsOf(entry).map((month) => ({ currency: entry.currency, month, rate: entry.rate })));
}

export function monthsOf(entry: FxRateConfig): string[] {
  if (entry.month) return [entry.month];
  const months: string[] = [];
  let [year, month] = entry.from!.split('-').map(Number) as [number, number];
  const [endYear, endMonth] = entry.to!.split('-').map(Number) as [number, number];
  while (year < endYear || (year === endYear && month <= endMonth)) {
    months.push(`${year}-${String(month).padStart(2, '0')}`);
    if (++month > 12) [year, month] = [year + 1, 1];
  }
  return months;
}

export async function writeFxRates(store: ObjectStore, config: Pick<PipelineConfig, 'currency' | 'fx'>): Promise<void> {
  const rows: Row[] = [
    { currency: config.currency, month: '*', rate: 1, reporting_currency: config.currency },
    ...expandFxRates(config.fx).map((r) => ({ ...r, reporting_currency: config.currency })),
  ];
  await store.put(fxRatesKey, encodeParquet(fxRatesTable, rows), 'application/vnd.apache.parquet');
}

export class FxRateMissingError extends KpiError {
  override readonly userFacing = true;
}

/**
 * Fails when ad spend in the window has a currency and month without a rate: the KPI would
 * otherwise silently leave that spend out.
 */
export async function assertFxRatesCover(engine: QueryEngine, from: string, to: string): Promise<void> {
  const missing = await engine.query(
    `SELECT DISTINCT currency, substr(dt, 1, 7) AS month FROM ad_performance_daily
      WHERE spend_reporting IS NULL AND dt >= ? AND dt <= ? ORDER BY 1, 2`,
    [from, to],
  );
  if (missing.length === 0) return;
  const list = missing.map((r) => `${r.currency} ${r.month}`).join(', ');
  const first = missing[0]!;
  throw new FxRateMissingError(
    `no exchange rate for ad spend in ${list}. Add it to pipeline.yaml, e.g.\n` +
    `  fx:\n    - { currency: ${first.currency}, month: ${first.month}, rate: <${first.currency} → reporting currency> }`,
    { context: { missing: list } },
  );
}
