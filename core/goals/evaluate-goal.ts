import type { Goal, Grain } from '../config/schema.ts';
import { addDays, addMonths, daysBetween, minDate } from '../dates.ts';
import type { KpiDefinition, KpiSnapshotRow } from '../kpi/definition.ts';
import { kpiValue } from '../kpi/snapshot.ts';
import type { GoalEvaluation, GoalStatus, PeriodResult } from './evaluation.ts';
import { elapsedShare, statusOfRatio, weekdayWeights } from './pacing.ts';

const trendLength = 8;

/**
 * Judges one goal on the snapshot as of the last complete day. Ratios are ratios of sums over the
 * days judged; below the KPI's volume gate nothing is judged (a 50% conversion rate on 4 sessions
 * is noise).
 */
export function evaluateGoal(goal: Goal, kpi: KpiDefinition, snapshot: readonly KpiSnapshotRow[], asOf: string): GoalEvaluation {
  const periods = seriesOf(snapshot, goal, goal.grain);
  const trend = periods.slice(-trendLength).map((row) => ({ periodStart: row.period_start, value: row.value }));
  return goal.start && goal.deadline
    ? evaluateTimeBound(goal, kpi, seriesOf(snapshot, goal, 'day'), asOf, goal.start, goal.deadline, trend)
    : evaluateEveryPeriod(goal, kpi, periods, trend);
}

/** Additive KPIs are totals (sessions, revenue); everything else is a rate judged by its value. */
export function isAdditive(kpi: KpiDefinition): boolean {
  return kpi.denominator === undefined && !kpi.shareOfTotal && !kpi.growthOf;
}

type Trend = GoalEvaluation['trend'];

function evaluateEveryPeriod(goal: Goal, kpi: KpiDefinition, periods: readonly KpiSnapshotRow[], trend: Trend): GoalEvaluation {
  const last = periods.at(-1);
  const unknown = (note: string, extra: Partial<GoalEvaluation> = {}): GoalEvaluation => ({
    goal, kpi, trend, status: 'no_data', periodResult: 'no_data', period: null, actual: null,
    target: typeof goal.target === 'number' ? goal.target : Number.NaN, gap: null, gapRatio: null, note, ...extra,
  });
  if (!last) return unknown('no complete period in the snapshot');
  const period = { start: last.period_start, end: last.period_end };
  const resolved = resolvePeriodTarget(goal, periods, last);
  if (!resolved) return unknown('no baseline period to compare with', { period });
  const { target, baseline } = resolved;
  const withTarget = { target, ...(baseline === undefined ? {} : { baseline }) };
  if (last.value === null) return unknown('no value (nothing to divide by)', { period, ...withTarget });
  const actual = last.value;
  const gap = actual - target;
  const gapRatio = target === 0 ? null : gap / Math.abs(target);
  if (kpi.gate && (last.gate_volume ?? 0) < kpi.gate.min) {
    return { ...unknown(`below the volume gate (${last.gate_volume ?? 0} < ${kpi.gate.min})`, { period, actual, gap, gapRatio, ...withTarget }), periodResult: 'insufficient_volume' };
  }
  const periodResult: PeriodResult = isMet(goal, actual, target) ? 'met' : 'breached';
  const status: GoalStatus = periodResult === 'met' ? 'on_track' : statusOfRatio(ratioToTarget(goal, actual, target), 1, 0.9);
  return { goal, kpi, trend, status, periodResult, period, actual, gap, gapRatio, ...withTarget };
}

function evaluateTimeBound(
  goal: Goal, kpi: KpiDefinition, days: readonly KpiSnapshotRow[], asOf: string, start: string, deadline: string, trend: Trend,
): GoalEvaluation {
  const through = minDate(asOf, deadline);
  const unknown = (note: string): GoalEvaluation => ({
    goal, kpi, trend, status: 'no_data', periodResult: 'no_data', period: null, actual: null,
    target: typeof goal.target === 'number' ? goal.target : Number.NaN, gap: null, gapRatio: null, note,
  });
  if (asOf < start) return unknown(`starts on ${start}`);
  if (!days[0] || days[0].period_start > start) return unknown('the snapshot has no daily data back to the start; raise snapshot.historyDays');
  const baselineWindow = typeof goal.target === 'object' ? baselineWindowOf(goal.target.vs, start, deadline) : undefined;
  if (baselineWindow && days[0].period_start > baselineWindow.from) return unknown('the snapshot has no daily data back to the baseline; raise snapshot.historyDays');

  const sumOver = (from: string, to: string) => days.filter((d) => d.period_start >= from && d.period_start <= to).reduce(
    (acc, d) => ({ numerator: acc.numerator + d.numerator, denominator: acc.denominator + (d.denominator ?? 0), gate: acc.gate + (d.gate_volume ?? 0) }),
    { numerator: 0, denominator: 0, gate: 0 },
  );
  const valueOver = (from: string, to: string) => {
    const sums = sumOver(from, to);
    return { value: kpiValue(kpi, sums.numerator, kpi.denominator === undefined && !kpi.shareOfTotal ? null : sums.denominator), gate: sums.gate };
  };

  let target: number;
  let baseline: number | undefined;
  if (typeof goal.target === 'number') {
    target = goal.target;
  } else {
    baseline = valueOver(baselineWindow!.from, baselineWindow!.to).value ?? undefined;
    if (baseline === undefined) return unknown('no value in the baseline period');
    target = baseline * (1 + goal.target.change);
  }
  const withTarget = { target, ...(baseline === undefined ? {} : { baseline }) };
  const period = { start, end: through };
  const { value: actual, gate } = valueOver(start, through);
  if (actual === null) return { ...unknown('no value so far'), ...withTarget, period };
  if (kpi.gate && !isAdditive(kpi) && gate < kpi.gate.min) {
    return { ...unknown(`below the volume gate so far (${gate} < ${kpi.gate.min})`), ...withTarget, period, actual, periodResult: 'insufficient_volume' };
  }

  if (asOf >= deadline) {
    const met = isMet(goal, actual, target);
    return result(met ? 'achieved' : 'missed', actual, actual - target);
  }
  if (!isAdditive(kpi)) {
    return result(statusOfRatio(ratioToTarget(goal, actual, target), 1, 0.9), actual, actual - target);
  }
  const weights = weekdayWeights(days.map((d) => ({ date: d.period_start, value: d.numerator })), asOf);
  const share = elapsedShare(weights, start, through, deadline);
  const expectedToDate = target * share;
  const projected = share > 0 ? actual / share : actual;
  const ratio = goal.direction === 'at_least'
    ? (expectedToDate === 0 ? 1 : actual / expectedToDate)
    : (actual === 0 ? 1 : expectedToDate / actual);
  return { ...result(statusOfRatio(ratio), actual, projected - target), pace: { actualToDate: actual, expectedToDate, projected, ratio } };

  function result(status: GoalStatus, value: number, gap: number): GoalEvaluation {
    const periodResult: PeriodResult = status === 'behind' || status === 'missed' ? 'breached' : 'met';
    return { goal, kpi, trend, status, periodResult, period, actual: value, gap, gapRatio: target === 0 ? null : gap / Math.abs(target), ...withTarget };
  }
}

/** previous_period: the same length just before the start; same_period_last_year: a year earlier. */
function baselineWindowOf(vs: 'previous_period' | 'same_period_last_year', start: string, deadline: string): { from: string; to: string } {
  if (vs === 'same_period_last_year') return { from: addMonths(start, -12), to: addMonths(deadline, -12) };
  const length = daysBetween(start, deadline) + 1;
  return { from: addDays(start, -length), to: addDays(start, -1) };
}

function resolvePeriodTarget(goal: Goal, periods: readonly KpiSnapshotRow[], last: KpiSnapshotRow): { target: number; baseline?: number } | undefined {
  if (typeof goal.target === 'number') return { target: goal.target };
  const baselineStart = goal.target.vs === 'previous_period'
    ? periods.find((p) => addDays(p.period_end, 1) === last.period_start)?.period_start
    : sameStartLastYear(goal.grain, last.period_start);
  const baseline = periods.find((p) => p.period_start === baselineStart)?.value;
  if (baseline === null || baseline === undefined) return undefined;
  return { target: baseline * (1 + goal.target.change), baseline };
}

/** A year earlier, on the same weekday for days and weeks (retail compares Mondays with Mondays). */
function sameStartLastYear(grain: Grain, start: string): string {
  return grain === 'day' || grain === 'week' ? addDays(start, -364) : addMonths(start, -12);
}

function isMet(goal: Goal, actual: number, target: number): boolean {
  return goal.direction === 'at_least' ? actual >= target : actual <= target;
}

/** How close to the target, 1 = on it, for either direction. */
function ratioToTarget(goal: Goal, actual: number, target: number): number {
  if (goal.direction === 'at_least') return target <= 0 ? 1 : actual / target;
  return actual <= 0 ? 1 : target / actual;
}

function seriesOf(snapshot: readonly KpiSnapshotRow[], goal: Goal, grain: Grain): KpiSnapshotRow[] {
  const [dimension, value] = Object.entries(goal.segment ?? {})[0] ?? [null, null];
  return snapshot
    .filter((row) => row.kpi_id === goal.kpi && row.grain === grain && row.segment_dimension === dimension && row.segment_value === value)
    .sort((a, b) => a.period_start.localeCompare(b.period_start));
}
