import { adCampaignDailyColumns } from '../../core/models/ad-performance-daily.ts';
import type { Column, Row, TableSchema } from '../../core/table/schema.ts';
import { toCampaignDailyRow, type RowContext } from './mappers.ts';

/** A Google Ads report stream, as data: its table, the GAQL resource and fields, and its mapper. */
export interface GoogleAdsReportStream {
  readonly table: TableSchema;
  /** The GAQL `FROM` resource. */
  readonly resource: string;
  /** The GAQL `SELECT` fields (snake_case, as GAQL writes them). */
  readonly fields: readonly string[];
  readonly primaryKey: readonly string[];
  /** Maps one wire row as sent (it checks each field as it reads it). */
  readonly toRow: (raw: unknown, context: RowContext) => Row;
}

const columns = [
  ...adCampaignDailyColumns({
    date: "Report date in the account's time zone (segments.date)",
    account_id: 'Google Ads customer id, 10 digits without dashes',
    account_name: 'Customer descriptive name',
    campaign_id: 'Campaign id',
    campaign_name: 'Campaign name (as it is now, not as it was that day)',
    campaign_status: 'Campaign status now: ENABLED, PAUSED or REMOVED',
    impressions: 'Impressions',
    clicks: 'Clicks',
    spend: 'Cost in the account currency (cost_micros / 1,000,000)',
    conversions: 'Conversions (fractional under data-driven attribution); revised for the conversion window',
    conversions_value: 'Conversion value in the account currency',
    currency: 'Account currency, ISO 4217 (customer.currency_code)',
    time_zone: 'Account time zone the date is in, IANA (customer.time_zone)',
    source_id: 'pipeline.yaml source id that wrote the row',
    synced_at: 'When the row was read from Google Ads (UTC)',
  }),
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
