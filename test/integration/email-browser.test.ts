import { mkdir, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertNotification } from '../../core/alerts/notification.ts';
import type { Goal } from '../../core/config/schema.ts';
import type { GoalEvaluation } from '../../core/goals/evaluation.ts';
import type { KpiDefinition } from '../../core/kpi/definition.ts';
import { OutboxMailer } from '../../core/email/outbox-mailer.ts';
import { renderDigestEmail } from '../../core/email/render-digest-email.ts';
import { renderScorecardEmail } from '../../core/email/render-scorecard-email.ts';
import { chromiumMissing, launchChromium, type HeadlessChromium } from '../support/chromium.ts';
import { tempDirs } from '../support/temp-dir.ts';

/**
 * Renders the emails' .html previews (as the outbox writes them) in headless Chromium: the chart
 * images must decode, the key numbers must be visible text, and nothing may stick out of the
 * 640 px column. Screenshots are kept in <tmpdir>/kpi-pipeline-email-browser/ to look at.
 */

const missing = chromiumMissing();
if (missing !== undefined) console.warn(`email-browser.test.ts ${missing}`);

const SCREENSHOT_DIR = path.join(os.tmpdir(), 'kpi-pipeline-email-browser');

const conversionRate: KpiDefinition = {
  id: 'conversion_rate', name: { ko: '전환율', en: 'Conversion rate' }, definition: { ko: 'Σ 주요 이벤트 / Σ 세션', en: 'key events / sessions' },
  unit: 'ratio', direction: 'higher_is_better', category: 'conversion', table: 'ga4_traffic_daily', numerator: 'key_events',
  denominator: 'sessions', segments: [],
};
const cpa: KpiDefinition = {
  ...conversionRate, id: 'cpa', name: { ko: '전환당 비용 (CPA)', en: 'Cost per acquisition' }, unit: 'currency',
  direction: 'lower_is_better', category: 'efficiency',
};
const roas: KpiDefinition = { ...cpa, id: 'roas', name: { ko: '광고 수익률 (ROAS)', en: 'Return on ad spend' }, unit: 'count', direction: 'higher_is_better' };
const sessions: KpiDefinition = { ...conversionRate, id: 'sessions', name: { ko: '세션 수', en: 'Sessions' }, unit: 'count', category: 'acquisition' };

const weeks = ['2026-09-28', '2026-10-05', '2026-10-12', '2026-10-19', '2026-10-26', '2026-11-02', '2026-11-09', '2026-11-16'];

function evaluation(goal: Partial<Goal> & { id: string; target: number }, kpi: KpiDefinition, values: readonly number[]): GoalEvaluation {
  const fullGoal: Goal = {
    kpi: kpi.id, grain: 'week', direction: kpi.direction === 'lower_is_better' ? 'at_most' : 'at_least', owner: '김민지',
    recipients: ['kim@example.com'], severity: 'warning', ...goal,
  };
  const actual = values.at(-1)!;
  const gap = actual - goal.target;
  const off = fullGoal.direction === 'at_least' ? actual < goal.target : actual > goal.target;
  return {
    goal: fullGoal, kpi, status: off ? 'behind' : 'on_track', periodResult: off ? 'breached' : 'met',
    period: { start: '2026-11-16', end: '2026-11-22' }, actual, target: goal.target, gap, gapRatio: gap / Math.abs(goal.target),
    trend: values.map((value, index) => ({ periodStart: weeks[index + weeks.length - values.length]!, value })),
  };
}

const conversion = evaluation({ id: 'conversion_weekly', target: 0.025, severity: 'critical' }, conversionRate, [0.031, 0.029, 0.033, 0.026, 0.027, 0.028, 0.027, 0.014]);
const metaCpa = evaluation({ id: 'meta_cpa', target: 30_000, owner: 'Alex Park', segment: { platform: 'meta' } }, cpa, [24_000, 26_000, 25_000, 27_000, 31_000, 33_000, 36_500, 41_200]);
const roasWeekly = evaluation({ id: 'roas_weekly', target: 3, owner: '이서준' }, roas, [3.4, 3.2, 2.6, 2.7, 3.3]);
const sessionsWeekly = evaluation({ id: 'sessions_weekly', target: 40_000, owner: '박지훈' }, sessions, [41_000, 43_000, 42_000, 45_500, 44_100, 46_000, 47_250, 48_120]);

const notifications: AlertNotification[] = [
  {
    key: 'conversion_weekly|threshold|all', reason: 'firing', kind: 'threshold', severity: 'critical', evaluation: conversion,
    summary: { ko: '결제 단계 이후 전환율이 2주 연속 목표 아래입니다.', en: 'Below goal 2 weeks in a row.' }, since: '2026-11-23T00:00:00Z',
  },
  {
    key: 'meta_cpa|threshold|meta', reason: 'repeat', kind: 'threshold', severity: 'warning', evaluation: metaCpa,
    summary: { ko: 'Meta CPA가 3주째 한도를 넘었습니다.', en: 'Meta CPA above the limit for 3 weeks.' }, since: '2026-11-16T22:00:00Z',
  },
  {
    key: 'roas_weekly|threshold|all', reason: 'resolved', kind: 'threshold', severity: 'warning', evaluation: roasWeekly,
    summary: { ko: 'ROAS가 목표를 회복했습니다.', en: 'ROAS is back above goal.' }, since: '2026-11-09T22:00:00Z',
  },
];

/** The little of the DOM the page measurements use (the project compiles without the DOM library). */
interface Box { readonly left: number; readonly right: number; readonly width: number }
interface PageElement { readonly tagName: string; readonly textContent: string | null; getBoundingClientRect(): Box }
interface PageImage {
  readonly alt: string; readonly complete: boolean; readonly naturalWidth: number; readonly naturalHeight: number;
  readonly width: number; readonly height: number; readonly src: string;
}
interface PageDocument {
  querySelector(selector: string): PageElement & { querySelectorAll(selector: string): Iterable<PageElement> };
  readonly images: Iterable<PageImage>;
  readonly body: { readonly innerText: string };
  readonly documentElement: { readonly scrollWidth: number };
}

interface PageFacts {
  readonly images: ReadonlyArray<{ alt: string; complete: boolean; naturalWidth: number; naturalHeight: number; width: number; height: number; data: boolean }>;
  readonly text: string;
  readonly columnWidth: number;
  readonly overflowing: readonly string[];
  readonly scrollWidth: number;
}

describe.skipIf(missing !== undefined)('emails in headless Chromium', () => {
  const dirs = tempDirs('kpi-email-browser-');
  let browser: HeadlessChromium;

  beforeAll(async () => {
    browser = await launchChromium();
    await mkdir(SCREENSHOT_DIR, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await dirs.removeAll();
  });

  /** Writes the email with the outbox mailer, opens its .html preview from a file:// URL and measures it. */
  async function openPreview(email: { subject: string; html: string; text: string; attachments: readonly { cid: string; filename: string; contentType: string; content: Buffer }[] }, name: string) {
    const outbox = await dirs.make();
    await new OutboxMailer(outbox).send({
      from: 'KPI 알림 <kpi@example.com>', to: { address: 'kim@example.com' }, ...email, date: new Date('2026-11-23T00:30:00Z'), fileStem: name,
    });
    const htmlPath = path.join(outbox, `${name}.html`);
    const page = await browser.context.newPage();
    const refused: string[] = [];
    page.on('requestfailed', (request) => refused.push(request.url()));
    await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load' });
    const facts: PageFacts = await page.evaluate(() => {
      const document = (globalThis as unknown as { document: PageDocument }).document;
      const column = document.querySelector('table[width="640"]');
      const box = column.getBoundingClientRect();
      const overflowing = [...column.querySelectorAll('*')]
        .filter((element) => {
          const rect = element.getBoundingClientRect();
          return rect.width > 0 && (rect.right > box.right + 0.5 || rect.left < box.left - 0.5);
        })
        .map((element) => `${element.tagName} ${(element.textContent ?? '').slice(0, 40)}`);
      return {
        images: [...document.images].map((image) => ({
          alt: image.alt, complete: image.complete, naturalWidth: image.naturalWidth, naturalHeight: image.naturalHeight,
          width: image.width, height: image.height, data: image.src.startsWith('data:image/png;base64,'),
        })),
        text: document.body.innerText,
        columnWidth: box.width,
        overflowing,
        scrollWidth: document.documentElement.scrollWidth,
      };
    });
    return { page, facts, htmlPath, refused };
  }

  it('shows the digest with every chart loaded and the key numbers visible', async () => {
    // Prepare
    const email = renderDigestEmail({
      recipient: { email: 'kim@example.com', name: '김민지', locale: 'ko' }, notifications, project: 'Acme 마케팅', currency: 'KRW',
      snapshotDate: '2026-11-23', timeZone: 'Asia/Seoul', now: new Date('2026-11-23T00:30:00Z'), dashboardUrl: 'https://dash.example.com/kpi',
    });
    // Act
    const { page, facts, refused } = await openPreview(email, 'digest-ko');
    const screenshot = path.join(SCREENSHOT_DIR, 'digest-ko.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    await page.close();
    // Assess
    expect(facts.images).toHaveLength(3);
    for (const image of facts.images) {
      expect(image).toMatchObject({ complete: true, data: true, width: 544, height: 150, naturalWidth: 1088, naturalHeight: 300 });
    }
    expect(facts.images[0]!.alt).toBe('전환율 추이: 3.1% → 2.9% → 3.3% → 2.6% → 2.7% → 2.8% → 2.7% → 1.4%, 목표 2.5% 이상');
    for (const visible of ['1.4%', '≥ 2.5%', '−1.1%p (−44%)', '₩41,200', '≤ ₩30,000', '+₩11,200 (+37.3%)', '3.3', '≥ 3', '+0.3 (+10%)']) {
      expect(facts.text).toContain(visible);
    }
    expect(facts.text).toContain('지금 확인이 필요한 알림 (1)');
    expect(facts.text).toContain('결제 단계 이후 전환율이 2주 연속 목표 아래입니다.');
    expect(facts.columnWidth).toBeLessThanOrEqual(640);
    expect(facts.overflowing).toEqual([]);
    expect(facts.scrollWidth).toBeLessThanOrEqual(800);
    expect(refused).toEqual([]);
    expect((await stat(screenshot)).size).toBeGreaterThan(10_000);
    expect((await readFile(screenshot)).subarray(1, 4).toString('latin1')).toBe('PNG');
  });

  it('shows the scorecard with every sparkline loaded', async () => {
    // Prepare
    const email = renderScorecardEmail({
      recipient: { email: 'alex@example.com', name: 'Alex', locale: 'en' }, evaluations: [conversion, metaCpa, roasWeekly, sessionsWeekly],
      project: 'Acme', currency: 'KRW', weekStart: '2026-11-16', dashboardUrl: 'https://dash.example.com/kpi',
    });
    // Act
    const { page, facts } = await openPreview(email, 'scorecard-en');
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'scorecard-en.png'), fullPage: true });
    await page.close();
    // Assess
    expect(facts.images).toHaveLength(4);
    for (const image of facts.images) {
      expect(image).toMatchObject({ complete: true, data: true, width: 80, height: 24, naturalWidth: 160, naturalHeight: 48 });
    }
    for (const visible of ['Conversion rate', '1.4%', '≥ 2.5%', '−1.1 pts', '(−44%)', 'Behind', 'On track', 'Owner Alex Park', 'Hi Alex, 2 of your 4 goals are met this week.']) {
      expect(facts.text).toContain(visible);
    }
    expect(facts.columnWidth).toBeLessThanOrEqual(640);
    expect(facts.overflowing).toEqual([]);
  });
});
