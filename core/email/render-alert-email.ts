import type { Locale, Recipient, Severity } from '../config/schema.ts';
import type { GoalEvaluation } from '../goals/evaluation.ts';
import { MailError } from '../errors.ts';
import { escapeHtml } from './escape-html.ts';
import { formatDay, formatGap, formatKpiValue, formatPeriod, grainLabel, MISSING_VALUE } from './format.ts';

/**
 * The goal alert email for one recipient: a subject, an Outlook-safe HTML body (tables and
 * inline CSS only) and a plain-text body with the same information, in the recipient's language.
 */

export interface AlertEmailInput {
  readonly recipient: Recipient;
  /** The breached goals for this recipient. */
  readonly evaluations: readonly GoalEvaluation[];
  readonly project: string;
  /** ISO 4217 code used for currency KPIs. */
  readonly currency: string;
  /** YYYY-MM-DD. */
  readonly snapshotDate: string;
  readonly dashboardUrl?: string;
}

export interface RenderedEmail {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

interface Messages {
  readonly heading: (project: string) => string;
  readonly snapshot: (date: string) => string;
  readonly greeting: (name: string) => string;
  readonly intro: (count: number) => string;
  readonly severity: Record<Severity, string>;
  readonly period: string;
  readonly actual: string;
  readonly goal: string;
  readonly gap: string;
  readonly owner: string;
  readonly segment: string;
  readonly definition: string;
  readonly note: string;
  readonly trend: string;
  readonly dashboard: string;
  readonly oneSubject: (headline: string, target: string, atMost: boolean, grain: string) => string;
  readonly manySubject: (count: number, headline: string) => string;
  readonly footer: (email: string, goals: string, count: number, project: string) => string;
}

const MESSAGES: Record<Locale, Messages> = {
  ko: {
    heading: (project) => `${project} KPI 목표 알림`,
    snapshot: (date) => `${date} 스냅샷 기준`,
    greeting: (name) => `${name}님, 안녕하세요.`,
    intro: (count) => `목표를 벗어난 KPI가 ${count}건 있습니다.`,
    severity: { critical: '심각', warning: '경고', info: '참고' },
    period: '기간',
    actual: '실적',
    goal: '목표',
    gap: '차이',
    owner: '책임자',
    segment: '세그먼트',
    definition: '정의',
    note: '메모',
    trend: '추이',
    dashboard: '대시보드에서 보기',
    oneSubject: (headline, target, atMost, grain) =>
      `[KPI] ${headline} — 목표 ${target} ${atMost ? '초과' : '미달'} (${grain})`,
    manySubject: (count, headline) => `[KPI] 목표 미달 ${count}건 — ${headline} 외 ${count - 1}건`,
    footer: (email, goals, _count, project) =>
      `${email} 주소가 ${project} 프로젝트의 목표 ${goals}의 수신자로 등록되어 있어 이 메일을 보내 드렸습니다.`,
  },
  en: {
    heading: (project) => `${project} KPI goal alerts`,
    snapshot: (date) => `Snapshot of ${date}`,
    greeting: (name) => `Hi ${name},`,
    intro: (count) => count === 1 ? '1 goal is off target.' : `${count} goals are off target.`,
    severity: { critical: 'Critical', warning: 'Warning', info: 'Info' },
    period: 'Period',
    actual: 'Actual',
    goal: 'Goal',
    gap: 'Gap',
    owner: 'Owner',
    segment: 'Segment',
    definition: 'Definition',
    note: 'Note',
    trend: 'Trend',
    dashboard: 'Open the dashboard',
    oneSubject: (headline, target, atMost, grain) =>
      `[KPI] ${headline} — ${atMost ? 'above limit' : 'below goal'} ${target} (${grain})`,
    manySubject: (count, headline) => `[KPI] ${count} goals off target — ${headline} and ${count - 1} more`,
    footer: (email, goals, count, project) =>
      `You received this email because ${email} is listed as a recipient of ${count === 1 ? 'goal' : 'goals'} ${goals} in project ${project}.`,
  },
};

const SEVERITY_COLORS: Record<Severity, { readonly background: string; readonly text: string }> = {
  critical: { background: '#fee4e2', text: '#b42318' },
  warning: { background: '#fef0c7', text: '#93370d' },
  info: { background: '#e0eaff', text: '#1d4ed8' },
};

const FONT = "font-family:'Malgun Gothic','Apple SD Gothic Neo',Arial,Helvetica,sans-serif;";
const MAX_TREND_POINTS = 6;

/** Breached goals in the order the email shows them: critical → warning → info, then the largest |gapRatio|. */
export function sortAlerts(evaluations: readonly GoalEvaluation[]): GoalEvaluation[] {
  return [...evaluations].sort((a, b) =>
    SEVERITY_RANK[a.goal.severity] - SEVERITY_RANK[b.goal.severity] ||
    magnitude(b.gapRatio) - magnitude(a.gapRatio));
}

export function renderAlertEmail(input: AlertEmailInput): RenderedEmail {
  const context = { project: input.project, goals: input.evaluations.map((e) => e.goal.id) };
  const alerts = sortAlerts(input.evaluations.filter((e) => e.periodResult === 'breached'));
  if (alerts.length === 0) {
    throw new MailError('no breached goal to write an alert email about', { context });
  }
  try {
    const locale = input.recipient.locale;
    const views = alerts.map((evaluation) => describeAlert(evaluation, locale, input.currency));
    const snapshot = formatDay(input.snapshotDate, locale);
    const dashboardUrl = safeLinkUrl(input.dashboardUrl);
    const subject = renderSubject(views, locale);
    const common: CommonView = { ...input, locale, views, snapshot, dashboardUrl, subject };
    return { subject, html: renderHtml(common), text: renderText(common) };
  } catch (error) {
    throw new MailError(`could not render the alert email: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
      context,
    });
  }
}

/** Everything one alert shows, already formatted (not yet escaped). */
interface AlertView {
  readonly goalId: string;
  readonly severity: Severity;
  readonly kpiLabel: string;
  readonly segment: string | null;
  readonly grain: string;
  readonly period: string;
  readonly actual: string;
  readonly target: string;
  readonly goal: string;
  readonly atMost: boolean;
  readonly gap: string;
  readonly owner: string;
  readonly definition: string;
  readonly note: string | null;
  readonly trend: string | null;
}

interface CommonView extends AlertEmailInput {
  readonly locale: Locale;
  readonly views: readonly AlertView[];
  readonly snapshot: string;
  readonly dashboardUrl: string | undefined;
  readonly subject: string;
}

function describeAlert(evaluation: GoalEvaluation, locale: Locale, currency: string): AlertView {
  const { goal, kpi } = evaluation;
  const segmentValues = Object.entries(goal.segment ?? {});
  const name = kpi.name[locale];
  const atMost = goal.direction === 'at_most';
  const target = formatKpiValue(evaluation.target, kpi.unit, locale, currency);
  const trendPoints = evaluation.trend.slice(-MAX_TREND_POINTS);
  return {
    goalId: goal.id,
    severity: goal.severity,
    kpiLabel: segmentValues.length === 0 ? name : `${name} (${segmentValues.map(([, value]) => value).join(', ')})`,
    segment: segmentValues.length === 0 ? null : segmentValues.map(([key, value]) => `${key}: ${value}`).join(', '),
    grain: grainLabel(goal.grain, locale),
    period: evaluation.period === null
      ? MISSING_VALUE
      : formatPeriod(goal.grain, evaluation.period.start, evaluation.period.end, locale),
    actual: formatKpiValue(evaluation.actual, kpi.unit, locale, currency),
    target,
    goal: `${atMost ? '≤' : '≥'} ${target}`,
    atMost,
    gap: formatGap(evaluation.gap, evaluation.gapRatio, kpi.unit, locale, currency),
    owner: goal.owner,
    definition: kpi.definition[locale],
    note: goal.description ?? null,
    trend: trendPoints.length < 2
      ? null
      : trendPoints.map((point) => formatKpiValue(point.value, kpi.unit, locale, currency)).join(' → '),
  };
}

function renderSubject(views: readonly AlertView[], locale: Locale): string {
  const messages = MESSAGES[locale];
  const [first] = views;
  if (first === undefined) throw new RangeError('no alert for the subject');
  const headline = `${first.kpiLabel} ${first.actual}`;
  const subject = views.length === 1
    ? messages.oneSubject(headline, first.target, first.atMost, first.grain)
    : messages.manySubject(views.length, headline);
  return oneLine(subject);
}

function renderHtml(view: CommonView): string {
  const messages = MESSAGES[view.locale];
  const name = view.recipient.name;
  const rows: string[] = [];

  rows.push(
    `<tr><td style="padding:24px 24px 8px 24px;${FONT}">` +
    `<h1 style="margin:0;font-size:20px;line-height:28px;color:#101828;font-weight:bold;${FONT}">${escapeHtml(messages.heading(view.project))}</h1>` +
    `<p style="margin:4px 0 0 0;font-size:13px;line-height:20px;color:#667085;${FONT}">${escapeHtml(messages.snapshot(view.snapshot))}</p>` +
    `</td></tr>`,
  );
  const intro = (name === undefined ? '' : `${messages.greeting(name)} `) + messages.intro(view.views.length);
  rows.push(
    `<tr><td style="padding:8px 24px 16px 24px;font-size:14px;line-height:22px;color:#344054;${FONT}">${escapeHtml(intro)}</td></tr>`,
  );
  for (const alert of view.views) rows.push(renderAlertHtml(alert, messages));
  if (view.dashboardUrl !== undefined) {
    rows.push(
      `<tr><td style="padding:0 24px 24px 24px;${FONT}">` +
      `<table role="presentation" cellpadding="0" cellspacing="0" border="0"><tr>` +
      `<td bgcolor="#1d4ed8" style="background-color:#1d4ed8;padding:10px 18px;">` +
      `<a href="${escapeHtml(view.dashboardUrl)}" style="color:#ffffff;text-decoration:none;font-size:14px;font-weight:bold;${FONT}">${escapeHtml(messages.dashboard)}</a>` +
      `</td></tr></table></td></tr>`,
    );
  }
  rows.push(
    `<tr><td style="padding:16px 24px 24px 24px;border-top:1px solid #e4e7ec;font-size:12px;line-height:18px;color:#667085;${FONT}">` +
    `${escapeHtml(footerText(view))}</td></tr>`,
  );

  return '<!DOCTYPE html>\n' +
    `<html lang="${view.locale}">\n<head>\n<meta charset="utf-8">\n` +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    `<title>${escapeHtml(view.subject)}</title>\n</head>\n` +
    `<body style="margin:0;padding:0;background-color:#f2f4f7;">\n` +
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="#f2f4f7" style="background-color:#f2f4f7;">\n` +
    `<tr><td align="center" style="padding:24px 8px;">\n` +
    `<table role="presentation" width="640" cellpadding="0" cellspacing="0" border="0" bgcolor="#ffffff" style="width:640px;max-width:640px;background-color:#ffffff;border:1px solid #e4e7ec;">\n` +
    rows.join('\n') +
    '\n</table>\n</td></tr>\n</table>\n</body>\n</html>\n';
}

function renderAlertHtml(alert: AlertView, messages: Messages): string {
  const colors = SEVERITY_COLORS[alert.severity];
  const label = `padding:6px 12px 6px 16px;font-size:13px;line-height:20px;color:#667085;vertical-align:top;${FONT}`;
  const value = `padding:6px 16px 6px 0;font-size:14px;line-height:20px;color:#101828;vertical-align:top;${FONT}`;
  const row = (name: string, content: string, extra = ''): string =>
    `<tr><td width="120" style="${label}">${escapeHtml(name)}</td><td style="${value}${extra}">${escapeHtml(content)}</td></tr>`;
  const details = [
    row(messages.period, alert.period),
    row(messages.actual, alert.actual, `font-weight:bold;color:${colors.text};`),
    row(messages.goal, alert.goal),
    row(messages.gap, alert.gap, `color:${colors.text};`),
    row(messages.owner, alert.owner),
    alert.segment === null ? '' : row(messages.segment, alert.segment),
    alert.trend === null ? '' : row(messages.trend, alert.trend),
    row(messages.definition, alert.definition, 'color:#475467;font-size:13px;'),
    alert.note === null ? '' : row(messages.note, alert.note, 'color:#475467;font-size:13px;'),
  ].filter((line) => line !== '');
  return `<tr><td style="padding:0 24px 16px 24px;">` +
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border:1px solid #e4e7ec;border-collapse:collapse;">` +
    `<tr><td colspan="2" bgcolor="#f9fafb" style="padding:12px 16px;background-color:#f9fafb;border-bottom:1px solid #e4e7ec;${FONT}">` +
    `<span style="display:inline-block;padding:2px 8px;background-color:${colors.background};color:${colors.text};font-size:12px;line-height:18px;font-weight:bold;${FONT}">${escapeHtml(messages.severity[alert.severity])}</span>` +
    `&nbsp;&nbsp;<span style="font-size:16px;line-height:24px;font-weight:bold;color:#101828;${FONT}">${escapeHtml(alert.kpiLabel)}</span>` +
    `&nbsp;<span style="font-size:13px;color:#667085;${FONT}">· ${escapeHtml(alert.grain)}</span>` +
    `</td></tr>` +
    details.join('') +
    `</table></td></tr>`;
}

function renderText(view: CommonView): string {
  const messages = MESSAGES[view.locale];
  const name = view.recipient.name;
  const lines: string[] = [
    messages.heading(view.project),
    messages.snapshot(view.snapshot),
    '',
    (name === undefined ? '' : `${messages.greeting(name)} `) + messages.intro(view.views.length),
  ];
  view.views.forEach((alert, index) => {
    lines.push(
      '',
      `${index + 1}. [${messages.severity[alert.severity]}] ${alert.kpiLabel} · ${alert.grain}`,
      `   ${messages.period}: ${alert.period}`,
      `   ${messages.actual}: ${alert.actual}`,
      `   ${messages.goal}: ${alert.goal}`,
      `   ${messages.gap}: ${alert.gap}`,
      `   ${messages.owner}: ${alert.owner}`,
    );
    if (alert.segment !== null) lines.push(`   ${messages.segment}: ${alert.segment}`);
    if (alert.trend !== null) lines.push(`   ${messages.trend}: ${alert.trend}`);
    lines.push(`   ${messages.definition}: ${alert.definition}`);
    if (alert.note !== null) lines.push(`   ${messages.note}: ${alert.note}`);
  });
  if (view.dashboardUrl !== undefined) lines.push('', `${messages.dashboard}: ${view.dashboardUrl}`);
  lines.push('', '-- ', footerText(view));
  return lines.map((line) => oneLine(line)).join('\n') + '\n';
}

function footerText(view: CommonView): string {
  const goalIds = [...new Set(view.views.map((alert) => alert.goalId))];
  const list = new Intl.ListFormat(view.locale === 'ko' ? 'ko-KR' : 'en-US', { type: 'conjunction' })
    .format(goalIds.map((id) => `'${id}'`));
  return MESSAGES[view.locale].footer(view.recipient.email, list, goalIds.length, view.project);
}

/** Only http(s) links are rendered; anything else (javascript:, data:) is left out. */
function safeLinkUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** Control characters (line breaks, tabs) in names would break a header or a text line. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
}

function magnitude(ratio: number | null): number {
  return ratio === null || !Number.isFinite(ratio) ? -1 : Math.abs(ratio);
}
