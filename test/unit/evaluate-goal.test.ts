import { describe, expect, it } from 'vitest';
import { Goal } from '../../core/config/schema.ts';
import { evaluateGoal } from '../../core/goals/evaluate-goal.ts';
import { kpiById } from '../../core/kpi/catalog.ts';
import type { KpiDefinition, KpiSnapshotRow } from '../../core/kpi/definition.ts';

const conversionRate: KpiDefinition = kpiById.get('conversion_rate')!;
const cartAbandonment: KpiDefinition = kpiById.get('cart_abandonment_rate')!;
const sessions: KpiDefinition = kpiById.get('sessions')!;
const computedAt = new Date('2026-11-24T00:10:00Z');

/** A goal as pipeline.yaml gives it, parsed so the schema's defaults apply (grain week, severity warning). */
function goal(fields: Record<string, unknown> = {}): Goal {
  return Goal.parse({
    id: 'conversion-weekly',
    kpi: 'conversion_rate',
    target: 0.5,
    direction: 'at_least',
    owner: '김지은',
    recipients: ['jieun.kim@example.com'],
    ...fields,
  });
}

/** The last complete day the tests judge as of. */
const asOf = '2026-12-31';

const weekEnd = (start: string): string => new Date(Date.parse(`${start}T00:00:00Z`) + 6 * 86_400_000).toISOString().slice(0, 10);

/** A whole-KPI weekly conversion-rate row; override what the case is about. */
function row(fields: Partial<KpiSnapshotRow> & { period_start: string }): KpiSnapshotRow {
  const value = fields.value === undefined ? 0.5 : fields.value;
  return {
    snapshot_date: '2026-11-23',
    kpi_id: 'conversion_rate',
    grain: 'week',
    segment_dimension: null,
    segment_value: null,
    period_end: fields.grain === undefined || fields.grain === 'week' ? weekEnd(fields.period_start) : fields.period_start,
    value,
    numerator: value === null ? 0 : value * 1000,
    denominator: 1000,
    gate_volume: 1000,
    computed_at: computedAt,
    ...fields,
  };
}

describe('evaluateGoal', () => {
  it('at_least met: actual above the target, exact gap and gapRatio', () => {
    // Prepare
    const atLeast = goal({ target: 0.5 });
    const snapshot = [row({ period_start: '2026-11-16', value: 0.625 })];
    // Act
    const evaluation = evaluateGoal(atLeast, conversionRate, snapshot, asOf);
    // Assess
    expect(evaluation).toStrictEqual({
      goal: atLeast,
      kpi: conversionRate,
      target: 0.5,
      trend: [{ periodStart: '2026-11-16', value: 0.625 }],
      status: 'on_track', periodResult: 'met',
      period: { start: '2026-11-16', end: '2026-11-22' },
      actual: 0.625,
      gap: 0.125,
      gapRatio: 0.25,
    });
  });

  it('at_least met when the actual equals the target', () => {
    // Prepare
    const snapshot = [row({ period_start: '2026-11-16', value: 0.5 })];
    // Act
    const evaluation = evaluateGoal(goal({ target: 0.5 }), conversionRate, snapshot, asOf);
    // Assess
    expect(evaluation.periodResult).toBe('met');
    expect(evaluation.status).toBe('on_track');
    expect(evaluation.gap).toBe(0);
    expect(evaluation.gapRatio).toBe(0);
  });

  it('at_least breached: actual below the target, negative gap and gapRatio', () => {
    // Prepare
    const snapshot = [row({ period_start: '2026-11-16', value: 0.375 })];
    // Act
    const evaluation = evaluateGoal(goal({ target: 0.5 }), conversionRate, snapshot, asOf);
    // Assess
    expect(evaluation.periodResult).toBe('breached');
    expect(evaluation.actual).toBe(0.375);
    expect(evaluation.gap).toBe(-0.125);
    expect(evaluation.gapRatio).toBe(-0.25);
  });

  it('at_most breached: actual above the limit', () => {
    // Prepare
    const atMost = goal({ id: 'cart-abandonment-weekly', kpi: 'cart_abandonment_rate', target: 0.5, direction: 'at_most' });
    const snapshot = [row({ kpi_id: 'cart_abandonment_rate', period_start: '2026-11-16', value: 0.75, gate_volume: 400 })];
    // Act
    const evaluation = evaluateGoal(atMost, cartAbandonment, snapshot, asOf);
    // Assess
    expect(evaluation.periodResult).toBe('breached');
    expect(evaluation.actual).toBe(0.75);
    expect(evaluation.gap).toBe(0.25);
    expect(evaluation.gapRatio).toBe(0.5);
  });

  it('at_most met: actual below the limit', () => {
    // Prepare
    const atMost = goal({ kpi: 'cart_abandonment_rate', target: 0.5, direction: 'at_most' });
    const snapshot = [row({ kpi_id: 'cart_abandonment_rate', period_start: '2026-11-16', value: 0.25, gate_volume: 400 })];
    // Act
    const evaluation = evaluateGoal(atMost, cartAbandonment, snapshot, asOf);
    // Assess
    expect(evaluation.periodResult).toBe('met');
    expect(evaluation.status).toBe('on_track');
    expect(evaluation.gap).toBe(-0.25);
    expect(evaluation.gapRatio).toBe(-0.5);
  });

  it("judges the last period (by period_start) of the goal's grain, ignoring other grains and KPIs", () => {
    // Prepare: rows out of order; later day/month rows and another KPI must not count
    const snapshot = [
      row({ period_start: '2026-11-16', value: 0.25 }),
      row({ period_start: '2026-11-02', value: 0.75 }),
      row({ period_start: '2026-11-09', value: 0.625 }),
      row({ period_start: '2026-11-22', grain: 'day', value: 0.875 }),
      row({ period_start: '2026-11-01', grain: 'month', period_end: '2026-11-30', value: 0.875 }),
      row({ period_start: '2026-11-23', kpi_id: 'engagement_rate', value: 0.875 }),
    ];
    // Act
    const evaluation = evaluateGoal(goal({ target: 0.5 }), conversionRate, snapshot, asOf);
    // Assess
    expect(evaluation.period).toEqual({ start: '2026-11-16', end: '2026-11-22' });
    expect(evaluation.actual).toBe(0.25);
    expect(evaluation.periodResult).toBe('breached');
    expect(evaluation.trend).toEqual([
      { periodStart: '2026-11-02', value: 0.75 },
      { periodStart: '2026-11-09', value: 0.625 },
      { periodStart: '2026-11-16', value: 0.25 },
    ]);
  });

  it('a day goal reads day rows', () => {
    // Prepare
    const daily = goal({ id: 'sessions-daily', kpi: 'sessions', grain: 'day', target: 2000 });
    const snapshot = [
      row({ kpi_id: 'sessions', grain: 'day', period_start: '2026-11-21', value: 2100, gate_volume: null }),
      row({ kpi_id: 'sessions', grain: 'day', period_start: '2026-11-22', value: 1500, gate_volume: null }),
      row({ kpi_id: 'sessions', grain: 'week', period_start: '2026-11-16', value: 14_000, gate_volume: null }),
    ];
    // Act
    const evaluation = evaluateGoal(daily, sessions, snapshot, asOf);
    // Assess
    expect(evaluation.periodResult).toBe('breached');
    expect(evaluation.period).toEqual({ start: '2026-11-22', end: '2026-11-22' });
    expect(evaluation.actual).toBe(1500);
    expect(evaluation.gap).toBe(-500);
    expect(evaluation.gapRatio).toBe(-0.25);
  });

  it('a segment goal reads only the row of its segment', () => {
    // Prepare
    const paidSocial = goal({ id: 'paid-social', segment: { channel_group: 'Paid Social' }, target: 0.5 });
    const snapshot = [
      row({ period_start: '2026-11-16', value: 0.75 }),
      row({ period_start: '2026-11-16', segment_dimension: 'channel_group', segment_value: 'Organic Search', value: 0.875 }),
      row({ period_start: '2026-11-16', segment_dimension: 'channel_group', segment_value: 'Paid Social', value: 0.25 }),
      row({ period_start: '2026-11-16', segment_dimension: 'campaign', segment_value: 'Paid Social', value: 0.875 }),
    ];
    // Act
    const evaluation = evaluateGoal(paidSocial, conversionRate, snapshot, asOf);
    // Assess
    expect(evaluation.periodResult).toBe('breached');
    expect(evaluation.actual).toBe(0.25);
    expect(evaluation.trend).toEqual([{ periodStart: '2026-11-16', value: 0.25 }]);
  });

  it('a whole-KPI goal ignores the segment rows', () => {
    // Prepare: the segment row is later, and would be the "last" row if it counted
    const snapshot = [
      row({ period_start: '2026-11-09', value: 0.75 }),
      row({ period_start: '2026-11-16', segment_dimension: 'channel_group', segment_value: 'Paid Social', value: 0.25 }),
    ];
    // Act
    const evaluation = evaluateGoal(goal({ target: 0.5 }), conversionRate, snapshot, asOf);
    // Assess
    expect(evaluation.periodResult).toBe('met');
    expect(evaluation.status).toBe('on_track');
    expect(evaluation.period).toEqual({ start: '2026-11-09', end: '2026-11-15' });
    expect(evaluation.actual).toBe(0.75);
    expect(evaluation.trend).toEqual([{ periodStart: '2026-11-09', value: 0.75 }]);
  });

  it('below the KPI gate (200 sessions) the goal is insufficient_volume, not breached', () => {
    // Prepare: a 10% conversion rate on 199 sessions
    const snapshot = [row({ period_start: '2026-11-16', value: 0.1, gate_volume: 199 })];
    // Act
    const evaluation = evaluateGoal(goal({ target: 0.5 }), conversionRate, snapshot, asOf);
    // Assess
    expect(conversionRate.gate).toEqual({ measure: 'sessions', min: 200 });
    expect(evaluation.periodResult).toBe('insufficient_volume');
    expect(evaluation.status).toBe('no_data');
    expect(evaluation.actual).toBe(0.1);
    expect(evaluation.period).toEqual({ start: '2026-11-16', end: '2026-11-22' });
  });

  it('at exactly the gate volume the goal is judged', () => {
    // Prepare
    const snapshot = [row({ period_start: '2026-11-16', value: 0.25, gate_volume: 200 })];
    // Act
    const evaluation = evaluateGoal(goal({ target: 0.5 }), conversionRate, snapshot, asOf);
    // Assess
    expect(evaluation.periodResult).toBe('breached');
  });

  it('a missing gate volume on a gated KPI counts as zero volume', () => {
    // Prepare
    const snapshot = [row({ period_start: '2026-11-16', value: 0.25, gate_volume: null })];
    // Act
    const evaluation = evaluateGoal(goal({ target: 0.5 }), conversionRate, snapshot, asOf);
    // Assess
    expect(evaluation.periodResult).toBe('insufficient_volume');
    expect(evaluation.status).toBe('no_data');
  });

  it('a null value (zero denominator) is no_data, with the period kept', () => {
    // Prepare
    const snapshot = [
      row({ period_start: '2026-11-09', value: 0.75 }),
      row({ period_start: '2026-11-16', value: null, denominator: 0, gate_volume: 0 }),
    ];
    // Act
    const evaluation = evaluateGoal(goal({ target: 0.5 }), conversionRate, snapshot, asOf);
    // Assess
    expect(evaluation).toMatchObject({
      status: 'no_data', periodResult: 'no_data',
      period: { start: '2026-11-16', end: '2026-11-22' },
      actual: null, gap: null, gapRatio: null,
    });
    expect(evaluation.trend).toEqual([{ periodStart: '2026-11-09', value: 0.75 }, { periodStart: '2026-11-16', value: null }]);
  });

  it('no rows at all is no_data with period null', () => {
    // Prepare
    const atLeast = goal();
    // Act
    const evaluation = evaluateGoal(atLeast, conversionRate, [], asOf);
    // Assess
    expect(evaluation).toStrictEqual({
      goal: atLeast, kpi: conversionRate, target: 0.5, trend: [],
      status: 'no_data', periodResult: 'no_data', period: null, actual: null, gap: null, gapRatio: null, note: 'no complete period in the snapshot',
    });
  });

  it('no rows of the goal grain is no_data with period null', () => {
    // Prepare
    const snapshot = [row({ period_start: '2026-11-01', grain: 'month', period_end: '2026-11-30' })];
    // Act
    const evaluation = evaluateGoal(goal(), conversionRate, snapshot, asOf);
    // Assess
    expect(evaluation.status).toBe('no_data');
    expect(evaluation.period).toBeNull();
  });

  it('the trend holds the last 8 values, oldest first', () => {
    // Prepare: 10 weeks, given newest first
    const starts = Array.from({ length: 10 }, (_, i) => new Date(Date.UTC(2026, 8, 14 + 7 * i)).toISOString().slice(0, 10));
    const snapshot = starts.map((start, i) => row({ period_start: start, value: i / 8 })).reverse();
    // Act
    const evaluation = evaluateGoal(goal({ target: 0.5 }), conversionRate, snapshot, asOf);
    // Assess
    expect(starts[0]).toBe('2026-09-14');
    expect(evaluation.trend).toEqual(starts.slice(2).map((start, i) => ({ periodStart: start, value: (i + 2) / 8 })));
    expect(evaluation.trend).toHaveLength(8);
    expect(evaluation.period).toEqual({ start: '2026-11-16', end: '2026-11-22' });
    expect(evaluation.actual).toBe(9 / 8);
  });

  it('target 0 gives a gap but a null gapRatio', () => {
    // Prepare
    const zero = goal({ kpi: 'sessions', target: 0, direction: 'at_most' });
    const snapshot = [row({ kpi_id: 'sessions', period_start: '2026-11-16', value: 12, gate_volume: null })];
    // Act
    const evaluation = evaluateGoal(zero, sessions, snapshot, asOf);
    // Assess
    expect(evaluation.periodResult).toBe('breached');
    expect(evaluation.gap).toBe(12);
    expect(evaluation.gapRatio).toBeNull();
  });

  it('gapRatio divides by the absolute target when the target is negative', () => {
    // Prepare
    const negative = goal({ kpi: 'sessions', target: -4, direction: 'at_least' });
    const snapshot = [row({ kpi_id: 'sessions', period_start: '2026-11-16', value: -6, gate_volume: null })];
    // Act
    const evaluation = evaluateGoal(negative, sessions, snapshot, asOf);
    // Assess
    expect(evaluation.periodResult).toBe('breached');
    expect(evaluation.gap).toBe(-2);
    expect(evaluation.gapRatio).toBe(-0.5);
  });
});
