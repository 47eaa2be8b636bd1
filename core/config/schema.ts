import { z } from 'zod';
import { AlertSettings, defaultAlertSettings, GoalAlertOptions } from '../alerts/config.ts';
import { Grain, IsoDate, Severity } from './primitives.ts';

/**
 * The one schema for pipeline.yaml. Source settings are validated by each connector's own
 * `configSchema` (see `buildPipelineConfigSchema`), so this file never imports a connector.
 * Credentials are never in the file: only the names of secrets.
 */

export { Grain, IsoDate, Severity } from './primitives.ts';

export const Locale = z.enum(['ko', 'en']);
export type Locale = z.infer<typeof Locale>;

export const TimeZone = z.string().refine(isValidTimeZone, {
  message: 'write an IANA time zone name, e.g. Asia/Seoul or America/New_York',
});

export const SecretName = z.string().min(1).regex(/^[A-Za-z0-9/_+=.@-]+$/, {
  message: 'write the name of a secret (letters, digits and /_+=.@-), never the credential itself',
});

/** An EventBridge Scheduler expression, run in the business time zone. */
export const ScheduleExpression = z.string().regex(/^(cron\(\S+( \S+){5}\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\))$/, {
  message: 'write an EventBridge schedule, e.g. cron(0 6 * * ? *) (06:00 daily) or rate(6 hours)',
});

/** The Lambda that runs a step, in AWS. */
export const FunctionSettings = z.object({
  memoryMb: z.number().int().min(128).max(10_240).default(1024),
  /** At most 900; a long backfill stops a minute before and the next run continues from the cursor. */
  timeoutSeconds: z.number().int().min(60).max(900).default(900),
});

/** What every source has, whatever its type. Each connector extends this. */
export const SourceBase = z.object({
  // No '-': lake file names are `<source-id>-<run-id>-<n>.parquet`, so a '-' would let one source's
  // files look like another's (web vs web-eu).
  id: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, {
    message: 'write a short id of lowercase letters, digits or _ that starts with a letter, e.g. web_shop',
  }),
  type: z.string(),
  /** Run this source against its bundled sandbox instead of the vendor (no credentials needed). */
  sandbox: z.object({
    seed: z.number().int().default(42),
    /** About one record in this many carries an odd value (text in a metric, a date in another format…): see `_rejects`. 0: none. */
    oddValues: z.number().int().min(0).default(0),
  }).optional(),
  /** When the source's ingest function runs in AWS (business time zone). */
  schedule: ScheduleExpression.default('cron(0 5 * * ? *)'),
  /** Its ingest function's memory and timeout in AWS. */
  function: FunctionSettings.default({ memoryMb: 1024, timeoutSeconds: 900 }),
  /**
   * The source is late when its newest complete day is more than this many days before the last
   * complete day: its KPIs' alerts are held back and the data team is told instead.
   */
  maxDataLagDays: z.number().int().min(0).max(60).default(1),
});
export type SourceBase = z.infer<typeof SourceBase>;

export const Recipient = z.object({
  email: z.email({ message: 'write an email address, e.g. kim@example.com' }),
  name: z.string().min(1).optional(),
  locale: Locale.default('ko'),
  /** Times in the emails are shown in this zone; defaults to the business time zone. */
  timezone: TimeZone.optional(),
});
export type Recipient = z.infer<typeof Recipient>;


/** "+20% vs last quarter": the target is the baseline × (1 + change); change −0.1 is "10% less". */
export const RelativeTarget = z.object({
  change: z.number({ message: 'write the change as a fraction, e.g. 0.2 for +20% or -0.1 for −10%' }),
  vs: z.enum(['previous_period', 'same_period_last_year'], { message: 'write vs: previous_period or same_period_last_year' }),
});
export type RelativeTarget = z.infer<typeof RelativeTarget>;

export const Goal = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, { message: 'write an id of lowercase letters, digits, - or _' }),
  /** A KPI id from the catalog (see `kpi validate` for the list). */
  kpi: z.string(),
  /** Which slice of the KPI, e.g. `{ channel_group: Organic Social }`; omit for the whole. */
  segment: z.record(z.string(), z.string()).optional(),
  grain: Grain.default('week'),
  /** A number (rates as fractions: 0.05 for 5%), or relative to a baseline: { change: 0.2, vs: previous_period }. */
  target: z.union([z.number(), RelativeTarget], {
    message: 'write the target as a number (rates as fractions, e.g. 0.05 for 5%) or as { change: 0.2, vs: previous_period }',
  }),
  direction: z.enum(['at_least', 'at_most'], { message: 'write at_least (higher is good) or at_most (lower is good)' }),
  owner: z.string().min(1, { message: 'name the person who owns this KPI (KPI 책임자)' }),
  /** Email addresses; each must be listed under `recipients`. */
  recipients: z.array(z.email()).min(1, { message: 'list at least one recipient email' }),
  severity: Severity.default('warning'),
  description: z.string().optional(),
  /**
   * Time-bound goals: from start through deadline the KPI is judged to date — totals by pace
   * (expected so far, weighted by weekday), rates by their value so far — then achieved or missed.
   * Without a deadline the goal is kept every period ("at least 5% every week").
   */
  start: IsoDate.optional(),
  deadline: IsoDate.optional(),
  /** Threshold alert options: M of N periods, hysteresis margin, reminder interval. */
  alert: GoalAlertOptions.optional(),
}).refine((g) => (g.start === undefined) === (g.deadline === undefined), {
  message: 'give both start and deadline (a time-bound goal), or neither (a goal kept every period)', path: ['deadline'],
}).refine((g) => g.start === undefined || g.deadline === undefined || g.start <= g.deadline, {
  message: 'the deadline must not be before the start', path: ['deadline'],
});
export type Goal = z.infer<typeof Goal>;

/** One summed measure of a custom KPI: a column (or a row count) over a table, with an optional filter. */
export const CustomMeasure = z.object({
  /** A public table or view, e.g. ga4_events_daily or salesforce_opportunity_latest. */
  table: z.string(),
  /** The numeric column summed; omit to count rows. */
  column: z.string().optional(),
  /** Only rows where every column equals the value (or one of the values). */
  where: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()])).min(1)])).optional(),
  /** The date column a row counts on (timestamps are read in the business time zone); default `date`. */
  date: z.string().optional(),
});
export type CustomMeasure = z.infer<typeof CustomMeasure>;

const CustomKpiBase = z.object({
  id: z.string().regex(/^[a-z][a-z0-9_]*$/, { message: 'write an id of lowercase letters, digits or _ that starts with a letter' }),
  name: z.object({ ko: z.string().min(1), en: z.string().min(1) }, { message: 'write name: { ko: …, en: … }' }),
  definition: z.object({ ko: z.string(), en: z.string() }).optional(),
  unit: z.enum(['count', 'ratio', 'currency', 'duration', 'days']).default('count'),
  direction: z.enum(['higher_is_better', 'lower_is_better', 'neutral']).default('higher_is_better'),
  category: z.enum(['acquisition', 'engagement', 'conversion', 'revenue', 'efficiency']).default('engagement'),
  /** Dimensions of the table it may be sliced by (goals' `segment`). */
  segments: z.array(z.string()).default([]),
  /** Minimum volume before a value is judged: of the denominator (ratio) or of the value (sum). */
  gate: z.number().positive().optional(),
});

/** A KPI the user adds: a sum, a ratio of two sums, or arithmetic over other KPIs. */
export const CustomKpi = z.discriminatedUnion('kind', [
  CustomKpiBase.extend({ kind: z.literal('sum'), measure: CustomMeasure }),
  CustomKpiBase.extend({ kind: z.literal('ratio'), numerator: CustomMeasure, denominator: CustomMeasure, scale: z.number().optional() }),
  CustomKpiBase.extend({ kind: z.literal('derived'), expression: z.string().min(1) }),
], { message: 'write kind: sum, ratio or derived' });
export type CustomKpi = z.infer<typeof CustomKpi>;

export const KpiSettings = z.object({
  /** GA4 event names that count as micro-conversions (newsletter sign-up, download, webinar registration). */
  microConversionEvents: z.array(z.string().min(1)).default(['sign_up', 'file_download', 'generate_lead']),
  /** Your own KPIs, next to the catalog's. */
  custom: z.array(CustomKpi).default([]),
});
export type KpiSettings = z.infer<typeof KpiSettings>;

export const SnapshotSettings = z.object({
  /** How far back each daily snapshot recomputes (aligned down to a month start). */
  historyDays: z.number().int().min(7).max(1100).default(100),
});

export const EmailSettings = z.object({
  from: z.string().min(3, { message: 'write the sender, e.g. "KPI 알림 <kpi@example.com>"' }),
  /** Link shown in every email: the team's dashboard. */
  dashboardUrl: z.url().optional(),
  /** Where data problems go (late sources, failed runs). */
  dataTeam: z.email().optional(),
});

const YearMonth = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, { message: 'write a month as YYYY-MM, e.g. 2026-11' });

/** "1 <currency> = rate <reporting currency>" for one month, or for every month from … to. */
export const FxRateConfig = z.object({
  currency: z.string().regex(/^[A-Z]{3}$/, { message: 'write an ISO 4217 currency code, e.g. USD' }),
  rate: z.number().positive({ message: 'write the rate as a positive number: reporting-currency units per one unit' }),
  month: YearMonth.optional(),
  from: YearMonth.optional(),
  to: YearMonth.optional(),
}).refine((r) => (r.month !== undefined) !== (r.from !== undefined && r.to !== undefined) && (r.from === undefined) === (r.to === undefined), {
  message: 'give either month: YYYY-MM, or from: YYYY-MM and to: YYYY-MM',
}).refine((r) => r.from === undefined || r.to === undefined || r.from <= r.to, { message: 'from must not be after to' });
export type FxRateConfig = z.infer<typeof FxRateConfig>;

/** How the stack is deployed (`npx cdk deploy`); nothing here matters for local runs. */
export const DeploySettings = z.object({
  /** The daily KPI run (snapshot → notify), in the business time zone; after the sources' schedules. */
  kpiRunSchedule: ScheduleExpression.default('cron(0 7 * * ? *)'),
  /** Operations alerts (failed runs, dead letters, late data) are emailed here through SNS. */
  alarmEmail: z.email().optional(),
  /** Keep the lake bucket when the stack is deleted. */
  retainData: z.boolean().default(true),
  /** Athena refuses a query that would scan more than this. */
  bytesScannedCutoffMb: z.number().int().min(10).default(10_000),
  /** Alarm when a source's newest data is older than this many hours. */
  freshnessAlarmHours: z.number().int().min(1).default(36),
  kpiFunctions: FunctionSettings.default({ memoryMb: 1024, timeoutSeconds: 900 }),
});
export type DeploySettings = z.infer<typeof DeploySettings>;

/** The parts of pipeline.yaml that do not depend on which connectors exist. */
export const PipelineConfigBase = z.object({
  version: z.literal(1, { message: 'write version: 1' }),
  project: z.string().min(1).default('kpi-pipeline'),
  timezone: TimeZone.default('Asia/Seoul'),
  currency: z.string().regex(/^[A-Z]{3}$/, { message: 'write an ISO 4217 currency code, e.g. KRW or USD' }).default('KRW'),
  sources: z.array(SourceBase).default([]),
  kpis: KpiSettings.default({ microConversionEvents: ['sign_up', 'file_download', 'generate_lead'], custom: [] }),
  snapshot: SnapshotSettings.default({ historyDays: 100 }),
  /** Exchange rates into `currency` for ad accounts in other currencies. */
  fx: z.array(FxRateConfig).default([]),
  /** Reminders, snoozes, acknowledgements, and anomaly and change rules beside the goals. */
  alerts: AlertSettings.default(defaultAlertSettings),
  deploy: DeploySettings.default({
    kpiRunSchedule: 'cron(0 7 * * ? *)', retainData: true, bytesScannedCutoffMb: 10_000, freshnessAlarmHours: 36,
    kpiFunctions: { memoryMb: 1024, timeoutSeconds: 900 },
  }),
  recipients: z.array(Recipient).default([]),
  goals: z.array(Goal).default([]),
  email: EmailSettings,
});
export type PipelineConfig = z.infer<typeof PipelineConfigBase>;

function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
