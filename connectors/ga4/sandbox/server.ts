/**
 * GA4 sandbox: a local HTTP server (127.0.0.1 only) that answers the Google Analytics 4 Data API v1beta
 * `runReport` call over seeded synthetic data (./seed-data.ts), so the GA4 connector, its tests and the
 * local demo run against the real client library (`@googleapis/analyticsdata` with `rootUrl`) with no
 * Google account.
 *
 * Wire facts it follows (developers.google.com, Data API v1beta RunReportRequest / RunReportResponse):
 * - `POST /v1beta/properties/{id}:runReport` (the colon may come percent-encoded), bearer token.
 * - Request: `dateRanges` (YYYY-MM-DD, `today`, `yesterday`, `NdaysAgo` in the property time zone),
 *   `dimensions[{name}]` ≤ 9, `metrics[{name}]` ≤ 10, `limit` / `offset` as numbers or int64 strings
 *   (limit defaults to 10,000, must be positive, and at most 250,000 rows come back "no matter how
 *   many you ask for"), `keepEmptyRows`, `returnPropertyQuota`, `orderBys`.
 * - Response: every dimension and metric value a string, `date` as YYYYMMDD, metric header types
 *   (TYPE_INTEGER, TYPE_FLOAT, TYPE_SECONDS, TYPE_CURRENCY), `rowCount` across pages, `rows` and
 *   `rowCount` absent when nothing matches, `metadata.currencyCode` / `timeZone`,
 *   `propertyQuota` only when asked for, `kind: "analyticsData#runReport"`.
 * - Errors in Google's JSON shape `{error:{code,message,status}}` with the API's wording:
 *   401 UNAUTHENTICATED, 403 PERMISSION_DENIED, 400 INVALID_ARGUMENT ("Field foo is not a valid
 *   dimension…"), 429 RESOURCE_EXHAUSTED when the property's token quota (200,000/day, 40,000/hour,
 *   14,000 per project per hour by default) runs out.
 * Not implemented (answered with 400 so a connector never gets silently wrong numbers): filters,
 * metric aggregations, comparisons, cohorts, pivots, more than one date range, other currencies.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { addDays, eachDay, isIsoDate, maxDate, minDate, todayIn } from '../../../core/dates.ts';
import type { FaultPlan } from '../../sandbox-kit/faults.ts';
import { listenOnLoopback } from '../../sandbox-kit/http.ts';
import { oddityFor, OddityLog, type Oddity } from '../../sandbox-kit/oddities.ts';
import { eventFactsFor, trafficFactsFor } from './seed-data.ts';
import type { SeedOptions } from './seed-data.ts';

export interface Ga4SandboxOptions {
  /** 0 (default) = any free port. The host is always 127.0.0.1. */
  port?: number;
  /** Seed for the synthetic data; default 42. */
  seed?: number;
  /** The sandbox's "today" (YYYY-MM-DD); default today's date in Asia/Seoul. */
  anchorDate?: string;
  /** Facts exist for [anchorDate − historyDays + 1, anchorDate]; default 400. */
  historyDays?: number;
  /** The one bearer token accepted; default a random hex token. */
  accessToken?: string;
  /** The one property served; default '123456789'. */
  propertyId?: string;
  /** Core-token budgets; defaults 200,000 a day and 40,000 an hour (plus 14,000 per project per hour). */
  quota?: { tokensPerDay?: number; tokensPerHour?: number };
  /** HTTP-level faults (429s, 5xx, resets, cut bodies…), see sandbox-kit/faults.ts. */
  faults?: FaultPlan;
  /**
   * About one report row in n (chosen by its dimensions, so the same rows on every read, whatever
   * the paging or window) carries one of `GA4_SANDBOX_ODDITIES`: values the client must coerce or
   * set aside. Default 0: none.
   */
  oddValues?: number;
}

/** What `oddValues` does to a wire row, and whether the pipeline should coerce it or reject it. */
export const GA4_SANDBOX_ODDITIES: ReadonlyArray<Oddity<WireRow>> = [
  { name: 'ISO date instead of YYYYMMDD', rejected: true, apply: (row) => (row.dimensionValues[0]!.value = `${row.dimensionValues[0]!.value!.slice(0, 4)}-${row.dimensionValues[0]!.value!.slice(4, 6)}-${row.dimensionValues[0]!.value!.slice(6)}`) },
  { name: 'a metric as a JSON number', rejected: false, apply: (row) => (row.metricValues[0]!.value = Number(row.metricValues[0]!.value) as unknown as string) },
  { name: 'a metric that is null', rejected: false, apply: (row) => (row.metricValues.at(-1)!.value = null as unknown as string) },
  { name: 'a metric that is text', rejected: true, apply: (row) => (row.metricValues[0]!.value = 'n/a') },
  { name: 'Korean and emoji in a dimension', rejected: false, apply: (row) => (row.dimensionValues.at(-1)!.value += ' 🎉 한글 캠페인') },
  { name: 'a field the API does not document', rejected: false, apply: (row) => Object.assign(row, { newField: { since: 'v1beta2' } }) },
];

interface WireRow {
  dimensionValues: Array<{ value?: string }>;
  metricValues: Array<{ value?: string }>;
}

export interface RunningGa4Sandbox {
  /** `http://127.0.0.1:PORT/`, usable as the client's `rootUrl`. */
  url: string;
  accessToken: string;
  propertyId: string;
  anchorDate: string;
  /** HTTP requests received so far, whatever their outcome. */
  requestCount(): number;
  /** The odd rows served so far (`oddValues`), by oddity, and how many of them must be rejected. */
  oddRowsServed(): ReturnType<OddityLog['served']>;
  /** Stops listening and closes every connection, keep-alive ones included. */
  stop(): Promise<void>;
}

export const GA4_SANDBOX_TIME_ZONE = 'Asia/Seoul';
export const GA4_SANDBOX_CURRENCY = 'KRW';

type MetricType = 'TYPE_INTEGER' | 'TYPE_FLOAT' | 'TYPE_SECONDS' | 'TYPE_CURRENCY';

export const GA4_SANDBOX_DIMENSIONS = [
  'date',
  'sessionDefaultChannelGroup',
  'sessionSource',
  'sessionMedium',
  'sessionCampaignName',
  'eventName',
] as const;

export const GA4_SANDBOX_METRICS = {
  sessions: 'TYPE_INTEGER',
  engagedSessions: 'TYPE_INTEGER',
  totalUsers: 'TYPE_INTEGER',
  newUsers: 'TYPE_INTEGER',
  userEngagementDuration: 'TYPE_SECONDS',
  keyEvents: 'TYPE_FLOAT',
  purchaseRevenue: 'TYPE_CURRENCY',
  transactions: 'TYPE_INTEGER',
  eventCount: 'TYPE_INTEGER',
} as const satisfies Record<string, MetricType>;

type MetricName = keyof typeof GA4_SANDBOX_METRICS;

const trafficDimensions = new Set(['date', 'sessionDefaultChannelGroup', 'sessionSource', 'sessionMedium', 'sessionCampaignName']);
const trafficMetrics = new Set(['sessions', 'engagedSessions', 'totalUsers', 'newUsers', 'userEngagementDuration', 'keyEvents', 'purchaseRevenue', 'transactions']);
const eventDimensions = new Set(['date', 'eventName']);
const eventMetrics = new Set(['eventCount', 'totalUsers']);

const maxDimensions = 9;
const maxMetrics = 10;
const defaultLimit = 10_000;
const maxRowsPerRequest = 250_000;
const tokensPerProjectPerHourLimit = 14_000;
const schemaLink = 'For a list of valid dimensions and metrics, see https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema ';
const compatibilityLink = "The request's dimensions & metrics are incompatible. To learn more, see https://ga-dev-tools.google/ga4/dimensions-metrics-explorer/";

/** Request fields RunReportRequest has; anything else is rejected the way Google's front end does. */
const knownRequestFields = new Set([
  'property', 'dimensions', 'metrics', 'dateRanges', 'dimensionFilter', 'metricFilter', 'offset', 'limit',
  'metricAggregations', 'orderBys', 'currencyCode', 'cohortSpec', 'keepEmptyRows', 'returnPropertyQuota', 'comparisons',
]);
const unimplementedRequestFields = ['dimensionFilter', 'metricFilter', 'metricAggregations', 'cohortSpec', 'comparisons'];

class ApiError extends Error {
  readonly code: number;
  readonly status: string;
  constructor(code: number, status: string, message: string) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

const invalid = (message: string): ApiError => new ApiError(400, 'INVALID_ARGUMENT', message);

/** A fact reduced to what a report reads: dimension values (already in wire form) and metric numbers. */
interface ReportFact {
  dims: Readonly<Record<string, string>>;
  metrics: Readonly<Record<string, number>>;
}

interface OrderBy {
  desc: boolean;
  kind: 'dimension' | 'metric';
  index: number;
  orderType: string;
}

interface ParsedRequest {
  startDate: string;
  endDate: string;
  dimensions: string[];
  metrics: MetricName[];
  limit: number;
  offset: number;
  keepEmptyRows: boolean;
  returnPropertyQuota: boolean;
  orderBys: OrderBy[];
}

interface ReportRow {
  dims: string[];
  values: number[];
}

export async function startGa4Sandbox(options: Ga4SandboxOptions = {}): Promise<RunningGa4Sandbox> {
  const anchorDate = options.anchorDate ?? todayIn(GA4_SANDBOX_TIME_ZONE);
  if (!isIsoDate(anchorDate)) throw new Error(`GA4 sandbox: anchorDate must be YYYY-MM-DD, got "${anchorDate}"`);
  const historyDays = options.historyDays ?? 400;
  if (!Number.isInteger(historyDays) || historyDays < 1) throw new Error(`GA4 sandbox: historyDays must be a positive integer, got ${historyDays}`);
  const seed: SeedOptions = { seed: options.seed ?? 42, anchorDate };
  const accessToken = options.accessToken ?? randomBytes(24).toString('hex');
  const propertyId = options.propertyId ?? '123456789';
  const firstDate = addDays(anchorDate, 1 - historyDays);
  const quota = new PropertyQuota(options.quota?.tokensPerDay ?? 200_000, options.quota?.tokensPerHour ?? 40_000);
  const oddities = new OddityLog();
  let requests = 0;

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    requests += 1;
    try {
      const path = (request.url ?? '/').split('?')[0]!.replace(/%3A/gi, ':');
      const route = /^\/v1beta\/properties\/([^/:]+):runReport$/.exec(path);
      if (request.method !== 'POST' || !route) {
        throw new ApiError(404, 'NOT_FOUND', `The GA4 sandbox has no method ${request.method ?? ''} ${path}; it serves POST /v1beta/properties/{propertyId}:runReport.`);
      }
      if (request.headers.authorization !== `Bearer ${accessToken}`) {
        throw new ApiError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.');
      }
      if (decodeURIComponent(route[1]!) !== propertyId) {
        throw new ApiError(403, 'PERMISSION_DENIED', 'User does not have sufficient permissions for this property. To learn more about Property ID, see https://developers.google.com/analytics/devguides/reporting/data/v1/property-id.');
      }
      const parsed = parseRequest(await readJson(request), anchorDate);
      quota.refuseIfExhausted();
      const { facts, scanned } = collectFacts(parsed, seed, maxDate(parsed.startDate, firstDate), minDate(parsed.endDate, anchorDate));
      quota.charge(1 + Math.ceil(scanned / 1000));
      send(response, 200, buildReport(parsed, facts, parsed.returnPropertyQuota ? quota.snapshot() : undefined, options.oddValues ?? 0, oddities));
    } catch (error) {
      const apiError = error instanceof ApiError ? error : new ApiError(500, 'INTERNAL', `Internal error encountered. ${String(error)}`);
      send(response, apiError.code, { error: { code: apiError.code, message: apiError.message, status: apiError.status } });
    }
  };

  const server = await listenOnLoopback(handle, options.port ?? 0, options.faults);
  return {
    url: server.url,
    accessToken,
    propertyId,
    anchorDate,
    requestCount: () => requests,
    oddRowsServed: () => oddities.served(GA4_SANDBOX_ODDITIES),
    stop: () => server.stop(),
  };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > 5_000_000) throw new ApiError(413, 'INVALID_ARGUMENT', 'Request payload size exceeds the limit.');
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalid(`Invalid JSON payload received. ${error instanceof Error ? error.message : 'Unexpected token.'}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Request parsing and validation

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseRequest(body: unknown, anchorDate: string): ParsedRequest {
  if (!isRecord(body)) throw invalid('Invalid JSON payload received. Expected an object (RunReportRequest).');
  for (const field of Object.keys(body)) {
    if (!knownRequestFields.has(field)) throw invalid(`Invalid JSON payload received. Unknown name "${field}": Cannot find field.`);
  }
  for (const field of unimplementedRequestFields) {
    const value = body[field];
    if (value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0)) {
      throw invalid(`The GA4 sandbox does not implement ${field}; request the rows without it and filter or aggregate client-side.`);
    }
  }
  if (body.currencyCode !== undefined && body.currencyCode !== '' && body.currencyCode !== GA4_SANDBOX_CURRENCY) {
    throw invalid(`The GA4 sandbox property reports in ${GA4_SANDBOX_CURRENCY} only; currencyCode "${String(body.currencyCode)}" is not supported.`);
  }

  const dateRanges = body.dateRanges ?? [];
  if (!Array.isArray(dateRanges)) throw invalid("Invalid JSON payload received. Invalid value at 'date_ranges': expected a list.");
  if (dateRanges.length === 0) throw invalid('Must specify at least one date range.');
  if (dateRanges.length > 1) throw invalid(`The GA4 sandbox supports exactly one date range; this request has ${dateRanges.length}.`);
  const range: unknown = dateRanges[0];
  if (!isRecord(range)) throw invalid("Invalid JSON payload received. Invalid value at 'date_ranges[0]'.");
  const startDate = resolveDate(range.startDate, 'startDate', anchorDate);
  const endDate = resolveDate(range.endDate, 'endDate', anchorDate);
  if (startDate > endDate) {
    throw invalid(`Invalid date range: startDate ${startDate} is after endDate ${endDate}. The start date must be on or before the end date.`);
  }

  const dimensions = names(body.dimensions, 'dimensions');
  const metrics = names(body.metrics, 'metrics');
  for (const name of dimensions) {
    if (!(GA4_SANDBOX_DIMENSIONS as readonly string[]).includes(name)) throw invalid(`Field ${name} is not a valid dimension. ${schemaLink}`);
  }
  for (const name of metrics) {
    if (!Object.hasOwn(GA4_SANDBOX_METRICS, name)) throw invalid(`Field ${name} is not a valid metric.  ${schemaLink}`);
  }
  if (dimensions.length > maxDimensions) throw invalid(`Requests are limited to ${maxDimensions} dimensions; this request has ${dimensions.length}.`);
  if (metrics.length > maxMetrics) throw invalid(`Requests are limited to ${maxMetrics} metrics; this request has ${metrics.length}.`);
  if (dimensions.length === 0 && metrics.length === 0) throw invalid('Requests require dimensions and/or metrics.');

  const eventScope = dimensions.includes('eventName') || metrics.includes('eventCount');
  const allowedDimensions = eventScope ? eventDimensions : trafficDimensions;
  const allowedMetrics = eventScope ? eventMetrics : trafficMetrics;
  const incompatible = dimensions.find((name) => !allowedDimensions.has(name)) ?? metrics.find((name) => !allowedMetrics.has(name));
  if (incompatible !== undefined) throw invalid(`Please remove ${incompatible} to make the request compatible. ${compatibilityLink}`);

  const limit = int64(body.limit, 'limit') ?? defaultLimit;
  if (limit <= 0) throw invalid('limit must be positive.');
  const offset = int64(body.offset, 'offset') ?? 0;
  if (offset < 0) throw invalid('offset must be non-negative.');

  return {
    startDate,
    endDate,
    dimensions,
    metrics: metrics as MetricName[],
    limit: Math.min(limit, maxRowsPerRequest),
    offset,
    keepEmptyRows: bool(body.keepEmptyRows, 'keepEmptyRows'),
    returnPropertyQuota: bool(body.returnPropertyQuota, 'returnPropertyQuota'),
    orderBys: parseOrderBys(body.orderBys, dimensions, metrics),
  };
}

function resolveDate(value: unknown, field: string, anchorDate: string): string {
  if (typeof value === 'string') {
    if (value === 'today') return anchorDate;
    if (value === 'yesterday') return addDays(anchorDate, -1);
    const ago = /^(\d+)daysAgo$/.exec(value);
    if (ago) return addDays(anchorDate, -Number(ago[1]));
    if (isIsoDate(value)) return value;
  }
  throw invalid(`Invalid ${field} ${JSON.stringify(value ?? null)} in date range. Dates must be YYYY-MM-DD, NdaysAgo, yesterday, or today.`);
}

function names(value: unknown, field: 'dimensions' | 'metrics'): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid(`Invalid JSON payload received. Invalid value at '${field}': expected a list.`);
  return value.map((entry: unknown, index) => {
    if (isRecord(entry) && field === 'dimensions' && entry.dimensionExpression !== undefined) {
      throw invalid('The GA4 sandbox does not implement dimensionExpression.');
    }
    if (isRecord(entry) && field === 'metrics' && entry.expression !== undefined) {
      throw invalid('The GA4 sandbox does not implement metric expressions.');
    }
    if (!isRecord(entry) || typeof entry.name !== 'string' || entry.name === '') {
      throw invalid(`${field}[${index}].name is required.`);
    }
    return entry.name;
  });
}

function int64(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value) && Number.isSafeInteger(Number(value))) return Number(value);
  throw invalid(`Invalid value at '${field}' (TYPE_INT64), ${JSON.stringify(value)}`);
}

function bool(value: unknown, field: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  throw invalid(`Invalid value at '${field}' (TYPE_BOOL), ${JSON.stringify(value)}`);
}

function parseOrderBys(value: unknown, dimensions: string[], metrics: string[]): OrderBy[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid("Invalid JSON payload received. Invalid value at 'order_bys': expected a list.");
  return value.map((entry: unknown): OrderBy => {
    if (!isRecord(entry)) throw invalid('Each orderBys entry must be an object.');
    const desc = entry.desc === true;
    if (entry.pivot !== undefined) throw invalid('The GA4 sandbox does not implement pivot order bys.');
    if (isRecord(entry.dimension)) {
      const name = entry.dimension.dimensionName;
      const index = dimensions.indexOf(String(name));
      if (index < 0) throw invalid(`orderBys dimensionName ${String(name)} must be one of the request's dimensions.`);
      const orderType = typeof entry.dimension.orderType === 'string' ? entry.dimension.orderType : 'ALPHANUMERIC';
      return { desc, kind: 'dimension', index, orderType };
    }
    if (isRecord(entry.metric)) {
      const name = entry.metric.metricName;
      const index = metrics.indexOf(String(name));
      if (index < 0) throw invalid(`orderBys metricName ${String(name)} must be one of the request's metrics.`);
      return { desc, kind: 'metric', index, orderType: 'NUMERIC' };
    }
    throw invalid('Each orderBys entry needs a dimension or a metric.');
  });
}

// ---------------------------------------------------------------------------------------------------
// Facts, aggregation, response

function compactDate(date: string): string {
  return date.replaceAll('-', '');
}

/** The facts a request reads, over [from, to] already clipped to the sandbox's history. */
function collectFacts(request: ParsedRequest, seed: SeedOptions, from: string, to: string): { facts: ReportFact[]; scanned: number } {
  const facts: ReportFact[] = [];
  let scanned = 0;
  const eventScope = request.dimensions.includes('eventName') || request.metrics.includes('eventCount');
  for (const day of eachDay(from, to)) {
    const date = compactDate(day);
    if (!eventScope) {
      for (const fact of trafficFactsFor(day, seed)) {
        scanned += 1;
        facts.push({
          dims: {
            date,
            sessionDefaultChannelGroup: fact.channelGroup,
            sessionSource: fact.source,
            sessionMedium: fact.medium,
            sessionCampaignName: fact.campaign,
          },
          metrics: {
            sessions: fact.sessions,
            engagedSessions: fact.engagedSessions,
            totalUsers: fact.totalUsers,
            newUsers: fact.newUsers,
            userEngagementDuration: fact.userEngagementDuration,
            keyEvents: fact.keyEvents,
            purchaseRevenue: fact.purchaseRevenue,
            transactions: fact.transactions,
          },
        });
      }
    } else {
      const events = eventFactsFor(day, seed);
      scanned += events.length;
      if (request.dimensions.includes('eventName')) {
        for (const fact of events) {
          facts.push({ dims: { date, eventName: fact.eventName }, metrics: { eventCount: fact.eventCount, totalUsers: fact.totalUsers } });
        }
      } else if (events.length > 0) {
        // All events together: the day's users are those who started a session, not a sum over events.
        const eventCount = events.reduce((sum, fact) => sum + fact.eventCount, 0);
        const totalUsers = events.find((fact) => fact.eventName === 'session_start')?.totalUsers ?? 0;
        facts.push({ dims: { date }, metrics: { eventCount, totalUsers } });
      }
    }
  }
  return { facts, scanned };
}

function aggregate(request: ParsedRequest, facts: readonly ReportFact[]): ReportRow[] {
  const rows = new Map<string, ReportRow>();
  for (const fact of facts) {
    const dims = request.dimensions.map((name) => fact.dims[name] ?? '(not set)');
    const key = JSON.stringify(dims);
    let row = rows.get(key);
    if (!row) {
      row = { dims, values: request.metrics.map(() => 0) };
      rows.set(key, row);
    }
    for (const [index, name] of request.metrics.entries()) row.values[index]! += fact.metrics[name] ?? 0;
  }
  const result = [...rows.values()];
  return request.keepEmptyRows || request.metrics.length === 0 ? result : result.filter((row) => row.values.some((value) => value !== 0));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function rowComparator(request: ParsedRequest): (a: ReportRow, b: ReportRow) => number {
  const dateIndex = request.dimensions.indexOf('date');
  const tieBreak = [...(dateIndex >= 0 ? [dateIndex] : []), ...request.dimensions.keys()].filter((index, position, all) => all.indexOf(index) === position);
  return (a, b) => {
    for (const order of request.orderBys) {
      let result: number;
      if (order.kind === 'metric') {
        result = a.values[order.index]! - b.values[order.index]!;
      } else {
        const left = a.dims[order.index]!;
        const right = b.dims[order.index]!;
        if (order.orderType === 'NUMERIC') result = Number(left) - Number(right) || compareText(left, right);
        else if (order.orderType === 'CASE_INSENSITIVE_ALPHANUMERIC') result = compareText(left.toLowerCase(), right.toLowerCase());
        else result = compareText(left, right);
      }
      if (result !== 0) return order.desc ? -result : result;
    }
    for (const index of tieBreak) {
      const result = compareText(a.dims[index]!, b.dims[index]!);
      if (result !== 0) return result;
    }
    return 0;
  };
}

function formatMetric(value: number): string {
  // Sums of whole numbers stay whole; anything else keeps a few decimals the way GA4 prints floats.
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(6)));
}

function buildReport(
  request: ParsedRequest, facts: readonly ReportFact[], propertyQuota: QuotaSnapshot | undefined, oddValues: number, served: OddityLog,
): Record<string, unknown> {
  const all = aggregate(request, facts).sort(rowComparator(request));
  const page = all.slice(request.offset, request.offset + request.limit);
  const wire = (row: ReportRow): WireRow => {
    const out: WireRow = {
      dimensionValues: row.dims.map((value) => ({ value })),
      metricValues: row.values.map((value) => ({ value: formatMetric(value) })),
    };
    const oddity = oddityFor(JSON.stringify(row.dims), oddValues, GA4_SANDBOX_ODDITIES);
    if (oddity) {
      oddity.apply(out);
      served.record(oddity);
    }
    return out;
  };
  return {
    dimensionHeaders: request.dimensions.map((name) => ({ name })),
    metricHeaders: request.metrics.map((name) => ({ name, type: GA4_SANDBOX_METRICS[name] })),
    ...(page.length > 0
      ? {
          rows: page.map(wire),
        }
      : {}),
    ...(all.length > 0 ? { rowCount: all.length } : {}),
    metadata: { currencyCode: GA4_SANDBOX_CURRENCY, timeZone: GA4_SANDBOX_TIME_ZONE },
    ...(propertyQuota ? { propertyQuota } : {}),
    kind: 'analyticsData#runReport',
  };
}

// ---------------------------------------------------------------------------------------------------
// Quota

interface QuotaStatus {
  consumed: number;
  remaining: number;
}

interface QuotaSnapshot {
  tokensPerDay: QuotaStatus;
  tokensPerHour: QuotaStatus;
  concurrentRequests: QuotaStatus;
  serverErrorsPerProjectPerHour: QuotaStatus;
  potentiallyThresholdedRequestsPerHour: QuotaStatus;
  tokensPerProjectPerHour: QuotaStatus;
}

/** Core-token budgets: the day resets at midnight Pacific time, the hour on the clock hour. */
class PropertyQuota {
  private readonly perDay: number;
  private readonly perHour: number;
  private dayKey = '';
  private hourKey = -1;
  private dayConsumed = 0;
  private hourConsumed = 0;

  constructor(perDay: number, perHour: number) {
    this.perDay = perDay;
    this.perHour = perHour;
  }

  private roll(): void {
    const now = new Date();
    const day = todayIn('America/Los_Angeles', now);
    const hour = Math.floor(now.getTime() / 3_600_000);
    if (day !== this.dayKey) {
      this.dayKey = day;
      this.dayConsumed = 0;
    }
    if (hour !== this.hourKey) {
      this.hourKey = hour;
      this.hourConsumed = 0;
    }
  }

  refuseIfExhausted(): void {
    this.roll();
    if (this.dayConsumed >= this.perDay) {
      throw new ApiError(429, 'RESOURCE_EXHAUSTED', 'Exhausted property tokens per day for this property. These quota tokens will return in under 24 hours.');
    }
    if (this.hourConsumed >= this.perHour) {
      throw new ApiError(429, 'RESOURCE_EXHAUSTED', 'Exhausted property tokens per hour for this property.');
    }
    if (this.hourConsumed >= tokensPerProjectPerHourLimit) {
      throw new ApiError(429, 'RESOURCE_EXHAUSTED', 'Exhausted property tokens for a project per hour. These quota tokens will return in under an hour.');
    }
  }

  charge(tokens: number): void {
    this.roll();
    this.dayConsumed += tokens;
    this.hourConsumed += tokens;
  }

  snapshot(): QuotaSnapshot {
    const status = (consumed: number, limit: number): QuotaStatus => ({ consumed, remaining: Math.max(0, limit - consumed) });
    return {
      tokensPerDay: status(this.dayConsumed, this.perDay),
      tokensPerHour: status(this.hourConsumed, this.perHour),
      concurrentRequests: { consumed: 0, remaining: 10 },
      serverErrorsPerProjectPerHour: { consumed: 0, remaining: 10 },
      potentiallyThresholdedRequestsPerHour: { consumed: 0, remaining: 120 },
      tokensPerProjectPerHour: status(this.hourConsumed, tokensPerProjectPerHourLimit),
    };
  }
}
