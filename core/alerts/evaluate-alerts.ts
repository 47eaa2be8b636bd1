import type { Goal, Grain, Severity } from '../config/schema.ts';
import { todayIn } from '../dates.ts';
import type { GoalEvaluation, GoalStatus, PeriodResult } from '../goals/evaluation.ts';
import type { KpiDefinition, KpiSnapshotRow } from '../kpi/definition.ts';
import type { AlertEventRow, AlertSourceKind } from './alert-events.ts';
import type { AlertKeyState, AlertStateFile } from './alert-state.ts';
import { resolveGoalAlertOptions, type AlertAcknowledgement, type AlertSettings, type AlertSnooze, type AnomalyRule, type ChangeRule } from './config.ts';
import { advanceAlert, type AlertSignal } from './lifecycle.ts';
import type { AlertKind, AlertNotification, NotificationReason } from './notification.ts';
import { anomalyObservation, changeObservation, thresholdObservation, type GoalDirection } from './rules.ts';
import { anomalySummary, changeSummary, freshnessSummary, pacingSummary, signedPercent, thresholdSummary, type Summary } from './summaries.ts';

/**
 * The alert engine: goals (threshold, pacing), anomaly and change rules, and source freshness,
 * each through its lifecycle, in one pure step. It decides what to tell whom; the caller sends
 * the emails, then appends the events and writes the state.
 */

export interface EvaluateAlertsInput {
  /** The snapshot evaluated (its last complete day). */
  readonly snapshotDate: string;
  readonly now: Date;
  /** The business time zone: a snooze `until` date is a date there. */
  readonly timeZone: string;
  /** ISO 4217 reporting currency, for amounts in the summaries. */
  readonly currency: string;
  /** Every goal's evaluation on this snapshot. */
  readonly goals: readonly GoalEvaluation[];
  readonly snapshot: readonly KpiSnapshotRow[];
  readonly kpis: ReadonlyMap<string, KpiDefinition>;
  readonly settings: AlertSettings;
  readonly previous: AlertStateFile | undefined;
  /** KPIs whose source is late (from the freshness check): their alerts are held. */
  readonly staleKpis: ReadonlySet<string>;
}

/** "Data late" for the data team: one per table whose KPIs are stale, on the same lifecycle. */
export interface DataTeamNotice {
  /** `<table>|freshness|all`. */
  readonly key: string;
  readonly reason: NotificationReason;
  /** The table (or view) the stale KPIs are computed from. */
  readonly table: string;
  readonly kpiIds: readonly string[];
  /** Marketers' alerts held in `stale` meanwhile. */
  readonly heldAlerts: readonly string[];
  /** When it became late (ISO timestamp). */
  readonly since: string;
  readonly summary: Summary;
}

export interface AlertsOutcome {
  readonly state: AlertStateFile;
  readonly events: readonly AlertEventRow[];
  /** For the marketers, critical first. */
  readonly notifications: readonly AlertNotification[];
  readonly dataTeam: readonly DataTeamNotice[];
}

/** `<goal or rule id>|<kind>|<dimension=value or all>`. */
export function alertKey(id: string, kind: AlertKind, segment: Segment | null): string {
  return `${id}|${kind}|${segment === null ? 'all' : `${segment.dimension}=${segment.value}`}`;
}

export interface Segment {
  readonly dimension: string;
  readonly value: string;
}

/** What one alert key is about, and how to tell someone about it. */
interface KeySpec {
  readonly key: string;
  readonly sourceKind: AlertSourceKind;
  readonly sourceId: string;
  readonly kind: AlertKind;
  readonly kpiId: string | null;
  readonly grain: Grain | null;
  readonly segment: Segment | null;
  readonly severity: Severity;
  readonly repeatEveryHours: number;
  readonly signal: AlertSignal;
  readonly stale: boolean;
  readonly observed: { readonly value: number | null; readonly periodStart: string | null; readonly periodEnd: string | null };
  readonly target: number | null;
  /** What the rule saw, for the event table. */
  readonly detail: string;
}

export function evaluateAlerts(input: EvaluateAlertsInput): AlertsOutcome {
  const { snapshotDate, now, settings } = input;
  const today = todayIn(input.timeZone, now);
  const previous = input.previous?.alerts ?? {};
  const alerts: Record<string, AlertKeyState> = {};
  const events: AlertEventRow[] = [];
  const notifications: AlertNotification[] = [];
  const dataTeam: DataTeamNotice[] = [];
  const staleTables = new Map<string, { kpiIds: Set<string>; heldAlerts: string[] }>();
  const markStale = (kpi: KpiDefinition, key?: string) => {
    const entry = staleTables.get(kpi.table) ?? { kpiIds: new Set<string>(), heldAlerts: [] };
    entry.kpiIds.add(kpi.id);
    if (key) entry.heldAlerts.push(key);
    staleTables.set(kpi.table, entry);
  };

  /** Runs one key through its lifecycle; returns the notification reason, if any. */
  const run = (spec: KeySpec): { reason: NotificationReason | undefined; state: AlertKeyState } => {
    const step = advanceAlert({
      previous: previous[spec.key],
      signal: spec.signal,
      stale: spec.stale,
      snapshotDate,
      now,
      repeatEveryHours: spec.repeatEveryHours,
      snooze: activeSnooze(settings.snoozes, spec.key, today),
      acknowledgements: matching(settings.acknowledged, spec.key),
      observed: spec.observed,
    });
    alerts[spec.key] = step.state;
    for (const t of step.transitions) {
      events.push({
        event_time: now, snapshot_date: snapshotDate, alert_key: spec.key, source_kind: spec.sourceKind, source_id: spec.sourceId,
        kind: spec.kind, kpi_id: spec.kpiId, grain: spec.grain,
        segment_dimension: spec.segment?.dimension ?? null, segment_value: spec.segment?.value ?? null,
        from_status: t.from, to_status: t.to, severity: spec.severity,
        period_start: spec.observed.periodStart, period_end: spec.observed.periodEnd, value: spec.observed.value, target: spec.target,
        notified: t.notified, reason: t.reason, detail: spec.detail === '' ? t.detail : `${t.detail}; ${spec.detail}`,
      });
    }
    return { reason: step.notification, state: step.state };
  };
  const notify = (spec: KeySpec, reason: NotificationReason, state: AlertKeyState, evaluation: GoalEvaluation, summary: Summary) => {
    notifications.push({ key: spec.key, reason, kind: spec.kind, severity: spec.severity, evaluation, summary, since: state.firingSince ?? state.since });
  };

  // Goals: kept-every-period goals by threshold (M of N, hysteresis), time-bound goals by pace.
  for (const evaluation of input.goals) {
    const { goal, kpi } = evaluation;
    const segment = segmentOf(goal.segment);
    const stale = input.staleKpis.has(kpi.id);
    const options = resolveGoalAlertOptions(goal);
    const common = {
      sourceKind: 'goal' as const, sourceId: goal.id, kpiId: kpi.id, grain: goal.grain, segment, severity: goal.severity, stale,
      repeatEveryHours: options.repeatEveryHours ?? settings.repeatEveryHours,
    };
    if (goal.deadline === undefined) {
      const key = alertKey(goal.id, 'threshold', segment);
      const before = previous[key];
      const series = seriesOf(input.snapshot, kpi.id, goal.grain, segment);
      const observation = thresholdObservation(series, evaluation.target, goal.direction, kpi, {
        ...options, ...(before?.resolvedPeriodEnd !== undefined && before.status !== 'firing' ? { countAfter: before.resolvedPeriodEnd } : {}),
      });
      const latest = observation.latest;
      const spec: KeySpec = {
        ...common, key, kind: 'threshold',
        signal: { judged: observation.latestJudged, breaching: observation.latestBreaching, confirmed: observation.confirmed, cleared: observation.cleared },
        observed: observedOf(latest), target: finiteOrNull(evaluation.target),
        detail: `${observation.breachingPeriods} of the last ${observation.n} periods on the wrong side (fires at ${observation.m}); clears at ${round(observation.clearLevel)}`,
      };
      if (stale) markStale(kpi, key);
      const { reason, state } = run(spec);
      if (reason) notify(spec, reason, state, evaluation, thresholdSummary(reason, observation, goal.grain, goal.direction));
    } else {
      const key = alertKey(goal.id, 'pacing', segment);
      const spec: KeySpec = {
        ...common, key, kind: 'pacing', signal: pacingSignal(evaluation.status),
        observed: { value: evaluation.actual, periodStart: evaluation.period?.start ?? null, periodEnd: evaluation.period?.end ?? null },
        target: finiteOrNull(evaluation.target),
        detail: `status ${evaluation.status}${evaluation.pace ? `, pace ${round(evaluation.pace.ratio)}` : ''}`,
      };
      if (stale) markStale(kpi, key);
      const { reason, state } = run(spec);
      if (reason) notify(spec, reason, state, evaluation, pacingSummary(reason, evaluation));
    }
  }

  // Anomaly and change rules, one key per slice.
  for (const rule of settings.rules) {
    const kpi = input.kpis.get(rule.kpi);
    if (!kpi) continue; // the config check reports unknown KPIs before anything runs
    const grain: Grain = rule.kind === 'anomaly' ? 'day' : rule.grain;
    const stale = input.staleKpis.has(kpi.id);
    for (const segment of ruleSegments(rule, input.snapshot, grain, previous)) {
      const key = alertKey(rule.id, rule.kind, segment);
      const series = seriesOf(input.snapshot, kpi.id, grain, segment);
      const common = {
        key, sourceKind: 'rule' as const, sourceId: rule.id, kind: rule.kind, kpiId: kpi.id, grain, segment, severity: rule.severity, stale,
        repeatEveryHours: rule.repeatEveryHours ?? settings.repeatEveryHours,
      };
      if (stale) markStale(kpi, key);
      if (rule.kind === 'anomaly') {
        const observation = anomalyObservation(series, rule, kpi, snapshotDate);
        const firing = observation.status === 'anomaly';
        const spec: KeySpec = {
          ...common,
          signal: { judged: firing || observation.status === 'normal', breaching: firing, confirmed: firing, cleared: observation.status === 'normal' },
          observed: observedOf(observation.latest), target: observation.baseline,
          detail: `${observation.status}: ${observation.detail}` +
            (observation.baseline === null ? '' : `; usual ${round(observation.baseline)}, band ${round(observation.lowerBound!)}…${round(observation.upperBound!)}`),
        };
        const { reason, state } = run(spec);
        if (reason) {
          const sameWeekday = series.filter((row) => row.period_start <= snapshotDate && (Date.parse(snapshotDate) - Date.parse(row.period_start)) % (7 * 86_400_000) === 0);
          notify(spec, reason, state, ruleEvaluation(rule, kpi, grain, segment, {
            latest: observation.latest, target: observation.baseline ?? 0, firing: reason !== 'resolved',
            unfavourable: firing, trend: sameWeekday.slice(-(rule.weeks + 1)),
          }), anomalySummary(reason, observation));
        }
      } else {
        const observation = changeObservation(series, rule, kpi);
        const firing = observation.status === 'change';
        const spec: KeySpec = {
          ...common,
          signal: { judged: firing || observation.status === 'normal', breaching: firing, confirmed: firing, cleared: observation.status === 'normal' },
          observed: observedOf(observation.latest), target: observation.previous?.value ?? null,
          detail: observation.change === null || observation.relativeChange === null ? observation.status
            : `${observation.status}: ${round(observation.change)} (${Number.isFinite(observation.relativeChange) ? signedPercent(observation.relativeChange) : 'from 0'}) vs ${round(observation.previous!.value!)}`,
        };
        const { reason, state } = run(spec);
        if (reason) {
          notify(spec, reason, state, ruleEvaluation(rule, kpi, grain, segment, {
            latest: observation.latest, target: observation.previous?.value ?? 0, firing: reason !== 'resolved',
            unfavourable: observation.unfavourable, trend: series.slice(-8),
          }), changeSummary(reason, observation, grain, kpi, input.currency));
        }
      }
    }
  }

  // Freshness: one data-team alert per late table, and its "on time again" once it is.
  const freshnessTables = new Set(staleTables.keys());
  for (const kpiId of input.staleKpis) {
    const kpi = input.kpis.get(kpiId);
    if (kpi && !freshnessTables.has(kpi.table)) { markStale(kpi); freshnessTables.add(kpi.table); }
  }
  for (const [key, state] of Object.entries(previous)) {
    const [table, kind] = key.split('|');
    if (kind === 'freshness' && state.status !== 'ok') freshnessTables.add(table!);
  }
  for (const table of [...freshnessTables].sort()) {
    const late = staleTables.get(table);
    const key = `${table}|freshness|all`;
    const kpiIds = late ? [...late.kpiIds].sort() : [];
    const spec: KeySpec = {
      key, sourceKind: 'freshness', sourceId: table, kind: 'freshness', kpiId: null, grain: null, segment: null, severity: 'warning',
      repeatEveryHours: settings.repeatEveryHours, stale: false,
      signal: late ? { judged: true, breaching: true, confirmed: true, cleared: false } : { judged: true, breaching: false, confirmed: false, cleared: true },
      observed: { value: null, periodStart: null, periodEnd: null }, target: null,
      detail: late ? `late KPIs: ${kpiIds.join(', ')}` : 'on time',
    };
    const { reason, state } = run(spec);
    if (reason) {
      dataTeam.push({
        key, reason, table, kpiIds, heldAlerts: late ? [...late.heldAlerts].sort() : [],
        since: state.firingSince ?? state.since, summary: freshnessSummary(reason, table, kpiIds),
      });
    }
  }

  const severityRank: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };
  notifications.sort((a, b) => severityRank[a.severity] - severityRank[b.severity] || a.key.localeCompare(b.key));
  return {
    state: { version: 1, updatedAt: now.toISOString(), alerts: sortedRecord(alerts) },
    events, notifications, dataTeam,
  };
}

/** Pacing is already judged by the goal maths; behind (or missed) fires, on track (or achieved) clears, at risk holds. */
function pacingSignal(status: GoalStatus): AlertSignal {
  switch (status) {
    case 'behind': return { judged: true, breaching: true, confirmed: true, cleared: false };
    // Missed at the deadline: told once, no reminders (nothing left to change).
    case 'missed': return { judged: true, breaching: true, confirmed: true, cleared: false, remindable: false };
    case 'on_track': case 'achieved': return { judged: true, breaching: false, confirmed: false, cleared: true };
    case 'at_risk': return { judged: true, breaching: false, confirmed: false, cleared: false };
    case 'no_data': return { judged: false, breaching: false, confirmed: false, cleared: false };
  }
}

/**
 * The goal-shaped evaluation an anomaly or change alert hands the email renderer: the "goal" line
 * is the usual value (anomaly) or the previous period (change), the direction the bad way for the
 * KPI, or the way it moved for a neutral KPI or an `either` rule's favourable move.
 */
function ruleEvaluation(
  rule: AnomalyRule | ChangeRule, kpi: KpiDefinition, grain: Grain, segment: Segment | null,
  facts: { latest: KpiSnapshotRow | undefined; target: number; firing: boolean; unfavourable: boolean; trend: readonly KpiSnapshotRow[] },
): GoalEvaluation {
  const actual = facts.latest?.value ?? null;
  const kpiWay: GoalDirection | undefined = kpi.direction === 'higher_is_better' ? 'at_least' : kpi.direction === 'lower_is_better' ? 'at_most' : undefined;
  const moved: GoalDirection = actual !== null && actual < facts.target ? 'at_least' : 'at_most';
  const direction = kpiWay !== undefined && (facts.unfavourable || !facts.firing) ? kpiWay : moved;
  const goal: Goal = {
    id: rule.id, kpi: rule.kpi, grain, target: facts.target, direction, owner: rule.owner, recipients: rule.recipients, severity: rule.severity,
    ...(segment ? { segment: { [segment.dimension]: segment.value } } : {}),
    ...(rule.description === undefined ? {} : { description: rule.description }),
  };
  const periodResult: PeriodResult = facts.firing ? 'breached' : 'met';
  const gap = actual === null ? null : actual - facts.target;
  return {
    goal, kpi, status: facts.firing ? 'behind' : 'on_track', periodResult,
    period: facts.latest ? { start: facts.latest.period_start, end: facts.latest.period_end } : null,
    actual, target: facts.target, gap,
    gapRatio: gap === null || facts.target === 0 ? null : gap / Math.abs(facts.target),
    trend: facts.trend.map((row) => ({ periodStart: row.period_start, value: row.value })),
  };
}

/** The slices a rule watches: its one segment, the whole, or every value of `segmentBy` seen now or still open in the state. */
function ruleSegments(rule: AnomalyRule | ChangeRule, snapshot: readonly KpiSnapshotRow[], grain: Grain, previous: Readonly<Record<string, AlertKeyState>>): Array<Segment | null> {
  if (rule.segmentBy === undefined) return [segmentOf(rule.segment)];
  const dimension = rule.segmentBy;
  const values = new Set<string>();
  for (const row of snapshot) {
    if (row.kpi_id === rule.kpi && row.grain === grain && row.segment_dimension === dimension && row.segment_value !== null) values.add(row.segment_value);
  }
  // A slice that vanished from the data while its alert was open stays until it resolves or goes ok.
  const prefix = `${rule.id}|${rule.kind}|${dimension}=`;
  for (const [key, state] of Object.entries(previous)) {
    if (key.startsWith(prefix) && state.status !== 'ok') values.add(key.slice(prefix.length));
  }
  return [...values].sort().map((value) => ({ dimension, value }));
}

function segmentOf(segment: Readonly<Record<string, string>> | undefined): Segment | null {
  const entry = Object.entries(segment ?? {})[0];
  return entry ? { dimension: entry[0], value: entry[1] } : null;
}

function seriesOf(snapshot: readonly KpiSnapshotRow[], kpiId: string, grain: Grain, segment: Segment | null): KpiSnapshotRow[] {
  return snapshot
    .filter((row) => row.kpi_id === kpiId && row.grain === grain &&
      (segment === null ? row.segment_dimension === null : row.segment_dimension === segment.dimension && row.segment_value === segment.value))
    .sort((a, b) => a.period_start.localeCompare(b.period_start));
}

function observedOf(row: KpiSnapshotRow | undefined): KeySpec['observed'] {
  return { value: row?.value ?? null, periodStart: row?.period_start ?? null, periodEnd: row?.period_end ?? null };
}

/** Config entries cover a key by the key itself, its goal or rule id, or `<id>|<kind>`. */
export function coversKey(entryKey: string, key: string): boolean {
  return key === entryKey || key.startsWith(`${entryKey}|`);
}

function matching(entries: readonly AlertAcknowledgement[], key: string): AlertAcknowledgement[] {
  return entries.filter((entry) => coversKey(entry.key, key));
}

/** The snooze in force today (inclusive of its `until` day); the longest one when several cover the key. */
export function activeSnooze(snoozes: readonly AlertSnooze[], key: string, today: string): AlertSnooze | undefined {
  return snoozes
    .filter((s) => coversKey(s.key, key) && today <= s.until)
    .sort((a, b) => b.until.localeCompare(a.until))[0];
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

function round(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(4))) : String(value);
}

function sortedRecord<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
