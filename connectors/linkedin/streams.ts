import { adCampaignDailyColumns } from '../../core/models/ad-performance-daily.ts';
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
    ...adCampaignDailyColumns({
      date: 'Report date in UTC (LinkedIn reports in UTC, whatever the account\'s time zone)',
      account_id: 'LinkedIn ad account id (the number in urn:li:sponsoredAccount:…)',
      account_name: 'Ad account name',
      campaign_id: 'LinkedIn campaign id (urn:li:sponsoredCampaign:…); in the unified ad model this is an ad set',
      campaign_name: 'LinkedIn campaign name; null when the campaign no longer appears in the campaign search',
      campaign_status: 'LinkedIn campaign status now (ACTIVE, PAUSED, ARCHIVED, COMPLETED, CANCELED, DRAFT …), not on the report date',
      impressions: 'Impressions (sends for Message Ads)',
      clicks: 'Chargeable clicks',
      spend: 'Cost in the account currency (costInLocalCurrency)',
      conversions: 'Website conversions attributed to the day (externalWebsiteConversions, post-click and view-through)',
      conversions_value: 'Conversion value in the account currency (conversionValueInLocalCurrency)',
      currency: 'ISO 4217 currency of the ad account (spend and conversions_value are in it)',
      time_zone: 'IANA time zone the date is in: always UTC for LinkedIn',
      source_id: 'pipeline.yaml source id that wrote the row',
      synced_at: 'When the row was read from LinkedIn (UTC)',
    }),
    { name: 'campaign_group_id', type: 'string', description: "LinkedIn campaign group id (urn:li:sponsoredCampaignGroup:…): the unified ad model's campaign" },
    { name: 'campaign_group_name', type: 'string', description: "LinkedIn campaign group name: the unified ad model's campaign name (matches GA4's UTM campaign)" },
  ],
};

export const linkedinPrimaryKey = ['account_id', 'date', 'campaign_id'] as const;
