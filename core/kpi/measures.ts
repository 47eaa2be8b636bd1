import type { KpiSettings } from '../config/schema.ts';
import { quoteString } from '../query/sql.ts';

/**
 * A measure is a per-row SQL expression summed over a period. KPIs are built from measure sums,
 * so all the measures of one table are computed by one query (Athena bills ≥ 10 MB per query).
 */
export interface Measure {
  readonly id: string;
  readonly table: string;
  readonly description: string;
  /** Row-level expression over the table's columns; values from settings are quoted, never pasted. */
  readonly expression: (settings: KpiSettings) => string;
}

/** The dimensions a table's KPIs may be sliced by (goals' `segment`). */
export const segmentDimensions: Readonly<Record<string, readonly string[]>> = {
  ga4_traffic_daily: ['channel_group'],
  ga4_events_daily: [],
  ad_performance_daily: ['platform'],
};

const column = (table: string, id: string, name: string, description: string): Measure =>
  ({ id, table, description, expression: () => name });

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
    id: 'micro_conversions', table: 'ga4_events_daily', description: 'Events named in kpis.microConversionEvents',
    expression: (settings) => eventCountOf(settings.microConversionEvents),
  },
  { id: 'add_to_carts', table: 'ga4_events_daily', description: 'add_to_cart events', expression: () => eventCountOf(['add_to_cart']) },
  { id: 'purchases', table: 'ga4_events_daily', description: 'purchase events', expression: () => eventCountOf(['purchase']) },
  column('ad_performance_daily', 'ad_spend', 'spend_reporting', 'Ad spend in the reporting currency'),
  column('ad_performance_daily', 'ad_impressions', 'impressions', 'Ad impressions'),
  column('ad_performance_daily', 'ad_clicks', 'clicks', 'Ad clicks'),
  column('ad_performance_daily', 'ad_conversions', 'conversions', 'Conversions as each platform reports them'),
  column('ad_performance_daily', 'ad_conversions_value', 'conversions_value_reporting', 'Conversion value in the reporting currency'),
];

export const measureById: ReadonlyMap<string, Measure> = new Map(measures.map((m) => [m.id, m]));
