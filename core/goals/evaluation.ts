import type { Goal } from '../config/schema.ts';
import type { KpiDefinition } from '../kpi/definition.ts';

/**
 * - met: the last complete period is on the right side of the target
 * - breached: it is on the wrong side
 * - insufficient_volume: below the KPI's minimum-volume gate, so not judged
 * - no_data: no complete period in the snapshot
 */
export type GoalStatus = 'met' | 'breached' | 'insufficient_volume' | 'no_data';

export interface GoalEvaluation {
  readonly goal: Goal;
  readonly kpi: KpiDefinition;
  readonly status: GoalStatus;
  readonly period: { readonly start: string; readonly end: string } | null;
  readonly actual: number | null;
  readonly target: number;
  /** actual − target (null without an actual). */
  readonly gap: number | null;
  /** gap / |target| (null without an actual or with a zero target). */
  readonly gapRatio: number | null;
  /** Recent values of the same KPI and grain, oldest first, for the email's trend line. */
  readonly trend: ReadonlyArray<{ readonly periodStart: string; readonly value: number | null }>;
}
