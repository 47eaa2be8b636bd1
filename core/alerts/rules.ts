import type { Grain } from '../config/schema.ts';
import { addDays, addMonths } from '../dates.ts';
import type { KpiDefinition, KpiSnapshotRow } from '../kpi/definition.ts';
import type { AnomalyRule, ChangeRule } from './config.ts';

/**
 * The alert rules as pure functions of a KPI series (one KPI × grain × segment, sorted by
 * period): what the latest period says. Whether that notifies anyone is lifecycle.ts's business.
 */

/** A value is judged only when there is one and its period passes the KPI's volume gate. */
export function passesGate(kpi: KpiDefinition, row: KpiSnapshotRow): boolean {
  return kpi.gate === undefined || (row.gate_volume ?? 0) >= kpi.gate.min;
}

function isJudged(kpi: KpiDefinition, row: KpiSnapshotRow | undefined): row is KpiSnapshotRow & { value: number } {
  return row !== undefined && row.value !== null && Number.isFinite(row.value) && passesGate(kpi, row);
}

/** The start of the period before the one starting at `start`. */
export function previousPeriodStart(grain: Grain, start: string): string {
  switch (grain) {
    case 'day': return addDays(start, -1);
    case 'week': return addDays(start, -7);
    case 'month': return addMonths(start, -1);
    case 'quarter': return addMonths(start, -3);
  }
}

// ── threshold ────────────────────────────────────────────────────────────────────────────────

export type GoalDirection = 'at_least' | 'at_most';

export interface ThresholdOptions {
  readonly m: number;
  readonly n: number;
  /** Hysteresis as a fraction of |target|. */
  readonly margin: number;
  /**
   * Periods ending on or before this date do not count towards M of N: set to the period that
   * resolved the last episode, so breaches from before it cannot re-fire the alert at once.
   */
  readonly countAfter?: string;
}

export interface ThresholdPeriod {
  readonly periodStart: string;
  readonly value: number | null;
  /** Has a value over the volume gate. */
  readonly judged: boolean;
  readonly breaching: boolean;
}

export interface ThresholdObservation {
  /** The last row of the series (the period judged), if any. */
  readonly latest: KpiSnapshotRow | undefined;
  readonly latestJudged: boolean;
  readonly latestBreaching: boolean;
  /** Judged periods on the wrong side among the last N (missing, gated or excluded ones never count). */
  readonly breachingPeriods: number;
  readonly m: number;
  readonly n: number;
  /** The latest period is on the wrong side and at least M of the last N are. */
  readonly confirmed: boolean;
  /** The latest period is judged and past target ± margin on the good side. */
  readonly cleared: boolean;
  /** The value a firing alert must reach to clear. */
  readonly clearLevel: number;
  /** The last N periods, oldest first (a missing period has value null). */
  readonly window: readonly ThresholdPeriod[];
}

/**
 * M of the last N complete periods on the wrong side of the target. The window is counted in
 * calendar periods back from the series' last row, so a missing period is a period that did not
 * breach rather than a reason to look further back.
 */
export function thresholdObservation(
  series: readonly KpiSnapshotRow[], target: number, direction: GoalDirection, kpi: KpiDefinition, options: ThresholdOptions,
): ThresholdObservation {
  const clearLevel = direction === 'at_least' ? target + options.margin * Math.abs(target) : target - options.margin * Math.abs(target);
  const latest = series.at(-1);
  const base = { latest, m: options.m, n: options.n, clearLevel };
  if (!latest || !Number.isFinite(target)) {
    return { ...base, latestJudged: false, latestBreaching: false, breachingPeriods: 0, confirmed: false, cleared: false, window: [] };
  }
  const byStart = new Map(series.map((row) => [row.period_start, row]));
  const starts: string[] = [latest.period_start];
  while (starts.length < options.n) starts.unshift(previousPeriodStart(latest.grain, starts[0]!));
  const isBreach = (value: number) => direction === 'at_least' ? value < target : value > target;
  const window = starts.map((periodStart): ThresholdPeriod => {
    const row = byStart.get(periodStart);
    const judged = isJudged(kpi, row);
    const counts = options.countAfter === undefined || row === undefined || row.period_end > options.countAfter;
    return { periodStart, value: row?.value ?? null, judged, breaching: judged && counts && isBreach(row.value) };
  });
  const last = window.at(-1)!;
  const breachingPeriods = window.filter((p) => p.breaching).length;
  const latestValue = last.value;
  const cleared = last.judged && latestValue !== null &&
    (direction === 'at_least' ? latestValue >= clearLevel : latestValue <= clearLevel);
  return {
    ...base, window, breachingPeriods,
    latestJudged: last.judged,
    latestBreaching: last.judged && latestValue !== null && isBreach(latestValue),
    confirmed: last.breaching && breachingPeriods >= options.m,
    cleared,
  };
}

// ── change vs the previous period ─────────────────────────────────────────────────────────────

export type ChangeStatus = 'change' | 'normal' | 'below_gate' | 'no_data';

export interface ChangeObservation {
  readonly status: ChangeStatus;
  readonly latest: KpiSnapshotRow | undefined;
  readonly previous: KpiSnapshotRow | undefined;
  /** latest − previous, in the KPI's unit. */
  readonly change: number | null;
  /** change / |previous| (Infinity from a zero previous value). */
  readonly relativeChange: number | null;
  /** The change goes the bad way for the KPI (either way for a neutral KPI). */
  readonly unfavourable: boolean;
}

/**
 * The latest period against the one right before it. Fires only past BOTH floors: the relative
 * one says the move is large for this KPI, the absolute one that it is large in real units
 * (3 → 1 visitors is −67% but not news).
 */
export function changeObservation(
  series: readonly KpiSnapshotRow[],
  rule: Pick<ChangeRule, 'relativeFloor' | 'absoluteFloor' | 'direction'>,
  kpi: KpiDefinition,
): ChangeObservation {
  const latest = series.at(-1);
  const previousStart = latest ? previousPeriodStart(latest.grain, latest.period_start) : undefined;
  const previous = series.find((row) => row.period_start === previousStart);
  const base = { latest, previous };
  if (!latest || !previous || latest.value === null || previous.value === null) {
    return { ...base, status: 'no_data', change: null, relativeChange: null, unfavourable: false };
  }
  const change = latest.value - previous.value;
  const relativeChange = previous.value === 0 ? (change === 0 ? 0 : Infinity) : change / Math.abs(previous.value);
  const unfavourable = isUnfavourable(kpi, change);
  if (!passesGate(kpi, latest) || !passesGate(kpi, previous)) return { ...base, status: 'below_gate', change, relativeChange, unfavourable };
  const large = Math.abs(relativeChange) >= rule.relativeFloor && Math.abs(change) >= rule.absoluteFloor && change !== 0;
  const wayCounts = rule.direction === 'either' || unfavourable;
  return { ...base, status: large && wayCounts ? 'change' : 'normal', change, relativeChange, unfavourable };
}

/** A move is unfavourable against the KPI's direction; a neutral KPI (spend) has no good way, so both count. */
export function isUnfavourable(kpi: KpiDefinition, change: number): boolean {
  if (change === 0) return false;
  switch (kpi.direction) {
    case 'higher_is_better': return change < 0;
    case 'lower_is_better': return change > 0;
    case 'neutral': return true;
  }
}

// ── anomaly (daily series) ────────────────────────────────────────────────────────────────────

export type AnomalyStatus = 'anomaly' | 'normal' | 'insufficient_history' | 'below_gate' | 'no_data';

export interface AnomalyObservation {
  readonly status: AnomalyStatus;
  /** The day judged (`asOf`), when the series has it. */
  readonly latest: KpiSnapshotRow | undefined;
  /** (log(latest + ε) − median) / spread; null without a baseline or a value. */
  readonly z: number | null;
  /** Rate KPIs: (p − p0) / √(p0(1 − p0)/n) on the raw proportion, when it applies. */
  readonly binomialZ: number | null;
  /** The usual value for this weekday: exp(median) − ε. */
  readonly baseline: number | null;
  /** The band outside which |z| ≥ zThreshold, in the KPI's unit. */
  readonly lowerBound: number | null;
  readonly upperBound: number | null;
  /** Same-weekday days that formed the baseline (judged ones only). */
  readonly points: number;
  /** Why this status, in a few words (for the event table). */
  readonly detail: string;
}

/**
 * Zero on a log scale: values are shifted by a small ε before the log, log(v + ε). ε is one unit
 * for counts, money and durations (negligible next to daily volumes, and it keeps a day with 0
 * finite and far below a usual day) and 0.0001 for ratios (1% of a 1% rate). A plain log1p would
 * flatten ratios, whose values sit near 0, into a linear scale.
 */
export function logOffset(kpi: KpiDefinition): number {
  return kpi.unit === 'ratio' ? 1e-4 : 1;
}

const madToSigma = 1.4826;

/**
 * Is the day `asOf` far from the usual for its weekday? Baseline = median of log(value + ε) over
 * the same weekday of the previous `weeks` weeks (judged days only), spread = MAD × 1.4826 floored
 * at `madFloor`. Fires only when |z| ≥ zThreshold the unfavourable way and the day passes the
 * volume gate; a proportion (rate KPI whose numerator counts a subset of its denominator) also
 * needs its binomial z past the threshold, so 2 conversions of 250 sessions are not an alarm.
 */
export function anomalyObservation(
  dailySeries: readonly KpiSnapshotRow[],
  rule: Pick<AnomalyRule, 'zThreshold' | 'weeks' | 'minWeeks' | 'madFloor'>,
  kpi: KpiDefinition,
  asOf: string,
): AnomalyObservation {
  const byDay = new Map(dailySeries.map((row) => [row.period_start, row]));
  const latest = byDay.get(asOf);
  const epsilon = logOffset(kpi);
  const toLog = (value: number) => Math.log(Math.max(value, 0) + epsilon);
  const history = Array.from({ length: rule.weeks }, (_, k) => byDay.get(addDays(asOf, -7 * (k + 1))))
    .filter((row): row is KpiSnapshotRow & { value: number } => isJudged(kpi, row));
  const empty = { latest, z: null, binomialZ: null, baseline: null, lowerBound: null, upperBound: null, points: history.length };
  if (history.length < rule.minWeeks) {
    return { ...empty, status: 'insufficient_history', detail: `${history.length} of ${rule.minWeeks} same-weekday days needed` };
  }
  const logs = history.map((row) => toLog(row.value));
  const center = median(logs);
  const spread = Math.max(median(logs.map((x) => Math.abs(x - center))) * madToSigma, rule.madFloor);
  const band = {
    baseline: Math.exp(center) - epsilon,
    lowerBound: Math.max(Math.exp(center - rule.zThreshold * spread) - epsilon, 0),
    upperBound: Math.exp(center + rule.zThreshold * spread) - epsilon,
  };
  if (!latest || latest.value === null || !Number.isFinite(latest.value)) {
    return { ...empty, ...band, status: 'no_data', detail: `no value for ${asOf}` };
  }
  const z = (toLog(latest.value) - center) / spread;
  const binomialZ = proportionZ(kpi, latest, history);
  const result = { ...empty, ...band, z, binomialZ };
  if (!passesGate(kpi, latest)) {
    return { ...result, status: 'below_gate', detail: `${latest.gate_volume ?? 0} < ${kpi.gate!.min} ${kpi.gate!.measure}` };
  }
  const far = Math.abs(z) >= rule.zThreshold;
  const unfavourable = isUnfavourable(kpi, z);
  // The binomial z is on the raw proportion num/den; a KPI scaled by −1 (1 − p) moves the other way.
  const binomialAgrees = binomialZ === null ||
    (Math.abs(binomialZ) >= rule.zThreshold && Math.sign(binomialZ) * Math.sign(kpi.scale ?? 1) === Math.sign(z));
  const status: AnomalyStatus = far && unfavourable && binomialAgrees ? 'anomaly' : 'normal';
  const detail = !far ? `|z| < ${rule.zThreshold}`
    : !unfavourable ? 'the favourable way'
    : !binomialAgrees ? `binomial |z| = ${Math.abs(binomialZ!).toFixed(2)} < ${rule.zThreshold}`
    : `z = ${z.toFixed(2)}`;
  return { ...result, status, detail };
}

/**
 * For a proportion (ratio KPI with a denominator, and every p = num/den within [0, 1]): p of the
 * day against p0 = the median same-weekday p, with n = the day's denominator. ROAS and other
 * ratios above 1 are not proportions: null, and the log-scale z decides alone.
 */
function proportionZ(kpi: KpiDefinition, latest: KpiSnapshotRow, history: readonly KpiSnapshotRow[]): number | null {
  if (kpi.unit !== 'ratio' || kpi.denominator === undefined) return null;
  const proportion = (row: KpiSnapshotRow) => row.denominator !== null && row.denominator > 0 ? row.numerator / row.denominator : null;
  const p = proportion(latest);
  const past = history.map(proportion);
  if (p === null || p < 0 || p > 1 || past.some((x) => x === null || x < 0 || x > 1)) return null;
  const p0 = median(past as number[]);
  if (p0 <= 0 || p0 >= 1) return null;
  return (p - p0) / Math.sqrt((p0 * (1 - p0)) / latest.denominator!);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
