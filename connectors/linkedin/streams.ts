import type { TableSchema } from '../../core/table/schema.ts';

/** adAnalytics metrics the stream requests (LinkedIn allows up to 20 per call). */
export const LINKEDIN_ANALYTICS_FIELDS = [
  'dateRange', 'pivotValues', 'impressions', 'clicks', 'costInLocalCurrency', 'externalWebsiteConversions', 'conversionValueInLocalCurrency',
] as const;

export const adsLinkedinCampaignDaily: TableSchema = {
  name: 'ads_linkedin_campaign_daily',
  description:
    'LinkedIn ad analytics per LinkedIn campaign and day (adAnalytics, pivot CAMPAIGN, DAILY; dates in UTC). ' +
    "LinkedIn's campaign group is the unified ad model's campaign (campaign_group_id / campaign_group_name); " +
    "campaign_id is LinkedIn's campaign, the level below it (what other platforms call an ad set or ad group).",
  location: 'raw/ads_linkedin_campaign_daily',
  columns: [
    { name: 'date', type: 'date', nullable: false, description: 'Report date in UTC (LinkedIn reports in UTC, whatever the account\'s time zone)' },
    { name: 'account_id', type: 'string', nullable: false, description: 'LinkedIn ad account id (the number in urn:li:sponsoredAccount:…)' },
    { name: 'account_name', type: 'string', description: 'Ad account name' },
    { name: 'campaign_id', type: 'string', nullable: false, description: 'LinkedIn campaign id (urn:li:sponsoredCampaign:…); in the unified ad model this is an ad set' },
    { name: 'campaign_name', type: 'string', description: 'LinkedIn campaign name; null when the campaign no longer appears in the campaign search' },
    { name: 'campaign_status', type: 'string', description: 'LinkedIn campaign status now (ACTIVE, PAUSED, ARCHIVED, COMPLETED, CANCELED, DRAFT …), not on the report date' },
    { name: 'impressions', type: 'int64', nullable: false, description: 'Impressions (sends for Message Ads)' },
    { name: 'clicks', type: 'int64', nullable: false, description: 'Chargeable clicks' },
    { name: 'spend', type: 'double', nullable: false, description: 'Cost in the account currency (costInLocalCurrency)' },
    { name: 'conversions', type: 'double', nullable: false, description: 'Website conversions attributed to the day (externalWebsiteConversions, post-click and view-through)' },
    { name: 'conversions_value', type: 'double', nullable: false, description: 'Conversion value in the account currency (conversionValueInLocalCurrency)' },
    { name: 'currency', type: 'string', nullable: false, description: 'ISO 4217 currency of the ad account (spend and conversions_value are in it)' },
    { name: 'time_zone', type: 'string', nullable: false, description: 'IANA time zone the date is in: always UTC for LinkedIn' },
    { name: 'source_id', type: 'string', nullable: false, description: 'pipeline.yaml source id that wrote the row' },
    { name: 'synced_at', type: 'timestamp', nullable: false, description: 'When the row was read from LinkedIn (UTC)' },
    { name: 'campaign_group_id', type: 'string', description: "LinkedIn campaign group id (urn:li:sponsoredCampaignGroup:…): the unified ad model's campaign" },
    { name: 'campaign_group_name', type: 'string', description: "LinkedIn campaign group name: the unified ad model's campaign name (matches GA4's UTM campaign)" },
  ],
};

export const linkedinPrimaryKey = ['account_id', 'date', 'campaign_id'] as const;
