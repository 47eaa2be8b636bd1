/**
 * LinkedIn Marketing API sandbox: a local HTTP server (127.0.0.1 only) answering the calls the
 * LinkedIn connector makes, over seeded synthetic data (./seed-data.ts), so the connector, its tests
 * and the local demo run with no LinkedIn app or ad account.
 *
 * Wire facts it follows (learn.microsoft.com/linkedin: Reporting / ads-reporting, Versioning,
 * Protocol Version, Cursor Based Pagination, Programmatic Refresh Tokens, Error Handling; error bodies
 * as public LinkedIn client fixtures record them):
 * - Versioned REST under `/rest/`: `LinkedIn-Version: YYYYMM` is required (missing → 400
 *   VERSION_MISSING; a version not served → 426 NONEXISTENT_VERSION); `X-Restli-Protocol-Version:
 *   2.0.0` selects Rest.li 2.0 query syntax, without which `List(…)` is not understood.
 * - Rest.li 2.0 query syntax: `dateRange=(start:(year:2026,month:1,day:1),end:(…))`,
 *   `accounts=List(urn%3Ali%3AsponsoredAccount%3A123)` — `( ) , :` are syntax, so inside values they
 *   must be percent-encoded; a raw `urn:li:…` in a List is malformed and answered 400 "Invalid query
 *   parameters passed to request".
 * - `GET /rest/adAnalytics?q=analytics&pivot=CAMPAIGN&timeGranularity=DAILY&dateRange=…&accounts=…&fields=…`:
 *   no pagination; by default only impressions and clicks come back, everything else (pivotValues,
 *   dateRange, costInLocalCurrency …) must be asked for in `fields`, at most 20 metrics; money as
 *   BigDecimal strings, counts as numbers; days without activity have no element; an account the
 *   token cannot read yields an empty answer, not an error; dates are UTC days. At most 15,000
 *   elements come back and the rest are dropped without an error (a widely reported limit).
 * - Search finders `GET /rest/adAccounts/{id}/adCampaigns?q=search` and `…/adCampaignGroups?q=search`:
 *   cursor paging since 202401 — `pageSize` (default 100, at most 1,000) and `pageToken`, the next
 *   token in `metadata.nextPageToken`, absent on the last page. Campaigns carry `campaignGroup` as a
 *   `urn:li:sponsoredCampaignGroup:…`. Every account has a "Default Campaign Group".
 * - `GET /rest/adAccounts/{id}` → `{ id, name, currency, status, type, … }`.
 * - `POST /oauth/v2/accessToken` (www.linkedin.com in real life), form-encoded
 *   grant_type=refresh_token&refresh_token&client_id&client_secret → `{ access_token, expires_in
 *   (60 days), refresh_token, refresh_token_expires_in }`; errors `{ error, error_description }`.
 * - Errors `{ status, serviceErrorCode?, code?, message }`: 401 INVALID_ACCESS_TOKEN (65600),
 *   REVOKED_ACCESS_TOKEN (65601), EXPIRED_ACCESS_TOKEN (65602); the empty-token body from LinkedIn's
 *   error-handling page; 403 ACCESS_DENIED (100) "Not enough permissions to access: …"; 429
 *   TOO_MANY_REQUESTS (101) "Resource level throttle APPLICATION DAY limit …", with no Retry-After:
 *   LinkedIn sends none and publishes no rate-limit headers (the `retryAfterSeconds` option adds one
 *   only so tests can check that a hint is honoured).
 * Not verified, chosen to look like LinkedIn: the burst-throttle message ("Too Many Requests"), the
 * `errorDetails.inputErrors` shape of field-validation 400s, and the 404 body.
 * Not implemented (answered 400 so the connector never gets silently wrong numbers): other finders
 * and pivots, MONTHLY/ALL granularity, campaign/creative facets, search filters, other metrics.
 * Test-only, not LinkedIn's behaviour: `oddValues` gives some adAnalytics elements odd values
 * (`LINKEDIN_SANDBOX_ODDITIES`: numbers as text, nulls, left-out metrics, dates and URNs of the
 * wrong form, undocumented fields, Korean and emoji text) to check what the connector coerces and rejects.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { addDays, eachDay, isIsoDate, maxDate, minDate, todayIn } from '../../../core/dates.ts';
import type { FaultPlan } from '../../sandbox-kit/faults.ts';
import { listenOnLoopback, readBody, sendJson } from '../../sandbox-kit/http.ts';
import { oddityFor, OddityLog, type Oddity } from '../../sandbox-kit/oddities.ts';
import {
  campaignFactsFor, compareIds, defaultLinkedinSandboxAccount,
  type LinkedinCampaignDayFact, type LinkedinSandboxAccount, type LinkedinSeedOptions,
} from './seed-data.ts';

export interface LinkedinSandboxOptions {
  /** 0 (default) = any free port. The host is always 127.0.0.1. */
  port?: number;
  /** HTTP-level faults (429s, 5xx, resets, cut bodies…), see sandbox-kit/faults.ts. */
  faults?: FaultPlan;
  /** Seed for the synthetic data; default 42. */
  seed?: number;
  /** The sandbox's "today" (YYYY-MM-DD, UTC); default today in UTC. */
  anchorDate?: string;
  /** Facts exist for [anchorDate − historyDays + 1, anchorDate]; default 400. */
  historyDays?: number;
  /** The bearer token accepted from the start; default a random hex token. */
  accessToken?: string;
  /** The ad accounts served; default the shop's one USD account. */
  accounts?: readonly LinkedinSandboxAccount[];
  /** The OAuth app and refresh token the token endpoint accepts; default random values. */
  oauthClient?: { clientId: string; clientSecret: string; refreshToken: string };
  /** Tokens that were valid once: answered 401 EXPIRED_ACCESS_TOKEN. */
  expiredAccessTokens?: readonly string[];
  /** Every Nth API request (token endpoint excluded) is answered 429; `retryAfterSeconds` adds a Retry-After LinkedIn itself never sends. */
  throttle?: { everyNthRequest: number; retryAfterSeconds?: number };
  /** After this many API requests, every request is answered 429 with LinkedIn's APPLICATION DAY message. */
  dailyRequestLimit?: number;
  /** Elements adAnalytics returns at most, dropping the rest silently; default 15,000. */
  maxAnalyticsElements?: number;
  /**
   * About one adAnalytics element in n (chosen by its account, campaign and day, so the same elements
   * on every read, whatever the range or chunking) carries one of `LINKEDIN_SANDBOX_ODDITIES`: values
   * the connector must coerce or set aside. Default 0: none.
   */
  oddValues?: number;
}

/** An adAnalytics element as the sandbox writes it, before `oddValues` changes it. */
type WireElement = Record<string, unknown> & {
  pivotValues: unknown[];
  dateRange: { start: unknown; end?: unknown };
};

/** What `oddValues` does to an element, and whether the pipeline should coerce it (false) or reject it (true). */
export const LINKEDIN_SANDBOX_ODDITIES: ReadonlyArray<Oddity<WireElement>> = [
  { name: 'a count as a string of digits', rejected: false, apply: (e) => (e.impressions = String(e.impressions)) },
  { name: 'money as a JSON number, not a BigDecimal string', rejected: false, apply: (e) => (e.costInLocalCurrency = Number(e.costInLocalCurrency)) },
  { name: 'a metric left out', rejected: false, apply: (e) => delete e.externalWebsiteConversions },
  { name: 'a metric that is null', rejected: false, apply: (e) => (e.conversionValueInLocalCurrency = null) },
  { name: 'money as Korean and emoji text', rejected: true, apply: (e) => (e.costInLocalCurrency = `${String(e.costInLocalCurrency)} 달러 💸`) },
  { name: 'dateRange.start as an ISO string', rejected: true, apply: (e) => (e.dateRange = { start: isoOf(e.dateRange.start), end: isoOf(e.dateRange.start) }) },
  { name: 'a pivot value URN of another type', rejected: true, apply: (e) => (e.pivotValues = [String(e.pivotValues[0]).replace('sponsoredCampaign:', 'sponsoredCreative:')]) },
  { name: 'a campaign id as a number, not a URN', rejected: true, apply: (e) => (e.pivotValues = [Number(String(e.pivotValues[0]).split(':').at(-1))]) },
  {
    name: 'fields the API does not document, with Korean, emoji and a long text', rejected: false,
    apply: (e) => Object.assign(e, { approximateMemberReach: 1234, note: `캠페인 메모 🎉 ${'가나다라 '.repeat(5_000)}`, newMetricV2: { value: '1' } }),
  },
];

/** The oddity the sandbox gives a campaign-day's element under `oddValues: every`, if any (for tests to know what to expect). */
export function linkedinSandboxOddity(fact: Pick<LinkedinCampaignDayFact, 'accountId' | 'campaignId' | 'date'>, every: number): Oddity<WireElement> | undefined {
  return oddityFor(`${fact.accountId}|${fact.campaignId}|${fact.date}`, every, LINKEDIN_SANDBOX_ODDITIES);
}

function isoOf(date: unknown): string {
  const { year, month, day } = date as { year: number; month: number; day: number };
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

export interface LinkedinSandboxRequest {
  readonly method: string;
  /** Path without the query, e.g. `/rest/adAnalytics`. */
  readonly path: string;
  /** The raw query string, exactly as received. */
  readonly query: string;
  readonly status: number;
}

export interface RunningLinkedinSandbox {
  /** `http://127.0.0.1:PORT/`: the connector's `endpoint`. */
  readonly url: string;
  /** `http://127.0.0.1:PORT/oauth/v2/accessToken`: the connector's `tokenUrl`. */
  readonly tokenUrl: string;
  readonly accessToken: string;
  readonly oauthClient: { readonly clientId: string; readonly clientSecret: string; readonly refreshToken: string };
  readonly anchorDate: string;
  readonly accounts: readonly LinkedinSandboxAccount[];
  /** HTTP requests received so far, whatever their outcome (token endpoint included). */
  requestCount(): number;
  /** Every request so far, in order. */
  requests(): readonly LinkedinSandboxRequest[];
  /** The odd elements served so far (`oddValues`), by oddity, and how many of them must be rejected. */
  oddRowsServed(): ReturnType<OddityLog['served']>;
  /** Stops listening and closes every connection, keep-alive ones included. */
  stop(): Promise<void>;
}

export const LINKEDIN_SANDBOX_MAX_ELEMENTS = 15_000;
const maxMetricsPerRequest = 20;
const maxPageSize = 1000;
const defaultPageSize = 100;
const sixtyDaysSeconds = 60 * 86_400;

/** The metrics this sandbox serves (all real adAnalytics fields). */
const analyticsFields = new Set([
  'dateRange', 'pivotValues', 'impressions', 'clicks', 'costInLocalCurrency', 'externalWebsiteConversions', 'conversionValueInLocalCurrency',
]);
const nonMetricFields = new Set(['dateRange', 'pivotValues']);
const realPivots = new Set([
  'COMPANY', 'ACCOUNT', 'SHARE', 'CAMPAIGN', 'CREATIVE', 'CAMPAIGN_GROUP', 'CONVERSION', 'CONVERSATION_NODE',
  'CONVERSATION_NODE_OPTION_INDEX', 'SERVING_LOCATION', 'CARD_INDEX', 'MEMBER_COMPANY_SIZE', 'MEMBER_INDUSTRY',
  'MEMBER_SENIORITY', 'MEMBER_JOB_TITLE', 'MEMBER_JOB_FUNCTION', 'MEMBER_COUNTRY_V2', 'MEMBER_REGION_V2', 'MEMBER_COMPANY',
  'PLACEMENT_NAME', 'IMPRESSION_DEVICE_TYPE',
]);
const analyticsFacets = new Set(['accounts', 'campaigns', 'campaignGroups', 'creatives', 'shares', 'companies']);
const analyticsParams = new Set(['q', 'pivot', 'timeGranularity', 'dateRange', 'fields', 'campaignType', 'objectiveType', 'sortBy', ...analyticsFacets]);

class ApiError extends Error {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Record<string, string>;
  constructor(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) {
    super(String(body.message ?? body.error_description ?? status));
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

const malformedQuery = (): ApiError => new ApiError(400, { status: 400, code: 'ILLEGAL_ARGUMENT', message: 'Invalid query parameters passed to request' });

function invalidField(fieldPath: string, description: string, code = 'INVALID_VALUE_FOR_FIELD'): ApiError {
  return new ApiError(400, {
    errorDetailType: 'com.linkedin.common.error.BadRequest',
    message: 'Multiple errors occurred during the input validation. Please see errorDetails for more information.',
    errorDetails: { inputErrors: [{ description, input: { inputPath: { fieldPath } }, code }] },
    status: 400,
  });
}

export async function startLinkedinSandbox(options: LinkedinSandboxOptions = {}): Promise<RunningLinkedinSandbox> {
  const anchorDate = options.anchorDate ?? todayIn('UTC');
  if (!isIsoDate(anchorDate)) throw new Error(`LinkedIn sandbox: anchorDate must be YYYY-MM-DD, got "${anchorDate}"`);
  const historyDays = options.historyDays ?? 400;
  if (!Number.isInteger(historyDays) || historyDays < 1) throw new Error(`LinkedIn sandbox: historyDays must be a positive integer, got ${historyDays}`);
  const throttleEvery = options.throttle?.everyNthRequest;
  if (throttleEvery !== undefined && (!Number.isInteger(throttleEvery) || throttleEvery < 2)) {
    throw new Error(`LinkedIn sandbox: throttle.everyNthRequest must be an integer ≥ 2 (so a retry can succeed), got ${throttleEvery}`);
  }
  if (options.oddValues !== undefined && (!Number.isInteger(options.oddValues) || options.oddValues < 0)) {
    throw new Error(`LinkedIn sandbox: oddValues must be a non-negative integer, got ${options.oddValues}`);
  }
  const seed: LinkedinSeedOptions = { seed: options.seed ?? 42, anchorDate };
  const accounts = options.accounts ?? [defaultLinkedinSandboxAccount()];
  const accessToken = options.accessToken ?? randomBytes(24).toString('hex');
  const oauthClient = options.oauthClient ?? {
    clientId: randomBytes(7).toString('hex'), clientSecret: randomBytes(12).toString('hex'), refreshToken: randomBytes(32).toString('hex'),
  };
  const validTokens = new Set([accessToken]);
  const expiredTokens = new Set(options.expiredAccessTokens ?? []);
  const maxElements = options.maxAnalyticsElements ?? LINKEDIN_SANDBOX_MAX_ELEMENTS;
  const firstDate = addDays(anchorDate, 1 - historyDays);
  const log: LinkedinSandboxRequest[] = [];
  const oddities = new OddityLog();
  let apiRequests = 0;

  const handleApi = (request: IncomingMessage, path: string, query: string): { status: number; body: unknown; headers?: Record<string, string> } => {
    apiRequests += 1;
    const version = headerValue(request, 'linkedin-version');
    if (version === undefined) {
      throw new ApiError(400, { status: 400, code: 'VERSION_MISSING', message: 'A version must be present. Please specify a version by adding the LinkedIn-Version header.' });
    }
    if (!isActiveVersion(version, anchorDate)) {
      throw new ApiError(426, { status: 426, code: 'NONEXISTENT_VERSION', message: `Requested version ${version} is not active` });
    }
    authenticate(request.headers.authorization, validTokens, expiredTokens);
    if (options.dailyRequestLimit !== undefined && apiRequests > options.dailyRequestLimit) {
      throw new ApiError(429, { status: 429, serviceErrorCode: 101, code: 'TOO_MANY_REQUESTS', message: 'Resource level throttle APPLICATION DAY limit for calls to this resource is reached.' });
    }
    if (throttleEvery !== undefined && apiRequests % throttleEvery === 0) {
      const retryAfter = options.throttle?.retryAfterSeconds;
      throw new ApiError(429, { status: 429, code: 'TOO_MANY_REQUESTS', message: 'Too Many Requests' }, retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) });
    }
    if (request.method !== 'GET') throw new ApiError(405, { status: 405, message: `Method ${request.method ?? ''} is not supported by the LinkedIn sandbox on ${path}` });

    const params = parseQueryString(query);
    if (path === '/rest/adAnalytics') {
      if (headerValue(request, 'x-restli-protocol-version') !== '2.0.0') throw malformedQuery();
      return { status: 200, body: analytics(params, accounts, seed, firstDate, maxElements, options.oddValues ?? 0, oddities) };
    }
    const route = /^\/rest\/adAccounts\/([^/]+)(?:\/(adCampaigns|adCampaignGroups))?$/.exec(path);
    if (route) {
      const account = findAccount(accounts, route[1]!, route[2] === undefined ? 'adAccounts.GET' : `${route[2]}.FINDER-search`, version);
      if (route[2] === undefined) {
        if (params.size > 0) throw malformedQuery();
        return { status: 200, body: accountBody(account) };
      }
      const entities = route[2] === 'adCampaigns'
        ? account.campaignGroups.flatMap((group) => group.campaigns.map((campaign) => campaignBody(account, group.id, campaign, anchorDate)))
        : account.campaignGroups.map((group) => groupBody(account, group, anchorDate));
      return { status: 200, body: searchPage(params, entities.sort((a, b) => compareIds(String(a.id), String(b.id)))) };
    }
    throw new ApiError(404, { status: 404, message: 'No virtual resource found' });
  };

  const handleToken = async (request: IncomingMessage): Promise<{ status: number; body: unknown }> => {
    if (request.method !== 'POST') throw new ApiError(405, { error: 'invalid_request', error_description: 'The token endpoint only accepts POST' });
    const form = new URLSearchParams(await readBody(request, 100_000));
    const grantType = form.get('grant_type');
    for (const name of ['grant_type', 'client_id', 'client_secret']) {
      if (!form.get(name)) throw new ApiError(400, { error: 'invalid_request', error_description: `A required parameter "${name}" is missing` });
    }
    if (grantType !== 'refresh_token') {
      throw new ApiError(400, { error: 'unsupported_grant_type', error_description: `The LinkedIn sandbox implements grant_type=refresh_token only, not "${grantType ?? ''}"` });
    }
    if (form.get('client_id') !== oauthClient.clientId || form.get('client_secret') !== oauthClient.clientSecret) {
      throw new ApiError(401, { error: 'invalid_client', error_description: 'Client authentication failed' });
    }
    if (!form.get('refresh_token')) throw new ApiError(400, { error: 'invalid_request', error_description: 'A required parameter "refresh_token" is missing' });
    if (form.get('refresh_token') !== oauthClient.refreshToken) {
      throw new ApiError(400, { error: 'invalid_grant', error_description: 'The provided authorization grant or refresh token is invalid, expired or revoked' });
    }
    const issued = randomBytes(24).toString('hex');
    validTokens.add(issued);
    return {
      status: 200,
      body: { access_token: issued, expires_in: sixtyDaysSeconds, refresh_token: oauthClient.refreshToken, refresh_token_expires_in: 300 * 86_400 },
    };
  };

  const server = await listenOnLoopback(async (request: IncomingMessage, response: ServerResponse) => {
    const rawUrl = request.url ?? '/';
    const queryAt = rawUrl.indexOf('?');
    const path = queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt);
    const query = queryAt < 0 ? '' : rawUrl.slice(queryAt + 1);
    let status: number;
    try {
      const result = path === '/oauth/v2/accessToken' ? await handleToken(request) : handleApi(request, path, query);
      status = result.status;
      sendJson(response, status, result.body, { 'X-RestLi-Protocol-Version': '2.0.0' });
    } catch (error) {
      const apiError = error instanceof ApiError ? error : new ApiError(500, { status: 500, message: `Internal Server Error: ${String(error)}` });
      status = apiError.status;
      sendJson(response, status, apiError.body, apiError.headers);
    }
    log.push({ method: request.method ?? '', path, query, status });
  }, options.port ?? 0, options.faults);

  return {
    url: server.url,
    tokenUrl: `${server.url}oauth/v2/accessToken`,
    accessToken,
    oauthClient,
    anchorDate,
    accounts,
    requestCount: () => log.length,
    requests: () => [...log],
    oddRowsServed: () => oddities.served(LINKEDIN_SANDBOX_ODDITIES),
    stop: () => server.stop(),
  };
}

// ---------------------------------------------------------------------------------------------------
// Auth and versions

function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function authenticate(header: string | undefined, valid: ReadonlySet<string>, expired: ReadonlySet<string>): void {
  const token = /^Bearer (\S+)$/.exec(header ?? '')?.[1];
  if (token === undefined) throw new ApiError(401, { message: 'Empty oauth2_access_token', serviceErrorCode: 401, status: 401 });
  if (expired.has(token)) {
    throw new ApiError(401, { status: 401, serviceErrorCode: 65602, code: 'EXPIRED_ACCESS_TOKEN', message: 'The token used in the request has expired' });
  }
  if (!valid.has(token)) throw new ApiError(401, { status: 401, serviceErrorCode: 65600, code: 'INVALID_ACCESS_TOKEN', message: 'Invalid access token' });
}

/** Versions from 12 months before the anchor's month up to the current month are served. */
function isActiveVersion(version: string, anchorDate: string): boolean {
  const match = /^(20\d{2})(0[1-9]|1[0-2])$/.exec(version);
  if (!match) return false;
  const months = (date: string) => Number(date.slice(0, 4)) * 12 + Number(date.slice(5, 7)) - 1;
  const value = Number(match[1]) * 12 + Number(match[2]) - 1;
  return value >= months(anchorDate) - 12 && value <= Math.max(months(anchorDate), months(todayIn('UTC')));
}

function findAccount(accounts: readonly LinkedinSandboxAccount[], rawId: string, resource: string, version: string): LinkedinSandboxAccount {
  if (!/^\d+$/.test(rawId)) throw invalidField('id', `Invalid ad account id "${decodeSafely(rawId)}"; expected the numeric id`);
  const account = accounts.find((a) => a.id === rawId);
  if (!account) {
    throw new ApiError(403, { status: 403, serviceErrorCode: 100, code: 'ACCESS_DENIED', message: `Not enough permissions to access: ${resource}.${version}01` });
  }
  return account;
}

// ---------------------------------------------------------------------------------------------------
// Rest.li 2.0 query parsing (the sandbox's own, independent of the connector's encoder)

type RestliValue = string | RestliValue[] | { [key: string]: RestliValue };

/** `name=value&…` with names decoded and values kept raw for the Rest.li parser. Repeated names are malformed. */
function parseQueryString(query: string): Map<string, string> {
  const params = new Map<string, string>();
  if (query === '') return params;
  for (const part of query.split('&')) {
    if (part === '') continue;
    const at = part.indexOf('=');
    const name = decodeOrMalformed(at < 0 ? part : part.slice(0, at));
    if (params.has(name)) throw malformedQuery();
    params.set(name, at < 0 ? '' : part.slice(at + 1));
  }
  return params;
}

function decodeOrMalformed(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw malformedQuery();
  }
}

function decodeSafely(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Parses one Rest.li 2.0 value: `(k:v,…)`, `List(a,…)` or an encoded leaf. Anything else is malformed. */
export function parseRestliValue(raw: string): RestliValue {
  let at = 0;
  const syntax = '(),:';
  const value = (): RestliValue => {
    if (raw.startsWith('List(', at)) {
      at += 5;
      const items: RestliValue[] = [];
      if (raw[at] === ')') {
        at += 1;
        return items;
      }
      for (;;) {
        items.push(value());
        const next = raw[at++];
        if (next === ')') return items;
        if (next !== ',') throw malformedQuery();
      }
    }
    if (raw[at] === '(') {
      at += 1;
      const record: Record<string, RestliValue> = {};
      if (raw[at] === ')') {
        at += 1;
        return record;
      }
      for (;;) {
        const key = leaf();
        if (key === '' || raw[at++] !== ':' || Object.hasOwn(record, key)) throw malformedQuery();
        record[key] = value();
        const next = raw[at++];
        if (next === ')') return record;
        if (next !== ',') throw malformedQuery();
      }
    }
    return leaf();
  };
  const leaf = (): string => {
    const start = at;
    while (at < raw.length && !syntax.includes(raw[at]!)) at += 1;
    return decodeOrMalformed(raw.slice(start, at));
  };
  const result = value();
  if (at !== raw.length) throw malformedQuery();
  return result;
}

function parseInteger(value: RestliValue | undefined, fieldPath: string): number {
  if (typeof value !== 'string' || !/^\d+$/.test(value)) throw invalidField(fieldPath, 'Invalid value for field; wrong type or other syntax error');
  return Number(value);
}

function parseDate(value: RestliValue | undefined, fieldPath: string): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidField(fieldPath, 'Invalid value for field; wrong type or other syntax error');
  for (const key of Object.keys(value)) {
    if (!['year', 'month', 'day'].includes(key)) throw invalidField(`${fieldPath}.${key}`, 'Unrecognized field');
  }
  const year = parseInteger(value.year, `${fieldPath}.year`);
  const month = parseInteger(value.month, `${fieldPath}.month`);
  const day = parseInteger(value.day, `${fieldPath}.day`);
  const iso = `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  if (!isIsoDate(iso)) throw invalidField(fieldPath, `${year}-${month}-${day} is not a valid date`);
  return iso;
}

// ---------------------------------------------------------------------------------------------------
// adAnalytics

interface AnalyticsRequest {
  from: string;
  to: string;
  accountIds: string[];
  fields: string[];
}

function parseAnalyticsRequest(params: ReadonlyMap<string, string>, anchorDate: string): AnalyticsRequest {
  for (const name of params.keys()) if (!analyticsParams.has(name)) throw malformedQuery();
  const q = params.get('q');
  if (q === undefined) throw new ApiError(400, { status: 400, message: 'Missing required parameter "q" for the FINDER method' });
  if (q !== 'analytics') {
    if (q === 'statistics' || q === 'attributedRevenueMetrics') throw invalidField('q', `The LinkedIn sandbox implements the analytics finder only, not ${q}`);
    throw new ApiError(400, { status: 400, message: `Unknown finder "${q}"` });
  }
  const pivot = params.get('pivot');
  if (pivot === undefined) throw invalidField('pivot', 'Required field pivot is missing', 'FIELD_VALUE_REQUIRED');
  if (!realPivots.has(pivot)) throw invalidField('pivot', `Invalid value "${pivot}" for enum Pivot`);
  if (pivot !== 'CAMPAIGN') throw invalidField('pivot', `The LinkedIn sandbox implements pivot CAMPAIGN only, not ${pivot}`);
  const granularity = params.get('timeGranularity');
  if (granularity === undefined) throw invalidField('timeGranularity', 'Required field timeGranularity is missing', 'FIELD_VALUE_REQUIRED');
  if (!['DAILY', 'MONTHLY', 'YEARLY', 'ALL'].includes(granularity)) throw invalidField('timeGranularity', `Invalid value "${granularity}" for enum TimeGranularity`);
  if (granularity !== 'DAILY') throw invalidField('timeGranularity', `The LinkedIn sandbox implements timeGranularity DAILY only, not ${granularity}`);

  const rawRange = params.get('dateRange');
  if (rawRange === undefined) throw invalidField('dateRange', 'Required field dateRange is missing', 'FIELD_VALUE_REQUIRED');
  const range = parseRestliValue(rawRange);
  if (typeof range !== 'object' || Array.isArray(range)) throw invalidField('dateRange', 'Invalid value for field; wrong type or other syntax error');
  for (const key of Object.keys(range)) if (key !== 'start' && key !== 'end') throw invalidField(`dateRange.${key}`, 'Unrecognized field');
  if (range.start === undefined) throw invalidField('dateRange.start', 'Required field dateRange.start is missing', 'FIELD_VALUE_REQUIRED');
  const from = parseDate(range.start, 'dateRange.start');
  const to = range.end === undefined ? anchorDate : parseDate(range.end, 'dateRange.end');
  if (from > to) throw invalidField('dateRange', `The start date ${from} must not be after the end date ${to}`);

  const facets = [...params.keys()].filter((name) => analyticsFacets.has(name));
  if (facets.length === 0) throw invalidField('accounts', 'At least one facet (accounts, campaignGroups, campaigns, creatives …) is required', 'FIELD_VALUE_REQUIRED');
  const unimplemented = facets.find((name) => name !== 'accounts');
  if (unimplemented) throw invalidField(unimplemented, `The LinkedIn sandbox implements the accounts facet only, not ${unimplemented}`);
  const list = parseRestliValue(params.get('accounts')!);
  if (!Array.isArray(list)) throw malformedQuery();
  const accountIds = list.map((item, index) => {
    const match = typeof item === 'string' ? /^urn:li:sponsoredAccount:(\d+)$/.exec(item) : null;
    if (!match) throw invalidField(`accounts[${index}]`, `Invalid sponsoredAccount URN: ${JSON.stringify(item)}`);
    return match[1]!;
  });

  const rawFields = params.get('fields');
  const fields = rawFields === undefined ? ['impressions', 'clicks'] : rawFields.split(',').map(decodeOrMalformed);
  for (const field of fields) {
    if (field === '' || !analyticsFields.has(field)) throw invalidField('fields', `The LinkedIn sandbox does not serve the field "${field}"`);
  }
  if (fields.filter((f) => !nonMetricFields.has(f)).length > maxMetricsPerRequest) {
    throw invalidField('fields', `At most ${maxMetricsPerRequest} metrics can be requested`);
  }
  return { from, to, accountIds, fields };
}

function analytics(
  params: ReadonlyMap<string, string>, accounts: readonly LinkedinSandboxAccount[], seed: LinkedinSeedOptions, firstDate: string, maxElements: number,
  oddValues: number, served: OddityLog,
): Record<string, unknown> {
  const request = parseAnalyticsRequest(params, seed.anchorDate);
  // An account the token cannot read contributes nothing: LinkedIn answers it with an empty response.
  const readable = accounts.filter((account) => request.accountIds.includes(account.id));
  const facts: LinkedinCampaignDayFact[] = [];
  const from = maxDate(request.from, firstDate);
  const to = minDate(request.to, seed.anchorDate);
  if (from <= to) {
    for (const day of eachDay(from, to)) facts.push(...campaignFactsFor(day, readable, seed));
  }
  // The oddities work on the fields the connector asks for; an answer without them is left as it is.
  const odd = oddValues > 0 && request.fields.includes('pivotValues') && request.fields.includes('dateRange');
  const elements = facts.slice(0, maxElements).map((fact) => {
    const element = analyticsElement(fact, request.fields);
    const oddity = odd ? linkedinSandboxOddity(fact, oddValues) : undefined;
    if (oddity) {
      oddity.apply(element as WireElement);
      served.record(oddity);
    }
    return element;
  });
  return { paging: { start: 0, count: 10, links: [] }, elements };
}

function analyticsElement(fact: LinkedinCampaignDayFact, fields: readonly string[]): Record<string, unknown> {
  const day = { year: Number(fact.date.slice(0, 4)), month: Number(fact.date.slice(5, 7)), day: Number(fact.date.slice(8, 10)) };
  const all: Record<string, unknown> = {
    pivotValues: [`urn:li:sponsoredCampaign:${fact.campaignId}`],
    dateRange: { start: day, end: { ...day } },
    impressions: fact.impressions,
    clicks: fact.clicks,
    costInLocalCurrency: String(fact.spend),
    externalWebsiteConversions: fact.conversions,
    conversionValueInLocalCurrency: String(fact.conversionValue),
  };
  return Object.fromEntries(fields.map((field) => [field, all[field]]));
}

// ---------------------------------------------------------------------------------------------------
// Accounts, campaigns, campaign groups

interface PageToken {
  offset: number;
}

function searchPage(params: ReadonlyMap<string, string>, entities: readonly Record<string, unknown>[]): Record<string, unknown> {
  for (const name of params.keys()) {
    if (name === 'search') throw invalidField('search', 'The LinkedIn sandbox does not implement search criteria; filter client-side');
    if (!['q', 'pageSize', 'pageToken', 'sortOrder'].includes(name)) throw malformedQuery();
  }
  if (params.get('q') !== 'search') throw new ApiError(400, { status: 400, message: `Unknown finder "${params.get('q') ?? ''}"` });
  const rawSize = params.get('pageSize');
  const pageSize = rawSize === undefined ? defaultPageSize : Number(rawSize);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > maxPageSize) {
    throw invalidField('pageSize', `pageSize must be an integer between 1 and ${maxPageSize}`);
  }
  const rawToken = params.get('pageToken');
  let offset = 0;
  if (rawToken !== undefined) {
    const token = decodePageToken(decodeOrMalformed(rawToken));
    if (!token) throw invalidField('pageToken', 'Invalid pageToken');
    offset = token.offset;
  }
  const page = entities.slice(offset, offset + pageSize);
  const next = offset + pageSize < entities.length ? encodePageToken({ offset: offset + pageSize }) : undefined;
  return { paging: { start: 0, count: pageSize, links: [] }, elements: page, metadata: next === undefined ? {} : { nextPageToken: next } };
}

function encodePageToken(token: PageToken): string {
  // Opaque to clients, URL-safe like LinkedIn's.
  return Buffer.from(JSON.stringify({ o: token.offset, n: 'li-sandbox' })).toString('base64url');
}

function decodePageToken(text: string): PageToken | undefined {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as { o?: unknown; n?: unknown };
    return typeof value.o === 'number' && Number.isInteger(value.o) && value.o >= 0 && value.n === 'li-sandbox' ? { offset: value.o } : undefined;
  } catch {
    return undefined;
  }
}

function epochMillis(date: string): number {
  return Date.parse(`${date}T00:00:00Z`);
}

function accountBody(account: LinkedinSandboxAccount): Record<string, unknown> {
  return {
    id: Number(account.id),
    name: account.name,
    currency: account.currency,
    status: 'ACTIVE',
    type: 'BUSINESS',
    reference: 'urn:li:organization:10470011',
    test: false,
    notifiedOnCampaignOptimization: false,
    notifiedOnCreativeApproval: false,
    notifiedOnCreativeRejection: false,
    notifiedOnEndOfCampaign: false,
    notifiedOnNewFeaturesEnabled: false,
    servingStatuses: ['RUNNABLE'],
    version: { versionTag: '4' },
  };
}

function campaignBody(
  account: LinkedinSandboxAccount, groupId: string, campaign: LinkedinSandboxAccount['campaignGroups'][number]['campaigns'][number], anchorDate: string,
): Record<string, unknown> {
  return {
    id: Number(campaign.id),
    name: campaign.name,
    status: campaign.status,
    account: `urn:li:sponsoredAccount:${account.id}`,
    campaignGroup: `urn:li:sponsoredCampaignGroup:${groupId}`,
    type: 'SPONSORED_UPDATES',
    costType: 'CPM',
    objectiveType: campaign.name.endsWith('_leadgen') ? 'LEAD_GENERATION' : 'WEBSITE_CONVERSION',
    dailyBudget: { amount: String(Math.round(campaign.dailySpend * 1.2)), currencyCode: account.currency },
    unitCost: { amount: String(campaign.cpm), currencyCode: account.currency },
    locale: { country: 'KR', language: 'en' },
    runSchedule: { start: epochMillis(addDays(anchorDate, -420)) },
    offsiteDeliveryEnabled: false,
    audienceExpansionEnabled: false,
    test: false,
    servingStatuses: campaign.status === 'ACTIVE' ? ['RUNNABLE'] : ['CAMPAIGN_STATUS_NOT_RUNNABLE'],
    version: { versionTag: '3' },
  };
}

function groupBody(account: LinkedinSandboxAccount, group: LinkedinSandboxAccount['campaignGroups'][number], anchorDate: string): Record<string, unknown> {
  return {
    id: Number(group.id),
    name: group.name,
    status: group.status,
    account: `urn:li:sponsoredAccount:${account.id}`,
    runSchedule: { start: epochMillis(addDays(anchorDate, -420)) },
    servingStatuses: group.status === 'ACTIVE' ? ['RUNNABLE'] : ['CAMPAIGN_GROUP_STATUS_HOLD'],
    test: false,
    backfilled: group.name === 'Default Campaign Group',
  };
}
