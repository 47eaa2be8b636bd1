import type { TableSchema, ViewDefinition } from '../table/schema.ts';
import { alertEventsTable } from '../alerts/alert-events.ts';
import { goalStatusTable } from '../goals/goal-status-table.ts';
import { kpiSnapshotsTable } from '../kpi/snapshot-table.ts';
import { adPerformanceDaily } from './ad-performance-daily.ts';
import { rejectsTable } from '../sync/rejects.ts';
import { fxRatesTable } from './fx-rates.ts';

/** Tables the pipeline itself writes (connectors bring their raw tables). */
export const coreTables: readonly TableSchema[] = [fxRatesTable, kpiSnapshotsTable, goalStatusTable, alertEventsTable, rejectsTable];

/** Unified models over the connectors' raw tables. */
export const coreViews: readonly ViewDefinition[] = [adPerformanceDaily];
