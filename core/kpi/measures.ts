import type { KpiSettings } from '../config/schema.ts';
import { quoteString } from '../query/sql.ts';

/** What measure and source SQL may depend on: the KPI settings and the business time zone. */
export interface SqlContext extends Pick<KpiSettings, 'microConversionEvents'> {
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

/**
 * A UTC timestamp column as a calendar date in the business time zone. Source dates are read in
 * the inner query (alias `t`); measures read the outer rows, where columns are unqualified.
 */
const localDate = (column: string, alias: 't' | null = 't') => (context: SqlContext) =>
  `CAST(at_timezone(${alias ? `${alias}.` : ''}${column}, ${quoteString(context.timezone)}) AS DATE)`;

const report = (table: string, segments: readonly string[]): FactSource => ({
  id: table, coverageTable: table, from: () => table, date: () => 't.date', partitionPruning: true, segments,
});

/** A CRM view where each row counts on a date of its own (not the version's partition). */
const crm = (id: string, view: string, date: (context: SqlContext) => string, segments: readonly string[] = [], from?: string): FactSource => ({
  id, coverageTable: view, from: () => from ?? view, date, partitionPruning: false, segments,
});

export const factSources: readonly FactSource[] = [
  report('ga4_traffic_daily', ['channel_group']),
  report('ga4_events_daily', []),
  report('ad_performance_daily', ['platform']),
  // Leads on the day they were created, and on the day they reached MQL (the MQL → SQL cohort).
  crm('sf_leads_created', 'salesforce_lead_latest', localDate('created_date'), ['lead_source']),
  crm('sf_leads_mql', 'salesforce_lead_latest', () => 't.mql_date', ['lead_source']),
  // Opportunities on the day they were created (pipeline) and on their close date (outcomes).
  crm('sf_opportunities_created', 'salesforce_opportunity_latest', localDate('created_date')),
  crm('sf_opportunities_closed', 'salesforce_opportunity_latest', () => 't.close_date'),
  // Accounts on the close date of their first won opportunity: new customers.
  crm('sf_new_customers', 'salesforce_opportunity_latest', () => 't.first_won_date', [],
    '(SELECT account_id, min(close_date) AS first_won_date FROM salesforce_opportunity_latest WHERE is_won AND account_id IS NOT NULL GROUP BY account_id)'),
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
  column('sf_leads_created', 'leads_created', '1', 'Leads created (CreatedDate, business time zone)'),
  column('sf_leads_created', 'leads_with_opportunity', 'CASE WHEN is_converted AND converted_opportunity_id IS NOT NULL THEN 1 ELSE 0 END',
    'Of the leads created, those converted with an opportunity'),
  column('sf_leads_mql', 'mqls', '1', 'Leads reaching MQL (MQL date)'),
  column('sf_leads_mql', 'mqls_reaching_sql', 'CASE WHEN sql_date IS NOT NULL THEN 1 ELSE 0 END', 'Of the MQLs of the period, those that reached SQL'),
  column('sf_opportunities_created', 'pipeline_amount', 'coalesce(amount, 0)', 'Amount of opportunities created (CreatedDate)'),
  column('sf_opportunities_closed', 'closed_deals', 'CASE WHEN is_closed THEN 1 ELSE 0 END', 'Opportunities closed won or lost (CloseDate)'),
  column('sf_opportunities_closed', 'won_deals', 'CASE WHEN is_won THEN 1 ELSE 0 END', 'Opportunities closed won (CloseDate)'),
  column('sf_opportunities_closed', 'won_amount', 'CASE WHEN is_won THEN coalesce(amount, 0) ELSE 0 END', 'Closed-won amount (CloseDate)'),
  column('sf_opportunities_closed', 'won_amount_marketing', 'CASE WHEN is_won AND campaign_id IS NOT NULL THEN coalesce(amount, 0) ELSE 0 END',
    'Closed-won amount of opportunities with a primary campaign (marketing-sourced)'),
  {
    id: 'won_cycle_days', source: 'sf_opportunities_closed', description: 'Days from CreatedDate to CloseDate of won opportunities, summed',
    expression: (context) => `CASE WHEN is_won THEN date_diff('day', ${localDate('created_date', null)(context)}, close_date) ELSE 0 END`,
  },
  column('sf_new_customers', 'new_customers', '1', 'Accounts whose first won opportunity closed in the period'),
];

export const measureById: ReadonlyMap<string, Measure> = new Map(measures.map((m) => [m.id, m]));
export const factSourceById: ReadonlyMap<string, FactSource> = new Map(factSources.map((s) => [s.id, s]));
export { localDate };
