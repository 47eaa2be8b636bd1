import type { Row } from '../../core/table/schema.ts';
import type { ActionStat, InsightRow } from './insights.ts';

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

/** Meta sends every metric as a string; a missing one counts as zero. */
export function toNumber(value: string | undefined, field: string): number {
  if (value === undefined || value === '') return 0;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new TypeError(`Meta ${field} is not a number: ${JSON.stringify(value)}`);
  return n;
}

export function toInteger(value: string | undefined, field: string): number {
  return Math.round(toNumber(value, field));
}

/** Σ value of the entries whose action_type is one of `types` (each type counted once, as listed). */
export function sumActions(stats: readonly ActionStat[] | undefined, types: readonly string[]): number {
  if (!stats) return 0;
  const wanted = new Set(types);
  let total = 0;
  for (const stat of stats) {
    if (wanted.has(stat.action_type)) total += toNumber(stat.value, `action ${stat.action_type}`);
  }
  return total;
}

function isoDay(value: string, field: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new TypeError(`Meta ${field} is not YYYY-MM-DD: ${JSON.stringify(value)}`);
  return value;
}

function text(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}

/** One insights row (level=campaign, time_increment=1) → one ads_meta_campaign_daily row. */
export function toCampaignDailyRow(raw: InsightRow, context: AccountContext): Row {
  const date = isoDay(raw.date_start, 'date_start');
  // time_increment=1 makes every row one day; anything else would put a range's totals on one date.
  if (isoDay(raw.date_stop, 'date_stop') !== date) {
    throw new TypeError(`Meta insights row spans ${raw.date_start} … ${raw.date_stop}; expected one day (time_increment=1)`);
  }
  return {
    date,
    account_id: text(raw.account_id) ?? context.accountId,
    account_name: text(raw.account_name) ?? context.accountName,
    campaign_id: raw.campaign_id,
    campaign_name: text(raw.campaign_name),
    campaign_status: context.campaignStatuses.get(raw.campaign_id) ?? null,
    impressions: toInteger(raw.impressions, 'impressions'),
    clicks: toInteger(raw.clicks, 'clicks'),
    spend: toNumber(raw.spend, 'spend'),
    conversions: sumActions(raw.actions, context.actionTypes),
    conversions_value: sumActions(raw.action_values, context.actionTypes),
    currency: text(raw.account_currency) ?? context.currency,
    time_zone: context.timeZone,
    source_id: context.sourceId,
    synced_at: context.syncedAt,
    // As Meta sent them, every key kept (attribution-window keys such as 7d_click included).
    actions_json: raw.actions ? JSON.stringify(raw.actions) : null,
    action_values_json: raw.action_values ? JSON.stringify(raw.action_values) : null,
  };
}
