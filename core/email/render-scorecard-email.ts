import type { Locale, Recipient } from '../config/schema.ts';
import { addDays } from '../dates.ts';
import { MailError } from '../errors.ts';
import type { GoalEvaluation } from '../goals/evaluation.ts';
import type { InlineAttachment } from './compose-mime.ts';
import { escapeHtml } from './escape-html.ts';
import { formatPeriod, MISSING_VALUE, parseCalendarDate } from './format.ts';
import { describeGoal, type GoalView } from './goal-view.ts';
import { attachTrendChart, type InlineImage } from './inline-trend-chart.ts';
import {
  badge, emailDocument, FONT, footerRow, formatCount, headerRow, INTL_LOCALE, oneLine, paragraphRow, safeLinkUrl,
} from './html-layout.ts';
import { CATEGORY_ORDER, categoryLabel, isMetStatus, statusTone, TONE_COLORS, type Tone } from './labels.ts';
import type { RenderedEmailWithImages } from './render-digest-email.ts';

/**
 * The weekly scorecard: every goal the recipient receives, grouped by KPI category (유입, 참여,
 * 전환, 매출, 효율), each a row with KPI, actual, goal, gap, status, a sparkline and the owner —
 * the team's regular KPI review. Korean or English per recipient; a pure function.
 */

export interface ScorecardEmailInput {
  readonly recipient: Recipient;
  /** Every goal this recipient receives, evaluated as of the end of the week. */
  readonly evaluations: readonly GoalEvaluation[];
  readonly project: string;
  /** ISO 4217 code used for currency KPIs. */
  readonly currency: string;
  /** The Monday of the week reviewed (YYYY-MM-DD); the week runs through the Sunday after. */
  readonly weekStart: string;
  readonly dashboardUrl?: string;
}

/** Sparkline size in CSS pixels (the PNG is 2×). */
const SPARK_WIDTH = 80;
const SPARK_HEIGHT = 24;

const TONE_ORDER: Record<Tone, number> = { bad: 0, warn: 1, neutral: 2, good: 3 };

interface Messages {
  readonly heading: (project: string) => string;
  readonly greeting: (name: string) => string;
  readonly intro: (met: string, total: string) => string;
  readonly tally: Record<Tone, string>;
  readonly kpi: string;
  readonly actual: string;
  readonly goal: string;
  readonly gap: string;
  readonly status: string;
  readonly trend: string;
  readonly owner: string;
  readonly dashboard: string;
  readonly subject: (week: string, met: string, total: string) => string;
  readonly weekOf: (monthDay: string) => string;
  readonly footer: (email: string, count: string, project: string) => string;
}

const MESSAGES: Record<Locale, Messages> = {
  ko: {
    heading: (project) => `${project} 주간 KPI 스코어카드`,
    greeting: (name) => `${name}님, 안녕하세요.`,
    intro: (met, total) => `이번 주 목표 ${total}개 중 ${met}개를 달성했습니다.`,
    tally: { good: '달성', warn: '주의', bad: '미달', neutral: '판단 보류' },
    kpi: 'KPI',
    actual: '실적',
    goal: '목표',
    gap: '차이',
    status: '상태',
    trend: '추이',
    owner: '책임자',
    dashboard: '대시보드에서 보기',
    subject: (week, met, total) => `[KPI] 주간 스코어카드 — ${week} (목표 ${total}개 중 ${met}개 달성)`,
    weekOf: (monthDay) => `${monthDay} 주`,
    footer: (email, count, project) =>
      `${email} 주소가 ${project} 프로젝트 목표 ${count}개의 수신자로 등록되어 있어 매주 이 스코어카드를 보내 드립니다.`,
  },
  en: {
    heading: (project) => `${project} weekly KPI scorecard`,
    greeting: (name) => `Hi ${name},`,
    intro: (met, total) => `${met} of your ${total} ${total === '1' ? 'goal' : 'goals'} ${met === '1' ? 'is' : 'are'} met this week.`,
    tally: { good: 'Met', warn: 'At risk', bad: 'Off track', neutral: 'No verdict' },
    kpi: 'KPI',
    actual: 'Actual',
    goal: 'Goal',
    gap: 'Gap',
    status: 'Status',
    trend: 'Trend',
    owner: 'Owner',
    dashboard: 'Open the dashboard',
    subject: (week, met, total) => `[KPI] Weekly scorecard — ${week} (${met} of ${total} ${total === '1' ? 'goal' : 'goals'} met)`,
    weekOf: (monthDay) => `week of ${monthDay}`,
    footer: (email, count, project) =>
      `You receive this weekly scorecard because ${email} is listed as a recipient of ${count} ${count === '1' ? 'goal' : 'goals'} in project ${project}.`,
  },
};

interface Row {
  readonly view: GoalView;
  /** Grain, and the period when it is not the week reviewed: "월간 · 2026년 10월". */
  readonly context: string;
  readonly image: InlineImage | null;
}

interface Category {
  readonly id: string;
  readonly label: string;
  readonly rows: readonly Row[];
}

export function renderScorecardEmail(input: ScorecardEmailInput): RenderedEmailWithImages {
  const context = { project: input.project, to: input.recipient.email, goals: input.evaluations.map((e) => e.goal.id) };
  if (input.evaluations.length === 0) {
    throw new MailError('no goal to write a scorecard about', { context });
  }
  try {
    return render(input);
  } catch (error) {
    throw new MailError(`could not render the scorecard: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
      context,
    });
  }
}

/**
 * The evaluations by category, in funnel order (acquisition → efficiency, any other category
 * after them by name); within one, the worst status first, then by KPI name and goal id.
 */
export function groupByCategory(evaluations: readonly GoalEvaluation[], locale: Locale): Array<{ category: string; evaluations: GoalEvaluation[] }> {
  const collator = new Intl.Collator(INTL_LOCALE[locale]);
  const rank = (category: string) => {
    const index = CATEGORY_ORDER.indexOf(category);
    return index === -1 ? CATEGORY_ORDER.length : index;
  };
  const categories = [...new Set(evaluations.map((e) => e.kpi.category as string))]
    .sort((a, b) => rank(a) - rank(b) || collator.compare(a, b));
  return categories.map((category) => ({
    category,
    evaluations: evaluations
      .filter((e) => e.kpi.category === category)
      .sort((a, b) =>
        TONE_ORDER[describeTone(a)] - TONE_ORDER[describeTone(b)] ||
        collator.compare(a.kpi.name[locale], b.kpi.name[locale]) ||
        collator.compare(a.goal.id, b.goal.id)),
  }));
}

function describeTone(evaluation: GoalEvaluation): Tone {
  return statusTone(evaluation.status);
}

function render(input: ScorecardEmailInput): RenderedEmailWithImages {
  const locale = input.recipient.locale;
  const messages = MESSAGES[locale];
  parseCalendarDate(input.weekStart);
  const weekEnd = addDays(input.weekStart, 6);
  const attachments: InlineAttachment[] = [];
  let index = 0;
  const categories: Category[] = groupByCategory(input.evaluations, locale).map((group) => ({
    id: group.category,
    label: categoryLabel(group.category, locale),
    rows: group.evaluations.map((evaluation): Row => {
      index += 1;
      const view = describeGoal(evaluation, locale, input.currency);
      const sameWeek = evaluation.period !== null && evaluation.goal.grain === 'week' && evaluation.period.start === input.weekStart;
      const context = sameWeek || evaluation.period === null ? view.grain : `${view.grain} · ${view.period}`;
      const image = attachTrendChart(evaluation, view, { locale, currency: input.currency, width: SPARK_WIDTH, height: SPARK_HEIGHT, name: 'spark', index }, attachments);
      return { view, context, image };
    }),
  }));

  const rows = categories.flatMap((category) => category.rows);
  const total = rows.length;
  const met = input.evaluations.filter((e) => isMetStatus(e.status)).length;
  const tally = (tone: Tone) => rows.filter((row) => row.view.statusTone === tone).length;
  const monthDay = new Intl.DateTimeFormat(INTL_LOCALE[locale], {
    month: locale === 'ko' ? 'long' : 'short', day: 'numeric', timeZone: 'UTC',
  }).format(parseCalendarDate(input.weekStart));
  const subject = oneLine(messages.subject(messages.weekOf(monthDay), formatCount(met, locale), formatCount(total, locale)));
  const name = input.recipient.name;
  const view = {
    locale,
    messages,
    subject,
    title: messages.heading(input.project),
    week: formatPeriod('week', input.weekStart, weekEnd, locale),
    intro: (name === undefined ? '' : `${messages.greeting(name)} `) + messages.intro(formatCount(met, locale), formatCount(total, locale)),
    tallies: (['good', 'warn', 'bad', 'neutral'] as const).map((tone) => ({ tone, label: messages.tally[tone], count: formatCount(tally(tone), locale) })),
    categories,
    dashboardUrl: safeLinkUrl(input.dashboardUrl),
    footer: messages.footer(input.recipient.email, formatCount(total, locale), input.project),
  };
  return { subject, html: renderHtml(view), text: renderText(view), attachments };
}

interface View {
  readonly locale: Locale;
  readonly messages: Messages;
  readonly subject: string;
  readonly title: string;
  readonly week: string;
  readonly intro: string;
  readonly tallies: ReadonlyArray<{ readonly tone: Tone; readonly label: string; readonly count: string }>;
  readonly categories: readonly Category[];
  readonly dashboardUrl: string | undefined;
  readonly footer: string;
}

function renderHtml(view: View): string {
  const { messages } = view;
  const rows: string[] = [headerRow(view.title, view.week), paragraphRow(view.intro)];
  // The tally: how many goals are met, at risk, off track, without a verdict.
  rows.push(
    '<tr><td style="padding:0 24px 16px 24px;">' +
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;"><tr>' +
    view.tallies.map(({ tone, label, count }) =>
      `<td width="25%" align="center" bgcolor="${TONE_COLORS[tone].background}" ` +
      `style="padding:10px 4px;background-color:${TONE_COLORS[tone].background};border:2px solid #ffffff;${FONT}">` +
      `<p style="margin:0;font-size:22px;line-height:28px;font-weight:bold;color:${TONE_COLORS[tone].text};${FONT}">${escapeHtml(count)}</p>` +
      `<p style="margin:0;font-size:12px;line-height:18px;color:${TONE_COLORS[tone].text};${FONT}">${escapeHtml(label)}</p></td>`).join('') +
    '</tr></table></td></tr>',
  );
  rows.push(renderTable(view));
  if (view.dashboardUrl !== undefined) {
    rows.push(
      `<tr><td style="padding:8px 24px 24px 24px;${FONT}">` +
      '<table role="presentation" cellpadding="0" cellspacing="0" border="0"><tr>' +
      '<td bgcolor="#1d4ed8" style="background-color:#1d4ed8;padding:10px 18px;">' +
      `<a href="${escapeHtml(view.dashboardUrl)}" style="color:#ffffff;text-decoration:none;font-size:14px;font-weight:bold;${FONT}">${escapeHtml(messages.dashboard)}</a>` +
      '</td></tr></table></td></tr>',
    );
  }
  rows.push(footerRow(view.footer));
  return emailDocument({ locale: view.locale, title: view.subject, rows });
}

/**
 * One table for every category, so the columns line up from one category to the next: the
 * column heads, then per category a title row (spanning all columns) and its goals.
 */
function renderTable(view: View): string {
  const { messages } = view;
  const head = `padding:6px 8px 6px 6px;font-size:12px;line-height:16px;color:#667085;font-weight:bold;border-bottom:1px solid #d0d5dd;${FONT}`;
  const cell = `padding:8px 8px 8px 6px;font-size:14px;line-height:20px;color:#101828;vertical-align:top;border-bottom:1px solid #eaecf0;${FONT}`;
  const small = `font-size:12px;line-height:16px;color:#667085;${FONT}`;
  const header = '<tr>' +
    `<td style="${head}padding-left:0;">${escapeHtml(messages.kpi)}</td>` +
    `<td align="right" style="${head}">${escapeHtml(messages.actual)}</td>` +
    `<td align="right" style="${head}">${escapeHtml(messages.goal)}</td>` +
    `<td align="right" style="${head}">${escapeHtml(messages.gap)}</td>` +
    `<td align="center" style="${head}">${escapeHtml(messages.status)}</td>` +
    `<td width="${SPARK_WIDTH}" style="${head}padding-right:0;">${escapeHtml(messages.trend)}</td>` +
    '</tr>';
  const sections = view.categories.map((category) => {
    const worst = category.rows.reduce<Tone>((acc, row) => (TONE_ORDER[row.view.statusTone] < TONE_ORDER[acc] ? row.view.statusTone : acc), 'good');
    const accent = TONE_COLORS[worst].accent;
    const title = '<tr><td colspan="6" style="padding:20px 0 6px 0;">' +
      '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"><tr>' +
      `<td width="4" bgcolor="${accent}" style="width:4px;background-color:${accent};font-size:0;line-height:0;">&nbsp;</td>` +
      `<td style="padding:2px 0 2px 10px;font-size:16px;line-height:24px;font-weight:bold;color:#101828;${FONT}">` +
      `${escapeHtml(`${category.label} (${formatCount(category.rows.length, view.locale)})`)}</td>` +
      '</tr></table></td></tr>';
    const rows = category.rows.map(({ view: goal, context, image }) => {
      const color = goal.offTarget === true ? TONE_COLORS.bad.text : goal.offTarget === false ? TONE_COLORS.good.text : '#101828';
      return '<tr>' +
        `<td style="${cell}padding-left:0;">` +
        `<p style="margin:0;font-weight:bold;font-size:14px;line-height:20px;color:#101828;${FONT}">${escapeHtml(goal.kpiLabel)}</p>` +
        `<p style="margin:2px 0 0 0;${small}">${escapeHtml(context)}</p>` +
        `<p style="margin:0;${small}">${escapeHtml(`${messages.owner} ${goal.owner}`)}</p></td>` +
        `<td align="right" style="${cell}font-weight:bold;color:${color};white-space:nowrap;">${escapeHtml(goal.actual)}</td>` +
        `<td align="right" style="${cell}white-space:nowrap;">${escapeHtml(goal.goal)}</td>` +
        `<td align="right" style="${cell}color:${color};">` +
        `<p style="margin:0;white-space:nowrap;${FONT}">${escapeHtml(goal.gapAbsolute)}</p>` +
        (goal.gapPercent === null ? '' : `<p style="margin:0;${small}color:${color};white-space:nowrap;">(${escapeHtml(goal.gapPercent)})</p>`) +
        '</td>' +
        `<td align="center" style="${cell}">${badge(goal.status, goal.statusTone)}</td>` +
        `<td width="${SPARK_WIDTH}" style="${cell}padding-right:0;">` +
        (image === null
          ? escapeHtml(MISSING_VALUE)
          : `<img src="cid:${escapeHtml(image.cid)}" width="${image.width}" height="${image.height}" alt="${escapeHtml(image.alt)}" border="0" ` +
            `style="display:block;width:${image.width}px;height:${image.height}px;border:0;outline:none;text-decoration:none;">`) +
        '</td></tr>';
    });
    return title + rows.join('');
  });
  return '<tr><td style="padding:0 24px 20px 24px;">' +
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;">' +
    header + sections.join('') + '</table></td></tr>';
}

function renderText(view: View): string {
  const { messages } = view;
  const lines: string[] = [
    view.title,
    view.week,
    '',
    view.intro,
    view.tallies.map(({ label, count }) => `${label} ${count}`).join(' · '),
  ];
  for (const category of view.categories) {
    lines.push('', `== ${category.label} (${formatCount(category.rows.length, view.locale)}) ==`);
    for (const { view: goal, context } of category.rows) {
      lines.push(
        `- ${goal.kpiLabel} · ${context} — ${goal.status}`,
        `  ${messages.actual} ${goal.actual} · ${messages.goal} ${goal.goal} · ${messages.gap} ${goal.gap} · ${messages.owner} ${goal.owner}`,
      );
      if (goal.trend !== null) lines.push(`  ${messages.trend}: ${goal.trend}`);
    }
  }
  if (view.dashboardUrl !== undefined) lines.push('', `${messages.dashboard}: ${view.dashboardUrl}`);
  lines.push('', '-- ', view.footer);
  return lines.map((line) => oneLine(line)).join('\n') + '\n';
}
