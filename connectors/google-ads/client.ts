import { OAuth2Client } from 'google-auth-library';
import { z } from 'zod';
import { SecretError, SourceError, type ErrorContext } from '../../core/errors.ts';
import { JsonItems } from '../../core/json/json-items.ts';
import type { Logger } from '../../core/log.ts';
import { parseRetryAfter, withRetry, type RetryDecision, type RetryPolicy } from '../../core/retry.ts';
import type { SecretStore } from '../../core/secrets.ts';
import type { GoogleAdsAuth } from './config.ts';
import {
  errorCodeName, findRpcStatus, googleAdsErrors, parseDuration, SearchStreamResponse, splitSearchStream,
  type RpcStatus, type SearchStreamBatch,
} from './report.ts';

/**
 * The only file that talks HTTP to Google Ads: OAuth (google-auth-library refreshes access tokens
 * itself), the REST `googleAds:searchStream` call, retries with the server's hints, and error
 * classification. Everything above it sees parsed `SearchStreamBatch`es.
 */

export const defaultGoogleAdsRoot = 'https://googleads.googleapis.com/';

const OAuthRefreshSecret = z.object({
  client_id: z.string().min(1),
  client_secret: z.string().min(1),
  refresh_token: z.string().min(1),
  developer_token: z.string().min(1).optional(),
});
const AccessTokenSecret = z.object({ access_token: z.string().min(1), developer_token: z.string().min(1).optional() });

export interface GoogleAdsCredentials {
  readonly auth: OAuth2Client;
  /** Sent as the `developer-token` header when set; Google ignores it since the 2026-09-09 sunset. */
  readonly developerToken?: string;
}

export async function createGoogleAdsCredentials(auth: GoogleAdsAuth, secrets: SecretStore): Promise<GoogleAdsCredentials> {
  const value = await secrets.get(auth.secret);
  if (auth.type === 'access_token') {
    if (typeof value === 'string' && value !== '') return accessTokenCredentials(value);
    const parsed = AccessTokenSecret.safeParse(value);
    if (!parsed.success) throw new SecretError(`secret "${auth.secret}" must be an access token string or JSON with access_token (and optionally developer_token)`);
    return accessTokenCredentials(parsed.data.access_token, parsed.data.developer_token);
  }
  const parsed = OAuthRefreshSecret.safeParse(value);
  if (!parsed.success) {
    throw new SecretError(`secret "${auth.secret}" must be JSON with client_id, client_secret and refresh_token (and optionally developer_token)`);
  }
  const client = new OAuth2Client({ clientId: parsed.data.client_id, clientSecret: parsed.data.client_secret });
  client.setCredentials({ refresh_token: parsed.data.refresh_token });
  return { auth: client, ...(parsed.data.developer_token ? { developerToken: parsed.data.developer_token } : {}) };
}

/** A pre-issued bearer token (the sandbox's, or one minted elsewhere). */
export function accessTokenCredentials(accessToken: string, developerToken?: string): GoogleAdsCredentials {
  const client = new OAuth2Client();
  client.setCredentials({ access_token: accessToken });
  return { auth: client, ...(developerToken ? { developerToken } : {}) };
}

/**
 * The account's daily operations are used up (`quotaError: RESOURCE_EXHAUSTED` with no short
 * retry delay): retrying today is pointless, so the stream stops cleanly and resumes next run.
 */
export class GoogleAdsQuotaExhaustedError extends SourceError {}

/** Retry hints longer than this are not waited for: the run stops and the next one continues. */
const longestWaitMs = 10 * 60_000;

export interface GoogleAdsClientOptions {
  readonly sourceId: string;
  readonly credentials: GoogleAdsCredentials;
  /** API root; default https://googleads.googleapis.com/. */
  readonly rootUrl?: string;
  readonly apiVersion: string;
  /** The manager account the credentials reach the customers through (`login-customer-id`). */
  readonly loginCustomerId?: string;
  readonly log: Logger;
  readonly retryPolicy?: RetryPolicy;
  /** Per request; searchStream answers with the whole result, so allow for large ones. Default 5 min. */
  readonly requestTimeoutMs?: number;
}

export class GoogleAdsClient {
  readonly #options: GoogleAdsClientOptions;
  readonly #root: string;

  constructor(options: GoogleAdsClientOptions) {
    this.#options = options;
    const root = options.rootUrl ?? defaultGoogleAdsRoot;
    this.#root = root.endsWith('/') ? root : `${root}/`;
  }

  /**
   * Every batch of one GAQL query's result. The response is read whole before the first batch is
   * yielded, so a failed attempt is retried without ever handing out a row twice.
   */
  async *searchStream(customerId: string, query: string, stream: string, signal?: AbortSignal): AsyncGenerator<SearchStreamBatch> {
    const context: ErrorContext = { source: this.#options.sourceId, stream, customerId };
    const batches = await withRetry(
      () => this.#post(customerId, query, context, signal),
      (error) => (error instanceof SourceError && !signal?.aborted ? decisionOf(error) : { retryable: false }),
      {
        ...(this.#options.retryPolicy ? { policy: this.#options.retryPolicy } : {}),
        onRetry: (error, delay, attempt) => this.#options.log.warn(`retrying after ${(error as Error).message}`, { attempt, delayMs: Math.round(delay) }),
      },
    );
    yield* batches;
    // Every batch has been handed out and mapped: the response's bytes (shared by its batches) can go now.
    const results = batches[0]?.results;
    if (results instanceof JsonItems) results.release();
  }

  async #post(customerId: string, query: string, context: ErrorContext, signal: AbortSignal | undefined): Promise<SearchStreamBatch[]> {
    const { apiVersion, loginCustomerId, credentials } = this.#options;
    const url = `${this.#root}${apiVersion}/customers/${customerId}/googleAds:searchStream`;
    const headers: Record<string, string> = {
      Authorization: `Bearer ${await accessToken(credentials.auth, context)}`,
      'Content-Type': 'application/json',
      ...(credentials.developerToken ? { 'developer-token': credentials.developerToken } : {}),
      ...(loginCustomerId ? { 'login-customer-id': loginCustomerId } : {}),
    };
    const timeout = AbortSignal.timeout(this.#options.requestTimeoutMs ?? 300_000);
    let response: Response;
    let bytes: Buffer;
    try {
      response = await fetch(url, {
        method: 'POST', headers, body: JSON.stringify({ query }),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      // Bytes, not text: the rows of a large result are decoded and parsed one at a time as they are mapped.
      bytes = Buffer.from(await response.arrayBuffer());
    } catch (error) {
      if (signal?.aborted) throw error;
      const what = timeout.aborted ? 'timed out' : `failed: ${describeNetworkError(error)}`;
      throw new SourceError(`Google Ads searchStream request ${what}`, { cause: error, context, retryable: true });
    }

    let elements: ReturnType<typeof splitSearchStream>;
    try {
      elements = splitSearchStream(bytes);
    } catch (error) {
      if (response.ok) {
        // A stream cut short parses as nothing: worth another attempt.
        throw new SourceError('Google Ads searchStream returned a body that is not JSON (cut short?)', { cause: error, context: { ...context, status: response.status }, retryable: true });
      }
      throw httpError(response.status, undefined, response.headers, context);
    }
    // searchStream reports failures inside the stream, even after HTTP 200 and some batches.
    const status = findRpcStatus(elements.map((e) => e.value));
    if (!response.ok || status) throw httpError(status?.error.code ?? response.status, status, response.headers, context);

    const parsed = SearchStreamResponse.safeParse(elements.map((e) => e.value));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new SourceError(`Google Ads searchStream returned an unexpected body: ${issue?.message} at ${issue?.path.join('.') || '(top level)'}`, {
        context: { ...context, status: response.status },
      });
    }
    return parsed.data.map((batch, i) => (elements[i]!.results.length > 0 ? { ...batch, results: elements[i]!.results } : batch));
  }
}

async function accessToken(auth: OAuth2Client, context: ErrorContext): Promise<string> {
  try {
    const { token } = await auth.getAccessToken();
    if (!token) throw new Error('no access token');
    return token;
  } catch (error) {
    // Only Google's error code and description: the request that failed carried the refresh token.
    const data = (error as { response?: { status?: number; data?: { error?: unknown; error_description?: unknown } } }).response;
    const reason = [data?.data?.error, data?.data?.error_description].filter((part) => typeof part === 'string').join(': ');
    const status = data?.status;
    const retryable = status === undefined ? !reason : status === 429 || status >= 500;
    throw new SourceError(
      `Google OAuth could not issue an access token for Google Ads${status ? ` (HTTP ${status})` : ''}${reason ? `: ${reason}` : ''}. ` +
      "Check the source's auth secret: client_id, client_secret and a refresh_token with the https://www.googleapis.com/auth/adwords scope " +
      '(refresh tokens of a Cloud project in "Testing" publishing status expire after 7 days).',
      { cause: error, context: { ...context, ...(status ? { status } : {}) }, retryable },
    );
  }
}

function decisionOf(error: SourceError): RetryDecision {
  return { retryable: error.retryable, ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }) };
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  return code ?? (error instanceof Error ? error.message : String(error));
}

/** An HTTP status and Google's error body → a SourceError that says what to check. */
function httpError(httpStatus: number, rpc: RpcStatus | undefined, headers: Headers, context: ErrorContext): SourceError {
  const { errors, requestId } = rpc ? googleAdsErrors(rpc) : { errors: [], requestId: undefined };
  const first = errors[0];
  const code = first ? errorCodeName(first) : undefined;
  const status = rpc?.error.status;
  const detail = [
    [`HTTP ${httpStatus}`, status].filter(Boolean).join(' '),
    code ? `${code}: ${first?.message ?? ''}`.trim() : rpc?.error.message,
    requestId ? `request id ${requestId}` : undefined,
  ].filter(Boolean).join(', ');
  const withStatus: ErrorContext = { ...context, status: httpStatus, ...(code ? { errorCode: code } : {}), ...(requestId ? { requestId } : {}) };
  const customer = String(context.customerId);

  if (httpStatus === 401) {
    return new SourceError(`Google Ads rejected the credentials (${detail}). Check the source's auth secret and that its Google account can sign in to Google Ads.`, {
      context: withStatus,
    });
  }
  if (httpStatus === 403) {
    return new SourceError(
      `Google Ads denied access to customer ${customer} (${detail}). Check that the credentials' Google account can read this customer, ` +
      'that loginCustomerId is the manager account it is reached through, and that the Cloud project has an API access level for production accounts.',
      { context: withStatus },
    );
  }
  if (httpStatus === 400) {
    return new SourceError(`Google Ads rejected the searchStream request for customer ${customer} (${detail}). Check the customer id and apiVersion.`, { context: withStatus });
  }
  if (httpStatus === 404) {
    return new SourceError(`Google Ads has no such method (${detail}). Check apiVersion (old versions are sunset after about a year) and endpoint.`, { context: withStatus });
  }
  if (httpStatus === 429) {
    const retryDelayMs = parseDuration(errors.find((e) => e.details?.quotaErrorDetails?.retryDelay)?.details?.quotaErrorDetails?.retryDelay)
      ?? parseRetryAfter(headers.get('retry-after'));
    const dailyLimit = code === 'quotaError.RESOURCE_EXHAUSTED' && retryDelayMs === undefined;
    if (dailyLimit || (retryDelayMs !== undefined && retryDelayMs > longestWaitMs)) {
      const when = retryDelayMs === undefined ? '' : ` (retry in ${Math.round(retryDelayMs / 1000)} s)`;
      return new GoogleAdsQuotaExhaustedError(`Google Ads quota exhausted${when}: ${detail}`, { context: withStatus });
    }
    return new SourceError(`Google Ads throttled the request (${detail})`, {
      context: withStatus, retryable: true, ...(retryDelayMs === undefined ? {} : { retryAfterMs: retryDelayMs }),
    });
  }
  const retryable = httpStatus >= 500 || httpStatus === 408;
  const retryAfterMs = parseRetryAfter(headers.get('retry-after'));
  return new SourceError(`Google Ads searchStream failed (${detail})`, {
    context: withStatus, retryable, ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}
