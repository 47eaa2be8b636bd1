/**
 * TikTok sandbox: a local HTTP server (127.0.0.1 only) that answers the TikTok Marketing API v1.3
 * calls the connector makes, over seeded synthetic data (./seed-data.ts), so the connector, its tests
 * and the local demo run with no TikTok account.
 *
 * Wire facts it follows, checked against TikTok's published OpenAPI fragments (tiktok/tiktok-business-api-sdk,
 * yml_files/report_integrated_get.yml, advertiser_info.yml), its return-code appendix and established
 * connectors (Airbyte source-tiktok-marketing, singer tap-tiktok-ads, Apache SeaTunnel TikTokAds):
 * - `GET /open_api/v1.3/report/integrated/get/`, `/advertiser/info/`, `/campaign/get/` (trailing slash;
 *   a wrong path is a plain HTTP 404), token in the `Access-Token` header.
 * - Array parameters (`dimensions`, `metrics`, `advertiser_ids`, `fields`) are JSON-encoded arrays in
 *   the query string; `page` from 1, `page_size` 1 … 1000 (default 10).
 * - Every answer is HTTP 200 with `{ code, message, request_id, data }`; `code` 0 is success. Errors
 *   used here: 40104 (no token), 40105 (wrong token), 40002 (bad parameter, e.g. "Invalid metric
 *   fields: [...]"), 40001 (no permission for the advertiser), 40100 (requests too frequent).
 * - Report rows: `data.list[{ dimensions: { campaign_id, stat_time_day: "YYYY-MM-DD 00:00:00" },
 *   metrics: { … every value a string … } }]` and `data.page_info { page, page_size, total_number,
 *   total_page }`; `stat_time_day` is a day in the ad account's time zone.
 * - With `stat_time_day` a report spans at most 30 days. The code for a too-wide span is NOT in
 *   TikTok's published appendix; this sandbox answers 40067, as the project's notes say, and the
 *   client also recognises a 40002 that says so.
 * Not implemented (answered with 40002 so a connector never gets silently wrong numbers): other
 * report types, data levels and dimensions, filtering, ordering, lifetime queries, total metrics.
 * Test-only, not TikTok's behaviour: `oddValues` gives some report rows odd values
 * (`TIKTOK_SANDBOX_ODDITIES`: numbers instead of strings, "-", nulls, left-out metrics, dates and ids of
 * the wrong form, undocumented fields, Korean and emoji text) to check what the connector coerces and rejects.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { addDays, daysBetween, eachDay, isIsoDate, maxDate, minDate, todayIn } from '../../../core/dates.ts';
import type { FaultPlan } from '../../sandbox-kit/faults.ts';
import { listenOnLoopback, sendJson } from '../../sandbox-kit/http.ts';
import { oddityFor, OddityLog, type Oddity } from '../../sandbox-kit/oddities.ts';
import {
  TIKTOK_SANDBOX_ADVERTISER_ID, TIKTOK_SANDBOX_TIME_ZONE, campaignFactsFor, sandboxAdvertiser, sandboxCampaigns,
  type CampaignDayFact, type SandboxAdvertiser, type SeedOptions,
} from './seed-data.ts';

export interface TiktokSandboxOptions {
  /** 0 (default) = any free port. The host is always 127.0.0.1. */
  port?: number;
  /** HTTP-level faults (429s, 5xx, resets, cut bodies…), see sandbox-kit/faults.ts. */
  faults?: FaultPlan;
  /** Seed for the synthetic data; default 42. */
  seed?: number;
  /** The sandbox's "today" (YYYY-MM-DD); default today in Asia/Seoul, the account's zone. */
  anchorDate?: string;
  /** Facts exist for [anchorDate − historyDays + 1, anchorDate]; default 400. */
  historyDays?: number;
  /** The one access token accepted; default a random hex token. */
  accessToken?: string;
  /** Advertiser ids served (KRW, Asia/Seoul each); default one, TIKTOK_SANDBOX_ADVERTISER_ID. */
  advertiserIds?: readonly string[];
  /** The widest start_date … end_date accepted with stat_time_day; default 30 (TikTok's). */
  maxSpanDays?: number;
  /** Answer every Nth request with code 40100 (requests too frequent), as TikTok's QPS limits do. */
  throttle?: { everyNthRequest: number };
  /**
   * About one report row in n (chosen by its advertiser, campaign and day, so the same rows on every
   * read, whatever the span, chunking or paging) carries one of `TIKTOK_SANDBOX_ODDITIES`: values the
   * connector must coerce or set aside. Default 0: none.
   */
  oddValues?: number;
}

/** A report row as the sandbox writes it, before `oddValues` changes it. */
interface WireRow {
  dimensions: Record<string, unknown>;
  metrics: Record<string, unknown>;
  [field: string]: unknown;
}

/** What `oddValues` does to a report row, and whether the pipeline should coerce it (false) or reject it (true). */
export const TIKTOK_SANDBOX_ODDITIES: ReadonlyArray<Oddity<WireRow>> = [
  { name: 'a metric as a JSON number', rejected: false, apply: (row) => (row.metrics.spend = Number(row.metrics.spend)) },
  { name: 'a metric that is "-" (no value)', rejected: false, apply: (row) => (row.metrics.conversion = '-') },
  { name: 'a metric that is null', rejected: false, apply: (row) => (row.metrics.total_complete_payment_rate = null) },
  { name: 'a metric that is text', rejected: true, apply: (row) => (row.metrics.impressions = 'N/A') },
  {
    name: 'stat_time_day as DD/MM/YYYY', rejected: true,
    apply: (row) => (row.dimensions.stat_time_day = String(row.dimensions.stat_time_day).replace(/^(\d{4})-(\d{2})-(\d{2})/, '$3/$2/$1')),
  },
  { name: 'Korean and emoji in the campaign name', rejected: false, apply: (row) => (row.metrics.campaign_name = `${String(row.metrics.campaign_name)} 🎉 한글 캠페인`) },
  { name: 'campaign_id as a JSON number too large to be exact', rejected: true, apply: (row) => (row.dimensions.campaign_id = Number(row.dimensions.campaign_id)) },
  { name: 'a metric left out', rejected: false, apply: (row) => delete row.metrics.clicks },
  { name: 'stat_time_day that is no calendar day', rejected: true, apply: (row) => (row.dimensions.stat_time_day = String(row.dimensions.stat_time_day).replace(/^(\d{4}-\d{2})-\d{2}/, '$1-32')) },
  {
    name: 'fields the API does not document', rejected: false,
    apply: (row) => Object.assign(row, { attribution_note: '참고 📝', dimensions: { ...row.dimensions, placement_v2: 'PLACEMENT_TIKTOK' }, metrics: { ...row.metrics, engaged_view_15s: '12' } }),
  },
  { name: 'a 20,000-character Korean campaign name', rejected: false, apply: (row) => (row.metrics.campaign_name = '가'.repeat(20_000)) },
];

/** The oddity the sandbox gives a campaign-day's report row under `oddValues: every`, if any (for tests to know what to expect). */
export function tiktokSandboxOddity(fact: Pick<CampaignDayFact, 'advertiserId' | 'campaignId' | 'date'>, every: number): Oddity<WireRow> | undefined {
  return oddityFor(`${fact.advertiserId}|${fact.campaignId}|${fact.date}`, every, TIKTOK_SANDBOX_ODDITIES);
}

/** What one request asked and what the sandbox answered, for tests. */
export interface SandboxRequestRecord {
  readonly path: string;
  readonly httpStatus: number;
  /** TikTok's return code (0 = success); undefined for a non-200 answer. */
  readonly code: number | undefined;
  readonly advertiserId?: string;
  readonly startDate?: string;
  readonly endDate?: string;
  readonly page?: number;
  readonly pageSize?: number;
}

export interface RunningTiktokSandbox {
  /** `http://127.0.0.1:PORT/`, the API root (paths start with open_api/v1.3/). */
  url: string;
  accessToken: string;
  anchorDate: string;
  advertisers: readonly SandboxAdvertiser[];
  /** HTTP requests received so far, whatever their outcome. */
  requestCount(): number;
  /** Every request so far, in order. */
  requests(): readonly SandboxRequestRecord[];
  /** The odd rows served so far (`oddValues`), by oddity, and how many of them must be rejected. */
  oddRowsServed(): ReturnType<OddityLog['served']>;
  /** Stops listening and closes every connection, keep-alive ones included. */
  stop(): Promise<void>;
}

const apiPrefix = '/open_api/v1.3/';
const maxPageSize = 1000;
const defaultPageSize = 10;
const maxAdvertiserIdsPerInfoCall = 100;

const supportedMetrics = new Set(['campaign_name', 'spend', 'impressions', 'clicks', 'conversion', 'complete_payment', 'total_complete_payment_rate']);
const advertiserFields = new Set(['advertiser_id', 'name', 'currency', 'timezone', 'display_timezone']);
const campaignFields = new Set(['campaign_id', 'campaign_name', 'operation_status', 'advertiser_id']);

/** A TikTok return code with its message; always sent with HTTP 200. */
class ApiError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

const badParameter = (message: string): ApiError => new ApiError(40002, message);

export async function startTiktokSandbox(options: TiktokSandboxOptions = {}): Promise<RunningTiktokSandbox> {
  const anchorDate = options.anchorDate ?? todayIn(TIKTOK_SANDBOX_TIME_ZONE);
  if (!isIsoDate(anchorDate)) throw new Error(`TikTok sandbox: anchorDate must be YYYY-MM-DD, got "${anchorDate}"`);
  const historyDays = options.historyDays ?? 400;
  if (!Number.isInteger(historyDays) || historyDays < 1) throw new Error(`TikTok sandbox: historyDays must be a positive integer, got ${historyDays}`);
  const maxSpanDays = options.maxSpanDays ?? 30;
  if (!Number.isInteger(maxSpanDays) || maxSpanDays < 1) throw new Error(`TikTok sandbox: maxSpanDays must be a positive integer, got ${maxSpanDays}`);
  const oddValues = options.oddValues ?? 0;
  if (!Number.isInteger(oddValues) || oddValues < 0) throw new Error(`TikTok sandbox: oddValues must be a non-negative integer, got ${oddValues}`);
  const everyNth = options.throttle?.everyNthRequest;
  if (everyNth !== undefined && (!Number.isInteger(everyNth) || everyNth < 1)) throw new Error(`TikTok sandbox: throttle.everyNthRequest must be a positive integer, got ${everyNth}`);
  const seed: SeedOptions = { seed: options.seed ?? 42, anchorDate };
  const accessToken = options.accessToken ?? randomBytes(24).toString('hex');
  const advertisers = (options.advertiserIds ?? [TIKTOK_SANDBOX_ADVERTISER_ID]).map((id, index) => sandboxAdvertiser(id, index));
  const firstDate = addDays(anchorDate, 1 - historyDays);
  const log: SandboxRequestRecord[] = [];
  const oddities = new OddityLog();
  let requests = 0;

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    requests += 1;
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    const endpoint = path.startsWith(apiPrefix) ? path.slice(apiPrefix.length) : undefined;
    const record = describeRequest(path, url.searchParams);
    log.push(record);
    const known = endpoint === 'report/integrated/get/' || endpoint === 'advertiser/info/' || endpoint === 'campaign/get/';
    if (request.method !== 'GET' || !known) {
      // TikTok's gateway answers an unknown path (a missing trailing slash included) with a bare 404.
      record.httpStatus = 404;
      response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('404 page not found');
      return;
    }
    const requestId = newRequestId();
    try {
      if (everyNth !== undefined && requests % everyNth === 0) {
        throw new ApiError(40100, 'Too many requests. Please retry in some time.');
      }
      const token = request.headers['access-token'];
      if (token === undefined || token === '') {
        throw new ApiError(40104, 'Access token is null, you should set it in http header with key Access-Token.');
      }
      if (token !== accessToken) throw new ApiError(40105, 'Access token is incorrect or has been revoked.');

      const query = url.searchParams;
      let data: unknown;
      if (endpoint === 'advertiser/info/') {
        data = advertiserInfo(query);
      } else {
        const advertiser = advertiserOf(query);
        data = endpoint === 'campaign/get/'
          ? campaignPage(query, advertiser)
          : reportPage(query, advertiser, { seed, firstDate, maxSpanDays, oddValues, oddities });
      }
      record.code = 0;
      sendJson(response, 200, { code: 0, message: 'OK', request_id: requestId, data });
    } catch (error) {
      const apiError = error instanceof ApiError ? error : new ApiError(50000, `System error: ${String(error)}`);
      record.code = apiError.code;
      sendJson(response, 200, { code: apiError.code, message: apiError.message, request_id: requestId, data: {} });
    }
  };

  function advertiserOf(query: URLSearchParams): SandboxAdvertiser {
    const id = query.get('advertiser_id');
    if (id === null || id === '') throw badParameter('advertiser_id: Missing data for required field.');
    if (!/^\d+$/.test(id)) throw badParameter('advertiser_id: Not a valid integer.');
    const advertiser = advertisers.find((a) => a.advertiserId === id);
    if (!advertiser) throw new ApiError(40001, `No permission to operate advertiser ${id}.`);
    return advertiser;
  }

  function advertiserInfo(query: URLSearchParams): unknown {
    const ids = jsonList(query, 'advertiser_ids', true);
    if (ids.length === 0) throw badParameter('advertiser_ids: Length must be between 1 and 100.');
    if (ids.length > maxAdvertiserIdsPerInfoCall) throw badParameter(`advertiser_ids: Length must be between 1 and ${maxAdvertiserIdsPerInfoCall}.`);
    const fields = jsonList(query, 'fields', false);
    const unknown = fields.filter((f) => !advertiserFields.has(f));
    if (unknown.length > 0) throw badParameter(`fields: Invalid fields: ${pythonList(unknown)}.`);
    const denied = ids.find((id) => !advertisers.some((a) => a.advertiserId === id));
    if (denied !== undefined) throw new ApiError(40001, `No permission to operate advertiser ${denied}.`);
    const wanted = fields.length > 0 ? new Set(fields) : advertiserFields;
    return {
      list: ids.map((id) => {
        const advertiser = advertisers.find((a) => a.advertiserId === id)!;
        const all: Record<string, string> = {
          advertiser_id: advertiser.advertiserId, name: advertiser.name, currency: advertiser.currency,
          timezone: advertiser.timezone, display_timezone: advertiser.timezone,
        };
        return Object.fromEntries(Object.entries(all).filter(([name]) => name === 'advertiser_id' || wanted.has(name)));
      }),
    };
  }

  const server = await listenOnLoopback(handle, options.port ?? 0, options.faults);
  return {
    url: server.url,
    accessToken,
    anchorDate,
    advertisers,
    requestCount: () => requests,
    requests: () => [...log],
    oddRowsServed: () => oddities.served(TIKTOK_SANDBOX_ODDITIES),
    stop: () => server.stop(),
  };
}

function campaignPage(query: URLSearchParams, advertiser: SandboxAdvertiser): unknown {
  const fields = jsonList(query, 'fields', false);
  const unknown = fields.filter((f) => !campaignFields.has(f));
  if (unknown.length > 0) throw badParameter(`fields: Invalid fields: ${pythonList(unknown)}.`);
  if (query.has('filtering')) throw badParameter('The TikTok sandbox does not implement filtering on campaign/get/.');
  const { page, pageSize } = paging(query);
  const wanted = fields.length > 0 ? new Set(fields) : campaignFields;
  const all = sandboxCampaigns(advertiser.advertiserId).map((c) => Object.fromEntries(Object.entries({
    campaign_id: c.campaignId, campaign_name: c.campaignName, operation_status: c.operationStatus, advertiser_id: advertiser.advertiserId,
  }).filter(([name]) => wanted.has(name))));
  return { list: all.slice((page - 1) * pageSize, page * pageSize), page_info: pageInfo(page, pageSize, all.length) };
}

function reportPage(
  query: URLSearchParams, advertiser: SandboxAdvertiser, limits: { seed: SeedOptions; firstDate: string; maxSpanDays: number; oddValues: number; oddities: OddityLog },
): unknown {
  const reportType = query.get('report_type');
  if (reportType === null) throw badParameter('report_type: Missing data for required field.');
  if (reportType !== 'BASIC') throw badParameter(`The TikTok sandbox implements report_type BASIC only, not ${reportType}.`);
  const serviceType = query.get('service_type') ?? 'AUCTION';
  if (serviceType !== 'AUCTION') throw badParameter(`The TikTok sandbox implements service_type AUCTION only, not ${serviceType}.`);
  const dataLevel = query.get('data_level');
  if (dataLevel !== 'AUCTION_CAMPAIGN') throw badParameter(`The TikTok sandbox implements data_level AUCTION_CAMPAIGN only, not ${dataLevel ?? '(none)'}.`);
  for (const name of ['filtering', 'order_field', 'order_type', 'query_lifetime', 'enable_total_metrics']) {
    if (query.has(name)) throw badParameter(`The TikTok sandbox does not implement ${name}.`);
  }

  const dimensions = jsonList(query, 'dimensions', true);
  if (dimensions.length !== 2 || !dimensions.includes('campaign_id') || !dimensions.includes('stat_time_day')) {
    throw badParameter(`The TikTok sandbox implements dimensions ["campaign_id","stat_time_day"] only, not ${JSON.stringify(dimensions)}.`);
  }
  const metrics = jsonList(query, 'metrics', true);
  const invalid = metrics.filter((m) => !supportedMetrics.has(m));
  if (invalid.length > 0) {
    throw badParameter(`Please correct the information in invalid metric fields and try again. Invalid metric fields: ${pythonList(invalid)}. `);
  }

  const startDate = isoDateParam(query, 'start_date');
  const endDate = isoDateParam(query, 'end_date');
  if (endDate < startDate) throw badParameter('end_date: end_date must be later than or equal to start_date.');
  const spanDays = daysBetween(startDate, endDate) + 1;
  if (spanDays > limits.maxSpanDays) {
    throw new ApiError(40067, `The date range is too large: with stat_time_day the time span between start_date and end_date can be at most ${limits.maxSpanDays} days.`);
  }
  const { page, pageSize } = paging(query);

  const facts: CampaignDayFact[] = [];
  const from = maxDate(startDate, limits.firstDate);
  const to = minDate(endDate, limits.seed.anchorDate);
  if (from <= to) {
    for (const day of eachDay(from, to)) facts.push(...campaignFactsFor(day, { ...limits.seed, advertiserId: advertiser.advertiserId }));
  }
  // TikTok leaves out campaign-days without delivery; order by day, then campaign id.
  const rows = facts
    .filter((f) => f.impressions > 0 || f.spend > 0)
    .sort((a, b) => (a.date === b.date ? compare(a.campaignId, b.campaignId) : compare(a.date, b.date)));
  const wire = (fact: CampaignDayFact): WireRow => {
    const row: WireRow = {
      dimensions: { campaign_id: fact.campaignId, stat_time_day: `${fact.date} 00:00:00` },
      metrics: Object.fromEntries(metrics.map((name) => [name, metricValue(fact, name)])),
    };
    const oddity = tiktokSandboxOddity(fact, limits.oddValues);
    if (oddity) {
      oddity.apply(row);
      limits.oddities.record(oddity);
    }
    return row;
  };
  return {
    list: rows.slice((page - 1) * pageSize, page * pageSize).map(wire),
    page_info: pageInfo(page, pageSize, rows.length),
  };
}

function metricValue(fact: CampaignDayFact, name: string): string {
  switch (name) {
    case 'campaign_name': return fact.campaignName;
    case 'spend': return fact.spend.toFixed(2);
    case 'impressions': return String(fact.impressions);
    case 'clicks': return String(fact.clicks);
    case 'conversion':
    case 'complete_payment': return String(fact.conversions);
    case 'total_complete_payment_rate': return fact.conversionsValue.toFixed(2);
    default: throw badParameter(`Invalid metric fields: ['${name}'].`);
  }
}

function paging(query: URLSearchParams): { page: number; pageSize: number } {
  const page = intParam(query, 'page') ?? 1;
  const pageSize = intParam(query, 'page_size') ?? defaultPageSize;
  if (page < 1) throw badParameter('page: Must be greater than or equal to 1.');
  if (pageSize < 1 || pageSize > maxPageSize) throw badParameter(`page_size: Must be between 1 and ${maxPageSize}.`);
  return { page, pageSize };
}

type MutableRecord = { -readonly [K in keyof SandboxRequestRecord]: SandboxRequestRecord[K] };

/** What a request asked for, as sent (before any validation), so a refused request is recorded too. */
function describeRequest(path: string, query: URLSearchParams): MutableRecord {
  const record: MutableRecord = { path, httpStatus: 200, code: undefined };
  const text = (name: string) => query.get(name) ?? undefined;
  const int = (name: string) => (/^\d+$/.test(query.get(name) ?? '') ? Number(query.get(name)) : undefined);
  const fields = {
    advertiserId: text('advertiser_id'), startDate: text('start_date'), endDate: text('end_date'), page: int('page'), pageSize: int('page_size'),
  };
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) Object.assign(record, { [name]: value });
  return record;
}

function pageInfo(page: number, pageSize: number, total: number): Record<string, number> {
  return { page, page_size: pageSize, total_number: total, total_page: Math.ceil(total / pageSize) };
}

function intParam(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null) return undefined;
  if (!/^-?\d+$/.test(value)) throw badParameter(`${name}: Not a valid integer.`);
  return Number(value);
}

function isoDateParam(query: URLSearchParams, name: string): string {
  const value = query.get(name);
  if (value === null || value === '') throw badParameter(`${name}: Missing data for required field.`);
  if (!isIsoDate(value)) throw badParameter(`${name}: Not a valid date, use the format YYYY-MM-DD.`);
  return value;
}

/** A JSON-encoded array of strings in the query string, as TikTok expects array parameters. */
function jsonList(query: URLSearchParams, name: string, required: boolean): string[] {
  const value = query.get(name);
  if (value === null || value === '') {
    if (required) throw badParameter(`${name}: Missing data for required field.`);
    return [];
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw badParameter(`${name}: Not a valid list.`);
  }
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string' || typeof item === 'number')) {
    throw badParameter(`${name}: Not a valid list.`);
  }
  return parsed.map(String);
}

function pythonList(items: readonly string[]): string {
  return `[${items.map((item) => `'${item}'`).join(', ')}]`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** TikTok's request ids: a UTC timestamp and hex, e.g. 202203232218030102452410100E00D348. */
function newRequestId(): string {
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  return stamp + randomBytes(10).toString('hex').toUpperCase();
}
