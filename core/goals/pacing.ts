import { addDays, eachDay, isoWeekday } from '../dates.ts';

/**
 * A KPI's usual weekday pattern: each ISO weekday's mean over the trailing weeks divided by the
 * overall mean (index 0 = Monday). A shop sells less on Sunday, so a goal behind on Sunday
 * evening is not behind pace. Without data every weekday weighs 1.
 */
export function weekdayWeights(days: ReadonlyArray<{ readonly date: string; readonly value: number }>, asOf: string, weeks = 8): number[] {
  const from = addDays(asOf, 1 - 7 * weeks);
  const sums = Array<number>(7).fill(0);
  const counts = Array<number>(7).fill(0);
  for (const day of days) {
    if (day.date < from || day.date > asOf) continue;
    const index = isoWeekday(day.date) - 1;
    sums[index]! += day.value;
    counts[index]! += 1;
  }
  const means = sums.map((sum, i) => (counts[i]! > 0 ? sum / counts[i]! : 0));
  const seen = means.filter((_, i) => counts[i]! > 0);
  const overall = seen.length > 0 ? seen.reduce((a, b) => a + b, 0) / seen.length : 0;
  if (overall <= 0) return Array<number>(7).fill(1);
  return means.map((mean, i) => (counts[i]! > 0 ? mean / overall : 1));
}

/** The weighted share of [start, deadline] that [start, through] makes up. */
export function elapsedShare(weights: readonly number[], start: string, through: string, deadline: string): number {
  const weight = (date: string) => weights[isoWeekday(date) - 1] ?? 1;
  let elapsed = 0;
  let total = 0;
  for (const day of eachDay(start, deadline)) {
    total += weight(day);
    if (day <= through) elapsed += weight(day);
  }
  return total > 0 ? elapsed / total : 0;
}

/** Pace thresholds (issue 5): ≥ 0.97 on track, ≥ 0.90 at risk, else behind. */
export function statusOfRatio(ratio: number, onTrack = 0.97, atRisk = 0.9): 'on_track' | 'at_risk' | 'behind' {
  return ratio >= onTrack ? 'on_track' : ratio >= atRisk ? 'at_risk' : 'behind';
}
