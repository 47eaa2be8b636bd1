import type { Goal } from '../config/schema.ts';
import type { KpiDefinition } from '../kpi/definition.ts';

/**
 * Where a goal stands (SMART):
 * - on_track / at_risk / behind: kept-every-period goals by the last complete period; time-bound
 *   goals by pace (totals) or by the value so far (rates)
 * - achieved / missed: a time-bound goal after its deadline
 * - no_data: nothing to judge (no complete period, below the volume gate, no baseline, not started)
 */
export type GoalStatus = 'on_track' | 'at_risk' | 'behind' | 'achieved' | 'missed' | 'no_data';

/** The last complete period against the target: what threshold alerts look at. */
export type PeriodResult = 'met' | 'breached' | 'insufficient_volume' | 'no_data';

export interface GoalPace {
  /** Σ so far (start … as of). */
  readonly actualToDate: number;
  /** What the target expects by now, weighted by the KPI's usual weekday pattern. */
  readonly expectedToDate: number;
  /** actual so far ÷ share of the weighted period elapsed. */
  readonly projected: number;
  /** actual ÷ expected (expected ÷ actual for at_most goals): ≥ 0.97 on track, ≥ 0.90 at risk. */
  readonly ratio: number;
}

export interface GoalEvaluation {
  readonly goal: Goal;
  readonly kpi: KpiDefinition;
  readonly status: GoalStatus;
  readonly periodResult: PeriodResult;
  /** The period judged: the last complete one, or start … as of for a time-bound goal. */
  readonly period: { readonly start: string; readonly end: string } | null;
  readonly actual: number | null;
  /** The absolute target (a relative target resolved against its baseline). */
  readonly target: number;
  /** The baseline a relative target was resolved against. */
  readonly baseline?: number;
  /** actual − target (null without an actual). */
  readonly gap: number | null;
  /** gap / |target| (null without an actual or with a zero target). */
  readonly gapRatio: number | null;
  readonly pace?: GoalPace;
  /** Why there is no status, when status is no_data. */
  readonly note?: string;
  /** Recent values of the same KPI and grain, oldest first, for the email's trend line. */
  readonly trend: ReadonlyArray<{ readonly periodStart: string; readonly value: number | null }>;
}
