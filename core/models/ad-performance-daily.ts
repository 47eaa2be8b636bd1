import type { Column, ColumnType, ViewDefinition } from '../table/schema.ts';

/**
 * The columns every raw ad table starts with: the unified model's input contract, declared once.
 * Names, types and nullability are fixed here; each connector describes them in its vendor's terms.
 */
const adCampaignDailyContract = {
  date: ['date', false], account_id: ['string', false], account_name: ['string', true], campaign_id: ['string', false],
  campaign_name: ['string', true], campaign_status: ['string', true], impressions: ['int64', false], clicks: ['int64', false],
  spend: ['double', false], conversions: ['double', false], conversions_value: ['double', false], currency: ['string', false],
  time_zone: ['string', false], source_id: ['string', false], synced_at: ['timestamp', false],
} as const satisfies Record<string, readonly [ColumnType, boolean]>;

export type AdCampaignDailyColumn = keyof typeof adCampaignDailyContract;

/** The common ad columns, in contract order, with the connector's own descriptions. */
export function adCampaignDailyColumns(descriptions: Readonly<Record<AdCampaignDailyColumn, string>>): Column[] {
  return (Object.entries(adCampaignDailyContract) as Array<[AdCampaignDailyColumn, readonly [ColumnType, boolean]]>).map(
    ([name, [type, nullable]]) => ({ name, type, nullable, description: descriptions[name] }),
  );
}

/**
 * One row per day × platform × account × campaign across every ad platform, with the columns of
 * Fivetran dbt_ad_reporting's campaign report, plus spend and conversion value converted to the
 * reporting currency with `fx_rates` (NULL where a rate is missing: never a silent 1.0).
 * LinkedIn's campaign group is the campaign here; its campaigns are summed into their group.
 */
const platformTables = [
  { platform: 'google_ads', table: 'ads_google_campaign_daily' },
  { platform: 'meta', table: 'ads_meta_campaign_daily' },
  { platform: 'tiktok', table: 'ads_tiktok_campaign_daily' },
] as const;
const linkedinTable = 'ads_linkedin_campaign_daily';

const columns: readonly Column[] = [
  { name: 'date', type: 'date', description: 'Report date in the ad account time zone (UTC for LinkedIn and TikTok)' },
  { name: 'platform', type: 'string', description: 'google_ads, meta, linkedin or tiktok' },
  { name: 'source_id', type: 'string', description: 'pipeline.yaml source id' },
  { name: 'account_id', type: 'string', description: 'Ad account id' },
  { name: 'account_name', type: 'string', description: 'Ad account name' },
  { name: 'campaign_id', type: 'string', description: 'Campaign id (LinkedIn: campaign group id)' },
  { name: 'campaign_name', type: 'string', description: 'Campaign name (LinkedIn: campaign group name)' },
  { name: 'impressions', type: 'int64', description: 'Impressions' },
  { name: 'clicks', type: 'int64', description: 'Clicks' },
  { name: 'spend', type: 'double', description: 'Spend in the account currency' },
  { name: 'conversions', type: 'double', description: 'Conversions as the platform reports them (last touch, its own window)' },
  { name: 'conversions_value', type: 'double', description: 'Conversion value in the account currency' },
  { name: 'currency', type: 'string', description: 'Account currency' },
  { name: 'spend_reporting', type: 'double', description: 'Spend in the reporting currency (fx_rates of the month)' },
  { name: 'conversions_value_reporting', type: 'double', description: 'Conversion value in the reporting currency' },
  { name: 'dt', type: 'string', description: 'Partition date (YYYY-MM-DD)' },
];

const common = 'source_id, account_id, account_name, campaign_id, campaign_name, impressions, clicks, spend, conversions, conversions_value, currency, dt';

const union = [
  ...platformTables.map(({ platform, table }) => `  SELECT date, '${platform}' AS platform, ${common} FROM ${table}`),
  `  SELECT date, 'linkedin' AS platform, source_id, account_id, max(account_name) AS account_name,
         campaign_group_id AS campaign_id, max(campaign_group_name) AS campaign_name,
         sum(impressions) AS impressions, sum(clicks) AS clicks, sum(spend) AS spend,
         sum(conversions) AS conversions, sum(conversions_value) AS conversions_value, currency, dt
    FROM ${linkedinTable}
   GROUP BY date, source_id, account_id, campaign_group_id, currency, dt`,
].join('\n  UNION ALL\n');

export const adPerformanceDaily: ViewDefinition = {
  name: 'ad_performance_daily',
  description: 'Every ad platform in one table: daily campaign performance, converted to the reporting currency.',
  dependsOn: [...platformTables.map((p) => p.table), linkedinTable, 'fx_rates'],
  columns,
  sql: `SELECT u.date, u.platform, u.source_id, u.account_id, u.account_name, u.campaign_id, u.campaign_name,
       u.impressions, u.clicks, CAST(u.spend AS DOUBLE) AS spend, CAST(u.conversions AS DOUBLE) AS conversions,
       CAST(u.conversions_value AS DOUBLE) AS conversions_value, u.currency,
       u.spend * (CASE WHEN u.currency = c.reporting_currency THEN 1.0 ELSE r.rate END) AS spend_reporting,
       u.conversions_value * (CASE WHEN u.currency = c.reporting_currency THEN 1.0 ELSE r.rate END) AS conversions_value_reporting,
       u.dt
  FROM (
${union}
  ) AS u
  CROSS JOIN (SELECT max(reporting_currency) AS reporting_currency FROM fx_rates) AS c
  LEFT JOIN fx_rates AS r ON r.currency = u.currency AND r.month = substr(u.dt, 1, 7)`,
};
