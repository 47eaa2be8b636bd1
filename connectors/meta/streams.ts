import { adCampaignDailyColumns } from '../../core/models/ad-performance-daily.ts';
import type { Column, TableSchema } from '../../core/table/schema.ts';

/** ads_meta_campaign_daily: the common ad-platform columns, then Meta's raw action arrays. */
const columns = [
  ...adCampaignDailyColumns({
    date: "Report date in the ad account's time zone (insights date_start, time_increment=1)",
    account_id: 'Meta ad account id, digits without the act_ prefix',
    account_name: 'Ad account name',
    campaign_id: 'Campaign id',
    campaign_name: 'Campaign name (as it is now, not as it was that day)',
    campaign_status: 'Campaign effective_status when the row was synced (ACTIVE, PAUSED, ARCHIVED…); null when the campaigns edge no longer lists it',
    impressions: 'Impressions',
    clicks: 'Clicks (all), as insights `clicks`',
    spend: 'Amount spent in the account currency',
    conversions: 'Σ actions of the source\'s actionTypes (default purchase + lead) under the account attribution setting; revised for 28 days',
    conversions_value: 'Σ action_values of the same action types, in the account currency',
    currency: 'Ad account currency, ISO 4217 (account_currency)',
    time_zone: 'Ad account time zone the date is in, IANA (timezone_name)',
    source_id: 'pipeline.yaml source id that wrote the row',
    synced_at: 'When the row was read from Meta (UTC)',
  }),
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
