import type { Grain, Locale } from '../config/schema.ts';
import type { GoalEvaluation } from '../goals/evaluation.ts';
import { formatGap, formatKpiValue, formatPercentChange, formatPeriod, grainLabel, MISSING_VALUE, parseCalendarDate } from './format.ts';
import { statusLabel, statusTone, type Tone } from './labels.ts';

/**
 * One goal's evaluation, formatted for an email in the recipient's language (plain text, not
 * yet escaped). Shared by the alert digest and the weekly scorecard.
 */
export interface GoalView {
  readonly goalId: string;
  /** The KPI's name in the locale. */
  readonly kpiName: string;
  /** The name with the segment's values: "전환율 (Organic Social)". */
  readonly kpiLabel: string;
  /** "channel_group: Organic Social", or null for the whole. */
  readonly segment: string | null;
  readonly grain: string;
  readonly period: string;
  readonly actual: string;
  readonly target: string;
  /** "≥ 2.5%" / "≤ ₩30,000" ("—" without a target). */
  readonly goal: string;
  readonly atMost: boolean;
  /** "−1.1%p (−44%)". */
  readonly gap: string;
  /** "−1.1%p" and "−44%" apart, for narrow table cells ("—" / null when unknown). */
  readonly gapAbsolute: string;
  readonly gapPercent: string | null;
  /** The actual is on the wrong side of the goal (null: no actual or no target). */
  readonly offTarget: boolean | null;
  readonly status: string;
  readonly statusTone: Tone;
  readonly owner: string;
  readonly definition: string;
  readonly note: string | null;
  /** The recent values: "2.6% → 2.7% → 1.4%" (null with fewer than two periods). */
  readonly trend: string | null;
  /** The first and last period of the trend, for the chart's ends: "10월 5일 주" … "11월 16일 주". */
  readonly trendRange: { readonly first: string; readonly last: string } | null;
}

export function describeGoal(evaluation: GoalEvaluation, locale: Locale, currency: string): GoalView {
  const { goal, kpi } = evaluation;
  const segmentValues = Object.entries(goal.segment ?? {});
  const name = kpi.name[locale];
  const atMost = goal.direction === 'at_most';
  const hasTarget = Number.isFinite(evaluation.target);
  const target = formatKpiValue(hasTarget ? evaluation.target : null, kpi.unit, locale, currency);
  const trend = evaluation.trend;
  const first = trend[0];
  const last = trend.at(-1);
  return {
    goalId: goal.id,
    kpiName: name,
    kpiLabel: segmentValues.length === 0 ? name : `${name} (${segmentValues.map(([, value]) => value).join(', ')})`,
    segment: segmentValues.length === 0 ? null : segmentValues.map(([key, value]) => `${key}: ${value}`).join(', '),
    grain: grainLabel(goal.grain, locale),
    period: evaluation.period === null
      ? MISSING_VALUE
      : formatPeriod(goal.grain, evaluation.period.start, evaluation.period.end, locale),
    actual: formatKpiValue(evaluation.actual, kpi.unit, locale, currency),
    target,
    goal: hasTarget ? `${atMost ? '≤' : '≥'} ${target}` : MISSING_VALUE,
    atMost,
    gap: formatGap(evaluation.gap, evaluation.gapRatio, kpi.unit, locale, currency),
    gapAbsolute: formatGap(evaluation.gap, null, kpi.unit, locale, currency),
    gapPercent: evaluation.gap === null || evaluation.gapRatio === null || !Number.isFinite(evaluation.gapRatio)
      ? null
      : formatPercentChange(evaluation.gapRatio, locale),
    offTarget: evaluation.actual === null || !Number.isFinite(evaluation.actual) || !hasTarget
      ? null
      : atMost ? evaluation.actual > evaluation.target : evaluation.actual < evaluation.target,
    status: statusLabel(evaluation.status, locale),
    statusTone: statusTone(evaluation.status),
    owner: goal.owner,
    definition: kpi.definition[locale],
    note: goal.description ?? null,
    trend: trend.length < 2
      ? null
      : trend.map((point) => formatKpiValue(point.value, kpi.unit, locale, currency)).join(' → '),
    trendRange: first === undefined || last === undefined || trend.length < 2
      ? null
      : { first: formatPeriodStart(goal.grain, first.periodStart, locale), last: formatPeriodStart(goal.grain, last.periodStart, locale) },
  };
}

/** Whether the trend has anything to draw: two periods or more, one with a value. */
export function hasChart(evaluation: GoalEvaluation): boolean {
  return evaluation.trend.length >= 2 && evaluation.trend.some((point) => point.value !== null && Number.isFinite(point.value));
}

/**
 * A period named by its start, short: day "11월 16일" / "Nov 16", week "11월 16일 주" /
 * "Week of Nov 16", month "2026년 11월" / "Nov 2026", quarter "2026년 4분기" / "Q4 2026".
 */
export function formatPeriodStart(grain: Grain, start: string, locale: Locale): string {
  const date = parseCalendarDate(start);
  const intl = locale === 'ko' ? 'ko-KR' : 'en-US';
  const monthDay = new Intl.DateTimeFormat(intl, { month: locale === 'ko' ? 'long' : 'short', day: 'numeric', timeZone: 'UTC' }).format(date);
  switch (grain) {
    case 'day':
      return monthDay;
    case 'week':
      return locale === 'ko' ? `${monthDay} 주` : `Week of ${monthDay}`;
    case 'month':
      return new Intl.DateTimeFormat(intl, { year: 'numeric', month: locale === 'ko' ? 'long' : 'short', timeZone: 'UTC' }).format(date);
    case 'quarter':
      return formatPeriod('quarter', start, start, locale);
  }
}
