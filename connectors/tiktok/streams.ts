import type { TableSchema } from '../../core/table/schema.ts';

/** The raw TikTok table: one row per advertiser, campaign and day (the integrated BASIC report). */
export const tiktokCampaignDaily: TableSchema = {
  name: 'ads_tiktok_campaign_daily',
  description: 'TikTok Ads delivery and conversions per day, advertiser and campaign (Marketing API integrated report, BASIC, AUCTION_CAMPAIGN).',
  location: 'raw/ads_tiktok_campaign_daily',
  columns: [
    {
      name: 'date', type: 'date', nullable: false,
      description: 'Report date (stat_time_day) in the ad account\'s time zone, a fixed UTC offset without daylight saving; see time_zone',
    },
    { name: 'account_id', type: 'string', nullable: false, description: 'TikTok advertiser id (ad account)' },
    { name: 'account_name', type: 'string', description: 'Advertiser name (advertiser/info)' },
    { name: 'campaign_id', type: 'string', nullable: false, description: 'TikTok campaign id' },
    { name: 'campaign_name', type: 'string', description: 'Campaign name as of the sync' },
    { name: 'campaign_status', type: 'string', description: 'Campaign operation_status as of the sync: ENABLE or DISABLE; null for deleted campaigns' },
    { name: 'impressions', type: 'int64', nullable: false, description: 'Impressions' },
    { name: 'clicks', type: 'int64', nullable: false, description: 'Clicks (destination clicks)' },
    { name: 'spend', type: 'double', nullable: false, description: 'Cost in the account currency' },
    { name: 'conversions', type: 'double', nullable: false, description: 'Conversions: the campaign\'s optimization events (TikTok `conversion`)' },
    {
      name: 'conversions_value', type: 'double', nullable: false,
      description: 'Total Complete Payment (purchase) value attributed to the ads, in the account currency (TikTok `total_complete_payment_rate`)',
    },
    { name: 'currency', type: 'string', nullable: false, description: 'ISO 4217 currency of the ad account (advertiser/info)' },
    { name: 'time_zone', type: 'string', nullable: false, description: 'IANA time zone of the ad account that date is in (advertiser/info)' },
    { name: 'source_id', type: 'string', nullable: false, description: 'pipeline.yaml source id that wrote the row' },
    { name: 'synced_at', type: 'timestamp', nullable: false, description: 'When the row was read from TikTok (UTC)' },
  ],
};

export const tiktokPrimaryKey = ['account_id', 'date', 'campaign_id'] as const;
