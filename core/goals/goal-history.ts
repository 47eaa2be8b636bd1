import type { Goal } from '../config/schema.ts';
import { addDays, addMonths, daysBetween } from '../dates.ts';

const pacingWeeks = 8;
const grainDays = { day: 1, week: 7, month: 31, quarter: 92 } as const;

/**
 * How many days back the snapshot must reach for these goals: their start (or baseline period)
 * and the weeks the pacing weights read. The query then grows with the question, not the history.
 */
export function historyDaysForGoals(goals: readonly Goal[], asOf: string): number {
  let days = 0;
  for (const goal of goals) {
    let from: string;
    if (goal.start && goal.deadline) {
      from = typeof goal.target === 'number' ? goal.start
        : goal.target.vs === 'same_period_last_year' ? addMonths(goal.start, -12)
        : addDays(goal.start, -(daysBetween(goal.start, goal.deadline) + 1));
      from = from < addDays(asOf, -7 * pacingWeeks) ? from : addDays(asOf, -7 * pacingWeeks);
    } else {
      const periods = typeof goal.target === 'number' ? 1 : goal.target.vs === 'previous_period' ? 2 : 1;
      const lastYear = typeof goal.target === 'object' && goal.target.vs === 'same_period_last_year' ? 366 : 0;
      from = addDays(asOf, -(lastYear + periods * grainDays[goal.grain] + grainDays[goal.grain]));
    }
    days = Math.max(days, daysBetween(from, asOf) + 1);
  }
  return days;
}
