import type { z } from 'zod';
import type { DateWindow } from '../../core/connector.ts';
import { SecretError, SourceError } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import { parseRetryAfter, withRetry, type RetryDecision, type RetryPolicy } from '../../core/retry.ts';
import type { SecretStore } from '../../core/secrets.ts';
import type { MetaAuth } from './config.ts';
import {
  AdAccount, CampaignsPage, GraphErrorBody, InsightsPage, ReportRun, ReportRunCreated, insightFields,
  type GraphError,
} from './insights.ts';
import { isRateLimitCode, readUsage, throttleWaitMs, type MetaUsage } from './rate-limit.ts';

/**
 * The only file that talks HTTP to Meta's Graph API (Marketing API): auth, cursor paging, async
 * report runs, retries, pacing by the rate-limit headers, and turning Graph errors into SourceErrors.
 *
 * The token travels in an `Authorization: Bearer` header, never in a URL, so no URL the client
 * builds or logs carries it. Pages are followed with `paging.cursors.after` on a URL we build,
 * not with `paging.next` (which Meta fills with the query's own parameters).
 */

const defaultRoot = 'https://graph.facebook.com/';
const vendor = 'Meta';

/** The secret holds the token string or `{ "access_token": … }`. */
export async function readMetaAccessToken(auth: MetaAuth, secrets: SecretStore): Promise<string> {
  const value = await secrets.get(auth.secret);
  const token = typeof value === 'string' ? value : (value as { access_token?: unknown } | null)?.access_token;
  if (typeof token !== 'string' || token.trim() === '') {
    throw new SecretError(`secret "${auth.secret}" must be a Meta system-user access token string or { "access_token": … }`);
  }
  return token.trim();
}

/** Meta answered "reduce the amount of data" (code 1, or code 100 subcode 1487534): ask for a smaller window. */
export class MetaReduceDataError extends SourceError {}

/** Throttled for longer than the source may wait: stop cleanly, the next run continues. */
export class MetaThrottledError extends SourceError {}

/** Throttled, with the wait the client will take before retrying (internal to the retry loop). */
class MetaRateLimitError extends SourceError {}

export interface MetaRateLimitSettings {
  readonly slowDownAtPercent: number;
  readonly pauseMs: number;
  readonly fallbackWaitMs: number;
  readonly maxWaitMs: number;
  readonly maxRetries: number;
}

export interface MetaAsyncPollSettings {
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
  readonly timeoutMs: number;
}

export interface MetaClientOptions {
  readonly sourceId: string;
  readonly accessToken: string;
  /** Default https://graph.facebook.com/. */
  readonly rootUrl?: string;
  readonly apiVersion: string;
  readonly log: Logger;
  readonly rateLimit: MetaRateLimitSettings;
  readonly asyncPoll: MetaAsyncPollSettings;
  /** Transient failures (5xx, network, Graph code 1/2): exponential backoff. */
  readonly retryPolicy?: RetryPolicy;
  readonly sleep?: (ms: number) => Promise<void>;
}

interface CallOptions {
  readonly method: 'GET' | 'POST';
  /** Path under the version, e.g. `act_123/insights`. */
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly stream: string;
  /** The ad account the call is about, for messages. */
  readonly accountId?: string;
}

export class MetaClient {
  readonly #options: MetaClientOptions;
  readonly #root: string;
  readonly #sleep: (ms: number) => Promise<void>;
  /** Set when the last response's usage headers crossed the slow-down threshold. */
  #pauseBeforeNextMs = 0;

  constructor(options: MetaClientOptions) {
    this.#options = options;
    this.#root = (options.rootUrl ?? defaultRoot).replace(/\/?$/, '/');
    this.#sleep = options.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  }

  /** Name, currency and time zone of an ad account. */
  async adAccount(accountId: string, stream: string): Promise<AdAccount> {
    const body = await this.#call({ method: 'GET', path: `act_${accountId}`, params: { fields: 'name,currency,timezone_name' }, stream, accountId });
    return this.#parse(AdAccount, body, `ad account act_${accountId}`, stream);
  }

  /** Every campaign's current `effective_status`, by campaign id. */
  async campaignStatuses(accountId: string, pageSize: number, stream: string): Promise<Map<string, string>> {
    const statuses = new Map<string, string>();
    for await (const page of this.#pages(`act_${accountId}/campaigns`, { fields: 'id,name,effective_status', limit: String(pageSize) }, CampaignsPage, stream, accountId)) {
      for (const campaign of page.data) if (campaign.effective_status) statuses.set(campaign.id, campaign.effective_status);
    }
    return statuses;
  }

  /** Campaign × day insights over a window with a paged GET (small windows): each page's rows as sent, checked when mapped (`toInsightRow`). */
  async *insightPages(accountId: string, window: DateWindow, pageSize: number, stream: string): AsyncGenerator<readonly unknown[]> {
    for await (const page of this.#pages(`act_${accountId}/insights`, { ...insightParams(window), limit: String(pageSize) }, InsightsPage, stream, accountId)) {
      yield page.data;
    }
  }

  /** The same insights through an async report run: create it, poll until complete, then page its results. */
  async *asyncInsightPages(accountId: string, window: DateWindow, pageSize: number, stream: string): AsyncGenerator<readonly unknown[]> {
    const created = this.#parse(ReportRunCreated,
      await this.#call({ method: 'POST', path: `act_${accountId}/insights`, params: insightParams(window), stream, accountId }),
      `async report run for act_${accountId}`, stream);
    const runId = created.report_run_id;
    await this.#waitForReportRun(runId, accountId, stream);
    for await (const page of this.#pages(`${runId}/insights`, { limit: String(pageSize) }, InsightsPage, stream, accountId)) {
      yield page.data;
    }
  }

  async #waitForReportRun(runId: string, accountId: string, stream: string): Promise<void> {
    const { firstDelayMs, maxDelayMs, timeoutMs } = this.#options.asyncPoll;
    const started = Date.now();
    for (let delay = firstDelayMs; ; delay = Math.min(maxDelayMs, Math.max(1, delay) * 2)) {
      await this.#sleep(delay);
      const run = this.#parse(ReportRun, await this.#call({ method: 'GET', path: runId, params: {}, stream, accountId }), `report run ${runId}`, stream);
      // Meta's guidance: the results are ready only when the status says so AND completion is 100%.
      if (run.async_status === 'Job Completed' && (run.async_percent_completion ?? 100) >= 100) return;
      if (run.async_status === 'Job Failed' || run.async_status === 'Job Skipped') {
        throw new SourceError(
          `${vendor} async report run ${runId} for ad account act_${accountId} ended with "${run.async_status}"; ` +
          'the next run retries it (a smaller chunkDays makes each job lighter)',
          { context: { source: this.#options.sourceId, stream, reportRunId: runId }, retryable: false },
        );
      }
      if (Date.now() - started > timeoutMs) {
        throw new SourceError(
          `${vendor} async report run ${runId} for ad account act_${accountId} is still "${run.async_status}" ` +
          `(${run.async_percent_completion ?? 0}%) after ${Math.round(timeoutMs / 60_000)} minutes`,
          { context: { source: this.#options.sourceId, stream, reportRunId: runId }, retryable: true },
        );
      }
      this.#options.log.debug(`report run ${runId}: ${run.async_status} (${run.async_percent_completion ?? 0}%)`);
    }
  }

  /** Cursor paging: ask again with `after` while Meta says there is a next page. */
  async *#pages<T extends { paging?: { cursors?: { after?: string }; next?: string } }>(
    path: string, params: Readonly<Record<string, string>>, schema: z.ZodType<T>, stream: string, accountId: string,
  ): AsyncGenerator<T> {
    let after: string | undefined;
    for (;;) {
      const body = await this.#call({ method: 'GET', path, params: after === undefined ? params : { ...params, after }, stream, accountId });
      const page = this.#parse(schema, body, path, stream);
      yield page;
      const next = page.paging?.next ? page.paging.cursors?.after : undefined;
      if (next === undefined) return;
      if (next === after) {
        throw new SourceError(`${vendor} returned the same paging cursor twice for ${path}; stopping rather than looping`, {
          context: { source: this.#options.sourceId, stream },
        });
      }
      after = next;
    }
  }

  #parse<T>(schema: z.ZodType<T>, body: unknown, what: string, stream: string): T {
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new SourceError(`${vendor} returned an unexpected body for ${what}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`, {
        context: { source: this.#options.sourceId, stream },
      });
    }
    return parsed.data;
  }

  /**
   * One Graph API call. Transient failures are retried with backoff (withRetry); throttling is
   * retried here after Meta's own hinted wait, which may be minutes — longer than withRetry allows.
   */
  async #call(call: CallOptions): Promise<unknown> {
    const { log, rateLimit } = this.#options;
    for (let throttled = 0; ; throttled++) {
      try {
        return await withRetry(
          () => this.#once(call),
          (error) => (error instanceof SourceError && !(error instanceof MetaRateLimitError) ? decisionOf(error) : { retryable: false }),
          {
            ...(this.#options.retryPolicy ? { policy: this.#options.retryPolicy } : {}),
            sleep: this.#sleep,
            onRetry: (error, delay, attempt) => log.warn(`retrying after ${(error as Error).message}`, { attempt, delayMs: Math.round(delay) }),
          },
        );
      } catch (error) {
        if (!(error instanceof MetaRateLimitError)) throw error;
        const waitMs = error.retryAfterMs ?? rateLimit.fallbackWaitMs;
        if (waitMs > rateLimit.maxWaitMs || throttled >= rateLimit.maxRetries) {
          const why = waitMs > rateLimit.maxWaitMs
            ? `Meta asks to wait ${formatWait(waitMs)}, more than rateLimit.maxWaitMinutes (${formatWait(rateLimit.maxWaitMs)})`
            : `still throttled after ${throttled} waits`;
          throw new MetaThrottledError(`${error.message}; ${why}`, { cause: error, context: error.context, retryable: true, retryAfterMs: waitMs });
        }
        log.warn(`throttled by Meta; waiting ${formatWait(waitMs)} before retrying`, { waitMs, throttled: throttled + 1, code: error.context.code });
        await this.#sleep(waitMs);
      }
    }
  }

  async #once(call: CallOptions): Promise<unknown> {
    const { sourceId, accessToken, apiVersion, log, rateLimit } = this.#options;
    if (this.#pauseBeforeNextMs > 0) {
      const pause = this.#pauseBeforeNextMs;
      this.#pauseBeforeNextMs = 0;
      log.warn(`Meta rate-limit usage is high; pausing ${formatWait(pause)} before the next call`, { pauseMs: pause });
      await this.#sleep(pause);
    }
    const url = new URL(`${apiVersion}/${call.path}`, this.#root);
    const headers: Record<string, string> = { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' };
    let body: string | undefined;
    if (call.method === 'GET') {
      for (const [name, value] of Object.entries(call.params)) url.searchParams.set(name, value);
    } else {
      body = new URLSearchParams(call.params).toString();
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
    }
    const context = { source: sourceId, stream: call.stream };

    let response: Response;
    let text: string;
    try {
      response = await fetch(url, { method: call.method, headers, ...(body === undefined ? {} : { body }) });
      text = await response.text();
    } catch (cause) {
      throw new SourceError(`${vendor} request failed (${call.method} ${url.pathname}): ${describeNetworkError(cause)}`, { cause, context, retryable: true });
    }

    const usage = readUsage((name) => response.headers.get(name));
    if (usage.highestPercent !== undefined && usage.highestPercent >= rateLimit.slowDownAtPercent) {
      this.#pauseBeforeNextMs = rateLimit.pauseMs;
    }

    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch (cause) {
      // A cut-off or HTML body (a proxy's error page) is worth another try.
      throw new SourceError(`${vendor} returned a body that is not JSON (HTTP ${response.status}, ${call.method} ${url.pathname})`, {
        cause, context: { ...context, status: response.status }, retryable: true,
      });
    }
    const graphError = GraphErrorBody.safeParse(json);
    if (response.ok && !graphError.success) return json;
    throw toSourceError(
      response.status, graphError.success ? graphError.data.error : undefined, usage, call, context, rateLimit.fallbackWaitMs,
      parseRetryAfter(response.headers.get('retry-after')),
    );
  }
}

/** `level=campaign`, one row per campaign and day over the window. */
function insightParams(window: DateWindow): Record<string, string> {
  return {
    level: 'campaign',
    fields: insightFields.join(','),
    time_increment: '1',
    time_range: JSON.stringify({ since: window.from, until: window.to }),
  };
}

function decisionOf(error: SourceError): RetryDecision {
  return { retryable: error.retryable, ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }) };
}

const reduceDataPattern = /reduce the amount of data/i;

/** Graph error (or bare HTTP failure) → a SourceError that says what happened and what to check. */
export function toSourceError(
  status: number, error: GraphError | undefined, usage: MetaUsage, call: Pick<CallOptions, 'method' | 'path' | 'accountId'>,
  context: { source: string; stream: string }, fallbackWaitMs: number,
  /** An HTTP Retry-After (a 429 or 503 from Meta's edge or a proxy): the least wait before a transient retry. */
  retryAfterMs?: number,
): SourceError {
  const code = error?.code;
  const subcode = error?.error_subcode;
  const detail = error?.message ?? `HTTP ${status} with no Graph error body`;
  const label = `HTTP ${status}${code === undefined ? '' : `, code ${code}${subcode === undefined ? '' : `/${subcode}`}`}`;
  const withStatus = {
    ...context, status,
    ...(code === undefined ? {} : { code }),
    ...(subcode === undefined ? {} : { subcode }),
    ...(error?.fbtrace_id ? { fbtraceId: error.fbtrace_id } : {}),
  };
  const account = call.accountId === undefined ? 'the ad account' : `ad account act_${call.accountId}`;

  if ((code === 1 && reduceDataPattern.test(detail)) || (code === 100 && subcode === 1487534)) {
    return new MetaReduceDataError(`${vendor} asks for less data per call (${label}): ${detail}`, { context: withStatus, retryable: false });
  }
  if (isRateLimitCode(code)) {
    return new MetaRateLimitError(`${vendor} throttled ${call.method} ${call.path} (${label}): ${detail}`, {
      context: withStatus, retryable: true, retryAfterMs: throttleWaitMs(usage, { fallbackWaitMs }),
    });
  }
  if (code === 190 || code === 102 || code === 104) {
    return new SourceError(
      `${vendor} rejected the access token (${label}): ${detail}. The token is invalid or expired: generate a new ` +
      "system-user token with ads_read (Business Settings → System users) and update the source's auth secret.",
      { context: withStatus, retryable: false },
    );
  }
  if (code === 10 || (code !== undefined && code >= 200 && code <= 299) || status === 403) {
    return new SourceError(
      `${vendor} denied access to ${account} (${label}): ${detail}. Check that the system user has ads_read and is assigned to the ad account.`,
      { context: withStatus, retryable: false },
    );
  }
  if (code === 100 && subcode === 33) {
    return new SourceError(
      `${vendor} cannot find ${account} or the token cannot see it (${label}): ${detail}. Check accountIds and the system user's ad account assignments.`,
      { context: withStatus, retryable: false },
    );
  }
  if (status === 401) {
    return new SourceError(`${vendor} rejected the credentials (${label}): ${detail}. Check the source's auth secret.`, { context: withStatus, retryable: false });
  }
  const transient = status >= 500 || status === 429 || code === 1 || code === 2 || error?.is_transient === true;
  return new SourceError(`${vendor} ${call.method} ${call.path} failed (${label}): ${detail}`, {
    context: withStatus, retryable: transient, ...(transient && retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  return [error instanceof Error ? error.message : String(error), cause?.code ?? cause?.message].filter(Boolean).join(': ');
}

function formatWait(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 6000) / 10} min` : `${Math.round(ms / 100) / 10} s`;
}
