import { z } from 'zod';
import { IsoDate, SecretName, SourceBase } from '../../core/config/schema.ts';

/** Real-mode auth; the secret holds the credential JSON (see README, "Secrets"). */
export const Ga4Auth = z.discriminatedUnion('type', [
  /** The secret is a service-account key file's JSON (client_email, private_key). */
  z.object({ type: z.literal('service_account'), secret: SecretName }),
  /** The secret is `{ "client_id", "client_secret", "refresh_token" }` of an OAuth client. */
  z.object({ type: z.literal('oauth_refresh_token'), secret: SecretName }),
  /** The secret is a bearer access token issued elsewhere (short-lived; the sandbox uses this). */
  z.object({ type: z.literal('access_token'), secret: SecretName }),
], { message: 'write auth.type: service_account, oauth_refresh_token or access_token' });
export type Ga4Auth = z.infer<typeof Ga4Auth>;

export const Ga4SourceConfig = SourceBase.extend({
  type: z.literal('ga4'),
  propertyId: z.string().regex(/^\d+$/, { message: 'write the numeric GA4 property id, e.g. "123456789" (Admin → Property details)' }),
  auth: Ga4Auth.optional(),
  /** Days re-read on every run: GA4 revises about the last 48 hours. */
  lookbackDays: z.number().int().min(1).max(60).default(3),
  /** On the first run, how many days back to start (unless startDate is set). */
  backfillDays: z.number().int().min(1).max(3650).default(90),
  startDate: IsoDate.optional(),
  /** Rows per runReport page (GA4 allows up to 250,000). */
  pageSize: z.number().int().min(1).max(250_000).default(10_000),
  /** Days per request window; a checkpoint follows each. */
  chunkDays: z.number().int().min(1).max(366).default(30),
  /**
   * The rows a window may hold before it is split in two: the sync keeps a window's rows until its
   * checkpoint, so this bounds its memory (as pending Parquet pages, about 125 bytes a row: 31 MB
   * at the default). A single day is read whole.
   */
  maxRowsPerChunk: z.number().int().min(1).default(250_000),
  /** Stop cleanly (and resume next run) when fewer tokens than this remain in the hourly or daily quota. */
  quotaReserveTokens: z.number().int().min(0).default(500),
  /** Override the API root (tests, proxies). */
  endpoint: z.url().optional(),
}).superRefine((config, context) => {
  if (!config.sandbox && !config.auth) {
    context.addIssue({
      code: 'custom', path: ['auth'],
      message: 'add auth: { type: service_account, secret: <secret name> } (or sandbox: {} to use the bundled sandbox)',
    });
  }
});
export type Ga4SourceConfig = z.infer<typeof Ga4SourceConfig>;
