import { z } from 'zod';
import { IsoDate, SecretName, SourceBase } from '../../core/config/schema.ts';

/**
 * Real-mode auth; the secret holds the credential JSON.
 *
 * LinkedIn access tokens last 60 days; programmatic refresh tokens (approved Marketing Developer
 * Platform apps only) last 365 days from the member's original authorisation, and refreshing does
 * not extend them: after a year the member must authorise the app again.
 */
export const LinkedinAuth = z.discriminatedUnion('type', [
  /**
   * The secret is `{ "client_id", "client_secret", "refresh_token" }` (optionally with a still-valid
   * `"access_token"` to use first). The connector exchanges the refresh token at `tokenUrl`, and when
   * LinkedIn answers 401 EXPIRED_ACCESS_TOKEN / REVOKED_ACCESS_TOKEN it refreshes once and retries.
   */
  z.object({ type: z.literal('oauth_refresh_token'), secret: SecretName }),
  /** The secret is a bearer access token (a string or `{ "access_token" }`); it lasts 60 days, then renew it. */
  z.object({ type: z.literal('access_token'), secret: SecretName }),
], { message: 'write auth.type: oauth_refresh_token or access_token' });
export type LinkedinAuth = z.infer<typeof LinkedinAuth>;

const accountUrn = /^urn:li:sponsoredAccount:(\d+)$/;

/** An ad account id: `123456789`, `"123456789"` or `"urn:li:sponsoredAccount:123456789"`, kept as the digits. */
export const LinkedinAccountId = z.union([z.string().trim(), z.number().int().positive()]).transform((value, context) => {
  const text = String(value);
  const digits = /^\d+$/.test(text) ? text : accountUrn.exec(text)?.[1];
  if (digits === undefined) {
    context.addIssue({
      code: 'custom',
      message: 'write the numeric LinkedIn ad account id, e.g. "512345678" (Campaign Manager → Account name → the number), or urn:li:sponsoredAccount:512345678',
    });
    return z.NEVER;
  }
  return digits;
});
export type LinkedinAccountId = z.infer<typeof LinkedinAccountId>;

/** LinkedIn's most generous cap on adAnalytics elements per call; anything past it is dropped without an error. */
export const LINKEDIN_MAX_ANALYTICS_ELEMENTS = 15_000;
export const LINKEDIN_DEFAULT_TOKEN_URL = 'https://www.linkedin.com/oauth/v2/accessToken';
export const LINKEDIN_DEFAULT_API_ROOT = 'https://api.linkedin.com/';
/** A Marketing API version released in October 2026; each version is served for at least a year. */
export const LINKEDIN_DEFAULT_API_VERSION = '202610';

export const LinkedinSourceConfig = SourceBase.extend({
  type: z.literal('linkedin'),
  /** Ad accounts to read; one partition file per day holds them all. */
  accountIds: z.array(LinkedinAccountId).min(1, { message: 'list at least one ad account id under accountIds' })
    .transform((ids) => [...new Set(ids)]),
  auth: LinkedinAuth.optional(),
  /** Days re-read on every run: LinkedIn keeps attributing conversions to past days. */
  lookbackDays: z.number().int().min(1).max(90).default(7),
  /** On the first run, how many days back to start (unless startDate is set). */
  backfillDays: z.number().int().min(1).max(3650).default(90),
  startDate: IsoDate.optional(),
  /** Days per checkpoint window (every account is read for the window before it is written). */
  chunkDays: z.number().int().min(1).max(366).default(30),
  /** Entities per page of the campaign and campaign-group search finders (LinkedIn allows up to 1,000). */
  pageSize: z.number().int().min(1).max(1000).default(1000),
  /**
   * adAnalytics does not page: it returns at most 15,000 elements and silently drops the rest. Each
   * request's date range is cut so campaigns × days stays under this, and a full answer is split again.
   */
  maxElementsPerRequest: z.number().int().min(2).max(LINKEDIN_MAX_ANALYTICS_ELEMENTS).default(LINKEDIN_MAX_ANALYTICS_ELEMENTS),
  /** `LinkedIn-Version` header (YYYYMM); LinkedIn answers 426 once a version is sunset (about a year after release). */
  apiVersion: z.string().regex(/^20\d{2}(0[1-9]|1[0-2])$/, { message: 'write the LinkedIn Marketing API version as YYYYMM, e.g. "202610"' })
    .default(LINKEDIN_DEFAULT_API_VERSION),
  /** Override the API root (tests, proxies); default https://api.linkedin.com/. */
  endpoint: z.url().optional(),
  /** OAuth token endpoint used to exchange the refresh token. */
  tokenUrl: z.url().default(LINKEDIN_DEFAULT_TOKEN_URL),
}).superRefine((config, context) => {
  if (!config.sandbox && !config.auth) {
    context.addIssue({
      code: 'custom', path: ['auth'],
      message: 'add auth: { type: oauth_refresh_token, secret: <secret name> } (or sandbox: {} to use the bundled sandbox)',
    });
  }
});
export type LinkedinSourceConfig = z.infer<typeof LinkedinSourceConfig>;
