/**
 * Google Ads sandbox: a local HTTP server (127.0.0.1 only) that answers the Google Ads API REST
 * `googleAds:searchStream` call over seeded synthetic data (./seed-data.ts), so the connector, its
 * tests and the local demo run the real client path with no Google account.
 *
 * Wire facts it follows (developers.google.com, Google Ads API REST reference and guides, v23–v26):
 * - `POST /v{N}/customers/{customerId}/googleAds:searchStream` (the colon may come percent-encoded),
 *   body `{ "query": "<GAQL>", "summaryRowSetting"? }`, headers `Authorization: Bearer …`,
 *   `login-customer-id` (the manager account, optional), `developer-token` (optional and ignored:
 *   Google sunset developer tokens on 2026-09-09; access levels now belong to the Cloud project).
 * - Response: a JSON array of batches `{ results: [GoogleAdsRow], fieldMask, requestId }`, at most
 *   10,000 rows each (configurable here); `queryResourceConsumption` (int64) in the last batch. Rows
 *   are lowerCamelCase, int64 as strings (`customer.id`, `campaign.id`, `metrics.impressions`,
 *   `metrics.clicks`, `metrics.costMicros`), doubles as numbers (`metrics.conversions`,
 *   `metrics.conversionsValue`), `segments.date` as YYYY-MM-DD, each selected resource with its
 *   `resourceName`; `fieldMask` lists the selected fields in lowerCamelCase.
 * - `customer.*` fields are selectable `FROM campaign` (customer is an attributed resource).
 *   Campaign-days with no impressions, clicks or cost are not returned.
 * - Errors: `google.rpc.Status` `{ error: { code, message, status, details: [GoogleAdsFailure] } }`
 *   with `@type: type.googleapis.com/google.ads.googleads.vN.errors.GoogleAdsFailure`,
 *   `errors[{ errorCode: { <kind>: ENUM }, message }]`, `requestId`. searchStream sends its
 *   errors inside the stream, so its error body is an array `[{ error }]` (what connectors in the
 *   wild parse for searchStream 400 / 401 / 403 / 429); only a request that reaches no method
 *   (unknown path or version) gets a plain `{ error }` here.
 *   401 UNAUTHENTICATED authenticationError.OAUTH_TOKEN_INVALID (wrong token; a missing header
 *   has Google's "missing required authentication credential" message);
 *   403 PERMISSION_DENIED authorizationError.USER_PERMISSION_DENIED (customer not reachable, or a
 *   login-customer-id that does not manage it) and CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION
 *   (v25+, ACTION_NOT_PERMITTED before) for a project with test access only;
 *   400 INVALID_ARGUMENT queryError.* for GAQL it cannot parse (EXPECTED_SELECT, EXPECTED_FROM,
 *   UNRECOGNIZED_FIELD, BAD_RESOURCE_TYPE_IN_FROM_CLAUSE, INVALID_VALUE_WITH_BETWEEN_OPERATOR,
 *   DATE_RANGE_TOO_NARROW, EXPECTED_FILTERS_ON_DATE_RANGE, UNEXPECTED_INPUT);
 *   429 RESOURCE_EXHAUSTED with quotaError.RESOURCE_TEMPORARILY_EXHAUSTED (rate limit) and
 *   `details.quotaErrorDetails.retryDelay` (a protobuf Duration, "1s"), or quotaError.RESOURCE_EXHAUSTED
 *   with no retry delay when the daily operations are used up.
 * Not verified in the docs, chosen to be plausible: the empty result (one batch without `results`),
 * the wording of the sandbox's own messages, the 404 body for an unknown version.
 * Not implemented (400 so a connector never gets silently wrong numbers): WHERE conditions other
 * than `segments.date BETWEEN '…' AND '…'` (DURING, other filters), ORDER BY, PARAMETERS, summary rows,
 * resources other than campaign and customer.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { addDays, eachDay, isIsoDate, maxDate, minDate, todayIn } from '../../../core/dates.ts';
import type { FaultPlan } from '../../sandbox-kit/faults.ts';
import { listenOnLoopback, readBody, sendJson } from '../../sandbox-kit/http.ts';
import { oddityFor, OddityLog, type Oddity } from '../../sandbox-kit/oddities.ts';
import {
  customerFactsFor, sandboxCustomers, sandboxManagerCustomerId,
  type CampaignDayFact, type SandboxCustomer, type SeedOptions,
} from './seed-data.ts';

export interface GoogleAdsSandboxOptions {
  /** 0 (default) = any free port. The host is always 127.0.0.1. */
  port?: number;
  /** HTTP-level faults (429s, 5xx, resets, cut bodies…), see sandbox-kit/faults.ts. */
  faults?: FaultPlan;
  /** Seed for the synthetic data; default 42. */
  seed?: number;
  /** The sandbox's "today" (YYYY-MM-DD); default today's date in Asia/Seoul. */
  anchorDate?: string;
  /** Facts exist for [anchorDate − historyDays + 1, anchorDate]; default 400. */
  historyDays?: number;
  /** The one bearer token accepted; default a random hex token. */
  accessToken?: string;
  /** The client accounts served; default the shop's two accounts (seed-data.ts). */
  customers?: readonly SandboxCustomer[];
  /** The manager account accepted as `login-customer-id`; default 1112223333. */
  managerCustomerId?: string;
  /**
   * About one row in n (chosen by its customer, campaign and date, so the same rows on every read,
   * whatever the window) carries one of `GOOGLE_ADS_SANDBOX_ODDITIES`: values the client must coerce
   * or set aside. Default 0: none. Meant for campaign queries (the fields it changes must be selected).
   */
  oddValues?: number;
  /** Rows per stream batch; the real API sends up to 10,000. */
  rowsPerBatch?: number;
  /** Every Nth authenticated searchStream request is answered 429 RESOURCE_TEMPORARILY_EXHAUSTED. */
  throttle?: { everyNthRequest: number; retryDelaySeconds?: number };
  /** searchStream requests allowed a day before quotaError.RESOURCE_EXHAUSTED (no retry delay); default unlimited. */
  dailyOperations?: number;
  /** 'test_accounts': the Cloud project has only test access, so production customers are refused (403). */
  cloudProjectAccess?: 'production' | 'test_accounts';
}

/** What the sandbox saw of one request (never the Authorization header). */
export interface SandboxRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly customerId?: string;
  readonly query?: string;
  readonly developerToken?: string;
  readonly loginCustomerId?: string;
  readonly contentType?: string;
}

export interface RunningGoogleAdsSandbox {
  /** `http://127.0.0.1:PORT/`, usable as the connector's `endpoint`. */
  url: string;
  accessToken: string;
  anchorDate: string;
  customerIds: readonly string[];
  managerCustomerId: string;
  /** HTTP requests received so far, whatever their outcome. */
  requestCount(): number;
  /** The odd rows served so far (`oddValues`), by oddity, and how many of them must be rejected. */
  oddRowsServed(): ReturnType<OddityLog['served']>;
  /** Every request so far, in order. */
  requests(): readonly SandboxRequest[];
  /** Stops listening and closes every connection, keep-alive ones included. */
  stop(): Promise<void>;
}

export const GOOGLE_ADS_SANDBOX_API_VERSIONS = ['v23', 'v24', 'v25', 'v26'] as const;
const defaultRowsPerBatch = 10_000;

// ---------------------------------------------------------------------------------------------------
// Errors

type ErrorCode = Readonly<Record<string, string>>;

class ApiError extends Error {
  readonly code: number;
  readonly status: string;
  readonly errors: ReadonlyArray<{ errorCode: ErrorCode; message: string; details?: Record<string, unknown> }>;
  /** false: the request reached no method, so the body is a plain object rather than a stream. */
  readonly inStream: boolean;

  constructor(code: number, status: string, message: string, errors: ApiError['errors'] = [], inStream = true) {
    super(message);
    this.code = code;
    this.status = status;
    this.errors = errors;
    this.inStream = inStream;
  }
}

const invalidArgument = (errorCode: ErrorCode, message: string): ApiError =>
  new ApiError(400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.', [{ errorCode, message }]);
const queryError = (reason: string, message: string): ApiError => invalidArgument({ queryError: reason }, message);
const notImplemented = (what: string): ApiError =>
  queryError('QUERY_ERROR', `The Google Ads sandbox does not implement ${what}; it serves SELECT … FROM campaign|customer WHERE segments.date BETWEEN '…' AND '…' [LIMIT n].`);

function permissionDenied(errorCode: ErrorCode, message: string): ApiError {
  return new ApiError(403, 'PERMISSION_DENIED', 'The caller does not have permission', [{ errorCode, message }]);
}

const userPermissionDenied = (): ApiError => permissionDenied(
  { authorizationError: 'USER_PERMISSION_DENIED' },
  "User doesn't have permission to access customer. Note: If you're accessing a client customer, the manager's customer ID must be set in the 'login-customer-id' header. See https://developers.google.com/google-ads/api/docs/concepts/call-structure#cid",
);

// ---------------------------------------------------------------------------------------------------
// GAQL

interface FieldSpec {
  /** The resource the field belongs to, e.g. `campaign`. */
  readonly resource: 'customer' | 'campaign' | 'segments' | 'metrics';
  readonly kind: 'attribute' | 'segment' | 'metric';
  readonly wire: 'string' | 'int64' | 'double' | 'enum';
  readonly value: (fact: CampaignDayFact, customer: SandboxCustomer) => string | number;
}

const fieldSpecs: Readonly<Record<string, FieldSpec>> = {
  'customer.resource_name': { resource: 'customer', kind: 'attribute', wire: 'string', value: (_, c) => `customers/${c.id}` },
  'customer.id': { resource: 'customer', kind: 'attribute', wire: 'int64', value: (_, c) => c.id },
  'customer.descriptive_name': { resource: 'customer', kind: 'attribute', wire: 'string', value: (_, c) => c.descriptiveName },
  'customer.currency_code': { resource: 'customer', kind: 'attribute', wire: 'string', value: (_, c) => c.currencyCode },
  'customer.time_zone': { resource: 'customer', kind: 'attribute', wire: 'string', value: (_, c) => c.timeZone },
  'campaign.resource_name': { resource: 'campaign', kind: 'attribute', wire: 'string', value: (f, c) => `customers/${c.id}/campaigns/${f.campaignId}` },
  'campaign.id': { resource: 'campaign', kind: 'attribute', wire: 'int64', value: (f) => f.campaignId },
  'campaign.name': { resource: 'campaign', kind: 'attribute', wire: 'string', value: (f) => f.campaignName },
  'campaign.status': { resource: 'campaign', kind: 'attribute', wire: 'enum', value: (f) => f.campaignStatus },
  'segments.date': { resource: 'segments', kind: 'segment', wire: 'string', value: (f) => f.date },
  'metrics.impressions': { resource: 'metrics', kind: 'metric', wire: 'int64', value: (f) => f.impressions },
  'metrics.clicks': { resource: 'metrics', kind: 'metric', wire: 'int64', value: (f) => f.clicks },
  'metrics.cost_micros': { resource: 'metrics', kind: 'metric', wire: 'int64', value: (f) => f.costMicros },
  'metrics.conversions': { resource: 'metrics', kind: 'metric', wire: 'double', value: (f) => f.conversions },
  'metrics.conversions_value': { resource: 'metrics', kind: 'metric', wire: 'double', value: (f) => f.conversionsValue },
};

/** Resources the sandbox serves FROM, and the resources whose fields each may select. */
const selectableWith: Readonly<Record<string, ReadonlySet<string>>> = {
  campaign: new Set(['campaign', 'customer', 'segments', 'metrics']),
  customer: new Set(['customer', 'segments', 'metrics']),
};

/** Resources a real FROM accepts that the sandbox does not serve. */
const knownUnservedResources = new Set(['ad_group', 'ad_group_ad', 'keyword_view', 'search_term_view', 'campaign_budget', 'customer_client', 'geographic_view']);

interface ParsedQuery {
  fields: string[];
  resource: string;
  from: string;
  to: string;
  limit: number | undefined;
}

function parseQuery(text: string): ParsedQuery {
  const query = text.trim().replace(/\s+/g, ' ');
  if (!/^select\b/i.test(query)) throw queryError('EXPECTED_SELECT', 'SELECT is missing at the beginning of query.');
  const fromAt = query.search(/\sfrom\s/i);
  if (fromAt < 0) throw queryError('EXPECTED_FROM', 'Missing FROM clause.');
  const fields = query.slice('select'.length, fromAt).split(',').map((f) => f.trim());
  if (fields.some((f) => f === '')) throw queryError('UNEXPECTED_INPUT', 'Query has an unexpected extra part.');
  for (const field of fields) {
    if (!/^[a-z_]+(\.[a-z_]+)+$/.test(field)) throw queryError('BAD_FIELD_NAME', `Field name is invalid: '${field}'.`);
  }

  const rest = query.slice(fromAt + ' from '.length);
  const match = /^([a-z_]+)(?: where (.+?))?(?: limit (\S+))?$/i.exec(rest);
  if (!match) {
    if (/\border by\b/i.test(rest)) throw notImplemented('ORDER BY');
    if (/\bparameters\b/i.test(rest)) throw notImplemented('PARAMETERS');
    throw queryError('UNEXPECTED_INPUT', `Query has an unexpected extra part: '${rest}'.`);
  }
  const resource = match[1]!;
  if (!selectableWith[resource]) {
    if (knownUnservedResources.has(resource)) throw notImplemented(`FROM ${resource}`);
    throw queryError('BAD_RESOURCE_TYPE_IN_FROM_CLAUSE', `Invalid resource type was specified in the FROM clause: '${resource}'.`);
  }
  for (const field of fields) {
    const spec = fieldSpecs[field];
    if (!spec) throw queryError('UNRECOGNIZED_FIELD', `Unrecognized field in the query: '${field}'.`);
    if (!selectableWith[resource]!.has(spec.resource)) {
      throw queryError('PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE', `A field that comes from an incompatible resource was included in the SELECT clause: '${field}'.`);
    }
  }
  if (new Set(fields).size !== fields.length) throw queryError('QUERY_ERROR', 'Duplicate fields in the SELECT clause.');

  const where = match[2];
  if (where === undefined) throw queryError('EXPECTED_FILTERS_ON_DATE_RANGE', 'Missing filters on date related fields.');
  const range = /^segments\.date between (\S+) and (\S+)$/i.exec(where);
  if (!range) {
    if (/^segments\.date between /i.test(where) && !/ and /i.test(where)) throw queryError('EXPECTED_AND', 'Expected AND between values with BETWEEN operator.');
    throw notImplemented(`the WHERE clause "${where}"`);
  }
  const [from, to] = [range[1]!, range[2]!].map((literal) => {
    const value = /^'([^']*)'$/.exec(literal)?.[1] ?? /^"([^"]*)"$/.exec(literal)?.[1];
    if (value === undefined) throw queryError('INVALID_STRING_VALUE', `Value passed was not a string when it should have been: ${literal}.`);
    if (!isIsoDate(value)) throw queryError('INVALID_VALUE_WITH_BETWEEN_OPERATOR', `A String value passed to the BETWEEN operator does not parse as a date: '${value}'.`);
    return value;
  }) as [string, string];
  if (from > to) throw queryError('DATE_RANGE_TOO_NARROW', 'Filters on date/week/month/quarter have a start date after end date.');

  let limit: number | undefined;
  if (match[3] !== undefined) {
    if (!/^\d+$/.test(match[3])) throw queryError('BAD_LIMIT_VALUE', `Limit value is invalid: '${match[3]}'.`);
    limit = Number(match[3]);
    if (limit < 1) throw queryError('LIMIT_VALUE_TOO_LOW', 'The value passed to the limit clause is too low.');
  }
  return { fields, resource, from, to, limit };
}

// ---------------------------------------------------------------------------------------------------
// Rows

function camel(snake: string): string {
  return snake.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/** The selected fields as result rows: grouped by the non-metric fields, metrics summed. */
function buildRows(query: ParsedQuery, customer: SandboxCustomer, facts: readonly CampaignDayFact[]): Record<string, Record<string, unknown>>[] {
  const dimensions = query.fields.filter((f) => fieldSpecs[f]!.kind !== 'metric');
  const metrics = query.fields.filter((f) => fieldSpecs[f]!.kind === 'metric');
  // FROM customer (or no campaign field) aggregates the campaigns; segments.date keeps days apart.
  const groups = new Map<string, { fact: CampaignDayFact; sums: number[] }>();
  for (const fact of facts) {
    const key = JSON.stringify(dimensions.map((f) => fieldSpecs[f]!.value(fact, customer)));
    const group = groups.get(key);
    if (group) metrics.forEach((f, i) => (group.sums[i]! += Number(fieldSpecs[f]!.value(fact, customer))));
    else groups.set(key, { fact, sums: metrics.map((f) => Number(fieldSpecs[f]!.value(fact, customer))) });
  }
  const rows: Record<string, Record<string, unknown>>[] = [];
  for (const { fact, sums } of groups.values()) {
    const row: Record<string, Record<string, unknown>> = {};
    const put = (field: string, value: string | number) => {
      const [resource, ...rest] = field.split('.');
      const key = camel(resource!);
      (row[key] ??= {})[camel(rest.join('.'))] = value;
    };
    // Every selected resource comes back with its resource name, selected or not.
    for (const resource of new Set(query.fields.map((f) => fieldSpecs[f]!.resource))) {
      if (resource === 'customer' || resource === 'campaign') put(`${resource}.resource_name`, fieldSpecs[`${resource}.resource_name`]!.value(fact, customer));
    }
    for (const field of dimensions) {
      const spec = fieldSpecs[field]!;
      const value = spec.value(fact, customer);
      put(field, spec.wire === 'int64' ? String(value) : value);
    }
    metrics.forEach((field, i) => put(field, fieldSpecs[field]!.wire === 'int64' ? String(sums[i]) : sums[i]!));
    rows.push(row);
  }
  return rows;
}

function newRequestId(): string {
  return randomBytes(16).toString('base64url').slice(0, 22);
}

// ---------------------------------------------------------------------------------------------------
// Server

export async function startGoogleAdsSandbox(options: GoogleAdsSandboxOptions = {}): Promise<RunningGoogleAdsSandbox> {
  const customers = options.customers ?? sandboxCustomers;
  const timeZone = customers[0]?.timeZone ?? 'Asia/Seoul';
  const anchorDate = options.anchorDate ?? todayIn(timeZone);
  if (!isIsoDate(anchorDate)) throw new Error(`Google Ads sandbox: anchorDate must be YYYY-MM-DD, got "${anchorDate}"`);
  const historyDays = options.historyDays ?? 400;
  if (!Number.isInteger(historyDays) || historyDays < 1) throw new Error(`Google Ads sandbox: historyDays must be a positive integer, got ${historyDays}`);
  const rowsPerBatch = options.rowsPerBatch ?? defaultRowsPerBatch;
  if (!Number.isInteger(rowsPerBatch) || rowsPerBatch < 1) throw new Error(`Google Ads sandbox: rowsPerBatch must be a positive integer, got ${rowsPerBatch}`);
  const throttleEvery = options.throttle?.everyNthRequest;
  if (throttleEvery !== undefined && (!Number.isInteger(throttleEvery) || throttleEvery < 1)) {
    throw new Error(`Google Ads sandbox: throttle.everyNthRequest must be a positive integer, got ${throttleEvery}`);
  }
  const retryDelaySeconds = options.throttle?.retryDelaySeconds ?? 1;
  const seed: SeedOptions = { seed: options.seed ?? 42, anchorDate };
  const accessToken = options.accessToken ?? randomBytes(24).toString('hex');
  const managerCustomerId = options.managerCustomerId ?? sandboxManagerCustomerId;
  const firstDate = addDays(anchorDate, 1 - historyDays);
  const log: SandboxRequest[] = [];
  const oddities = new OddityLog();
  let authenticated = 0;
  let operationsDay = '';
  let operations = 0;

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = (request.url ?? '/').split('?')[0]!.replace(/%3A/gi, ':');
    const seen: { -readonly [K in keyof SandboxRequest]: SandboxRequest[K] } = { method: request.method ?? '', path, status: 200 };
    const header = (name: string): string | undefined => {
      const value = request.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    if (header('developer-token') !== undefined) seen.developerToken = header('developer-token')!;
    if (header('login-customer-id') !== undefined) seen.loginCustomerId = header('login-customer-id')!;
    if (header('content-type') !== undefined) seen.contentType = header('content-type')!;
    log.push(seen);
    let apiVersion = 'v26';
    try {
      const route = /^\/(v\d+)\/customers\/([^/:]+)\/googleAds:searchStream$/.exec(path);
      if (request.method !== 'POST' || !route) {
        throw new ApiError(404, 'NOT_FOUND', `The Google Ads sandbox has no method ${request.method ?? ''} ${path}; it serves POST /v{N}/customers/{customerId}/googleAds:searchStream.`, [], false);
      }
      if (!(GOOGLE_ADS_SANDBOX_API_VERSIONS as readonly string[]).includes(route[1]!)) {
        throw new ApiError(404, 'NOT_FOUND', `Google Ads API ${route[1]} is not available; the sandbox serves ${GOOGLE_ADS_SANDBOX_API_VERSIONS.join(', ')}.`, [], false);
      }
      apiVersion = route[1]!;
      const customerId = decodeURIComponent(route[2]!);
      seen.customerId = customerId;

      const authorization = header('authorization');
      if (!authorization) {
        throw new ApiError(401, 'UNAUTHENTICATED', 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.', [
          { errorCode: { authenticationError: 'OAUTH_TOKEN_HEADER_INVALID' }, message: 'OAuth token HTTP header is malformed.' },
        ]);
      }
      if (authorization !== `Bearer ${accessToken}`) {
        throw new ApiError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.', [
          { errorCode: { authenticationError: 'OAUTH_TOKEN_INVALID' }, message: 'OAuth token in the header is not valid.' },
        ]);
      }
      authenticated += 1;

      if (!/^\d{10}$/.test(customerId)) {
        throw invalidArgument({ requestError: 'INVALID_CUSTOMER_ID' }, `Customer ID '${customerId}' is invalid: write its 10 digits without dashes.`);
      }
      const loginCustomerId = header('login-customer-id');
      if (loginCustomerId !== undefined && !/^\d{10}$/.test(loginCustomerId)) {
        throw invalidArgument({ authenticationError: 'CLIENT_CUSTOMER_ID_INVALID' }, `The login-customer-id header '${loginCustomerId}' is not a 10-digit customer ID.`);
      }
      const customer = customers.find((c) => c.id === customerId);
      if (!customer) throw userPermissionDenied();
      if (loginCustomerId !== undefined && loginCustomerId !== managerCustomerId && loginCustomerId !== customerId) throw userPermissionDenied();
      if (options.cloudProjectAccess === 'test_accounts') {
        throw Number(apiVersion.slice(1)) >= 25
          ? permissionDenied({ authorizationError: 'CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION' }, 'The Google Cloud project is only approved for use with test accounts. To access non-test accounts, apply for Explorer, Basic or Standard access.')
          : permissionDenied({ authorizationError: 'ACTION_NOT_PERMITTED' }, 'The user does not have permission to perform this action on the resource or call a method.');
      }

      if (throttleEvery !== undefined && authenticated % throttleEvery === 0) {
        throw new ApiError(429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).', [{
          errorCode: { quotaError: 'RESOURCE_TEMPORARILY_EXHAUSTED' },
          message: `Too many requests in a short amount of time. Retry in ${retryDelaySeconds} seconds.`,
          details: { quotaErrorDetails: { rateScope: 'ACCOUNT', rateName: 'Requests per account', retryDelay: formatDuration(retryDelaySeconds) } },
        }]);
      }
      const today = todayIn('America/Los_Angeles');
      if (today !== operationsDay) {
        operationsDay = today;
        operations = 0;
      }
      if (options.dailyOperations !== undefined && operations >= options.dailyOperations) {
        throw new ApiError(429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).', [{
          errorCode: { quotaError: 'RESOURCE_EXHAUSTED' },
          message: 'Too many requests: the daily operations for this Google Cloud project\'s access level are used up.',
          details: { quotaErrorDetails: { rateScope: 'DEVELOPER', rateName: 'Number of operations for explorer access' } },
        }]);
      }
      operations += 1;

      const query = parseBody(await readBody(request));
      seen.query = query;
      const parsed = parseQuery(query);
      const facts: CampaignDayFact[] = [];
      const from = maxDate(parsed.from, firstDate);
      const to = minDate(parsed.to, anchorDate);
      if (from <= to) for (const day of eachDay(from, to)) facts.push(...customerFactsFor(customer, day, seed));
      let rows = buildRows(parsed, customer, facts);
      if (parsed.limit !== undefined) rows = rows.slice(0, parsed.limit);
      sendJson(response, 200, toBatches(withOddities(rows, options.oddValues ?? 0, oddities), parsed, rowsPerBatch, facts.length));
    } catch (error) {
      const apiError = error instanceof ApiError ? error : new ApiError(500, 'INTERNAL', `Internal error encountered. ${String(error)}`);
      seen.status = apiError.code;
      const status = {
        error: {
          code: apiError.code,
          message: apiError.message,
          status: apiError.status,
          ...(apiError.errors.length > 0
            ? {
                details: [{
                  '@type': `type.googleapis.com/google.ads.googleads.${apiVersion}.errors.GoogleAdsFailure`,
                  errors: apiError.errors,
                  requestId: newRequestId(),
                }],
              }
            : {}),
        },
      };
      sendJson(response, apiError.code, apiError.inStream ? [status] : status);
    }
  };

  const server = await listenOnLoopback(handle, options.port ?? 0, options.faults);
  return {
    url: server.url,
    accessToken,
    anchorDate,
    customerIds: customers.map((c) => c.id),
    managerCustomerId,
    requestCount: () => log.length,
    oddRowsServed: () => oddities.served(GOOGLE_ADS_SANDBOX_ODDITIES),
    requests: () => [...log],
    stop: () => server.stop(),
  };
}

function parseBody(text: string): string {
  let body: unknown;
  try {
    body = text.trim() === '' ? {} : JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, 'INVALID_ARGUMENT', `Invalid JSON payload received. ${error instanceof Error ? error.message : 'Unexpected token.'}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received. Expected an object (SearchGoogleAdsStreamRequest).');
  }
  const record = body as Record<string, unknown>;
  for (const field of Object.keys(record)) {
    if (!['query', 'summaryRowSetting', 'customerId'].includes(field)) {
      throw new ApiError(400, 'INVALID_ARGUMENT', `Invalid JSON payload received. Unknown name "${field}": Cannot find field.`);
    }
  }
  if (record.summaryRowSetting !== undefined && record.summaryRowSetting !== 'NO_SUMMARY_ROW') throw notImplemented('summary rows');
  if (typeof record.query !== 'string' || record.query.trim() === '') {
    throw invalidArgument({ requestError: 'REQUIRED_FIELD_MISSING' }, 'Required field was not specified: query.');
  }
  return record.query;
}

/** A protobuf Duration in JSON: 1 → "1s", 0.5 → "0.500s". */
function formatDuration(seconds: number): string {
  return Number.isInteger(seconds) ? `${seconds}s` : `${seconds.toFixed(3)}s`;
}

type WireRow = Record<string, Record<string, unknown> | undefined>;

/** What `oddValues` does to a wire row, and whether the pipeline should coerce it or reject it. */
export const GOOGLE_ADS_SANDBOX_ODDITIES: ReadonlyArray<Oddity<WireRow>> = [
  { name: 'segments.date as YYYYMMDD', rejected: true, apply: (row) => (row.segments!.date = String(row.segments!.date).replaceAll('-', '')) },
  { name: 'an int64 as a JSON number', rejected: false, apply: (row) => (row.metrics!.clicks = Number(row.metrics!.clicks ?? 0)) },
  { name: 'a double as a numeric string', rejected: false, apply: (row) => (row.metrics!.conversions = String(row.metrics!.conversions ?? 0)) },
  { name: 'an int64 with a fraction', rejected: true, apply: (row) => (row.metrics!.impressions = '12.5') },
  { name: 'Korean and emoji in a name', rejected: false, apply: (row) => (row.campaign!.name = `${String(row.campaign!.name)} 🎉 한글 캠페인`) },
  { name: 'a field the API does not document', rejected: false, apply: (row) => (row.adGroupFuture = { since: 'v23' }) },
];

function withOddities(rows: readonly Record<string, unknown>[], every: number, served: OddityLog): readonly Record<string, unknown>[] {
  if (every <= 0) return rows;
  return rows.map((row) => {
    const wire = row as WireRow;
    const oddity = oddityFor(JSON.stringify([wire.customer?.id, wire.campaign?.id, wire.segments?.date]), every, GOOGLE_ADS_SANDBOX_ODDITIES);
    if (!oddity) return row;
    const copy = structuredClone(row) as WireRow;
    oddity.apply(copy);
    served.record(oddity);
    return copy;
  });
}

function toBatches(rows: readonly Record<string, unknown>[], query: ParsedQuery, rowsPerBatch: number, scanned: number): Record<string, unknown>[] {
  const fieldMask = query.fields.map((f) => f.split('.').map(camel).join('.')).join(',');
  const requestId = newRequestId();
  const batches: Record<string, unknown>[] = [];
  for (let start = 0; start < rows.length; start += rowsPerBatch) {
    batches.push({ results: rows.slice(start, start + rowsPerBatch), fieldMask, requestId });
  }
  if (batches.length === 0) batches.push({ fieldMask, requestId });
  batches[batches.length - 1]!.queryResourceConsumption = String(1 + Math.ceil(scanned / 100));
  return batches;
}
