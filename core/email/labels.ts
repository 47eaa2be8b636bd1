import type { Locale, Severity } from '../config/schema.ts';

/**
 * The words the emails put on statuses, reasons, severities, alert kinds and KPI categories, in
 * Korean and English, and the tone (colour) of each status. Labels take plain strings so a
 * status, kind or category added later renders with a neutral label instead of failing.
 */

/** good: green, warn: amber, bad: red, neutral: grey. */
export type Tone = 'good' | 'warn' | 'bad' | 'neutral';

interface Label {
  readonly ko: string;
  readonly en: string;
}

interface StatusLabel extends Label {
  readonly tone: Tone;
}

const STATUS_LABELS: Readonly<Record<string, StatusLabel>> = {
  // A goal's standing (GoalStatus).
  on_track: { ko: '순항', en: 'On track', tone: 'good' },
  at_risk: { ko: '주의', en: 'At risk', tone: 'warn' },
  behind: { ko: '부진', en: 'Behind', tone: 'bad' },
  achieved: { ko: '달성', en: 'Achieved', tone: 'good' },
  missed: { ko: '미달성', en: 'Missed', tone: 'bad' },
  no_data: { ko: '데이터 없음', en: 'No data', tone: 'neutral' },
  // The last complete period against the target (PeriodResult) and the first cut's statuses.
  met: { ko: '충족', en: 'Met', tone: 'good' },
  breached: { ko: '목표 이탈', en: 'Off target', tone: 'bad' },
  insufficient_volume: { ko: '표본 부족', en: 'Low volume', tone: 'neutral' },
  // Alert-rule states.
  stale: { ko: '데이터 지연', en: 'Data late', tone: 'neutral' },
  insufficient_history: { ko: '이력 부족', en: 'Not enough history', tone: 'neutral' },
};

/** The status's label in the locale; an unknown status is shown as written ("new_state" → "new state"). */
export function statusLabel(status: string, locale: Locale): string {
  return own(STATUS_LABELS, status)?.[locale] ?? humanize(status);
}

/** The status's colour; unknown statuses are neutral. */
export function statusTone(status: string): Tone {
  return own(STATUS_LABELS, status)?.tone ?? 'neutral';
}

/** Whether a goal with this status counts as met in a scorecard ("5 of 8 goals met"). */
export function isMetStatus(status: string): boolean {
  return statusTone(status) === 'good';
}

const REASON_LABELS: Readonly<Record<string, Label>> = {
  firing: { ko: '신규', en: 'New' },
  repeat: { ko: '지속', en: 'Still firing' },
  resolved: { ko: '해소', en: 'Resolved' },
};

/** Why this alert is in the email: 신규 / 지속 / 해소 — New / Still firing / Resolved. */
export function reasonLabel(reason: string, locale: Locale): string {
  return own(REASON_LABELS, reason)?.[locale] ?? humanize(reason);
}

const SEVERITY_LABELS: Readonly<Record<string, Label>> = {
  critical: { ko: '심각', en: 'Critical' },
  warning: { ko: '경고', en: 'Warning' },
  info: { ko: '참고', en: 'Info' },
};

export function severityLabel(severity: Severity | string, locale: Locale): string {
  return own(SEVERITY_LABELS, severity)?.[locale] ?? humanize(severity);
}

const SEVERITY_RANK: Readonly<Record<string, number>> = { critical: 0, warning: 1, info: 2 };

/** critical 0, warning 1, info 2, anything else after them. */
export function severityRank(severity: string): number {
  return own(SEVERITY_RANK, severity) ?? 3;
}

const KIND_LABELS: Readonly<Record<string, Label>> = {
  threshold: { ko: '목표 기준', en: 'Threshold' },
  change: { ko: '급변', en: 'Sudden change' },
  anomaly: { ko: '이상 징후', en: 'Anomaly' },
  pacing: { ko: '진행 속도', en: 'Pacing' },
  freshness: { ko: '데이터 지연', en: 'Data late' },
};

/** The alert rule that fired. */
export function kindLabel(kind: string, locale: Locale): string {
  return own(KIND_LABELS, kind)?.[locale] ?? humanize(kind);
}

/** The scorecard's sections, in the order of the funnel. */
export const CATEGORY_ORDER: readonly string[] = ['acquisition', 'engagement', 'conversion', 'revenue', 'efficiency'];

const CATEGORY_LABELS: Readonly<Record<string, Label>> = {
  acquisition: { ko: '유입', en: 'Acquisition' },
  engagement: { ko: '참여', en: 'Engagement' },
  conversion: { ko: '전환', en: 'Conversion' },
  revenue: { ko: '매출', en: 'Revenue' },
  efficiency: { ko: '효율', en: 'Efficiency' },
};

export function categoryLabel(category: string, locale: Locale): string {
  return own(CATEGORY_LABELS, category)?.[locale] ?? humanize(category);
}

/** Badge colours per tone: background, text, and the stronger accent used for borders. */
export const TONE_COLORS: Readonly<Record<Tone, { readonly background: string; readonly text: string; readonly accent: string }>> = {
  good: { background: '#dcfae6', text: '#067647', accent: '#17b26a' },
  warn: { background: '#fef0c7', text: '#93370d', accent: '#f79009' },
  bad: { background: '#fee4e2', text: '#b42318', accent: '#f04438' },
  neutral: { background: '#f2f4f7', text: '#475467', accent: '#98a2b3' },
};

export const SEVERITY_TONE: Readonly<Record<string, Tone>> = { critical: 'bad', warning: 'warn', info: 'neutral' };

function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

function humanize(value: string): string {
  const words = value.replace(/[_-]+/g, ' ').trim();
  return words === '' ? '—' : words;
}
