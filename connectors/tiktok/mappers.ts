import type { Row } from '../../core/table/schema.ts';
import type { AdvertiserInfo, ReportRow } from './report.ts';

/** Facts about the advertiser that every row of its report records. */
export interface AdvertiserContext {
  readonly sourceId: string;
  readonly advertiserId: string;
  readonly advertiserName: string | null;
  /** ISO 4217 of the ad account: spend and values are in it. */
  readonly currency: string;
  /** The zone `stat_time_day` is in: the ad account's. */
  readonly timeZone: string;
  /** campaign_id → operation_status (ENABLE / DISABLE); campaigns not listed get null. */
  readonly campaignStatuses: ReadonlyMap<string, string>;
  readonly syncedAt: Date;
}

/** TikTok's `stat_time_day` ("2026-11-01 00:00:00") → "2026-11-01". */
export function toIsoDate(statTimeDay: string | undefined): string {
  const match = /^(\d{4}-\d{2}-\d{2})(?:[ T]00:00:00)?$/.exec(statTimeDay ?? '');
  if (!match) throw new TypeError(`TikTok stat_time_day is not "YYYY-MM-DD 00:00:00": ${JSON.stringify(statTimeDay)}`);
  return match[1]!;
}

/** Metrics travel as strings; TikTok writes "-" (or nothing) where it has no value, which counts as zero. */
export function toNumber(value: string | number | null | undefined, name = 'metric'): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`TikTok ${name} is not a finite number: ${value}`);
    return value;
  }
  const text = value.trim();
  if (text === '' || text === '-') return 0;
  const n = Number(text);
  if (!Number.isFinite(n)) throw new TypeError(`TikTok ${name} is not a number: ${JSON.stringify(value)}`);
  return n;
}

export function toInteger(value: string | number | null | undefined, name = 'metric'): number {
  return Math.round(toNumber(value, name));
}

/**
 * The IANA zone of an ad account. TikTok accounts keep a fixed UTC offset all year (no daylight
 * saving); `timezone` is an IANA name ("Asia/Seoul", "Etc/GMT-9") or, on some accounts, an offset
 * ("UTC+09:00"), which becomes the equivalent `Etc/GMT…` zone. Falls back to `display_timezone`.
 */
export function toTimeZone(info: Pick<AdvertiserInfo, 'timezone' | 'display_timezone'>): string | undefined {
  for (const candidate of [info.timezone, info.display_timezone]) {
    if (candidate === undefined) continue;
    const value = candidate.trim();
    if (isIanaZone(value)) return value;
    const offset = /^(?:UTC|GMT)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?$/i.exec(value);
    if (offset && (offset[3] ?? '00') === '00') {
      const hours = Number(offset[2]);
      // Etc/GMT zones count the other way round: UTC+9 is Etc/GMT-9.
      if (hours === 0) return 'Etc/GMT';
      if (hours <= 14) return `Etc/GMT${offset[1] === '+' ? '-' : '+'}${hours}`;
    }
  }
  return undefined;
}

function isIanaZone(value: string): boolean {
  // Names only: newer engines also accept bare offsets like "+09:00", which are not IANA zones.
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(value)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

function text(value: string | number | null | undefined): string | null {
  if (value === undefined || value === null) return null;
  const s = String(value);
  return s === '' || s === '-' ? null : s;
}

/** One report row → one ads_tiktok_campaign_daily row. */
export function toCampaignDailyRow(row: ReportRow, context: AdvertiserContext): Row {
  const { metrics } = row;
  const campaignId = row.dimensions.campaign_id;
  return {
    date: toIsoDate(row.dimensions.stat_time_day),
    account_id: context.advertiserId,
    account_name: context.advertiserName,
    campaign_id: campaignId,
    campaign_name: text(metrics.campaign_name),
    campaign_status: context.campaignStatuses.get(campaignId) ?? null,
    impressions: toInteger(metrics.impressions, 'impressions'),
    clicks: toInteger(metrics.clicks, 'clicks'),
    spend: toNumber(metrics.spend, 'spend'),
    conversions: toNumber(metrics.conversion, 'conversion'),
    conversions_value: toNumber(metrics.total_complete_payment_rate, 'total_complete_payment_rate'),
    currency: context.currency,
    time_zone: context.timeZone,
    source_id: context.sourceId,
    synced_at: context.syncedAt,
  };
}
