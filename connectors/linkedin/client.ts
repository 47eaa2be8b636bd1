import { z } from 'zod';
import { SecretError, SourceError, type ErrorContext } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import { parseRetryAfter, withRetry, type RetryDecision, type RetryPolicy } from '../../core/retry.ts';
import type { SecretStore } from '../../core/secrets.ts';
import {
  AdAccount, AdCampaignGroupSearchResponse, AdCampaignSearchResponse, AnalyticsResponse, LinkedinErrorBody,
  TokenErrorBody, TokenResponse, type AdCampaign, type AdCampaignGroup,
} from './api.ts';
import type { LinkedinAuth } from './config.ts';
import { encodeRestliValue, restliDateRange, restliList, restliQuery } from './restli.ts';

/**
 * The only file that talks HTTP to LinkedIn: OAuth token refresh, the versioned REST headers, the
 * adAnalytics finder, cursor paging of the search finders, retries and error classification.
 * Everything above it sees zod-parsed responses.
 */

const OAuthRefreshSecret = z.object({
  client_id: z.string().min(1),
  client_secret: z.string().min(1),
  refresh_token: z.string().min(1),
  access_token: z.string().min(1).optional(),
});

/** What the client authenticates with; secret values stay in here and never reach a message. */
export type LinkedinCredentials =
  | { readonly kind: 'access_token'; readonly secretName: string; readonly accessToken: string }
  | {
    readonly kind: 'refresh_token'; readonly secretName: string; readonly tokenUrl: string;
    readonly clientId: string; readonly clientSecret: string; readonly refreshToken: string; readonly accessToken?: string;
  };

export async function resolveLinkedinCredentials(auth: LinkedinAuth, secrets: SecretStore, tokenUrl: string): Promise<LinkedinCredentials> {
  const value = await secrets.get(auth.secret);
  if (auth.type === 'access_token') {
    const token = typeof value === 'string' ? value : (value as { access_token?: unknown } | null)?.access_token;
    if (typeof token !== 'string' || token === '') throw new SecretError(`secret "${auth.secret}" must be a LinkedIn access token string or { "access_token": … }`);
    return { kind: 'access_token', secretName: auth.secret, accessToken: token };
  }
  const parsed = OAuthRefreshSecret.safeParse(value);
  if (!parsed.success) throw new SecretError(`secret "${auth.secret}" must be JSON with client_id, client_secret and refresh_token (and optionally access_token)`);
  return {
    kind: 'refresh_token', secretName: auth.secret, tokenUrl,
    clientId: parsed.data.client_id, clientSecret: parsed.data.client_secret, refreshToken: parsed.data.refresh_token,
    ...(parsed.data.access_token ? { accessToken: parsed.data.access_token } : {}),
  };
}

/** LinkedIn answered 429 for a daily (UTC) quota: retrying before midnight UTC cannot succeed. */
export class LinkedinDailyLimitError extends SourceError {}

export interface LinkedinClientOptions {
  readonly sourceId: string;
  /** `https://api.linkedin.com/` or a sandbox; `rest/…` is appended. */
  readonly apiRoot: string;
  /** `LinkedIn-Version` header, YYYYMM. */
  readonly apiVersion: string;
  readonly credentials: LinkedinCredentials;
  readonly log: Logger;
  readonly retryPolicy?: RetryPolicy;
}

/** Codes LinkedIn uses when a token was valid once: a refresh can cure these, nothing else. */
const renewableTokenCodes = new Set(['EXPIRED_ACCESS_TOKEN', 'REVOKED_ACCESS_TOKEN']);
const renewableServiceErrorCodes = new Set([65601, 65602]);

interface SearchPage<E> {
  readonly elements: E[];
  readonly metadata?: { readonly nextPageToken?: string | null | undefined } | undefined;
}

interface RawResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

export class LinkedinClient {
  readonly #options: LinkedinClientOptions;
  readonly #apiRoot: string;
  /** The access token in use; replaced when LinkedIn says it expired (refresh-token mode only). */
  #token: Promise<string> | undefined;

  constructor(options: LinkedinClientOptions) {
    this.#options = options;
    this.#apiRoot = options.apiRoot.endsWith('/') ? options.apiRoot : `${options.apiRoot}/`;
    const { credentials } = options;
    if (credentials.kind === 'access_token') this.#token = Promise.resolve(credentials.accessToken);
    else if (credentials.accessToken) this.#token = Promise.resolve(credentials.accessToken);
  }

  /** `GET /rest/adAccounts/{id}`: name and currency. */
  adAccount(accountId: string, stream: string): Promise<AdAccount> {
    return this.#get(`rest/adAccounts/${accountId}`, AdAccount, 'adAccounts get', { stream, accountId });
  }

  /** Every campaign of the account, a page at a time (`q=search`, cursor `pageToken`). */
  campaigns(accountId: string, pageSize: number, stream: string): AsyncGenerator<AdCampaign[]> {
    return this.#search(`rest/adAccounts/${accountId}/adCampaigns`, AdCampaignSearchResponse, pageSize, 'adCampaigns search', { stream, accountId });
  }

  /** Every campaign group of the account, a page at a time. */
  campaignGroups(accountId: string, pageSize: number, stream: string): AsyncGenerator<AdCampaignGroup[]> {
    return this.#search(`rest/adAccounts/${accountId}/adCampaignGroups`, AdCampaignGroupSearchResponse, pageSize, 'adCampaignGroups search', { stream, accountId });
  }

  /**
   * Daily metrics per campaign of one account over [from, to] (UTC days). adAnalytics does not page:
   * the caller keeps campaigns × days under the element cap.
   */
  analytics(accountId: string, range: { from: string; to: string }, fields: readonly string[], stream: string): Promise<AnalyticsResponse> {
    const query = restliQuery([
      ['q', 'analytics'],
      ['pivot', 'CAMPAIGN'],
      ['timeGranularity', 'DAILY'],
      ['dateRange', restliDateRange(range.from, range.to)],
      ['accounts', restliList([`urn:li:sponsoredAccount:${accountId}`])],
      ['fields', fields.join(',')],
    ]);
    return this.#get(`rest/adAnalytics?${query}`, AnalyticsResponse, 'adAnalytics', { stream, accountId });
  }

  async *#search<E>(
    path: string, schema: z.ZodType<SearchPage<E>>, pageSize: number, what: string, context: { stream: string; accountId: string },
  ): AsyncGenerator<E[]> {
    const seen = new Set<string>();
    for (let pageToken: string | undefined; ;) {
      const query = restliQuery([
        ['q', 'search'],
        ['pageSize', String(pageSize)],
        ...(pageToken === undefined ? [] : [['pageToken', encodeRestliValue(pageToken)] as const]),
      ]);
      const page = await this.#get(`${path}?${query}`, schema, what, context);
      yield page.elements;
      const next = page.metadata?.nextPageToken ?? undefined;
      if (next === undefined) return;
      // A cursor that comes back again would loop for ever.
      if (seen.has(next)) throw new SourceError(`LinkedIn ${what} returned the same nextPageToken twice`, { context: { source: this.#options.sourceId, ...context } });
      seen.add(next);
      pageToken = next;
    }
  }

  async #get<T>(pathAndQuery: string, schema: z.ZodType<T>, what: string, extra: { stream: string; accountId?: string }): Promise<T> {
    const { log } = this.#options;
    const context: ErrorContext = { source: this.#options.sourceId, ...extra };
    const url = this.#apiRoot + pathAndQuery;
    const body = await withRetry(
      async () => {
        let token = await this.#currentToken(context);
        let response = await this.#send(url, token, what, context);
        if (response.status === 401 && this.#options.credentials.kind === 'refresh_token' && isRenewableTokenError(response)) {
          log.info('LinkedIn access token expired or revoked; refreshing it once');
          token = await this.#renewToken(token, context);
          response = await this.#send(url, token, what, context);
        }
        if (response.status < 200 || response.status >= 300) throw this.#toSourceError(response, what, context);
        try {
          return JSON.parse(response.text) as unknown;
        } catch (cause) {
          throw new SourceError(`LinkedIn ${what} returned a body that is not JSON`, { cause, context: { ...context, status: response.status }, retryable: true });
        }
      },
      classify,
      {
        ...(this.#options.retryPolicy ? { policy: this.#options.retryPolicy } : {}),
        onRetry: (error, delay, attempt) => log.warn(`retrying after ${(error as Error).message}`, { attempt, delayMs: Math.round(delay) }),
      },
    );
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new SourceError(`LinkedIn ${what} returned an unexpected body: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`, { context });
    }
    return parsed.data;
  }

  async #send(url: string, token: string, what: string, context: ErrorContext): Promise<RawResponse> {
    try {
      const response = await fetch(url, {
        headers: {
          Authorization: `Bearer ${token}`,
          'LinkedIn-Version': this.#options.apiVersion,
          'X-Restli-Protocol-Version': '2.0.0',
          Accept: 'application/json',
        },
      });
      return { status: response.status, headers: response.headers, text: await response.text() };
    } catch (cause) {
      throw new SourceError(`LinkedIn ${what} request failed: ${this.#scrub(describeCause(cause))}`, { cause, context, retryable: true });
    }
  }

  #currentToken(context: ErrorContext): Promise<string> {
    // Refresh-token mode without a stored access token: the first request mints one.
    this.#token ??= this.#refresh(context);
    return this.#token;
  }

  /** Replaces the token that failed, unless another request already did. */
  async #renewToken(stale: string, context: ErrorContext): Promise<string> {
    const current = await this.#token;
    if (current !== undefined && current !== stale) return current;
    const next = this.#refresh(context);
    this.#token = next;
    return next;
  }

  #refresh(context: ErrorContext): Promise<string> {
    const credentials = this.#options.credentials;
    if (credentials.kind !== 'refresh_token') return Promise.reject(new Error('an access token cannot be refreshed'));
    const tokenContext = { ...context, endpoint: 'oauth token' };
    const promise = withRetry(
      async () => {
        let response: RawResponse;
        try {
          const answer = await fetch(credentials.tokenUrl, {
            method: 'POST',
            headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
            body: new URLSearchParams({
              grant_type: 'refresh_token',
              refresh_token: credentials.refreshToken,
              client_id: credentials.clientId,
              client_secret: credentials.clientSecret,
            }).toString(),
          });
          response = { status: answer.status, headers: answer.headers, text: await answer.text() };
        } catch (cause) {
          throw new SourceError(`LinkedIn token refresh request failed: ${this.#scrub(describeCause(cause))}`, { cause, context: tokenContext, retryable: true });
        }
        if (response.status >= 200 && response.status < 300) {
          const parsed = TokenResponse.safeParse(parseJson(response.text));
          if (!parsed.success) throw new SourceError('LinkedIn token endpoint returned a body without access_token', { context: { ...tokenContext, status: response.status } });
          return parsed.data.access_token;
        }
        const error = TokenErrorBody.safeParse(parseJson(response.text));
        const detail = error.success ? `${error.data.error}${error.data.error_description ? `: ${error.data.error_description}` : ''}` : 'no error body';
        const status = { ...tokenContext, status: response.status };
        if (response.status === 429 || response.status >= 500) {
          const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
          throw new SourceError(`LinkedIn token endpoint failed (HTTP ${response.status}): ${this.#scrub(detail)}`, {
            context: status, retryable: true, ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
          });
        }
        throw new SourceError(
          `LinkedIn refused the refresh token (HTTP ${response.status} ${this.#scrub(detail)}). Refresh tokens last 365 days from the member's ` +
          `authorisation and can be revoked: authorise the app again and update client_id, client_secret and refresh_token in secret "${credentials.secretName}".`,
          { context: status },
        );
      },
      classify,
      {
        ...(this.#options.retryPolicy ? { policy: this.#options.retryPolicy } : {}),
        onRetry: (error, delay, attempt) => this.#options.log.warn(`retrying after ${(error as Error).message}`, { attempt, delayMs: Math.round(delay) }),
      },
    );
    // The token call already had its own retries: the request around it must not repeat them.
    const settled = promise.catch((error: unknown) => {
      throw error instanceof SourceError && error.retryable
        ? new SourceError(error.message, { cause: error, context: error.context, retryable: false })
        : error;
    });
    // A failed refresh must not stick: a later request may try again.
    settled.catch(() => {
      if (this.#token === settled) this.#token = undefined;
    });
    return settled;
  }

  #toSourceError(response: RawResponse, what: string, context: ErrorContext): SourceError {
    const { status } = response;
    const parsed = LinkedinErrorBody.safeParse(parseJson(response.text));
    const body = parsed.success ? parsed.data : undefined;
    const code = body?.code ?? (body?.serviceErrorCode === undefined ? undefined : String(body.serviceErrorCode));
    const detail = this.#scrub(`${code ? `${code}: ` : ''}${body?.message ?? (response.text.slice(0, 200) || 'no error body')}`);
    const withStatus = { ...context, status, ...(code ? { code } : {}) };
    const credentials = this.#options.credentials;

    if (status === 401) {
      if (credentials.kind === 'access_token' && isRenewableTokenError(response)) {
        return new SourceError(
          `LinkedIn access token is no longer valid (HTTP 401 ${detail}). LinkedIn access tokens last 60 days: renew it and update ` +
          `secret "${credentials.secretName}", or use auth type oauth_refresh_token so the connector refreshes it.`,
          { context: withStatus },
        );
      }
      return new SourceError(
        `LinkedIn rejected the credentials (HTTP 401 ${detail}). Check the source's auth secret "${credentials.secretName}".`,
        { context: withStatus },
      );
    }
    if (status === 403) {
      return new SourceError(
        `LinkedIn denied access to ${what} (HTTP 403 ${detail}). Check that the authorising member has a role on ad account ` +
        `${String(context.accountId ?? '?')} and that the token has the r_ads and r_ads_reporting scopes.`,
        { context: withStatus },
      );
    }
    if (status === 426) {
      return new SourceError(
        `LinkedIn no longer serves API version ${this.#options.apiVersion} (HTTP 426 ${detail}). Set apiVersion to a current YYYYMM version.`,
        { context: withStatus },
      );
    }
    if (status === 429) {
      if (/\bDAY\b/.test(body?.message ?? '')) {
        return new LinkedinDailyLimitError(`LinkedIn daily API limit reached (HTTP 429 ${detail}); it resets at midnight UTC`, { context: withStatus });
      }
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      return new SourceError(`LinkedIn throttled ${what} (HTTP 429 ${detail})`, {
        context: withStatus, retryable: true, ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      });
    }
    if (status >= 500) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      return new SourceError(`LinkedIn ${what} failed (HTTP ${status} ${detail})`, {
        context: withStatus, retryable: true, ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      });
    }
    return new SourceError(
      `LinkedIn rejected the ${what} request (HTTP ${status} ${detail}). Check accountIds and apiVersion (${this.#options.apiVersion}).`,
      { context: withStatus },
    );
  }

  /** Removes every secret value from text that may be shown or logged. */
  #scrub(text: string): string {
    const credentials = this.#options.credentials;
    const secrets = credentials.kind === 'access_token'
      ? [credentials.accessToken]
      : [credentials.refreshToken, credentials.clientSecret, credentials.accessToken ?? ''];
    return secrets.filter((s) => s.length >= 4).reduce((out, secret) => out.split(secret).join('[redacted]'), text);
  }
}

function isRenewableTokenError(response: RawResponse): boolean {
  const parsed = LinkedinErrorBody.safeParse(parseJson(response.text));
  if (!parsed.success) return false;
  return renewableTokenCodes.has(parsed.data.code ?? '') || renewableServiceErrorCodes.has(parsed.data.serviceErrorCode ?? -1);
}

function classify(error: unknown): RetryDecision {
  if (!(error instanceof SourceError)) return { retryable: false };
  return { retryable: error.retryable, ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }) };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function describeCause(cause: unknown): string {
  const error = cause as { message?: string; cause?: { code?: string; message?: string } } | undefined;
  const inner = error?.cause?.code ?? error?.cause?.message;
  return [error?.message ?? String(cause), inner].filter(Boolean).join(': ');
}
