import { z } from 'zod';
import { IsoDate, SecretName, SourceBase } from '../../core/config/schema.ts';

/**
 * The widest start_date … end_date a synchronous integrated report accepts when `stat_time_day` is a
 * dimension (30 days, both ends included; without a time dimension it is 365).
 */
export const TIKTOK_MAX_DAILY_SPAN_DAYS = 30;

/** Rows per report page: TikTok's `page_size` is 1 … 1000. */
export const TIKTOK_MAX_PAGE_SIZE = 1000;

/**
 * The Marketing API uses long-lived access tokens (they do not expire; they stop working when the
 * advertiser revokes the authorization). The secret is the token string or `{ "access_token": … }`.
 */
export const TiktokAuth = z.object({
  type: z.literal('access_token', { message: 'write auth.type: access_token (a long-lived TikTok Marketing API token)' }),
  secret: SecretName,
});
export type TiktokAuth = z.infer<typeof TiktokAuth>;

export const TiktokSourceConfig = SourceBase.extend({
  type: z.literal('tiktok'),
  /** Ad accounts (advertiser ids) to read; the token must be authorized for each. Optional with `sandbox`. */
  advertiserIds: z.array(
    z.string().regex(/^\d+$/, { message: 'write the numeric advertiser id as a string, e.g. "7123456789012345678" (Ads Manager URL, aadvid=…)' }),
  ).min(1, { message: 'list at least one advertiser id' }).optional(),
  auth: TiktokAuth.optional(),
  /** Days re-read on every run: TikTok attributes conversions for days after the click, and reports lag ~11 h. */
  lookbackDays: z.number().int().min(1).max(90).default(7),
  /** On the first run, how many days back to start (unless startDate is set). */
  backfillDays: z.number().int().min(1).max(3650).default(90),
  startDate: IsoDate.optional(),
  /** Days per report request and per checkpoint; TikTok refuses more than 30 with `stat_time_day`. */
  chunkDays: z.number().int().min(1).max(TIKTOK_MAX_DAILY_SPAN_DAYS, {
    message: `TikTok reports at most ${TIKTOK_MAX_DAILY_SPAN_DAYS} days per daily request: write chunkDays: ${TIKTOK_MAX_DAILY_SPAN_DAYS} or less`,
  }).default(TIKTOK_MAX_DAILY_SPAN_DAYS),
  /** Rows per report page (TikTok allows 1 … 1000). */
  pageSize: z.number().int().min(1).max(TIKTOK_MAX_PAGE_SIZE).default(TIKTOK_MAX_PAGE_SIZE),
  /** Override the API root (tests, proxies); default https://business-api.tiktok.com/. */
  endpoint: z.url().optional(),
  /** Marketing API version in the path: /open_api/<apiVersion>/… */
  apiVersion: z.string().regex(/^v\d+\.\d+$/, { message: 'write the API version like v1.3' }).default('v1.3'),
}).superRefine((config, context) => {
  if (config.sandbox) return;
  if (!config.auth) {
    context.addIssue({
      code: 'custom', path: ['auth'],
      message: 'add auth: { type: access_token, secret: <secret name> } (or sandbox: {} to use the bundled sandbox)',
    });
  }
  if (!config.advertiserIds) {
    context.addIssue({
      code: 'custom', path: ['advertiserIds'],
      message: 'list the advertiser ids to read, e.g. advertiserIds: ["7123456789012345678"] (or sandbox: {} to use the bundled sandbox)',
    });
  }
});
export type TiktokSourceConfig = z.infer<typeof TiktokSourceConfig>;
