import { z } from 'zod';
import { Grain, IsoDate, Severity } from '../config/primitives.ts';
import type { ConfigProblem } from '../errors.ts';
import type { KpiDefinition } from '../kpi/definition.ts';

/**
 * The alert settings in pipeline.yaml: per goal `alert:` options (M of N, hysteresis) and the
 * top-level `alerts:` section (repeat interval, snoozes, acknowledgements, anomaly and change rules).
 */

const ruleIdPattern = /^[a-z0-9][a-z0-9_-]*$/;

/** Per goal, under `alert:`; everything optional, defaults by the goal's grain (see `resolveGoalAlertOptions`). */
export const GoalAlertOptions = z.object({
  /** Fire when at least `m` of the last `n` complete periods are on the wrong side (default 2 of 3 for day, 1 of 1 otherwise). */
  m: z.number().int().min(1, { message: 'write m as a whole number of periods, at least 1' }).optional(),
  n: z.number().int().min(1).max(52, { message: 'write n as a whole number of periods, at most 52' }).optional(),
  /**
   * Hysteresis, as a fraction of the target: a firing alert clears only when the value is past
   * target ± margin on the good side (0.02: an at-least-5% goal clears at 5.1%).
   */
  margin: z.number().min(0).max(1, { message: 'write the margin as a fraction of the target, e.g. 0.02 for 2%' }).optional(),
  /** Overrides `alerts.repeatEveryHours` for this goal (e.g. 168 for a weekly goal). */
  repeatEveryHours: z.number().positive().optional(),
}).refine((o) => (o.m === undefined) === (o.n === undefined), {
  message: 'give both m and n ("m of the last n periods"), or neither', path: ['n'],
}).refine((o) => o.m === undefined || o.n === undefined || o.m <= o.n, {
  message: 'm must not be larger than n', path: ['m'],
});
export type GoalAlertOptions = z.infer<typeof GoalAlertOptions>;

export interface ResolvedGoalAlertOptions {
  readonly m: number;
  readonly n: number;
  readonly margin: number;
  readonly repeatEveryHours?: number;
}

export const defaultMargin = 0.02;

/**
 * Daily values are noisy, so a day goal fires on 2 of the last 3 days; a week or longer is
 * already an aggregate and fires on the one period.
 */
export function resolveGoalAlertOptions(goal: { readonly grain: Grain; readonly alert?: GoalAlertOptions | undefined }): ResolvedGoalAlertOptions {
  const options = goal.alert ?? {};
  const [m, n] = options.m !== undefined && options.n !== undefined ? [options.m, options.n] : goal.grain === 'day' ? [2, 3] : [1, 1];
  return {
    m, n, margin: options.margin ?? defaultMargin,
    ...(options.repeatEveryHours === undefined ? {} : { repeatEveryHours: options.repeatEveryHours }),
  };
}

/** `<goal or rule id>` (all its alerts) or a whole key `<id>|<kind>|<segment or all>`, as the emails show it. */
const AlertKeyPattern = z.string().min(1, { message: 'write a goal or rule id, or an alert key such as conversion-rate-weekly|threshold|all' });

export const AlertSnooze = z.object({
  key: AlertKeyPattern,
  /** Silent through this date (inclusive, in the business time zone). */
  until: IsoDate,
  reason: z.string().optional(),
});
export type AlertSnooze = z.infer<typeof AlertSnooze>;

export const AlertAcknowledgement = z.object({
  key: AlertKeyPattern,
  note: z.string().optional(),
});
export type AlertAcknowledgement = z.infer<typeof AlertAcknowledgement>;

const Segment = z.record(z.string(), z.string()).refine((s) => Object.keys(s).length === 1, {
  message: 'name exactly one dimension, e.g. segment: { platform: meta }',
});

const ruleFields = {
  id: z.string().regex(ruleIdPattern, { message: 'write an id of lowercase letters, digits, - or _' }),
  /** A KPI id from the catalog. */
  kpi: z.string(),
  /** One slice, e.g. `{ platform: meta }`; omit for the whole. */
  segment: Segment.optional(),
  /** Every slice of a dimension, one alert each (e.g. `platform`): which channel moved. */
  segmentBy: z.string().min(1).optional(),
  owner: z.string().min(1, { message: 'name the person who owns this KPI (KPI 책임자)' }),
  /** Email addresses; each must be listed under `recipients`. */
  recipients: z.array(z.email()).min(1, { message: 'list at least one recipient email' }),
  severity: Severity.default('warning'),
  description: z.string().optional(),
  /** Overrides `alerts.repeatEveryHours` for this rule. */
  repeatEveryHours: z.number().positive().optional(),
};

const oneSegmentChoice = (r: { segment?: unknown; segmentBy?: unknown }) => r.segment === undefined || r.segmentBy === undefined;
const oneSegmentMessage = { message: 'give segment (one slice) or segmentBy (every slice of a dimension), not both', path: ['segmentBy'] };

/** Same-weekday median on a log scale, MAD spread: "this Tuesday is far below a usual Tuesday". */
export const AnomalyRule = z.object({
  kind: z.literal('anomaly'),
  ...ruleFields,
  zThreshold: z.number().positive().default(3.5),
  /** How many previous same weekdays form the baseline. */
  weeks: z.number().int().min(2).max(26).default(8),
  /** Fewer same-weekday points than this: insufficient history, no anomaly alert. */
  minWeeks: z.number().int().min(2).default(4),
  /** Smallest spread on the log scale (0.05 ≈ ±5%), so a very steady series does not fire on a 10% wobble. */
  madFloor: z.number().positive().default(0.05),
}).refine(oneSegmentChoice, oneSegmentMessage).refine((r) => r.minWeeks <= r.weeks, {
  message: 'minWeeks must not be larger than weeks', path: ['minWeeks'],
});
export type AnomalyRule = z.infer<typeof AnomalyRule>;

/** Change vs the previous period; both floors must be passed, so 3 → 1 visitors is not "−67%". */
export const ChangeRule = z.object({
  kind: z.literal('change'),
  ...ruleFields,
  grain: Grain.default('week'),
  /** |change| / |previous| at least this (0.2 = 20%). */
  relativeFloor: z.number().positive({ message: 'write the relative floor as a fraction, e.g. 0.2 for 20%' }),
  /** |change| at least this, in the KPI's unit (rates as fractions: 0.005 = 0.5 percentage points). */
  absoluteFloor: z.number().min(0, { message: "write the absolute floor in the KPI's unit, e.g. 500 sessions or 0.005 for 0.5%p" }),
  /** unfavourable: only the bad way for the KPI (either way for neutral KPIs such as spend); either: both ways. */
  direction: z.enum(['unfavourable', 'either']).default('unfavourable'),
}).refine(oneSegmentChoice, oneSegmentMessage);
export type ChangeRule = z.infer<typeof ChangeRule>;

export const AlertRule = z.discriminatedUnion('kind', [AnomalyRule, ChangeRule], {
  message: 'write kind: anomaly or kind: change',
});
export type AlertRule = z.infer<typeof AlertRule>;

/** The top-level `alerts:` section. */
export const AlertSettings = z.object({
  /** While an alert keeps firing, remind at most this often (in the daily digest). */
  repeatEveryHours: z.number().positive().default(24),
  snoozes: z.array(AlertSnooze).default([]),
  /** Acknowledged alerts stop repeating until they resolve; a later episode notifies again. */
  acknowledged: z.array(AlertAcknowledgement).default([]),
  rules: z.array(AlertRule).default([]),
});
export type AlertSettings = z.infer<typeof AlertSettings>;

export const defaultAlertSettings: AlertSettings = { repeatEveryHours: 24, snoozes: [], acknowledged: [], rules: [] };

/**
 * Cross-checks the parsed `alerts:` section against the goals, the KPI catalog and the recipients:
 * what a schema alone cannot see. Paths are as `kpi validate` prints them.
 */
export function checkAlertSettings(
  settings: AlertSettings,
  context: {
    readonly goalIds: readonly string[];
    readonly kpis: ReadonlyMap<string, KpiDefinition>;
    readonly recipients: readonly string[];
  },
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const recipients = new Set(context.recipients.map((r) => r.toLowerCase()));
  const goalIds = new Set(context.goalIds);
  const ruleIds = new Set<string>();
  settings.rules.forEach((rule, index) => {
    const at = `alerts.rules[${index}]`;
    if (ruleIds.has(rule.id)) problems.push({ path: `${at}.id`, message: `duplicate rule id "${rule.id}"` });
    // Snoozes and acknowledgements name a goal or a rule by id alone, so the two must not share one.
    if (goalIds.has(rule.id)) problems.push({ path: `${at}.id`, message: `"${rule.id}" is already a goal id; give the rule its own id` });
    ruleIds.add(rule.id);
    const kpi = context.kpis.get(rule.kpi);
    if (!kpi) {
      problems.push({ path: `${at}.kpi`, message: `unknown KPI "${rule.kpi}"; write one of: ${[...context.kpis.keys()].join(', ')}` });
    } else {
      const dimensions = [...Object.keys(rule.segment ?? {}), ...(rule.segmentBy === undefined ? [] : [rule.segmentBy])];
      for (const dimension of dimensions) {
        if (kpi.segments.includes(dimension)) continue;
        problems.push({
          path: `${at}.${rule.segmentBy === undefined ? `segment.${dimension}` : 'segmentBy'}`,
          message: kpi.segments.length > 0
            ? `KPI ${kpi.id} can be segmented by ${kpi.segments.join(', ')}, not ${dimension}`
            : `KPI ${kpi.id} has no segments; remove ${rule.segmentBy === undefined ? 'segment' : 'segmentBy'}`,
        });
      }
      const grain: Grain = rule.kind === 'anomaly' ? 'day' : rule.grain;
      if (kpi.grains && !kpi.grains.includes(grain)) {
        problems.push({
          path: `${at}.${rule.kind === 'anomaly' ? 'kind' : 'grain'}`,
          message: rule.kind === 'anomaly'
            ? `KPI ${kpi.id} has no daily values (only ${kpi.grains.join(', ')}); anomaly rules need a daily series, use kind: change`
            : `KPI ${kpi.id} is computed for ${kpi.grains.join(', ')} only; write one of those`,
        });
      }
      if (rule.kind === 'anomaly' && mayBeNegative(kpi)) {
        problems.push({ path: `${at}.kpi`, message: `KPI ${kpi.id} can be negative, which a log-scale baseline cannot judge; use kind: change` });
      }
    }
    rule.recipients.forEach((email, r) => {
      if (!recipients.has(email.toLowerCase())) {
        problems.push({ path: `${at}.recipients[${r}]`, message: `${email} is not listed under recipients; add it there with its locale (ko or en)` });
      }
    });
  });
  const known = new Set([...goalIds, ...ruleIds]);
  const checkKey = (key: string, at: string) => {
    const [id, kind] = key.split('|') as [string, string | undefined];
    // Freshness alerts are keyed by table (`ga4_traffic_daily|freshness|all`), not by a goal or rule.
    if (kind === 'freshness') return;
    if (!known.has(id)) problems.push({ path: `${at}.key`, message: `no goal or rule has id "${id}"; write a goal id, a rule id, or a key from an alert email` });
  };
  settings.snoozes.forEach((s, i) => checkKey(s.key, `alerts.snoozes[${i}]`));
  settings.acknowledged.forEach((a, i) => checkKey(a.key, `alerts.acknowledged[${i}]`));
  return problems;
}

/** Growth rates and ROI (offset −1) go below zero; everything else in the catalog is ≥ 0. */
export function mayBeNegative(kpi: KpiDefinition): boolean {
  return kpi.growthOf !== undefined || (kpi.offset ?? 0) < 0 || ((kpi.scale ?? 1) < 0 && (kpi.offset ?? 0) < 1);
}
