import type { Column, Row, TableSchema } from '../../core/table/schema.ts';
import { toEventRow, toTrafficRow, type ReportContext } from './mappers.ts';
import type { ReportRecord } from './report.ts';

/** A GA4 report stream, as data: its table, the runReport dimensions and metrics, and its mapper. */
export interface Ga4ReportStream {
  readonly table: TableSchema;
  readonly dimensions: readonly string[];
  readonly metrics: readonly string[];
  readonly primaryKey: readonly string[];
  readonly toRow: (record: ReportRecord, context: ReportContext) => Row;
}

const common = {
  date: { name: 'date', type: 'date', nullable: false, description: 'Report date in the property time zone (GA4 `date`)' },
  propertyId: { name: 'property_id', type: 'string', nullable: false, description: 'GA4 property id' },
  timeZone: { name: 'time_zone', type: 'string', description: 'Property time zone the date is in (report metadata)' },
  sourceId: { name: 'source_id', type: 'string', nullable: false, description: 'pipeline.yaml source id that wrote the row' },
  syncedAt: { name: 'synced_at', type: 'timestamp', nullable: false, description: 'When the row was read from GA4 (UTC)' },
} satisfies Record<string, Column>;

export const ga4TrafficDaily: Ga4ReportStream = {
  table: {
    name: 'ga4_traffic_daily',
    description: 'GA4 sessions and outcomes per day and session channel group / source / medium / campaign.',
    location: 'raw/ga4_traffic_daily',
    columns: [
      common.date, common.propertyId,
      { name: 'channel_group', type: 'string', nullable: false, description: 'Session default channel group' },
      { name: 'source', type: 'string', nullable: false, description: 'Session source' },
      { name: 'medium', type: 'string', nullable: false, description: 'Session medium' },
      { name: 'campaign', type: 'string', nullable: false, description: 'Session campaign name (UTM campaign)' },
      { name: 'sessions', type: 'int64', nullable: false, description: 'Sessions' },
      { name: 'engaged_sessions', type: 'int64', nullable: false, description: 'Engaged sessions' },
      { name: 'total_users', type: 'int64', nullable: false, description: 'Total users (not additive across days)' },
      { name: 'new_users', type: 'int64', nullable: false, description: 'New users' },
      { name: 'user_engagement_duration_s', type: 'double', nullable: false, description: 'User engagement duration, seconds' },
      { name: 'key_events', type: 'double', nullable: false, description: 'Key events (formerly conversions)' },
      { name: 'purchase_revenue', type: 'double', nullable: false, description: 'Purchase revenue in the property currency' },
      { name: 'transactions', type: 'int64', nullable: false, description: 'Transactions (purchases)' },
      { name: 'currency', type: 'string', description: 'Property currency (report metadata)' },
      common.timeZone, common.sourceId, common.syncedAt,
    ],
  },
  dimensions: ['date', 'sessionDefaultChannelGroup', 'sessionSource', 'sessionMedium', 'sessionCampaignName'],
  metrics: ['sessions', 'engagedSessions', 'totalUsers', 'newUsers', 'userEngagementDuration', 'keyEvents', 'purchaseRevenue', 'transactions'],
  primaryKey: ['property_id', 'date', 'channel_group', 'source', 'medium', 'campaign'],
  toRow: toTrafficRow,
};

export const ga4EventsDaily: Ga4ReportStream = {
  table: {
    name: 'ga4_events_daily',
    description: 'GA4 event counts per day and event name (micro-conversions, cart funnel).',
    location: 'raw/ga4_events_daily',
    columns: [
      common.date, common.propertyId,
      { name: 'event_name', type: 'string', nullable: false, description: 'Event name, e.g. add_to_cart, purchase, sign_up' },
      { name: 'event_count', type: 'int64', nullable: false, description: 'Event count' },
      { name: 'total_users', type: 'int64', nullable: false, description: 'Users who triggered the event' },
      common.timeZone, common.sourceId, common.syncedAt,
    ],
  },
  dimensions: ['date', 'eventName'],
  metrics: ['eventCount', 'totalUsers'],
  primaryKey: ['property_id', 'date', 'event_name'],
  toRow: toEventRow,
};

export const ga4ReportStreams: readonly Ga4ReportStream[] = [ga4TrafficDaily, ga4EventsDaily];
