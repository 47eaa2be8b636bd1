import type { Grain, KpiSettings } from '../config/schema.ts';
import { QueryError } from '../errors.ts';
import { isIsoDate } from '../dates.ts';
import { identifier, quoteString } from '../query/sql.ts';
import type { Measure } from './measures.ts';

/**
 * One query per table: every needed measure, summed per grain × period × every segment dimension,
 * in a single scan (the grains come from a VALUES list, not a UNION). The overall and per-dimension
 * totals are rolled up from these sums in TypeScript, which is exact because the measures are sums.
 * Written in the subset Trino (Athena v3) and DuckDB both run: no date_add/date_format, dates cast
 * back to DATE after date_trunc, sums cast to DOUBLE, partitions pruned on the `dt` string.
 */
export interface TableSnapshotQuery {
  readonly table: string;
  readonly measures: readonly Measure[];
  readonly segments: readonly string[];
  readonly grains: readonly Grain[];
  readonly from: string;
  readonly to: string;
  readonly settings: KpiSettings;
}

const periodStartSql: Record<Grain, string> = {
  day: 't.date',
  week: "CAST(date_trunc('week', t.date) AS DATE)",
  month: "CAST(date_trunc('month', t.date) AS DATE)",
};

export function renderTableSnapshotSql(query: TableSnapshotQuery): string {
  if (!isIsoDate(query.from) || !isIsoDate(query.to)) throw new QueryError(`snapshot window must be YYYY-MM-DD dates: ${query.from} … ${query.to}`);
  const table = identifier(query.table);
  const segments = query.segments.map(identifier);
  const measureColumns = query.measures.map((m) => `m_${identifier(m.id)}`);
  const periodCase = `CASE g.grain ${query.grains.map((grain) => `WHEN ${quoteString(grain)} THEN ${periodStartSql[grain]}`).join(' ')} END`;

  return [
    'SELECT grain, period_start',
    ...segments.map((s) => `, ${s}`),
    ...measureColumns.map((m) => `, SUM(${m}) AS ${m}`),
    'FROM (',
    `  SELECT g.grain, ${periodCase} AS period_start`,
    ...segments.map((s) => `  , COALESCE(t.${s}, '(not set)') AS ${s}`),
    ...query.measures.map((m, i) => `  , CAST(${m.expression(query.settings)} AS DOUBLE) AS ${measureColumns[i]}`),
    `  FROM ${table} AS t`,
    `  CROSS JOIN (VALUES ${query.grains.map((g) => `(${quoteString(g)})`).join(', ')}) AS g (grain)`,
    `  WHERE t.dt >= ${quoteString(query.from)} AND t.dt <= ${quoteString(query.to)}`,
    ') AS x',
    `GROUP BY ${['grain', 'period_start', ...segments].join(', ')}`,
  ].join('\n');
}
