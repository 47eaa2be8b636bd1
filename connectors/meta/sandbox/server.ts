/**
 * Meta sandbox: a local HTTP server (127.0.0.1 only) that answers the Graph API (Marketing API)
 * calls the Meta connector makes, over seeded synthetic data (./seed-data.ts), so the connector,
 * its tests and the local demo run with no Meta account.
 *
 * Wire facts it follows. Checked in Meta's pages (developers.facebook.com): versioned paths, v26.0
 * current (Graph API changelog: released 2026-07-29) and a Marketing API version working about 90
 * days past its successor (Marketing API versioning); rate-limit errors 17/2446079 "User request limit
 * reached", 613/1487742 "There have been too many calls from this ad-account…", 4 "Application request
 * limit reached" (Marketing API rate limiting); `X-Business-Use-Case-Usage` `{"<id>":[{type, call_count,
 * total_cputime, total_time, estimated_time_to_regain_access (minutes)}]}` (Business Use Case rate
 * limits); data-per-call limit error 100/1487534 for sync and async insights (Insights limits and best
 * practices). Checked in established clients and their fixtures (Meta's Python business SDK AdReportRun,
 * Airbyte's source-facebook-marketing, Airflow's Facebook Ads hook): `POST /act_{id}/insights` →
 * `{ report_run_id }`; `GET /{report_run_id}` → `async_status` Job Not Started | Job Started | Job
 * Running | Job Completed | Job Failed | Job Skipped with `async_percent_completion`; results at
 * `GET /{report_run_id}/insights`; code 1 "Please reduce the amount of data you're asking for, then
 * retry your request" with HTTP 500; 80000/2446079 with HTTP 400; `x-fb-ads-insights-throttle`
 * `{app_id_util_pct, acc_id_util_pct}`; `X-Ad-Account-Usage` `{acc_id_util_pct, reset_time_duration
 * (seconds)}` (documented for older Ads API calls); 190 "Invalid OAuth access token - Cannot parse access
 * token" with HTTP 400 (issue threads). Long-standing Graph API behaviour it also follows: the
 * `{ error: { message, type, code, error_subcode?, fbtrace_id } }` body, 104 when no token, 100/33
 * "Unsupported get request. Object with ID … does not exist…", cursor paging `{ data, paging: { cursors:
 * { before, after }, next } }` with `next` only while more rows remain (default limit 25), insights
 * metrics as strings, `actions` / `action_values` as `[{ action_type, value }]` left out when empty,
 * `date_start` = `date_stop` with time_increment=1, the token as `Authorization: Bearer|OAuth` or
 * `access_token`.
 * Sandbox wording (the real API's text was not verified): the messages for an unfinished report run's
 * results, a missing or reversed time_range, and the unimplemented parameters below.
 * Not implemented (answered with a 400 so a connector never gets silently wrong numbers): levels other
 * than campaign, breakdowns, filtering, sort, date_preset, time_ranges, attribution windows, `before`.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { addDays, daysBetween, eachDay, isIsoDate, maxDate, minDate, todayIn } from '../../../core/dates.ts';
import type { FaultPlan } from '../../sandbox-kit/faults.ts';
import { listenOnLoopback, readBody, sendJson } from '../../sandbox-kit/http.ts';
import {
  META_SANDBOX_TIME_ZONE, campaignFactsFor, defaultSandboxAccountIds, sandboxAccounts, sandboxCampaigns,
  type CampaignDayFact, type MetaSeedOptions,
} from './seed-data.ts';

export interface MetaSandboxOptions {
  /** 0 (default) = any free port. The host is always 127.0.0.1. */
  port?: number;
  /** HTTP-level faults (429s, 5xx, resets, cut bodies…), see sandbox-kit/faults.ts. */
  faults?: FaultPlan;
  /** Seed for the synthetic data; default 42. */
  seed?: number;
  /** The sandbox's "today" (YYYY-MM-DD); default today in Asia/Seoul. */
  anchorDate?: string;
  /** Facts exist for [anchorDate − historyDays + 1, anchorDate]; default 400. */
  historyDays?: number;
  /** The one access token accepted; default a random hex token. */
  accessToken?: string;
  /** Ad accounts served (`act_` optional); default one account. The shop's campaigns are dealt to them in turn. */
  accountIds?: readonly string[];
  /** A sync insights GET over more days than this is refused with code 1 "Please reduce the amount of data…". */
  maxDaysPerRequest?: number;
  /** Status polls an async report run takes to complete; default 3. */
  asyncPollsToComplete?: number;
  /** How async report runs end; default 'Job Completed'. */
  asyncOutcome?: 'Job Completed' | 'Job Failed' | 'Job Skipped';
  /** Answer every Nth request (counted over all requests) with a rate-limit error and these hints. */
  throttle?: {
    everyNthRequest: number;
    /** 80000 (ads_insights business use case, default), 613, 17 or 4. */
    code?: 80000 | 613 | 17 | 4;
    /** Sent in X-Business-Use-Case-Usage, minutes; default 0 (as Meta often sends). */
    estimatedTimeToRegainAccessMinutes?: number;
    /** Sent in X-Ad-Account-Usage, seconds; default 0. */
    resetTimeDurationSeconds?: number;
  };
  /** Utilisation each request adds to the usage headers, percent, decaying over 60 s; default 0.5. */
  usagePercentPerRequest?: number;
  /**
   * Every n-th campaign-day of an account's history (its place: days since the sandbox's first day ×
   * the account's campaigns + the campaign's index, so the same rows on every read, whatever the
   * window, chunking, paging or async report run) carries one of `META_SANDBOX_ODDITIES` in turn:
   * values the connector must coerce or set aside. Daily rows only. Default 0: none.
   */
  oddValues?: number;
}

/** An insights row on the wire, as `oddValues` changes it. */
type WireInsightRow = Record<string, unknown>;

/** What `oddValues` does to a daily insights row, whether the pipeline should coerce it or reject it, and the field it names when it rejects. */
export const META_SANDBOX_ODDITIES: ReadonlyArray<{ readonly name: string; readonly rejected: boolean; readonly field?: string; apply(row: WireInsightRow): void }> = [
  { name: 'spend as a JSON number', rejected: false, apply: (row) => (row.spend = Number(row.spend)) },
  { name: 'clicks that are null', rejected: false, apply: (row) => (row.clicks = null) },
  { name: 'spend that is text', rejected: true, field: 'spend', apply: (row) => (row.spend = 'n/a') },
  { name: 'Korean and emoji in the campaign name', rejected: false, apply: (row) => (row.campaign_name = `${String(row.campaign_name)} 🎉 한글 캠페인`) },
  {
    name: 'dates as YYYY/MM/DD', rejected: true, field: 'date_start',
    apply: (row) => Object.assign(row, { date_start: String(row.date_start).replaceAll('-', '/'), date_stop: String(row.date_stop).replaceAll('-', '/') }),
  },
  { name: 'a field the API does not document', rejected: false, apply: (row) => Object.assign(row, { new_metric: { since: 'v27.0', value: '1' } }) },
  { name: 'campaign_id as a JSON number', rejected: true, field: 'campaign_id', apply: (row) => (row.campaign_id = Number(row.campaign_id)) },
  {
    name: 'metrics and actions left out', rejected: false,
    apply: (row) => ['impressions', 'clicks', 'actions', 'action_values'].forEach((field) => delete row[field]),
  },
  { name: 'a row over two days', rejected: true, field: 'date_stop', apply: (row) => (row.date_stop = addDays(String(row.date_start), 1)) },
  {
    name: 'action values as JSON numbers', rejected: false,
    apply: (row) => (row.actions = (row.actions as Array<{ value: string }> | undefined)?.map((stat) => ({ ...stat, value: Number(stat.value) }))),
  },
  { name: 'a campaign name of 100,000 characters', rejected: false, apply: (row) => (row.campaign_name = `${String(row.campaign_name)} ${'가'.repeat(100_000)}`) },
  {
    name: 'actions that are not a list', rejected: true, field: 'actions',
    apply: (row) => (row.actions = Object.fromEntries(((row.actions ?? []) as Array<{ action_type: string; value: string }>).map((stat) => [stat.action_type, stat.value]))),
  },
  { name: 'account_id that is null', rejected: false, apply: (row) => (row.account_id = null) },
];

/** One request as the sandbox saw it (for tests: which path the connector took, where the token travelled). */
export interface SandboxRequest {
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly tokenIn: 'header' | 'query' | 'body' | 'none';
}

export interface RunningMetaSandbox {
  /** `http://127.0.0.1:PORT/`, usable as the connector's `endpoint`. */
  url: string;
  accessToken: string;
  anchorDate: string;
  /** Bare ad account ids served. */
  accountIds: readonly string[];
  /** HTTP requests received so far, whatever their outcome. */
  requestCount(): number;
  /** Every request so far, in order (access_token values left out). */
  requests(): readonly SandboxRequest[];
  stop(): Promise<void>;
}

const apiVersionHeader = 'v26.0';
const defaultLimit = 25;
const maxLimit = 5000;
const insightFieldNames = new Set([
  'account_id', 'account_name', 'account_currency', 'campaign_id', 'campaign_name', 'date_start', 'date_stop',
  'impressions', 'clicks', 'spend', 'actions', 'action_values', 'reach', 'cpc', 'ctr', 'cpm',
]);
const accountFieldNames = new Set(['id', 'account_id', 'name', 'currency', 'timezone_name', 'account_status']);
const campaignFieldNames = new Set(['id', 'name', 'effective_status', 'status', 'account_id']);

class GraphApiError extends Error {
  readonly httpStatus: number;
  readonly code: number;
  readonly subcode: number | undefined;
  readonly type: string;
  readonly headers: Record<string, string>;
  constructor(httpStatus: number, code: number, message: string, options: { subcode?: number; type?: string; headers?: Record<string, string> } = {}) {
    super(message);
    this.httpStatus = httpStatus;
    this.code = code;
    this.subcode = options.subcode;
    this.type = options.type ?? 'OAuthException';
    this.headers = options.headers ?? {};
  }
}

const invalidParameter = (message: string): GraphApiError => new GraphApiError(400, 100, `(#100) ${message}`);
const unsupported = (method: string, id: string): GraphApiError => new GraphApiError(400, 100,
  `Unsupported ${method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
  { subcode: 33, type: 'GraphMethodException' });

interface InsightsQuery {
  readonly accountId: string;
  readonly since: string;
  readonly until: string;
  readonly fields: readonly string[];
  readonly daily: boolean;
}

interface ReportRunJob {
  readonly id: string;
  readonly query: InsightsQuery;
  polls: number;
}

export async function startMetaSandbox(options: MetaSandboxOptions = {}): Promise<RunningMetaSandbox> {
  const anchorDate = options.anchorDate ?? todayIn(META_SANDBOX_TIME_ZONE);
  if (!isIsoDate(anchorDate)) throw new Error(`Meta sandbox: anchorDate must be YYYY-MM-DD, got "${anchorDate}"`);
  const historyDays = options.historyDays ?? 400;
  if (!Number.isInteger(historyDays) || historyDays < 1) throw new Error(`Meta sandbox: historyDays must be a positive integer, got ${historyDays}`);
  const accountIds = (options.accountIds ?? defaultSandboxAccountIds).map((id) => id.replace(/^act_/, ''));
  const seed: MetaSeedOptions = { seed: options.seed ?? 42, anchorDate, accountIds };
  const accessToken = options.accessToken ?? randomBytes(24).toString('hex');
  const firstDate = addDays(anchorDate, 1 - historyDays);
  const accounts = new Map(sandboxAccounts(accountIds).map((a) => [a.accountId, a]));
  const campaigns = sandboxCampaigns(accountIds);
  const pollsToComplete = Math.max(1, options.asyncPollsToComplete ?? 3);
  const usagePerRequest = options.usagePercentPerRequest ?? 0.5;
  const jobs = new Map<string, ReportRunJob>();
  const log: SandboxRequest[] = [];
  const recentRequests: number[] = [];
  let nextRunId = 6_120_000_000_000_000;
  let requests = 0;

  const utilisation = (): number => {
    const now = Date.now();
    while (recentRequests.length > 0 && recentRequests[0]! < now - 60_000) recentRequests.shift();
    return Math.min(100, Math.round(recentRequests.length * usagePerRequest * 100) / 100);
  };

  const usageHeaders = (accountId: string | undefined, useCase: 'ads_insights' | 'ads_management', insights: boolean, throttled?: MetaSandboxOptions['throttle']): Record<string, string> => {
    const pct = throttled ? 100 : utilisation();
    const headers: Record<string, string> = {
      'facebook-api-version': apiVersionHeader,
      'x-fb-trace-id': randomBytes(8).toString('base64url'),
      'x-ad-account-usage': JSON.stringify({ acc_id_util_pct: pct, reset_time_duration: throttled?.resetTimeDurationSeconds ?? 0, ads_api_access_tier: 'standard_access' }),
    };
    if (accountId !== undefined) {
      headers['x-business-use-case-usage'] = JSON.stringify({
        [accountId]: [{
          type: useCase, call_count: pct, total_cputime: Math.round(pct / 2), total_time: Math.round(pct / 2),
          estimated_time_to_regain_access: throttled?.estimatedTimeToRegainAccessMinutes ?? 0, ads_api_access_tier: 'standard_access',
        }],
      });
    }
    if (insights) headers['x-fb-ads-insights-throttle'] = JSON.stringify({ app_id_util_pct: pct, acc_id_util_pct: pct, ads_api_access_tier: 'standard_access' });
    return headers;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    requests += 1;
    recentRequests.push(Date.now());
    const requestNumber = requests;
    let headers: Record<string, string> = { 'facebook-api-version': apiVersionHeader };
    try {
      const url = new URL(request.url ?? '/', `http://${request.headers.host ?? '127.0.0.1'}`);
      const method = request.method ?? 'GET';
      const params: Record<string, string> = Object.fromEntries(url.searchParams);
      let tokenIn: SandboxRequest['tokenIn'] = 'access_token' in params ? 'query' : 'none';
      if (method === 'POST') {
        const body = await readBody(request);
        const form = Object.fromEntries(new URLSearchParams(body));
        if ('access_token' in form && tokenIn === 'none') tokenIn = 'body';
        Object.assign(params, form);
      }
      const authorization = request.headers.authorization ?? '';
      const headerToken = /^(?:Bearer|OAuth)\s+(.+)$/i.exec(authorization)?.[1];
      if (headerToken !== undefined) tokenIn = 'header';
      const { access_token: paramToken, ...loggedParams } = params;
      log.push({ method, path: url.pathname, params: loggedParams, tokenIn });

      const route = /^\/(v\d+\.\d+)\/(.+?)\/?$/.exec(url.pathname);
      if (!route) throw new GraphApiError(400, 2500, 'The Meta sandbox serves versioned paths only, e.g. /v26.0/act_{id}/insights');
      const token = headerToken ?? paramToken;
      if (token === undefined || token === '') {
        throw new GraphApiError(400, 104, 'An access token is required to request this resource.');
      }
      if (token !== accessToken) {
        throw new GraphApiError(400, 190, 'Invalid OAuth access token - Cannot parse access token', {
          headers: { 'www-authenticate': 'OAuth "Facebook Platform" "invalid_token" "Invalid OAuth access token - Cannot parse access token"' },
        });
      }

      const segments = route[2]!.split('/');
      const node = decodeURIComponent(segments[0]!);
      const edge = segments.slice(1).join('/');
      const accountMatch = /^act_(\d+)$/.exec(node);
      const accountId = accountMatch ? accountMatch[1] : jobs.get(node)?.query.accountId;
      const isInsights = edge === 'insights' || jobs.has(node);
      headers = usageHeaders(accountId, isInsights ? 'ads_insights' : 'ads_management', edge === 'insights');

      const throttle = options.throttle;
      if (throttle && throttle.everyNthRequest > 0 && requestNumber % throttle.everyNthRequest === 0) {
        headers = usageHeaders(accountId, isInsights ? 'ads_insights' : 'ads_management', edge === 'insights', throttle);
        throw rateLimitError(throttle.code ?? 80000);
      }

      const page = (rows: readonly Record<string, unknown>[]): Record<string, unknown> => pageOf(rows, params, url, paramToken !== undefined);

      if (accountMatch) {
        const account = accounts.get(accountMatch[1]!);
        if (!account) throw unsupported(method, node);
        if (edge === '') {
          if (method !== 'GET') throw unsupported(method, node);
          const fields = fieldList(params.fields, accountFieldNames, 'AdAccount', ['id']);
          const all: Record<string, unknown> = {
            id: node, account_id: account.accountId, name: account.name, currency: account.currency,
            timezone_name: account.timeZone, account_status: 1,
          };
          send(response, 200, Object.fromEntries([['id', node], ...fields.map((f) => [f, all[f]])]), headers);
          return;
        }
        if (edge === 'campaigns') {
          if (method !== 'GET') throw unsupported(method, node);
          const fields = fieldList(params.fields, campaignFieldNames, 'Campaign', ['id']);
          const rows = campaigns.filter((c) => c.accountId === account.accountId).map((c) => {
            const all: Record<string, unknown> = { id: c.campaignId, name: c.name, effective_status: c.effectiveStatus, status: c.effectiveStatus, account_id: c.accountId };
            return Object.fromEntries(fields.map((f) => [f, all[f]]));
          });
          send(response, 200, page(rows), headers);
          return;
        }
        if (edge === 'insights') {
          const query = parseInsightsQuery(params, account.accountId);
          if (method === 'POST') {
            const id = String(nextRunId++);
            jobs.set(id, { id, query, polls: 0 });
            send(response, 200, { report_run_id: id }, headers);
            return;
          }
          if (method !== 'GET') throw unsupported(method, node);
          const days = daysBetween(query.since, query.until) + 1;
          if (options.maxDaysPerRequest !== undefined && days > options.maxDaysPerRequest) {
            throw new GraphApiError(500, 1, "Please reduce the amount of data you're asking for, then retry your request");
          }
          send(response, 200, page(insightRows(query)), headers);
          return;
        }
        throw new GraphApiError(400, 2500, `Unknown path components: /${edge}`);
      }

      const job = jobs.get(node);
      if (job) {
        if (method !== 'GET') throw unsupported(method, node);
        const status = jobStatus(job, pollsToComplete, options.asyncOutcome ?? 'Job Completed');
        if (edge === '') {
          job.polls += 1;
          const now = jobStatus(job, pollsToComplete, options.asyncOutcome ?? 'Job Completed');
          send(response, 200, {
            id: job.id, account_id: job.query.accountId, async_status: now.status, async_percent_completion: now.percent,
            date_start: job.query.since, date_stop: job.query.until, is_running: now.status === 'Job Started' || now.status === 'Job Running',
            time_ref: 1_700_000_000 + Number(BigInt(job.id) % 1_000_000n),
          }, headers);
          return;
        }
        if (edge === 'insights') {
          if (status.status !== 'Job Completed') throw invalidParameter(`Report run ${job.id} is not complete (${status.status}); poll it until async_status is Job Completed`);
          send(response, 200, page(insightRows(job.query)), headers);
          return;
        }
        throw new GraphApiError(400, 2500, `Unknown path components: /${edge}`);
      }
      throw unsupported(method, node);
    } catch (error) {
      const apiError = error instanceof GraphApiError ? error : new GraphApiError(500, 1, `An unknown error occurred (sandbox: ${String(error)})`, { subcode: 99 });
      send(response, apiError.httpStatus, {
        error: {
          message: apiError.message, type: apiError.type, code: apiError.code,
          ...(apiError.subcode === undefined ? {} : { error_subcode: apiError.subcode }),
          fbtrace_id: randomBytes(9).toString('base64url'),
        },
      }, { ...headers, ...apiError.headers });
    }
  };

  /** The query's insights rows: one per campaign and day (time_increment=1) or per campaign over the range. */
  function insightRows(query: InsightsQuery): Record<string, unknown>[] {
    const from = maxDate(query.since, firstDate);
    const to = minDate(query.until, anchorDate);
    const account = accounts.get(query.accountId)!;
    const facts: CampaignDayFact[] = [];
    if (from <= to) {
      for (const day of eachDay(from, to)) facts.push(...campaignFactsFor(day, seed).filter((f) => f.accountId === query.accountId));
    }
    const groups = new Map<string, CampaignDayFact[]>();
    for (const fact of facts) {
      const key = query.daily ? `${fact.date}|${fact.campaignId}` : fact.campaignId;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = []));
      group.push(fact);
    }
    const rows = [...groups.values()].map((group) => {
      const sum = (pick: (f: CampaignDayFact) => number) => group.reduce((total, f) => total + pick(f), 0);
      const first = group[0]!;
      const all: Record<string, unknown> = {
        account_id: account.accountId, account_name: account.name, account_currency: account.currency,
        campaign_id: first.campaignId, campaign_name: first.campaignName,
        impressions: String(sum((f) => f.impressions)), clicks: String(sum((f) => f.clicks)), spend: String(sum((f) => f.spend)),
        actions: actionStats([
          ['link_click', sum((f) => f.linkClicks)],
          ['landing_page_view', sum((f) => f.landingPageViews)],
          ['offsite_conversion.fb_pixel_add_to_cart', sum((f) => f.addToCart)],
          ['add_to_cart', sum((f) => f.addToCart)],
          ['omni_add_to_cart', sum((f) => f.addToCart)],
          ['offsite_conversion.fb_pixel_lead', sum((f) => f.leads)],
          ['lead', sum((f) => f.leads)],
          ['offsite_conversion.fb_pixel_purchase', sum((f) => f.purchases)],
          ['omni_purchase', sum((f) => f.purchases)],
          ['purchase', sum((f) => f.purchases)],
        ]),
        action_values: actionStats([
          ['offsite_conversion.fb_pixel_purchase', sum((f) => f.purchaseValue)],
          ['omni_purchase', sum((f) => f.purchaseValue)],
          ['purchase', sum((f) => f.purchaseValue)],
        ]),
        reach: String(Math.round(sum((f) => f.impressions) / 1.6)),
        date_start: query.daily ? first.date : query.since,
        date_stop: query.daily ? first.date : query.until,
      };
      // Meta leaves a field out when it has nothing to report (no actions → no `actions`).
      return Object.fromEntries(query.fields.filter((f) => all[f] !== undefined).map((f) => [f, all[f]]).concat(
        [['date_start', all.date_start], ['date_stop', all.date_stop]],
      ));
    });
    rows.sort((a, b) => compare(String(a.date_start), String(b.date_start)) || compare(String(a.campaign_id ?? ''), String(b.campaign_id ?? '')));
    const oddValues = options.oddValues ?? 0;
    if (oddValues > 0 && query.daily) {
      const accountCampaigns = campaigns.filter((c) => c.accountId === query.accountId).map((c) => c.campaignId);
      for (const row of rows) {
        const place = daysBetween(firstDate, String(row.date_start)) * accountCampaigns.length + accountCampaigns.indexOf(String(row.campaign_id));
        if (place % oddValues === oddValues - 1) META_SANDBOX_ODDITIES[Math.floor(place / oddValues) % META_SANDBOX_ODDITIES.length]!.apply(row);
      }
    }
    return rows;
  }

  const server = await listenOnLoopback(handle, options.port ?? 0, options.faults);
  return {
    url: server.url,
    accessToken,
    anchorDate,
    accountIds,
    requestCount: () => requests,
    requests: () => [...log],
    stop: () => server.stop(),
  };
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  sendJson(response, status, body, headers);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function actionStats(entries: ReadonlyArray<readonly [string, number]>): Array<{ action_type: string; value: string }> | undefined {
  const stats = entries.filter(([, value]) => value > 0).map(([action_type, value]) => ({ action_type, value: String(value) }));
  return stats.length === 0 ? undefined : stats;
}

function rateLimitError(code: 80000 | 613 | 17 | 4): GraphApiError {
  switch (code) {
    case 80000:
      return new GraphApiError(400, 80000, 'There have been too many calls from this ad-account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.', { subcode: 2446079 });
    case 613:
      return new GraphApiError(400, 613, '(#613) There have been too many calls from this ad-account. Please wait a bit and try again.', { subcode: 1487742 });
    case 17:
      return new GraphApiError(400, 17, '(#17) User request limit reached', { subcode: 2446079 });
    case 4:
      return new GraphApiError(400, 4, '(#4) Application request limit reached');
  }
}

function jobStatus(job: ReportRunJob, pollsToComplete: number, outcome: NonNullable<MetaSandboxOptions['asyncOutcome']>): { status: string; percent: number } {
  if (job.polls >= pollsToComplete) return { status: outcome, percent: outcome === 'Job Completed' ? 100 : Math.round(100 * (pollsToComplete - 1) / pollsToComplete) };
  if (job.polls <= 0) return { status: 'Job Not Started', percent: 0 };
  if (job.polls === 1) return { status: 'Job Started', percent: 0 };
  return { status: 'Job Running', percent: Math.round((100 * job.polls) / pollsToComplete) };
}

function fieldList(value: string | undefined, allowed: ReadonlySet<string>, nodeType: string, fallback: readonly string[]): string[] {
  if (value === undefined || value.trim() === '') return [...fallback];
  const fields = value.split(',').map((f) => f.trim()).filter(Boolean);
  for (const field of fields) {
    if (!allowed.has(field)) throw invalidParameter(`Tried accessing nonexisting field (${field}) on node type (${nodeType})`);
  }
  return fields;
}

function parseInsightsQuery(params: Readonly<Record<string, string>>, accountId: string): InsightsQuery {
  for (const name of ['breakdowns', 'filtering', 'sort', 'date_preset', 'time_ranges', 'action_attribution_windows', 'action_breakdowns']) {
    if (params[name] !== undefined && params[name] !== '') throw invalidParameter(`The Meta sandbox does not implement ${name}; request the rows without it`);
  }
  if ((params.level ?? 'campaign') !== 'campaign') throw invalidParameter(`The Meta sandbox implements level=campaign only, not level=${params.level}`);
  let fields: string[];
  if (params.fields === undefined || params.fields.trim() === '') {
    fields = ['impressions', 'spend'];
  } else {
    fields = params.fields.split(',').map((f) => f.trim()).filter(Boolean);
    for (const field of fields) {
      if (!insightFieldNames.has(field)) {
        throw invalidParameter(`${field} is not valid for fields param. please check https://developers.facebook.com/docs/marketing-api/reference/ads-insights/ for all valid values`);
      }
    }
  }
  const increment = params.time_increment ?? 'all_days';
  if (increment !== '1' && increment !== 'all_days') throw invalidParameter(`The Meta sandbox supports time_increment=1 or all_days, not ${increment}`);
  if (params.time_range === undefined) throw invalidParameter('The Meta sandbox needs time_range={"since":"YYYY-MM-DD","until":"YYYY-MM-DD"}');
  let range: unknown;
  try {
    range = JSON.parse(params.time_range);
  } catch {
    throw invalidParameter('Param time_range must be a JSON object with since and until dates (YYYY-MM-DD)');
  }
  const since = (range as { since?: unknown } | null)?.since;
  const until = (range as { until?: unknown } | null)?.until;
  if (typeof since !== 'string' || typeof until !== 'string' || !isIsoDate(since) || !isIsoDate(until)) {
    throw invalidParameter('Param time_range must be a JSON object with since and until dates (YYYY-MM-DD)');
  }
  if (since > until) throw invalidParameter(`time_range since (${since}) must be on or before until (${until})`);
  return { accountId, since, until, fields, daily: increment === '1' };
}

/** Cursor paging over a list: cursors are base64 positions, `next` present only while rows remain. */
function pageOf(rows: readonly Record<string, unknown>[], params: Readonly<Record<string, string>>, url: URL, tokenInQuery: boolean): Record<string, unknown> {
  const limitText = params.limit ?? String(defaultLimit);
  const limit = Number(limitText);
  if (!Number.isInteger(limit) || limit < 1) throw invalidParameter(`Param limit must be a positive integer, got ${JSON.stringify(limitText)}`);
  const size = Math.min(limit, maxLimit);
  if (params.before !== undefined) throw invalidParameter('The Meta sandbox pages forward only (after), not with before');
  let offset = 0;
  if (params.after !== undefined) {
    const decoded = Number(Buffer.from(params.after, 'base64url').toString('utf8'));
    if (!Number.isInteger(decoded) || decoded < 0) throw invalidParameter('Param after is not a valid cursor');
    offset = decoded;
  }
  const data = rows.slice(offset, offset + size);
  if (data.length === 0) return { data: [] };
  const cursor = (position: number) => Buffer.from(String(position)).toString('base64url');
  const after = cursor(offset + data.length);
  const paging: Record<string, unknown> = { cursors: { before: cursor(offset), after } };
  // Like Meta's, the links repeat the query; a token given as a parameter travels along in them.
  const link = (name: 'after' | 'before', value: string): string => {
    const target = new URL(url.pathname, url.origin);
    for (const [key, param] of Object.entries(params)) {
      if (key !== 'after' && key !== 'before' && (key !== 'access_token' || tokenInQuery)) target.searchParams.set(key, param);
    }
    target.searchParams.set(name, value);
    return target.toString();
  };
  if (offset + data.length < rows.length) paging.next = link('after', after);
  if (offset > 0) paging.previous = link('before', cursor(offset));
  return { data, paging };
}
