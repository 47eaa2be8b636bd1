import { isIsoDate } from '../../core/dates.ts';
import { RecordError, shownValue } from '../../core/errors.ts';
import type { Row } from '../../core/table/schema.ts';
import { GoogleAdsRow } from './report.ts';

/** Facts every row records besides what the API row carries. */
export interface RowContext {
  readonly sourceId: string;
  /** The customer the query ran against: the account id when the row omits `customer.id`. */
  readonly customerId: string;
  readonly syncedAt: Date;
}

const microsPerUnit = 1_000_000;

/** An int64 (decimal string on the wire); a missing one is zero, as proto3 JSON omits defaults. */
export function toInt64(value: string | number | undefined, field: string): bigint {
  if (value === undefined || value === '') return 0n;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RecordError(`Google Ads ${field} is not an integer: ${JSON.stringify(value)}`, { field });
    return BigInt(value);
  }
  if (!/^-?\d+$/.test(value)) throw new RecordError(`Google Ads ${field} is not an int64: ${shownValue(value)}`, { field });
  return BigInt(value);
}

/** A count small enough for a JS number (impressions, clicks). */
export function toCount(value: string | number | undefined, field: string): number {
  const n = toInt64(value, field);
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) throw new RecordError(`Google Ads ${field} is out of range: ${n}`, { field });
  return Number(n);
}

/** A double (a number on the wire, or a numeric string); missing is zero. */
export function toDouble(value: string | number | undefined, field: string): number {
  if (value === undefined || value === '') return 0;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) throw new RecordError(`Google Ads ${field} is not a finite number: ${shownValue(value)}`, { field });
  return n;
}

/** Micros of the account currency → the currency (1,230,000 → 1.23). */
export function microsToUnits(micros: bigint): number {
  const whole = micros / BigInt(microsPerUnit);
  const fraction = micros % BigInt(microsPerUnit);
  // Split so a large amount keeps every micro a double can hold.
  return Number(whole) + Number(fraction) / microsPerUnit;
}

function required(value: string | undefined, field: string): string {
  if (value === undefined || value === '') throw new RecordError(`Google Ads row has no ${field}`, { field });
  return value;
}

function optional(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}

/** A wire row checked against the searchStream contract; a field of the wrong type is a RecordError naming it. */
export function toGoogleAdsRow(raw: unknown): GoogleAdsRow {
  const parsed = GoogleAdsRow.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.join('.');
  throw new RecordError(`Google Ads ${field || 'row'} is not as the contract says: ${issue.message}`, field ? { field } : {});
}

/** One `FROM campaign … segments.date` row (as sent) → one `ads_google_campaign_daily` row. */
export function toCampaignDailyRow(raw: unknown, context: RowContext): Row {
  const row = toGoogleAdsRow(raw);
  const date = required(row.segments?.date, 'segments.date');
  if (!isIsoDate(date)) throw new RecordError(`Google Ads segments.date is not a YYYY-MM-DD date: ${JSON.stringify(date)}`, { field: 'segments.date' });
  const costMicros = toInt64(row.metrics?.costMicros, 'metrics.costMicros');
  return {
    date,
    account_id: row.customer?.id === undefined ? context.customerId : String(row.customer.id),
    account_name: optional(row.customer?.descriptiveName),
    campaign_id: required(row.campaign?.id === undefined ? undefined : String(row.campaign.id), 'campaign.id'),
    campaign_name: optional(row.campaign?.name),
    campaign_status: optional(row.campaign?.status),
    impressions: toCount(row.metrics?.impressions, 'metrics.impressions'),
    clicks: toCount(row.metrics?.clicks, 'metrics.clicks'),
    spend: microsToUnits(costMicros),
    conversions: toDouble(row.metrics?.conversions, 'metrics.conversions'),
    conversions_value: toDouble(row.metrics?.conversionsValue, 'metrics.conversionsValue'),
    currency: required(row.customer?.currencyCode, 'customer.currencyCode'),
    time_zone: required(row.customer?.timeZone, 'customer.timeZone'),
    source_id: context.sourceId,
    synced_at: context.syncedAt,
    cost_micros: costMicros,
  };
}
