import { describe, expect, it } from 'vitest';
import { Goal } from '../../core/config/schema.ts';
import { eachDay, isoWeekday } from '../../core/dates.ts';
import { evaluateGoal } from '../../core/goals/evaluate-goal.ts';
import { elapsedShare, weekdayWeights } from '../../core/goals/pacing.ts';
import { kpiById } from '../../core/kpi/catalog.ts';
import type { KpiSnapshotRow } from '../../core/kpi/definition.ts';

const sessions = kpiById.get('sessions')!;
const conversionRate = kpiById.get('conversion_rate')!;
const spend = kpiById.get('spend')!;

function goal(fields: Record<string, unknown>): Goal {
  return Goal.parse({ id: 'g', owner: 'Kim', recipients: ['kim@example.com'], direction: 'at_least', ...fields });
}

function dayRow(kpi: string, date: string, numerator: number, denominator: number | null = null): KpiSnapshotRow {
  return {
    snapshot_date: '2026-11-30', kpi_id: kpi, grain: 'day', segment_dimension: null, segment_value: null,
    period_start: date, period_end: date, value: denominator === null ? numerator : numerator / denominator,
    numerator, denominator, gate_volume: denominator, computed_at: new Date('2026-12-01T00:00:00Z'),
  };
}

/** Weekdays 100 sessions, weekends 50: a shop's usual week. */
const sessionsOn = (date: string) => (isoWeekday(date) >= 6 ? 50 : 100);
const sessionDays = (from: string, to: string) => [...eachDay(from, to)].map((d) => dayRow('sessions', d, sessionsOn(d)));

describe('pacing helpers', () => {
  it('weekday weights are each weekday mean over the overall mean', () => {
    // Prepare: 8 weeks of 100 on weekdays, 50 on weekends → mean of means = (5×100 + 2×50)/7 = 85.714…
    const days = sessionDays('2026-10-05', '2026-11-29').map((r) => ({ date: r.period_start, value: r.numerator }));
    // Act
    const weights = weekdayWeights(days, '2026-11-29');
    // Assess
    expect(weights[0]).toBeCloseTo(100 / (600 / 7), 12);
    expect(weights[6]).toBeCloseTo(50 / (600 / 7), 12);
  });

  it('the elapsed share counts weekend days at their lower weight', () => {
    // Prepare: Mon 2026-11-30 … Sun 2026-12-06 with weights 2 (weekday) and 1 (weekend): total 12
    const weights = [2, 2, 2, 2, 2, 1, 1];
    // Act / Assess: through Friday 10/12, through Saturday 11/12
    expect(elapsedShare(weights, '2026-11-30', '2026-12-04', '2026-12-06')).toBeCloseTo(10 / 12, 12);
    expect(elapsedShare(weights, '2026-11-30', '2026-12-05', '2026-12-06')).toBeCloseTo(11 / 12, 12);
  });
});

describe('time-bound goals', () => {
  it('a total judged by weekday-weighted pace: on track when ahead of the expected-to-date', () => {
    // Prepare: "December: at least 2,600 sessions". History in Oct/Nov; December runs 100/50 as usual.
    // Dec 1–6 (Tue–Sun) = 4×100 + 2×50 = 500 sessions. Weights: weekday 100/(600/7) = 7/6, weekend 7/12.
    // December has 23 weekdays and 8 weekend days: total weight 23×7/6 + 8×7/12 = 31.5; elapsed 4×7/6 + 2×7/12 = 5.8333…
    const snapshot = sessionDays('2026-10-05', '2026-12-06');
    const december = goal({ kpi: 'sessions', grain: 'day', target: 2600, start: '2026-12-01', deadline: '2026-12-31' });
    // Act
    const evaluation = evaluateGoal(december, sessions, snapshot, '2026-12-06');
    // Assess
    const share = (4 * 7 / 6 + 2 * 7 / 12) / 31.5;
    expect(evaluation.pace!.actualToDate).toBe(500);
    expect(evaluation.pace!.expectedToDate).toBeCloseTo(2600 * share, 9);
    expect(evaluation.pace!.projected).toBeCloseTo(500 / share, 9);
    expect(evaluation.pace!.ratio).toBeCloseTo(500 / (2600 * share), 9);
    expect(evaluation.status).toBe('on_track');
    expect(evaluation.period).toEqual({ start: '2026-12-01', end: '2026-12-06' });
  });

  it('the same pace against a higher target is at risk, then behind', () => {
    // Prepare: on pace for 500 / share = 2,700; targets 2,900 (ratio 0.931) and 3,100 (0.871)
    const snapshot = sessionDays('2026-10-05', '2026-12-06');
    // Act
    const atRisk = evaluateGoal(goal({ kpi: 'sessions', grain: 'day', target: 2900, start: '2026-12-01', deadline: '2026-12-31' }), sessions, snapshot, '2026-12-06');
    const behind = evaluateGoal(goal({ kpi: 'sessions', grain: 'day', target: 3100, start: '2026-12-01', deadline: '2026-12-31' }), sessions, snapshot, '2026-12-06');
    // Assess
    expect(atRisk.pace!.projected).toBeCloseTo(2700, 9);
    expect(atRisk.status).toBe('at_risk');
    expect(behind.status).toBe('behind');
    expect(behind.periodResult).toBe('breached');
  });

  it('a relative target over the previous period of the same length: "+20% vs the previous 3 months"', () => {
    // Prepare: Sep–Nov as usual, then the goal for Dec 1 … Feb 28 (90 days) vs Sep 2 … Nov 30 (90 days)
    const snapshot = sessionDays('2026-08-01', '2026-12-06');
    const baseline = sessionDays('2026-09-02', '2026-11-30').reduce((sum, r) => sum + r.numerator, 0);
    const growth = goal({ kpi: 'sessions', grain: 'day', target: { change: 0.2, vs: 'previous_period' }, start: '2026-12-01', deadline: '2027-02-28' });
    // Act
    const evaluation = evaluateGoal(growth, sessions, snapshot, '2026-12-06');
    // Assess: a normal December pace is only 1.0× the baseline, so it is behind a +20% goal
    expect(evaluation.baseline).toBe(baseline);
    expect(evaluation.target).toBeCloseTo(baseline * 1.2, 9);
    expect(evaluation.pace!.ratio).toBeCloseTo(1 / 1.2, 1);
    expect(evaluation.status).toBe('behind');
  });

  it('after the deadline a total is achieved or missed on the whole period', () => {
    // Prepare: November has 21 weekdays and 9 weekend days: 2,100 + 450 = 2,550 sessions
    const snapshot = sessionDays('2026-10-01', '2026-12-06');
    // Act
    const achieved = evaluateGoal(goal({ kpi: 'sessions', grain: 'day', target: 2550, start: '2026-11-01', deadline: '2026-11-30' }), sessions, snapshot, '2026-12-06');
    const missed = evaluateGoal(goal({ kpi: 'sessions', grain: 'day', target: 2551, start: '2026-11-01', deadline: '2026-11-30' }), sessions, snapshot, '2026-12-06');
    // Assess
    expect(achieved).toMatchObject({ status: 'achieved', actual: 2550, period: { start: '2026-11-01', end: '2026-11-30' } });
    expect(missed).toMatchObject({ status: 'missed', actual: 2550, gap: -1 });
  });

  it('a budget (at_most) is behind when spending ahead of plan', () => {
    // Prepare: 1,000 a day every day (so every weekday weighs 1); budget 20,000 for December:
    // expected by Dec 6 = 20,000 × 6/31 = 3,871; spent 6,000 → ratio expected/actual = 0.645
    const snapshot = [...eachDay('2026-10-01', '2026-12-06')].map((d) => dayRow('spend', d, 1000));
    const budget = goal({ kpi: 'spend', grain: 'day', target: 20_000, direction: 'at_most', start: '2026-12-01', deadline: '2026-12-31' });
    // Act
    const evaluation = evaluateGoal(budget, spend, snapshot, '2026-12-06');
    // Assess
    expect(evaluation.pace!.actualToDate).toBe(6000);
    expect(evaluation.pace!.ratio).toBeCloseTo(20_000 * 6 / 31 / 6000, 9);
    expect(evaluation.status).toBe('behind');
  });

  it('a rate is judged by its value so far (ratio of sums), behind the volume gate', () => {
    // Prepare: conversions 30 of 1,000 sessions on Dec 1, 10 of 1,000 on Dec 2 → 40 / 2,000 = 2%
    const snapshot = [dayRow('conversion_rate', '2026-11-30', 30, 1000), dayRow('conversion_rate', '2026-12-01', 30, 1000), dayRow('conversion_rate', '2026-12-02', 10, 1000)];
    const floor = goal({ kpi: 'conversion_rate', grain: 'week', target: 0.021, start: '2026-12-01', deadline: '2026-12-31' });
    // Act
    const evaluation = evaluateGoal(floor, conversionRate, snapshot, '2026-12-02');
    const early = evaluateGoal(floor, conversionRate, snapshot.slice(0, 2).map((r) => ({ ...r, denominator: 100, gate_volume: 100 })), '2026-12-01');
    // Assess: 0.02 / 0.021 = 0.952 → at risk; 100 sessions is under the 200 gate → no data
    expect(evaluation).toMatchObject({ actual: 0.02, status: 'at_risk' });
    expect(evaluation.gap).toBeCloseTo(-0.001, 12);
    expect(early).toMatchObject({ status: 'no_data', periodResult: 'insufficient_volume' });
  });

  it('before its start, or without data back to its baseline, a goal has no data and says why', () => {
    // Prepare
    const snapshot = sessionDays('2026-11-01', '2026-12-06');
    // Act
    const notStarted = evaluateGoal(goal({ kpi: 'sessions', grain: 'day', target: 1, start: '2027-01-01', deadline: '2027-01-31' }), sessions, snapshot, '2026-12-06');
    const noBaseline = evaluateGoal(goal({ kpi: 'sessions', grain: 'day', target: { change: 0.1, vs: 'same_period_last_year' }, start: '2026-12-01', deadline: '2026-12-31' }), sessions, snapshot, '2026-12-06');
    // Assess
    expect(notStarted).toMatchObject({ status: 'no_data', note: 'starts on 2027-01-01' });
    expect(noBaseline).toMatchObject({ status: 'no_data', note: expect.stringContaining('raise snapshot.historyDays') });
  });
});

describe('goals kept every period', () => {
  const week = (start: string, value: number): KpiSnapshotRow => ({
    ...dayRow('conversion_rate', start, value * 1000, 1000), grain: 'week',
    period_end: [...eachDay(start, '2027-12-31')][6]!,
  });

  it('"+20% vs the previous week" resolves the target against the week before', () => {
    // Prepare: 2.5% then 2.9% → target 2.5% × 1.2 = 3.0%; 2.9 / 3.0 = 0.967 → at risk
    const snapshot = [week('2026-11-16', 0.025), week('2026-11-23', 0.029)];
    // Act
    const evaluation = evaluateGoal(goal({ kpi: 'conversion_rate', target: { change: 0.2, vs: 'previous_period' } }), conversionRate, snapshot, '2026-11-29');
    // Assess
    expect(evaluation.baseline).toBe(0.025);
    expect(evaluation.target).toBeCloseTo(0.03, 12);
    expect(evaluation).toMatchObject({ periodResult: 'breached', status: 'at_risk' });
  });

  it('a week far below its floor is behind; without the baseline week it has no data', () => {
    // Prepare
    const snapshot = [week('2026-11-23', 0.02)];
    // Act
    const behind = evaluateGoal(goal({ kpi: 'conversion_rate', target: 0.025 }), conversionRate, snapshot, '2026-11-29');
    const relative = evaluateGoal(goal({ kpi: 'conversion_rate', target: { change: 0.2, vs: 'same_period_last_year' } }), conversionRate, snapshot, '2026-11-29');
    // Assess: 0.02 / 0.025 = 0.8 → behind
    expect(behind).toMatchObject({ periodResult: 'breached', status: 'behind' });
    expect(relative).toMatchObject({ status: 'no_data', note: 'no baseline period to compare with' });
  });

  it('the schema wants both start and deadline, in order', () => {
    // Prepare / Act
    const onlyStart = Goal.safeParse({ id: 'g', kpi: 'sessions', target: 1, direction: 'at_least', owner: 'K', recipients: ['k@example.com'], start: '2026-12-01' });
    const backwards = Goal.safeParse({ id: 'g', kpi: 'sessions', target: 1, direction: 'at_least', owner: 'K', recipients: ['k@example.com'], start: '2026-12-01', deadline: '2026-11-01' });
    // Assess
    expect(onlyStart.error?.issues[0]?.message).toBe('give both start and deadline (a time-bound goal), or neither (a goal kept every period)');
    expect(backwards.error?.issues[0]?.message).toBe('the deadline must not be before the start');
  });
});
