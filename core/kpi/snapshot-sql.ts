import type { Grain } from '../config/schema.ts';
import { QueryError } from '../errors.ts';
import { isIsoDate } from '../dates.ts';
import { dateLiteral, identifier, quoteString } from '../query/sql.ts';
import type { FactSource, Measure, SqlContext } from './measures.ts';

/**
 * One query per fact source: every needed measure, summed per grain × period × every segment
 * dimension, in a single scan (the grains come from a VALUES list, not a UNION). The overall and
 * per-dimension totals are rolled up from these sums in TypeScript, which is exact because the
 * measures are sums. Written in the subset Trino (Athena v3) and DuckDB both run: no
 * date_add/date_format, at_timezone (a DuckDB macro) rather than AT TIME ZONE, dates cast back to
 * DATE after date_trunc, sums cast to DOUBLE, report partitions pruned on the `dt` string.
 */
export interface FactSourceQuery {
  readonly source: FactSource;
  readonly measures: readonly Measure[];
  readonly segments: readonly string[];
  readonly grains: readonly Grain[];
  readonly from: string;
  readonly to: string;
  readonly context: SqlContext;
}

const periodStartSql: Record<Grain, string> = {
  day: 'd.business_date',
  week: "CAST(date_trunc('week', d.business_date) AS DATE)",
  month: "CAST(date_trunc('month', d.business_date) AS DATE)",
  quarter: "CAST(date_trunc('quarter', d.business_date) AS DATE)",
};

export function renderSnapshotSql(query: FactSourceQuery): string {
  if (!isIsoDate(query.from) || !isIsoDate(query.to)) throw new QueryError(`snapshot window must be YYYY-MM-DD dates: ${query.from} … ${query.to}`);
  const { source, context } = query;
  const segments = query.segments.map(identifier);
  const measureColumns = query.measures.map((m) => `m_${identifier(m.id)}`);
  const periodCase = `CASE g.grain ${query.grains.map((grain) => `WHEN ${quoteString(grain)} THEN ${periodStartSql[grain]}`).join(' ')} END`;
  const date = source.date(context);
  const filters = [
    ...(source.partitionPruning ? [`t.dt >= ${quoteString(query.from)} AND t.dt <= ${quoteString(query.to)}`] : []),
    `${date} >= ${dateLiteral(query.from)} AND ${date} <= ${dateLiteral(query.to)}`,
  ];

  return [
    'SELECT grain, period_start',
    ...segments.map((s) => `, ${s}`),
    ...measureColumns.map((m) => `, SUM(${m}) AS ${m}`),
    'FROM (',
    `  SELECT g.grain, ${periodCase} AS period_start`,
    ...segments.map((s) => `  , COALESCE(d.${s}, '(not set)') AS ${s}`),
    ...query.measures.map((m, i) => `  , CAST(${m.expression(context)} AS DOUBLE) AS ${measureColumns[i]}`),
    `  FROM (SELECT t.*, ${date} AS business_date FROM ${source.from(context)} AS t`,
    `        WHERE ${filters.join('\n          AND ')}) AS d`,
    `  CROSS JOIN (VALUES ${query.grains.map((g) => `(${quoteString(g)})`).join(', ')}) AS g (grain)`,
    ') AS x',
    `GROUP BY ${['grain', 'period_start', ...segments].join(', ')}`,
  ].join('\n');
}
