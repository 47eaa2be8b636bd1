/**
 * Salesforce sandbox: a local HTTP server (127.0.0.1 only) that speaks the REST API, Bulk API 2.0
 * query jobs, the OAuth token endpoint and the SOAP login the way jsforce calls them, over the seeded
 * org in ./seed-data.ts, so the connector, its tests and the demo run with no Salesforce org.
 *
 * Wire facts it follows (developer.salesforce.com, REST API and Bulk API 2.0 developer guides):
 * - `GET /services/data/vXX.X/query?q=SOQL` and `/queryAll?q=…` (deleted records only in queryAll, with
 *   IsDeleted true) → `{totalSize, done, nextRecordsUrl?, records:[{attributes:{type,url}, …}]}`;
 *   batches of 2,000, or `Sforce-Query-Options: batchSize=N` (200–2,000); `nextRecordsUrl` is
 *   `/services/data/vXX.X/query/<locator>-<offset>` for queryAll too, and `/queryAll/<locator>` also works;
 *   datetimes as `2026-11-22T01:02:03.000+0000`; compound fields as objects.
 * - `GET …/sobjects/{Object}/describe` → `fields[{name, type, nillable, custom, compoundFieldName, …}]`;
 *   `GET …/limits` → `{DailyApiRequests:{Max, Remaining}, …}`.
 * - Bulk API 2.0: `POST …/jobs/query` `{operation: query|queryAll, query, contentType: CSV,
 *   columnDelimiter: COMMA, lineEnding: LF|CRLF}` → `state: UploadComplete`; `GET …/jobs/query/{id}`
 *   moves through InProgress to JobComplete; `GET …/jobs/query/{id}/results?locator=&maxRecords=` → CSV
 *   with a header row, every value quoted, `""` for null, `Sforce-Locator` (`null` on the last page) and
 *   `Sforce-NumberOfRecords`; results come in Id order (PK chunks), whatever the ORDER BY; compound
 *   fields and COUNT() are refused.
 * - Every `/services/data` response carries `Sforce-Limit-Info: api-usage=USED/LIMIT`; every
 *   authenticated call counts; past the daily limit: 403 REQUEST_LIMIT_EXCEEDED.
 * - Errors as `[{"message": …, "errorCode": …}]`: 401 INVALID_SESSION_ID, 400 MALFORMED_QUERY /
 *   INVALID_FIELD / INVALID_TYPE / INVALID_QUERY_LOCATOR, 404 NOT_FOUND, 403 REQUEST_LIMIT_EXCEEDED.
 * - `POST /services/oauth2/token` (refresh_token, password and JWT-bearer grants) and
 *   `POST /services/Soap/u/XX.X` (SOAP login) hand out new access tokens.
 * Test hooks: advance() (a batch of later changes), addField(), expireSessionAfter(), failNext(),
 * setDailyApiLimit() / resetApiUsage(), stats(), oddRowsServed().
 * Test-only, not Salesforce's behaviour: `oddValues` gives some records odd values on the wire
 * (`SALESFORCE_SANDBOX_ODDITIES`: 15-character Ids, other datetime offsets, numbers and booleans as
 * text, Korean and emoji, huge text, nulls, left-out and undocumented fields, Ids, datetimes, dates,
 * numbers and booleans no contract reads) to check what the connector coerces and rejects.
 */
import { randomBytes, verify } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultPlan } from '../../sandbox-kit/faults.ts';
import { listenOnLoopback, readBody, sendJson } from '../../sandbox-kit/http.ts';
import { oddityFor, OddityLog, type Oddity } from '../../sandbox-kit/oddities.ts';
import type { RunningSandbox } from '../../../core/connector.ts';
import { isIsoDate, todayIn } from '../../../core/dates.ts';
import { toCsvLine } from '../csv.ts';
import { describeFieldJson, keyPrefixes, sandboxFields, sandboxObjectNames, type SandboxField, type SandboxObjectName } from './describe.ts';
import {
  advanceWorld, buildSalesforceWorld, defaultHistoryDays, sandboxOrgId, sandboxTimeZone,
  type AdvanceSummary, type FieldValue, type SalesforceSeedOptions, type SandboxRecord, type SandboxStore,
} from './seed-data.ts';
import { matches, parseSoql, sortRecords, SoqlError, type ParsedQuery } from './soql-engine.ts';

export interface SandboxOAuthClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly refreshToken: string;
  readonly username: string;
  readonly password: string;
  readonly securityToken: string;
  /** PEM public key the JWT-bearer assertions must verify against; without it only the claims are checked. */
  readonly jwtPublicKey?: string;
}

export interface SalesforceSandboxOptions {
  /** 0 (default) = any free port. The host is always 127.0.0.1. */
  readonly port?: number;
  readonly seed?: number;
  /** The sandbox's "today" (YYYY-MM-DD); default today in Asia/Seoul. */
  readonly anchorDate?: string;
  /** Days of history; default 400. */
  readonly historyDays?: number;
  /** The bearer token accepted from the start; default a random one. */
  readonly accessToken?: string;
  /** The org's daily API request allowance; default 100,000. */
  readonly dailyApiLimit?: number;
  /** Status polls before a Bulk query job is JobComplete; default 2. */
  readonly bulkJobPolls?: number;
  /** Bulk results rows per page when the request names no maxRecords; default 50,000. */
  readonly bulkDefaultPageSize?: number;
  /** The connected app and user the token endpoint and SOAP login accept. */
  readonly oauth?: Partial<SandboxOAuthClient>;
  /** A fault plan (../../sandbox-kit/faults.ts) for every request, the token endpoint included; default the process plan, if any. */
  readonly faults?: FaultPlan;
  /**
   * About one record in n (chosen by its object and Id, so the same records on every read, REST or
   * Bulk, whatever the window or paging) carries one of `SALESFORCE_SANDBOX_ODDITIES` that applies
   * to the fields selected: values the connector must coerce or set aside. Default 0: none.
   */
  readonly oddValues?: number;
}

export interface SandboxStats {
  /** Every HTTP request, whatever its outcome. */
  readonly requests: number;
  /** Authenticated /services/data calls (what counts against the daily limit). */
  readonly apiRequests: number;
  readonly tokenGrants: number;
  readonly soapLogins: number;
  readonly bulkJobs: number;
  /** Records sent back by REST queries and Bulk results. */
  readonly recordsReturned: { readonly rest: number; readonly bulk: number; readonly byObject: Readonly<Partial<Record<string, number>>> };
  /** Every SOQL received (REST and Bulk), in order. */
  readonly queries: readonly string[];
}

export interface RunningSalesforceSandbox extends RunningSandbox {
  /** `http://127.0.0.1:PORT/`. */
  readonly url: string;
  /** The same without the trailing slash: the instance URL and login URL to configure. */
  readonly instanceUrl: string;
  readonly accessToken: string;
  readonly orgId: string;
  readonly oauth: SandboxOAuthClient;
  readonly seed: Required<SalesforceSeedOptions>;
  /** Applies the next deterministic batch of changes (new SystemModstamps after every earlier one). */
  advance(options?: { at?: string }): AdvanceSummary;
  /** Adds a field to an object's describe; existing and new records read `valueOf(record)` for it. */
  addField(object: SandboxObjectName, field: { name: string; type: string; label?: string; custom?: boolean }, valueOf?: (record: Readonly<SandboxRecord>) => FieldValue): void;
  /** The object's records as queryAll sees them now (copies, Id order). */
  records(object: SandboxObjectName): SandboxRecord[];
  setDailyApiLimit(limit: number): void;
  /** A new day: the daily API usage starts again from zero. */
  resetApiUsage(): void;
  apiUsage(): { used: number; limit: number };
  /** Every access token issued so far stops working after `requests` more authenticated calls. */
  expireSessionAfter(requests: number): void;
  /** After `afterRequests` (default 0) more authenticated calls, the next `count` fail with this status (and Retry-After, if given). */
  failNext(failure: { status: number; count?: number; afterRequests?: number; retryAfterSeconds?: number; errorCode?: string; message?: string }): void;
  /** The odd records served so far (`oddValues`; REST pages and Bulk results pages, each time one is sent), by oddity, and how many must be rejected. */
  oddRowsServed(): ReturnType<OddityLog['served']>;
  stats(): SandboxStats;
  resetStats(): void;
}

const newestVersion = 62;
const oldestVersion = 31;
const maxBatchSize = 2_000;
const minBatchSize = 200;
const defaultBulkPage = 50_000;

class ApiError extends Error {
  readonly status: number;
  readonly errorCode: string;
  readonly headers: Record<string, string>;
  constructor(status: number, errorCode: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.errorCode = errorCode;
    this.headers = headers;
  }
}

const notFound = () => new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');

interface QueryCursor {
  readonly records: ReadonlyArray<Record<string, unknown>>;
  /** The oddity each record carries, if any (`oddValues`). */
  readonly oddities: ReadonlyArray<SalesforceOddity | undefined>;
  readonly object: string;
  batchSize: number;
}

interface BulkJob {
  readonly id: string;
  readonly operation: 'query' | 'queryAll';
  readonly object: string;
  readonly createdDate: string;
  readonly apiVersion: number;
  readonly lineEnding: 'LF' | 'CRLF';
  readonly header: readonly string[];
  readonly rows: readonly string[];
  /** The oddity each row carries, if any (`oddValues`). */
  readonly oddities: ReadonlyArray<SalesforceOddity | undefined>;
  state: 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Aborted';
  polls: number;
}

export async function startSalesforceSandbox(options: SalesforceSandboxOptions = {}): Promise<RunningSalesforceSandbox> {
  const anchorDate = options.anchorDate ?? todayIn(sandboxTimeZone);
  if (!isIsoDate(anchorDate)) throw new Error(`Salesforce sandbox: anchorDate must be YYYY-MM-DD, got "${anchorDate}"`);
  const seed: Required<SalesforceSeedOptions> = { seed: options.seed ?? 42, anchorDate, historyDays: options.historyDays ?? defaultHistoryDays };
  const world = buildSalesforceWorld(seed);
  const store: SandboxStore = world.store;
  const oauth: SandboxOAuthClient = {
    clientId: options.oauth?.clientId ?? '3MVG9sandbox.kpi.pipeline.connected.app',
    clientSecret: options.oauth?.clientSecret ?? randomBytes(16).toString('hex'),
    refreshToken: options.oauth?.refreshToken ?? `5Aep861${randomBytes(24).toString('hex')}`,
    username: options.oauth?.username ?? 'integration@kpi-shop.example',
    password: options.oauth?.password ?? randomBytes(8).toString('hex'),
    securityToken: options.oauth?.securityToken ?? randomBytes(6).toString('hex'),
    ...(options.oauth?.jwtPublicKey ? { jwtPublicKey: options.oauth.jwtPublicKey } : {}),
  };
  const integrationUserId = String([...store.get('User')!.values()].find((u) => u.Department === 'IT')!.Id);
  const accessToken = options.accessToken ?? newToken();
  const validTokens = new Set([accessToken]);
  let expiry: { remaining: number; tokens: Set<string> } | undefined;
  let dailyLimit = options.dailyApiLimit ?? 100_000;
  let used = 0;
  const failures: Array<{ status: number; retryAfterSeconds?: number; errorCode: string; message: string }> = [];
  let failAfter = 0;
  const extraFields = new Map<SandboxObjectName, Array<{ field: SandboxField; valueOf: (record: Readonly<SandboxRecord>) => FieldValue }>>();
  const cursors = new Map<string, QueryCursor>();
  const jobs = new Map<string, BulkJob>();
  const bulkJobPolls = options.bulkJobPolls ?? 2;
  const oddValues = options.oddValues ?? 0;
  if (!Number.isInteger(oddValues) || oddValues < 0) throw new Error(`Salesforce sandbox: oddValues must be a non-negative integer, got ${oddValues}`);
  const served = new OddityLog();
  let batch = 0;
  let counter = 0;
  let stats = emptyStats();
  let base = '';

  const objectOf = (name: string): SandboxObjectName | undefined => sandboxObjectNames.find((o) => o.toLowerCase() === name.toLowerCase());
  const fieldsOf = (object: SandboxObjectName): SandboxField[] => [...sandboxFields[object], ...(extraFields.get(object) ?? []).map((e) => e.field)];
  const describeOf = (name: string) => {
    const object = objectOf(name);
    return object ? { name: object, fields: fieldsOf(object) } : undefined;
  };
  const valueOf = (object: SandboxObjectName, record: SandboxRecord, field: SandboxField): FieldValue => {
    if (Object.hasOwn(record, field.name)) return record[field.name] ?? null;
    const extra = extraFields.get(object)?.find((e) => e.field.name === field.name);
    return extra ? extra.valueOf(record) : null;
  };
  const countRecords = (object: string, n: number, via: 'rest' | 'bulk') => {
    stats = {
      ...stats,
      recordsReturned: {
        ...stats.recordsReturned,
        [via]: stats.recordsReturned[via] + n,
        byObject: { ...stats.recordsReturned.byObject, [object]: (stats.recordsReturned.byObject[object] ?? 0) + n },
      },
    };
  };

  /** The records a parsed query selects, ordered, limited. */
  const select = (query: ParsedQuery, includeDeleted: boolean): SandboxRecord[] => {
    const object = query.object as SandboxObjectName;
    const records = [...store.get(object)!.values()].filter((r) => (includeDeleted || r.IsDeleted !== true) && matches(withExtras(object, r), query.where));
    const ordered = sortRecords(records, query.orderBy);
    return query.limit === undefined ? ordered : ordered.slice(0, query.limit);
  };
  const withExtras = (object: SandboxObjectName, record: SandboxRecord): SandboxRecord => {
    const extras = extraFields.get(object);
    if (!extras) return record;
    const copy = { ...record };
    for (const { field } of extras) copy[field.name] = valueOf(object, record, field);
    return copy;
  };

  const restRecord = (object: SandboxObjectName, record: SandboxRecord, fields: readonly SandboxField[], version: string): Record<string, unknown> => {
    const out: Record<string, unknown> = { attributes: { type: object, url: `/services/data/v${version}/sobjects/${object}/${String(record.Id)}` } };
    for (const field of fields) out[field.name] = restValue(object, record, field);
    return out;
  };
  const restValue = (object: SandboxObjectName, record: SandboxRecord, field: SandboxField): unknown => {
    if (field.type === 'address') {
      const parts = fieldsOf(object).filter((f) => f.compoundFieldName === field.name);
      const value = Object.fromEntries(parts.map((p) => [compoundKey(p.name, field.name), valueOf(object, record, p)]));
      return Object.values(value).every((v) => v === null) ? null : value;
    }
    const value = valueOf(object, record, field);
    if (value === null) return null;
    if (field.type === 'datetime') return String(value).replace('Z', '+0000');
    return value;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    stats = { ...stats, requests: stats.requests + 1 };
    const url = new URL(request.url ?? '/', base);
    const path = url.pathname;
    if (path === '/services/oauth2/token') return tokenEndpoint(request, response);
    if (/^\/services\/Soap\/u\/\d+\.\d$/.test(path)) return soapLogin(request, response);
    if (path === '/services/data' || path === '/services/data/') {
      sendJson(response, 200, versions());
      return;
    }
    const route = /^\/services\/data\/v(\d+)\.(\d)(\/.*)?$/.exec(path);
    const limitHeader = () => ({ 'Sforce-Limit-Info': `api-usage=${used}/${dailyLimit}` });
    try {
      if (!route) throw notFound();
      const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (!token || !validTokens.has(token)) throw new ApiError(401, 'INVALID_SESSION_ID', 'Session expired or invalid');
      if (used >= dailyLimit) throw new ApiError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.');
      used++;
      stats = { ...stats, apiRequests: stats.apiRequests + 1 };
      if (expiry && --expiry.remaining <= 0) {
        for (const expired of expiry.tokens) validTokens.delete(expired);
        expiry = undefined;
      }
      const failure = failAfter > 0 ? (failAfter--, undefined) : failures.shift();
      if (failure) {
        throw new ApiError(failure.status, failure.errorCode, failure.message,
          failure.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(failure.retryAfterSeconds) });
      }
      const major = Number(route[1]);
      if (route[2] !== '0' || major < oldestVersion || major > newestVersion) throw notFound();
      const version = `${major}.0`;
      await dispatch(request, response, route[3] ?? '/', url, version, limitHeader);
    } catch (error) {
      const apiError = error instanceof ApiError ? error
        : error instanceof SoqlError ? new ApiError(400, error.errorCode, error.message)
          : new ApiError(500, 'UNKNOWN_EXCEPTION', `An unexpected error occurred. ${String(error)}`);
      sendJson(response, apiError.status, [{ message: apiError.message, errorCode: apiError.errorCode }], { ...limitHeader(), ...apiError.headers });
    }
  };

  const dispatch = async (
    request: IncomingMessage, response: ServerResponse, rest: string, url: URL, version: string, limitHeader: () => Record<string, string>,
  ): Promise<void> => {
    const method = request.method ?? 'GET';
    const send = (status: number, body: unknown) => sendJson(response, status, body, limitHeader());
    let match: RegExpExecArray | null;
    if ((match = /^\/(query|queryAll)\/?$/.exec(rest))) {
      allow(method, 'GET');
      const soql = url.searchParams.get('q');
      if (!soql) throw new ApiError(400, 'MALFORMED_QUERY', 'A query string has to be specified');
      stats = { ...stats, queries: [...stats.queries, soql] };
      const query = parseSoql(soql, describeOf);
      const records = select(query, match[1] === 'queryAll');
      if (!query.fields) {
        send(200, { totalSize: records.length, done: true, records: [] });
        return;
      }
      const object = query.object as SandboxObjectName;
      const oddities = oddValues > 0 ? records.map((r) => salesforceSandboxOddity(object, String(r.Id), oddValues, query.fields!)) : [];
      const serialized = records.map((r, i) => {
        const out = restRecord(object, r, query.fields!, version);
        oddities[i]?.apply({ object, format: 'json', values: out, fields: query.fields! });
        return out;
      });
      const cursorId = `01gKp00000${String(++counter).padStart(5, '0')}AAA`;
      const cursor: QueryCursor = { records: serialized, oddities, object, batchSize: batchSizeOf(request) ?? maxBatchSize };
      cursors.set(cursorId, cursor);
      send(200, page(cursorId, cursor, 0, version));
      return;
    }
    if ((match = /^\/(?:query|queryAll)\/([A-Za-z0-9]+)-(\d+)$/.exec(rest))) {
      allow(method, 'GET');
      const cursor = cursors.get(match[1]!);
      const offset = Number(match[2]);
      if (!cursor || offset > cursor.records.length) throw new ApiError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
      cursor.batchSize = batchSizeOf(request) ?? cursor.batchSize;
      send(200, page(match[1]!, cursor, offset, version));
      return;
    }
    if ((match = /^\/sobjects\/([A-Za-z0-9_]+)\/describe\/?$/.exec(rest))) {
      allow(method, 'GET');
      const object = objectOf(match[1]!);
      if (!object) throw notFound();
      send(200, describeJson(object, fieldsOf(object), version));
      return;
    }
    if (rest === '/sobjects' || rest === '/sobjects/') {
      allow(method, 'GET');
      send(200, {
        encoding: 'UTF-8', maxBatchSize: 200,
        sobjects: sandboxObjectNames.map((name) => ({ name, label: name, keyPrefix: keyPrefixes[name], custom: false, queryable: true, retrieveable: true, replicateable: true })),
      });
      return;
    }
    if (rest === '/limits' || rest === '/limits/') {
      allow(method, 'GET');
      send(200, {
        DailyApiRequests: { Max: dailyLimit, Remaining: Math.max(0, dailyLimit - used) },
        DailyBulkV2QueryJobs: { Max: 10_000, Remaining: 10_000 - jobs.size },
        DailyBulkV2QueryFileStorageMB: { Max: 976_562, Remaining: 976_562 },
        ConcurrentAsyncGetReportInstances: { Max: 200, Remaining: 200 },
      });
      return;
    }
    if (rest === '/jobs/query' || rest === '/jobs/query/') {
      allow(method, 'POST');
      send(200, jobInfo(createJob(await readBody(request), Number(version)), false));
      return;
    }
    if ((match = /^\/jobs\/query\/([A-Za-z0-9]+)\/?$/.exec(rest))) {
      const job = jobs.get(match[1]!);
      if (!job) throw new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
      if (method === 'DELETE') {
        jobs.delete(job.id);
        response.writeHead(204, limitHeader());
        response.end();
        return;
      }
      if (method === 'PATCH') {
        const body = JSON.parse(await readBody(request) || '{}') as { state?: unknown };
        if (body.state !== 'Aborted') throw new ApiError(400, 'INVALIDJOBSTATE', 'Only state Aborted can be set on a query job');
        if (job.state !== 'JobComplete') job.state = 'Aborted';
        send(200, jobInfo(job, false));
        return;
      }
      allow(method, 'GET');
      if (job.state !== 'JobComplete' && job.state !== 'Aborted') {
        job.polls++;
        job.state = job.polls >= bulkJobPolls ? 'JobComplete' : 'InProgress';
      }
      send(200, jobInfo(job, true));
      return;
    }
    if ((match = /^\/jobs\/query\/([A-Za-z0-9]+)\/results\/?$/.exec(rest))) {
      allow(method, 'GET');
      const job = jobs.get(match[1]!);
      if (!job) throw new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
      if (job.state !== 'JobComplete') throw new ApiError(400, 'INVALIDJOBSTATE', `Job is not complete: ${job.state}`);
      const locator = url.searchParams.get('locator');
      const offset = locator ? Number(Buffer.from(locator, 'base64').toString('utf8')) : 0;
      if (!Number.isInteger(offset) || offset < 0 || offset > job.rows.length) throw new ApiError(400, 'INVALIDLOCATOR', `Invalid locator: ${locator}`);
      const maxRecordsText = url.searchParams.get('maxRecords');
      const maxRecords = maxRecordsText === null ? options.bulkDefaultPageSize ?? defaultBulkPage : Number(maxRecordsText);
      if (!Number.isInteger(maxRecords) || maxRecords < 1) throw new ApiError(400, 'INVALIDMAXRECORDS', `maxRecords must be a positive integer: ${maxRecordsText}`);
      const rows = job.rows.slice(offset, offset + maxRecords);
      const end = offset + rows.length;
      for (const oddity of job.oddities.slice(offset, end)) if (oddity) served.record(oddity);
      const eol = job.lineEnding === 'CRLF' ? '\r\n' : '\n';
      const text = [toCsvLine(job.header), ...rows].join(eol) + eol;
      countRecords(job.object, rows.length, 'bulk');
      response.writeHead(200, {
        'Content-Type': 'text/csv',
        'Content-Length': String(Buffer.byteLength(text)),
        'Sforce-Locator': end < job.rows.length ? Buffer.from(String(end)).toString('base64').replace(/=+$/, '') : 'null',
        'Sforce-NumberOfRecords': String(rows.length),
        ...limitHeader(),
      });
      response.end(text);
      return;
    }
    throw notFound();
  };

  const page = (cursorId: string, cursor: QueryCursor, offset: number, version: string): Record<string, unknown> => {
    const records = cursor.records.slice(offset, offset + cursor.batchSize);
    const next = offset + records.length;
    for (const oddity of cursor.oddities.slice(offset, next)) if (oddity) served.record(oddity);
    countRecords(cursor.object, records.length, 'rest');
    const done = next >= cursor.records.length;
    return {
      totalSize: cursor.records.length,
      done,
      ...(done ? {} : { nextRecordsUrl: `/services/data/v${version}/query/${cursorId}-${next}` }),
      records,
    };
  };

  const createJob = (text: string, apiVersion: number): BulkJob => {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new ApiError(400, 'JSON_PARSER_ERROR', 'The request body is not valid JSON');
    }
    const operation = body.operation;
    if (operation !== 'query' && operation !== 'queryAll') throw new ApiError(400, 'INVALIDJOB', `InvalidJob : Invalid operation: ${String(operation)}`);
    if (typeof body.query !== 'string' || body.query.trim() === '') throw new ApiError(400, 'INVALIDJOB', 'InvalidJob : query is required');
    if (body.contentType !== undefined && body.contentType !== 'CSV') throw new ApiError(400, 'INVALIDJOB', 'InvalidJob : contentType must be CSV');
    if (body.columnDelimiter !== undefined && body.columnDelimiter !== 'COMMA') {
      throw new ApiError(400, 'INVALIDJOB', `The Salesforce sandbox writes results with columnDelimiter COMMA only, not ${String(body.columnDelimiter)}`);
    }
    const lineEnding = body.lineEnding === undefined ? 'LF' : body.lineEnding;
    if (lineEnding !== 'LF' && lineEnding !== 'CRLF') throw new ApiError(400, 'INVALIDJOB', `InvalidJob : Invalid lineEnding: ${String(lineEnding)}`);
    stats = { ...stats, queries: [...stats.queries, body.query], bulkJobs: stats.bulkJobs + 1 };
    const query = parseSoql(body.query, describeOf);
    if (!query.fields) throw new ApiError(400, 'INVALIDJOB', 'InvalidJob : Aggregate queries are not supported by Bulk API 2.0 query jobs');
    const compound = query.fields.find((f) => f.type === 'address' || f.type === 'location');
    if (compound) throw new ApiError(400, 'INVALIDJOB', `InvalidJob : Selecting compound data not supported in Bulk Query (${compound.name})`);
    const object = query.object as SandboxObjectName;
    // PK chunking returns chunks in Id order: Bulk results follow no ORDER BY.
    const records = select({ ...query, orderBy: [] }, operation === 'queryAll');
    const id = `750Kp00000${String(++counter).padStart(5, '0')}IAA`;
    const fields = query.fields;
    const oddities = oddValues > 0 ? records.map((r) => salesforceSandboxOddity(object, String(r.Id), oddValues, fields)) : [];
    const csvRow = (record: SandboxRecord, oddity: SalesforceOddity | undefined): string => {
      const values: Record<string, unknown> = Object.fromEntries(fields.map((f) => [f.name, csvValue(f, valueOf(object, record, f))]));
      oddity?.apply({ object, format: 'csv', values, fields });
      return toCsvLine(fields.map((f) => csvText(values[f.name])));
    };
    const job: BulkJob = {
      id, operation, object, createdDate: new Date().toISOString().replace('Z', '+0000'), apiVersion, lineEnding,
      header: fields.map((f) => f.name),
      rows: records.map((r, i) => csvRow(r, oddities[i])),
      oddities,
      state: 'UploadComplete', polls: 0,
    };
    jobs.set(id, job);
    return job;
  };

  const jobInfo = (job: BulkJob, detailed: boolean): Record<string, unknown> => ({
    id: job.id, operation: job.operation, object: job.object, createdById: integrationUserId, createdDate: job.createdDate,
    systemModstamp: job.createdDate, state: job.state, concurrencyMode: 'Parallel', contentType: 'CSV', apiVersion: job.apiVersion,
    lineEnding: job.lineEnding, columnDelimiter: 'COMMA',
    ...(detailed ? {
      jobType: 'V2Query', numberRecordsProcessed: job.state === 'JobComplete' ? job.rows.length : 0, retries: 0,
      totalProcessingTime: job.state === 'JobComplete' ? 42 : 0, isPkChunkingSupported: true,
    } : {}),
  });

  const issueToken = (): string => {
    const token = newToken();
    validTokens.add(token);
    stats = { ...stats, tokenGrants: stats.tokenGrants + 1 };
    return token;
  };

  const tokenEndpoint = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const refuse = (error: string, description: string) => sendJson(response, 400, { error, error_description: description });
    if (request.method !== 'POST') {
      sendJson(response, 405, { error: 'invalid_request', error_description: 'must use HTTP POST' });
      return;
    }
    const form = new URLSearchParams(await readBody(request));
    const grant = form.get('grant_type');
    const clientOk = () => form.get('client_id') === oauth.clientId;
    const secretOk = () => form.get('client_secret') === null || form.get('client_secret') === oauth.clientSecret;
    if (grant === 'refresh_token') {
      if (!clientOk()) return refuse('invalid_client_id', 'client identifier invalid');
      if (!secretOk()) return refuse('invalid_client', 'invalid client credentials');
      if (form.get('refresh_token') !== oauth.refreshToken) return refuse('invalid_grant', 'expired access/refresh token');
    } else if (grant === 'password') {
      if (!clientOk()) return refuse('invalid_client_id', 'client identifier invalid');
      if (form.get('client_secret') !== oauth.clientSecret) return refuse('invalid_client', 'invalid client credentials');
      if (form.get('username') !== oauth.username || form.get('password') !== oauth.password + oauth.securityToken) return refuse('invalid_grant', 'authentication failure');
    } else if (grant === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      const problem = jwtProblem(form.get('assertion') ?? '');
      if (problem) return refuse('invalid_grant', problem);
    } else {
      return refuse('unsupported_grant_type', 'grant type not supported');
    }
    sendJson(response, 200, {
      access_token: issueToken(), instance_url: base.replace(/\/$/, ''), id: `${base}id/${sandboxOrgId}/${integrationUserId}`,
      token_type: 'Bearer', issued_at: String(Date.now()), signature: randomBytes(32).toString('base64'), scope: 'api refresh_token',
    });
  };

  const jwtProblem = (assertion: string): string | undefined => {
    const parts = assertion.split('.');
    if (parts.length !== 3) return 'invalid assertion';
    let header: { alg?: unknown };
    let claims: { iss?: unknown; sub?: unknown; aud?: unknown; exp?: unknown };
    try {
      header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as typeof header;
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      return 'invalid assertion';
    }
    if (header.alg !== 'RS256') return 'invalid assertion: alg must be RS256';
    if (claims.iss !== oauth.clientId) return 'invalid client credentials';
    const audiences = [base, base.replace(/\/$/, ''), 'https://login.salesforce.com', 'https://test.salesforce.com'];
    if (typeof claims.aud !== 'string' || !audiences.includes(claims.aud)) return 'audience is invalid';
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) return 'expired authorization code';
    if (claims.sub !== oauth.username) return "user hasn't approved this consumer";
    if (oauth.jwtPublicKey && !verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), oauth.jwtPublicKey, Buffer.from(parts[2]!, 'base64url'))) {
      return 'invalid assertion: signature does not verify';
    }
    return undefined;
  };

  const soapLogin = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const body = await readBody(request);
    const text = (tag: string) => unescapeXml(new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(body)?.[1] ?? '');
    const xml = (status: number, content: string) => {
      const payload = `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>${content}</soapenv:Body></soapenv:Envelope>`;
      response.writeHead(status, { 'Content-Type': 'text/xml; charset=utf-8', 'Content-Length': String(Buffer.byteLength(payload)) });
      response.end(payload);
    };
    if (request.method !== 'POST' || text('username') !== oauth.username || text('password') !== oauth.password + oauth.securityToken) {
      xml(500, '<soapenv:Fault><faultcode>sf:INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: Invalid username, password, security token; or user locked out.</faultstring></soapenv:Fault>');
      return;
    }
    stats = { ...stats, soapLogins: stats.soapLogins + 1 };
    const version = /\/services\/Soap\/u\/(\d+\.\d)$/.exec(new URL(request.url ?? '/', base).pathname)?.[1] ?? `${newestVersion}.0`;
    const instance = base.replace(/\/$/, '');
    xml(200, `<loginResponse><result><metadataServerUrl>${instance}/services/Soap/m/${version}/${sandboxOrgId}</metadataServerUrl><passwordExpired>false</passwordExpired>` +
      `<sandbox>true</sandbox><serverUrl>${instance}/services/Soap/u/${version}/${sandboxOrgId}</serverUrl><sessionId>${issueToken()}</sessionId>` +
      `<userId>${integrationUserId}</userId><userInfo><organizationId>${sandboxOrgId}</organizationId><userId>${integrationUserId}</userId>` +
      `<userName>${oauth.username}</userName></userInfo></result></loginResponse>`);
  };

  const server = await listenOnLoopback(handle, options.port ?? 0, options.faults);
  base = server.url;

  return {
    url: server.url,
    instanceUrl: server.url.replace(/\/$/, ''),
    accessToken,
    orgId: sandboxOrgId,
    oauth,
    seed,
    advance: (advanceOptions = {}) => advanceWorld(store, seed, ++batch, advanceOptions.at === undefined ? undefined : Date.parse(advanceOptions.at)),
    addField(object, field, valueOf = () => null) {
      if (fieldsOf(object).some((f) => f.name.toLowerCase() === field.name.toLowerCase())) throw new Error(`${object} already has a field ${field.name}`);
      const list = extraFields.get(object) ?? [];
      list.push({ field: { name: field.name, type: field.type, label: field.label ?? field.name, custom: field.custom ?? field.name.endsWith('__c') }, valueOf });
      extraFields.set(object, list);
    },
    records: (object) => [...store.get(object)!.values()].map((r) => withExtras(object, { ...r })).sort((a, b) => (String(a.Id) < String(b.Id) ? -1 : 1)),
    setDailyApiLimit(limit) {
      dailyLimit = limit;
    },
    resetApiUsage() {
      used = 0;
    },
    apiUsage: () => ({ used, limit: dailyLimit }),
    expireSessionAfter(requests) {
      expiry = { remaining: requests, tokens: new Set(validTokens) };
    },
    failNext(failure) {
      failAfter = failure.afterRequests ?? 0;
      for (let i = 0; i < (failure.count ?? 1); i++) {
        failures.push({
          status: failure.status, errorCode: failure.errorCode ?? (failure.status === 503 ? 'SERVER_UNAVAILABLE' : 'UNKNOWN_EXCEPTION'),
          message: failure.message ?? (failure.status === 503 ? 'Server temporarily unavailable' : 'An unexpected error occurred'),
          ...(failure.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: failure.retryAfterSeconds }),
        });
      }
    },
    oddRowsServed: () => served.served(SALESFORCE_SANDBOX_ODDITIES),
    stats: () => stats,
    resetStats() {
      stats = emptyStats();
    },
    stop: () => server.stop(),
  };
}

function emptyStats(): SandboxStats {
  return { requests: 0, apiRequests: 0, tokenGrants: 0, soapLogins: 0, bulkJobs: 0, recordsReturned: { rest: 0, bulk: 0, byObject: {} }, queries: [] };
}

function newToken(): string {
  return `${sandboxOrgId.slice(0, 15)}!${randomBytes(24).toString('base64url')}`;
}

function allow(method: string, allowed: string): void {
  if (method !== allowed) throw new ApiError(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${method}' not allowed. Allowed are ${allowed}`);
}

function batchSizeOf(request: IncomingMessage): number | undefined {
  const header = request.headers['sforce-query-options'];
  const match = typeof header === 'string' ? /batchSize\s*=\s*(\d+)/i.exec(header) : null;
  return match ? Math.min(maxBatchSize, Math.max(minBatchSize, Number(match[1]))) : undefined;
}

/** `BillingCity` of `BillingAddress` → `city`; `Latitude` of `Address` → `latitude`. */
function compoundKey(component: string, compound: string): string {
  const prefix = compound.replace(/Address$/, '');
  const rest = component.startsWith(prefix) ? component.slice(prefix.length) : component;
  return rest.charAt(0).toLowerCase() + rest.slice(1);
}

/** A value as Bulk API 2.0 CSV writes it: text, `true`/`false`, doubles with a decimal point, empty for null. */
function csvValue(field: SandboxField, value: FieldValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (['double', 'currency', 'percent'].includes(field.type) && Number.isInteger(value)) return `${value}.0`;
    return String(value);
  }
  return String(value);
}

/** A value an oddity left in a Bulk record as CSV text: null and a left-out field are empty. */
function csvText(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

// ---------------------------------------------------------------------------------------------
// Odd values (`oddValues`)

/** A record as the sandbox is about to send it, for an oddity to change. */
export interface SalesforceWireRecord {
  readonly object: SandboxObjectName;
  /** REST: the JSON record (`attributes` and each selected field, in its JSON type); Bulk: each selected field's CSV text. */
  readonly format: 'json' | 'csv';
  readonly values: Record<string, unknown>;
  /** The fields the query selected. */
  readonly fields: readonly SandboxField[];
}

/** An oddity, and the selected fields it needs (a record of an object without them never gets it). */
export interface SalesforceOddity extends Oddity<SalesforceWireRecord> {
  applies(fields: readonly SandboxField[]): boolean;
}

const numericTypes = ['int', 'double', 'currency', 'percent'];
const textTypes = ['string', 'textarea', 'picklist'];
/** The first selected field of one of these types: the one an oddity changes. */
const firstOf = (fields: readonly SandboxField[], types: readonly string[]): SandboxField | undefined => fields.find((f) => types.includes(f.type));
const selects = (name: string) => (fields: readonly SandboxField[]) => fields.some((f) => f.name === name);
const selectsType = (types: readonly string[]) => (fields: readonly SandboxField[]) => firstOf(fields, types) !== undefined;
/** Sets the first selected field of one of `types`; `make` gets its current wire value. */
const setFirst = (record: SalesforceWireRecord, types: readonly string[], make: (current: unknown) => unknown): void => {
  const field = firstOf(record.fields, types);
  if (field) record.values[field.name] = make(record.values[field.name]);
};
/** A wire datetime (`…+0000` REST, `…Z` Bulk) as epoch ms; NaN for null. */
const millisOf = (value: unknown): number => (typeof value === 'string' ? Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')) : Number.NaN);
const pad = (n: number) => String(n).padStart(2, '0');

/**
 * What `oddValues` does to a record on the wire, and whether the connector must coerce it (false)
 * or reject it (true), per Salesforce's REST and Bulk API 2.0 contracts (see ../mappers.ts `toCell`).
 * Each has the same outcome on both wires; those about JSON types change only REST records (in
 * Bulk CSV every value is text already), and Bulk CSV has no room for an undocumented field in one row.
 */
export const SALESFORCE_SANDBOX_ODDITIES: readonly SalesforceOddity[] = [
  {
    name: 'the Id in its 15-character form', rejected: false, applies: selects('Id'),
    apply: (r) => (r.values.Id = String(r.values.Id).slice(0, 15)),
  },
  {
    name: 'SystemModstamp with a +09:00 offset', rejected: false, applies: selects('SystemModstamp'),
    apply: (r) => {
      const millis = millisOf(r.values.SystemModstamp);
      if (!Number.isNaN(millis)) r.values.SystemModstamp = new Date(millis + 9 * 3_600_000).toISOString().replace('Z', '+09:00');
    },
  },
  {
    name: 'a number as a numeric string', rejected: false, applies: selectsType(numericTypes),
    apply: (r) => setFirst(r, numericTypes, (v) => (typeof v === 'number' ? String(v) : v)),
  },
  {
    name: 'a boolean as the text "true" or "false"', rejected: false, applies: selectsType(['boolean']),
    apply: (r) => setFirst(r, ['boolean'], (v) => (typeof v === 'boolean' ? String(v) : v)),
  },
  {
    name: 'Korean and emoji in a text field', rejected: false, applies: selectsType(textTypes),
    apply: (r) => setFirst(r, textTypes, (v) => `${typeof v === 'string' ? `${v} ` : ''}🎉 한글 레코드`),
  },
  {
    name: 'a 100,000-character Korean text', rejected: false, applies: selectsType(textTypes),
    apply: (r) => setFirst(r, textTypes, () => '가'.repeat(100_000)),
  },
  {
    name: 'CreatedById null, though describe says it never is', rejected: false, applies: selects('CreatedById'),
    apply: (r) => (r.values.CreatedById = null),
  },
  {
    name: 'CreatedDate left out', rejected: false, applies: selects('CreatedDate'),
    apply: (r) => delete r.values.CreatedDate,
  },
  {
    name: 'fields the describe does not list', rejected: false, applies: () => true,
    apply: (r) => {
      if (r.format === 'json') Object.assign(r.values, { Loyalty_Tier__c: '골드 🥇', Score__c: 97.5, Owner: { attributes: { type: 'User' }, Name: '김민준' } });
    },
  },
  {
    name: 'an Id that is not 15 or 18 characters', rejected: true, applies: selects('Id'),
    apply: (r) => (r.values.Id = String(r.values.Id).slice(0, 12)),
  },
  { name: 'no Id', rejected: true, applies: selects('Id'), apply: (r) => delete r.values.Id },
  {
    name: 'SystemModstamp written the US way (MM/DD/YYYY h:mm AM)', rejected: true, applies: selects('SystemModstamp'),
    apply: (r) => {
      const at = new Date(millisOf(r.values.SystemModstamp));
      if (Number.isNaN(at.getTime())) return;
      const hour = at.getUTCHours();
      r.values.SystemModstamp = `${pad(at.getUTCMonth() + 1)}/${pad(at.getUTCDate())}/${at.getUTCFullYear()} ${hour % 12 || 12}:${pad(at.getUTCMinutes())} ${hour < 12 ? 'AM' : 'PM'}`;
    },
  },
  { name: 'SystemModstamp null', rejected: true, applies: selects('SystemModstamp'), apply: (r) => (r.values.SystemModstamp = null) },
  {
    name: 'CreatedDate as a date without its time', rejected: true, applies: selects('CreatedDate'),
    apply: (r) => (r.values.CreatedDate = String(r.values.CreatedDate).slice(0, 10)),
  },
  { name: 'text in a number field', rejected: true, applies: selectsType(numericTypes), apply: (r) => setFirst(r, numericTypes, () => '미정') },
  {
    name: 'a date as DD/MM/YYYY', rejected: true, applies: selectsType(['date']),
    apply: (r) => setFirst(r, ['date'], (v) => (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v.slice(8)}/${v.slice(5, 7)}/${v.slice(0, 4)}` : '31/12/2026')),
  },
  { name: 'a reference that is not a record Id', rejected: true, applies: selects('CreatedById'), apply: (r) => (r.values.CreatedById = 'integration-user') },
  { name: 'a boolean that is "yes"', rejected: true, applies: selectsType(['boolean']), apply: (r) => setFirst(r, ['boolean'], () => 'yes') },
];

/**
 * The oddity a record carries under `oddValues: every`, if any: chosen by a hash of its object and
 * Id among the oddities that apply to the selected fields (default: every field the connector
 * selects, i.e. all but compound ones), so tests know what to expect.
 */
export function salesforceSandboxOddity(
  object: SandboxObjectName, id: string, every: number, fields: readonly SandboxField[] = selectableFields(object),
): SalesforceOddity | undefined {
  if (every <= 0) return undefined;
  return oddityFor(`${object}|${id}`, every, SALESFORCE_SANDBOX_ODDITIES.filter((o) => o.applies(fields))) as SalesforceOddity | undefined;
}

function selectableFields(object: SandboxObjectName): SandboxField[] {
  return sandboxFields[object].filter((f) => f.type !== 'address' && f.type !== 'location');
}

function describeJson(object: SandboxObjectName, fields: readonly SandboxField[], version: string): Record<string, unknown> {
  return {
    name: object, label: object, labelPlural: `${object}s`, keyPrefix: keyPrefixes[object], custom: false, queryable: true,
    retrieveable: true, replicateable: true, searchable: true, createable: true, updateable: true, deletable: object !== 'User',
    fields: fields.map(describeFieldJson),
    urls: { describe: `/services/data/v${version}/sobjects/${object}/describe`, sobject: `/services/data/v${version}/sobjects/${object}` },
  };
}

function versions(): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  for (let major = oldestVersion; major <= newestVersion; major++) out.push({ label: `v${major}.0`, url: `/services/data/v${major}.0`, version: `${major}.0` });
  return out;
}

function unescapeXml(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}
