import { analyticsdata, type analyticsdata_v1beta } from '@googleapis/analyticsdata';
import { JWT, OAuth2Client } from 'google-auth-library';
import { z } from 'zod';
import { SecretError, SourceError } from '../../core/errors.ts';
import { JsonItems, parseWithLazyArray } from '../../core/json/json-items.ts';
import type { Logger } from '../../core/log.ts';
import { parseRetryAfter, withRetry, type RetryDecision, type RetryPolicy } from '../../core/retry.ts';
import type { SecretStore } from '../../core/secrets.ts';
import type { Ga4Auth } from './config.ts';
import { RunReportResponse, type RunReportRequest } from './report.ts';

/**
 * The only file that imports the Google client libraries: auth, the runReport call, offset paging
 * and retries. Everything above it sees parsed `RunReportResponse` objects.
 */

const readonlyScope = 'https://www.googleapis.com/auth/analytics.readonly';

const ServiceAccountKey = z.object({ client_email: z.string(), private_key: z.string() });
const OAuthRefreshToken = z.object({ client_id: z.string(), client_secret: z.string(), refresh_token: z.string() });

export async function createGa4Auth(auth: Ga4Auth, secrets: SecretStore): Promise<OAuth2Client> {
  const value = await secrets.get(auth.secret);
  if (auth.type === 'access_token') {
    const token = typeof value === 'string' ? value : (value as { access_token?: unknown } | null)?.access_token;
    if (typeof token !== 'string' || token === '') throw new SecretError(`secret "${auth.secret}" must be an access token string or { "access_token": … }`);
    return accessTokenAuth(token);
  }
  if (auth.type === 'service_account') {
    const key = ServiceAccountKey.safeParse(value);
    if (!key.success) throw new SecretError(`secret "${auth.secret}" must be a service-account key JSON with client_email and private_key`);
    return new JWT({ email: key.data.client_email, key: key.data.private_key, scopes: [readonlyScope] });
  }
  const token = OAuthRefreshToken.safeParse(value);
  if (!token.success) throw new SecretError(`secret "${auth.secret}" must be JSON with client_id, client_secret and refresh_token`);
  const client = new OAuth2Client({ clientId: token.data.client_id, clientSecret: token.data.client_secret });
  client.setCredentials({ refresh_token: token.data.refresh_token });
  return client;
}

/** The sandbox (and any pre-issued token) takes a plain bearer token. */
export function accessTokenAuth(accessToken: string): OAuth2Client {
  const client = new OAuth2Client();
  client.setCredentials({ access_token: accessToken });
  return client;
}

/** GA4 answered 429 RESOURCE_EXHAUSTED for a property-token quota: wait for the next hour or day. */
export class Ga4QuotaExhaustedError extends SourceError {}

export interface Ga4ClientOptions {
  readonly sourceId: string;
  readonly propertyId: string;
  readonly auth: OAuth2Client;
  readonly rootUrl?: string;
  readonly log: Logger;
  readonly retryPolicy?: RetryPolicy;
}

export class Ga4Client {
  readonly #api: analyticsdata_v1beta.Analyticsdata;
  readonly #options: Ga4ClientOptions;

  constructor(options: Ga4ClientOptions) {
    this.#options = options;
    this.#api = analyticsdata({ version: 'v1beta', auth: options.auth, ...(options.rootUrl ? { rootUrl: options.rootUrl } : {}) });
  }

  /** Every page of one report, walking `offset` until `rowCount` rows have been read. */
  async *pages(request: Omit<RunReportRequest, 'offset'>, stream: string): AsyncGenerator<RunReportResponse> {
    for (let offset = 0; ; ) {
      const page = await this.runReport({ ...request, offset }, stream);
      yield page;
      // The caller asks for the next page once this one's rows are mapped: its bytes can go now.
      if (page.rows instanceof JsonItems) page.rows.release();
      offset += page.rows.length;
      if (page.rows.length === 0 || offset >= (page.rowCount ?? 0)) return;
    }
  }

  async runReport(request: RunReportRequest, stream: string): Promise<RunReportResponse> {
    const { sourceId, propertyId, log } = this.#options;
    const context = { source: sourceId, stream };
    return await withRetry(
      async () => {
        let answer;
        try {
          answer = await this.#api.properties.runReport(
            { property: `properties/${propertyId}`, requestBody: toRequestBody(request) },
            // Our own retry loop classifies errors and honours Retry-After; gaxios' would double it.
            // The body comes as bytes: a page of 100,000 rows is parsed a row at a time as it is mapped.
            { retry: false, responseType: 'arraybuffer' },
          );
        } catch (error) {
          throw toSourceError(error, context);
        }
        return parsePage(answer.data as unknown as ArrayBuffer, answer.status, context);
      },
      (error) => (error instanceof SourceError ? decisionOf(error) : { retryable: false }),
      {
        ...(this.#options.retryPolicy ? { policy: this.#options.retryPolicy } : {}),
        onRetry: (error, delay, attempt) => log.warn(`retrying after ${(error as Error).message}`, { attempt, delayMs: Math.round(delay) }),
      },
    );
  }
}

function parsePage(body: ArrayBuffer, status: number, context: { source: string; stream: string }): RunReportResponse {
  let page;
  try {
    page = parseWithLazyArray(Buffer.from(body), 'rows');
  } catch (error) {
    // A body cut short (or a proxy's HTML page) is worth another attempt, unlike a JSON body of the wrong shape.
    throw new SourceError(`GA4 runReport returned a body that is not JSON (HTTP ${status}; cut short?)`, {
      cause: error, context: { ...context, status }, retryable: true,
    });
  }
  const parsed = RunReportResponse.safeParse(page.value);
  if (!parsed.success) {
    throw new SourceError(`GA4 runReport returned an unexpected body: ${parsed.error.issues[0]?.message}`, { context });
  }
  return page.items.length > 0 ? { ...parsed.data, rows: page.items } : parsed.data;
}

function toRequestBody(request: RunReportRequest): analyticsdata_v1beta.Schema$RunReportRequest {
  // int64 fields travel as strings in Google's JSON.
  return {
    ...request,
    limit: String(request.limit),
    offset: String(request.offset),
    dateRanges: request.dateRanges.map((r) => ({ ...r })),
    dimensions: request.dimensions.map((d) => ({ ...d })),
    metrics: request.metrics.map((m) => ({ ...m })),
  };
}

function decisionOf(error: SourceError): RetryDecision {
  return { retryable: error.retryable, ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }) };
}

interface GaxiosLikeError {
  status?: number;
  code?: string | number;
  message?: string;
  response?: { status?: number; data?: unknown; headers?: { get?(name: string): string | null } | Record<string, string> };
}

function toSourceError(error: unknown, context: { source: string; stream: string }): SourceError {
  const e = (error ?? {}) as GaxiosLikeError;
  const status = e.response?.status ?? (typeof e.status === 'number' ? e.status : undefined);
  const body = errorBody(e.response?.data);
  const detail = body?.error?.message ?? e.message ?? 'request failed';
  const headers = e.response?.headers;
  const retryAfter = headers && typeof (headers as { get?: unknown }).get === 'function'
    ? (headers as { get(name: string): string | null }).get('retry-after')
    : (headers as Record<string, string> | undefined)?.['retry-after'];
  const withStatus = { ...context, ...(status === undefined ? {} : { status }) };

  if (status === 429 && body?.error?.status === 'RESOURCE_EXHAUSTED' && /exhausted .*tokens/i.test(detail)) {
    return new Ga4QuotaExhaustedError(`GA4 quota exhausted: ${detail}`, { cause: error, context: withStatus });
  }
  if (status === 401 || status === 403) {
    const what = status === 401 ? 'rejected the credentials' : 'denied access to the property';
    return new SourceError(`GA4 ${what} (HTTP ${status}): ${detail}. Check the source's auth secret and that it can read the property.`, {
      cause: error, context: withStatus, retryable: false,
    });
  }
  const retryable = status === undefined ? isNetworkError(e) : status === 429 || status >= 500;
  const message = status === undefined ? `GA4 request failed: ${detail}` : `GA4 runReport failed (HTTP ${status}): ${detail}`;
  const retryAfterMs = parseRetryAfter(retryAfter ?? undefined);
  return new SourceError(message, { cause: error, context: withStatus, retryable, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
}

/** The error JSON of a failed call: the body comes as bytes (responseType arraybuffer); a proxy's page is not JSON. */
function errorBody(data: unknown): { error?: { message?: string; status?: string } } | undefined {
  if (!(data instanceof ArrayBuffer) && !ArrayBuffer.isView(data)) return data as { error?: { message?: string; status?: string } } | undefined;
  try {
    return JSON.parse(Buffer.from(data instanceof ArrayBuffer ? data : data.buffer, data instanceof ArrayBuffer ? 0 : data.byteOffset, data.byteLength).toString('utf8')) as { error?: { message?: string; status?: string } };
  } catch {
    return undefined;
  }
}

function isNetworkError(error: GaxiosLikeError): boolean {
  return ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'UND_ERR_SOCKET'].includes(String(error.code)) ||
    /socket hang up|fetch failed|terminated|Unexpected end of JSON|invalid json/i.test(error.message ?? '');
}
