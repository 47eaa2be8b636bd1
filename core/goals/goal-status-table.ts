import { encodeParquet } from '../lake/parquet.ts';
import type { ObjectStore } from '../lake/object-store.ts';
import type { Row, TableSchema } from '../table/schema.ts';
import type { GoalEvaluation } from './evaluation.ts';

/** Table `goal_status`: every goal's evaluation per snapshot date, replaced when that day reruns. */
export const goalStatusTable: TableSchema = {
  name: 'goal_status',
  description: 'Where each goal stood on each snapshot date (SMART status, actual vs target, pace).',
  location: 'kpi/goal_status',
  columns: [
    { name: 'snapshot_date', type: 'date', nullable: false, description: 'Last complete day judged' },
    { name: 'goal_id', type: 'string', nullable: false, description: 'Goal id from pipeline.yaml' },
    { name: 'kpi_id', type: 'string', nullable: false, description: 'KPI id' },
    { name: 'segment_dimension', type: 'string', description: 'Segment dimension, if the goal has one' },
    { name: 'segment_value', type: 'string', description: 'Segment value, if the goal has one' },
    { name: 'grain', type: 'string', nullable: false, description: 'day, week, month or quarter' },
    { name: 'status', type: 'string', nullable: false, description: 'on_track, at_risk, behind, achieved, missed or no_data' },
    { name: 'period_result', type: 'string', nullable: false, description: 'The judged period vs the target: met, breached, insufficient_volume, no_data' },
    { name: 'period_start', type: 'date', description: 'First day judged' },
    { name: 'period_end', type: 'date', description: 'Last day judged' },
    { name: 'actual', type: 'double', description: 'The KPI over the judged days (a total so far for time-bound totals)' },
    { name: 'target', type: 'double', description: 'The absolute target (relative targets resolved)' },
    { name: 'baseline', type: 'double', description: 'The baseline of a relative target' },
    { name: 'gap', type: 'double', description: 'actual − target (projected − target for totals in progress)' },
    { name: 'gap_ratio', type: 'double', description: 'gap / |target|' },
    { name: 'start_date', type: 'date', description: 'Start of a time-bound goal' },
    { name: 'deadline', type: 'date', description: 'Deadline of a time-bound goal' },
    { name: 'expected_to_date', type: 'double', description: 'What the target expects by now (weekday-weighted)' },
    { name: 'projected', type: 'double', description: 'Projected total at the deadline' },
    { name: 'pace', type: 'double', description: 'actual ÷ expected (expected ÷ actual for at_most)' },
    { name: 'direction', type: 'string', nullable: false, description: 'at_least or at_most' },
    { name: 'owner', type: 'string', nullable: false, description: 'KPI owner (KPI 책임자)' },
    { name: 'severity', type: 'string', nullable: false, description: 'info, warning or critical' },
    { name: 'note', type: 'string', description: 'Why there is no status, when no_data' },
    { name: 'computed_at', type: 'timestamp', nullable: false, description: 'When it was evaluated (UTC)' },
  ],
};

export function goalStatusRows(evaluations: readonly GoalEvaluation[], snapshotDate: string, computedAt: Date): Row[] {
  return evaluations.map((e) => {
    const [dimension, value] = Object.entries(e.goal.segment ?? {})[0] ?? [null, null];
    const finite = (n: number | null | undefined) => (n === null || n === undefined || !Number.isFinite(n) ? null : n);
    return {
      snapshot_date: snapshotDate, goal_id: e.goal.id, kpi_id: e.kpi.id, segment_dimension: dimension, segment_value: value,
      grain: e.goal.grain, status: e.status, period_result: e.periodResult,
      period_start: e.period?.start ?? null, period_end: e.period?.end ?? null,
      actual: finite(e.actual), target: finite(e.target), baseline: finite(e.baseline), gap: finite(e.gap), gap_ratio: finite(e.gapRatio),
      start_date: e.goal.start ?? null, deadline: e.goal.deadline ?? null,
      expected_to_date: finite(e.pace?.expectedToDate), projected: finite(e.pace?.projected), pace: finite(e.pace?.ratio),
      direction: e.goal.direction, owner: e.goal.owner, severity: e.goal.severity, note: e.note ?? null, computed_at: computedAt,
    };
  });
}

export async function writeGoalStatus(store: ObjectStore, evaluations: readonly GoalEvaluation[], snapshotDate: string, computedAt: Date): Promise<string> {
  const key = `${goalStatusTable.location}/dt=${snapshotDate}/goal_status.parquet`;
  await store.put(key, encodeParquet(goalStatusTable, goalStatusRows(evaluations, snapshotDate, computedAt)), 'application/vnd.apache.parquet');
  return key;
}
