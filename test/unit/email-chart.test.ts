import { describe, expect, it } from 'vitest';
import { renderTrendChart, type TrendChartInput } from '../../core/email/trend-chart.ts';

const weeks = ['2026-11-02', '2026-11-09', '2026-11-16'];

function points(values: ReadonlyArray<number | null>): TrendChartInput['points'] {
  return values.map((value, index) => ({ periodStart: weeks[index] ?? `2026-12-0${index}`, value }));
}

function chartInput(overrides: Partial<TrendChartInput> = {}): TrendChartInput {
  return {
    points: points([0.026, 0.027, 0.014]),
    target: 0.025,
    direction: 'at_least',
    unit: 'ratio',
    locale: 'ko',
    currency: 'KRW',
    label: '전환율',
    ...overrides,
  };
}

/** Width and height from the PNG's IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('renderTrendChart', () => {
  it('gives the same PNG bytes for the same input', () => {
    // Prepare
    const input = chartInput();
    // Act
    const first = renderTrendChart(input);
    const second = renderTrendChart({ ...input, points: [...input.points] });
    // Assess
    expect(second.svg).toBe(first.svg);
    expect(second.png.equals(first.png)).toBe(true);
  });

  it('renders a PNG at twice the CSS size it reports', () => {
    // Prepare
    const large = chartInput();
    const small = chartInput({ width: 80, height: 24 });
    // Act
    const chart = renderTrendChart(large);
    const sparkline = renderTrendChart(small);
    // Assess
    expect([chart.width, chart.height]).toEqual([560, 160]);
    expect(pngSize(chart.png)).toEqual({ width: 1120, height: 320 });
    expect([sparkline.width, sparkline.height]).toEqual([80, 24]);
    expect(pngSize(sparkline.png)).toEqual({ width: 160, height: 48 });
  });

  it('writes the values and the goal into the alt text, in Korean and English', () => {
    // Prepare
    const korean = chartInput();
    const english = chartInput({ locale: 'en', label: 'Conversion rate' });
    const budget = chartInput({
      locale: 'en', label: 'Cost per acquisition', unit: 'currency', direction: 'at_most', target: 30_000,
      points: points([26_000, null, 41_200]),
    });
    const noGoal = chartInput({ target: null, direction: null, points: points([1200, 1350]), unit: 'count', label: '세션 수' });
    // Act
    const alts = [korean, english, budget, noGoal].map((input) => renderTrendChart(input).alt);
    // Assess
    expect(alts).toEqual([
      '전환율 추이: 2.6% → 2.7% → 1.4%, 목표 2.5% 이상',
      'Conversion rate trend: 2.6% → 2.7% → 1.4%, goal at least 2.5%',
      'Cost per acquisition trend: ₩26,000 → no data → ₩41,200, goal at most ₩30,000',
      '세션 수 추이: 1,200 → 1,350',
    ]);
  });

  it('draws the goal as a dashed line and no text at all', () => {
    // Prepare
    const input = chartInput();
    // Act
    const { svg } = renderTrendChart(input);
    // Assess
    expect(svg).toMatch(/<line [^>]*stroke-dasharray="6 4"/);
    expect(svg).not.toMatch(/<text[\s>]/);
    expect(svg).not.toMatch(/font/);
    // The alt text is the SVG's title (escaped), for anyone opening the SVG itself.
    expect(svg).toContain('<title>전환율 추이: 2.6% → 2.7% → 1.4%, 목표 2.5% 이상</title>');
  });

  it('marks the last value red on the wrong side of the goal and green on the right side', () => {
    // Prepare
    const belowMinimum = chartInput({ points: points([0.026, 0.027, 0.014]) });
    const aboveMinimum = chartInput({ points: points([0.026, 0.027, 0.031]) });
    const overLimit = chartInput({ direction: 'at_most', target: 0.5, points: points([0.4, 0.45, 0.6]) });
    const underLimit = chartInput({ direction: 'at_most', target: 0.5, points: points([0.6, 0.55, 0.4]) });
    // Act
    const charts = [belowMinimum, aboveMinimum, overLimit, underLimit].map(renderTrendChart);
    // Assess
    const lastDot = (svg: string) => /<circle [^>]*r="6" fill="(#[0-9a-f]{6})"/.exec(svg)?.[1];
    expect(charts.map((chart) => lastDot(chart.svg))).toEqual(['#d92d20', '#079455', '#d92d20', '#079455']);
    expect(charts[0]!.png.equals(charts[1]!.png)).toBe(false);
  });

  it('breaks the line where a period has no value, and draws the highlight only for a real last value', () => {
    // Prepare
    const withGap = chartInput({ points: [...points([0.03, 0.029]), { periodStart: '2026-11-23', value: null }, { periodStart: '2026-11-30', value: 0.02 }, { periodStart: '2026-12-07', value: 0.021 }] });
    const lastMissing = chartInput({ points: points([0.03, 0.029, null]) });
    // Act
    const gap = renderTrendChart(withGap).svg;
    const missing = renderTrendChart(lastMissing).svg;
    // Assess
    expect(gap.match(/<polyline /g)).toHaveLength(2);
    expect(missing).not.toMatch(/r="6"/);
  });

  it('refuses a size that is not a sensible whole number of pixels', () => {
    // Prepare
    const tooWide = chartInput({ width: 5000 });
    const fractional = chartInput({ height: 10.5 });
    // Act
    const actWide = () => renderTrendChart(tooWide);
    const actFraction = () => renderTrendChart(fractional);
    // Assess
    expect(actWide).toThrow(RangeError);
    expect(actFraction).toThrow(/whole number of pixels/);
  });
});
