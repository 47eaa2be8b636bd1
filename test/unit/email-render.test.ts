import { describe, expect, it } from 'vitest';
import type { Goal, Recipient } from '../../core/config/schema.ts';
import type { GoalEvaluation } from '../../core/goals/evaluation.ts';
import type { KpiDefinition } from '../../core/kpi/definition.ts';
import { MailError } from '../../core/errors.ts';
import { escapeHtml } from '../../core/email/escape-html.ts';
import { renderAlertEmail, type AlertEmailInput } from '../../core/email/render-alert-email.ts';

const conversionRate: KpiDefinition = {
  id: 'conversion_rate',
  name: { ko: '전환율', en: 'Conversion rate' },
  definition: { ko: 'Σ 주요 이벤트 / Σ 세션', en: 'key_events / sessions' },
  unit: 'ratio',
  direction: 'higher_is_better',
  category: 'conversion',
  table: 'ga4_traffic_daily',
  numerator: 'key_events',
  denominator: 'sessions',
  segments: [],
};

const bounceRate: KpiDefinition = {
  ...conversionRate,
  id: 'bounce_rate',
  name: { ko: '이탈률', en: 'Bounce rate' },
  definition: { ko: '1 − Σ 참여 세션 / Σ 세션', en: '1 - engaged_sessions / sessions' },
  direction: 'lower_is_better',
  category: 'engagement',
  numerator: 'engaged_sessions',
  scale: -1,
  offset: 1,
};

const revenue: KpiDefinition = {
  ...conversionRate,
  id: 'revenue',
  name: { ko: '매출', en: 'Revenue' },
  definition: { ko: 'Σ 구매 매출', en: 'sum of purchase revenue' },
  unit: 'currency',
  category: 'revenue',
  numerator: 'purchase_revenue',
};

const kim: Recipient = { email: 'kim@example.com', name: '김민지', locale: 'ko' };
const alex: Recipient = { email: 'alex@example.com', name: 'Alex', locale: 'en' };

function goal(overrides: Partial<Goal> = {}): Goal {
  return {
    id: 'conversion_weekly',
    kpi: 'conversion_rate',
    grain: 'week',
    target: 0.03,
    direction: 'at_least',
    owner: '김민지',
    recipients: ['kim@example.com', 'alex@example.com'],
    severity: 'warning',
    ...overrides,
  };
}

function breached(overrides: Partial<GoalEvaluation> & { goal: Goal; kpi: KpiDefinition }): GoalEvaluation {
  const actual = overrides.actual ?? 0.021;
  const target = overrides.target ?? (overrides.goal.target as number);
  return {
    status: 'behind',
    periodResult: 'breached',
    period: { start: '2026-11-16', end: '2026-11-22' },
    actual,
    target,
    gap: actual - target,
    gapRatio: (actual - target) / Math.abs(target),
    trend: [],
    ...overrides,
  };
}

const conversionBreach = breached({ goal: goal(), kpi: conversionRate });
const bounceBreach = breached({
  goal: goal({ id: 'bounce_weekly', kpi: 'bounce_rate', target: 0.5, direction: 'at_most', owner: 'Lee', severity: 'critical' }),
  kpi: bounceRate,
  actual: 0.6,
});
const revenueBreach = breached({
  goal: goal({ id: 'revenue_monthly', kpi: 'revenue', grain: 'month', target: 50_000_000, severity: 'warning', owner: 'Park' }),
  kpi: revenue,
  actual: 40_000_000,
  period: { start: '2026-10-01', end: '2026-10-31' },
});

function input(overrides: Partial<AlertEmailInput> = {}): AlertEmailInput {
  return {
    recipient: kim,
    evaluations: [conversionBreach],
    project: 'Acme 마케팅',
    currency: 'KRW',
    snapshotDate: '2026-11-23',
    ...overrides,
  };
}

describe('renderAlertEmail subject', () => {
  it('names one at_least alert in Korean and English', () => {
    // Prepare
    const korean = input();
    const english = input({ recipient: alex });
    // Act
    const ko = renderAlertEmail(korean).subject;
    const en = renderAlertEmail(english).subject;
    // Assess
    expect(ko).toBe('[KPI] 전환율 2.1% — 목표 3% 미달 (주간)');
    expect(en).toBe('[KPI] Conversion rate 2.1% — below goal 3% (weekly)');
  });

  it('says above the limit for a breached at_most goal', () => {
    // Prepare
    const korean = input({ evaluations: [bounceBreach] });
    const english = input({ recipient: alex, evaluations: [bounceBreach] });
    // Act
    const ko = renderAlertEmail(korean).subject;
    const en = renderAlertEmail(english).subject;
    // Assess
    expect(ko).toBe('[KPI] 이탈률 60% — 목표 50% 초과 (주간)');
    expect(en).toBe('[KPI] Bounce rate 60% — above limit 50% (weekly)');
  });

  it('counts several alerts and names the most severe first', () => {
    // Prepare: the critical bounce breach comes last in the input
    const evaluations = [conversionBreach, revenueBreach, bounceBreach];
    // Act
    const ko = renderAlertEmail(input({ evaluations })).subject;
    const en = renderAlertEmail(input({ recipient: alex, evaluations })).subject;
    // Assess
    expect(ko).toBe('[KPI] 목표 미달 3건 — 이탈률 60% 외 2건');
    expect(en).toBe('[KPI] 3 goals off target — Bounce rate 60% and 2 more');
  });

  it('orders alerts of the same severity by the size of the relative gap', () => {
    // Prepare: conversion is 30% below target, revenue 20% below
    const evaluations = [revenueBreach, conversionBreach];
    // Act
    const email = renderAlertEmail(input({ recipient: alex, evaluations }));
    // Assess
    expect(email.subject).toBe('[KPI] 2 goals off target — Conversion rate 2.1% and 1 more');
    expect(email.text.indexOf('Conversion rate')).toBeLessThan(email.text.indexOf('Revenue'));
  });
});

describe('renderAlertEmail HTML', () => {
  it('shows the formatted numbers, period, owner and severity of each alert', () => {
    // Prepare
    const evaluations = [conversionBreach, revenueBreach, bounceBreach];
    // Act
    const { html } = renderAlertEmail(input({ evaluations }));
    // Assess
    expect(html).toContain('<html lang="ko">');
    expect(html).toContain('Acme 마케팅 KPI 목표 알림');
    expect(html).toContain('2026년 11월 23일 (월) 스냅샷 기준');
    expect(html).toContain('11월 16일 – 11월 22일');
    expect(html).toContain('2026년 10월');
    expect(html).toContain('>2.1%<');
    expect(html).toContain('≥ 3%');
    expect(html).toContain('−0.9%p (−30%)');
    expect(html).toContain('≤ 50%');
    expect(html).toContain('+10%p (+20%)');
    expect(html).toContain('₩40,000,000');
    expect(html).toContain('≥ ₩50,000,000');
    expect(html).toContain('−₩10,000,000 (−20%)');
    expect(html).toContain('>김민지<');
    expect(html).toContain('>Park<');
    expect(html).toContain('>심각<');
    expect(html).toContain('>경고<');
    // The definition is in the recipient's language.
    expect(html).toContain('Σ 주요 이벤트 / Σ 세션');
    expect(html).not.toContain('key_events / sessions');
    expect(html).toContain('kim@example.com 주소가 Acme 마케팅 프로젝트의 목표 &#39;bounce_weekly&#39;, &#39;conversion_weekly&#39; 및 &#39;revenue_monthly&#39;의 수신자로 등록되어');
  });

  it('is built for Outlook: tables, inline styles, at most 640px wide', () => {
    // Prepare
    const evaluations = [conversionBreach, bounceBreach];
    // Act
    const { html } = renderAlertEmail(input({ recipient: alex, evaluations }));
    // Assess
    expect(html).toContain('<html lang="en">');
    expect(html).not.toMatch(/<style[\s>]/i);
    expect(html).not.toMatch(/display:\s*(flex|grid)/i);
    expect(html).not.toMatch(/<div[\s>]/i);
    const widths = [...html.matchAll(/width(?:="|:)(\d+)(?:px)?/g)].map((match) => Number(match[1]));
    expect(Math.max(...widths)).toBe(640);
    expect(html).toContain('Snapshot of Mon, Nov 23, 2026');
  });

  it('escapes KPI names, owner names, project and the dashboard URL', () => {
    // Prepare
    const hostileKpi: KpiDefinition = {
      ...conversionRate,
      name: { ko: '<script>alert("ko")</script>', en: '<script>alert("en")</script>' },
      definition: { ko: 'a "quoted" <b>definition</b>', en: 'a "quoted" <b>definition</b>' },
    };
    const evaluation = breached({ goal: goal({ owner: 'Kim "<img src=x onerror=alert(1)>"' }), kpi: hostileKpi });
    const dashboardUrl = 'https://dash.example.com/?a=1&b="><script>x</script>';
    // Act
    const { html, subject } = renderAlertEmail(input({
      evaluations: [evaluation],
      project: 'P<&>"',
      dashboardUrl,
    }));
    // Assess
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>');
    expect(html).toContain('&lt;script&gt;alert(&quot;ko&quot;)&lt;/script&gt;');
    expect(html).toContain('Kim &quot;&lt;img src=x onerror=alert(1)&gt;&quot;');
    expect(html).toContain('P&lt;&amp;&gt;&quot;');
    expect(html).toContain(`href="${escapeHtml(dashboardUrl)}"`);
    expect(html).toContain('href="https://dash.example.com/?a=1&amp;b=&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
    // The subject is a header, not HTML: it keeps the name as written.
    expect(subject).toBe('[KPI] <script>alert("ko")</script> 2.1% — 목표 3% 미달 (주간)');
  });

  it('links to the dashboard only when a URL is set, and only to http(s)', () => {
    // Prepare
    const withUrl = input({ recipient: alex, dashboardUrl: 'https://dash.example.com/kpi' });
    const withoutUrl = input({ recipient: alex });
    const scriptUrl = input({ recipient: alex, dashboardUrl: 'javascript:alert(1)' });
    // Act
    const linked = renderAlertEmail(withUrl);
    const unlinked = renderAlertEmail(withoutUrl);
    const refused = renderAlertEmail(scriptUrl);
    // Assess
    expect(linked.html).toContain('href="https://dash.example.com/kpi"');
    expect(linked.html).toContain('Open the dashboard');
    expect(linked.text).toContain('Open the dashboard: https://dash.example.com/kpi');
    expect(unlinked.html).not.toContain('href=');
    expect(unlinked.text).not.toContain('dashboard:');
    expect(refused.html).not.toContain('href=');
    expect(refused.html).not.toContain('javascript:');
  });
});

describe('renderAlertEmail text part', () => {
  it('carries the same information without any HTML', () => {
    // Prepare
    const evaluations = [conversionBreach, bounceBreach];
    // Act
    const { text } = renderAlertEmail(input({ recipient: alex, evaluations, dashboardUrl: 'https://dash.example.com/' }));
    // Assess
    expect(text).not.toMatch(/<\/?[a-z][^>]*>/i);
    expect(text).not.toMatch(/&(amp|lt|gt|quot|nbsp);/);
    expect(text).toContain('Acme 마케팅 KPI goal alerts');
    expect(text).toContain('Snapshot of Mon, Nov 23, 2026');
    expect(text).toContain('1. [Critical] Bounce rate · weekly');
    expect(text).toContain('2. [Warning] Conversion rate · weekly');
    expect(text).toContain('   Period: Nov 16 – Nov 22, 2026');
    expect(text).toContain('   Actual: 2.1%');
    expect(text).toContain('   Goal: ≥ 3%');
    expect(text).toContain('   Gap: −0.9 pts (−30%)');
    expect(text).toContain('   Owner: 김민지');
    expect(text).toContain('   Definition: key_events / sessions');
    expect(text).toContain("alex@example.com is listed as a recipient of goals 'bounce_weekly' and 'conversion_weekly'");
  });

  it('shows the segment and the recent trend when there are some', () => {
    // Prepare
    const segmented = breached({
      goal: goal({ segment: { channel_group: 'Organic Social' } }),
      kpi: conversionRate,
      trend: [
        { periodStart: '2026-10-26', value: 0.034 },
        { periodStart: '2026-11-02', value: null },
        { periodStart: '2026-11-09', value: 0.025 },
        { periodStart: '2026-11-16', value: 0.021 },
      ],
    });
    // Act
    const { text, subject } = renderAlertEmail(input({ evaluations: [segmented] }));
    // Assess
    expect(subject).toBe('[KPI] 전환율 (Organic Social) 2.1% — 목표 3% 미달 (주간)');
    expect(text).toContain('   세그먼트: channel_group: Organic Social');
    expect(text).toContain('   추이: 3.4% → — → 2.5% → 2.1%');
  });
});

describe('renderAlertEmail input checks', () => {
  it('refuses to write an email without a breached goal', () => {
    // Prepare
    const met: GoalEvaluation = { ...conversionBreach, status: 'on_track', periodResult: 'met' };
    // Act
    const act = () => renderAlertEmail(input({ evaluations: [met] }));
    // Assess
    expect(act).toThrow(MailError);
  });
});
