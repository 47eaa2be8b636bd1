import type { AlertNotification } from '../alerts/notification.ts';
import type { Locale, Recipient } from '../config/schema.ts';
import { MailError } from '../errors.ts';
import type { InlineAttachment } from './compose-mime.ts';
import { escapeHtml } from './escape-html.ts';
import { formatDay, formatKpiValue } from './format.ts';
import { describeGoal, type GoalView } from './goal-view.ts';
import { attachTrendChart, type InlineImage } from './inline-trend-chart.ts';
import {
  badge, emailDocument, FONT, footerRow, formatCount, formatDateTime, formatElapsed, headerRow, INTL_LOCALE, oneLine,
  paragraphRow, safeLinkUrl, sectionRow, usableTimeZone,
} from './html-layout.ts';
import { kindLabel, reasonLabel, SEVERITY_TONE, severityLabel, severityRank, TONE_COLORS, type Tone } from './labels.ts';

/**
 * The alert digest: ONE email per recipient per run with all their alerts, grouped — critical
 * alerts first ("Needs attention now"), then the other alerts, then what resolved. Each alert is a
 * card with the KPI, actual, goal, gap, period, status, reason, owner, the alert's one-line summary,
 * a trend chart (an inline PNG referenced by `cid:`) and the dashboard link. Korean or English
 * per recipient; times in the recipient's time zone. A pure function: the same input gives the
 * same email, byte for byte.
 */

export interface DigestEmailInput {
  readonly recipient: Recipient;
  /** This recipient's alerts of this run (any order). */
  readonly notifications: readonly AlertNotification[];
  readonly project: string;
  /** ISO 4217 code used for currency KPIs. */
  readonly currency: string;
  /** The snapshot the alerts were judged on, YYYY-MM-DD. */
  readonly snapshotDate: string;
  /** The business time zone: times are shown in the recipient's zone, else in this one. */
  readonly timeZone: string;
  /** When the email is written: shown in the header, and "since" is measured from it. */
  readonly now: Date;
  readonly dashboardUrl?: string;
}

/** A rendered email with the images its HTML refers to as `cid:`. */
export interface RenderedEmailWithImages {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
  readonly attachments: readonly InlineAttachment[];
}

export type DigestSectionId = 'attention' | 'other' | 'resolved';

export interface DigestSection {
  readonly id: DigestSectionId;
  readonly notifications: readonly AlertNotification[];
}

/** The chart inside a card: the card is 592 px wide, less its borders and padding. */
const CHART_WIDTH = 544;
const CHART_HEIGHT = 150;

const REASON_RANK: Record<string, number> = { firing: 0, repeat: 1, resolved: 2 };

interface Messages {
  readonly heading: (project: string) => string;
  readonly subtitle: (snapshot: string, sentAt: string) => string;
  readonly greeting: (name: string) => string;
  readonly counts: { readonly firing: (n: string) => string; readonly repeat: (n: string) => string; readonly resolved: (n: string) => string };
  readonly intro: (list: string) => string;
  readonly sections: Record<DigestSectionId, string>;
  readonly actual: string;
  readonly actualToDate: string;
  readonly goal: string;
  readonly gap: string;
  readonly projected: string;
  readonly period: string;
  readonly status: string;
  readonly kind: string;
  readonly since: string;
  readonly firstFired: string;
  readonly owner: string;
  readonly segment: string;
  readonly trend: string;
  readonly definition: string;
  readonly goalLine: (goal: string) => string;
  readonly dashboard: string;
  readonly offTarget: (target: string, atMost: boolean) => string;
  readonly pace: (target: string, status: string) => string;
  readonly other: (label: string) => string;
  readonly one: (headline: string, what: string, grain: string) => string;
  readonly many: (count: string, headline: string, more: string) => string;
  readonly andResolved: (count: string) => string;
  readonly oneResolved: (headline: string, grain: string) => string;
  readonly manyResolved: (count: string, headline: string, more: string) => string;
  readonly footer: (email: string, goals: string, count: number, project: string, timeZone: string) => string;
}

const MESSAGES: Record<Locale, Messages> = {
  ko: {
    heading: (project) => `${project} KPI 알림`,
    subtitle: (snapshot, sentAt) => `${snapshot} 스냅샷 기준 · ${sentAt} 발송`,
    greeting: (name) => `${name}님, 안녕하세요.`,
    counts: {
      firing: (n) => `새 알림 ${n}건`,
      repeat: (n) => `계속되는 알림 ${n}건`,
      resolved: (n) => `해소된 알림 ${n}건`,
    },
    intro: (list) => `${list}이 있습니다.`,
    sections: { attention: '지금 확인이 필요한 알림', other: '그 밖의 알림', resolved: '해소된 알림' },
    actual: '실적',
    actualToDate: '현재까지 실적',
    goal: '목표',
    gap: '차이',
    projected: '마감 예상',
    period: '기간',
    status: '상태',
    kind: '알림 유형',
    since: '시작',
    firstFired: '최초 발생',
    owner: '책임자',
    segment: '세그먼트',
    trend: '추이',
    definition: '정의',
    goalLine: (goal) => `점선: 목표 ${goal}`,
    dashboard: '대시보드에서 보기',
    offTarget: (target, atMost) => `목표 ${target} ${atMost ? '초과' : '미달'}`,
    pace: (target, status) => `목표 ${target} 대비 ${status}`,
    other: (label) => label,
    one: (headline, what, grain) => `[KPI] ${headline} — ${what} (${grain})`,
    many: (count, headline, more) => `[KPI] 알림 ${count}건 — ${headline} 외 ${more}건`,
    andResolved: (count) => `, 해소 ${count}건`,
    oneResolved: (headline, grain) => `[KPI] 해소 — ${headline} (${grain})`,
    manyResolved: (count, headline, more) => `[KPI] 해소 ${count}건 — ${headline} 외 ${more}건`,
    footer: (email, goals, _count, project, timeZone) =>
      `${email} 주소가 ${project} 프로젝트의 목표 ${goals}의 수신자로 등록되어 있어 이 메일을 보내 드렸습니다. 시간은 ${timeZone} 기준입니다.`,
  },
  en: {
    heading: (project) => `${project} KPI alerts`,
    subtitle: (snapshot, sentAt) => `Snapshot of ${snapshot} · sent ${sentAt}`,
    greeting: (name) => `Hi ${name},`,
    counts: {
      firing: (n) => `${n} new ${n === '1' ? 'alert' : 'alerts'}`,
      repeat: (n) => `${n} still firing`,
      resolved: (n) => `${n} resolved`,
    },
    intro: (list) => `your KPI alerts: ${list}.`,
    sections: { attention: 'Needs attention now', other: 'Other alerts', resolved: 'Resolved' },
    actual: 'Actual',
    actualToDate: 'Actual to date',
    goal: 'Goal',
    gap: 'Gap',
    projected: 'Projected',
    period: 'Period',
    status: 'Status',
    kind: 'Alert type',
    since: 'Since',
    firstFired: 'First fired',
    owner: 'Owner',
    segment: 'Segment',
    trend: 'Trend',
    definition: 'Definition',
    goalLine: (goal) => `Dashed line: goal ${goal}`,
    dashboard: 'Open the dashboard',
    offTarget: (target, atMost) => `${atMost ? 'above limit' : 'below goal'} ${target}`,
    pace: (target, status) => `${status.toLowerCase()}, goal ${target}`,
    other: (label) => label.toLowerCase(),
    one: (headline, what, grain) => `[KPI] ${headline} — ${what} (${grain})`,
    many: (count, headline, more) => `[KPI] ${count} alerts — ${headline} and ${more} more`,
    andResolved: (count) => `; ${count} resolved`,
    oneResolved: (headline, grain) => `[KPI] Resolved — ${headline} (${grain})`,
    manyResolved: (count, headline, more) => `[KPI] ${count} resolved — ${headline} and ${more} more`,
    footer: (email, goals, count, project, timeZone) =>
      `You received this email because ${email} is listed as a recipient of ${count === 1 ? 'goal' : 'goals'} ${goals} in project ${project}. Times are in ${timeZone}.`,
  },
};

/**
 * The notifications in the order the digest shows them: critical alerts that are not resolved
 * ("attention"), the other alerts ("other"), then the resolved ones. Within a section: severity,
 * new before still firing, the largest relative gap, then the key. Empty sections are left out.
 */
export function groupNotifications(notifications: readonly AlertNotification[]): DigestSection[] {
  const sorted = [...notifications].sort(compareNotifications);
  const sections: DigestSection[] = [
    { id: 'attention', notifications: sorted.filter((n) => n.reason !== 'resolved' && n.severity === 'critical') },
    { id: 'other', notifications: sorted.filter((n) => n.reason !== 'resolved' && n.severity !== 'critical') },
    { id: 'resolved', notifications: sorted.filter((n) => n.reason === 'resolved') },
  ];
  return sections.filter((section) => section.notifications.length > 0);
}

export function renderDigestEmail(input: DigestEmailInput): RenderedEmailWithImages {
  const context = { project: input.project, to: input.recipient.email, alerts: input.notifications.map((n) => n.key) };
  if (input.notifications.length === 0) {
    throw new MailError('no alert to write a digest email about', { context });
  }
  try {
    return render(input);
  } catch (error) {
    throw new MailError(`could not render the alert digest: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
      context,
    });
  }
}

/** One alert, formatted. */
interface Card {
  readonly notification: AlertNotification;
  readonly view: GoalView;
  readonly summary: string;
  readonly since: string;
  readonly sinceAgo: string | null;
  readonly projected: string | null;
  readonly image: InlineImage | null;
}

interface View {
  readonly input: DigestEmailInput;
  readonly locale: Locale;
  readonly messages: Messages;
  readonly sections: ReadonlyArray<{ readonly id: DigestSectionId; readonly cards: readonly Card[] }>;
  readonly subject: string;
  readonly subtitle: string;
  readonly intro: string;
  readonly footer: string;
  readonly dashboardUrl: string | undefined;
}

function render(input: DigestEmailInput): RenderedEmailWithImages {
  const locale = input.recipient.locale;
  const messages = MESSAGES[locale];
  const timeZone = usableTimeZone(input.recipient.timezone, input.timeZone);
  const attachments: InlineAttachment[] = [];
  let index = 0;
  const sections = groupNotifications(input.notifications).map((section) => ({
    id: section.id,
    cards: section.notifications.map((notification): Card => {
      index += 1;
      const evaluation = notification.evaluation;
      const view = describeGoal(evaluation, locale, input.currency);
      const image = attachTrendChart(evaluation, view, { locale, currency: input.currency, width: CHART_WIDTH, height: CHART_HEIGHT, name: 'trend', index }, attachments);
      return {
        notification,
        view,
        summary: notification.summary[locale],
        since: formatDateTime(notification.since, locale, timeZone),
        sinceAgo: formatElapsed(notification.since, input.now, locale),
        projected: evaluation.pace === undefined
          ? null
          : formatKpiValue(evaluation.pace.projected, evaluation.kpi.unit, locale, input.currency),
        image,
      };
    }),
  }));

  const cards = sections.flatMap((section) => section.cards);
  const count = (reason: string) => cards.filter((card) => card.notification.reason === reason).length;
  const countParts = (['firing', 'repeat', 'resolved'] as const)
    .filter((reason) => count(reason) > 0)
    .map((reason) => messages.counts[reason](formatCount(count(reason), locale)));
  const list = new Intl.ListFormat(INTL_LOCALE[locale], { type: 'conjunction' }).format(countParts);
  const name = input.recipient.name;
  const goalIds = [...new Set(cards.map((card) => card.view.goalId))].sort();
  const goalList = new Intl.ListFormat(INTL_LOCALE[locale], { type: 'conjunction' }).format(goalIds.map((id) => `'${id}'`));

  const view: View = {
    input,
    locale,
    messages,
    sections,
    subject: oneLine(renderSubject(cards, locale)),
    subtitle: messages.subtitle(formatDay(input.snapshotDate, locale), formatDateTime(input.now, locale, timeZone)),
    intro: (name === undefined ? '' : `${messages.greeting(name)} `) + messages.intro(list),
    footer: messages.footer(input.recipient.email, goalList, goalIds.length, input.project, timeZone),
    dashboardUrl: safeLinkUrl(input.dashboardUrl),
  };
  return { subject: view.subject, html: renderHtml(view), text: renderText(view), attachments };
}

function renderSubject(cards: readonly Card[], locale: Locale): string {
  const messages = MESSAGES[locale];
  const active = cards.filter((card) => card.notification.reason !== 'resolved');
  const resolved = cards.filter((card) => card.notification.reason === 'resolved');
  const headline = (card: Card) => `${card.view.kpiLabel} ${card.view.actual}`;
  const [first] = active;
  if (first !== undefined) {
    const main = active.length === 1
      ? messages.one(headline(first), whatHappened(first, locale), first.view.grain)
      : messages.many(formatCount(active.length, locale), headline(first), formatCount(active.length - 1, locale));
    return resolved.length === 0 ? main : main + messages.andResolved(formatCount(resolved.length, locale));
  }
  const [firstResolved] = resolved;
  if (firstResolved === undefined) throw new RangeError('no alert for the subject');
  return resolved.length === 1
    ? messages.oneResolved(headline(firstResolved), firstResolved.view.grain)
    : messages.manyResolved(formatCount(resolved.length, locale), headline(firstResolved), formatCount(resolved.length - 1, locale));
}

/** "목표 2.5% 미달" for a value off target, the pace for a time-bound goal, else the kind of alert. */
function whatHappened(card: Card, locale: Locale): string {
  const messages = MESSAGES[locale];
  const { view, notification } = card;
  if (notification.evaluation.pace !== undefined) return messages.pace(view.target, view.status);
  if (view.offTarget === true && notification.kind !== 'freshness') return messages.offTarget(view.target, view.atMost);
  if (notification.kind === 'threshold') return messages.other(view.status);
  return messages.other(kindLabel(notification.kind, locale));
}

const SECTION_TONE: Record<DigestSectionId, Tone> = { attention: 'bad', other: 'warn', resolved: 'good' };

function renderHtml(view: View): string {
  const { messages } = view;
  const rows: string[] = [
    headerRow(messages.heading(view.input.project), view.subtitle),
    paragraphRow(view.intro),
  ];
  for (const section of view.sections) {
    rows.push(sectionRow(`${messages.sections[section.id]} (${formatCount(section.cards.length, view.locale)})`, SECTION_TONE[section.id]));
    for (const card of section.cards) rows.push(renderCardHtml(card, view));
  }
  rows.push(footerRow(view.footer));
  return emailDocument({ locale: view.locale, title: view.subject, rows });
}

function renderCardHtml(card: Card, view: View): string {
  const { messages, locale } = view;
  const { notification, view: goal } = card;
  const resolved = notification.reason === 'resolved';
  const severityTone = SEVERITY_TONE[notification.severity] ?? 'neutral';
  const accent = resolved ? TONE_COLORS.good.accent : TONE_COLORS[severityTone].accent;
  const numberColor = goal.offTarget === true ? TONE_COLORS.bad.text : goal.offTarget === false ? TONE_COLORS.good.text : '#101828';
  const label = `padding:4px 12px 4px 0;font-size:13px;line-height:20px;color:#667085;vertical-align:top;white-space:nowrap;${FONT}`;
  const value = `padding:4px 0;font-size:14px;line-height:20px;color:#101828;vertical-align:top;${FONT}`;
  const detail = (name: string, content: string | null): string => content === null
    ? ''
    : `<tr><td width="110" style="${label}">${escapeHtml(name)}</td><td style="${value}">${escapeHtml(content)}</td></tr>`;
  const tile = (name: string, content: string, color: string, width: string): string =>
    `<td width="${width}" valign="top" style="padding:0 8px 0 0;vertical-align:top;${FONT}">` +
    `<p style="margin:0;font-size:12px;line-height:18px;color:#667085;${FONT}">${escapeHtml(name)}</p>` +
    `<p style="margin:2px 0 0 0;font-size:20px;line-height:28px;font-weight:bold;color:${color};${FONT}">${escapeHtml(content)}</p></td>`;
  const hasPace = notification.evaluation.pace !== undefined;

  const parts: string[] = [];
  // Header: severity, reason, KPI and grain.
  parts.push(
    `<tr><td bgcolor="#f9fafb" style="padding:12px 16px;background-color:#f9fafb;border-bottom:1px solid #e4e7ec;${FONT}">` +
    badge(severityLabel(notification.severity, locale), resolved ? 'neutral' : severityTone) + '&nbsp;' +
    badge(reasonLabel(notification.reason, locale), resolved ? 'good' : notification.reason === 'firing' ? 'bad' : 'warn') +
    `&nbsp;&nbsp;<span style="font-size:16px;line-height:24px;font-weight:bold;color:#101828;${FONT}">${escapeHtml(goal.kpiLabel)}</span>` +
    `&nbsp;<span style="font-size:13px;line-height:24px;color:#667085;${FONT}">· ${escapeHtml(goal.grain)}</span>` +
    '</td></tr>',
  );
  // The one-line summary in the recipient's language.
  if (card.summary.trim() !== '') {
    parts.push(`<tr><td style="padding:12px 16px 0 16px;font-size:14px;line-height:22px;color:#344054;${FONT}">${escapeHtml(card.summary)}</td></tr>`);
  }
  // The key numbers.
  parts.push(
    '<tr><td style="padding:12px 16px 4px 16px;">' +
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"><tr>' +
    tile(hasPace ? messages.actualToDate : messages.actual, goal.actual, numberColor, '30%') +
    tile(messages.goal, goal.goal, '#101828', '30%') +
    tile(messages.gap, goal.gap, numberColor, '40%') +
    '</tr></table></td></tr>',
  );
  // The chart, with its first and last period under it and what the dashed line is.
  if (card.image !== null) {
    parts.push(
      '<tr><td style="padding:12px 16px 0 16px;">' +
      `<img src="cid:${escapeHtml(card.image.cid)}" width="${card.image.width}" height="${card.image.height}" alt="${escapeHtml(card.image.alt)}" border="0" ` +
      // Outlook uses the attributes; elsewhere the chart shrinks with the column on a phone.
      `style="display:block;width:100%;max-width:${card.image.width}px;height:auto;border:0;outline:none;text-decoration:none;">` +
      '</td></tr>',
    );
    const range = goal.trendRange;
    if (range !== null) {
      const small = `font-size:12px;line-height:18px;color:#667085;${FONT}`;
      parts.push(
        '<tr><td style="padding:2px 16px 0 16px;">' +
        `<table role="presentation" width="${card.image.width}" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:${card.image.width}px;"><tr>` +
        `<td align="left" style="${small}">${escapeHtml(range.first)}</td>` +
        `<td align="center" style="${small}">${escapeHtml(goal.goal === '—' ? '' : messages.goalLine(goal.goal))}</td>` +
        `<td align="right" style="${small}">${escapeHtml(range.last)}</td>` +
        '</tr></table></td></tr>',
      );
    }
  }
  // The details.
  parts.push(
    '<tr><td style="padding:12px 16px 8px 16px;">' +
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">' +
    detail(messages.period, goal.period) +
    detail(messages.status, goal.status) +
    detail(messages.projected, card.projected) +
    detail(messages.kind, kindLabel(notification.kind, locale)) +
    detail(resolved ? messages.firstFired : messages.since, card.sinceAgo === null ? card.since : `${card.since} (${card.sinceAgo})`) +
    detail(messages.owner, goal.owner) +
    detail(messages.segment, goal.segment) +
    detail(messages.trend, goal.trend) +
    detail(messages.definition, goal.definition) +
    '</table></td></tr>',
  );
  if (view.dashboardUrl !== undefined) {
    parts.push(
      `<tr><td style="padding:0 16px 14px 16px;font-size:14px;line-height:20px;${FONT}">` +
      `<a href="${escapeHtml(view.dashboardUrl)}" style="color:#1d4ed8;text-decoration:underline;font-weight:bold;${FONT}">${escapeHtml(messages.dashboard)} &rarr;</a>` +
      '</td></tr>',
    );
  }
  return '<tr><td style="padding:0 24px 16px 24px;">' +
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" ' +
    `style="border:1px solid #e4e7ec;border-left:4px solid ${accent};border-collapse:collapse;">` +
    parts.join('') +
    '</table></td></tr>';
}

function renderText(view: View): string {
  const { messages, locale } = view;
  const lines: string[] = [messages.heading(view.input.project), view.subtitle, '', view.intro];
  let number = 0;
  for (const section of view.sections) {
    lines.push('', `== ${messages.sections[section.id]} (${formatCount(section.cards.length, locale)}) ==`);
    for (const card of section.cards) {
      number += 1;
      const { notification, view: goal } = card;
      const hasPace = notification.evaluation.pace !== undefined;
      lines.push(
        '',
        `${number}. [${severityLabel(notification.severity, locale)} · ${reasonLabel(notification.reason, locale)}] ${goal.kpiLabel} · ${goal.grain}`,
      );
      if (card.summary.trim() !== '') lines.push(`   ${card.summary}`);
      lines.push(
        `   ${hasPace ? messages.actualToDate : messages.actual}: ${goal.actual}`,
        `   ${messages.goal}: ${goal.goal}`,
        `   ${messages.gap}: ${goal.gap}`,
        `   ${messages.period}: ${goal.period}`,
        `   ${messages.status}: ${goal.status}`,
      );
      if (card.projected !== null) lines.push(`   ${messages.projected}: ${card.projected}`);
      lines.push(
        `   ${messages.kind}: ${kindLabel(notification.kind, locale)}`,
        `   ${notification.reason === 'resolved' ? messages.firstFired : messages.since}: ${card.sinceAgo === null ? card.since : `${card.since} (${card.sinceAgo})`}`,
        `   ${messages.owner}: ${goal.owner}`,
      );
      if (goal.segment !== null) lines.push(`   ${messages.segment}: ${goal.segment}`);
      if (goal.trend !== null) lines.push(`   ${messages.trend}: ${goal.trend}`);
      lines.push(`   ${messages.definition}: ${goal.definition}`);
      if (view.dashboardUrl !== undefined) lines.push(`   ${messages.dashboard}: ${view.dashboardUrl}`);
    }
  }
  lines.push('', '-- ', view.footer);
  return lines.map((line) => oneLine(line)).join('\n') + '\n';
}

function compareNotifications(a: AlertNotification, b: AlertNotification): number {
  return severityRank(a.severity) - severityRank(b.severity) ||
    (REASON_RANK[a.reason] ?? 3) - (REASON_RANK[b.reason] ?? 3) ||
    magnitude(b.evaluation.gapRatio) - magnitude(a.evaluation.gapRatio) ||
    (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

function magnitude(ratio: number | null): number {
  return ratio === null || !Number.isFinite(ratio) ? -1 : Math.abs(ratio);
}
