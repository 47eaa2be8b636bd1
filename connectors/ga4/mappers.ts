import { isIsoDate } from '../../core/dates.ts';
import type { Row } from '../../core/table/schema.ts';
import type { ReportRecord } from './report.ts';

/** Facts about the report that every row records (GA4 reports dates in the property's zone). */
export interface ReportContext {
  readonly sourceId: string;
  readonly propertyId: string;
  readonly currency: string | null;
  readonly timeZone: string | null;
  readonly syncedAt: Date;
}

/** GA4's `YYYYMMDD` → `YYYY-MM-DD`. */
export function toIsoDate(value: string | undefined): string {
  const date = value && /^\d{8}$/.test(value) ? `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 8)}` : '';
  if (!isIsoDate(date)) throw new TypeError(`GA4 date is not a YYYYMMDD calendar date: ${JSON.stringify(value)}`);
  return date;
}

/** GA4 sends every metric as a string; a missing one counts as zero. */
export function toNumber(value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new TypeError(`GA4 metric is not a number: ${JSON.stringify(value)}`);
  return n;
}

export function toInteger(value: string | undefined): number {
  return Math.round(toNumber(value));
}

function dimension(value: string | undefined): string {
  return value === undefined || value === '' ? '(not set)' : value;
}

export function toTrafficRow(record: ReportRecord, context: ReportContext): Row {
  return {
    date: toIsoDate(record.date),
    property_id: context.propertyId,
    channel_group: dimension(record.sessionDefaultChannelGroup),
    source: dimension(record.sessionSource),
    medium: dimension(record.sessionMedium),
    campaign: dimension(record.sessionCampaignName),
    sessions: toInteger(record.sessions),
    engaged_sessions: toInteger(record.engagedSessions),
    total_users: toInteger(record.totalUsers),
    new_users: toInteger(record.newUsers),
    user_engagement_duration_s: toNumber(record.userEngagementDuration),
    key_events: toNumber(record.keyEvents),
    purchase_revenue: toNumber(record.purchaseRevenue),
    transactions: toInteger(record.transactions),
    currency: context.currency,
    time_zone: context.timeZone,
    source_id: context.sourceId,
    synced_at: context.syncedAt,
  };
}

export function toEventRow(record: ReportRecord, context: ReportContext): Row {
  return {
    date: toIsoDate(record.date),
    property_id: context.propertyId,
    event_name: dimension(record.eventName),
    event_count: toInteger(record.eventCount),
    total_users: toInteger(record.totalUsers),
    time_zone: context.timeZone,
    source_id: context.sourceId,
    synced_at: context.syncedAt,
  };
}
