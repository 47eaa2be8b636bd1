import { describe, expect, it } from 'vitest';
import type { Goal, Recipient } from '../../core/config/schema.ts';
import type { GoalEvaluation } from '../../core/goals/evaluation.ts';
import type { KpiDefinition } from '../../core/kpi/definition.ts';
import { MailError } from '../../core/errors.ts';
import { categoryLabel } from '../../core/email/labels.ts';
import { groupByCategory, renderScorecardEmail, type ScorecardEmailInput } from '../../core/email/render-scorecard-email.ts';

function kpi(id: string, ko: string, en: string, category: KpiDefinition['category'], unit: KpiDefinition['unit'] = 'ratio', direction: KpiDefinition['direction'] = 'higher_is_better'): KpiDefinition {
  return {
    id, name: { ko, en }, definition: { ko: `${ko} 정의`, en: `${en} definition` }, unit, direction, category,
    table: 'ga4_traffic_daily', numerator: 'n', denominator: 'd', segments: [],
  };
}

const sessions = kpi('sessions', '세션 수', 'Sessions', 'acquisition', 'count');
const engagement = kpi('engagement_rate', '참여율', 'Engagement rate', 'engagement');
const engagementTime = kpi('avg_engagement_time', '평균 사용자 참여 시간', 'Average engagement time', 'engagement', 'duration');
const conversion = kpi('conversion_rate', '전환율', 'Conversion rate', 'conversion');
const revenue = kpi('revenue_web', '웹 매출', 'Web revenue', 'revenue', 'currency');
const cpa = kpi('cpa', '전환당 비용 (CPA)', 'Cost per acquisition', 'efficiency', 'currency', 'lower_is_better');
const roas = kpi('roas', '광고 수익률 (ROAS)', 'Return on ad spend', 'efficiency', 'count');

const kim: Recipient = { email: 'kim@example.com', name: '김민지', locale: 'ko' };
const alex: Recipient = { email: 'alex@example.com', name: 'Alex', locale: 'en' };

const weeks = ['2026-10-26', '2026-11-02', '2026-11-09', '2026-11-16'];

function evaluation(
  id: string, of: KpiDefinition, target: number, values: readonly number[],
  overrides: Omit<Partial<GoalEvaluation>, 'goal'> & { goal?: Partial<Goal> } = {},
): GoalEvaluation {
  const { goal: goalOverrides, ...rest } = overrides;
  const goal: Goal = {
    id, kpi: of.id, grain: 'week', target, direction: of.direction === 'lower_is_better' ? 'at_most' : 'at_least',
    owner: '박지훈', recipients: ['kim@example.com'], severity: 'warning', ...goalOverrides,
  };
  const actual = values.at(-1) ?? null;
  const gap = actual === null ? null : actual - target;
  const off = actual !== null && (goal.direction === 'at_least' ? actual < target : actual > target);
  return {
    goal, kpi: of, status: off ? 'behind' : 'on_track', periodResult: off ? 'breached' : 'met',
    period: { start: '2026-11-16', end: '2026-11-22' }, actual, target, gap, gapRatio: gap === null ? null : gap / Math.abs(target),
    trend: values.map((value, index) => ({ periodStart: weeks[index + weeks.length - values.length]!, value })),
    ...rest,
  };
}

/** Eight goals, five met: listed in no particular order. */
const evaluations: readonly GoalEvaluation[] = [
  evaluation('roas_weekly', roas, 3, [2.7, 3.3], { goal: { owner: '이서준' } }),
  evaluation('conversion_weekly', conversion, 0.025, [0.026, 0.027, 0.014], { goal: { owner: '김민지' } }),
  evaluation('sessions_weekly', sessions, 40_000, [41_000, 47_250, 48_120]),
  evaluation('meta_cpa', cpa, 30_000, [27_000, 33_000, 41_200], { goal: { owner: 'Alex Park', segment: { platform: 'meta' } } }),
  evaluation('engagement_weekly', engagement, 0.6, [0.61, 0.585], { status: 'at_risk' }),
  evaluation('engagement_time', engagementTime, 90, [98, 104, 106]),
  evaluation('revenue_month', revenue, 500_000_000, [455_000_000, 510_000_000], {
    goal: { grain: 'month', owner: '김민지' }, period: { start: '2026-10-01', end: '2026-10-31' },
  }),
  evaluation('roas_google', roas, 3, [3.1, 3.4], { goal: { owner: '이서준', segment: { platform: 'google_ads' } } }),
];

function input(overrides: Partial<ScorecardEmailInput> = {}): ScorecardEmailInput {
  return {
    recipient: kim,
    evaluations,
    project: 'Acme 마케팅',
    currency: 'KRW',
    weekStart: '2026-11-16',
    dashboardUrl: 'https://dash.example.com/kpi',
    ...overrides,
  };
}

describe('renderScorecardEmail', () => {
  it('says which week and how many goals are met in the subject, in Korean and English', () => {
    // Prepare
    const korean = input();
    const english = input({ recipient: alex });
    // Act
    const ko = renderScorecardEmail(korean).subject;
    const en = renderScorecardEmail(english).subject;
    // Assess
    expect(ko).toBe('[KPI] 주간 스코어카드 — 11월 16일 주 (목표 8개 중 5개 달성)');
    expect(en).toBe('[KPI] Weekly scorecard — week of Nov 16 (5 of 8 goals met)');
  });

  it('groups the goals by category in funnel order, the worst status first in each', () => {
    // Prepare
    const english = input({ recipient: alex });
    // Act
    const groups = groupByCategory(evaluations, 'ko');
    const { text } = renderScorecardEmail(english);
    // Assess
    expect(groups.map((group) => [group.category, group.evaluations.map((e) => e.goal.id)])).toEqual([
      ['acquisition', ['sessions_weekly']],
      ['engagement', ['engagement_weekly', 'engagement_time']],
      ['conversion', ['conversion_weekly']],
      ['revenue', ['revenue_month']],
      ['efficiency', ['meta_cpa', 'roas_google', 'roas_weekly']],
    ]);
    const titles = ['== Acquisition (1) ==', '== Engagement (2) ==', '== Conversion (1) ==', '== Revenue (1) ==', '== Efficiency (3) =='];
    const positions = titles.map((title) => text.indexOf(title));
    expect(positions.every((position) => position > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(['유입', '참여', '전환', '매출', '효율'].join()).toBe(
      ['acquisition', 'engagement', 'conversion', 'revenue', 'efficiency'].map((c) => categoryLabel(c, 'ko')).join(),
    );
  });

  it('puts a category it does not know after the known ones, under its own name', () => {
    // Prepare
    const crm = { ...kpi('leads', '리드 수', 'Leads', 'acquisition', 'count'), category: 'pipeline_health' as KpiDefinition['category'] };
    const withCrm = [evaluation('leads_weekly', crm, 100, [90, 120]), ...evaluations];
    // Act
    const { text } = renderScorecardEmail(input({ evaluations: withCrm }));
    // Assess
    expect(text).toContain('== pipeline health (1) ==');
    expect(text.indexOf('== pipeline health (1) ==')).toBeGreaterThan(text.indexOf('== 효율 (3) =='));
  });

  it('shows each goal\'s actual, goal, gap, status, owner and sparkline', () => {
    // Prepare
    const korean = input();
    // Act
    const { html, text, attachments } = renderScorecardEmail(korean);
    // Assess
    expect(html).toContain('<html lang="ko">');
    expect(html).toContain('Acme 마케팅 주간 KPI 스코어카드');
    expect(html).toContain('>11월 16일 – 11월 22일</p>');
    expect(html).toContain('김민지님, 안녕하세요. 이번 주 목표 8개 중 5개를 달성했습니다.');
    expect(text).toContain('달성 5 · 주의 1 · 미달 2 · 판단 보류 0');
    expect(text).toContain('- 전환율 · 주간 — 부진');
    expect(text).toContain('  실적 1.4% · 목표 ≥ 2.5% · 차이 −1.1%p (−44%) · 책임자 김민지');
    expect(text).toContain('- 전환당 비용 (CPA) (meta) · 주간 — 부진');
    expect(text).toContain('  실적 ₩41,200 · 목표 ≤ ₩30,000 · 차이 +₩11,200 (+37.3%) · 책임자 Alex Park');
    expect(text).toContain('- 평균 사용자 참여 시간 · 주간 — 순항');
    expect(text).toContain('  실적 1분 46초 · 목표 ≥ 1분 30초 · 차이 +16초 (+17.8%) · 책임자 박지훈');
    // A monthly goal in the weekly review names its period.
    expect(text).toContain('- 웹 매출 · 월간 · 2026년 10월 — 순항');
    expect(html).toContain('>−1.1%p</p>');
    expect(html).toContain('>(−44%)</p>');
    expect(html).toContain('>주의</span>');
    expect(html).toContain('>책임자 Alex Park</p>');
    const images = [...html.matchAll(/<img [^>]*>/g)].map((match) => match[0]);
    expect(images).toHaveLength(8);
    expect(images).toContain(
      '<img src="cid:spark-4@kpi-pipeline" width="80" height="24" alt="전환율 추이: 2.6% → 2.7% → 1.4%, 목표 2.5% 이상" border="0" ' +
      'style="display:block;width:80px;height:24px;border:0;outline:none;text-decoration:none;">',
    );
    expect(attachments.map((a) => a.cid)).toEqual(Array.from({ length: 8 }, (_, i) => `spark-${i + 1}@kpi-pipeline`));
    expect(attachments[3]!.filename).toBe('spark-4-conversion_weekly.png');
  });

  it('labels every status in English and a goal without data without a sparkline', () => {
    // Prepare
    const noData = evaluation('new_goal', conversion, 0.03, [], {
      status: 'no_data', periodResult: 'no_data', period: null, actual: null, gap: null, gapRatio: null,
    });
    const statuses = (['achieved', 'missed', 'paused'] as const).map((status, index) =>
      evaluation(`goal_${index}`, sessions, 100, [90, 110], { status: status as GoalEvaluation['status'] }));
    // Act
    const { text, html } = renderScorecardEmail(input({ recipient: alex, evaluations: [noData, ...statuses] }));
    // Assess
    expect(text).toContain('- Conversion rate · weekly — No data');
    expect(text).toContain('  Actual — · Goal ≥ 3% · Gap — · Owner 박지훈');
    expect(text).toContain('— Achieved');
    expect(text).toContain('— Missed');
    expect(text).toContain('— paused');
    expect(text).toContain('Met 1 · At risk 0 · Off track 1 · No verdict 2');
    expect(html.match(/<img /g)).toHaveLength(3);
    expect(text).toContain('Hi Alex, 1 of your 4 goals is met this week.');
  });

  it('is built for Outlook and escapes every name', () => {
    // Prepare
    const hostile = evaluation('x', { ...conversion, name: { ko: '<script>x</script>', en: '<script>x</script>' } }, 0.03, [0.02, 0.01], {
      goal: { owner: '"><img src=x onerror=alert(1)>' },
    });
    // Act
    const { html, subject } = renderScorecardEmail(input({ evaluations: [hostile], project: 'P&<>', dashboardUrl: 'javascript:alert(1)' }));
    // Assess
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(html).toContain('책임자 &quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(html.match(/<img /g)).toHaveLength(1);
    expect(html).toContain('P&amp;&lt;&gt; 주간 KPI 스코어카드');
    expect(html).not.toContain('javascript:');
    expect(html).not.toMatch(/<style[\s>]|<div[\s>]|display:\s*(flex|grid)/i);
    const widths = [...html.matchAll(/width(?:="|:)(\d+)(?:px)?/g)].map((match) => Number(match[1]));
    expect(Math.max(...widths)).toBe(640);
    expect(subject).toBe('[KPI] 주간 스코어카드 — 11월 16일 주 (목표 1개 중 0개 달성)');
  });

  it('refuses to write a scorecard without goals or with a week that is not a date', () => {
    // Prepare
    const empty = input({ evaluations: [] });
    const badWeek = input({ weekStart: '2026-11-31' });
    // Act
    const actEmpty = () => renderScorecardEmail(empty);
    const actBadWeek = () => renderScorecardEmail(badWeek);
    // Assess
    expect(actEmpty).toThrow(MailError);
    expect(actBadWeek).toThrow(/not a calendar date/);
  });
});
