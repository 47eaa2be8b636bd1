import { z } from 'zod';
import { Grain } from '../config/schema.ts';
import type { QueryEngine } from '../query/query-engine.ts';
import type { KpiSnapshotRow } from './definition.ts';

/** A `kpi_snapshots` row as either engine returns it, parsed at the boundary. */
const StoredSnapshotRow = z.object({
  snapshot_date: z.string(),
  kpi_id: z.string(),
  grain: Grain,
  segment_dimension: z.string().nullable(),
  segment_value: z.string().nullable(),
  period_start: z.string(),
  period_end: z.string(),
  value: z.coerce.number().nullable(),
  numerator: z.coerce.number(),
  denominator: z.coerce.number().nullable(),
  gate_volume: z.coerce.number().nullable(),
  computed_at: z.coerce.date(),
});

/** The snapshot of one date, read back through the query engine (Athena or DuckDB). */
export async function readSnapshot(engine: QueryEngine, snapshotDate: string): Promise<KpiSnapshotRow[]> {
  const rows = await engine.query(
    `SELECT snapshot_date, kpi_id, grain, segment_dimension, segment_value, period_start, period_end,
            value, numerator, denominator, gate_volume, computed_at
       FROM kpi_snapshots WHERE dt = ?`,
    [snapshotDate],
  );
  return rows.map((row) => StoredSnapshotRow.parse(row));
}

/** The newest snapshot date in the lake, if any. */
export async function latestSnapshotDate(engine: QueryEngine): Promise<string | undefined> {
  const [row] = await engine.query('SELECT max(dt) AS dt FROM kpi_snapshots');
  return typeof row?.dt === 'string' ? row.dt : undefined;
}
