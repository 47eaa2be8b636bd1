import { z } from 'zod';
import { IsoDate, SecretName, SourceBase } from '../../core/config/schema.ts';

/**
 * A Google Ads customer id: ten digits. The UI shows it as `123-456-7890`; the API wants
 * `1234567890`, so dashes and spaces are accepted here and removed.
 */
export const CustomerId = z.string()
  .transform((value) => value.replace(/[\s-]/g, ''))
  .pipe(z.string().regex(/^\d{10}$/, { message: 'write a 10-digit Google Ads customer id, e.g. "123-456-7890" (top right of the Google Ads UI)' }));
export type CustomerId = z.infer<typeof CustomerId>;

/** Real-mode auth; the secret holds the credential JSON (never the config file). */
export const GoogleAdsAuth = z.discriminatedUnion('type', [
  /**
   * The secret is `{ "client_id", "client_secret", "refresh_token", "developer_token"? }` of an
   * OAuth client with the `adwords` scope. The API access level belongs to the Cloud project
   * that owns the OAuth client; `developer_token` is optional (Google sunset developer tokens on
   * 2026-09-09 and ignores the header) and is sent only when present.
   */
  z.object({ type: z.literal('oauth_refresh_token'), secret: SecretName }),
  /** The secret is `{ "access_token", "developer_token"? }` or a bare token string (short-lived; the sandbox uses this). */
  z.object({ type: z.literal('access_token'), secret: SecretName }),
], { message: 'write auth.type: oauth_refresh_token or access_token' });
export type GoogleAdsAuth = z.infer<typeof GoogleAdsAuth>;

export const GoogleAdsSourceConfig = SourceBase.extend({
  type: z.literal('google_ads'),
  /** The client accounts to read; all of them land in the same partitions of the table. */
  customerIds: z.array(CustomerId).min(1, { message: 'list at least one customer id under customerIds' })
    .refine((ids) => new Set(ids).size === ids.length, { message: 'each customer id may appear only once in customerIds' }),
  /** The manager account (MCC) the credentials reach the clients through; sent as `login-customer-id`. */
  loginCustomerId: CustomerId.optional(),
  auth: GoogleAdsAuth.optional(),
  /** Days re-read on every run: conversions are revised for the conversion window (established connectors re-read 14). */
  lookbackDays: z.number().int().min(1).max(90).default(14),
  /** On the first run, how many days back to start (unless startDate is set). */
  backfillDays: z.number().int().min(1).max(3650).default(90),
  startDate: IsoDate.optional(),
  /** Days per searchStream query; a checkpoint follows each, once every customer has been read. */
  chunkDays: z.number().int().min(1).max(366).default(30),
  /** Override the API root, e.g. the sandbox or a proxy (default https://googleads.googleapis.com/). */
  endpoint: z.url().optional(),
  /** Google Ads API major version in the path (each lives about a year; see the sunset schedule). */
  apiVersion: z.string().regex(/^v\d+$/, { message: 'write the API version as v<N>, e.g. v26' }).default('v26'),
}).superRefine((config, context) => {
  if (!config.sandbox && !config.auth) {
    context.addIssue({
      code: 'custom', path: ['auth'],
      message: 'add auth: { type: oauth_refresh_token, secret: <secret name> } (or sandbox: {} to use the bundled sandbox)',
    });
  }
});
export type GoogleAdsSourceConfig = z.infer<typeof GoogleAdsSourceConfig>;
