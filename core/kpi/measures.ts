import type { KpiSettings } from '../config/schema.ts';
import { quoteString } from '../query/sql.ts';

/** What measure and source SQL may depend on: the KPI settings and the business time zone. */
export interface SqlContext extends KpiSettings {
  readonly timezone: string;
}

/**
 * Where measures come from: a table or view (or a small subquery over one), the business date each
 * row counts on, and the dimensions it can be sliced by. All measures of one source are computed
 * by one query (Athena bills at least 10 MB per query).
 */
export interface FactSource {
  readonly id: string;
  /** The table or view whose synced coverage bounds this source's complete periods. */
  readonly coverageTable: string;
  /** What goes after FROM (aliased `t`): a table name or a parenthesised subquery. */
  readonly from: (context: SqlContext) => string;
  /** The row's business date as a DATE expression over `t`. */
  readonly date: (context: SqlContext) => string;
  /** The date is the `dt` partition, so the window also prunes partitions (reports). */
  readonly partitionPruning: boolean;
  /** Dimensions its KPIs may be sliced by (goals' `segment`). */
  readonly segments: readonly string[];
}

/** A per-row SQL expression summed over a period; values from settings are quoted, never pasted. */
export interface Measure {
  readonly id: string;
  readonly source: string;
  readonly description: string;
  readonly expression: (context: SqlContext) => string;
}

/** A UTC timestamp column as a calendar date in the business time zone. */
const localDate = (column: string) => (context: SqlContext) => `CAST(at_timezone(t.${column}, ${quoteString(context.timezone)}) AS DATE)`;

const report = (table: string, segments: readonly string[]): FactSource => ({
  id: table, coverageTable: table, from: () => table, date: () => 't.date', partitionPruning: true, segments,
});

export const factSources: readonly FactSource[] = [
  report('ga4_traffic_daily', ['channel_group']),
  report('ga4_events_daily', []),
  report('ad_performance_daily', ['platform']),
];

const column = (source: string, id: string, expression: string, description: string): Measure =>
  ({ id, source, description, expression: () => expression });

const eventCountOf = (names: readonly string[]) =>
  `CASE WHEN event_name IN (${names.map(quoteString).join(', ')}) THEN event_count ELSE 0 END`;

export const measures: readonly Measure[] = [
  column('ga4_traffic_daily', 'sessions', 'sessions', 'GA4 sessions'),
  column('ga4_traffic_daily', 'engaged_sessions', 'engaged_sessions', 'GA4 engaged sessions'),
  column('ga4_traffic_daily', 'total_users', 'total_users', 'GA4 total users, summed over days'),
  column('ga4_traffic_daily', 'new_users', 'new_users', 'GA4 new users'),
  column('ga4_traffic_daily', 'engagement_duration_s', 'user_engagement_duration_s', 'GA4 user engagement duration (s)'),
  column('ga4_traffic_daily', 'key_events', 'key_events', 'GA4 key events (conversions)'),
  column('ga4_traffic_daily', 'purchase_revenue', 'purchase_revenue', 'GA4 purchase revenue'),
  column('ga4_traffic_daily', 'transactions', 'transactions', 'GA4 transactions'),
  {
    id: 'micro_conversions', source: 'ga4_events_daily', description: 'Events named in kpis.microConversionEvents',
    expression: (context) => eventCountOf(context.microConversionEvents),
  },
  { id: 'add_to_carts', source: 'ga4_events_daily', description: 'add_to_cart events', expression: () => eventCountOf(['add_to_cart']) },
  { id: 'purchases', source: 'ga4_events_daily', description: 'purchase events', expression: () => eventCountOf(['purchase']) },
  column('ad_performance_daily', 'ad_spend', 'spend_reporting', 'Ad spend in the reporting currency'),
  column('ad_performance_daily', 'ad_impressions', 'impressions', 'Ad impressions'),
  column('ad_performance_daily', 'ad_clicks', 'clicks', 'Ad clicks'),
  column('ad_performance_daily', 'ad_conversions', 'conversions', 'Conversions as each platform reports them'),
  column('ad_performance_daily', 'ad_conversions_value', 'conversions_value_reporting', 'Conversion value in the reporting currency'),
];

export const measureById: ReadonlyMap<string, Measure> = new Map(measures.map((m) => [m.id, m]));
export const factSourceById: ReadonlyMap<string, FactSource> = new Map(factSources.map((s) => [s.id, s]));
export { localDate };
