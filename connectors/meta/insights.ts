import { z } from 'zod';

/**
 * The parts of Graph API (Marketing API) responses the connector relies on, parsed at the boundary.
 * Insights metrics arrive as strings ("361324", "5339.5"); a field with nothing to report is absent.
 */

/** One entry of `actions` / `action_values`: `{ action_type: "purchase", value: "3" }`. */
export const ActionStat = z.object({ action_type: z.string(), value: z.string() }).loose();
export type ActionStat = z.infer<typeof ActionStat>;

/** One row of `/act_{id}/insights?level=campaign&time_increment=1`. */
export const InsightRow = z.object({
  account_id: z.string().optional(),
  account_name: z.string().optional(),
  account_currency: z.string().optional(),
  campaign_id: z.string(),
  campaign_name: z.string().optional(),
  date_start: z.string(),
  date_stop: z.string(),
  impressions: z.string().optional(),
  clicks: z.string().optional(),
  spend: z.string().optional(),
  actions: z.array(ActionStat).optional(),
  action_values: z.array(ActionStat).optional(),
}).loose();
export type InsightRow = z.infer<typeof InsightRow>;

/** Cursor paging: `next` is present only while there are more pages. */
export const Paging = z.object({
  cursors: z.object({ before: z.string().optional(), after: z.string().optional() }).optional(),
  next: z.string().optional(),
  previous: z.string().optional(),
}).loose();

export const InsightsPage = z.object({
  data: z.array(InsightRow),
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
