import { isIsoDate } from '../../core/dates.ts';
import { RecordError, shownValue } from '../../core/errors.ts';
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

// A report has a few distinct dates and many rows each: checking each spelling once is a tenth of the mapping's time.
const isoDates = new Map<string, string>();

/** GA4's `YYYYMMDD` → `YYYY-MM-DD`. */
export function toIsoDate(value: string | undefined): string {
  const known = value === undefined ? undefined : isoDates.get(value);
  if (known !== undefined) return known;
  const date = value && /^\d{8}$/.test(value) ? `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 8)}` : '';
  if (!isIsoDate(date)) throw new RecordError(`GA4 date is not a YYYYMMDD calendar date: ${JSON.stringify(value)}`, { field: 'date' });
  if (isoDates.size >= 10_000) isoDates.clear();
  isoDates.set(value!, date);
  return date;
}

/** GA4 sends every metric as a string; a missing one counts as zero. */
export function toNumber(value: string | undefined, field = 'metric'): number {
  if (value === undefined || value === '') return 0;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new RecordError(`GA4 ${field} is not a number: ${shownValue(value)}`, { field });
  return n;
}

export function toInteger(value: string | undefined, field = 'metric'): number {
  return Math.round(toNumber(value, field));
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
    sessions: toInteger(record.sessions, 'sessions'),
    engaged_sessions: toInteger(record.engagedSessions, 'engagedSessions'),
    total_users: toInteger(record.totalUsers, 'totalUsers'),
    new_users: toInteger(record.newUsers, 'newUsers'),
    user_engagement_duration_s: toNumber(record.userEngagementDuration, 'userEngagementDuration'),
    key_events: toNumber(record.keyEvents, 'keyEvents'),
    purchase_revenue: toNumber(record.purchaseRevenue, 'purchaseRevenue'),
    transactions: toInteger(record.transactions, 'transactions'),
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
    event_count: toInteger(record.eventCount, 'eventCount'),
    total_users: toInteger(record.totalUsers, 'totalUsers'),
    time_zone: context.timeZone,
    source_id: context.sourceId,
    synced_at: context.syncedAt,
  };
}
