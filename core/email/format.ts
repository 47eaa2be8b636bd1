import type { Grain, Locale } from '../config/schema.ts';
import type { KpiUnit } from '../kpi/definition.ts';

/**
 * Locale-aware formatting for the alert emails, with `Intl` only.
 * Calendar dates (YYYY-MM-DD) are formatted as UTC dates so no time zone moves the day.
 */

/** Shown in place of a missing value. */
export const MISSING_VALUE = '—';

/** The real minus sign (U+2212), easier to read than a hyphen in front of a number. */
const MINUS = '\u2212';

const INTL_LOCALE: Record<Locale, string> = { ko: 'ko-KR', en: 'en-US' };

const GRAIN_LABELS: Record<Locale, Record<Grain, string>> = {
  ko: { day: '일간', week: '주간', month: '월간', quarter: '분기' },
  en: { day: 'daily', week: 'weekly', month: 'monthly', quarter: 'quarterly' },
};

export function grainLabel(grain: Grain, locale: Locale): string {
  return GRAIN_LABELS[locale][grain];
}

/**
 * One KPI value in its unit: ratio → percent ("3.1%", small values "0.45%"), currency → the
 * currency's own digits ("₩1,234,000", "$12.50"), count → grouped number, duration (seconds)
 * → "1분 5초" / "1m 5s", null → "—".
 */
export function formatKpiValue(value: number | null, unit: KpiUnit, locale: Locale, currency: string): string {
  if (value === null || !Number.isFinite(value)) return MISSING_VALUE;
  return formatNumberInUnit(value, unit, locale, currency, false);
}

/**
 * The gap between actual and target, signed, in the KPI's unit, then the relative change:
 * "−0.9%p (−30%)" / "−0.9 pts (−30%)", "−₩120,000 (−12.5%)". Ratios are in percentage points.
 * The relative part is left out without a gapRatio (zero target).
 */
export function formatGap(
  gap: number | null,
  gapRatio: number | null,
  unit: KpiUnit,
  locale: Locale,
  currency: string,
): string {
  if (gap === null || !Number.isFinite(gap)) return MISSING_VALUE;
  const absolute = unit === 'ratio'
    ? formatPercentagePoints(gap, locale)
    : formatNumberInUnit(gap, unit, locale, currency, true);
  if (gapRatio === null || !Number.isFinite(gapRatio)) return absolute;
  return `${absolute} (${formatPercentChange(gapRatio, locale)})`;
}

/** A relative change as a signed percent: "+12.5%", "−30%". */
export function formatPercentChange(ratio: number, locale: Locale): string {
  return withMinus(new Intl.NumberFormat(INTL_LOCALE[locale], {
    style: 'percent',
    signDisplay: 'exceptZero',
    ...percentDigits(ratio * 100),
  }).format(ratio));
}

/**
 * The period a goal was judged on:
 * - day: "2026년 11월 22일 (일)" / "Sun, Nov 22, 2026"
 * - week: "11월 16일 – 11월 22일" / "Nov 16 – Nov 22, 2026" (years on both ends when they differ)
 * - month: "2026년 11월" / "November 2026"
 * - quarter: "2026년 4분기" / "Q4 2026"
 */
export function formatPeriod(grain: Grain, start: string, end: string, locale: Locale): string {
  const startDate = parseCalendarDate(start);
  const endDate = parseCalendarDate(end);
  switch (grain) {
    case 'day':
      return formatDay(startDate, locale);
    case 'month':
      return dateFormat(locale, { year: 'numeric', month: 'long' }).format(startDate);
    case 'quarter': {
      const quarter = Math.floor(startDate.getUTCMonth() / 3) + 1;
      return locale === 'ko' ? `${startDate.getUTCFullYear()}년 ${quarter}분기` : `Q${quarter} ${startDate.getUTCFullYear()}`;
    }
    case 'week': {
      const sameYear = startDate.getUTCFullYear() === endDate.getUTCFullYear();
      if (locale === 'ko') {
        const options: Intl.DateTimeFormatOptions = sameYear
          ? { month: 'long', day: 'numeric' }
          : { year: 'numeric', month: 'long', day: 'numeric' };
        return `${dateFormat(locale, options).format(startDate)} – ${dateFormat(locale, options).format(endDate)}`;
      }
      const startOptions: Intl.DateTimeFormatOptions = sameYear
        ? { month: 'short', day: 'numeric' }
        : { year: 'numeric', month: 'short', day: 'numeric' };
      return `${dateFormat(locale, startOptions).format(startDate)} – ` +
        dateFormat(locale, { year: 'numeric', month: 'short', day: 'numeric' }).format(endDate);
    }
  }
}

/** One calendar date with its weekday: "2026년 11월 22일 (일)" / "Sun, Nov 22, 2026". */
export function formatDay(date: string | Date, locale: Locale): string {
  const day = typeof date === 'string' ? parseCalendarDate(date) : date;
  if (locale === 'ko') {
    const weekday = dateFormat(locale, { weekday: 'short' }).format(day);
    return `${dateFormat(locale, { year: 'numeric', month: 'long', day: 'numeric' }).format(day)} (${weekday})`;
  }
  return dateFormat(locale, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric' }).format(day);
}

/** "2026-11-22" → midnight UTC of that day. Throws a RangeError on anything else. */
export function parseCalendarDate(value: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (match === null) throw new RangeError(`not a calendar date (YYYY-MM-DD): ${JSON.stringify(value)}`);
  const [, year, month, day] = match;
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  if (date.getUTCDate() !== Number(day) || date.getUTCMonth() !== Number(month) - 1) {
    throw new RangeError(`not a calendar date (YYYY-MM-DD): ${JSON.stringify(value)}`);
  }
  return date;
}

function dateFormat(locale: Locale, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat(INTL_LOCALE[locale], { ...options, timeZone: 'UTC' });
}

function formatNumberInUnit(value: number, unit: KpiUnit, locale: Locale, currency: string, signed: boolean): string {
  const intlLocale = INTL_LOCALE[locale];
  const sign: Intl.NumberFormatOptions = { signDisplay: signed ? 'exceptZero' : 'auto' };
  switch (unit) {
    case 'ratio':
      return withMinus(new Intl.NumberFormat(intlLocale, {
        style: 'percent', ...sign, ...percentDigits(value * 100),
      }).format(value));
    case 'currency':
      // The currency's own minor digits: none for KRW/JPY, two for USD/EUR.
      return withMinus(new Intl.NumberFormat(intlLocale, {
        style: 'currency', currency, currencyDisplay: 'narrowSymbol', ...sign,
      }).format(value));
    case 'count':
      // Counts are whole numbers; averages stored as counts (e.g. pages per session) keep one decimal below 100.
      return withMinus(new Intl.NumberFormat(intlLocale, {
        ...sign, maximumFractionDigits: Math.abs(value) < 100 ? 1 : 0,
      }).format(value));
    case 'duration':
      return formatDuration(value, locale, signed);
    case 'days':
      // "34.2일" / "34.2 days": one decimal, the unit spelled by Intl.
      return withMinus(new Intl.NumberFormat(intlLocale, {
        style: 'unit', unit: 'day', unitDisplay: 'long', maximumFractionDigits: 1, ...sign,
      }).format(value));
  }
}

/** Seconds → "1시간 2분 5초" / "1h 2m 5s"; zero parts are left out ("1분", "0초"). */
function formatDuration(seconds: number, locale: Locale, signed: boolean): string {
  const total = Math.round(Math.abs(seconds));
  const parts: Array<[number, 'hour' | 'minute' | 'second']> = [
    [Math.floor(total / 3600), 'hour'],
    [Math.floor((total % 3600) / 60), 'minute'],
    [total % 60, 'second'],
  ];
  const shown = parts
    .filter(([amount], index) => amount > 0 || (total === 0 && index === parts.length - 1))
    .map(([amount, unit]) => new Intl.NumberFormat(INTL_LOCALE[locale], {
      style: 'unit', unit, unitDisplay: 'narrow',
    }).format(amount));
  const sign = total === 0 ? '' : seconds < 0 ? MINUS : signed ? '+' : '';
  return sign + shown.join(' ');
}

function formatPercentagePoints(gap: number, locale: Locale): string {
  const points = gap * 100;
  const number = withMinus(new Intl.NumberFormat(INTL_LOCALE[locale], {
    signDisplay: 'exceptZero', ...percentDigits(points),
  }).format(points));
  return locale === 'ko' ? `${number}%p` : `${number} pts`;
}

/** Up to one decimal ("3.1%"), two significant digits for values under 1% ("0.45%"). */
function percentDigits(percent: number): Intl.NumberFormatOptions {
  const magnitude = Math.abs(percent);
  if (magnitude > 0 && magnitude < 1) return { maximumSignificantDigits: 2 };
  return { maximumFractionDigits: 1 };
}

function withMinus(formatted: string): string {
  return formatted.replace(/-/g, MINUS);
}
