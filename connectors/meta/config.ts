import { z } from 'zod';
import { IsoDate, SecretName, SourceBase } from '../../core/config/schema.ts';

/**
 * An ad account id. Business Manager shows `act_1234567890` in URLs and `1234567890` in the
 * account list; both are accepted and kept as the bare number (the API path adds `act_`).
 */
export const AdAccountId = z.string()
  .transform((value) => value.trim().replace(/^act_/, ''))
  .pipe(z.string().regex(/^\d{1,20}$/, { message: 'write the ad account id as digits or act_<digits>, e.g. "act_1234567890" (Business Settings → Ad accounts)' }));
export type AdAccountId = z.infer<typeof AdAccountId>;

/**
 * Real-mode auth. The secret is a system-user access token (Business Settings → System users →
 * Generate new token, with ads_read): the token string itself or `{ "access_token": "…" }`.
 */
export const MetaAuth = z.object({ type: z.literal('access_token'), secret: SecretName }, {
  message: 'write auth: { type: access_token, secret: <secret name> }',
});
export type MetaAuth = z.infer<typeof MetaAuth>;

/**
 * Action types that count the same conversions under different names: an `actions` array for one
 * pixel purchase holds `offsite_conversion.fb_pixel_purchase`, `purchase`, `omni_purchase` and more,
 * each with the same value. Picking two from one family would count every conversion twice.
 */
export const overlappingActionTypes: readonly (readonly string[])[] = [
  ['purchase', 'omni_purchase', 'offsite_conversion.fb_pixel_purchase', 'onsite_web_purchase', 'onsite_web_app_purchase', 'web_in_store_purchase', 'onsite_conversion.purchase'],
  ['lead', 'offsite_conversion.fb_pixel_lead', 'onsite_web_lead', 'onsite_conversion.lead_grouped'],
];

export const MetaSourceConfig = SourceBase.extend({
  type: z.literal('meta'),
  /** The ad accounts to read; all of them land in the same partitions of the table. */
  accountIds: z.array(AdAccountId).min(1, { message: 'list at least one ad account id under accountIds' })
    .refine((ids) => new Set(ids).size === ids.length, { message: 'each ad account id may appear only once in accountIds' }),
  auth: MetaAuth.optional(),
  /** Days re-read on every run: Meta revises conversions for the 28-day attribution window. */
  lookbackDays: z.number().int().min(1).max(90).default(28),
  /** On the first run, how many days back to start (unless startDate is set). */
  backfillDays: z.number().int().min(1).max(1100).default(90),
  startDate: IsoDate.optional(),
  /** Days per report window; a checkpoint follows each, once every account has been read. */
  chunkDays: z.number().int().min(1).max(400).default(90),
  /** A window longer than this many days is read as an async report run (POST …/insights) instead of a paged GET. */
  asyncThresholdDays: z.number().int().min(1).max(400).default(31),
  /**
   * `actions[].action_type` values summed into `conversions` (and `action_values[]` into
   * `conversions_value`). The default pair does not overlap: `purchase` is every purchase however it
   * was tracked (pixel, Conversions API, on Facebook), `lead` every lead. Pick one name per family.
   */
  actionTypes: z.array(z.string().min(1)).min(1).default(['purchase', 'lead']),
  /** Rows per page (`limit`). Meta answers "reduce the amount of data" for pages it finds too heavy. */
  pageSize: z.number().int().min(1).max(5000).default(500),
  /** Graph API version in the path; a Marketing API version stops working about 90 days after its successor ships. */
  apiVersion: z.string().regex(/^v\d+\.\d+$/, { message: 'write the Graph API version as v<N>.0, e.g. v26.0' }).default('v26.0'),
  /** Override the API root, e.g. the sandbox or a proxy (default https://graph.facebook.com/). */
  endpoint: z.url().optional(),
  /** How the client paces itself against Meta's rate limits (headers and throttling errors). */
  rateLimit: z.object({
    /** When any usage header (call count, CPU, time, ad-account or app utilisation) reaches this percentage, pause before the next call. */
    slowDownAtPercent: z.number().min(1).max(100).default(90),
    /** That pause, in seconds. */
    pauseSeconds: z.number().min(0).max(3600).default(30),
    /** Wait after a throttling error that carries no usable hint (Meta often sends estimated_time_to_regain_access: 0). */
    fallbackWaitSeconds: z.number().min(0).max(3600).default(60),
    /** A hinted wait longer than this stops the source cleanly (status partial); the next run continues from the last checkpoint. */
    maxWaitMinutes: z.number().min(0).max(24 * 60).default(15),
    /** Throttling errors tolerated per call before giving up. */
    maxRetries: z.number().int().min(0).max(50).default(8),
  }).prefault({}),
  /** How an async report run is polled: first delay, doubling up to the maximum, giving up after the timeout. */
  asyncPoll: z.object({
    firstDelaySeconds: z.number().min(0).max(600).default(2),
    maxDelaySeconds: z.number().min(0).max(600).default(30),
    timeoutMinutes: z.number().min(0).max(24 * 60).default(60),
  }).prefault({}),
}).superRefine((config, context) => {
  if (!config.sandbox && !config.auth) {
    context.addIssue({
      code: 'custom', path: ['auth'],
      message: 'add auth: { type: access_token, secret: <secret name> } (or sandbox: {} to use the bundled sandbox)',
    });
  }
  for (const family of overlappingActionTypes) {
    const picked = config.actionTypes.filter((type) => family.includes(type));
    if (picked.length > 1) {
      context.addIssue({
        code: 'custom', path: ['actionTypes'],
        message: `${picked.join(' and ')} count the same conversions; keep one of them (e.g. ${family[0]})`,
      });
    }
  }
});
export type MetaSourceConfig = z.infer<typeof MetaSourceConfig>;
