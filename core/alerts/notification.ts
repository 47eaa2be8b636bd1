import type { Severity } from '../config/schema.ts';
import type { GoalEvaluation } from '../goals/evaluation.ts';

/**
 * What the alert engine hands the email renderer: one alert to tell a recipient about. The
 * engine decides *whether* to notify (transitions, repeats, snoozes); the renderer only renders.
 */
export type AlertKind = 'threshold' | 'change' | 'anomaly' | 'pacing' | 'freshness';

/** firing: it just started; repeat: still firing, reminder; resolved: it stopped (sent once). */
export type NotificationReason = 'firing' | 'repeat' | 'resolved';

export interface AlertNotification {
  /** Stable per goal (or rule), kind and segment, e.g. `conversion-rate-weekly|threshold|all`. */
  readonly key: string;
  readonly reason: NotificationReason;
  readonly kind: AlertKind;
  readonly severity: Severity;
  /** The goal's evaluation: KPI, actual, target, gap, period, trend, owner, recipients. */
  readonly evaluation: GoalEvaluation;
  /** One line on what happened, e.g. "2 of the last 3 weeks below goal" / "평소 같은 요일 대비 −42%". */
  readonly summary: { readonly ko: string; readonly en: string };
  /** When it started firing (ISO timestamp). */
  readonly since: string;
}
