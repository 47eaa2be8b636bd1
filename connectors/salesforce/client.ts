import { Connection, OAuth2 } from 'jsforce/lib/core.js';
import { HttpApi } from 'jsforce/lib/http-api.js';
import { z } from 'zod';
import { SecretError, SourceError, type ErrorContext } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import { withRetry, type RetryPolicy } from '../../core/retry.ts';
import type { SecretStore } from '../../core/secrets.ts';
import {
  BulkQueryJob, DescribeResult, OrgLimits, QueryResult, TokenResponse, parseLimitInfo, type ApiUsage,
} from './api.ts';
import type { SalesforceAuth } from './config.ts';
import { parseCsvRecords } from './csv.ts';
import { apiCallError, decisionOf, loginError, notJsonError } from './errors.ts';
import { FetchTransport, type TransportRequest, type TransportResponse } from './fetch-transport.ts';
import { buildJwtAssertion, jwtBearerGrantType } from './jwt.ts';

export { SalesforceApiLimitError } from './errors.ts';

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
 *
 * Every call, the logins included, goes over ./fetch-transport.ts instead of jsforce's default
 * transport, which hangs for ever when a connection drops after the response headers.
 *
 * jsforce is imported from its core (`jsforce/lib/core.js`: Connection, OAuth2, the SOAP login),
 * not its main entry, which also loads every API module (Bulk v1/v2, Metadata, Tooling, Streaming,
 * Chatter, Analytics, Apex) into the Lambda bundle; none is used, since every call goes through
 * HttpApi. (`jsforce/core` is a folder with its own package.json, which Node's ESM resolver refuses.)
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
  /**
   * A call that receives nothing (no headers, no body bytes) for this long is abandoned and asked
   * again (a server stalled mid-body); default 180 s: generous for a heavy query to start answering,
   * and a stalled call still fails well inside a 15-minute Lambda.
   */
  readonly idleTimeoutMs?: number;
}

const defaultIdleTimeoutMs = 180_000;

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
  readonly #login: LoginFlow | undefined;
  #usage: ApiUsage | undefined;
  #refreshing: Promise<void> | undefined;

  private constructor(options: SalesforceClientOptions, conn: Connection, login: LoginFlow | undefined) {
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
      session = await signIn(login, options, undefined);
    } else {
      const token = typeof value === 'string' ? value : (value as { access_token?: unknown } | null)?.access_token;
      if (typeof token !== 'string' || token === '') throw new SecretError(`secret "${auth.secret}" must be an access token string or { "access_token": … }`);
      if (!options.instanceUrl) throw new SourceError('Salesforce access_token auth needs instanceUrl', { context: { source: options.sourceId } });
      session = { accessToken: token, instanceUrl: options.instanceUrl };
    }
    const conn = new Connection({
      instanceUrl: session.instanceUrl, accessToken: session.accessToken, version: options.apiVersion, loginUrl: options.loginUrl,
    });
    conn._transport = transportFor(options);
    return new SalesforceClient(options, conn, login);
  }

  /** The org's daily API usage from the last response's `Sforce-Limit-Info`, if any response carried one. */
  apiUsage(): ApiUsage | undefined {
    return this.#usage;
  }

  async describe(object: string, stream: string): Promise<DescribeResult> {
    const what = `describe ${object}`;
    return this.#send({ method: 'GET', path: `/sobjects/${encodeURIComponent(object)}/describe` }, what, stream, this.#json(DescribeResult, what, stream));
  }

  async limits(stream: string): Promise<OrgLimits> {
    return this.#send({ method: 'GET', path: '/limits' }, 'limits', stream, this.#json(OrgLimits, 'limits', stream));
  }

  /** `SELECT COUNT() …` through queryAll (deleted records count too): the query's totalSize. */
  async count(soql: string, stream: string): Promise<number> {
    const page = await this.#send({ method: 'GET', path: `/queryAll?q=${encodeURIComponent(soql)}` }, 'queryAll', stream, this.#json(QueryResult, 'queryAll', stream));
    return page.totalSize;
  }

  /** Every batch of a queryAll (deleted records included), following `nextRecordsUrl` until `done`. */
  async *queryAll(soql: string, options: { batchSize: number }, stream: string): AsyncGenerator<QueryResult> {
    const headers = { 'Sforce-Query-Options': `batchSize=${options.batchSize}` };
    let path = `/queryAll?q=${encodeURIComponent(soql)}`;
    for (;;) {
      const page = await this.#send({ method: 'GET', path, headers }, 'queryAll', stream, this.#json(QueryResult, 'queryAll', stream));
      yield page;
      if (page.done || !page.nextRecordsUrl) return;
      path = page.nextRecordsUrl;
    }
  }

  /** Creates a Bulk API 2.0 queryAll job (CSV, comma, LF). */
  async createBulkQuery(soql: string, stream: string): Promise<BulkQueryJob> {
    const what = 'Bulk API 2.0 create query job';
    return this.#send({
      method: 'POST', path: '/jobs/query',
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ operation: 'queryAll', query: soql, contentType: 'CSV', columnDelimiter: 'COMMA', lineEnding: 'LF' }),
      responseType: 'application/json',
    }, what, stream, this.#json(BulkQueryJob, what, stream));
  }

  /** Polls a Bulk query job (UploadComplete → InProgress → JobComplete), waiting longer each time. */
  async waitForBulkJob(jobId: string, options: { pollIntervalMs: number; timeoutMs: number }, stream: string): Promise<BulkQueryJob> {
    const sleep = this.#options.sleep ?? delay;
    const what = 'Bulk API 2.0 job status';
    const started = Date.now();
    for (let interval = options.pollIntervalMs; ; interval = Math.min(interval * 2, 30_000)) {
      const job = await this.#send({ method: 'GET', path: `/jobs/query/${encodeURIComponent(jobId)}`, responseType: 'application/json' }, what, stream, this.#json(BulkQueryJob, what, stream));
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
    const context = { source: this.#options.sourceId, stream, jobId };
    for (let locator: string | undefined; ;) {
      const query = new URLSearchParams({ ...(locator ? { locator } : {}), maxRecords: String(options.maxRecords) });
      const page = await this.#send({
        method: 'GET', path: `/jobs/query/${encodeURIComponent(jobId)}/results?${query}`, headers: { Accept: 'text/csv' }, responseType: 'text/plain',
      }, what, stream, (result) => ({ records: csvPage(result, what, context), next: result.headers['sforce-locator'] }));
      const last = page.next === undefined || page.next === '' || page.next === 'null';
      yield { records: page.records, last };
      if (last) return;
      locator = page.next;
    }
  }

  /** Checks a JSON answer inside the retry loop: no JSON (cut short, a proxy's page) is asked again; the wrong shape is not. */
  #json<T>(schema: z.ZodType<T>, what: string, stream: string): (result: SendResult) => T {
    return ({ body, status }) => {
      // jsforce hands back the raw text when a JSON body does not parse.
      if (typeof body !== 'object' || body === null) throw notJsonError(what, status, { source: this.#options.sourceId, stream });
      const parsed = schema.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new SourceError(`Salesforce ${what} returned an unexpected body (${issue?.path.join('.') || 'body'}: ${issue?.message})`, {
          context: { source: this.#options.sourceId, stream, status },
        });
      }
      return parsed.data;
    };
  }

  /**
   * One call with the retry policy (429 / 5xx / no whole answer, honouring Retry-After) around one
   * refresh on an expired session; `decode` runs inside the loop, so a body found cut short is asked again.
   */
  async #send<T>(request: SendRequest, what: string, stream: string, decode: (result: SendResult) => T): Promise<T> {
    const { log } = this.#options;
    const context: ErrorContext = { source: this.#options.sourceId, stream };
    return withRetry(
      async () => decode(await this.#sendRefreshingOnce(request, what, context)),
      decisionOf,
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
          await this.#refresh(context.stream);
          continue;
        }
        throw apiCallError(error, { status, headers: response?.headers, what, context, refreshable: this.#login !== undefined, refreshed });
      }
    }
  }

  async #refresh(stream: string | undefined): Promise<void> {
    this.#refreshing ??= (async () => {
      try {
        const session = await signIn(this.#login!, this.#options, stream);
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

/** Signs in once over the given transport. */
type LoginFlow = (transport: FetchTransport) => Promise<Session>;

/** How to sign in again for the auth type; undefined for access_token (nothing to refresh with). */
function loginFlow(auth: SalesforceAuth, value: unknown, options: SalesforceClientOptions): LoginFlow | undefined {
  const { loginUrl, apiVersion } = options;
  // jsforce's OAuth2 takes no transport option: set the field its constructor fills.
  const oauth2 = (transport: FetchTransport, config: ConstructorParameters<typeof OAuth2>[0]): OAuth2 => {
    const client = new OAuth2(config);
    client._transport = transport as unknown as OAuth2['_transport'];
    return client;
  };
  switch (auth.type) {
    case 'access_token':
      return undefined;
    case 'refresh_token': {
      const secret = RefreshTokenSecret.safeParse(value);
      if (!secret.success) throw new SecretError(`secret "${auth.secret}" must be JSON with client_id, client_secret and refresh_token`);
      const { client_id, client_secret, refresh_token } = secret.data;
      return async (transport) => sessionOf(await oauth2(transport, { loginUrl, clientId: client_id, ...(client_secret ? { clientSecret: client_secret } : {}) }).refreshToken(refresh_token));
    }
    case 'jwt_bearer': {
      const secret = JwtBearerSecret.safeParse(value);
      if (!secret.success) throw new SecretError(`secret "${auth.secret}" must be JSON with client_id, username and private_key`);
      const { client_id, username, private_key } = secret.data;
      return async (transport) => {
        let assertion: string;
        try {
          assertion = buildJwtAssertion({ clientId: client_id, username, audience: loginUrl, privateKey: private_key });
        } catch {
          throw new SecretError(`secret "${auth.secret}": private_key is not a PEM private key`);
        }
        return sessionOf(await oauth2(transport, { loginUrl }).requestToken({ grant_type: jwtBearerGrantType, assertion }));
      };
    }
    case 'username_password': {
      const secret = UsernamePasswordSecret.safeParse(value);
      if (!secret.success) throw new SecretError(`secret "${auth.secret}" must be JSON with username, password and security_token (client_id, client_secret optional)`);
      const { username, password, security_token, client_id, client_secret } = secret.data;
      if (client_id && client_secret) {
        return async (transport) => sessionOf(await oauth2(transport, { loginUrl, clientId: client_id, clientSecret: client_secret }).authenticate(username, password + security_token));
      }
      return async (transport) => {
        const conn = new Connection({ loginUrl, version: apiVersion });
        conn._transport = transport as unknown as Connection['_transport'];
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

/**
 * Runs a login flow under the retry policy: no answer, a dropped or cut answer, 429 (after its
 * Retry-After) and 5xx are retried; a refused grant is not. The transport keeps the endpoint's last
 * answer, since jsforce's errors lose its status and headers.
 */
async function signIn(login: LoginFlow, options: SalesforceClientOptions, stream: string | undefined): Promise<Session> {
  const info = { sourceId: options.sourceId, authType: options.auth.type, loginUrl: options.loginUrl, secretName: options.auth.secret, stream };
  return withRetry(
    async () => {
      let answer: { response: TransportResponse; request: TransportRequest } | undefined;
      const transport = transportFor(options, (response, request) => (answer = { response, request }));
      try {
        return await login(transport);
      } catch (error) {
        if (error instanceof SecretError) throw error;
        throw loginError(error, answer, info);
      }
    },
    decisionOf,
    {
      ...(options.retryPolicy ? { policy: options.retryPolicy } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
      onRetry: (error, delayMs, attempt) => options.log.warn(`retrying after ${(error as Error).message}`, { attempt, delayMs: Math.round(delayMs) }),
    },
  );
}

function transportFor(options: SalesforceClientOptions, onResponse?: (response: TransportResponse, request: TransportRequest) => void): Connection['_transport'] & FetchTransport {
  const transport = new FetchTransport({ idleTimeoutMs: options.idleTimeoutMs ?? defaultIdleTimeoutMs, ...(onResponse ? { onResponse } : {}) });
  // jsforce types its transport as its own class; it only ever calls httpRequest(), which this one has.
  return transport as unknown as Connection['_transport'] & FetchTransport;
}

function isExpiredSession(error: unknown, status: number | undefined): boolean {
  return status === 401 || (error as { errorCode?: unknown } | null)?.errorCode === 'INVALID_SESSION_ID';
}

/**
 * A Bulk results page as records, inside the retry loop: a body that is not the CSV announced (a
 * proxy's HTML page, a count short of Sforce-NumberOfRecords, a cut quoted value) is asked again
 * with the same locator, which returns the same page.
 */
function csvPage(result: SendResult, what: string, context: ErrorContext): Array<Record<string, string>> {
  const body = typeof result.body === 'string' ? result.body : '';
  const withStatus = { ...context, status: result.status };
  if (/html/i.test(result.headers['content-type'] ?? '') || body.trimStart().startsWith('<')) {
    throw new SourceError(`Salesforce ${what} returned a body that is not CSV (HTTP ${result.status}; a proxy's page?)`, { context: withStatus, retryable: true });
  }
  let records: Array<Record<string, string>>;
  try {
    records = parseCsvRecords(body);
  } catch (cause) {
    throw new SourceError(`Salesforce ${what} are not valid CSV (cut short?): ${(cause as Error).message}`, { cause, context: withStatus, retryable: true });
  }
  const announced = result.headers['sforce-numberofrecords'];
  if (announced !== undefined && Number(announced) !== records.length) {
    throw new SourceError(`Salesforce ${what}: Sforce-NumberOfRecords says ${announced}, the CSV has ${records.length} rows (cut short?)`, {
      context: withStatus, retryable: true,
    });
  }
  return records;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
