import type { Column, TableSchema } from '../../core/table/schema.ts';

/** ads_meta_campaign_daily: the common ad-platform columns, then Meta's raw action arrays. */
const columns = [
  { name: 'date', type: 'date', nullable: false, description: "Report date in the ad account's time zone (insights date_start, time_increment=1)" },
  { name: 'account_id', type: 'string', nullable: false, description: 'Meta ad account id, digits without the act_ prefix' },
  { name: 'account_name', type: 'string', description: 'Ad account name' },
  { name: 'campaign_id', type: 'string', nullable: false, description: 'Campaign id' },
  { name: 'campaign_name', type: 'string', description: 'Campaign name (as it is now, not as it was that day)' },
  { name: 'campaign_status', type: 'string', description: 'Campaign effective_status when the row was synced (ACTIVE, PAUSED, ARCHIVED…); null when the campaigns edge no longer lists it' },
  { name: 'impressions', type: 'int64', nullable: false, description: 'Impressions' },
  { name: 'clicks', type: 'int64', nullable: false, description: 'Clicks (all), as insights `clicks`' },
  { name: 'spend', type: 'double', nullable: false, description: 'Amount spent in the account currency' },
  { name: 'conversions', type: 'double', nullable: false, description: 'Σ actions of the source\'s actionTypes (default purchase + lead) under the account attribution setting; revised for 28 days' },
  { name: 'conversions_value', type: 'double', nullable: false, description: 'Σ action_values of the same action types, in the account currency' },
  { name: 'currency', type: 'string', nullable: false, description: 'Ad account currency, ISO 4217 (account_currency)' },
  { name: 'time_zone', type: 'string', nullable: false, description: 'Ad account time zone the date is in, IANA (timezone_name)' },
  { name: 'source_id', type: 'string', nullable: false, description: 'pipeline.yaml source id that wrote the row' },
  { name: 'synced_at', type: 'timestamp', nullable: false, description: 'When the row was read from Meta (UTC)' },
  { name: 'actions_json', type: 'string', description: 'The insights `actions` array as JSON ([{action_type, value}], values as strings), for other action types; null when Meta reported none' },
  { name: 'action_values_json', type: 'string', description: 'The insights `action_values` array as JSON, values in the account currency; null when Meta reported none' },
] as const satisfies readonly Column[];

export const adsMetaCampaignDaily: TableSchema = {
  name: 'ads_meta_campaign_daily',
  description: 'Meta (Facebook, Instagram) ads delivery, spend and conversions per day, ad account and campaign.',
  location: 'raw/ads_meta_campaign_daily',
  columns,
};

export const adsMetaCampaignDailyPrimaryKey = ['account_id', 'date', 'campaign_id'] as const;
