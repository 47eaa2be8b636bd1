import type { Row } from '../../core/table/schema.ts';
import type { AdCampaign, AdCampaignGroup, AnalyticsElement, LinkedinDate } from './api.ts';

/** LinkedIn reports every date in UTC. */
export const LINKEDIN_TIME_ZONE = 'UTC';

/** What one account's rows share: the account, its campaigns and campaign groups by id, the sync time. */
export interface CampaignRowContext {
  readonly sourceId: string;
  readonly accountId: string;
  readonly accountName: string | null;
  /** ISO 4217 currency of the account: cost and conversion value are in it. */
  readonly currency: string;
  readonly campaigns: ReadonlyMap<string, AdCampaign>;
  readonly campaignGroups: ReadonlyMap<string, AdCampaignGroup>;
  readonly syncedAt: Date;
}

/** LinkedIn's `{ year, month, day }` → `YYYY-MM-DD`. */
export function toIsoDate(date: LinkedinDate | undefined): string {
  if (!date) throw new TypeError('LinkedIn element has no dateRange.start');
  const { year, month, day } = date;
  const iso = `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  const parsed = new Date(`${iso}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(iso) || Number.isNaN(parsed.getTime()) || !parsed.toISOString().startsWith(iso)) {
    throw new TypeError(`LinkedIn date is not a calendar date: ${JSON.stringify(date)}`);
  }
  return iso;
}

/** The id at the end of a URN of the given type: `urn:li:sponsoredCampaign:123` → `123`. */
export function idFromUrn(urn: string | null | undefined, type: 'sponsoredCampaign' | 'sponsoredCampaignGroup' | 'sponsoredAccount'): string {
  const match = new RegExp(`^urn:li:${type}:(\\d+)$`).exec(urn ?? '');
  if (!match) throw new TypeError(`not a ${type} URN: ${JSON.stringify(urn)}`);
  return match[1]!;
}

/** Money arrives as a BigDecimal string ("12.34"), counts as numbers; missing or null counts as zero. */
export function toNumber(value: number | string | null | undefined): number {
  if (value === undefined || value === null || value === '') return 0;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) throw new TypeError(`LinkedIn metric is not a number: ${JSON.stringify(value)}`);
  return n;
}

export function toInteger(value: number | string | null | undefined): number {
  return Math.round(toNumber(value));
}

/**
 * One adAnalytics element (pivot CAMPAIGN, DAILY) → a row of ads_linkedin_campaign_daily. The campaign's
 * name, status and group come from the account's campaign and group search finders; a campaign the
 * finders did not return (deleted since) keeps its id and metrics with empty names.
 */
export function toCampaignDailyRow(element: AnalyticsElement, context: CampaignRowContext): Row {
  const campaignId = idFromUrn(element.pivotValues?.[0], 'sponsoredCampaign');
  const campaign = context.campaigns.get(campaignId);
  const groupId = campaign?.campaignGroup ? idFromUrn(campaign.campaignGroup, 'sponsoredCampaignGroup') : null;
  const group = groupId === null ? undefined : context.campaignGroups.get(groupId);
  return {
    date: toIsoDate(element.dateRange?.start),
    account_id: context.accountId,
    account_name: context.accountName,
    campaign_id: campaignId,
    campaign_name: campaign?.name ?? null,
    campaign_status: campaign?.status ?? null,
    impressions: toInteger(element.impressions),
    clicks: toInteger(element.clicks),
    spend: toNumber(element.costInLocalCurrency),
    conversions: toNumber(element.externalWebsiteConversions),
    conversions_value: toNumber(element.conversionValueInLocalCurrency),
    currency: context.currency,
    time_zone: LINKEDIN_TIME_ZONE,
    source_id: context.sourceId,
    synced_at: context.syncedAt,
    campaign_group_id: groupId,
    campaign_group_name: group?.name ?? null,
  };
}
