import type { z } from 'zod';
import { SecretError, SourceError } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import { parseRetryAfter, withRetry, type RetryDecision, type RetryPolicy } from '../../core/retry.ts';
import type { SecretStore } from '../../core/secrets.ts';
import type { TiktokAuth } from './config.ts';
import {
  AdvertiserInfoData, CampaignPage, ReportPage, TiktokEnvelope,
  advertiserInfoFields, campaignFields, reportDimensions, reportMetrics,
  type AdvertiserInfo, type CampaignInfo, type ReportQuery,
} from './report.ts';

/**
 * The only file that talks HTTP to TikTok: the `Access-Token` header, JSON-encoded arrays in the
 * query string, `page` / `page_info` paging, retries, and classification of TikTok's return codes
 * (which arrive with HTTP 200) into SourceErrors. Everything above it sees parsed `data` objects.
 */

export const TIKTOK_DEFAULT_ROOT = 'https://business-api.tiktok.com/';

/** The token string, or `{ "access_token": … }`; never logged, never in a message. */
export async function resolveAccessToken(auth: TiktokAuth, secrets: SecretStore): Promise<string> {
  const value = await secrets.get(auth.secret);
  const token = typeof value === 'string' ? value : (value as { access_token?: unknown } | null)?.access_token;
  if (typeof token !== 'string' || token === '') {
    throw new SecretError(`secret "${auth.secret}" must be a TikTok access token string or { "access_token": … }`);
  }
  return token;
}

/** TikTok refused a start_date … end_date span as too wide: the caller asks again for shorter spans. */
export class TiktokDateSpanError extends SourceError {}

/** Return codes that mean "too many requests": wait and retry. */
const rateLimitCodes = new Set([40016, 40100, 40133]);
/** The access token is missing, wrong, expired or revoked: no retry will help. */
const tokenCodes = new Set([40102, 40104, 40105, 40106, 40119]);
/** The token works but may not read this advertiser (or the app lacks the Reporting scope). */
const permissionCodes = new Set([40001, 40118, 40125, 40300, 40301]);
/** The date span is too wide for the report's time dimension. */
const dateSpanCode = 40067;
/** Maintenance and service errors (5xxxx, 60001) are transient. */
const isServiceErrorCode = (code: number): boolean => code >= 50000;
/** Some accounts answer a too-wide span with a generic parameter error; recognise it by its wording. */
const dateSpanMessage = /\b(date|time) ?(range|span)\b|\bwithin \d+ days\b/i;

export interface TiktokClientOptions {
  readonly sourceId: string;
  readonly accessToken: string;
  /** API root; default https://business-api.tiktok.com/. */
  readonly rootUrl?: string;
  readonly apiVersion: string;
  readonly log: Logger;
  readonly retryPolicy?: RetryPolicy;
  /**
   * The least wait after a rate-limit code. TikTok sends no Retry-After; its QPS limits count per
   * second, so a full second always reaches a fresh window.
   */
  readonly rateLimitWaitMs?: number;
  /** Per-request timeout; a timeout is retried like a dropped connection. */
  readonly timeoutMs?: number;
}

export class TiktokClient {
  readonly #options: TiktokClientOptions;
  readonly #root: string;

  constructor(options: TiktokClientOptions) {
    this.#options = options;
    const root = options.rootUrl ?? TIKTOK_DEFAULT_ROOT;
    this.#root = root.endsWith('/') ? root : `${root}/`;
  }

  /** Name, currency and time zone of each advertiser, in the order asked; at most 100 ids per call. */
  async advertiserInfo(advertiserIds: readonly string[], stream: string): Promise<AdvertiserInfo[]> {
    const found = new Map<string, AdvertiserInfo>();
    for (let start = 0; start < advertiserIds.length; start += 100) {
      const batch = advertiserIds.slice(start, start + 100);
      const data = await this.#get('advertiser/info/', {
        advertiser_ids: JSON.stringify(batch),
        fields: JSON.stringify(advertiserInfoFields),
      }, AdvertiserInfoData, stream);
      for (const info of data.list) found.set(info.advertiser_id, info);
    }
    return advertiserIds.map((id) => {
      const info = found.get(id);
      if (!info) {
        throw new SourceError(`TikTok returned no account info for advertiser ${id}. Check advertiserIds and that the token is authorized for this advertiser.`, {
          context: { source: this.#options.sourceId, stream, advertiserId: id },
        });
      }
      return info;
    });
  }

  /** Every campaign of an advertiser (TikTok leaves deleted ones out by default). */
  async campaigns(advertiserId: string, pageSize: number, stream: string): Promise<CampaignInfo[]> {
    const campaigns: CampaignInfo[] = [];
    for (let page = 1; ; page++) {
      const data = await this.#get('campaign/get/', {
        advertiser_id: advertiserId,
        fields: JSON.stringify(campaignFields),
        page: String(page),
        page_size: String(pageSize),
      }, CampaignPage, stream);
      campaigns.push(...data.list);
      if (data.list.length === 0 || page >= (data.page_info?.total_page ?? 1)) return campaigns;
    }
  }

  /** Every page of one daily campaign report, walking `page` until `page_info.total_page`. */
  async *reportPages(query: ReportQuery, stream: string): AsyncGenerator<ReportPage> {
    for (let page = 1; ; page++) {
      const data = await this.#get('report/integrated/get/', {
        advertiser_id: query.advertiserId,
        service_type: 'AUCTION',
        report_type: 'BASIC',
        data_level: 'AUCTION_CAMPAIGN',
        dimensions: JSON.stringify(reportDimensions),
        metrics: JSON.stringify(reportMetrics),
        start_date: query.startDate,
        end_date: query.endDate,
        page: String(page),
        page_size: String(query.pageSize),
      }, ReportPage, stream);
      yield data;
      if (data.list.length === 0 || page >= (data.page_info?.total_page ?? 1)) return;
    }
  }

  async #get<Schema extends z.ZodType>(path: string, params: Record<string, string>, schema: Schema, stream: string): Promise<z.infer<Schema>> {
    const { sourceId, log } = this.#options;
    const url = new URL(`open_api/${this.#options.apiVersion}/${path}`, this.#root);
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    const context = { source: sourceId, stream, endpoint: `/${path}`, ...(params.advertiser_id ? { advertiserId: params.advertiser_id } : {}) };
    const data = await withRetry(
      () => this.#request(url, context),
      (error) => (error instanceof SourceError ? decisionOf(error) : { retryable: false }),
      {
        ...(this.#options.retryPolicy ? { policy: this.#options.retryPolicy } : {}),
        onRetry: (error, delay, attempt) => log.warn(`retrying after ${(error as Error).message}`, { attempt, delayMs: Math.round(delay) }),
      },
    );
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new SourceError(`TikTok /${path} returned an unexpected body: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(), { context });
    }
    return parsed.data;
  }

  /** One HTTP round trip: the envelope's `data` when `code` is 0, else a classified SourceError. */
  async #request(url: URL, context: Record<string, string>): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { 'Access-Token': this.#options.accessToken, Accept: 'application/json' },
        signal: AbortSignal.timeout(this.#options.timeoutMs ?? 60_000),
      });
    } catch (cause) {
      throw new SourceError(`TikTok request to ${context.endpoint} failed: ${(cause as Error).message}`, { cause, context, retryable: true });
    }
    const status = response.status;
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    const text = await response.text().catch(() => '');
    const withStatus = { ...context, status };

    if (status !== 200) {
      // A non-200 means the request never reached the API logic: a wrong path, or a fault in front of it.
      const retryable = status === 429 || status >= 500;
      const hint = status === 404 ? ' Check the endpoint and apiVersion (paths end with a slash).' : '';
      throw new SourceError(`TikTok ${context.endpoint} failed (HTTP ${status}).${hint}`, {
        context: withStatus, retryable, ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      });
    }

    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (cause) {
      // A cut or garbled body from a proxy: asking again usually gets a whole one.
      throw new SourceError(`TikTok ${context.endpoint} returned a body that is not JSON (HTTP ${status})`, { cause, context: withStatus, retryable: true });
    }
    const envelope = TiktokEnvelope.safeParse(body);
    if (!envelope.success) {
      throw new SourceError(`TikTok ${context.endpoint} returned a body without a numeric code (HTTP ${status})`, { context: withStatus });
    }
    const { code, message, request_id: requestId } = envelope.data;
    if (code === 0) return envelope.data.data ?? {};
    throw classify(code, message, { ...withStatus, code, ...(requestId ? { requestId } : {}) }, retryAfterMs, this.#options.rateLimitWaitMs ?? 1000);
  }
}

function classify(code: number, message: string, context: Record<string, unknown>, retryAfterMs: number | undefined, rateLimitWaitMs: number): SourceError {
  const ids = `code ${code}, HTTP ${String(context.status)}`;
  // TikTok's messages end with a full stop or not; ours add sentences after them.
  const quoted = message.trim() ? `: ${message.trim().replace(/\.$/, '')}` : '';
  if (rateLimitCodes.has(code)) {
    return new SourceError(`TikTok rate limit reached (${ids})${quoted}`, {
      context, retryable: true, retryAfterMs: Math.max(retryAfterMs ?? 0, rateLimitWaitMs),
    });
  }
  if (tokenCodes.has(code)) {
    return new SourceError(`TikTok rejected the access token (${ids})${quoted}. Check the source's auth secret: a long-lived Marketing API access token that is still authorized.`, {
      context, retryable: false,
    });
  }
  if (permissionCodes.has(code)) {
    const subject = typeof context.advertiserId === 'string' ? `advertiser ${context.advertiserId}` : 'the advertisers';
    return new SourceError(`TikTok denied access to ${subject} (${ids})${quoted}. Check advertiserIds and that the token's app has the Reporting and Ad Account Information scopes for it.`, {
      context, retryable: false,
    });
  }
  if (code === dateSpanCode || (code === 40002 && dateSpanMessage.test(message))) {
    return new TiktokDateSpanError(`TikTok refused the date span as too wide (${ids})${quoted}`, { context, retryable: false });
  }
  if (isServiceErrorCode(code)) {
    return new SourceError(`TikTok service error (${ids})${quoted}`, { context, retryable: true, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
  }
  return new SourceError(`TikTok rejected the request to ${String(context.endpoint)} (${ids})${quoted}`, { context, retryable: false });
}

function decisionOf(error: SourceError): RetryDecision {
  return { retryable: error.retryable, ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }) };
}
