import type { TableSchema } from '../table/schema.ts';

/** Table `kpi_snapshots`: one file per snapshot date, replaced when that day is recomputed. */
export const kpiSnapshotsTable: TableSchema = {
  name: 'kpi_snapshots',
  description: 'Every KPI × grain × complete period (overall and per segment), with numerator and denominator kept.',
  location: 'kpi/kpi_snapshots',
  columns: [
    { name: 'snapshot_date', type: 'date', nullable: false, description: 'Last complete day the snapshot covers (business time zone)' },
    { name: 'kpi_id', type: 'string', nullable: false, description: 'KPI id from the catalog' },
    { name: 'grain', type: 'string', nullable: false, description: 'day, week (ISO, Monday start) or month' },
    { name: 'segment_dimension', type: 'string', description: 'Dimension of the slice, e.g. channel_group; null for the whole' },
    { name: 'segment_value', type: 'string', description: 'Value of the slice, e.g. Organic Social; null for the whole' },
    { name: 'period_start', type: 'date', nullable: false, description: 'First day of the period' },
    { name: 'period_end', type: 'date', nullable: false, description: 'Last day of the period' },
    { name: 'value', type: 'double', description: 'KPI value; null when the denominator is zero' },
    { name: 'numerator', type: 'double', nullable: false, description: 'Σ numerator measure' },
    { name: 'denominator', type: 'double', description: 'Σ denominator measure (null for plain sums)' },
    { name: 'gate_volume', type: 'double', description: 'Σ of the KPI’s minimum-volume measure, when it has one' },
    { name: 'computed_at', type: 'timestamp', nullable: false, description: 'When the snapshot was computed (UTC)' },
  ],
};

export function snapshotKey(snapshotDate: string): string {
  return `${kpiSnapshotsTable.location}/dt=${snapshotDate}/snapshot.parquet`;
}
