import { describe, expect, it } from 'vitest';
import { AnomalyRule, ChangeRule } from '../../core/alerts/config.ts';
import { anomalyObservation, changeObservation, thresholdObservation } from '../../core/alerts/rules.ts';
import type { Grain } from '../../core/config/schema.ts';
import { addDays } from '../../core/dates.ts';
import { kpiById } from '../../core/kpi/catalog.ts';
import type { KpiDefinition, KpiSnapshotRow } from '../../core/kpi/definition.ts';

const sessions: KpiDefinition = kpiById.get('sessions')!;
const conversionRate: KpiDefinition = kpiById.get('conversion_rate')!;
const cartAbandonment: KpiDefinition = kpiById.get('cart_abandonment_rate')!;
const computedAt = new Date('2026-11-24T00:10:00Z');

/** A whole-KPI snapshot row; plain sums unless numerator/denominator are given. */
function row(kpi: KpiDefinition, grain: Grain, periodStart: string, value: number | null, extra: Partial<KpiSnapshotRow> = {}): KpiSnapshotRow {
  const periodEnd = grain === 'week' ? addDays(periodStart, 6) : periodStart;
  return {
    snapshot_date: '2026-11-23', kpi_id: kpi.id, grain, segment_dimension: null, segment_value: null,
    period_start: periodStart, period_end: periodEnd, value, numerator: value ?? 0, denominator: null, gate_volume: null,
    computed_at: computedAt, ...extra,
  };
}

/** Daily sessions from `start`, one value per day. */
function dailySessions(start: string, values: readonly number[]): KpiSnapshotRow[] {
  return values.map((value, i) => row(sessions, 'day', addDays(start, i), value));
}

/** Daily conversion rate: conversions / sessions, gated on sessions like the catalog. */
function dailyRate(start: string, days: ReadonlyArray<readonly [conversions: number, sessions: number]>): KpiSnapshotRow[] {
  return days.map(([conversions, visits], i) => row(conversionRate, 'day', addDays(start, i), conversions / visits, {
    numerator: conversions, denominator: visits, gate_volume: visits,
  }));
}

const anomalyRule = AnomalyRule.parse({ kind: 'anomaly', id: 'sessions-anomaly', kpi: 'sessions', owner: '김지은', recipients: ['jieun.kim@example.com'] });

describe('thresholdObservation', () => {
  const daily = { m: 2, n: 3, margin: 0.02 };

  it('one breached day of three is on the wrong side but not confirmed (pending)', () => {
    // Prepare: target 2,000 at least; only the last day is below
    const series = dailySessions('2026-11-18', [2100, 2050, 1900]);
    // Act
    const observation = thresholdObservation(series, 2000, 'at_least', sessions, daily);
    // Assess
    expect(observation).toMatchObject({ latestJudged: true, latestBreaching: true, breachingPeriods: 1, confirmed: false, cleared: false, clearLevel: 2040 });
    expect(observation.window.map((p) => p.breaching)).toEqual([false, false, true]);
  });

  it('two breached days of three, the latest among them, are confirmed', () => {
    // Prepare
    const series = dailySessions('2026-11-18', [1900, 2050, 1950]);
    // Act
    const observation = thresholdObservation(series, 2000, 'at_least', sessions, daily);
    // Assess
    expect(observation).toMatchObject({ latestBreaching: true, breachingPeriods: 2, confirmed: true, cleared: false });
  });

  it('two of three with the latest back above the target are not confirmed: a fire needs the latest period', () => {
    // Prepare
    const series = dailySessions('2026-11-18', [1900, 1950, 2010]);
    // Act
    const observation = thresholdObservation(series, 2000, 'at_least', sessions, daily);
    // Assess
    expect(observation).toMatchObject({ latestBreaching: false, breachingPeriods: 2, confirmed: false, cleared: false });
  });

  it('clears only past target + margin (hysteresis): 2,030 does not clear, 2,040 does', () => {
    // Prepare
    const justAbove = dailySessions('2026-11-18', [1900, 1950, 2030]);
    const pastMargin = dailySessions('2026-11-18', [1900, 1950, 2040]);
    // Act
    const inBand = thresholdObservation(justAbove, 2000, 'at_least', sessions, daily);
    const cleared = thresholdObservation(pastMargin, 2000, 'at_least', sessions, daily);
    // Assess
    expect(inBand.cleared).toBe(false);
    expect(cleared.cleared).toBe(true);
  });

  it('at_most clears below target − margin', () => {
    // Prepare: cart abandonment at most 0.8 (weekly, 1 of 1); clear level 0.8 − 0.02 × 0.8 = 0.784
    const gated = { gate_volume: 400 };
    const inBand = [row(cartAbandonment, 'week', '2026-11-16', 0.79, gated)];
    const cleared = [row(cartAbandonment, 'week', '2026-11-16', 0.78, gated)];
    const options = { m: 1, n: 1, margin: 0.02 };
    // Act
    const a = thresholdObservation(inBand, 0.8, 'at_most', cartAbandonment, options);
    const b = thresholdObservation(cleared, 0.8, 'at_most', cartAbandonment, options);
    // Assess
    expect(a).toMatchObject({ latestBreaching: false, cleared: false, clearLevel: 0.784 });
    expect(b).toMatchObject({ latestBreaching: false, cleared: true });
  });

  it('a period below the volume gate never counts as a breach, nor clears', () => {
    // Prepare: conversion rate at least 3%; the middle day has 150 sessions (gate 200) and the last 120
    const series = dailyRate('2026-11-18', [[20, 1000], [0, 150], [1, 120]]);
    // Act
    const observation = thresholdObservation(series, 0.03, 'at_least', conversionRate, daily);
    // Assess
    expect(observation).toMatchObject({ latestJudged: false, latestBreaching: false, breachingPeriods: 1, confirmed: false, cleared: false });
  });

  it('a missing day in the window is a day that did not breach, not a reason to look further back', () => {
    // Prepare: 11-18 and 11-20 breach; 11-19 has no row
    const series = [...dailySessions('2026-11-17', [1500, 1500]), ...dailySessions('2026-11-20', [1500])];
    // Act
    const observation = thresholdObservation(series, 2000, 'at_least', sessions, daily);
    // Assess: window 11-18, 11-19, 11-20
    expect(observation.window.map((p) => [p.periodStart, p.breaching])).toEqual([['2026-11-18', true], ['2026-11-19', false], ['2026-11-20', true]]);
    expect(observation.confirmed).toBe(true);
  });

  it('breaches up to the period that resolved the last episode do not count again (countAfter)', () => {
    // Prepare: 11-18 breached in the last episode, which resolved on 11-19
    const series = dailySessions('2026-11-18', [1900, 2100, 1900]);
    // Act
    const observation = thresholdObservation(series, 2000, 'at_least', sessions, { ...daily, countAfter: '2026-11-19' });
    // Assess
    expect(observation).toMatchObject({ breachingPeriods: 1, confirmed: false, latestBreaching: true });
  });
});

describe('changeObservation', () => {
  const rule = ChangeRule.parse({
    kind: 'change', id: 'sessions-wow', kpi: 'sessions', owner: '김지은', recipients: ['jieun.kim@example.com'],
    relativeFloor: 0.2, absoluteFloor: 10,
  });

  it('3 → 1 visitors is −67% but under the absolute floor of 10: no alert', () => {
    // Prepare
    const series = [row(sessions, 'week', '2026-11-09', 3), row(sessions, 'week', '2026-11-16', 1)];
    // Act
    const observation = changeObservation(series, rule, sessions);
    // Assess
    expect(observation).toMatchObject({ status: 'normal', change: -2, unfavourable: true });
    expect(observation.relativeChange).toBeCloseTo(-2 / 3, 12);
  });

  it('1,000 → 700 is −30% and −300: past both floors, fires', () => {
    // Prepare
    const series = [row(sessions, 'week', '2026-11-09', 1000), row(sessions, 'week', '2026-11-16', 700)];
    // Act
    const observation = changeObservation(series, rule, sessions);
    // Assess
    expect(observation).toMatchObject({ status: 'change', change: -300, relativeChange: -0.3, unfavourable: true });
  });

  it('1,000 → 850 is −15%: under the relative floor', () => {
    // Prepare
    const series = [row(sessions, 'week', '2026-11-09', 1000), row(sessions, 'week', '2026-11-16', 850)];
    // Act
    const observation = changeObservation(series, rule, sessions);
    // Assess
    expect(observation.status).toBe('normal');
  });

  it('a +30% rise in sessions is favourable: silent by default, fires with direction either', () => {
    // Prepare
    const series = [row(sessions, 'week', '2026-11-09', 1000), row(sessions, 'week', '2026-11-16', 1300)];
    // Act
    const unfavourableOnly = changeObservation(series, rule, sessions);
    const either = changeObservation(series, { ...rule, direction: 'either' }, sessions);
    // Assess
    expect(unfavourableOnly).toMatchObject({ status: 'normal', unfavourable: false });
    expect(either).toMatchObject({ status: 'change', change: 300, relativeChange: 0.3 });
  });

  it('compares with the period right before: a gap in the series is no data', () => {
    // Prepare: the week of 11-09 is missing
    const series = [row(sessions, 'week', '2026-11-02', 1000), row(sessions, 'week', '2026-11-16', 500)];
    // Act
    const observation = changeObservation(series, rule, sessions);
    // Assess
    expect(observation).toMatchObject({ status: 'no_data', previous: undefined, change: null });
  });

  it('a ratio below its volume gate in either period is below_gate', () => {
    // Prepare
    const rateRule = { relativeFloor: 0.2, absoluteFloor: 0.005, direction: 'unfavourable' as const };
    const series = [
      row(conversionRate, 'week', '2026-11-09', 0.03, { gate_volume: 150 }),
      row(conversionRate, 'week', '2026-11-16', 0.01, { gate_volume: 5000 }),
    ];
    // Act
    const observation = changeObservation(series, rateRule, conversionRate);
    // Assess
    expect(observation.status).toBe('below_gate');
  });
});

describe('anomalyObservation', () => {
  /** Ten weeks Mon 2026-09-14 … Sun 2026-11-22: weekdays ~2,000, weekends ~1,200, ±6% wobble. */
  const wobble = [0, 0.04, -0.03, 0.06, -0.05, 0.02, -0.06, 0.03, -0.02, 0.05, -0.04, 0.01, 0.0, -0.01];
  const weekly = Array.from({ length: 70 }, (_, i) => {
    const weekend = i % 7 >= 5;
    return Math.round((weekend ? 1200 : 2000) * (1 + wobble[(i * 3) % wobble.length]!));
  });
  const firstDay = '2026-09-14';

  it('a normal weekly pattern (weekends lower) is silent on every day of the last two weeks', () => {
    // Prepare
    const series = dailySessions(firstDay, weekly);
    const days = Array.from({ length: 14 }, (_, i) => addDays('2026-11-09', i));
    // Act
    const observations = days.map((day) => anomalyObservation(series.filter((r) => r.period_start <= day), anomalyRule, sessions, day));
    // Assess
    expect(observations.map((o) => o.status)).toEqual(Array(14).fill('normal'));
    expect(Math.max(...observations.map((o) => Math.abs(o.z!)))).toBeLessThan(2);
  });

  it('a planted −45% dip on one Tuesday is caught with z ≤ −3.5', () => {
    // Prepare: the eight previous Tuesdays are 1,900 … 2,100 (median 2,000); the latest Tuesday 1,100
    const tuesdays = [1900, 1950, 1980, 2000, 2000, 2020, 2050, 2100];
    const series = [
      ...tuesdays.map((value, k) => row(sessions, 'day', addDays('2026-11-17', -7 * (8 - k)), value)),
      row(sessions, 'day', '2026-11-17', 1100),
    ];
    // Act
    const observation = anomalyObservation(series, anomalyRule, sessions, '2026-11-17');
    // Assess: median log(2,001); the MAD (≈ 0.026 after × 1.4826) is under the 0.05 floor
    const spread = 0.05;
    expect(observation.status).toBe('anomaly');
    expect(observation.z).toBeCloseTo(Math.log(1101 / 2001) / spread, 10);
    expect(observation.z!).toBeLessThanOrEqual(-3.5);
    expect(observation.baseline).toBeCloseTo(2000, 9);
    expect(observation.lowerBound).toBeCloseTo(2001 * Math.exp(-3.5 * spread) - 1, 9);
    expect(observation.upperBound).toBeCloseTo(2001 * Math.exp(3.5 * spread) - 1, 9);
    expect(observation.points).toBe(8);
    expect(observation.binomialZ).toBeNull();
  });

  it('the same dip planted in the weekly series is caught, and only on that day', () => {
    // Prepare: Tuesday 2026-11-17 at −45%
    const dipped = weekly.map((value, i) => (addDays(firstDay, i) === '2026-11-17' ? Math.round(value * 0.55) : value));
    const series = dailySessions(firstDay, dipped);
    const days = Array.from({ length: 14 }, (_, i) => addDays('2026-11-09', i));
    // Act
    const statuses = days.map((day) => [day, anomalyObservation(series.filter((r) => r.period_start <= day), anomalyRule, sessions, day).status]);
    // Assess
    expect(statuses.filter(([, status]) => status !== 'normal')).toEqual([['2026-11-17', 'anomaly']]);
  });

  it('a big rise in conversion rate is favourable: silent although |z| ≥ 3.5', () => {
    // Prepare: 2% on 10,000 sessions every Tuesday, then 4%
    const tuesday = (k: number, conversions: number) =>
      row(conversionRate, 'day', addDays('2026-11-17', -7 * k), conversions / 10_000, { numerator: conversions, denominator: 10_000, gate_volume: 10_000 });
    const series = [...[8, 7, 6, 5, 4, 3, 2, 1].map((k) => tuesday(k, 200)), tuesday(0, 400)];
    // Act
    const observation = anomalyObservation(series, anomalyRule, conversionRate, '2026-11-17');
    // Assess
    expect(observation.z).toBeCloseTo(Math.log(0.0401 / 0.0201) / 0.05, 10);
    expect(observation.status).toBe('normal');
    expect(observation.detail).toBe('the favourable way');
  });

  it('a rate KPI with a tiny denominator: the log z is huge but the binomial z keeps it silent', () => {
    // Prepare: 5 of 250 sessions (2%) every Tuesday, then 2 of 250 (0.8%); the gate (200 sessions) is passed
    const tuesday = (k: number, conversions: number) =>
      row(conversionRate, 'day', addDays('2026-11-17', -7 * k), conversions / 250, { numerator: conversions, denominator: 250, gate_volume: 250 });
    const series = [...[8, 7, 6, 5, 4, 3, 2, 1].map((k) => tuesday(k, 5)), tuesday(0, 2)];
    // Act
    const observation = anomalyObservation(series, anomalyRule, conversionRate, '2026-11-17');
    // Assess: binomial (0.008 − 0.02) / √(0.02 × 0.98 / 250)
    expect(observation.z).toBeCloseTo(Math.log(0.0081 / 0.0201) / 0.05, 10);
    expect(observation.binomialZ).toBeCloseTo(-0.012 / Math.sqrt((0.02 * 0.98) / 250), 10);
    expect(observation.status).toBe('normal');
    expect(observation.detail).toBe('binomial |z| = 1.36 < 3.5');
  });

  it('the same drop on 25,000 sessions passes the binomial z too: anomaly', () => {
    // Prepare: 500 of 25,000 (2%) every Tuesday, then 200 of 25,000 (0.8%)
    const tuesday = (k: number, conversions: number) =>
      row(conversionRate, 'day', addDays('2026-11-17', -7 * k), conversions / 25_000, { numerator: conversions, denominator: 25_000, gate_volume: 25_000 });
    const series = [...[8, 7, 6, 5, 4, 3, 2, 1].map((k) => tuesday(k, 500)), tuesday(0, 200)];
    // Act
    const observation = anomalyObservation(series, anomalyRule, conversionRate, '2026-11-17');
    // Assess
    expect(observation.binomialZ).toBeCloseTo(-0.012 / Math.sqrt((0.02 * 0.98) / 25_000), 10);
    expect(observation.status).toBe('anomaly');
  });

  it('cart abandonment (1 − purchases/carts, lower is better): a rise fires, the binomial z agrees through the −1 scale', () => {
    // Prepare: 400 purchases of 2,000 carts (abandonment 0.8), then 40 of 2,000 (0.98)
    const day = (k: number, purchases: number) => row(cartAbandonment, 'day', addDays('2026-11-17', -7 * k), 1 - purchases / 2000, {
      numerator: purchases, denominator: 2000, gate_volume: 2000,
    });
    const series = [...[8, 7, 6, 5, 4, 3, 2, 1].map((k) => day(k, 400)), day(0, 40)];
    // Act
    const observation = anomalyObservation(series, anomalyRule, cartAbandonment, '2026-11-17');
    // Assess
    expect(observation.z).toBeCloseTo(Math.log(0.9801 / 0.8001) / 0.05, 10);
    expect(observation.binomialZ).toBeCloseTo((0.02 - 0.2) / Math.sqrt((0.2 * 0.8) / 2000), 10);
    expect(observation.status).toBe('anomaly');
  });

  it('fewer than 4 same-weekday points: insufficient_history', () => {
    // Prepare: three weeks and a day
    const series = dailySessions('2026-10-27', Array(22).fill(2000)).concat(row(sessions, 'day', '2026-11-17', 500));
    // Act
    const observation = anomalyObservation(series, anomalyRule, sessions, '2026-11-17');
    // Assess
    expect(observation).toMatchObject({ status: 'insufficient_history', points: 3, z: null, baseline: null, detail: '3 of 4 same-weekday days needed' });
  });

  it('the latest day under the volume gate is below_gate, whatever its z', () => {
    // Prepare
    const series = [
      ...[8, 7, 6, 5, 4, 3, 2, 1].map((k) => row(conversionRate, 'day', addDays('2026-11-17', -7 * k), 0.02, { numerator: 200, denominator: 10_000, gate_volume: 10_000 })),
      row(conversionRate, 'day', '2026-11-17', 0, { numerator: 0, denominator: 150, gate_volume: 150 }),
    ];
    // Act
    const observation = anomalyObservation(series, anomalyRule, conversionRate, '2026-11-17');
    // Assess
    expect(observation.status).toBe('below_gate');
    expect(observation.detail).toBe('150 < 200 sessions');
  });

  it('a day with zero sessions stays finite on the log scale (log(0 + 1)) and fires', () => {
    // Prepare
    const series = [...[8, 7, 6, 5, 4, 3, 2, 1].map((k) => row(sessions, 'day', addDays('2026-11-17', -7 * k), 2000)), row(sessions, 'day', '2026-11-17', 0)];
    // Act
    const observation = anomalyObservation(series, anomalyRule, sessions, '2026-11-17');
    // Assess
    expect(observation.z).toBeCloseTo(Math.log(1 / 2001) / 0.05, 10);
    expect(observation.status).toBe('anomaly');
  });
});
