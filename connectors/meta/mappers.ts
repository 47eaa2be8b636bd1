import { isIsoDate } from '../../core/dates.ts';
import { RecordError, shownValue } from '../../core/errors.ts';
import type { Row } from '../../core/table/schema.ts';
import { type ActionStat, type InsightRow } from './insights.ts';

/** Facts about the account and the run that every row records (Meta reports days in the account's time zone). */
export interface AccountContext {
  readonly sourceId: string;
  /** The bare ad account id (no `act_`), used when a row leaves `account_id` out. */
  readonly accountId: string;
  readonly accountName: string | null;
  /** ISO 4217, from the ad account (rows carry `account_currency` too, which wins). */
  readonly currency: string;
  /** IANA zone of the ad account (`timezone_name`). */
  readonly timeZone: string;
  /** Campaign id → current effective_status. */
  readonly campaignStatuses: ReadonlyMap<string, string>;
  /** Action types summed into conversions and conversions_value. */
  readonly actionTypes: readonly string[];
  readonly syncedAt: Date;
}

const decimal = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Meta sends every metric as a string of a decimal number; a missing one counts as zero. Anything
 * else ("n/a", "1,234", "0x1f") is a RecordError naming the field (`what` says which entry of it).
 */
export function toNumber(value: string | undefined, field: string, what: string = field): number {
  if (value === undefined || value === '') return 0;
  const n = decimal.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(n)) throw new RecordError(`Meta ${what} is not a number: ${shownValue(value)}`, { field });
  return n;
}

/** A count (impressions, clicks): rounded, and within what an int64 column holds exactly. */
export function toInteger(value: string | undefined, field: string): number {
  const n = Math.round(toNumber(value, field));
  if (!Number.isSafeInteger(n)) throw new RecordError(`Meta ${field} is out of range: ${shownValue(value)}`, { field });
  return n;
}

/** Σ value of the entries whose action_type is one of `types` (each type counted once, as listed); other entries are kept as sent, unread. */
export function sumActions(stats: readonly ActionStat[] | undefined, types: readonly string[], field = 'actions'): number {
  if (!stats) return 0;
  const wanted = new Set(types);
  let total = 0;
  for (const stat of stats) {
    if (wanted.has(stat.action_type)) total += toNumber(stat.value, field, `${field} ${stat.action_type}`);
  }
  return total;
}

function isoDay(value: string, field: string): string {
  if (!isIsoDate(value)) throw new RecordError(`Meta ${field} is not a YYYY-MM-DD calendar date: ${shownValue(value)}`, { field });
  return value;
}

/** Graph ids are strings of digits (account ids without `act_` in insights rows). */
function toId(value: string, field: string): string {
  if (!/^\d+$/.test(value)) throw new RecordError(`Meta ${field} is not a string of digits: ${shownValue(value)}`, { field });
  return value;
}

function toCurrency(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^[A-Z]{3}$/.test(value)) throw new RecordError(`Meta account_currency is not an ISO 4217 code: ${shownValue(value)}`, { field: 'account_currency' });
  return value;
}

function text(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}

/**
 * One insights row (level=campaign, time_increment=1) → one ads_meta_campaign_daily row. A row it
 * cannot read (a date that is not YYYY-MM-DD, a row over more than one day, a metric that is text,
 * an id that is not digits) is a RecordError naming the field: the row goes to `_rejects`.
 * Names keep whatever text Meta sends (Korean, emoji, any length).
 */
export function toCampaignDailyRow(raw: InsightRow, context: AccountContext): Row {
  const date = isoDay(raw.date_start, 'date_start');
  // time_increment=1 makes every row one day; anything else would put a range's totals on one date.
  if (isoDay(raw.date_stop, 'date_stop') !== date) {
    throw new RecordError(`Meta insights row spans ${raw.date_start} … ${raw.date_stop}; expected one day (time_increment=1)`, { field: 'date_stop' });
  }
  const currency = toCurrency(raw.account_currency);
  return {
    date,
    account_id: raw.account_id ? toId(raw.account_id, 'account_id') : context.accountId,
    account_name: text(raw.account_name) ?? context.accountName,
    campaign_id: toId(raw.campaign_id, 'campaign_id'),
    campaign_name: text(raw.campaign_name),
    campaign_status: context.campaignStatuses.get(raw.campaign_id) ?? null,
    impressions: toInteger(raw.impressions, 'impressions'),
    clicks: toInteger(raw.clicks, 'clicks'),
    spend: toNumber(raw.spend, 'spend'),
    conversions: sumActions(raw.actions, context.actionTypes, 'actions'),
    conversions_value: sumActions(raw.action_values, context.actionTypes, 'action_values'),
    currency: currency ?? context.currency,
    time_zone: context.timeZone,
    source_id: context.sourceId,
    synced_at: context.syncedAt,
    // As Meta sent them, every key kept (attribution-window keys such as 7d_click included).
    actions_json: raw.actions ? JSON.stringify(raw.actions) : null,
    action_values_json: raw.action_values ? JSON.stringify(raw.action_values) : null,
  };
}
