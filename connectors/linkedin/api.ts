import { z } from 'zod';

/**
 * The parts of LinkedIn Marketing API responses the connector relies on, parsed at the boundary
 * (client.ts). Ids are longs in LinkedIn's JSON; they are kept as strings here.
 */

const Id = z.union([z.number().int(), z.string().regex(/^\d+$/)]).transform(String);

/** `{ year, month, day }` as LinkedIn's `Date` record. */
export const LinkedinDate = z.object({ year: z.number().int(), month: z.number().int(), day: z.number().int() });
export type LinkedinDate = z.infer<typeof LinkedinDate>;

/** Money and counts: LinkedIn sends BigDecimal metrics as strings ("12.34") and longs as numbers. */
const Metric = z.union([z.number(), z.string()]).nullish();

/** One adAnalytics element: a campaign × day when pivot=CAMPAIGN and timeGranularity=DAILY. */
export const AnalyticsElement = z.object({
  pivotValues: z.array(z.string()).optional(),
  dateRange: z.object({ start: LinkedinDate, end: LinkedinDate.optional() }).optional(),
  impressions: Metric,
  clicks: Metric,
  costInLocalCurrency: Metric,
  externalWebsiteConversions: Metric,
  conversionValueInLocalCurrency: Metric,
}).loose();
export type AnalyticsElement = z.infer<typeof AnalyticsElement>;

/** adAnalytics has no pagination: `paging` is there but describes the one and only answer. */
export const AnalyticsResponse = z.object({
  elements: z.array(AnalyticsElement).default([]),
  paging: z.unknown().optional(),
}).loose();
export type AnalyticsResponse = z.infer<typeof AnalyticsResponse>;

/** Search finders page by cursor since version 202401: `metadata.nextPageToken` is absent on the last page. */
const SearchMetadata = z.object({ nextPageToken: z.string().min(1).nullish() }).loose();

export const AdCampaign = z.object({
  id: Id,
  name: z.string().nullish(),
  status: z.string().nullish(),
  /** `urn:li:sponsoredCampaignGroup:<id>` */
  campaignGroup: z.string().nullish(),
  account: z.string().nullish(),
}).loose();
export type AdCampaign = z.infer<typeof AdCampaign>;

export const AdCampaignSearchResponse = z.object({
  elements: z.array(AdCampaign).default([]),
  metadata: SearchMetadata.optional(),
}).loose();
export type AdCampaignSearchResponse = z.infer<typeof AdCampaignSearchResponse>;

export const AdCampaignGroup = z.object({
  id: Id,
  name: z.string().nullish(),
  status: z.string().nullish(),
}).loose();
export type AdCampaignGroup = z.infer<typeof AdCampaignGroup>;

export const AdCampaignGroupSearchResponse = z.object({
  elements: z.array(AdCampaignGroup).default([]),
  metadata: SearchMetadata.optional(),
}).loose();
export type AdCampaignGroupSearchResponse = z.infer<typeof AdCampaignGroupSearchResponse>;

export const AdAccount = z.object({
  id: Id,
  name: z.string().nullish(),
  /** ISO 4217; cost and conversion value in adAnalytics are in this currency ("local currency"). */
  currency: z.string().regex(/^[A-Z]{3}$/),
  status: z.string().nullish(),
}).loose();
export type AdAccount = z.infer<typeof AdAccount>;

/** `POST https://www.linkedin.com/oauth/v2/accessToken` with grant_type=refresh_token. */
export const TokenResponse = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().optional(),
  refresh_token: z.string().optional(),
  refresh_token_expires_in: z.number().optional(),
}).loose();
export type TokenResponse = z.infer<typeof TokenResponse>;

/** The OAuth endpoint's error body: `{ "error": "invalid_grant", "error_description": "…" }`. */
export const TokenErrorBody = z.object({ error: z.string(), error_description: z.string().optional() }).loose();

/** The API's error body: `{ "status": 401, "serviceErrorCode": 65602, "code": "EXPIRED_ACCESS_TOKEN", "message": "…" }`. */
export const LinkedinErrorBody = z.object({
  status: z.number().optional(),
  serviceErrorCode: z.number().optional(),
  code: z.string().optional(),
  message: z.string().optional(),
}).loose();
export type LinkedinErrorBody = z.infer<typeof LinkedinErrorBody>;
