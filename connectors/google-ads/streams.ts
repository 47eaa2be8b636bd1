import type { Column, Row, TableSchema } from '../../core/table/schema.ts';
import { toCampaignDailyRow, type RowContext } from './mappers.ts';
import type { GoogleAdsRow } from './report.ts';

/** A Google Ads report stream, as data: its table, the GAQL resource and fields, and its mapper. */
export interface GoogleAdsReportStream {
  readonly table: TableSchema;
  /** The GAQL `FROM` resource. */
  readonly resource: string;
  /** The GAQL `SELECT` fields (snake_case, as GAQL writes them). */
  readonly fields: readonly string[];
  readonly primaryKey: readonly string[];
  readonly toRow: (row: GoogleAdsRow, context: RowContext) => Row;
}

const columns = [
  { name: 'date', type: 'date', nullable: false, description: "Report date in the account's time zone (segments.date)" },
  { name: 'account_id', type: 'string', nullable: false, description: 'Google Ads customer id, 10 digits without dashes' },
  { name: 'account_name', type: 'string', description: 'Customer descriptive name' },
  { name: 'campaign_id', type: 'string', nullable: false, description: 'Campaign id' },
  { name: 'campaign_name', type: 'string', description: 'Campaign name (as it is now, not as it was that day)' },
  { name: 'campaign_status', type: 'string', description: 'Campaign status now: ENABLED, PAUSED or REMOVED' },
  { name: 'impressions', type: 'int64', nullable: false, description: 'Impressions' },
  { name: 'clicks', type: 'int64', nullable: false, description: 'Clicks' },
  { name: 'spend', type: 'double', nullable: false, description: 'Cost in the account currency (cost_micros / 1,000,000)' },
  { name: 'conversions', type: 'double', nullable: false, description: 'Conversions (fractional under data-driven attribution); revised for the conversion window' },
  { name: 'conversions_value', type: 'double', nullable: false, description: 'Conversion value in the account currency' },
  { name: 'currency', type: 'string', nullable: false, description: 'Account currency, ISO 4217 (customer.currency_code)' },
  { name: 'time_zone', type: 'string', nullable: false, description: 'Account time zone the date is in, IANA (customer.time_zone)' },
  { name: 'source_id', type: 'string', nullable: false, description: 'pipeline.yaml source id that wrote the row' },
  { name: 'synced_at', type: 'timestamp', nullable: false, description: 'When the row was read from Google Ads (UTC)' },
  { name: 'cost_micros', type: 'int64', nullable: false, description: 'Cost in micros of the account currency, as reported' },
] as const satisfies readonly Column[];

export const adsGoogleCampaignDaily: GoogleAdsReportStream = {
  table: {
    name: 'ads_google_campaign_daily',
    description: 'Google Ads delivery, cost and conversions per day, account and campaign.',
    location: 'raw/ads_google_campaign_daily',
    columns,
  },
  resource: 'campaign',
  fields: [
    // customer.* is an attributed resource of campaign: selectable alongside, without segmenting metrics.
    'customer.id', 'customer.descriptive_name', 'customer.currency_code', 'customer.time_zone',
    'campaign.id', 'campaign.name', 'campaign.status',
    'segments.date',
    'metrics.impressions', 'metrics.clicks', 'metrics.cost_micros', 'metrics.conversions', 'metrics.conversions_value',
  ],
  primaryKey: ['account_id', 'date', 'campaign_id'],
  toRow: toCampaignDailyRow,
};

export const googleAdsReportStreams: readonly GoogleAdsReportStream[] = [adsGoogleCampaignDaily];
