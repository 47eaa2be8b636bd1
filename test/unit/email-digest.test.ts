import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertNotification } from '../../core/alerts/notification.ts';
import type { Goal, Recipient } from '../../core/config/schema.ts';
import type { GoalEvaluation } from '../../core/goals/evaluation.ts';
import type { KpiDefinition } from '../../core/kpi/definition.ts';
import { MailError } from '../../core/errors.ts';
import { composeMime } from '../../core/email/compose-mime.ts';
import { statusLabel } from '../../core/email/labels.ts';
import { OutboxMailer } from '../../core/email/outbox-mailer.ts';
import { groupNotifications, renderDigestEmail, type DigestEmailInput } from '../../core/email/render-digest-email.ts';

const conversionRate: KpiDefinition = {
  id: 'conversion_rate',
  name: { ko: '전환율', en: 'Conversion rate' },
  definition: { ko: 'Σ 주요 이벤트 / Σ 세션', en: 'key events / sessions' },
  unit: 'ratio',
  direction: 'higher_is_better',
  category: 'conversion',
  table: 'ga4_traffic_daily',
  numerator: 'key_events',
  denominator: 'sessions',
  segments: ['channel_group'],
};

const cpa: KpiDefinition = {
  ...conversionRate,
  id: 'cpa',
  name: { ko: '전환당 비용 (CPA)', en: 'Cost per acquisition' },
  unit: 'currency',
  direction: 'lower_is_better',
  category: 'efficiency',
  table: 'ad_performance_daily',
  numerator: 'spend',
  denominator: 'conversions',
  segments: ['platform'],
};

const roas: KpiDefinition = {
  ...cpa,
  id: 'roas',
  name: { ko: '광고 수익률 (ROAS)', en: 'Return on ad spend' },
  unit: 'count',
  direction: 'higher_is_better',
};

const revenue: KpiDefinition = {
  ...conversionRate,
  id: 'revenue_web',
  name: { ko: '웹 매출', en: 'Web revenue' },
  unit: 'currency',
  category: 'revenue',
  numerator: 'purchase_revenue',
};

const kim: Recipient = { email: 'kim@example.com', name: '김민지', locale: 'ko' };
const alex: Recipient = { email: 'alex@example.com', name: 'Alex', locale: 'en', timezone: 'America/New_York' };

const weeks = ['2026-10-26', '2026-11-02', '2026-11-09', '2026-11-16'];

function goal(overrides: Partial<Goal> = {}): Goal {
  return {
    id: 'conversion_weekly',
    kpi: 'conversion_rate',
    grain: 'week',
    target: 0.025,
    direction: 'at_least',
    owner: '김민지',
    recipients: ['kim@example.com', 'alex@example.com'],
    severity: 'critical',
    ...overrides,
  };
}

function evaluation(g: Goal, kpi: KpiDefinition, values: readonly number[], overrides: Partial<GoalEvaluation> = {}): GoalEvaluation {
  const target = typeof g.target === 'number' ? g.target : 0;
  const actual = values.at(-1) ?? null;
  const gap = actual === null ? null : actual - target;
  const off = actual !== null && (g.direction === 'at_least' ? actual < target : actual > target);
  return {
    goal: g,
    kpi,
    status: off ? 'behind' : 'on_track',
    periodResult: off ? 'breached' : 'met',
    period: { start: '2026-11-16', end: '2026-11-22' },
    actual,
    target,
    gap,
    gapRatio: gap === null ? null : gap / Math.abs(target),
    trend: values.map((value, index) => ({ periodStart: weeks[index + weeks.length - values.length]!, value })),
    ...overrides,
  };
}

function notification(evaluationOf: GoalEvaluation, overrides: Partial<AlertNotification> = {}): AlertNotification {
  return {
    key: `${evaluationOf.goal.id}|threshold|all`,
    reason: 'firing',
    kind: 'threshold',
    severity: evaluationOf.goal.severity,
    evaluation: evaluationOf,
    summary: { ko: '2주 연속 목표 아래입니다.', en: 'Below goal 2 weeks in a row.' },
    since: '2026-11-23T00:00:00Z',
    ...overrides,
  };
}

/** Critical, new: conversion rate 1.4% against at least 2.5%. */
const conversionAlert = notification(evaluation(goal(), conversionRate, [0.026, 0.027, 0.014]));
/** Warning, still firing since a week: Meta CPA ₩41,200 against at most ₩30,000. */
const cpaAlert = notification(
  evaluation(goal({ id: 'meta_cpa', kpi: 'cpa', segment: { platform: 'meta' }, target: 30_000, direction: 'at_most', owner: 'Alex Park', severity: 'warning' }), cpa, [27_000, 33_000, 41_200]),
  { reason: 'repeat', since: '2026-11-16T22:00:00Z', summary: { ko: 'Meta CPA가 3주째 한도를 넘었습니다.', en: 'Meta CPA above the limit for 3 weeks.' } },
);
/** Warning, new, info-level: a smaller gap than the CPA alert. */
const revenueAlert = notification(
  evaluation(goal({ id: 'revenue_weekly', kpi: 'revenue_web', target: 100_000_000, owner: '박지훈', severity: 'warning' }), revenue, [104_000_000, 96_000_000]),
);
/** Resolved: ROAS back at 3.3 against at least 3. */
const roasResolved = notification(
  evaluation(goal({ id: 'roas_weekly', kpi: 'roas', target: 3, owner: '이서준', severity: 'warning' }), roas, [2.6, 2.7, 3.3]),
  { reason: 'resolved', since: '2026-11-09T22:00:00Z', summary: { ko: 'ROAS가 목표를 회복했습니다.', en: 'ROAS is back above goal.' } },
);

function input(overrides: Partial<DigestEmailInput> = {}): DigestEmailInput {
  return {
    recipient: kim,
    notifications: [conversionAlert],
    project: 'Acme 마케팅',
    currency: 'KRW',
    snapshotDate: '2026-11-23',
    timeZone: 'Asia/Seoul',
    now: new Date('2026-11-23T00:30:00Z'),
    dashboardUrl: 'https://dash.example.com/kpi',
    ...overrides,
  };
}

describe('renderDigestEmail subject', () => {
  it('names one alert with its value, goal and grain, in Korean and English', () => {
    // Prepare
    const korean = input();
    const english = input({ recipient: alex });
    // Act
    const ko = renderDigestEmail(korean).subject;
    const en = renderDigestEmail(english).subject;
    // Assess
    expect(ko).toBe('[KPI] 전환율 1.4% — 목표 2.5% 미달 (주간)');
    expect(en).toBe('[KPI] Conversion rate 1.4% — below goal 2.5% (weekly)');
  });

  it('says above the limit for an at_most goal', () => {
    // Prepare
    const korean = input({ notifications: [cpaAlert] });
    const english = input({ recipient: alex, notifications: [cpaAlert] });
    // Act
    const ko = renderDigestEmail(korean).subject;
    const en = renderDigestEmail(english).subject;
    // Assess
    expect(ko).toBe('[KPI] 전환당 비용 (CPA) (meta) ₩41,200 — 목표 ₩30,000 초과 (주간)');
    expect(en).toBe('[KPI] Cost per acquisition (meta) ₩41,200 — above limit ₩30,000 (weekly)');
  });

  it('counts several alerts and names the first one shown', () => {
    // Prepare: the critical alert comes last in the input
    const notifications = [revenueAlert, cpaAlert, conversionAlert];
    // Act
    const ko = renderDigestEmail(input({ notifications })).subject;
    const en = renderDigestEmail(input({ recipient: alex, notifications })).subject;
    // Assess
    expect(ko).toBe('[KPI] 알림 3건 — 전환율 1.4% 외 2건');
    expect(en).toBe('[KPI] 3 alerts — Conversion rate 1.4% and 2 more');
  });

  it('adds the resolutions to the count, and says 해소 when only resolutions are left', () => {
    // Prepare
    const mixed = [roasResolved, conversionAlert, cpaAlert];
    const otherResolution = notification(cpaAlert.evaluation, { reason: 'resolved', key: 'meta_cpa|threshold|meta' });
    const onlyResolved = [roasResolved, otherResolution];
    // Act
    const mixedKo = renderDigestEmail(input({ notifications: mixed })).subject;
    const mixedEn = renderDigestEmail(input({ recipient: alex, notifications: mixed })).subject;
    const resolvedKo = renderDigestEmail(input({ notifications: onlyResolved })).subject;
    const resolvedEn = renderDigestEmail(input({ recipient: alex, notifications: onlyResolved })).subject;
    const oneResolved = renderDigestEmail(input({ notifications: [roasResolved] })).subject;
    // Assess
    expect(mixedKo).toBe('[KPI] 알림 2건 — 전환율 1.4% 외 1건, 해소 1건');
    expect(mixedEn).toBe('[KPI] 2 alerts — Conversion rate 1.4% and 1 more; 1 resolved');
    // Equal severity and reason: the larger relative gap first (CPA +37% before ROAS +10%).
    expect(resolvedKo).toBe('[KPI] 해소 2건 — 전환당 비용 (CPA) (meta) ₩41,200 외 1건');
    expect(resolvedEn).toBe('[KPI] 2 resolved — Cost per acquisition (meta) ₩41,200 and 1 more');
    expect(oneResolved).toBe('[KPI] 해소 — 광고 수익률 (ROAS) 3.3 (주간)');
  });

  it('names the kind of alert when the value is not off target, and the pace for a time-bound goal', () => {
    // Prepare: a daily anomaly while the goal is still met; a monthly revenue goal behind pace
    const anomaly = notification(
      evaluation(goal({ grain: 'day' }), conversionRate, [0.031, 0.026]),
      { kind: 'anomaly', key: 'conversion_daily|anomaly|all' },
    );
    const pace = notification(evaluation(
      goal({ id: 'revenue_month', kpi: 'revenue_web', grain: 'month', target: 500_000_000, start: '2026-11-01', deadline: '2026-11-30' }),
      revenue,
      [120_000_000],
      {
        status: 'behind', periodResult: 'breached', period: { start: '2026-11-01', end: '2026-11-22' },
        gap: -150_000_000, gapRatio: -0.3, pace: { actualToDate: 120_000_000, expectedToDate: 360_000_000, projected: 350_000_000, ratio: 0.33 },
      },
    ), { kind: 'pacing' });
    // Act
    const anomalyKo = renderDigestEmail(input({ notifications: [anomaly] })).subject;
    const anomalyEn = renderDigestEmail(input({ recipient: alex, notifications: [anomaly] })).subject;
    const paceKo = renderDigestEmail(input({ notifications: [pace] }));
    const paceEn = renderDigestEmail(input({ recipient: alex, notifications: [pace] }));
    // Assess
    expect(anomalyKo).toBe('[KPI] 전환율 2.6% — 이상 징후 (일간)');
    expect(anomalyEn).toBe('[KPI] Conversion rate 2.6% — anomaly (daily)');
    expect(paceKo.subject).toBe('[KPI] 웹 매출 ₩120,000,000 — 목표 ₩500,000,000 대비 부진 (월간)');
    expect(paceEn.subject).toBe('[KPI] Web revenue ₩120,000,000 — behind, goal ₩500,000,000 (monthly)');
    expect(paceKo.text).toContain('   현재까지 실적: ₩120,000,000');
    expect(paceKo.text).toContain('   마감 예상: ₩350,000,000');
    expect(paceEn.html).toContain('>Projected</td><td style="padding:4px 0;');
    expect(paceEn.html).toContain('₩350,000,000');
  });
});

describe('renderDigestEmail grouping', () => {
  it('puts critical alerts first, then the other alerts, then the resolved ones', () => {
    // Prepare
    const notifications = [roasResolved, revenueAlert, cpaAlert, conversionAlert];
    // Act
    const sections = groupNotifications(notifications);
    const { html, text } = renderDigestEmail(input({ notifications }));
    // Assess
    expect(sections.map((section) => [section.id, section.notifications.map((n) => n.evaluation.goal.id)])).toEqual([
      ['attention', ['conversion_weekly']],
      // Same severity: new before still firing.
      ['other', ['revenue_weekly', 'meta_cpa']],
      ['resolved', ['roas_weekly']],
    ]);
    const order = ['지금 확인이 필요한 알림 (1)', '전환율', '그 밖의 알림 (2)', '웹 매출', '전환당 비용 (CPA)', '해소된 알림 (1)', '광고 수익률 (ROAS)'];
    for (const body of [html, text]) {
      // Each one after the one before it (the subject in the HTML title names the first KPI too).
      let from = body.indexOf('<body');
      const found = order.map((needle) => {
        from = body.indexOf(needle, Math.max(from, 0));
        return from >= 0;
      });
      expect(found).toEqual(order.map(() => true));
    }
    expect(text).toContain('== 지금 확인이 필요한 알림 (1) ==');
    expect(text).toContain('1. [심각 · 신규] 전환율 · 주간');
    expect(text).toContain('2. [경고 · 신규] 웹 매출 · 주간');
    expect(text).toContain('3. [경고 · 지속] 전환당 비용 (CPA) (meta) · 주간');
    expect(text).toContain('4. [경고 · 해소] 광고 수익률 (ROAS) · 주간');
  });

  it('titles the sections in English for an English recipient', () => {
    // Prepare
    const notifications = [roasResolved, cpaAlert, conversionAlert];
    // Act
    const { text } = renderDigestEmail(input({ recipient: alex, notifications }));
    // Assess
    expect(text).toContain('== Needs attention now (1) ==');
    expect(text).toContain('== Other alerts (1) ==');
    expect(text).toContain('== Resolved (1) ==');
    expect(text).toContain('Hi Alex, your KPI alerts: 1 new alert, 1 still firing, and 1 resolved.');
    expect(text).toContain('2. [Warning · Still firing] Cost per acquisition (meta) · weekly');
    expect(text).toContain('3. [Warning · Resolved] Return on ad spend · weekly');
  });
});

describe('renderDigestEmail alert cards', () => {
  it('shows actual, goal, gap, period, status, reason, owner and the summary in Korean', () => {
    // Prepare
    const notifications = [conversionAlert, cpaAlert];
    // Act
    const { html, text } = renderDigestEmail(input({ notifications }));
    // Assess
    expect(html).toContain('<html lang="ko">');
    expect(html).toContain('Acme 마케팅 KPI 알림');
    expect(html).toContain('2026년 11월 23일 (월) 스냅샷 기준 · 2026년 11월 23일 오전 9:30 GMT+9 발송');
    expect(html).toContain('김민지님, 안녕하세요. 새 알림 1건 및 계속되는 알림 1건이 있습니다.');
    expect(html).toContain('>1.4%</p>');
    expect(html).toContain('>≥ 2.5%</p>');
    expect(html).toContain('>−1.1%p (−44%)</p>');
    expect(html).toContain('>₩41,200</p>');
    expect(html).toContain('>≤ ₩30,000</p>');
    expect(html).toContain('>+₩11,200 (+37.3%)</p>');
    expect(html).toContain('>11월 16일 – 11월 22일</td>');
    expect(html).toContain('>부진</td>');
    expect(html).toContain('>신규</span>');
    expect(html).toContain('>지속</span>');
    expect(html).toContain('>Alex Park</td>');
    expect(html).toContain('2주 연속 목표 아래입니다.');
    expect(html).not.toContain('Below goal 2 weeks in a row.');
    expect(html).toContain('>platform: meta</td>');
    expect(text).toContain('   차이: −1.1%p (−44%)');
    expect(text).toContain('   추이: 2.6% → 2.7% → 1.4%');
    expect(text).toContain('   책임자: 김민지');
    // The KPI's definition, in the recipient's language.
    expect(text).toContain('   정의: Σ 주요 이벤트 / Σ 세션');
    expect(html).toContain('>Σ 주요 이벤트 / Σ 세션</td>');
    expect(html).not.toContain('key events / sessions');
  });

  it('shows the English summary and the times in the recipient\'s own time zone', () => {
    // Prepare: Alex is in New York; Kim has no zone and gets the business zone
    const notifications = [conversionAlert, cpaAlert];
    // Act
    const english = renderDigestEmail(input({ recipient: alex, notifications }));
    const korean = renderDigestEmail(input({ notifications }));
    // Assess
    expect(english.text).toContain('Snapshot of Mon, Nov 23, 2026 · sent Nov 22, 2026, 7:30 PM EST');
    expect(english.text).toContain('   Since: Nov 22, 2026, 7:00 PM EST (30 minutes ago)');
    expect(english.text).toContain('   Since: Nov 16, 2026, 5:00 PM EST (6 days ago)');
    expect(english.text).toContain('   Below goal 2 weeks in a row.');
    expect(english.text).toContain('   Gap: −1.1 pts (−44%)');
    expect(english.text).toContain('Times are in America/New_York.');
    expect(english.html).not.toContain('2주 연속 목표 아래입니다.');
    expect(korean.text).toContain('   시작: 2026년 11월 17일 오전 7:00 GMT+9 (6일 전)');
    expect(korean.text).toContain('시간은 Asia/Seoul 기준입니다.');
  });

  it('labels every goal status in both languages, and an unknown status neutrally', () => {
    // Prepare
    const statuses = ['on_track', 'at_risk', 'behind', 'achieved', 'missed', 'no_data', 'met', 'breached', 'insufficient_volume', 'paused_by_admin'];
    const unknown = notification(evaluation(goal(), conversionRate, [0.026, 0.027, 0.014], {
      status: 'paused_by_admin' as GoalEvaluation['status'],
    }));
    // Act
    const ko = statuses.map((status) => statusLabel(status, 'ko'));
    const en = statuses.map((status) => statusLabel(status, 'en'));
    const email = renderDigestEmail(input({ notifications: [unknown] }));
    // Assess
    expect(ko).toEqual(['순항', '주의', '부진', '달성', '미달성', '데이터 없음', '충족', '목표 이탈', '표본 부족', 'paused by admin']);
    expect(en).toEqual(['On track', 'At risk', 'Behind', 'Achieved', 'Missed', 'No data', 'Met', 'Off target', 'Low volume', 'paused by admin']);
    expect(email.text).toContain('   상태: paused by admin');
  });

  it('shows the chart as an inline image with explicit size and alt text, and attaches it', () => {
    // Prepare: the revenue alert has two periods, a brand-new one only one (no chart)
    const single = notification(evaluation(goal({ id: 'new_goal', severity: 'warning' }), conversionRate, [0.014]));
    // Act
    const { html, attachments } = renderDigestEmail(input({ notifications: [conversionAlert, single, revenueAlert] }));
    // Assess
    const images = [...html.matchAll(/<img [^>]*>/g)].map((match) => match[0]);
    expect(images).toHaveLength(2);
    expect(images[0]).toContain('src="cid:trend-1@kpi-pipeline" width="544" height="150" alt="전환율 추이: 2.6% → 2.7% → 1.4%, 목표 2.5% 이상"');
    expect(images[1]).toContain('src="cid:trend-3@kpi-pipeline" width="544" height="150" alt="웹 매출 추이: ₩104,000,000 → ₩96,000,000, 목표 ₩100,000,000 이상"');
    expect(attachments.map((a) => [a.cid, a.filename, a.contentType])).toEqual([
      ['trend-1@kpi-pipeline', 'trend-1-conversion_weekly.png', 'image/png'],
      ['trend-3@kpi-pipeline', 'trend-3-revenue_weekly.png', 'image/png'],
    ]);
    expect(attachments[0]!.content.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(html).toContain('>11월 2일 주</td>');
    expect(html).toContain('>점선: 목표 ≥ 2.5%</td>');
  });

  it('is built for Outlook: tables, inline styles, bgcolor, at most 640px wide', () => {
    // Prepare
    const notifications = [roasResolved, cpaAlert, conversionAlert];
    // Act
    const { html } = renderDigestEmail(input({ recipient: alex, notifications }));
    // Assess
    expect(html).not.toMatch(/<style[\s>]/i);
    expect(html).not.toMatch(/<div[\s>]/i);
    expect(html).not.toMatch(/display:\s*(flex|grid)/i);
    expect(html).not.toMatch(/class=/i);
    const widths = [...html.matchAll(/width(?:="|:)(\d+)(?:px)?/g)].map((match) => Number(match[1]));
    expect(Math.max(...widths)).toBe(640);
    expect(html).toMatch(/<table role="presentation" width="640" [^>]*bgcolor="#ffffff"/);
    for (const image of html.matchAll(/<img [^>]*>/g)) {
      expect(image[0]).toMatch(/ width="\d+" height="\d+" alt="[^"]+"/);
    }
  });

  it('escapes KPI names, owners, summaries, the project and the dashboard URL', () => {
    // Prepare
    const hostileKpi: KpiDefinition = { ...conversionRate, name: { ko: '<script>alert("ko")</script>', en: '<b>en</b>' } };
    const hostile = notification(
      evaluation(goal({ owner: 'Kim "<img src=x onerror=alert(1)>"', segment: { channel: '<i>x</i>' } }), hostileKpi, [0.026, 0.014]),
      { summary: { ko: '<a href="https://evil.example">클릭</a>', en: 'x' } },
    );
    const dashboardUrl = 'https://dash.example.com/?a=1&b="><script>x</script>';
    // Act
    const { html, text, subject } = renderDigestEmail(input({ notifications: [hostile], project: 'P<&>"', dashboardUrl }));
    // Assess
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<i>');
    expect(html).not.toContain('<a href="https://evil.example"');
    expect(html.match(/<img /g)).toHaveLength(1);
    expect(html).toContain('&lt;script&gt;alert(&quot;ko&quot;)&lt;/script&gt; (&lt;i&gt;x&lt;/i&gt;)');
    expect(html).toContain('Kim &quot;&lt;img src=x onerror=alert(1)&gt;&quot;');
    expect(html).toContain('&lt;a href=&quot;https://evil.example&quot;&gt;클릭&lt;/a&gt;');
    expect(html).toContain('P&lt;&amp;&gt;&quot;');
    expect(html).toContain('alt="&lt;script&gt;alert(&quot;ko&quot;)&lt;/script&gt; (&lt;i&gt;x&lt;/i&gt;) 추이:');
    expect(html).toContain('href="https://dash.example.com/?a=1&amp;b=&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
    // Headers and the text part are not HTML: they keep the text as written.
    expect(subject).toBe('[KPI] <script>alert("ko")</script> (<i>x</i>) 1.4% — 목표 2.5% 미달 (주간)');
    expect(text).toContain('<a href="https://evil.example">클릭</a>');
  });

  it('links to the dashboard only when a URL is set, and only to http(s)', () => {
    // Prepare
    const { dashboardUrl: _, ...withoutUrl } = input();
    // Act
    const unlinked = renderDigestEmail(withoutUrl);
    const refused = renderDigestEmail(input({ dashboardUrl: 'javascript:alert(1)' }));
    const linked = renderDigestEmail(input({ recipient: alex }));
    // Assess
    expect(unlinked.html).not.toContain('href=');
    expect(refused.html).not.toContain('href=');
    expect(refused.html).not.toContain('javascript:');
    expect(linked.html).toContain('<a href="https://dash.example.com/kpi"');
    expect(linked.text).toContain('   Open the dashboard: https://dash.example.com/kpi');
  });

  it('has a plain-text part without any HTML', () => {
    // Prepare
    const notifications = [roasResolved, cpaAlert, conversionAlert];
    // Act
    const { text } = renderDigestEmail(input({ notifications }));
    // Assess
    expect(text).not.toMatch(/<\/?[a-z][^>]*>/i);
    expect(text).not.toMatch(/&(amp|lt|gt|quot|nbsp|rarr);/);
    expect(text).toContain('   최초 발생: 2026년 11월 10일 오전 7:00 GMT+9 (13일 전)');
    expect(text).toContain("kim@example.com 주소가 Acme 마케팅 프로젝트의 목표 'conversion_weekly', 'meta_cpa' 및 'roas_weekly'의 수신자로 등록되어");
  });

  it('is the same email for the same input', () => {
    // Prepare
    const notifications = [roasResolved, cpaAlert, conversionAlert];
    // Act
    const first = renderDigestEmail(input({ notifications }));
    const second = renderDigestEmail(input({ notifications: [...notifications].reverse() }));
    // Assess
    expect(second.html).toBe(first.html);
    expect(second.text).toBe(first.text);
    expect(second.attachments.map((a) => a.content.toString('base64'))).toEqual(first.attachments.map((a) => a.content.toString('base64')));
  });

  it('refuses to write a digest without an alert', () => {
    // Prepare
    const empty = input({ notifications: [] });
    // Act
    const act = () => renderDigestEmail(empty);
    // Assess
    expect(act).toThrow(MailError);
  });
});

describe('digest MIME with inline charts', () => {
  const made: string[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('sends each chart as an inline related part with its Content-ID', async () => {
    // Prepare
    const rendered = renderDigestEmail(input({ notifications: [conversionAlert, cpaAlert] }));
    // Act
    const raw = await composeMime({
      from: 'KPI 알림 <kpi@example.com>',
      to: { address: kim.email, name: kim.name! },
      subject: rendered.subject,
      html: rendered.html,
      text: rendered.text,
      date: new Date('2026-11-23T00:30:00Z'),
      messageId: '<digest-1@example.com>',
      attachments: rendered.attachments,
    });
    const parsed = await simpleParser(raw, { skipImageLinks: true });
    // Assess
    expect(parsed.subject).toBe('[KPI] 알림 2건 — 전환율 1.4% 외 1건');
    expect(parsed.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });
    expect(raw.toString('latin1')).toMatch(/^Content-Type: multipart\/related; type="text\/html";/m);
    expect(parsed.text).toBe(rendered.text);
    expect(parsed.html).toBe(rendered.html);
    expect(parsed.attachments.map((a) => [a.cid, a.contentType, a.contentDisposition, a.related, a.filename])).toEqual([
      ['trend-1@kpi-pipeline', 'image/png', 'inline', true, 'trend-1-conversion_weekly.png'],
      ['trend-2@kpi-pipeline', 'image/png', 'inline', true, 'trend-2-meta_cpa.png'],
    ]);
    expect(parsed.attachments[0]!.content.equals(rendered.attachments[0]!.content)).toBe(true);
  });

  it('refuses a Content-ID that could break the header, or two images with one id', async () => {
    // Prepare
    const base = { from: 'kpi@example.com', to: { address: 'kim@example.com' }, subject: 's', html: '<p>x</p>', text: 'x', date: new Date(0) };
    const png = Buffer.from('png');
    // Act
    const badId = composeMime({ ...base, attachments: [{ cid: 'a>\r\nBcc: x@evil.example', filename: 'a.png', contentType: 'image/png', content: png }] });
    const twice = composeMime({ ...base, attachments: [
      { cid: 'a@x', filename: 'a.png', contentType: 'image/png', content: png },
      { cid: 'a@x', filename: 'b.png', contentType: 'image/png', content: png },
    ] });
    // Assess
    await expect(badId).rejects.toThrow(MailError);
    await expect(twice).rejects.toThrow(/share the Content-ID a@x/);
  });

  it('keeps cid parts in the outbox .eml and inlines them as data: URIs in the .html preview', async () => {
    // Prepare
    const outboxDir = await mkdtemp(path.join(os.tmpdir(), 'kpi-email-digest-'));
    made.push(outboxDir);
    const rendered = renderDigestEmail(input({ notifications: [conversionAlert, cpaAlert] }));
    // Act
    await new OutboxMailer(outboxDir).send({
      from: 'KPI 알림 <kpi@example.com>',
      to: { address: kim.email },
      ...rendered,
      date: new Date('2026-11-23T00:30:00Z'),
      fileStem: '2026-11-23-kim-example-com',
    });
    const eml = await simpleParser(await readFile(path.join(outboxDir, '2026-11-23-kim-example-com.eml')), { skipImageLinks: true });
    const preview = await readFile(path.join(outboxDir, '2026-11-23-kim-example-com.html'), 'utf8');
    // Assess
    expect(eml.html).toBe(rendered.html);
    expect(eml.attachments.map((a) => a.cid)).toEqual(['trend-1@kpi-pipeline', 'trend-2@kpi-pipeline']);
    expect(preview).not.toContain('cid:');
    const sources = [...preview.matchAll(/<img src="([^"]+)"/g)].map((match) => match[1]);
    expect(sources).toEqual(rendered.attachments.map((a) => `data:image/png;base64,${a.content.toString('base64')}`));
    expect(preview.replace(/data:image\/png;base64,[A-Za-z0-9+/=]+/g, 'X')).toBe(rendered.html.replace(/cid:trend-\d@kpi-pipeline/g, 'X'));
  });
});
