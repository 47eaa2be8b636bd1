import { describe, expect, it } from 'vitest';
import { formatGap, formatKpiValue, formatPercentChange, formatPeriod, grainLabel } from '../../core/email/format.ts';

describe('formatKpiValue', () => {
  it.each([
    // value, unit, locale, currency, expected
    [0.031, 'ratio', 'ko', 'KRW', '3.1%'],
    [0.031, 'ratio', 'en', 'KRW', '3.1%'],
    [0.03, 'ratio', 'en', 'KRW', '3%'],
    [0.0045, 'ratio', 'ko', 'KRW', '0.45%'],
    [0.004567, 'ratio', 'en', 'KRW', '0.46%'],
    [0.12345, 'ratio', 'en', 'KRW', '12.3%'],
    [0, 'ratio', 'ko', 'KRW', '0%'],
    [1234000, 'currency', 'ko', 'KRW', '₩1,234,000'],
    [1234000.4, 'currency', 'en', 'KRW', '₩1,234,000'],
    [1234.5, 'currency', 'en', 'USD', '$1,234.50'],
    [1234.5, 'currency', 'ko', 'USD', '$1,234.50'],
    [1234567, 'count', 'ko', 'KRW', '1,234,567'],
    [1234567.4, 'count', 'en', 'KRW', '1,234,567'],
    [2.345, 'count', 'en', 'KRW', '2.3'],
    [65, 'duration', 'ko', 'KRW', '1분 5초'],
    [65, 'duration', 'en', 'KRW', '1m 5s'],
    [3725.4, 'duration', 'en', 'KRW', '1h 2m 5s'],
    [3725, 'duration', 'ko', 'KRW', '1시간 2분 5초'],
    [120, 'duration', 'en', 'KRW', '2m'],
    [42, 'duration', 'ko', 'KRW', '42초'],
    [0, 'duration', 'en', 'KRW', '0s'],
  ] as const)('formats %s as %s (%s)', (value, unit, locale, currency, expected) => {
    // Prepare: the arguments above
    // Act
    const formatted = formatKpiValue(value, unit, locale, currency);
    // Assess
    expect(formatted).toBe(expected);
  });

  it('shows a dash for a missing value in every unit', () => {
    // Prepare
    const units = ['ratio', 'currency', 'count', 'duration'] as const;
    // Act
    const formatted = units.flatMap((unit) => [formatKpiValue(null, unit, 'ko', 'KRW'), formatKpiValue(null, unit, 'en', 'USD')]);
    // Assess
    expect(formatted).toEqual(Array(8).fill('—'));
  });
});

describe('formatGap', () => {
  it.each([
    [-0.012, -0.2857, 'ratio', 'ko', 'KRW', '−1.2%p (−28.6%)'],
    [-0.012, -0.2857, 'ratio', 'en', 'KRW', '−1.2 pts (−28.6%)'],
    [0.009, 0.3, 'ratio', 'ko', 'KRW', '+0.9%p (+30%)'],
    [-0.0004, -0.1, 'ratio', 'en', 'KRW', '−0.04 pts (−10%)'],
    [-120000, -0.125, 'currency', 'ko', 'KRW', '−₩120,000 (−12.5%)'],
    [250.5, 0.05, 'currency', 'en', 'USD', '+$250.50 (+5%)'],
    [-1500, -0.15, 'count', 'en', 'KRW', '−1,500 (−15%)'],
    [-65, -0.52, 'duration', 'ko', 'KRW', '−1분 5초 (−52%)'],
    [30, 0.25, 'duration', 'en', 'KRW', '+30s (+25%)'],
  ] as const)('formats gap %s (%s) in %s/%s', (gap, gapRatio, unit, locale, currency, expected) => {
    // Prepare: the arguments above
    // Act
    const formatted = formatGap(gap, gapRatio, unit, locale, currency);
    // Assess
    expect(formatted).toBe(expected);
  });

  it('leaves out the relative change for a zero target and shows a dash without a gap', () => {
    // Prepare
    const zeroTarget = { gap: 12, gapRatio: null };
    // Act
    const withoutRatio = formatGap(zeroTarget.gap, zeroTarget.gapRatio, 'count', 'en', 'KRW');
    const withoutGap = formatGap(null, null, 'ratio', 'ko', 'KRW');
    // Assess
    expect(withoutRatio).toBe('+12');
    expect(withoutGap).toBe('—');
  });

  it('formats a relative change with a real minus sign', () => {
    // Prepare
    const ratio = -0.3;
    // Act
    const formatted = formatPercentChange(ratio, 'en');
    // Assess
    expect(formatted).toBe('−30%');
  });
});

describe('formatPeriod', () => {
  it.each([
    ['day', '2026-11-22', '2026-11-22', 'ko', '2026년 11월 22일 (일)'],
    ['day', '2026-11-22', '2026-11-22', 'en', 'Sun, Nov 22, 2026'],
    ['week', '2026-11-16', '2026-11-22', 'ko', '11월 16일 – 11월 22일'],
    ['week', '2026-11-16', '2026-11-22', 'en', 'Nov 16 – Nov 22, 2026'],
    ['week', '2025-12-29', '2026-01-04', 'ko', '2025년 12월 29일 – 2026년 1월 4일'],
    ['week', '2025-12-29', '2026-01-04', 'en', 'Dec 29, 2025 – Jan 4, 2026'],
    ['month', '2026-11-01', '2026-11-30', 'ko', '2026년 11월'],
    ['month', '2026-11-01', '2026-11-30', 'en', 'November 2026'],
    // The first of a month stays the first whatever the machine's time zone.
    ['day', '2026-01-01', '2026-01-01', 'en', 'Thu, Jan 1, 2026'],
  ] as const)('formats a %s from %s to %s in %s', (grain, start, end, locale, expected) => {
    // Prepare: the arguments above
    // Act
    const formatted = formatPeriod(grain, start, end, locale);
    // Assess
    expect(formatted).toBe(expected);
  });

  it('rejects a date that is not YYYY-MM-DD', () => {
    // Prepare
    const badDate = '2026-02-30';
    // Act
    const act = () => formatPeriod('day', badDate, badDate, 'en');
    // Assess
    expect(act).toThrow(RangeError);
  });
});

describe('grainLabel', () => {
  it('names each grain in both languages', () => {
    // Prepare
    const grains = ['day', 'week', 'month'] as const;
    // Act
    const ko = grains.map((grain) => grainLabel(grain, 'ko'));
    const en = grains.map((grain) => grainLabel(grain, 'en'));
    // Assess
    expect(ko).toEqual(['일간', '주간', '월간']);
    expect(en).toEqual(['daily', 'weekly', 'monthly']);
  });
});
