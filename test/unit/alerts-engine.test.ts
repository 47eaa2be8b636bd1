import { describe, expect, it } from 'vitest';
import type { AlertStateFile } from '../../core/alerts/alert-state.ts';
import { AlertSettings, checkAlertSettings, GoalAlertOptions, resolveGoalAlertOptions } from '../../core/alerts/config.ts';
import { evaluateAlerts, type AlertsOutcome } from '../../core/alerts/evaluate-alerts.ts';
import { Goal, type Grain } from '../../core/config/schema.ts';
import { addDays } from '../../core/dates.ts';
import type { GoalEvaluation } from '../../core/goals/evaluation.ts';
import { kpiById } from '../../core/kpi/catalog.ts';
import type { KpiDefinition, KpiSnapshotRow } from '../../core/kpi/definition.ts';

const sessions: KpiDefinition = kpiById.get('sessions')!;
const clicks: KpiDefinition = kpiById.get('clicks')!;
const computedAt = new Date('2026-11-24T00:10:00Z');
const jieun = 'jieun.kim@example.com';

const sessionsDaily = Goal.parse({
  id: 'sessions-daily', kpi: 'sessions', grain: 'day', target: 2000, direction: 'at_least', owner: '김지은', recipients: [jieun], severity: 'critical',
});

function row(kpi: KpiDefinition, grain: Grain, periodStart: string, value: number, segment: [string, string] | null = null): KpiSnapshotRow {
  return {
    snapshot_date: '2026-11-30', kpi_id: kpi.id, grain, segment_dimension: segment?.[0] ?? null, segment_value: segment?.[1] ?? null,
    period_start: periodStart, period_end: grain === 'week' ? addDays(periodStart, 6) : periodStart,
    value, numerator: value, denominator: null, gate_volume: null, computed_at: computedAt,
  };
}

/**
 * What the goal maths hands the engine for a goal kept every period: the last complete period
 * against the target. Hand-made here so these tests depend on the engine only.
 */
function goalEvaluation(goal: Goal, kpi: KpiDefinition, snapshot: readonly KpiSnapshotRow[]): GoalEvaluation {
  const series = snapshot.filter((r) => r.kpi_id === goal.kpi && r.grain === goal.grain && r.segment_dimension === null)
    .sort((a, b) => a.period_start.localeCompare(b.period_start));
  const last = series.at(-1)!;
  const target = goal.target as number;
  const met = goal.direction === 'at_least' ? last.value! >= target : last.value! <= target;
  return {
    goal, kpi, status: met ? 'on_track' : 'behind', periodResult: met ? 'met' : 'breached',
    period: { start: last.period_start, end: last.period_end }, actual: last.value, target,
    gap: last.value! - target, gapRatio: (last.value! - target) / target,
    trend: series.slice(-8).map((r) => ({ periodStart: r.period_start, value: r.value })),
  };
}

const noSettings = AlertSettings.parse({});

interface DayRun {
  readonly rows: readonly KpiSnapshotRow[];
  readonly previous: AlertStateFile | undefined;
  readonly settings?: AlertSettings;
  readonly staleKpis?: ReadonlySet<string>;
  readonly goals?: readonly Goal[];
  readonly now?: Date;
  readonly timeZone?: string;
}

/** The notify run of snapshot `day`, at 07:00 in Seoul the next morning, on the rows up to that day. */
function runDay(day: string, run: DayRun): AlertsOutcome {
  const snapshot = run.rows.filter((r) => r.period_end <= day);
  return evaluateAlerts({
    snapshotDate: day, now: run.now ?? new Date(`${addDays(day, 1)}T07:00:00+09:00`), timeZone: run.timeZone ?? 'Asia/Seoul', currency: 'KRW',
    goals: (run.goals ?? [sessionsDaily]).map((goal) => goalEvaluation(goal, kpiById.get(goal.kpi)!, snapshot)),
    snapshot, kpis: kpiById, settings: run.settings ?? noSettings, previous: run.previous, staleKpis: run.staleKpis ?? new Set(),
  });
}

/** Runs every day from `first` through the last row, carrying the state; returns each day's outcome. */
function runDays(first: string, rows: readonly KpiSnapshotRow[], options: Omit<DayRun, 'rows' | 'previous'> = {}): AlertsOutcome[] {
  const last = rows.reduce((max, r) => (r.period_end > max ? r.period_end : max), first);
  const outcomes: AlertsOutcome[] = [];
  let previous: AlertStateFile | undefined;
  for (let day = first; day <= last; day = addDays(day, 1)) {
    const outcome = runDay(day, { ...options, rows, previous });
    outcomes.push(outcome);
    previous = outcome.state;
  }
  return outcomes;
}

const dailySessions = (start: string, values: readonly number[]) => values.map((v, i) => row(sessions, 'day', addDays(start, i), v));
const reasons = (outcomes: readonly AlertsOutcome[]) => outcomes.map((o) => o.notifications.map((n) => n.reason));

describe('evaluateAlerts: threshold goals', () => {
  it('flapping around the target is held back by 2-of-3: no email, only pending and recovered events', () => {
    // Prepare: breach every third day (never 2 of 3)
    const rows = dailySessions('2026-11-01', [2100, 1900, 2100, 2100, 1900, 2100, 2100, 1900]);
    // Act
    const outcomes = runDays('2026-11-01', rows);
    // Assess
    expect(reasons(outcomes)).toEqual([[], [], [], [], [], [], [], []]);
    expect(outcomes.flatMap((o) => o.events.map((e) => `${e.snapshot_date} ${e.from_status}→${e.to_status} ${e.reason}`))).toEqual([
      '2026-11-02 ok→pending pending', '2026-11-03 pending→ok recovered',
      '2026-11-05 ok→pending pending', '2026-11-06 pending→ok recovered',
      '2026-11-08 ok→pending pending',
    ]);
  });

  it('fires on 2 of 3, holds in the hysteresis band, repeats while breaching, resolves once past the margin', () => {
    // Prepare: target 2,000, clears at 2,040
    const rows = dailySessions('2026-11-01', [2100, 1900, 1900, 2010, 1990, 2030, 2050, 2100]);
    // Act
    const outcomes = runDays('2026-11-01', rows);
    // Assess
    expect(reasons(outcomes)).toEqual([[], [], ['firing'], [], ['repeat'], [], ['resolved'], []]);
    const firing = outcomes[2]!.notifications[0]!;
    expect(firing).toMatchObject({
      key: 'sessions-daily|threshold|all', kind: 'threshold', severity: 'critical', since: '2026-11-03T22:00:00.000Z',
      summary: { ko: '최근 3일 중 2일 목표 미달', en: 'below goal in 2 of the last 3 days' },
    });
    expect(firing.evaluation.actual).toBe(1900);
    expect(outcomes[6]!.notifications[0]).toMatchObject({ reason: 'resolved', since: '2026-11-03T22:00:00.000Z', summary: { ko: '목표 수준 회복', en: 'back on target' } });
    expect(outcomes[7]!.state.alerts['sessions-daily|threshold|all']!.status).toBe('ok');
  });

  it('after resolving, the breaches before it do not re-fire the alert at once', () => {
    // Prepare: fire, resolve, then one breach: 2 of the last 3 days, but one of them is before the resolve
    const rows = dailySessions('2026-11-01', [1900, 1900, 2050, 1900, 1900]);
    // Act
    const outcomes = runDays('2026-11-01', rows);
    // Assess: 11-04 only pending; 11-05 has two breaches after the resolve and fires
    expect(reasons(outcomes)).toEqual([[], ['firing'], ['resolved'], [], ['firing']]);
    expect(outcomes[3]!.events.map((e) => `${e.from_status}→${e.to_status}`)).toEqual(['resolved→pending']);
  });

  it('a weekly goal fires on the one week (1 of 1) and says "last week"', () => {
    // Prepare
    const weekly = Goal.parse({ id: 'sessions-weekly', kpi: 'sessions', grain: 'week', target: 14_000, direction: 'at_least', owner: '김지은', recipients: [jieun] });
    const rows = [row(sessions, 'week', '2026-11-09', 15_000), row(sessions, 'week', '2026-11-16', 12_000)];
    // Act
    const outcome = runDay('2026-11-22', { rows, previous: undefined, goals: [weekly] });
    // Assess
    expect(outcome.notifications.map((n) => [n.key, n.reason, n.summary])).toEqual([
      ['sessions-weekly|threshold|all', 'firing', { ko: '지난주 목표 미달', en: 'below goal last week' }],
    ]);
  });

  it('a rerun of the same snapshot date sends nothing and records no event', () => {
    // Prepare
    const rows = dailySessions('2026-11-01', [1900, 1900]);
    const first = runDay('2026-11-02', { rows, previous: runDay('2026-11-01', { rows, previous: undefined }).state });
    // Act
    const rerun = runDay('2026-11-02', { rows, previous: first.state, now: new Date('2026-11-03T09:30:00+09:00') });
    // Assess
    expect(first.notifications.map((n) => n.reason)).toEqual(['firing']);
    expect(rerun.notifications).toEqual([]);
    expect(rerun.events).toEqual([]);
    expect(rerun.dataTeam).toEqual([]);
    expect(rerun.state.alerts).toStrictEqual(first.state.alerts);
  });
});

describe('evaluateAlerts: time-bound goals (pacing)', () => {
  const quarter = Goal.parse({
    id: 'sessions-q4', kpi: 'sessions', grain: 'quarter', target: 300_000, direction: 'at_least', start: '2026-10-01', deadline: '2026-12-31',
    owner: '김지은', recipients: [jieun],
  });
  /** What the goal maths says on a day; the engine only follows its status. */
  const paced = (status: GoalEvaluation['status'], ratio: number): GoalEvaluation => ({
    goal: quarter, kpi: sessions, status, periodResult: 'no_data', period: { start: '2026-10-01', end: '2026-11-22' },
    actual: 150_000, target: 300_000, gap: -150_000, gapRatio: -0.5, trend: [],
    pace: { actualToDate: 150_000, expectedToDate: 150_000 / ratio, projected: 300_000 * ratio, ratio },
  });
  const run = (day: string, evaluation: GoalEvaluation, previous: AlertStateFile | undefined) => evaluateAlerts({
    snapshotDate: day, now: new Date(`${addDays(day, 1)}T07:00:00+09:00`), timeZone: 'Asia/Seoul', currency: 'KRW',
    goals: [evaluation], snapshot: [], kpis: kpiById, settings: noSettings, previous, staleKpis: new Set(),
  });

  it('behind fires at once, at risk holds it, on track resolves it', () => {
    // Act
    const behind = run('2026-11-20', paced('behind', 0.85), undefined);
    const atRisk = run('2026-11-21', paced('at_risk', 0.93), behind.state);
    const onTrack = run('2026-11-22', paced('on_track', 0.98), atRisk.state);
    // Assess
    expect(behind.notifications.map((n) => [n.key, n.reason, n.summary])).toEqual([
      ['sessions-q4|pacing|all', 'firing', { ko: '목표 진도 85% (지금까지 필요한 양 대비)', en: 'at 85% of the pace the goal needs so far' }],
    ]);
    expect(atRisk.notifications).toEqual([]);
    expect(onTrack.notifications.map((n) => [n.reason, n.summary.en])).toEqual([['resolved', 'back on track']]);
  });

  it('missed at the deadline is told once, never repeated', () => {
    // Act
    const missed = run('2027-01-01', paced('missed', 0.8), undefined);
    const nextDay = run('2027-01-02', paced('missed', 0.8), missed.state);
    // Assess
    expect(missed.notifications.map((n) => [n.reason, n.summary.ko])).toEqual([['firing', '마감일까지 목표 미달성']]);
    expect(nextDay.notifications).toEqual([]);
  });
});

describe('evaluateAlerts: snoozes and acknowledgements from the config', () => {
  it('a snooze is inclusive of its date in the business time zone, then the alert notifies', () => {
    // Prepare: snoozed through 11-20 (Seoul); the run of snapshot 11-19 is on 11-20 07:00 Seoul = 11-19 22:00 UTC
    const rows = dailySessions('2026-11-17', [1900, 1900, 1900, 1900]);
    const settings = AlertSettings.parse({ snoozes: [{ key: 'sessions-daily', until: '2026-11-20', reason: '사이트 점검' }] });
    // Act
    const outcomes = runDays('2026-11-17', rows, { settings });
    // Assess: 11-18 (run on the 19th) and 11-19 (run on the 20th) snoozed; 11-20 (run on the 21st) notifies
    expect(reasons(outcomes)).toEqual([[], [], [], ['firing']]);
    expect(outcomes[1]!.events.map((e) => [e.to_status, e.reason, e.notified, e.detail.split(';')[0]])).toEqual([['firing', 'snoozed', false, 'snoozed until 2026-11-20: 사이트 점검']]);
  });

  it('the snooze date is a date in the business time zone, not in UTC', () => {
    // Prepare: the run at 2026-11-20 07:00 Seoul is still 11-19 in UTC
    const rows = dailySessions('2026-11-18', [1900, 1900]);
    const settings = AlertSettings.parse({ snoozes: [{ key: 'sessions-daily|threshold|all', until: '2026-11-19' }] });
    const previous = runDay('2026-11-18', { rows, previous: undefined, settings }).state;
    // Act
    const seoul = runDay('2026-11-19', { rows, previous, settings });
    const utc = runDay('2026-11-19', { rows, previous, settings, timeZone: 'UTC' });
    // Assess
    expect(seoul.notifications.map((n) => n.reason)).toEqual(['firing']);
    expect(utc.notifications).toEqual([]);
  });

  it('an acknowledgement by goal id stops the daily reminders', () => {
    // Prepare
    const rows = dailySessions('2026-11-01', [1900, 1900, 1900, 1900]);
    const settings = AlertSettings.parse({ acknowledged: [{ key: 'sessions-daily', note: '주말 캠페인 종료 영향' }] });
    // Act
    const acknowledged = runDays('2026-11-01', rows, { settings });
    const plain = runDays('2026-11-01', rows);
    // Assess
    expect(reasons(plain)).toEqual([[], ['firing'], ['repeat'], ['repeat']]);
    expect(reasons(acknowledged)).toEqual([[], ['firing'], [], []]);
    expect(acknowledged[1]!.events.map((e) => e.reason)).toEqual(['firing', 'acknowledged']);
  });
});

describe('evaluateAlerts: stale data', () => {
  const anomalyOnSessions = AlertSettings.parse({
    rules: [{ kind: 'anomaly', id: 'sessions-anomaly', kpi: 'sessions', owner: '김지은', recipients: [jieun] }],
  });
  const weekly = Goal.parse({ id: 'sessions-weekly', kpi: 'sessions', grain: 'week', target: 14_000, direction: 'at_least', owner: '김지은', recipients: [jieun] });

  it('a late source holds its KPI alerts and tells the data team once', () => {
    // Prepare: both goals breached, but GA4 is late
    const rows = [...dailySessions('2026-11-16', Array(7).fill(1000)), row(sessions, 'week', '2026-11-16', 7000)];
    // Act
    const outcome = runDay('2026-11-22', { rows, previous: undefined, goals: [sessionsDaily, weekly], settings: anomalyOnSessions, staleKpis: new Set(['sessions']) });
    // Assess
    expect(outcome.notifications).toEqual([]);
    expect(outcome.dataTeam).toEqual([{
      key: 'ga4_traffic_daily|freshness|all', reason: 'firing', table: 'ga4_traffic_daily', kpiIds: ['sessions'],
      heldAlerts: ['sessions-anomaly|anomaly|all', 'sessions-daily|threshold|all', 'sessions-weekly|threshold|all'],
      since: '2026-11-22T22:00:00.000Z',
      summary: {
        ko: 'ga4_traffic_daily 데이터가 늦어 KPI 1개의 알림을 보류했습니다 (sessions)',
        en: 'ga4_traffic_daily is late; alerts on 1 KPI are on hold (sessions)',
      },
    }]);
    expect(outcome.events.map((e) => [e.alert_key, e.source_kind, e.kpi_id, e.from_status, e.to_status, e.reason, e.notified])).toEqual([
      ['sessions-daily|threshold|all', 'goal', 'sessions', 'ok', 'stale', 'stale', false],
      ['sessions-weekly|threshold|all', 'goal', 'sessions', 'ok', 'stale', 'stale', false],
      ['sessions-anomaly|anomaly|all', 'rule', 'sessions', 'ok', 'stale', 'stale', false],
      ['ga4_traffic_daily|freshness|all', 'freshness', null, 'ok', 'firing', 'firing', true],
    ]);
    expect(Object.fromEntries(Object.entries(outcome.state.alerts).map(([k, s]) => [k, s.status]))).toEqual({
      'ga4_traffic_daily|freshness|all': 'firing',
      'sessions-anomaly|anomaly|all': 'stale',
      'sessions-daily|threshold|all': 'stale',
      'sessions-weekly|threshold|all': 'stale',
    });
  });

  it('on time again: the data team hears "resolved" once and the held alerts are judged as usual', () => {
    // Prepare
    const rows = [...dailySessions('2026-11-16', Array(8).fill(1000)), row(sessions, 'week', '2026-11-16', 7000)];
    const stale = runDay('2026-11-22', { rows, previous: undefined, goals: [sessionsDaily, weekly], settings: anomalyOnSessions, staleKpis: new Set(['sessions']) });
    // Act
    const fresh = runDay('2026-11-23', { rows, previous: stale.state, goals: [sessionsDaily, weekly], settings: anomalyOnSessions });
    const after = runDay('2026-11-24', { rows, previous: fresh.state, goals: [sessionsDaily, weekly], settings: anomalyOnSessions });
    // Assess
    expect(fresh.dataTeam.map((d) => [d.key, d.reason, d.summary.en])).toEqual([['ga4_traffic_daily|freshness|all', 'resolved', 'ga4_traffic_daily is up to date again']]);
    expect(fresh.notifications.map((n) => [n.key, n.reason])).toEqual([['sessions-daily|threshold|all', 'firing'], ['sessions-weekly|threshold|all', 'firing']]);
    expect(after.dataTeam).toEqual([]);
    expect(after.state.alerts['ga4_traffic_daily|freshness|all']!.status).toBe('ok');
  });
});

describe('evaluateAlerts: change and anomaly rules', () => {
  it('a change rule fires past both floors, with a goal-shaped evaluation and a bilingual summary', () => {
    // Prepare
    const settings = AlertSettings.parse({
      rules: [{ kind: 'change', id: 'sessions-wow', kpi: 'sessions', grain: 'week', owner: '김지은', recipients: [jieun], relativeFloor: 0.2, absoluteFloor: 100, severity: 'info' }],
    });
    const rows = [row(sessions, 'week', '2026-11-09', 14_000), row(sessions, 'week', '2026-11-16', 9_660)];
    // Act
    const outcome = runDay('2026-11-22', { rows, previous: undefined, goals: [], settings });
    // Assess
    expect(outcome.notifications).toHaveLength(1);
    const notification = outcome.notifications[0]!;
    expect(notification).toMatchObject({
      key: 'sessions-wow|change|all', reason: 'firing', kind: 'change', severity: 'info',
      summary: { ko: '전주 대비 −31% (−4,340)', en: '−31% vs the previous week (−4,340)' },
    });
    expect(notification.evaluation).toStrictEqual({
      goal: { id: 'sessions-wow', kpi: 'sessions', grain: 'week', target: 14_000, direction: 'at_least', owner: '김지은', recipients: [jieun], severity: 'info' },
      kpi: sessions, status: 'behind', periodResult: 'breached', period: { start: '2026-11-16', end: '2026-11-22' },
      actual: 9_660, target: 14_000, gap: -4_340, gapRatio: -0.31,
      trend: [{ periodStart: '2026-11-09', value: 14_000 }, { periodStart: '2026-11-16', value: 9_660 }],
    });
    expect(outcome.events.map((e) => e.detail)).toEqual(['confirmed; change: -4340 (−31%) vs 14000']);
  });

  it('segmentBy watches every platform: only the one that moved fires', () => {
    // Prepare
    const settings = AlertSettings.parse({
      rules: [{ kind: 'change', id: 'clicks-wow', kpi: 'clicks', segmentBy: 'platform', owner: 'Alex Park', recipients: ['alex.park@example.com'], relativeFloor: 0.2, absoluteFloor: 50 }],
    });
    const rows = [
      row(clicks, 'week', '2026-11-09', 1000, ['platform', 'google_ads']), row(clicks, 'week', '2026-11-16', 980, ['platform', 'google_ads']),
      row(clicks, 'week', '2026-11-09', 800, ['platform', 'meta']), row(clicks, 'week', '2026-11-16', 400, ['platform', 'meta']),
    ];
    // Act
    const outcome = runDay('2026-11-22', { rows, previous: undefined, goals: [], settings });
    // Assess
    expect(outcome.notifications.map((n) => [n.key, n.evaluation.goal.segment])).toEqual([['clicks-wow|change|platform=meta', { platform: 'meta' }]]);
    expect(Object.keys(outcome.state.alerts)).toEqual(['clicks-wow|change|platform=google_ads', 'clicks-wow|change|platform=meta']);
  });

  it('an anomaly rule catches the planted dip and describes it against the usual weekday', () => {
    // Prepare: eight Tuesdays around 2,000, then 1,100
    const settings = AlertSettings.parse({ rules: [{ kind: 'anomaly', id: 'sessions-anomaly', kpi: 'sessions', owner: '김지은', recipients: [jieun], severity: 'critical' }] });
    const tuesdays = [1900, 1950, 1980, 2000, 2000, 2020, 2050, 2100];
    const rows = [...tuesdays.map((v, k) => row(sessions, 'day', addDays('2026-11-17', -7 * (8 - k)), v)), row(sessions, 'day', '2026-11-17', 1100)];
    // Act
    const outcome = runDay('2026-11-17', { rows, previous: undefined, goals: [], settings });
    // Assess
    expect(outcome.notifications.map((n) => [n.key, n.reason, n.summary])).toEqual([[
      'sessions-anomaly|anomaly|all', 'firing', { ko: '평소 같은 요일 대비 −45% (z = −11.9)', en: '−45% vs the usual for this weekday (z = −11.9)' },
    ]]);
    const evaluation = outcome.notifications[0]!.evaluation;
    expect(evaluation.goal.grain).toBe('day');
    expect(evaluation.target).toBeCloseTo(2000, 9);
    expect(evaluation.trend.map((t) => t.periodStart)).toEqual([...tuesdays.map((_, k) => addDays('2026-11-17', -7 * (8 - k))), '2026-11-17']);
    expect(outcome.events).toHaveLength(1);
    expect(outcome.events[0]).toMatchObject({
      alert_key: 'sessions-anomaly|anomaly|all', source_kind: 'rule', source_id: 'sessions-anomaly', kind: 'anomaly', kpi_id: 'sessions', grain: 'day',
      from_status: 'ok', to_status: 'firing', reason: 'firing', notified: true, period_start: '2026-11-17', value: 1100, severity: 'critical',
    });
    expect(outcome.events[0]!.detail).toBe('confirmed; anomaly: z = -11.95; usual 2000, band 1679…2383');
  });
});

describe('alert config', () => {
  it('the alerts section has defaults, and rules are told apart by kind', () => {
    // Act
    const settings = AlertSettings.parse({
      rules: [
        { kind: 'anomaly', id: 'sessions-anomaly', kpi: 'sessions', owner: '김지은', recipients: [jieun] },
        { kind: 'change', id: 'meta-cpa-wow', kpi: 'cpa', segment: { platform: 'meta' }, owner: 'Alex', recipients: [jieun], relativeFloor: 0.25, absoluteFloor: 3000 },
      ],
    });
    // Assess
    expect(settings).toStrictEqual({
      repeatEveryHours: 24, snoozes: [], acknowledged: [],
      rules: [
        { kind: 'anomaly', id: 'sessions-anomaly', kpi: 'sessions', owner: '김지은', recipients: [jieun], severity: 'warning', zThreshold: 3.5, weeks: 8, minWeeks: 4, madFloor: 0.05 },
        { kind: 'change', id: 'meta-cpa-wow', kpi: 'cpa', segment: { platform: 'meta' }, owner: 'Alex', recipients: [jieun], severity: 'warning', grain: 'week', relativeFloor: 0.25, absoluteFloor: 3000, direction: 'unfavourable' },
      ],
    });
  });

  it('says what to write for a rule without a known kind, a change rule without floors, and m without n', () => {
    // Act
    const badKind = AlertSettings.safeParse({ rules: [{ kind: 'spike', id: 'x', kpi: 'sessions', owner: 'a', recipients: [jieun] }] });
    const noFloor = AlertSettings.safeParse({ rules: [{ kind: 'change', id: 'x', kpi: 'sessions', owner: 'a', recipients: [jieun], relativeFloor: 0.2 }] });
    const mOnly = GoalAlertOptions.safeParse({ m: 2 });
    // Assess
    expect(badKind.error?.issues.map((i) => i.message)).toEqual(['write kind: anomaly or kind: change']);
    expect(noFloor.error?.issues.map((i) => [i.path.join('.'), i.code])).toEqual([['rules.0.absoluteFloor', 'invalid_type']]);
    expect(mOnly.error?.issues.map((i) => i.message)).toEqual(['give both m and n ("m of the last n periods"), or neither']);
  });

  it('M of N defaults: 2 of 3 for day goals, 1 of 1 otherwise; margin 2%', () => {
    // Act / Assess
    expect(resolveGoalAlertOptions({ grain: 'day' })).toStrictEqual({ m: 2, n: 3, margin: 0.02 });
    expect(resolveGoalAlertOptions({ grain: 'week' })).toStrictEqual({ m: 1, n: 1, margin: 0.02 });
    expect(resolveGoalAlertOptions({ grain: 'week', alert: { m: 2, n: 4, margin: 0.05, repeatEveryHours: 168 } })).toStrictEqual({ m: 2, n: 4, margin: 0.05, repeatEveryHours: 168 });
  });

  it('cross-checks rules against goals, KPIs and recipients, and snoozes against ids', () => {
    // Prepare
    const settings = AlertSettings.parse({
      snoozes: [{ key: 'no-such-goal', until: '2026-12-01' }, { key: 'ga4_traffic_daily|freshness|all', until: '2026-12-01' }],
      rules: [
        { kind: 'anomaly', id: 'sessions-daily', kpi: 'sessions', segment: { platform: 'meta' }, owner: 'a', recipients: ['someone@example.com'] },
        { kind: 'anomaly', id: 'growth', kpi: 'revenue_growth_mom', owner: 'a', recipients: [jieun] },
      ],
    });
    // Act
    const problems = checkAlertSettings(settings, { goalIds: ['sessions-daily'], kpis: kpiById, recipients: [jieun] });
    // Assess
    expect(problems).toEqual([
      { path: 'alerts.rules[0].id', message: '"sessions-daily" is already a goal id; give the rule its own id' },
      { path: 'alerts.rules[0].segment.platform', message: 'KPI sessions can be segmented by channel_group, not platform' },
      { path: 'alerts.rules[0].recipients[0]', message: 'someone@example.com is not listed under recipients; add it there with its locale (ko or en)' },
      { path: 'alerts.rules[1].kind', message: 'KPI revenue_growth_mom has no daily values (only month); anomaly rules need a daily series, use kind: change' },
      { path: 'alerts.rules[1].kpi', message: 'KPI revenue_growth_mom can be negative, which a log-scale baseline cannot judge; use kind: change' },
      { path: 'alerts.snoozes[0].key', message: 'no goal or rule has id "no-such-goal"; write a goal id, a rule id, or a key from an alert email' },
    ]);
  });
});
