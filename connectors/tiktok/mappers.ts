import { isIsoDate } from '../../core/dates.ts';
import { RecordError, shownValue } from '../../core/errors.ts';
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

/**
 * TikTok's `stat_time_day` ("2026-11-01 00:00:00", or the bare date) → "2026-11-01". Any other form
 * (an hour other than midnight, another order of the parts, a number) or a day no calendar has is a
 * RecordError: the contract gives no other form to read.
 */
export function toIsoDate(statTimeDay: unknown): string {
  const match = typeof statTimeDay === 'string' ? /^(\d{4}-\d{2}-\d{2})(?:[ T]00:00:00)?$/.exec(statTimeDay) : null;
  if (!match) throw new RecordError(`TikTok stat_time_day is not "YYYY-MM-DD 00:00:00": ${shownValue(statTimeDay)}`, { field: 'stat_time_day' });
  if (!isIsoDate(match[1]!)) throw new RecordError(`TikTok stat_time_day is not a calendar day: ${shownValue(statTimeDay)}`, { field: 'stat_time_day' });
  return match[1]!;
}

/**
 * The campaign id, an int64: digits as text, or a JSON number small enough to be exact. A 19-digit id
 * sent as a number has lost its last digits in any JSON parser, so it is a RecordError like any other type.
 */
export function toCampaignId(value: unknown): string {
  if (typeof value === 'string' && /^\d+$/.test(value)) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  if (value === undefined || value === null || value === '') throw new RecordError('TikTok row has no campaign_id', { field: 'campaign_id' });
  const why = typeof value === 'number' && Number.isInteger(value) ? 'a number too large to be exact' : 'not an int64 id';
  throw new RecordError(`TikTok campaign_id is ${why}: ${shownValue(value)}`, { field: 'campaign_id' });
}

const decimal = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Metrics travel as strings and a plain number is read too; TikTok writes "-" (or nothing) where it has
 * no value, and a metric left out or null counts as zero likewise. Text that is no decimal number, or
 * any other JSON type, is a RecordError naming the metric.
 */
export function toNumber(value: unknown, name = 'metric'): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '' || text === '-') return 0;
    const n = decimal.test(text) ? Number(text) : Number.NaN;
    if (Number.isFinite(n)) return n;
  }
  throw new RecordError(`TikTok ${name} is not a number: ${shownValue(value)}`, { field: name });
}

export function toInteger(value: unknown, name = 'metric'): number {
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

/** A text metric (the campaign name): Korean, emoji and long names kept as sent; "-" or empty is no value. */
function text(value: unknown, name: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' && typeof value !== 'number') throw new RecordError(`TikTok ${name} is not text: ${shownValue(value)}`, { field: name });
  const s = String(value);
  return s === '' || s === '-' ? null : s;
}

/** One report row, as sent → one ads_tiktok_campaign_daily row; a field it cannot read is a RecordError naming it. */
export function toCampaignDailyRow(raw: unknown, context: AdvertiserContext): Row {
  if (!isRecord(raw)) throw new RecordError(`TikTok report row is not an object: ${shownValue(raw)}`);
  const row = raw as ReportRow;
  if (!isRecord(row.dimensions)) throw new RecordError(`TikTok report row has no dimensions object: ${shownValue(row.dimensions)}`, { field: 'dimensions' });
  // A row without metrics has none to report: every one is zero, as when TikTok writes "-".
  const metrics = row.metrics === undefined || row.metrics === null ? {} : row.metrics;
  if (!isRecord(metrics)) throw new RecordError(`TikTok report row metrics is not an object: ${shownValue(metrics)}`, { field: 'metrics' });
  const campaignId = toCampaignId(row.dimensions.campaign_id);
  return {
    date: toIsoDate(row.dimensions.stat_time_day),
    account_id: context.advertiserId,
    account_name: context.advertiserName,
    campaign_id: campaignId,
    campaign_name: text(metrics.campaign_name, 'campaign_name'),
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
