import type { Locale } from '../config/schema.ts';
import type { GoalEvaluation } from '../goals/evaluation.ts';
import type { InlineAttachment } from './compose-mime.ts';
import { hasChart, type GoalView } from './goal-view.ts';
import { renderTrendChart } from './trend-chart.ts';

/** An image the HTML shows from an inline attachment (`<img src="cid:…">`). */
export interface InlineImage {
  readonly cid: string;
  readonly alt: string;
  readonly width: number;
  readonly height: number;
}

export interface InlineChartOptions {
  readonly locale: Locale;
  readonly currency: string;
  readonly width: number;
  readonly height: number;
  /** Names the attachment: `<name>-<index>@kpi-pipeline`, `<name>-<index>-<goal id>.png`. */
  readonly name: string;
  readonly index: number;
}

/**
 * A goal's trend as a PNG attached inline (added to `attachments`), and the image that shows it;
 * null when the trend has nothing to draw. The digest's charts and the scorecard's sparklines.
 */
export function attachTrendChart(
  evaluation: GoalEvaluation, view: GoalView, options: InlineChartOptions, attachments: InlineAttachment[],
): InlineImage | null {
  if (!hasChart(evaluation)) return null;
  const chart = renderTrendChart({
    points: evaluation.trend,
    target: Number.isFinite(evaluation.target) ? evaluation.target : null,
    direction: evaluation.goal.direction,
    unit: evaluation.kpi.unit,
    locale: options.locale,
    currency: options.currency,
    label: view.kpiLabel,
    width: options.width,
    height: options.height,
  });
  const cid = `${options.name}-${options.index}@kpi-pipeline`;
  attachments.push({ cid, filename: `${options.name}-${options.index}-${evaluation.goal.id}.png`, contentType: 'image/png', content: chart.png });
  return { cid, alt: chart.alt, width: chart.width, height: chart.height };
}
