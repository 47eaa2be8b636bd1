import { z } from 'zod';
import { RecordError, shownValue } from '../../core/errors.ts';

/**
 * The parts of Graph API (Marketing API) responses the connector relies on, parsed at the boundary.
 * Insights metrics arrive as strings ("361324", "5339.5"); a field with nothing to report is absent.
 *
 * An insights page's envelope (`data` is a list, `paging`) is checked here; its rows are checked one
 * at a time as they are mapped (`toInsightRow`, then mappers.ts), so that a malformed row goes to
 * `_rejects` instead of failing its page.
 */

/** One entry of `actions` / `action_values`: `{ action_type: "purchase", value: "3" }`, and attribution keys (`7d_click`…) when asked for. */
export type ActionStat = Readonly<Record<string, unknown>> & { readonly action_type: string; readonly value?: string | undefined };

/** One row of `/act_{id}/insights?level=campaign&time_increment=1`, its types checked (`toInsightRow`); formats are the mapper's to check. */
export interface InsightRow {
  readonly account_id?: string | undefined;
  readonly account_name?: string | undefined;
  readonly account_currency?: string | undefined;
  readonly campaign_id: string;
  readonly campaign_name?: string | undefined;
  readonly date_start: string;
  readonly date_stop: string;
  readonly impressions?: string | undefined;
  readonly clicks?: string | undefined;
  readonly spend?: string | undefined;
  readonly actions?: readonly ActionStat[] | undefined;
  readonly action_values?: readonly ActionStat[] | undefined;
}

/**
 * One wire row → an InsightRow, by Meta's contract: every value a string, a list of `{ action_type,
 * value }` for the actions. What the contract allows is coerced: a field left out or null reads as
 * missing (a metric then counts as zero), a JSON number where a string is expected is taken as its
 * text, fields the connector did not ask for are ignored. An id that is not a string (a JSON number
 * has lost the digits of an id past 2^53), a missing campaign id or date, an object where a value is
 * expected, or actions that are not a list make the row a RecordError naming the field.
 */
export function toInsightRow(raw: unknown): InsightRow {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new RecordError(`Meta insights row is not an object: ${shownValue(raw)}`);
  const row = raw as Readonly<Record<string, unknown>>;
  return {
    account_id: idOf(row, 'account_id'),
    account_name: textOf(row, 'account_name'),
    account_currency: textOf(row, 'account_currency'),
    campaign_id: required(idOf(row, 'campaign_id'), 'campaign_id'),
    campaign_name: textOf(row, 'campaign_name'),
    date_start: required(textOf(row, 'date_start'), 'date_start'),
    date_stop: required(textOf(row, 'date_stop'), 'date_stop'),
    impressions: metricOf(row, 'impressions'),
    clicks: metricOf(row, 'clicks'),
    spend: metricOf(row, 'spend'),
    actions: actionsOf(row, 'actions'),
    action_values: actionsOf(row, 'action_values'),
  };
}

function required(value: string | undefined, field: string): string {
  if (value === undefined || value === '') throw new RecordError(`Meta insights row has no ${field}`, { field });
  return value;
}

function textOf(row: Readonly<Record<string, unknown>>, field: string): string | undefined {
  const value = row[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw new RecordError(`Meta ${field} is not a string: ${shownValue(value)}`, { field });
}

function idOf(row: Readonly<Record<string, unknown>>, field: string): string | undefined {
  const value = row[field];
  if (value === undefined || value === null) return undefined;
  // Ids are strings of digits that outgrow a double (2385012345678901234): a number has lost them.
  if (typeof value !== 'string') throw new RecordError(`Meta ${field} is not a string of digits: ${shownValue(value)}`, { field });
  return value;
}

function metricOf(row: Readonly<Record<string, unknown>>, field: string): string | undefined {
  const value = row[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw new RecordError(`Meta ${field} is not a number: ${shownValue(value)}`, { field });
}

function actionsOf(row: Readonly<Record<string, unknown>>, field: 'actions' | 'action_values'): ActionStat[] | undefined {
  const value = row[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new RecordError(`Meta ${field} is not a list of { action_type, value }: ${shownValue(value)}`, { field });
  return value.map((entry: unknown, i): ActionStat => {
    const stat = entry as { action_type?: unknown; value?: unknown } | null;
    if (typeof stat !== 'object' || stat === null || Array.isArray(stat) || typeof stat.action_type !== 'string' || stat.action_type === '') {
      throw new RecordError(`Meta ${field}[${i}] is not an { action_type, value } entry: ${shownValue(entry)}`, { field });
    }
    if (typeof stat.value === 'string') return stat as ActionStat;
    if (stat.value === undefined || stat.value === null) return { ...stat, action_type: stat.action_type, value: undefined };
    if (typeof stat.value === 'number') return { ...stat, action_type: stat.action_type, value: String(stat.value) };
    throw new RecordError(`Meta ${field} ${stat.action_type} is not a number: ${shownValue(stat.value)}`, { field });
  });
}

/** Cursor paging: `next` is present only while there are more pages. */
export const Paging = z.object({
  cursors: z.object({ before: z.string().optional(), after: z.string().optional() }).optional(),
  next: z.string().optional(),
  previous: z.string().optional(),
}).loose();

/** A page of insights: the envelope checked here, each row of `data` by `toInsightRow` when it is mapped. */
export const InsightsPage = z.object({
  data: z.array(z.unknown()),
  paging: Paging.optional(),
}).loose();
export type InsightsPage = z.infer<typeof InsightsPage>;

/** `GET /act_{id}?fields=name,currency,timezone_name`. */
export const AdAccount = z.object({
  id: z.string(),
  name: z.string().optional(),
  currency: z.string(),
  timezone_name: z.string(),
}).loose();
export type AdAccount = z.infer<typeof AdAccount>;

/** `GET /act_{id}/campaigns?fields=id,name,effective_status`. */
export const CampaignsPage = z.object({
  data: z.array(z.object({ id: z.string(), name: z.string().optional(), effective_status: z.string().optional() }).loose()),
  paging: Paging.optional(),
}).loose();
export type CampaignsPage = z.infer<typeof CampaignsPage>;

/** `POST /act_{id}/insights` answers with the id of the report run (AdReportRun). */
export const ReportRunCreated = z.object({ report_run_id: z.string() }).loose();

export const asyncStatuses = ['Job Not Started', 'Job Started', 'Job Running', 'Job Completed', 'Job Failed', 'Job Skipped'] as const;

/** `GET /{report_run_id}`: the job's progress. */
export const ReportRun = z.object({
  id: z.string(),
  async_status: z.string(),
  async_percent_completion: z.number().optional(),
}).loose();
export type ReportRun = z.infer<typeof ReportRun>;

/** Graph API error body: `{ "error": { "message", "type", "code", "error_subcode", "fbtrace_id" } }`. */
export const GraphErrorBody = z.object({
  error: z.object({
    message: z.string().optional(),
    type: z.string().optional(),
    code: z.number().optional(),
    error_subcode: z.number().optional(),
    is_transient: z.boolean().optional(),
    error_user_title: z.string().optional(),
    error_user_msg: z.string().optional(),
    fbtrace_id: z.string().optional(),
  }).loose(),
}).loose();
export type GraphError = z.infer<typeof GraphErrorBody>['error'];

/** The insights fields the connector asks for (`fields=`). */
export const insightFields = [
  'account_id', 'account_name', 'account_currency', 'campaign_id', 'campaign_name', 'date_start', 'date_stop',
  'impressions', 'clicks', 'spend', 'actions', 'action_values',
] as const;
