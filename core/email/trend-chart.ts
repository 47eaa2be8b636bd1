import { initWasm, Resvg } from '@resvg/resvg-wasm';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Locale } from '../config/schema.ts';
import type { KpiUnit } from '../kpi/definition.ts';
import { escapeHtml } from './escape-html.ts';
import { formatKpiValue } from './format.ts';

/**
 * resvg as WebAssembly: the same renderer on a laptop and on arm64 Lambda, where a native addon
 * built for x64 would not load. The .wasm sits beside a Lambda bundle, or in node_modules.
 */
const besideBundle = fileURLToPath(new URL('./index_bg.wasm', import.meta.url));
await initWasm(readFileSync(existsSync(besideBundle) ? besideBundle : createRequire(import.meta.url).resolve('@resvg/resvg-wasm/index_bg.wasm')));

/**
 * A small trend chart for emails: the KPI's recent values as a line, the goal as a dashed line,
 * the side of the goal that is a miss lightly shaded, and the last value as a large dot (red
 * when it is on the wrong side of the goal).
 *
 * The chart draws no text at all: Lambda has no system fonts, and text baked into a picture is
 * neither translatable nor readable by a screen reader. The numbers are in the HTML beside the
 * chart and in `alt`. Without fonts the PNG depends on the input only, so the same input always
 * gives the same bytes.
 */

export interface TrendChartInput {
  /** Oldest first; null is a period without a value (a gap in the line). */
  readonly points: ReadonlyArray<{ readonly periodStart: string; readonly value: number | null }>;
  readonly target: number | null;
  readonly direction: 'at_least' | 'at_most' | null;
  readonly unit: KpiUnit;
  readonly locale: Locale;
  /** ISO 4217 code for currency KPIs (alt text). */
  readonly currency: string;
  /** The KPI's name in `locale`, for the alt text ("전환율"). */
  readonly label: string;
  /** Draw the last value as a large dot; default true. */
  readonly highlightLast?: boolean;
  /** CSS pixels; the PNG has twice as many for high-density screens. Default 560 × 160. */
  readonly width?: number;
  readonly height?: number;
}

export interface TrendChart {
  readonly svg: string;
  /** PNG at 2× (`width * 2` × `height * 2` pixels): show it at `width` × `height`. */
  readonly png: Buffer;
  /** One sentence with the values, in the locale: "전환율 추이: 2.6% → 2.7% → 1.4%, 목표 2.5% 이상". */
  readonly alt: string;
  /** CSS pixels, for the `<img>` width and height attributes. */
  readonly width: number;
  readonly height: number;
}

/** The PNG's pixel density. */
export const CHART_SCALE = 2;

const COLORS = {
  background: '#ffffff',
  axis: '#e4e7ec',
  missZone: '#fef3f2',
  goal: '#667085',
  line: '#2563eb',
  good: '#079455',
  bad: '#d92d20',
} as const;

const ALT: Record<Locale, {
  readonly trend: (label: string, values: string) => string;
  readonly goal: (target: string, direction: 'at_least' | 'at_most' | null) => string;
  readonly noData: string;
}> = {
  ko: {
    trend: (label, values) => `${label} 추이: ${values}`,
    goal: (target, direction) => `목표 ${target}${direction === 'at_least' ? ' 이상' : direction === 'at_most' ? ' 이하' : ''}`,
    noData: '데이터 없음',
  },
  en: {
    trend: (label, values) => `${label} trend: ${values}`,
    goal: (target, direction) => `goal ${direction === 'at_least' ? 'at least ' : direction === 'at_most' ? 'at most ' : ''}${target}`,
    noData: 'no data',
  },
};

export function renderTrendChart(input: TrendChartInput): TrendChart {
  const width = checkSize(input.width ?? 560, 'width');
  const height = checkSize(input.height ?? 160, 'height');
  const svg = renderSvg(input, width, height);
  const png = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: CHART_SCALE },
    // No fonts: the chart has no text, and no font scan keeps it fast and the same everywhere.
    font: { loadSystemFonts: false },
    shapeRendering: 2,
    background: COLORS.background,
  }).render().asPng();
  return { svg, png: Buffer.from(png), alt: altText(input), width, height };
}

/** "전환율 추이: 2.6% → 2.7% → 1.4%, 목표 2.5% 이상" / "Conversion rate trend: 2.6% → 2.7% → 1.4%, goal at least 2.5%". */
export function altText(input: Pick<TrendChartInput, 'points' | 'target' | 'direction' | 'unit' | 'locale' | 'currency' | 'label'>): string {
  const words = ALT[input.locale];
  const values = input.points.length === 0
    ? words.noData
    : input.points
      .map((point) => point.value === null || !Number.isFinite(point.value)
        ? words.noData
        : formatKpiValue(point.value, input.unit, input.locale, input.currency))
      .join(' → ');
  const sentence = words.trend(input.label, values);
  if (input.target === null || !Number.isFinite(input.target)) return sentence;
  return `${sentence}, ${words.goal(formatKpiValue(input.target, input.unit, input.locale, input.currency), input.direction)}`;
}

function renderSvg(input: TrendChartInput, width: number, height: number): string {
  const compact = height < 64;
  const padX = compact ? 5 : 14;
  const padY = compact ? 5 : 14;
  const left = padX;
  const right = width - padX;
  const top = padY;
  const bottom = height - padY;

  const values = input.points.map((point) => (point.value !== null && Number.isFinite(point.value) ? point.value : null));
  const target = input.target !== null && Number.isFinite(input.target) ? input.target : null;
  const [low, high] = domain([...values, target].filter((value): value is number => value !== null));
  const y = (value: number): number => bottom - ((value - low) / (high - low)) * (bottom - top);
  const count = values.length;
  const x = (index: number): number => (count <= 1 ? (left + right) / 2 : left + (index * (right - left)) / (count - 1));

  const parts: string[] = [
    `<rect x="0" y="0" width="${width}" height="${height}" fill="${COLORS.background}"/>`,
  ];
  if (target !== null) {
    const goalY = y(target);
    // Shade the side of the goal that is a miss.
    if (input.direction === 'at_least' && goalY < height) {
      parts.push(`<rect x="0" y="${n(goalY)}" width="${width}" height="${n(height - goalY)}" fill="${COLORS.missZone}"/>`);
    } else if (input.direction === 'at_most' && goalY > 0) {
      parts.push(`<rect x="0" y="0" width="${width}" height="${n(goalY)}" fill="${COLORS.missZone}"/>`);
    }
  }
  if (!compact) {
    parts.push(`<line x1="0" y1="${n(height - 0.5)}" x2="${width}" y2="${n(height - 0.5)}" stroke="${COLORS.axis}" stroke-width="1"/>`);
  }
  if (target !== null) {
    const goalY = n(y(target));
    parts.push(
      `<line x1="0" y1="${goalY}" x2="${width}" y2="${goalY}" stroke="${COLORS.goal}" ` +
      `stroke-width="${compact ? 1 : 1.5}" stroke-dasharray="${compact ? '3 2' : '6 4'}"/>`,
    );
  }

  // The line, broken where a period has no value.
  const lineWidth = compact ? 1.5 : 2.5;
  let run: string[] = [];
  const runs: string[][] = [];
  values.forEach((value, index) => {
    if (value === null) {
      if (run.length > 0) runs.push(run);
      run = [];
    } else {
      run.push(`${n(x(index))},${n(y(value))}`);
    }
  });
  if (run.length > 0) runs.push(run);
  for (const points of runs) {
    if (points.length > 1) {
      parts.push(
        `<polyline points="${points.join(' ')}" fill="none" stroke="${COLORS.line}" stroke-width="${lineWidth}" ` +
        'stroke-linejoin="round" stroke-linecap="round"/>',
      );
    }
  }

  const highlight = input.highlightLast ?? true;
  const lastIndex = count - 1;
  values.forEach((value, index) => {
    if (value === null || (highlight && index === lastIndex)) return;
    if (compact) {
      // A single value between gaps still needs a mark; otherwise the line is enough.
      const alone = (values[index - 1] ?? null) === null && (values[index + 1] ?? null) === null;
      if (alone) parts.push(`<circle cx="${n(x(index))}" cy="${n(y(value))}" r="1.5" fill="${COLORS.line}"/>`);
      return;
    }
    parts.push(`<circle cx="${n(x(index))}" cy="${n(y(value))}" r="3.5" fill="${COLORS.background}" stroke="${COLORS.line}" stroke-width="2"/>`);
  });
  const last = values[lastIndex];
  if (highlight && last !== undefined && last !== null) {
    const color = target === null || input.direction === null
      ? COLORS.line
      : isMiss(last, target, input.direction) ? COLORS.bad : COLORS.good;
    const cx = n(x(lastIndex));
    const cy = n(y(last));
    if (compact) {
      parts.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${color}"/>`);
    } else {
      parts.push(
        `<circle cx="${cx}" cy="${cy}" r="11" fill="${color}" fill-opacity="0.16"/>`,
        `<circle cx="${cx}" cy="${cy}" r="6" fill="${color}" stroke="${COLORS.background}" stroke-width="2"/>`,
      );
    }
  }

  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">` +
    `<title>${escapeHtml(altText(input))}</title>` +
    parts.join('') +
    '</svg>';
}

/** The value range shown: all values and the goal, with some room above and below. */
function domain(values: readonly number[]): [number, number] {
  if (values.length === 0) return [0, 1];
  let low = Math.min(...values);
  let high = Math.max(...values);
  if (high - low < 1e-12) {
    const half = Math.abs(high) > 1e-12 ? Math.abs(high) * 0.1 : 1;
    low -= half;
    high += half;
  }
  const room = (high - low) * 0.15;
  const allNonNegative = values.every((value) => value >= 0);
  return [allNonNegative ? Math.max(0, low - room) : low - room, high + room];
}

function isMiss(value: number, target: number, direction: 'at_least' | 'at_most'): boolean {
  return direction === 'at_least' ? value < target : value > target;
}

function checkSize(size: number, name: string): number {
  if (!Number.isInteger(size) || size < 16 || size > 2000) {
    throw new RangeError(`the chart ${name} must be a whole number of pixels from 16 to 2000, not ${size}`);
  }
  return size;
}

/** Coordinates with two decimals at most, written the same way every time. */
function n(value: number): string {
  return String(Math.round(value * 100) / 100);
}
