import { Connection, OAuth2 } from 'jsforce';
import { HttpApi } from 'jsforce/lib/http-api.js';
import { z } from 'zod';
import { SecretError, SourceError, type ErrorContext } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import { parseRetryAfter, withRetry, type RetryDecision, type RetryPolicy } from '../../core/retry.ts';
import type { SecretStore } from '../../core/secrets.ts';
import {
  BulkQueryJob, DescribeResult, OrgLimits, QueryResult, TokenResponse, parseLimitInfo, type ApiUsage,
} from './api.ts';
import type { SalesforceAuth } from './config.ts';
import { parseCsvRecords } from './csv.ts';
import { buildJwtAssertion, jwtBearerGrantType } from './jwt.ts';

/**
 * The only file that imports jsforce: the auth flows (jsforce's OAuth2 for the refresh-token,
 * JWT-bearer and password grants; its SOAP login), and every REST / Bulk API 2.0 call through
 * jsforce's HttpApi on a jsforce Connection (bearer header, instance URL, API version, error bodies).
 *
 * Calls go through HttpApi rather than `conn.query()` / `conn.bulk2.query()` because the connector
 * needs each response's status and headers (Retry-After, Sforce-Limit-Info, Sforce-Locator,
 * Sforce-NumberOfRecords), its own retry policy (jsforce's fetch layer retries 429/5xx itself,
 * ignoring Retry-After: turned off here), one session refresh per call (jsforce's refresh delegate
 * retries a 401 after every refresh, without bound) and Bulk results one `maxRecords` page at a time:
 * jsforce 3.10's `bulk2.query()` pipes every results page into one stream and fails with
 * ERR_STREAM_WRITE_AFTER_END once a job has more than one page (jsforce issues #1546, #1693; the
 * sandbox reproduces it).
 */

const RefreshTokenSecret = z.object({ client_id: z.string().min(1), client_secret: z.string().optional(), refresh_token: z.string().min(1) });
const JwtBearerSecret = z.object({ client_id: z.string().min(1), username: z.string().min(1), private_key: z.string().min(1) });
const UsernamePasswordSecret = z.object({
  username: z.string().min(1),
  password: z.string().min(1),
  security_token: z.string().default(''),
  client_id: z.string().min(1).optional(),
  client_secret: z.string().min(1).optional(),
});

interface Session {
  readonly accessToken: string;
  readonly instanceUrl: string;
}

/** The org's daily API allowance is used up (HTTP 403 REQUEST_LIMIT_EXCEEDED): stop and resume next run. */
export class SalesforceApiLimitError extends SourceError {}

export interface SalesforceClientOptions {
  readonly sourceId: string;
  readonly auth: SalesforceAuth;
  readonly secrets: SecretStore;
  /** Where REST calls go until a token response names another instance. */
  readonly instanceUrl?: string | undefined;
  readonly loginUrl: string;
  readonly apiVersion: string;
  readonly log: Logger;
  readonly retryPolicy?: RetryPolicy;
  readonly sleep?: (ms: number) => Promise<void>;
}

interface SendRequest {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** `/query?q=…` (relative to the versioned base), `/services/data/…` (relative to the instance) or absolute. */
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Forces how jsforce parses the body (`text/plain`: leave it as text). */
  readonly responseType?: string;
}

interface SendResult {
  readonly body: unknown;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
}

interface HttpResponseLike {
  statusCode: number;
  headers: Record<string, string>;
}

export interface BulkResultsPage {
  /** Each record's values as text, keyed by field name (the CSV header). */
  readonly records: ReadonlyArray<Record<string, string>>;
  /** No page follows (`Sforce-Locator: null`). */
  readonly last: boolean;
}

export class SalesforceClient {
  readonly #options: SalesforceClientOptions;
  readonly #conn: Connection;
  /** Absent for access_token auth: nothing to refresh with. */
  readonly #login: (() => Promise<Session>) | undefined;
  #usage: ApiUsage | undefined;
  #refreshing: Promise<void> | undefined;

  private constructor(options: SalesforceClientOptions, conn: Connection, login: (() => Promise<Session>) | undefined) {
    this.#options = options;
    this.#conn = conn;
    this.#login = login;
  }

  /** Reads the secret, signs in (unless given an access token) and returns a ready client. */
  static async connect(options: SalesforceClientOptions): Promise<SalesforceClient> {
    const { auth } = options;
    const value = await options.secrets.get(auth.secret);
    const login = loginFlow(auth, value, options);
    let session: Session;
    if (login) {
      session = await signIn(login, options);
    } else {
      const token = typeof value === 'string' ? value : (value as { access_token?: unknown } | null)?.access_token;
      if (typeof token !== 'string' || token === '') throw new SecretError(`secret "${auth.secret}" must be an access token string or { "access_token": … }`);
      if (!options.instanceUrl) throw new SourceError('Salesforce access_token auth needs instanceUrl', { context: { source: options.sourceId } });
      session = { accessToken: token, instanceUrl: options.instanceUrl };
    }
    const conn = new Connection({
      instanceUrl: session.instanceUrl, accessToken: session.accessToken, version: options.apiVersion, loginUrl: options.loginUrl,
    });
    return new SalesforceClient(options, conn, login);
  }

  /** The org's daily API usage from the last response's `Sforce-Limit-Info`, if any response carried one. */
  apiUsage(): ApiUsage | undefined {
    return this.#usage;
  }

  async describe(object: string, stream: string): Promise<DescribeResult> {
    const { body } = await this.#send({ method: 'GET', path: `/sobjects/${encodeURIComponent(object)}/describe` }, `describe ${object}`, stream);
    return this.#parse(DescribeResult, body, `describe ${object}`, stream);
  }

  async limits(stream: string): Promise<OrgLimits> {
    const { body } = await this.#send({ method: 'GET', path: '/limits' }, 'limits', stream);
    return this.#parse(OrgLimits, body, 'limits', stream);
  }

  /** `SELECT COUNT() …` through queryAll (deleted records count too): the query's totalSize. */
  async count(soql: string, stream: string): Promise<number> {
    const { body } = await this.#send({ method: 'GET', path: `/queryAll?q=${encodeURIComponent(soql)}` }, 'queryAll', stream);
    return this.#parse(QueryResult, body, 'queryAll', stream).totalSize;
  }

  /** Every batch of a queryAll (deleted records included), following `nextRecordsUrl` until `done`. */
  async *queryAll(soql: string, options: { batchSize: number }, stream: string): AsyncGenerator<QueryResult> {
    const headers = { 'Sforce-Query-Options': `batchSize=${options.batchSize}` };
    let path = `/queryAll?q=${encodeURIComponent(soql)}`;
    for (;;) {
      const { body } = await this.#send({ method: 'GET', path, headers }, 'queryAll', stream);
      const page = this.#parse(QueryResult, body, 'queryAll', stream);
      yield page;
      if (page.done || !page.nextRecordsUrl) return;
      path = page.nextRecordsUrl;
    }
  }

  /** Creates a Bulk API 2.0 queryAll job (CSV, comma, LF). */
  async createBulkQuery(soql: string, stream: string): Promise<BulkQueryJob> {
    const { body } = await this.#send({
      method: 'POST', path: '/jobs/query',
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ operation: 'queryAll', query: soql, contentType: 'CSV', columnDelimiter: 'COMMA', lineEnding: 'LF' }),
      responseType: 'application/json',
    }, 'Bulk API 2.0 create query job', stream);
    return this.#parse(BulkQueryJob, body, 'Bulk API 2.0 create query job', stream);
  }

  /** Polls a Bulk query job (UploadComplete → InProgress → JobComplete), waiting longer each time. */
  async waitForBulkJob(jobId: string, options: { pollIntervalMs: number; timeoutMs: number }, stream: string): Promise<BulkQueryJob> {
    const sleep = this.#options.sleep ?? delay;
    const started = Date.now();
    for (let interval = options.pollIntervalMs; ; interval = Math.min(interval * 2, 30_000)) {
      const { body } = await this.#send({ method: 'GET', path: `/jobs/query/${encodeURIComponent(jobId)}`, responseType: 'application/json' }, 'Bulk API 2.0 job status', stream);
      const job = this.#parse(BulkQueryJob, body, 'Bulk API 2.0 job status', stream);
      if (job.state === 'JobComplete') return job;
      if (job.state === 'Failed' || job.state === 'Aborted') {
        throw new SourceError(`Salesforce Bulk API 2.0 query job ${jobId} ${job.state.toLowerCase()}${job.errorMessage ? `: ${job.errorMessage}` : ''}`, {
          context: { source: this.#options.sourceId, stream, jobId },
        });
      }
      if (Date.now() - started + interval > options.timeoutMs) {
        throw new SourceError(`Salesforce Bulk API 2.0 query job ${jobId} was still ${job.state} after ${Math.round(options.timeoutMs / 1000)} s`, {
          context: { source: this.#options.sourceId, stream, jobId },
        });
      }
      await sleep(interval);
    }
  }

  /** A finished job's results, one `maxRecords` page at a time, walking `Sforce-Locator` until it is `null`. */
  async *bulkResults(jobId: string, options: { maxRecords: number }, stream: string): AsyncGenerator<BulkResultsPage> {
    const what = 'Bulk API 2.0 query results';
    for (let locator: string | undefined; ;) {
      const query = new URLSearchParams({ ...(locator ? { locator } : {}), maxRecords: String(options.maxRecords) });
      const { body, headers } = await this.#send({
        method: 'GET', path: `/jobs/query/${encodeURIComponent(jobId)}/results?${query}`, headers: { Accept: 'text/csv' }, responseType: 'text/plain',
      }, what, stream);
      let records: Array<Record<string, string>>;
      try {
        records = parseCsvRecords(typeof body === 'string' ? body : '');
      } catch (cause) {
        throw new SourceError(`Salesforce ${what} are not valid CSV: ${(cause as Error).message}`, { cause, context: { source: this.#options.sourceId, stream, jobId } });
      }
      const announced = headers['sforce-numberofrecords'];
      if (announced !== undefined && Number(announced) !== records.length) {
        throw new SourceError(`Salesforce ${what}: Sforce-NumberOfRecords says ${announced}, the CSV has ${records.length} rows`, {
          context: { source: this.#options.sourceId, stream, jobId },
        });
      }
      const next = headers['sforce-locator'];
      const last = next === undefined || next === '' || next === 'null';
      yield { records, last };
      if (last) return;
      locator = next;
    }
  }

  #parse<T>(schema: z.ZodType<T>, body: unknown, what: string, stream: string): T {
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new SourceError(`Salesforce ${what} returned an unexpected body (${issue?.path.join('.') || 'body'}: ${issue?.message})`, {
        context: { source: this.#options.sourceId, stream },
      });
    }
    return parsed.data;
  }

  /** One call with the retry policy (429 / 5xx / network, honouring Retry-After) around one refresh on an expired session. */
  async #send(request: SendRequest, what: string, stream: string): Promise<SendResult> {
    const { log } = this.#options;
    const context: ErrorContext = { source: this.#options.sourceId, stream };
    return withRetry(
      () => this.#sendRefreshingOnce(request, what, context),
      (error) => (error instanceof SourceError ? decisionOf(error) : { retryable: false }),
      {
        ...(this.#options.retryPolicy ? { policy: this.#options.retryPolicy } : {}),
        ...(this.#options.sleep ? { sleep: this.#options.sleep } : {}),
        onRetry: (error, delayMs, attempt) => log.warn(`retrying after ${(error as Error).message}`, { attempt, delayMs: Math.round(delayMs) }),
      },
    );
  }

  async #sendRefreshingOnce(request: SendRequest, what: string, context: ErrorContext): Promise<SendResult> {
    for (let refreshed = false; ; refreshed = true) {
      let response: HttpResponseLike | undefined;
      // No retries inside jsforce: #send's policy decides, and honours Retry-After.
      const api = new HttpApi(this.#conn, { retry: { maxRetries: 0 }, ...(request.responseType ? { responseType: request.responseType } : {}) });
      api.on('response', (r: HttpResponseLike) => {
        response = r;
        this.#noteUsage(r.headers);
      });
      try {
        const body: unknown = await api.request({
          method: request.method,
          url: this.#url(request.path),
          headers: { ...request.headers },
          ...(request.body === undefined ? {} : { body: request.body }),
        });
        return { body, status: response?.statusCode ?? 200, headers: response?.headers ?? {} };
      } catch (error) {
        const status = response?.statusCode;
        if (isExpiredSession(error, status) && this.#login && !refreshed) {
          this.#options.log.warn(`Salesforce session expired (${what}); refreshing it once`);
          await this.#refresh();
          continue;
        }
        throw toSourceError(error, { status, headers: response?.headers, what, context, refreshable: this.#login !== undefined, refreshed });
      }
    }
  }

  async #refresh(): Promise<void> {
    this.#refreshing ??= (async () => {
      try {
        const session = await signIn(this.#login!, this.#options);
        this.#conn.accessToken = session.accessToken;
        this.#conn.instanceUrl = session.instanceUrl;
      } finally {
        this.#refreshing = undefined;
      }
    })();
    await this.#refreshing;
  }

  #noteUsage(headers: Readonly<Record<string, string>> | undefined): void {
    const usage = parseLimitInfo(headers?.['sforce-limit-info']);
    if (!usage) return;
    this.#usage = usage;
    // Keep jsforce's own view in step, as conn.request would.
    this.#conn.limitInfo = { apiUsage: { ...usage } };
  }

  #url(path: string): string {
    if (/^https?:\/\//.test(path)) return path;
    const instance = this.#conn.instanceUrl.replace(/\/+$/, '');
    if (path.startsWith('/services/')) return instance + path;
    return `${instance}/services/data/v${this.#conn.version}${path}`;
  }
}

/** How to sign in again for the auth type; undefined for access_token (nothing to refresh with). */
function loginFlow(auth: SalesforceAuth, value: unknown, options: SalesforceClientOptions): (() => Promise<Session>) | undefined {
  const { loginUrl, apiVersion } = options;
  switch (auth.type) {
    case 'access_token':
      return undefined;
    case 'refresh_token': {
      const secret = RefreshTokenSecret.safeParse(value);
      if (!secret.success) throw new SecretError(`secret "${auth.secret}" must be JSON with client_id, client_secret and refresh_token`);
      const { client_id, client_secret, refresh_token } = secret.data;
      return async () => sessionOf(await new OAuth2({ loginUrl, clientId: client_id, ...(client_secret ? { clientSecret: client_secret } : {}) }).refreshToken(refresh_token));
    }
    case 'jwt_bearer': {
      const secret = JwtBearerSecret.safeParse(value);
      if (!secret.success) throw new SecretError(`secret "${auth.secret}" must be JSON with client_id, username and private_key`);
      const { client_id, username, private_key } = secret.data;
      return async () => {
        let assertion: string;
        try {
          assertion = buildJwtAssertion({ clientId: client_id, username, audience: loginUrl, privateKey: private_key });
        } catch {
          throw new SecretError(`secret "${auth.secret}": private_key is not a PEM private key`);
        }
        return sessionOf(await new OAuth2({ loginUrl }).requestToken({ grant_type: jwtBearerGrantType, assertion }));
      };
    }
    case 'username_password': {
      const secret = UsernamePasswordSecret.safeParse(value);
      if (!secret.success) throw new SecretError(`secret "${auth.secret}" must be JSON with username, password and security_token (client_id, client_secret optional)`);
      const { username, password, security_token, client_id, client_secret } = secret.data;
      if (client_id && client_secret) {
        return async () => sessionOf(await new OAuth2({ loginUrl, clientId: client_id, clientSecret: client_secret }).authenticate(username, password + security_token));
      }
      return async () => {
        const conn = new Connection({ loginUrl, version: apiVersion });
        await conn.loginBySoap(username, password + security_token);
        if (!conn.accessToken) throw new Error('the SOAP login returned no session');
        return { accessToken: conn.accessToken, instanceUrl: conn.instanceUrl };
      };
    }
  }
}

function sessionOf(response: unknown): Session {
  const parsed = TokenResponse.safeParse(response);
  if (!parsed.success) throw new Error('the token endpoint answered without access_token and instance_url');
  return { accessToken: parsed.data.access_token, instanceUrl: parsed.data.instance_url.replace(/\/+$/, '') };
}

/** Runs a login flow; network failures are retried, a refused grant is not. */
async function signIn(login: () => Promise<Session>, options: SalesforceClientOptions): Promise<Session> {
  const context = { source: options.sourceId };
  return withRetry(
    async () => {
      try {
        return await login();
      } catch (error) {
        if (error instanceof SecretError) throw error;
        const e = error as { name?: string; message?: string; code?: string };
        const network = isNetworkError(e);
        throw new SourceError(
          `Salesforce login (${options.auth.type}) at ${options.loginUrl} failed: ${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${truncate(e.message ?? 'no detail')}`,
          { cause: error, context, retryable: network },
        );
      }
    },
    (error) => (error instanceof SourceError ? decisionOf(error) : { retryable: false }),
    {
      ...(options.retryPolicy ? { policy: options.retryPolicy } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
    },
  );
}

function isExpiredSession(error: unknown, status: number | undefined): boolean {
  return status === 401 || (error as { errorCode?: unknown } | null)?.errorCode === 'INVALID_SESSION_ID';
}

function decisionOf(error: SourceError): RetryDecision {
  return { retryable: error.retryable, ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }) };
}

function toSourceError(error: unknown, info: {
  status: number | undefined;
  headers: Readonly<Record<string, string>> | undefined;
  what: string;
  context: ErrorContext;
  refreshable: boolean;
  refreshed: boolean;
}): SourceError {
  const { status, what } = info;
  const e = (error ?? {}) as { errorCode?: string; name?: string; message?: string; code?: string };
  const code = e.errorCode ?? (status === undefined ? e.code : undefined);
  const detail = truncate(e.message ?? 'request failed');
  const context = { ...info.context, ...(status === undefined ? {} : { status }), ...(code ? { errorCode: code } : {}) };
  const label = `HTTP ${status}${code ? ` ${code}` : ''}`;
  if (status === 401) {
    const hint = !info.refreshable
      ? ' Check the source\'s access token secret; access tokens expire, so unattended runs need jwt_bearer or refresh_token auth.'
      : info.refreshed ? ' A freshly issued session was refused too: check the connected app, the user and its API permission.' : '';
    return new SourceError(`Salesforce rejected the session (${label}): ${detail}.${hint}`, { cause: error, context, retryable: false });
  }
  if (status === 403 && code === 'REQUEST_LIMIT_EXCEEDED') {
    return new SalesforceApiLimitError(`Salesforce daily API request limit reached (${label}): ${detail}`, { cause: error, context, retryable: false });
  }
  if (status === undefined) {
    return new SourceError(`Salesforce ${what} failed: ${detail}`, { cause: error, context, retryable: isNetworkError(e) });
  }
  const retryable = status === 429 || status >= 500;
  const retryAfterMs = parseRetryAfter(info.headers?.['retry-after']);
  return new SourceError(`Salesforce ${what} failed (${label}): ${detail}`, {
    cause: error, context, retryable, ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

function isNetworkError(error: { name?: string; code?: string; message?: string }): boolean {
  return ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'UND_ERR_SOCKET', 'ENOTFOUND', 'EAI_AGAIN'].includes(String(error.code)) ||
    error.name === 'FetchError' || /socket hang up|fetch failed|terminated/i.test(error.message ?? '');
}

function truncate(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
