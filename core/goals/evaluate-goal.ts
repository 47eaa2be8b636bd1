import type { Goal } from '../config/schema.ts';
import type { KpiDefinition, KpiSnapshotRow } from '../kpi/definition.ts';
import type { GoalEvaluation, GoalStatus } from './evaluation.ts';

const trendLength = 8;

/**
 * Judges a goal on its KPI's last complete period at the goal's grain and segment.
 * Below the KPI's volume gate the value is not judged (a 50% conversion rate on 4 sessions is noise).
 */
export function evaluateGoal(goal: Goal, kpi: KpiDefinition, snapshot: readonly KpiSnapshotRow[]): GoalEvaluation {
  const series = snapshot
    .filter((row) => row.kpi_id === goal.kpi && row.grain === goal.grain && matchesSegment(goal, row))
    .sort((a, b) => a.period_start.localeCompare(b.period_start));
  const last = series.at(-1);
  const trend = series.slice(-trendLength).map((row) => ({ periodStart: row.period_start, value: row.value }));
  const base = { goal, kpi, target: goal.target, trend };
  if (!last) return { ...base, status: 'no_data', period: null, actual: null, gap: null, gapRatio: null };

  const period = { start: last.period_start, end: last.period_end };
  const actual = last.value;
  if (actual === null) return { ...base, status: 'no_data', period, actual: null, gap: null, gapRatio: null };
  const gap = actual - goal.target;
  const gapRatio = goal.target === 0 ? null : gap / Math.abs(goal.target);
  const belowGate = kpi.gate !== undefined && (last.gate_volume ?? 0) < kpi.gate.min;
  const status: GoalStatus = belowGate ? 'insufficient_volume' : isMet(goal, actual) ? 'met' : 'breached';
  return { ...base, status, period, actual, gap, gapRatio };
}

function isMet(goal: Goal, actual: number): boolean {
  return goal.direction === 'at_least' ? actual >= goal.target : actual <= goal.target;
}

function matchesSegment(goal: Goal, row: KpiSnapshotRow): boolean {
  const entries = Object.entries(goal.segment ?? {});
  if (entries.length === 0) return row.segment_dimension === null;
  const [dimension, value] = entries[0]!;
  return row.segment_dimension === dimension && row.segment_value === value;
}
