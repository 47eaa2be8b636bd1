import type { Grain, Severity } from '../config/schema.ts';
import { LakeError } from '../errors.ts';
import { partitionPrefix } from '../lake/lake-writer.ts';
import type { ObjectStore } from '../lake/object-store.ts';
import { encodeParquet } from '../lake/parquet.ts';
import type { TableSchema } from '../table/schema.ts';
import type { AlertStatus } from './alert-state.ts';
import type { AlertEventReason } from './lifecycle.ts';
import type { AlertKind } from './notification.ts';

/** What an alert key belongs to: a goal, an alert rule, or a source table's freshness. */
export type AlertSourceKind = 'goal' | 'rule' | 'freshness';

/** Table `alert_events`: every lifecycle transition and notification, appended per run. */
export const alertEventsTable: TableSchema = {
  name: 'alert_events',
  description: 'Every alert transition (ok, pending, firing, resolved, stale) and whether it was notified; one file per run that changed something.',
  location: 'kpi/alert_events',
  columns: [
    { name: 'event_time', type: 'timestamp', nullable: false, description: 'When the run that recorded it evaluated (UTC)' },
    { name: 'snapshot_date', type: 'date', nullable: false, description: 'The KPI snapshot evaluated (last complete day)' },
    { name: 'alert_key', type: 'string', nullable: false, description: '<goal or rule id>|<kind>|<segment or all>, or <table>|freshness|all' },
    { name: 'source_kind', type: 'string', nullable: false, description: 'goal, rule or freshness' },
    { name: 'source_id', type: 'string', nullable: false, description: 'The goal id, rule id, or table name (freshness)' },
    { name: 'kind', type: 'string', nullable: false, description: 'threshold, pacing, change, anomaly or freshness' },
    { name: 'kpi_id', type: 'string', description: 'KPI id; null for freshness (see detail)' },
    { name: 'grain', type: 'string', description: 'day, week, month or quarter; null for freshness' },
    { name: 'segment_dimension', type: 'string', description: 'Dimension of the slice, e.g. platform; null for the whole' },
    { name: 'segment_value', type: 'string', description: 'Value of the slice, e.g. meta; null for the whole' },
    { name: 'from_status', type: 'string', nullable: false, description: 'Status before: ok, pending, firing, resolved or stale' },
    { name: 'to_status', type: 'string', nullable: false, description: 'Status after' },
    { name: 'severity', type: 'string', nullable: false, description: 'info, warning or critical' },
    { name: 'period_start', type: 'date', description: 'First day of the period judged' },
    { name: 'period_end', type: 'date', description: 'Last day of the period judged' },
    { name: 'value', type: 'double', description: 'The KPI value judged' },
    { name: 'target', type: 'double', description: 'The goal target, the usual value (anomaly) or the previous period (change)' },
    { name: 'notified', type: 'boolean', nullable: false, description: 'An email was sent for it' },
    { name: 'reason', type: 'string', nullable: false, description: 'firing, repeat, resolved, pending, recovered, closed, snoozed, acknowledged, stale or fresh' },
    { name: 'detail', type: 'string', nullable: false, description: 'What the rule saw, in a few words' },
  ],
};

/** One row of `alert_events` (a type alias, so it is a `Row` the Parquet writer takes). */
export type AlertEventRow = {
  event_time: Date;
  snapshot_date: string;
  alert_key: string;
  source_kind: AlertSourceKind;
  source_id: string;
  kind: AlertKind;
  kpi_id: string | null;
  grain: Grain | null;
  segment_dimension: string | null;
  segment_value: string | null;
  from_status: AlertStatus;
  to_status: AlertStatus;
  severity: Severity;
  period_start: string | null;
  period_end: string | null;
  value: number | null;
  target: number | null;
  notified: boolean;
  reason: AlertEventReason;
  detail: string;
};

export interface AlertEventsWrite {
  readonly key: string | null;
  readonly rows: number;
  readonly bytes: number;
}

export function alertEventsKey(snapshotDate: string, runId: string): string {
  // The run id becomes part of an object key: nothing that could leave the partition folder.
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(runId) || runId.startsWith('.')) {
    throw new LakeError(`run id ${JSON.stringify(runId)} cannot name an alert_events file; use letters, digits, _ . or -`, { context: { runId } });
  }
  return `${partitionPrefix(alertEventsTable, snapshotDate)}events-${runId}.parquet`;
}

/**
 * Appends this run's events as `kpi/alert_events/dt=<snapshot date>/events-<run id>.parquet`.
 * Nothing is written without events, and a rerun has none (the lifecycle records nothing twice),
 * so the table never holds an event twice.
 */
export async function appendAlertEvents(
  store: ObjectStore, snapshotDate: string, runId: string, events: readonly AlertEventRow[],
): Promise<AlertEventsWrite> {
  if (events.length === 0) return { key: null, rows: 0, bytes: 0 };
  const key = alertEventsKey(snapshotDate, runId);
  const body = encodeParquet(alertEventsTable, events);
  await store.put(key, body, 'application/vnd.apache.parquet');
  return { key, rows: events.length, bytes: body.byteLength };
}
