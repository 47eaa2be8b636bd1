import { adCampaignDailyColumns } from '../../core/models/ad-performance-daily.ts';
import type { TableSchema } from '../../core/table/schema.ts';

/** The raw TikTok table: one row per advertiser, campaign and day (the integrated BASIC report). */
export const tiktokCampaignDaily: TableSchema = {
  name: 'ads_tiktok_campaign_daily',
  description: 'TikTok Ads delivery and conversions per day, advertiser and campaign (Marketing API integrated report, BASIC, AUCTION_CAMPAIGN).',
  location: 'raw/ads_tiktok_campaign_daily',
  columns: [
    ...adCampaignDailyColumns({
      date: 'Report date (stat_time_day) in the ad account\'s time zone, a fixed UTC offset without daylight saving; see time_zone',
      account_id: 'TikTok advertiser id (ad account)',
      account_name: 'Advertiser name (advertiser/info)',
      campaign_id: 'TikTok campaign id',
      campaign_name: 'Campaign name as of the sync',
      campaign_status: 'Campaign operation_status as of the sync: ENABLE or DISABLE; null for deleted campaigns',
      impressions: 'Impressions',
      clicks: 'Clicks (destination clicks)',
      spend: 'Cost in the account currency',
      conversions: 'Conversions: the campaign\'s optimization events (TikTok `conversion`)',
      conversions_value: 'Total Complete Payment (purchase) value attributed to the ads, in the account currency (TikTok `total_complete_payment_rate`)',
      currency: 'ISO 4217 currency of the ad account (advertiser/info)',
      time_zone: 'IANA time zone of the ad account that date is in (advertiser/info)',
      source_id: 'pipeline.yaml source id that wrote the row',
      synced_at: 'When the row was read from TikTok (UTC)',
    }),
  ],
};

export const tiktokPrimaryKey = ['account_id', 'date', 'campaign_id'] as const;
