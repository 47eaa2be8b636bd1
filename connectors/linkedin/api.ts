import { z } from 'zod';

/**
 * The parts of LinkedIn Marketing API responses the connector relies on, parsed at the boundary
 * (client.ts). Ids are longs in LinkedIn's JSON; they are kept as strings here.
 */

const Id = z.union([z.number().int(), z.string().regex(/^\d+$/)]).transform(String);

/**
 * One adAnalytics element as it comes (pivot=CAMPAIGN, timeGranularity=DAILY): `pivotValues` a list of
 * URNs, `dateRange.start` LinkedIn's `Date`, counts as longs (JSON numbers), money as BigDecimal
 * strings ("12.34"); a metric without activity may be left out. Not checked here: each element is
 * checked as it is mapped (mappers.ts `toCampaignDailyRow`), so one odd element goes to `_rejects`
 * instead of failing its answer.
 */
export interface AnalyticsElement {
  readonly pivotValues?: unknown;
  readonly dateRange?: unknown;
  readonly impressions?: unknown;
  readonly clicks?: unknown;
  readonly costInLocalCurrency?: unknown;
  readonly externalWebsiteConversions?: unknown;
  readonly conversionValueInLocalCurrency?: unknown;
  readonly [field: string]: unknown;
}

/** adAnalytics has no pagination: `paging` is there but describes the one and only answer. The elements are checked one by one when mapped. */
export const AnalyticsResponse = z.object({
  elements: z.array(z.unknown()).default([]),
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
