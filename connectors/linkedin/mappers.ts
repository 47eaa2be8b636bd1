import { isIsoDate } from '../../core/dates.ts';
import { RecordError, shownValue } from '../../core/errors.ts';
import type { Row } from '../../core/table/schema.ts';
import type { AdCampaign, AdCampaignGroup, AnalyticsElement } from './api.ts';

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

/**
 * LinkedIn's `Date` record `{ year, month, day }` → `YYYY-MM-DD`. The record's fields are integers;
 * a date in any other form (an ISO string, an epoch, fields as text) or a day no calendar has is a
 * RecordError: LinkedIn's contract gives no other form to read.
 */
export function toIsoDate(date: unknown, field = 'dateRange.start'): string {
  if (date === undefined || date === null) throw new RecordError(`LinkedIn element has no ${field}`, { field });
  const { year, month, day } = (typeof date === 'object' ? date : {}) as { year?: unknown; month?: unknown; day?: unknown };
  if (!Number.isInteger(year) || !Number.isInteger(month) || !Number.isInteger(day)) {
    throw new RecordError(`LinkedIn ${field} is not a { year, month, day } date: ${shownValue(date)}`, { field });
  }
  const iso = `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  if (!isIsoDate(iso)) throw new RecordError(`LinkedIn date is not a calendar date: ${shownValue(date)}`, { field });
  return iso;
}

/** The day of a DAILY element: `dateRange.start`, and `dateRange.end` (when sent) the same day. */
export function dayOf(dateRange: unknown): string {
  if (dateRange === undefined || dateRange === null) throw new RecordError('LinkedIn element has no dateRange.start', { field: 'dateRange.start' });
  if (typeof dateRange !== 'object' || Array.isArray(dateRange)) {
    throw new RecordError(`LinkedIn dateRange is not a { start, end } range: ${shownValue(dateRange)}`, { field: 'dateRange' });
  }
  const { start, end } = dateRange as { start?: unknown; end?: unknown };
  const day = toIsoDate(start, 'dateRange.start');
  const last = end === undefined || end === null ? day : toIsoDate(end, 'dateRange.end');
  if (last !== day) throw new RecordError(`LinkedIn dateRange of a DAILY element spans more than one day: ${day} … ${last}`, { field: 'dateRange' });
  return day;
}

type UrnType = 'sponsoredCampaign' | 'sponsoredCampaignGroup' | 'sponsoredAccount';
const urnPatterns: Record<UrnType, RegExp> = {
  sponsoredCampaign: /^urn:li:sponsoredCampaign:(\d+)$/,
  sponsoredCampaignGroup: /^urn:li:sponsoredCampaignGroup:(\d+)$/,
  sponsoredAccount: /^urn:li:sponsoredAccount:(\d+)$/,
};

/** The id at the end of a URN of the given type: `urn:li:sponsoredCampaign:123` → `123`. Anything else (another type, a bare number) is a RecordError. */
export function idFromUrn(urn: unknown, type: UrnType, field: string, label = field): string {
  const match = typeof urn === 'string' ? urnPatterns[type].exec(urn) : null;
  if (!match) throw new RecordError(`LinkedIn ${label} is not a ${type} URN: ${shownValue(urn)}`, { field });
  return match[1]!;
}

/** The campaign of a pivot=CAMPAIGN element: its one pivot value, a sponsoredCampaign URN. */
function campaignIdOf(pivotValues: unknown): string {
  if (pivotValues === undefined || pivotValues === null) throw new RecordError('LinkedIn element has no pivotValues', { field: 'pivotValues' });
  if (!Array.isArray(pivotValues)) throw new RecordError(`LinkedIn pivotValues is not a list: ${shownValue(pivotValues)}`, { field: 'pivotValues' });
  return idFromUrn(pivotValues[0], 'sponsoredCampaign', 'pivotValues');
}

const decimal = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * A metric: money arrives as a BigDecimal string ("12.34"), counts as numbers, and either form is
 * read; a metric left out or null counts as zero (LinkedIn omits what did not happen). Text that is
 * no decimal number ("12,34", "n/a"), or any other JSON type, is a RecordError naming the field.
 */
export function toNumber(value: unknown, field = 'metric'): number {
  if (value === undefined || value === null || value === '') return 0;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    const text = value.trim();
    const n = decimal.test(text) ? Number(text) : Number.NaN;
    if (Number.isFinite(n)) return n;
  }
  throw new RecordError(`LinkedIn ${field} is not a number: ${shownValue(value)}`, { field });
}

export function toInteger(value: unknown, field = 'metric'): number {
  return Math.round(toNumber(value, field));
}

/**
 * One adAnalytics element (pivot CAMPAIGN, DAILY) → a row of ads_linkedin_campaign_daily. The campaign's
 * name, status and group come from the account's campaign and group search finders; a campaign the
 * finders did not return (deleted since) keeps its id and metrics with empty names.
 */
export function toCampaignDailyRow(raw: unknown, context: CampaignRowContext): Row {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new RecordError(`LinkedIn adAnalytics element is not an object: ${shownValue(raw)}`);
  const element = raw as AnalyticsElement;
  const campaignId = campaignIdOf(element.pivotValues);
  const campaign = context.campaigns.get(campaignId);
  const groupId = campaign?.campaignGroup ? idFromUrn(campaign.campaignGroup, 'sponsoredCampaignGroup', 'campaignGroup', `campaign ${campaignId}'s campaignGroup`) : null;
  const group = groupId === null ? undefined : context.campaignGroups.get(groupId);
  return {
    date: dayOf(element.dateRange),
    account_id: context.accountId,
    account_name: context.accountName,
    campaign_id: campaignId,
    campaign_name: campaign?.name ?? null,
    campaign_status: campaign?.status ?? null,
    impressions: toInteger(element.impressions, 'impressions'),
    clicks: toInteger(element.clicks, 'clicks'),
    spend: toNumber(element.costInLocalCurrency, 'costInLocalCurrency'),
    conversions: toNumber(element.externalWebsiteConversions, 'externalWebsiteConversions'),
    conversions_value: toNumber(element.conversionValueInLocalCurrency, 'conversionValueInLocalCurrency'),
    currency: context.currency,
    time_zone: LINKEDIN_TIME_ZONE,
    source_id: context.sourceId,
    synced_at: context.syncedAt,
    campaign_group_id: groupId,
    campaign_group_name: group?.name ?? null,
  };
}
